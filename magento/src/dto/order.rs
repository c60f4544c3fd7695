//! Orders (`GET /V1/orders/{id}`, `GET /V1/orders?searchCriteria…`), schema
//! `sales-data-order-interface` and `sales-data-order-item-interface`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::product::ProductType;
use super::{
    decimal_or_zero, id_from_str_or_num, object_or_default, opt_bool_lenient, opt_coded,
    opt_datetime_lenient, opt_decimal_from_str_or_num, opt_id_from_str_or_num, opt_object,
    opt_string_lenient, opt_text_lenient, string_lenient, text_lenient, vec_ids_lenient,
    vec_lenient, vec_strings_lenient,
};

str_coded_enum! {
    /// The fixed order states (statuses are merchant-defined labels mapped onto them).
    OrderState, "an order state" {
        New = "new",
        PendingPayment = "pending_payment",
        Processing = "processing",
        Complete = "complete",
        Closed = "closed",
        Canceled = "canceled",
        /// On hold.
        Holded = "holded",
        PaymentReview = "payment_review",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// The id of `GET /V1/orders/{id}`.
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub entity_id: i64,
    /// The customer-facing number (`"000000042"`, `"000000042-1"` after an admin edit).
    #[serde(deserialize_with = "string_lenient")]
    pub increment_id: String,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub quote_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub store_id: Option<i64>,
    /// `"Main Website\nMain Website Store\nDefault Store View"`.
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub store_name: Option<String>,
    /// Drive logic from the state; the status is the merchant's label for it.
    #[serde(default, deserialize_with = "opt_coded")]
    pub state: Option<OrderState>,
    #[serde(default, deserialize_with = "string_lenient")]
    pub status: String,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Absent for guest orders (and when the customer account was deleted).
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub customer_id: Option<i64>,
    /// `1` for guest checkouts.
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub customer_is_guest: Option<bool>,
    #[serde(default, deserialize_with = "string_lenient")]
    pub customer_email: String,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub customer_firstname: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub customer_lastname: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub customer_middlename: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub customer_prefix: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub customer_suffix: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub customer_dob: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub customer_taxvat: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub customer_note: Option<String>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub customer_group_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub customer_gender: Option<i64>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub customer_note_notify: Option<bool>,
    /// Website base currency: what `base_*` amounts are in.
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub base_currency_code: Option<String>,
    /// What the customer paid in: what unprefixed amounts are in.
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
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub coupon_code: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub discount_description: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub applied_rule_ids: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub shipping_description: Option<String>,
    // ---- totals in the order currency; `discount_amount` is negative at order level.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub subtotal: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub subtotal_incl_tax: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub subtotal_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub subtotal_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub subtotal_canceled: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_canceled: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_incl_tax: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_tax_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_discount_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_canceled: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_tax_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_discount_tax_compensation_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub tax_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub tax_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub tax_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub tax_canceled: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_tax_compensation_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_tax_compensation_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_tax_compensation_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub grand_total: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub total_paid: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub total_due: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub total_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub total_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub total_offline_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub total_online_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub total_canceled: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub adjustment_positive: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub adjustment_negative: Decimal,
    // ---- the same in the base currency.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_subtotal: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_subtotal_incl_tax: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_subtotal_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_subtotal_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_subtotal_canceled: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_discount_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_discount_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_discount_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_discount_canceled: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_incl_tax: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_tax_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_discount_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_canceled: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_tax_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_discount_tax_compensation_amnt: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_tax_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_tax_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_tax_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_tax_canceled: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_discount_tax_compensation_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_discount_tax_compensation_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_discount_tax_compensation_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_grand_total: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_total_paid: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_total_due: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_total_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_total_invoiced_cost: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_total_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_total_offline_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_total_online_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_total_canceled: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_adjustment_positive: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_adjustment_negative: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub total_qty_ordered: Decimal,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub base_total_qty_ordered: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub payment_authorization_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub weight: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub total_item_count: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub billing_address_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub quote_address_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub edit_increment: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub payment_auth_expiration: Option<i64>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub is_virtual: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub email_sent: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub can_ship_partially: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub can_ship_partially_item: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub forced_shipment_with_invoice: Option<bool>,
    /// Admin "edit order" chain: the order this one replaced (entity id as a string) …
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub relation_parent_id: Option<String>,
    /// … and its increment id.
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub relation_parent_real_id: Option<String>,
    /// The order that replaced this one (set on the cancelled original).
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub relation_child_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub relation_child_real_id: Option<String>,
    /// The first increment id of the chain (`"000000042"` for `"000000042-2"`).
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub original_increment_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub hold_before_state: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub hold_before_status: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub ext_order_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub ext_customer_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub remote_ip: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub x_forwarded_for: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub protect_code: Option<String>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub items: Vec<OrderItem>,
    #[serde(default, deserialize_with = "opt_object")]
    pub billing_address: Option<OrderAddress>,
    #[serde(default, deserialize_with = "opt_object")]
    pub payment: Option<OrderPayment>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub status_histories: Vec<OrderStatusHistory>,
    #[serde(default, deserialize_with = "object_or_default")]
    pub extension_attributes: OrderExtension,
}

/// An order row. A configurable or bundle line is a parent row (prices, tax, discount,
/// `product_option`) plus child rows (`parent_item_id` set, a full copy of the parent in
/// `parent_item`): for a configurable the child has the parent's `sku`, its own
/// `product_id`, the parent's `price` but zero `base_price`/`row_total` and no
/// `price_incl_tax`. Never sum child rows into totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderItem {
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub item_id: i64,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub order_id: Option<i64>,
    /// The row this one belongs to (configurable or bundle parent); absent on top-level rows.
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub parent_item_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub quote_item_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub product_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub store_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_coded")]
    pub product_type: Option<ProductType>,
    #[serde(deserialize_with = "string_lenient")]
    pub sku: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub name: String,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub applied_rule_ids: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub additional_data: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub ext_order_item_id: Option<String>,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub qty_ordered: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub qty_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub qty_shipped: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub qty_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub qty_canceled: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub qty_backordered: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub qty_returned: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub price: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_price: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub original_price: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_original_price: Decimal,
    /// Absent on configurable child rows.
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub price_incl_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub base_price_incl_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub row_total_incl_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub base_row_total_incl_tax: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub row_total: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_row_total: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub row_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_row_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub tax_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_tax_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub tax_percent: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub tax_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_tax_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub tax_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_tax_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub tax_canceled: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub tax_before_discount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_tax_before_discount: Decimal,
    /// Positive at item level (the order-level `discount_amount` is negative).
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_discount_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_percent: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_discount_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_discount_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_tax_compensation_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_discount_tax_compensation_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_tax_compensation_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_discount_tax_compensation_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_tax_compensation_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_discount_tax_compensation_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub discount_tax_compensation_canceled: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub amount_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_amount_refunded: Decimal,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub base_cost: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub weight: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub row_weight: Option<Decimal>,
    /// WEEE (fixed product tax) applied, a JSON document inside a string.
    #[serde(default, deserialize_with = "opt_text_lenient")]
    pub weee_tax_applied: Option<String>,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub weee_tax_applied_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub weee_tax_applied_row_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub weee_tax_disposition: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub weee_tax_row_disposition: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_weee_tax_applied_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_weee_tax_applied_row_amnt: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_weee_tax_disposition: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_weee_tax_row_disposition: Decimal,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub is_virtual: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub is_qty_decimal: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub free_shipping: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub no_discount: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub locked_do_invoice: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub locked_do_ship: Option<bool>,
    /// A copy of the parent row, on child rows.
    #[serde(default, deserialize_with = "opt_object")]
    pub parent_item: Option<Box<OrderItem>>,
    #[serde(default, deserialize_with = "opt_object")]
    pub product_option: Option<ProductOption>,
    #[serde(default, deserialize_with = "object_or_default")]
    pub extension_attributes: OrderItemExtension,
}

