//! Stock: MSI source items (`GET /V1/inventory/source-items`) and the legacy
//! CatalogInventory stock item (`GET /V1/stockItems/{sku}`, `extension_attributes.stock_item`
//! of a product).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{
    decimal_or_zero, i64_or_zero, opt_bool_lenient, opt_datetime_lenient,
    opt_decimal_from_str_or_num, opt_id_from_str_or_num, string_lenient,
};

/// The quantity of one SKU at one MSI source. Serialises in the shape
/// `POST /V1/inventory/source-items` takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceItem {
    #[serde(deserialize_with = "string_lenient")]
    pub sku: String,
    #[serde(deserialize_with = "string_lenient")]
    pub source_code: String,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub quantity: Decimal,
    /// [`SourceItem::STATUS_IN_STOCK`] or [`SourceItem::STATUS_OUT_OF_STOCK`].
    #[serde(default, deserialize_with = "i64_or_zero")]
    pub status: i64,
}

impl SourceItem {
    pub const STATUS_OUT_OF_STOCK: i64 = 0;
    pub const STATUS_IN_STOCK: i64 = 1;

    pub fn is_in_stock(&self) -> bool {
        self.status == Self::STATUS_IN_STOCK
    }
}

/// Legacy stock item. Flags are `Option` because projections (`fields=`) and partial
/// payloads leave them out, and "unknown" must not read as "no".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockItem {
    /// The id `PUT /V1/products/{sku}/stockItems/{itemId}` needs.
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub item_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub product_id: Option<i64>,
    /// 1 is the default stock.
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub stock_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub qty: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub is_in_stock: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub is_qty_decimal: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub show_default_notification_message: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub use_config_min_qty: Option<bool>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub min_qty: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub use_config_min_sale_qty: Option<bool>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub min_sale_qty: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub use_config_max_sale_qty: Option<bool>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub max_sale_qty: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub use_config_backorders: Option<bool>,
    /// 0 no backorders, 1 allow qty below 0, 2 allow and notify the customer.
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub backorders: Option<i64>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub use_config_notify_stock_qty: Option<bool>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub notify_stock_qty: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub use_config_qty_increments: Option<bool>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub qty_increments: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub use_config_enable_qty_inc: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub enable_qty_increments: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub use_config_manage_stock: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub manage_stock: Option<bool>,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub low_stock_date: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub is_decimal_divided: Option<bool>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub stock_status_changed_auto: Option<i64>,
}

impl StockItem {
    /// Whether Magento tracks this item's quantity: the item's own `manage_stock` unless it
    /// follows the store configuration (`use_config_manage_stock`, the default when
    /// absent), whose value the caller passes in (Magento's default is yes).
    pub fn manages_stock(&self, config_manage_stock: bool) -> bool {
        if self.use_config_manage_stock.unwrap_or(true) {
            config_manage_stock
        } else {
            self.manage_stock.unwrap_or(config_manage_stock)
        }
    }
}
