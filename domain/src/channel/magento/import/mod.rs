//! Importers: what Magento has, brought into the ledger (downloads, orders and the
//! stock import). Each runs as a typed job and records one item per Magento entity.

pub mod customers;
pub mod orders;
pub mod products;
pub mod stock;
