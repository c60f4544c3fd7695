//! Pure mappings between Magento's DTOs and ledger drafts (no I/O; see
//! `docs/mappings.md`).

pub mod products;
