//! The store's catalogue: ledger products linked to Magento products, and what is
//! pushed to Magento for them.

pub mod buffer;
pub mod catalog;
pub mod mapping;
pub mod push;
