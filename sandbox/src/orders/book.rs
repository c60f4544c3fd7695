//! What the order operations keep beside the Magento-shaped rows: MSI reservations, SKU
//! indexes over the shop's collections and the id sequences. The indexes let placing
//! 50,000 orders cost a few hash look-ups per line instead of catalogue scans.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::stock_items::StockRow;

/// MSI's `inventory_reservation` table: one row per event, negative when an order holds
/// stock, positive when a shipment, cancellation or credit memo releases it.
#[derive(Default)]
pub(crate) struct Reservations {
    rows: Vec<Reservation>,
    /// Sum of `quantity` per lowercased SKU, kept with the rows so salable quantity costs
    /// one look-up.
    reserved: HashMap<String, Decimal>,
}

#[derive(Debug, Clone)]
pub(crate) struct Reservation {
    pub reservation_id: u64,
    pub stock_id: i64,
    pub sku: String,
    pub quantity: Decimal,
    /// MSI's JSON metadata string: `event_type`, `object_type`, `object_id`,
    /// `object_increment_id`.
    pub metadata: String,
}

/// Why a reservation was written, as MSI names its sales events.
#[derive(Clone, Copy)]
pub(crate) enum SalesEvent {
    OrderPlaced,
    ShipmentCreated,
    OrderCanceled,
    CreditmemoCreated,
}

impl SalesEvent {
    fn name(self) -> &'static str {
        match self {
            SalesEvent::OrderPlaced => "order_placed",
            SalesEvent::ShipmentCreated => "shipment_created",
            SalesEvent::OrderCanceled => "order_canceled",
            SalesEvent::CreditmemoCreated => "creditmemo_created",
        }
    }
}

impl Reservation {
    /// The row as MSI stores it, quantity as a JSON number.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "reservation_id": self.reservation_id,
            "stock_id": self.stock_id,
            "sku": self.sku,
            "quantity": super::money::number(self.quantity),
            "metadata": self.metadata,
        })
    }
}

impl Reservations {
    /// The reservations MSI would hold for orders that exist before any operation ran
    /// (the seeded ones): their units not yet shipped, canceled or refunded.
    pub fn for_orders(orders: &[Value]) -> Self {
        let mut reservations = Self::default();
        for order in orders {
            if matches!(
                order["state"].as_str(),
                Some("canceled" | "closed" | "complete")
            ) {
                continue;
            }
            let id = order["entity_id"].as_i64().unwrap_or_default();
            let increment = order["increment_id"].as_str().unwrap_or_default();
            for row in order["items"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                if super::state::carries_stock(row) {
                    let sku = row["sku"].as_str().unwrap_or_default();
                    let held = super::state::held(row);
                    reservations.append(sku, -held, SalesEvent::OrderPlaced, id, increment);
                }
            }
        }
        reservations
    }

    pub fn rows(&self) -> &[Reservation] {
        &self.rows
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// The sum of reservations for `sku` on the default stock (negative while held).
    pub fn reserved(&self, sku: &str) -> Decimal {
        self.reserved
            .get(&sku.to_lowercase())
            .copied()
            .unwrap_or_default()
    }

    pub fn append(
        &mut self,
        sku: &str,
        quantity: Decimal,
        event: SalesEvent,
        order_id: i64,
        increment_id: &str,
    ) {
        if quantity.is_zero() {
            return;
        }
        let metadata = serde_json::json!({
            "event_type": event.name(),
            "object_type": "order",
            "object_id": order_id.to_string(),
            "object_increment_id": increment_id,
        })
        .to_string();
        self.rows.push(Reservation {
            reservation_id: self.rows.len() as u64 + 1,
            stock_id: 1,
            sku: sku.to_owned(),
            quantity,
            metadata,
        });
        *self.reserved.entry(sku.to_lowercase()).or_default() += quantity;
    }

    /// Drops the rows appended after the first `len` (undoing a failed operation).
    pub fn truncate(&mut self, len: usize) {
        for row in self.rows.drain(len.min(self.rows.len())..) {
            if let Some(sum) = self.reserved.get_mut(&row.sku.to_lowercase()) {
                *sum -= row.quantity;
            }
        }
    }
}

/// A SKU → positions index over one of the shop's collections. Other writers (the catalog
/// routes, the control API) change those vectors without telling it, so every hit is
/// checked against the row and the index is rebuilt when the length changed or a hit is
/// stale.
#[derive(Default)]
struct SkuIndex {
    positions: HashMap<String, Vec<usize>>,
    built_for_len: Option<usize>,
}

fn row_sku<T>(row: &T, sku_of: fn(&T) -> &Value) -> Option<String> {
    sku_of(row).as_str().map(str::to_lowercase)
}

impl SkuIndex {
    fn rebuild<T>(&mut self, rows: &[T], sku_of: fn(&T) -> &Value) {
        self.positions.clear();
        for (position, row) in rows.iter().enumerate() {
            if let Some(sku) = row_sku(row, sku_of) {
                self.positions.entry(sku).or_default().push(position);
            }
        }
        self.built_for_len = Some(rows.len());
    }

