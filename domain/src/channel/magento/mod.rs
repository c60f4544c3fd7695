//! The Magento 2 connector, in the parts OCA's connector-magento names: the
//! [`binder`] (which Magento entity of a store is which of our records), importers
//! (products, customers, stock), exporters (listing, stock) and the pure mappers
//! between Magento's DTOs and ledger drafts. See `docs/architecture.md`.

pub mod binder;

pub use binder::{BindRefused, Binder, Bound, LinkKind};
