//! The store's catalogue: ledger products linked to Magento products, and what is
//! pushed to Magento for them.

pub mod buffer;
pub mod bulk;
pub mod catalog;
pub mod download;
pub(crate) mod link;
pub mod mapping;
pub mod publish;
pub mod push;
pub mod stock_import;
pub mod stock_sync;