    fn fresh_hits<T>(&self, rows: &[T], key: &str, sku_of: fn(&T) -> &Value) -> bool {
        self.positions.get(key).is_none_or(|hits| {
            hits.iter().all(|&i| {
                rows.get(i)
                    .and_then(|row| row_sku(row, sku_of))
                    .is_some_and(|s| s == key)
            })
        })
    }

    /// Positions of the rows with this SKU (case-insensitive, as Magento matches SKUs).
    fn find<T>(&mut self, rows: &[T], sku: &str, sku_of: fn(&T) -> &Value) -> Vec<usize> {
        let key = sku.to_lowercase();
        // A miss is checked too: a delete followed by a create keeps the length the same.
        if self.built_for_len != Some(rows.len())
            || !self.positions.contains_key(&key)
            || !self.fresh_hits(rows, &key, sku_of)
        {
            self.rebuild(rows, sku_of);
        }
        self.positions.get(&key).cloned().unwrap_or_default()
    }
}

fn plain_sku(row: &Value) -> &Value {
    &row["sku"]
}

fn stock_row_sku(row: &StockRow) -> &Value {
    &row.sku
}

/// A sequence that starts after the largest id already present (found once by `scan`).
#[derive(Default)]
pub(crate) struct Sequence(Option<i64>);

impl Sequence {
    pub fn next(&mut self, scan: impl FnOnce() -> i64) -> i64 {
        let next = self.0.unwrap_or_else(scan) + 1;
        self.0 = Some(next);
        next
    }

    /// The first of `count` consecutive ids.
    pub fn next_block(&mut self, count: i64, scan: impl FnOnce() -> i64) -> i64 {
        let first = self.next(scan);
        self.0 = Some(first + count.max(1) - 1);
        first
    }
}

/// The order operations' indexes and sequences.
#[derive(Default)]
pub(crate) struct Book {
    products: SkuIndex,
    source_items: SkuIndex,
    stock_items: SkuIndex,
    /// The numeric part of the last order increment id handed out.
    pub increment: Sequence,
    pub order_item: Sequence,
    pub invoice: Sequence,
    pub shipment: Sequence,
    pub creditmemo: Sequence,
    pub track: Sequence,
    pub comment: Sequence,
    pub invoice_item: Sequence,
    pub shipment_item: Sequence,
    pub creditmemo_item: Sequence,
    pub history: Sequence,
}

impl Book {
    /// The position of the product row with this SKU.
    pub fn product(&mut self, products: &[Value], sku: &str) -> Option<usize> {
        self.products
            .find(products, sku, plain_sku)
            .first()
            .copied()
    }

    /// Positions of the MSI source items of this SKU.
    pub fn source_items(&mut self, rows: &[Value], sku: &str) -> Vec<usize> {
        self.source_items.find(rows, sku, plain_sku)
    }

    /// Position of the written legacy stock item of this SKU.
    pub fn stock_item(&mut self, rows: &[StockRow], sku: &str) -> Option<usize> {
        self.stock_items
            .find(rows, sku, stock_row_sku)
            .first()
            .copied()
    }
}

/// The largest integer `field` of `rows` (or of each row's `nested` array), 0 if none.
pub(crate) fn max_id(rows: &[Value], nested: Option<&str>, field: &str) -> i64 {
    let id = |row: &Value| row[field].as_i64().unwrap_or(0);
    rows.iter()
        .map(|row| match nested {
            Some(name) => row[name]
                .as_array()
                .and_then(|inner| inner.iter().map(id).max())
                .unwrap_or(0),
            None => id(row),
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_sku_created_after_a_delete_is_found_though_the_length_is_unchanged() {
        let mut index = SkuIndex::default();
        let mut rows = vec![json!({"sku": "A"}), json!({"sku": "B"})];
        assert_eq!(index.find(&rows, "b", plain_sku), vec![1]);
        rows.remove(0);
        rows.push(json!({"sku": "C"}));
        assert_eq!(index.find(&rows, "C", plain_sku), vec![1]);
        assert_eq!(index.find(&rows, "B", plain_sku), vec![0]);
        assert!(index.find(&rows, "A", plain_sku).is_empty());
    }
}
