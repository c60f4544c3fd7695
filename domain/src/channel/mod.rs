//! The sales channels the ledger is connected to. The ledger (`products`, `stock`,
//! `customers`, `sales`) knows none of them; a channel maps between its own wire format
//! and the ledger, and remembers which of its entities is which of our records.

pub mod magento;