/// What says which order it is and where it stands, read on its own: a receiver can
/// still file an order whose lines or addresses do not decode (and say why).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OrderHeader {
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub entity_id: i64,
    #[serde(default, deserialize_with = "string_lenient")]
    pub increment_id: String,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub store_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_coded")]
    pub state: Option<OrderState>,
    #[serde(default, deserialize_with = "string_lenient")]
    pub status: String,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub grand_total: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub total_paid: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub total_invoiced: Decimal,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub order_currency_code: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub base_currency_code: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub relation_parent_id: Option<String>,
}

impl OrderHeader {
    /// See [`Order::edited_from`].
    pub fn edited_from(&self) -> Option<i64> {
        entity_id_text(self.relation_parent_id.as_deref())
    }
}

/// An entity id Magento sends as text (`relation_parent_id`); `None` when absent or 0.
fn entity_id_text(text: Option<&str>) -> Option<i64> {
    text?.trim().parse::<i64>().ok().filter(|id| *id > 0)
}

impl Order {
    /// `customer_is_guest` is set, or there is no `customer_id` to link the order to.
    pub fn is_guest(&self) -> bool {
        self.customer_is_guest == Some(true) || self.customer_id.is_none()
    }

    /// The entity id of the order an admin edit replaced (`relation_parent_id`, sent as a
    /// string); `None` for an order that is not an edit.
    pub fn edited_from(&self) -> Option<i64> {
        entity_id_text(self.relation_parent_id.as_deref())
    }

