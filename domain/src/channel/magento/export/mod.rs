//! Exporters: what the ledger decides, written to Magento — listing products one by
//! one or in bulk, and pushing their stock (by job, and automatically on change).

pub mod bulk_listing;
pub mod publish;
pub mod stock_policy;
pub mod stock_push;
