//! The shop's changing data: catalogue, customers, sales documents and stock, as Magento
//! renders them. Routes read it under a shared lock; writes and the control API take the
//! exclusive one for one whole operation, so every operation is atomic.

use serde_json::Value;

use crate::seed::Seed;

pub(crate) struct Shop {
    pub products: Vec<Value>,
    pub category_tree: Value,
    pub categories: Vec<Value>,
    pub customers: Vec<Value>,
    pub orders: Vec<Value>,
    pub invoices: Vec<Value>,
    pub creditmemos: Vec<Value>,
    pub shipments: Vec<Value>,
    pub inventory: Inventory,
}

/// MSI source items and legacy stock items.
pub(crate) struct Inventory {
    pub source_items: Vec<Value>,
    /// `{"sku": …, "item": <stock item>}`, one per product that carries stock (a
    /// composite gets one when its stock item is first written).
    pub stock_items: Vec<Value>,
}

impl Shop {
    /// Takes the changing collections out of the seed.
    pub fn from_seed(seed: &mut Seed) -> Self {
        Self {
            products: std::mem::take(&mut seed.products),
            category_tree: seed.category_tree.take(),
            categories: std::mem::take(&mut seed.categories),
            customers: std::mem::take(&mut seed.customers),
            orders: std::mem::take(&mut seed.orders),
            invoices: std::mem::take(&mut seed.invoices),
            creditmemos: std::mem::take(&mut seed.creditmemos),
            shipments: std::mem::take(&mut seed.shipments),
            inventory: Inventory {
                source_items: std::mem::take(&mut seed.source_items),
                stock_items: std::mem::take(&mut seed.stock_items),
            },
        }
    }
}
