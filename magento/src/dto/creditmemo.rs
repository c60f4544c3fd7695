//! Credit memos (`GET /V1/creditmemo/{id}`, `GET /V1/creditmemos?searchCriteria…`),
//! schema `sales-data-creditmemo-interface`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::invoice::{DocumentItem, SalesComment};
use super::{
    decimal_or_zero, id_from_str_or_num, object_or_default, opt_bool_lenient, opt_coded,
    opt_datetime_lenient, opt_decimal_from_str_or_num, opt_id_from_str_or_num, opt_string_lenient,
    string_lenient, vec_lenient,
};

int_coded_enum! {
    /// Credit memo `state`.
    CreditMemoState, "a credit memo state" {
        /// 1: pending (an online refund not confirmed yet).
        Open = 1,
        /// 2
        Refunded = 2,
        /// 3
        Canceled = 3,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreditMemo {
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub entity_id: i64,
    #[serde(default, deserialize_with = "string_lenient")]
    pub increment_id: String,
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub order_id: i64,
    /// Set for online refunds (through the invoice).
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub invoice_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_coded")]
    pub state: Option<CreditMemoState>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub creditmemo_status: Option<i64>,
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
    /// `adjustment_positive - adjustment_negative`.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub adjustment: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_adjustment: Decimal,
    /// Refund fee added to what the customer gets back ("Adjustment Refund").
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub adjustment_positive: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_adjustment_positive: Decimal,
    /// Fee withheld from the refund ("Adjustment Fee").
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub adjustment_negative: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_adjustment_negative: Decimal,
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
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub discount_description: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub transaction_id: Option<String>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub email_sent: Option<bool>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub items: Vec<CreditMemoItem>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub comments: Vec<SalesComment>,
    #[serde(default, deserialize_with = "object_or_default")]
    pub extension_attributes: CreditMemoExtension,
}

/// Adobe Commerce: store credit and gift card amounts refunded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreditMemoExtension {
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub customer_balance_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub base_customer_balance_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub gift_cards_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub base_gift_cards_amount: Option<Decimal>,
}

/// A credit memo row: the same shape as an invoice row.
pub type CreditMemoItem = DocumentItem;

impl CreditMemo {
    /// Whether the refund went through (state 2).
    pub fn is_refunded(&self) -> bool {
        self.state == Some(CreditMemoState::Refunded)
    }
}
