//! The shop's changing data: catalogue, customers, sales documents and stock, as Magento
//! renders them (placed orders and default stock items kept compact until written, see
//! `crate::sales` and `crate::stock_items`). Routes read it under a shared lock; writes and the control API take the
//! exclusive one for one whole operation, so every operation is atomic.

use serde_json::Value;

use crate::sales::SalesRows;
use crate::seed::Seed;

pub(crate) struct Shop {
    /// Added through [`Shop::add_products`], which keeps `products_in_id_order` true.
    pub products: Vec<Value>,
    /// Whether `products` is in ascending id order (every catalogue write appends a new,
    /// higher id), so a search by id can slice or binary-search instead of sorting: known
    /// here rather than checked per request, which cost a walk of the whole catalogue.
    pub products_in_id_order: bool,
    pub category_tree: Value,
    pub categories: Vec<Value>,
    pub customers: Vec<Value>,
    /// The sales documents, indexed for search (see `crate::sales`).
    pub orders: SalesRows,
    pub invoices: SalesRows,
    pub creditmemos: SalesRows,
    pub shipments: SalesRows,
    pub inventory: Inventory,
    /// What happened to orders and credit memos, in order: the outbound notifier tails
    /// this log (a Magento module observing `sales_order_save_after` and friends).
    pub events: Vec<ShopEvent>,
    /// MSI reservations written by the order operations (`crate::orders`).
    pub reservations: crate::orders::Reservations,
    /// The order operations' SKU indexes and id sequences.
    pub book: crate::orders::Book,
    /// Product values written at one store view only (not at `all`).
    pub store_view_values: crate::catalog::StoreViewValues,
    /// Product attributes with their select options (options can be added).
    pub attributes: Vec<Value>,
    /// The media folder's own files: uploaded images and the media library.
    pub media: crate::media::MediaFolder,
}

/// One notification-worthy change, as the merchant's Magento module would queue it.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct ShopEvent {
    /// Position in the log, from 1; also the notification's `event_id` suffix.
    pub sequence: u64,
    /// `order.created`, `order.updated`, `order.canceled` or `creditmemo.created`.
    pub event: &'static str,
    /// `order` or `creditmemo`.
    pub entity_type: &'static str,
    pub entity_id: i64,
    pub increment_id: String,
    /// The order's store view.
    pub store_id: i64,
    /// `YYYY-MM-DD HH:MM:SS`, UTC, as Magento writes `updated_at`.
    pub updated_at: String,
}

/// MSI source items and legacy stock items.
pub(crate) struct Inventory {
    pub source_items: Vec<Value>,
    /// One per product that carries stock (a composite gets one when its stock item is
    /// first written).
    pub stock_items: Vec<crate::stock_items::StockRow>,
}

impl Shop {
    /// Takes the changing collections out of the seed.
    pub fn from_seed(seed: &mut Seed) -> Self {
        // The seeded open orders hold stock like any placed order.
        let reservations = crate::orders::Reservations::for_orders(&seed.orders);
        let products = std::mem::take(&mut seed.products);
        Self {
            products_in_id_order: in_id_order(&products),
            products,
            category_tree: seed.category_tree.take(),
            categories: std::mem::take(&mut seed.categories),
            customers: std::mem::take(&mut seed.customers),
            orders: std::mem::take(&mut seed.orders).into(),
            invoices: std::mem::take(&mut seed.invoices).into(),
            creditmemos: std::mem::take(&mut seed.creditmemos).into(),
            shipments: std::mem::take(&mut seed.shipments).into(),
            inventory: Inventory {
                source_items: std::mem::take(&mut seed.source_items),
                stock_items: crate::stock_items::from_rows(std::mem::take(&mut seed.stock_items)),
            },
            events: Vec::new(),
            reservations,
            book: crate::orders::Book::default(),
            store_view_values: Default::default(),
            attributes: crate::attributes::seed(),
            media: crate::media::library(),
        }
    }

    /// Appends products to the catalogue, noting when one breaks the id order.
    pub fn add_products(&mut self, rows: impl IntoIterator<Item = Value>) {
        for row in rows {
            let id = row["id"].as_i64();
            if self
                .products
                .last()
                .is_some_and(|last| last["id"].as_i64() >= id)
            {
                self.products_in_id_order = false;
            }
            self.products.push(row);
        }
    }

    /// Appends an event to the log; the caller wakes the notifier after releasing the lock.
    pub fn record_event(
        &mut self,
        event: &'static str,
        entity_type: &'static str,
        entity_id: i64,
        increment_id: String,
        store_id: i64,
        updated_at: String,
    ) {
        let sequence = self.events.len() as u64 + 1;
        self.events.push(ShopEvent {
            sequence,
            event,
            entity_type,
            entity_id,
            increment_id,
            store_id,
            updated_at,
        });
    }
}

/// Whether every product's id is higher than the one before it.
fn in_id_order(products: &[Value]) -> bool {
    products
        .windows(2)
        .all(|pair| pair[0]["id"].as_i64() < pair[1]["id"].as_i64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_catalogue_knows_whether_its_ids_still_ascend() {
        let mut seed = crate::seed::seed("http://sandbox.test", chrono::Utc::now());
        let mut shop = Shop::from_seed(&mut seed);
        assert!(shop.products_in_id_order, "the seeded catalogue ascends");
        let next = shop
            .products
            .iter()
            .filter_map(|p| p["id"].as_i64())
            .max()
            .unwrap_or(0)
            + 1;
        shop.add_products([json!({ "id": next, "sku": "NEW" })]);
        assert!(
            shop.products_in_id_order,
            "a new, higher id keeps the order"
        );
        shop.add_products([json!({ "id": 1, "sku": "OLD-ID" })]);
        assert!(!shop.products_in_id_order, "a lower id breaks it");
    }
}
