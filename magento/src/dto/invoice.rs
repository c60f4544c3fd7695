//! Invoices (`GET /V1/invoices/{id}`, `GET /V1/invoices?searchCriteria…`), schema
//! `sales-data-invoice-interface`; also the comment shape shared by invoices, credit memos
//! and shipments.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{
    decimal_or_zero, id_from_str_or_num, opt_bool_lenient, opt_coded, opt_datetime_lenient,
    opt_decimal_from_str_or_num, opt_id_from_str_or_num, opt_string_lenient, opt_text_lenient,
    string_lenient, vec_lenient,
};

int_coded_enum! {
    /// Invoice `state`.
    InvoiceState, "an invoice state" {
        /// 1: pending (not captured yet).
        Open = 1,
        /// 2
        Paid = 2,
        /// 3
        Canceled = 3,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub entity_id: i64,
    #[serde(default, deserialize_with = "string_lenient")]
    pub increment_id: String,
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub order_id: i64,
    #[serde(default, deserialize_with = "opt_coded")]
    pub state: Option<InvoiceState>,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub store_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub billing_address_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub shipping_address_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub base_currency_code: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub order_currency_code: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub global_currency_code: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub store_currency_code: Option<String>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub base_to_global_rate: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub base_to_order_rate: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub store_to_base_rate: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub store_to_order_rate: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub subtotal: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_subtotal: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub subtotal_incl_tax: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_subtotal_incl_tax: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub tax_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_tax_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_incl_tax: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_incl_tax: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_tax_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_tax_amount: Decimal,
    /// Negative, as on the order.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_discount_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_tax_compensation_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_discount_tax_compensation_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_discount_tax_compensation_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_discount_tax_compensation_amnt: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub grand_total: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_grand_total: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_total_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub total_qty: Decimal,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub discount_description: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub transaction_id: Option<String>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub can_void_flag: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub email_sent: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub is_used_for_refund: Option<bool>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub items: Vec<InvoiceItem>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub comments: Vec<SalesComment>,
}

/// An invoice row.
pub type InvoiceItem = DocumentItem;

/// A row of an invoice or a credit memo (Magento's two row types carry the same fields),
/// keyed to the order row by `order_item_id`. Configurable lines are expected as parent
/// and child rows, like on the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentItem {
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
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub price: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_price: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub row_total: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_row_total: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub tax_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_tax_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_discount_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_tax_compensation_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_discount_tax_compensation_amount: Decimal,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub price_incl_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub base_price_incl_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub row_total_incl_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub base_row_total_incl_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub base_cost: Option<Decimal>,
    /// A JSON document inside a string (`"[]"`), kept as sent; see
    /// [`DocumentItem::weee_taxes`].
    #[serde(default, deserialize_with = "opt_text_lenient")]
    pub weee_tax_applied: Option<String>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub weee_tax_applied_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub base_weee_tax_applied_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub weee_tax_applied_row_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub base_weee_tax_applied_row_amnt: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub weee_tax_disposition: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub base_weee_tax_disposition: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub weee_tax_row_disposition: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub base_weee_tax_row_disposition: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub additional_data: Option<String>,
}

impl DocumentItem {
    /// `weee_tax_applied` parsed; `None` when absent or not JSON.
    pub fn weee_taxes(&self) -> Option<serde_json::Value> {
        serde_json::from_str(self.weee_tax_applied.as_deref()?).ok()
    }
}

/// A comment on an invoice, credit memo or shipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SalesComment {
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub entity_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub parent_id: Option<i64>,
    #[serde(default, deserialize_with = "string_lenient")]
    pub comment: String,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub is_customer_notified: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub is_visible_on_front: Option<bool>,
}
