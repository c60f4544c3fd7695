//! The Magento 2 connector, in the parts OCA's connector-magento names (see
//! `docs/architecture.md`):
//!
//! - [`binder`]: which Magento entity of a store is which of our records;
//! - [`import`]: Magento's products, customers and stock into the ledger;
//! - [`export`]: listing products, pushing their stock (the push and its policy);
//! - [`mappers`]: the pure field mappings between Magento's DTOs and ledger drafts;
//! - connected [`stores`] (credentials sealed at rest, metadata, mappings) and their
//!   [`settings`];
//! - the store's catalogue ([`catalog`]), its buffers ([`buffer`]), and the one writer
//!   of a product's link ([`link`]).
//!
//! The ledger modules (`products`, `stock`, `customers`, `sales`) know none of this.

pub mod binder;
pub mod buffer;
pub mod catalog;
pub mod export;
pub mod import;
pub(crate) mod link;
pub mod mappers;
pub mod settings;
pub mod stores;

pub use binder::{BindRefused, Binder, Bound, LinkKind};