    /// The shipping address of the first shipping assignment that has one; `None` for
    /// virtual orders.
    pub fn shipping_address(&self) -> Option<&OrderAddress> {
        self.extension_attributes
            .shipping_assignments
            .iter()
            .find_map(|assignment| assignment.shipping.address.as_ref())
    }

    /// The shipping method code (`carrier_method`, e.g. `flatrate_flatrate`).
    pub fn shipping_method(&self) -> Option<&str> {
        self.extension_attributes
            .shipping_assignments
            .iter()
            .filter_map(|assignment| assignment.shipping.method.as_deref())
            .map(str::trim)
            .find(|method| !method.is_empty())
    }

    /// Rows without a parent: what the customer bought and paid for (money lives here).
    pub fn top_level_items(&self) -> Vec<&OrderItem> {
        self.items
            .iter()
            .filter(|item| item.parent_item_id.is_none())
            .collect()
    }

    /// Rows whose product carries stock: children of configurables and bundles, and
    /// standalone simple, virtual and downloadable rows. A configurable or bundle parent is
    /// never one; a child whose parent is of another type counts when its own type carries
    /// stock. A member of a grouped product is ordered as a standalone row typed `grouped`
    /// (Magento copies the group's type onto it) that holds the member's own `product_id`
    /// and `sku`, so it counts too. Reach a child's parent price through
    /// [`Order::parent_of`].
    pub fn fulfilment_items(&self) -> Vec<&OrderItem> {
        self.items
            .iter()
            .filter(|item| {
                let own = item.product_type.as_ref();
                let own_carries_stock = own.is_some_and(ProductType::carries_stock);
                if item.parent_item_id.is_none() {
                    // Configurable and bundle parents are top-level rows: never counted.
                    return own_carries_stock || own == Some(&ProductType::Grouped);
                }
                let parent_type = self.parent_of(item).and_then(|p| p.product_type.as_ref());
                matches!(
                    parent_type,
                    Some(ProductType::Configurable | ProductType::Bundle)
                ) || own_carries_stock
            })
            .collect()
    }

    /// The parent row of a child row: the row of `items` with its `parent_item_id`, else
    /// the embedded `parent_item` copy.
    pub fn parent_of<'a>(&'a self, item: &'a OrderItem) -> Option<&'a OrderItem> {
        let parent_id = item.parent_item_id?;
        self.items
            .iter()
            .find(|candidate| candidate.item_id == parent_id)
            .or(item.parent_item.as_deref())
    }

    /// The rows below a parent row.
    pub fn children_of(&self, parent: &OrderItem) -> Vec<&OrderItem> {
        self.items
            .iter()
            .filter(|item| item.parent_item_id == Some(parent.item_id))
            .collect()
    }

    /// The payment method's title at checkout: `payment_additional_info` `method_title`,
    /// else `payment.additional_information[0]` when it reads like a title (offline methods
    /// put it there, gateways put tokens or JSON there).
    pub fn payment_method_title(&self) -> Option<&str> {
        let checkout_title = self
            .extension_attributes
            .payment_additional_info
            .iter()
            .find(|info| info.key == "method_title")
            .map(|info| info.value.trim())
            .filter(|title| !title.is_empty());
        checkout_title.or_else(|| {
            self.payment
                .as_ref()?
                .additional_information
                .first()
                .map(|first| first.trim())
                .filter(|first| looks_like_title(first))
        })
    }
}

/// Offline methods store their title in `additional_information[0]`; gateways store
/// tokens, JSON or ids there, which must not become a title.
fn looks_like_title(text: &str) -> bool {
    !text.is_empty()
        && text.chars().count() <= 80
        && text.chars().any(char::is_alphabetic)
        && !text.contains(['{', '}', '[', ']', '<', '>', '=', '|', '\\'])
        && !text.starts_with("http")
        && (text.contains(' ') || text.chars().next().is_some_and(char::is_uppercase))
}

