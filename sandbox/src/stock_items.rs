//! Legacy stock items, one per stock-carrying product. A generated catalogue's items are
//! Magento's defaults but for the product id, quantity and stock status; as 25-key
//! `Value`s they cost ~4 KB each, so those three are all that is kept until an item is
//! written.

use std::borrow::Cow;
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::seed::stock_item;

/// A SKU's stock item.
#[derive(Debug, Clone)]
pub(crate) struct StockRow {
    pub sku: Value,
    /// `(product_id, qty, in_stock)` of `seed::stock_item`, while nothing wrote the item.
    default: (i64, i64, bool),
    written: Option<Value>,
}

impl StockRow {
    /// The default item of a product.
    pub fn default_item(sku: &str, product_id: i64, qty: i64, in_stock: bool) -> Self {
        Self {
            sku: Value::from(sku),
            default: (product_id, qty, in_stock),
            written: None,
        }
    }

    pub fn new(sku: Value, item: Value) -> Self {
        Self {
            sku,
            default: (0, 0, false),
            written: Some(item),
        }
    }

    /// The item as Magento renders it.
    pub fn item(&self) -> Cow<'_, Value> {
        match &self.written {
            Some(item) => Cow::Borrowed(item),
            None => {
                let (product_id, qty, in_stock) = self.default;
                Cow::Owned(stock_item(product_id, qty, in_stock))
            }
        }
    }

    /// `(manage_stock, backorders allowed)` of the item (`None` when it is no object),
    /// without rendering a default one.
    pub fn settings(&self) -> Option<(bool, bool)> {
        static DEFAULT: OnceLock<Option<(bool, bool)>> = OnceLock::new();
        match &self.written {
            Some(item) => settings_of(item),
            None => *DEFAULT.get_or_init(|| settings_of(&stock_item(0, 0, true))),
        }
    }

    /// The item for writing (rendered and kept from then on).
    pub fn item_mut(&mut self) -> &mut Value {
        let (product_id, qty, in_stock) = self.default;
        self.written
            .get_or_insert_with(|| stock_item(product_id, qty, in_stock))
    }
}

/// `(manage_stock, backorders allowed)` of a stock item, as the order operations read
/// them; `None` when it is no object.
pub(crate) fn settings_of(item: &Value) -> Option<(bool, bool)> {
    if !item.is_object() {
        return None;
    }
    let manage = item["manage_stock"] != false && item["manage_stock"] != 0;
    let backorders = item["backorders"].as_i64().unwrap_or_default() > 0;
    Some((manage, backorders))
}

/// The row as the shop's JSON shape `{"sku", "item"}`.
impl serde::Serialize for StockRow {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        json!({ "sku": self.sku, "item": self.item() }).serialize(serializer)
    }
}

/// The seed's `{"sku", "item"}` rows.
pub(crate) fn from_rows(rows: Vec<Value>) -> Vec<StockRow> {
    rows.into_iter()
        .map(|mut row| StockRow::new(row["sku"].take(), row["item"].take()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_item_renders_and_serialises_as_the_full_item_until_written() {
        let mut row = StockRow::default_item("MUG", 7, 12, true);
        assert_eq!(*row.item(), stock_item(7, 12, true));
        assert_eq!(
            serde_json::to_value(&row).ok(),
            Some(json!({"sku": "MUG", "item": stock_item(7, 12, true)}))
        );
        assert_eq!(row.settings(), Some((true, false)));
        row.item_mut()["qty"] = json!(3);
        row.item_mut()["backorders"] = json!(1);
        assert_eq!(row.settings(), Some((true, true)));
        assert_eq!(row.item()["qty"], 3);
        assert_eq!(row.item()["manage_stock"], true);
    }
}
