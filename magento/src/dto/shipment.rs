//! Shipments (`GET /V1/shipment/{id}`, `GET /V1/shipments?searchCriteria…`), schema
//! `sales-data-shipment-interface`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::invoice::SalesComment;
use super::{
    decimal_or_zero, id_from_str_or_num, object_or_default, opt_bool_lenient, opt_datetime_lenient,
    opt_decimal_from_str_or_num, opt_id_from_str_or_num, opt_string_lenient, string_lenient,
    vec_lenient,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shipment {
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub entity_id: i64,
    #[serde(default, deserialize_with = "string_lenient")]
    pub increment_id: String,
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub order_id: i64,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub store_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub customer_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub billing_address_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub shipping_address_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub shipment_status: Option<i64>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub total_qty: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub total_weight: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub email_sent: Option<bool>,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub items: Vec<ShipmentItem>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub tracks: Vec<ShipmentTrack>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub comments: Vec<SalesComment>,
    #[serde(default, deserialize_with = "object_or_default")]
    pub extension_attributes: ShipmentExtension,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShipmentExtension {
    /// The MSI source the shipment deducted from.
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub source_code: Option<String>,
}

/// A shipped row, keyed to the order row by `order_item_id` (the configurable parent's
/// row for configurable lines).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShipmentItem {
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub entity_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub parent_id: Option<i64>,
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub order_item_id: i64,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub product_id: Option<i64>,
    #[serde(default, deserialize_with = "string_lenient")]
    pub sku: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub name: String,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub qty: Decimal,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub price: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub row_total: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub weight: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub additional_data: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShipmentTrack {
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub entity_id: Option<i64>,
    /// The shipment id.
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub parent_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub order_id: Option<i64>,
    #[serde(default, deserialize_with = "string_lenient")]
    pub track_number: String,
    /// What the customer sees (the carrier's name for `custom`).
    #[serde(default, deserialize_with = "string_lenient")]
    pub title: String,
    /// `ups`, `usps`, `fedex`, `dhl`, `custom`, or a store's own carrier code.
    #[serde(default, deserialize_with = "string_lenient")]
    pub carrier_code: String,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub qty: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub weight: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub updated_at: Option<DateTime<Utc>>,
}