impl OrderItem {
    /// Whether this is a child row (of a configurable or bundle parent).
    pub fn is_child(&self) -> bool {
        self.parent_item_id.is_some()
    }

    /// The embedded copy of the parent row (child rows only).
    pub fn parent(&self) -> Option<&OrderItem> {
        self.parent_item.as_deref()
    }

    /// The chosen super-attribute values of a configurable row.
    pub fn configurable_options(&self) -> &[ConfigurableItemOption] {
        self.product_option
            .as_ref()
            .map(|option| {
                option
                    .extension_attributes
                    .configurable_item_options
                    .as_slice()
            })
            .unwrap_or_default()
    }

    /// The chosen selections of a bundle parent row.
    pub fn bundle_options(&self) -> &[BundleItemOption] {
        self.product_option
            .as_ref()
            .map(|option| option.extension_attributes.bundle_options.as_slice())
            .unwrap_or_default()
    }

    /// Ordered minus canceled and refunded: what may still need stock.
    pub fn qty_open(&self) -> Decimal {
        self.qty_ordered - self.qty_canceled - self.qty_refunded
    }
}

/// A billing or shipping address of an order (a copy; `customer_address_id` points at the
/// address book entry it came from, if any).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderAddress {
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub entity_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub parent_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub customer_address_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub customer_id: Option<i64>,
    /// `billing` or `shipping`.
    #[serde(default, deserialize_with = "string_lenient")]
    pub address_type: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub firstname: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub lastname: String,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub middlename: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub prefix: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub suffix: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub company: Option<String>,
    #[serde(default, deserialize_with = "vec_strings_lenient")]
    pub street: Vec<String>,
    #[serde(default, deserialize_with = "string_lenient")]
    pub city: String,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub region: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub region_code: Option<String>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub region_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub postcode: Option<String>,
    #[serde(default, deserialize_with = "string_lenient")]
    pub country_id: String,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub telephone: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub fax: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub vat_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderPayment {
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub entity_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub parent_id: Option<i64>,
    /// The payment method code (`checkmo`, `banktransfer`, `braintree`, …).
    #[serde(default, deserialize_with = "string_lenient")]
    pub method: String,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub amount_ordered: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_amount_ordered: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub amount_authorized: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_amount_authorized: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub amount_paid: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_amount_paid: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub amount_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_amount_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub amount_canceled: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_amount_canceled: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_captured: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_captured: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_refunded: Decimal,
    /// Free-form strings; offline methods put their title first, gateways tokens or JSON.
    #[serde(default, deserialize_with = "vec_strings_lenient")]
    pub additional_information: Vec<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub additional_data: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub account_status: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub cc_last4: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub cc_type: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub cc_owner: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub cc_exp_month: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub cc_exp_year: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub cc_trans_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub cc_approval: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub last_trans_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub po_number: Option<String>,
}

/// Shipping totals of a shipping assignment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShippingTotal {
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
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_discount_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_discount_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_discount_tax_compensation_amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_discount_tax_compensation_amnt: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_invoiced: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_tax_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_tax_refunded: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub shipping_canceled: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_shipping_canceled: Decimal,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderExtension {
    /// Where the shipping address and method live (not at the top level).
    #[serde(default, deserialize_with = "vec_lenient")]
    pub shipping_assignments: Vec<ShippingAssignment>,
    /// `[{key, value}]`, e.g. `method_title`.
    #[serde(default, deserialize_with = "vec_lenient")]
    pub payment_additional_info: Vec<PaymentAdditionalInfo>,
    /// Order-level tax summary per rate.
    #[serde(default, deserialize_with = "vec_lenient")]
    pub applied_taxes: Vec<AppliedTax>,
    /// Taxes per item (and per shipping, `type: "shipping"`).
    #[serde(default, deserialize_with = "vec_lenient")]
    pub item_applied_taxes: Vec<ItemAppliedTax>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub converting_from_quote: Option<bool>,
    #[serde(default, deserialize_with = "opt_object")]
    pub gift_message: Option<GiftMessage>,
    /// In-store pickup (MSI) location.
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub pickup_location_code: Option<String>,
    #[serde(default, deserialize_with = "vec_strings_lenient")]
    pub coupon_codes: Vec<String>,
    // ---- Adobe Commerce: store credit, gift cards and reward points paid part of the order.
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub customer_balance_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub base_customer_balance_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub gift_cards_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub base_gift_cards_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub reward_currency_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub base_reward_currency_amount: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderStatusHistory {
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub entity_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub parent_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub created_at: Option<DateTime<Utc>>,
    /// `order`, `invoice`, `shipment`, `creditmemo`.
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub entity_name: Option<String>,
    /// `null` when notification did not apply.
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub is_customer_notified: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub is_visible_on_front: Option<bool>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub status: Option<String>,
}

/// The chosen options of an order row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductOption {
    #[serde(default, deserialize_with = "object_or_default")]
    pub extension_attributes: ProductOptionExtension,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductOptionExtension {
    #[serde(default, deserialize_with = "vec_lenient")]
    pub custom_options: Vec<CustomOptionSelection>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub bundle_options: Vec<BundleItemOption>,
    #[serde(default, deserialize_with = "opt_object")]
    pub downloadable_option: Option<DownloadableItemOption>,
    #[serde(default, deserialize_with = "opt_object")]
    pub giftcard_item_option: Option<GiftCardItemOption>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub configurable_item_options: Vec<ConfigurableItemOption>,
}

/// A super attribute and the value chosen for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigurableItemOption {
    /// The attribute id; a string on the wire (`"152"`).
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub option_id: i64,
    /// The attribute option id.
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub option_value: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleItemOption {
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub option_id: i64,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub option_qty: Decimal,
    /// Selection ids (`BundleLink::id`).
    #[serde(default, deserialize_with = "vec_ids_lenient")]
    pub option_selections: Vec<i64>,
}

/// A custom option and its value as text (a file option's value is JSON inside).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomOptionSelection {
    #[serde(default, deserialize_with = "text_lenient")]
    pub option_id: String,
    #[serde(default, deserialize_with = "text_lenient")]
    pub option_value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DownloadableItemOption {
    #[serde(default, deserialize_with = "vec_ids_lenient")]
    pub downloadable_links: Vec<i64>,
}

/// Adobe Commerce gift card details of an order row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GiftCardItemOption {
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub giftcard_amount: Option<String>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub custom_giftcard_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub giftcard_sender_name: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub giftcard_sender_email: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub giftcard_recipient_name: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub giftcard_recipient_email: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub giftcard_message: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderItemExtension {
    #[serde(default, deserialize_with = "opt_object")]
    pub gift_message: Option<GiftMessage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShippingAssignment {
    #[serde(default, deserialize_with = "object_or_default")]
    pub shipping: ShippingInfo,
    /// The order rows shipped to this address (repeats `items`).
    #[serde(default, deserialize_with = "vec_lenient")]
    pub items: Vec<OrderItem>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub stock_id: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShippingInfo {
    /// Absent for virtual orders.
    #[serde(default, deserialize_with = "opt_object")]
    pub address: Option<OrderAddress>,
    /// `carrier_method`, e.g. `tablerate_bestway`.
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub method: Option<String>,
    #[serde(default, deserialize_with = "opt_object")]
    pub total: Option<ShippingTotal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentAdditionalInfo {
    #[serde(default, deserialize_with = "string_lenient")]
    pub key: String,
    /// Text; a value a module sends as JSON is kept as its JSON text.
    #[serde(default, deserialize_with = "text_lenient")]
    pub value: String,
}

/// A tax rate applied to the order (or to one item in [`ItemAppliedTax`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppliedTax {
    #[serde(default, deserialize_with = "string_lenient")]
    pub code: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub title: String,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub percent: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub amount: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemAppliedTax {
    /// `product`, `shipping`, `weee`, …
    #[serde(rename = "type", default, deserialize_with = "opt_string_lenient")]
    pub tax_type: Option<String>,
    /// The order row, for `product` taxes.
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub item_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub associated_item_id: Option<i64>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub applied_taxes: Vec<AppliedTax>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GiftMessage {
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub gift_message_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub customer_id: Option<i64>,
    #[serde(default, deserialize_with = "string_lenient")]
    pub sender: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub recipient: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::looks_like_title;

    #[test]
    fn titles_come_only_from_text_that_reads_like_one() {
        assert!(looks_like_title("Check / Money order"));
        assert!(looks_like_title("Braintree"));
        assert!(!looks_like_title("{\"token\":\"x\"}"));
        assert!(!looks_like_title("a1b2c3d4e5"));
        assert!(!looks_like_title("https://pay.example.com/r/1"));
    }
}
