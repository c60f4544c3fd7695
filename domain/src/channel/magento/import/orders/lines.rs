//! What an order means for stock: per SKU, the units the ledger allocates at capture and
//! the units Magento (MSI) itself still reserves. Pure functions of the order.
//!
//! Stock rows are those [`magento::dto::Order::fulfilment_items`] names: a
//! configurable's child, a bundle's children, and standalone simple, virtual and
//! downloadable rows (a gift card or an unknown type holds nothing). Whether the ledger
//! counts the product in stock is the ledger's business (a service product holds none).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use magento::dto::{Order, OrderItem, ProductType};

/// One SKU of an order, summed over its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLine {
    /// As the order names it (first-seen spelling).
    pub sku: String,
    /// Ordered and not cancelled: what the ledger allocates.
    pub ordered: Decimal,
    /// Ordered and not yet shipped, cancelled or refunded: what MSI still reserves.
    pub held_by_magento: Decimal,
}

/// Why a captured order cannot become a sale as it is: kept with the pending order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub code: HoldCode,
    pub message: String,
}

crate::wire_enum::wire_enum! {
    /// A pending order's reason for waiting (`PendingOrder.reasonCode`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum HoldCode {
        /// The order's JSON does not read as an order (its lines or totals are broken).
        MalformedOrder => "MALFORMED_ORDER",
        NoLines => "NO_LINES",
        /// A row of a product type Stockbridge does not know.
        UnsupportedType => "UNSUPPORTED_TYPE",
        /// A SKU with no product in the ledger.
        UnknownSku => "UNKNOWN_SKU",
        /// No billing address, or no shipping address on an order that ships.
        AddressMissing => "ADDRESS_MISSING",
        /// The order's base currency is not the organisation's.
        CurrencyNotUsed => "CURRENCY_NOT_USED",
    }
}

impl Hold {
    pub fn new(code: HoldCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// The order's stock lines, SKUs in first-seen order, compared case-insensitively (as
/// Magento compares SKUs).
pub fn stock_lines(order: &Order) -> Vec<StockLine> {
    let mut per_sku: BTreeMap<String, usize> = BTreeMap::new();
    let mut lines: Vec<StockLine> = Vec::new();
    for item in order.fulfilment_items() {
        let sku = item.sku.trim();
        if sku.is_empty() {
            continue;
        }
        let (ordered, held) = quantities(order, item);
        let index = *per_sku.entry(sku.to_lowercase()).or_insert_with(|| {
            lines.push(StockLine {
                sku: sku.to_owned(),
                ordered: Decimal::ZERO,
                held_by_magento: Decimal::ZERO,
            });
            lines.len() - 1
        });
        lines[index].ordered += ordered;
        lines[index].held_by_magento += held;
    }
    lines
}

/// A row's (ordered, held) units. A configurable's child row carries the SKU but Magento
/// records shipments, cancellations and refunds on the parent row (and may or may not
/// copy them onto the child), so the larger of the two counts.
fn quantities(order: &Order, item: &OrderItem) -> (Decimal, Decimal) {
    let parent = order
        .parent_of(item)
        .filter(|p| p.product_type == Some(ProductType::Configurable));
    let from_parent = |own: Decimal, of_parent: fn(&OrderItem) -> Decimal| {
        parent.map_or(own, |p| own.max(of_parent(p)))
    };
    let canceled = from_parent(item.qty_canceled, |p| p.qty_canceled);
    let shipped = from_parent(item.qty_shipped, |p| p.qty_shipped);
    let refunded = from_parent(item.qty_refunded, |p| p.qty_refunded);
    let ordered = (item.qty_ordered - canceled).max(Decimal::ZERO);
    let held = (item.qty_ordered - shipped - refunded - canceled).max(Decimal::ZERO);
    (ordered, held)
}

/// What in the order itself stands in the way of a sale (the ledger's own checks, such
/// as unknown SKUs, come on top).
pub fn holds(order: &Order, organisation_currency: &str) -> Vec<Hold> {
    let mut holds = Vec::new();
    if order.items.is_empty() {
        holds.push(Hold::new(HoldCode::NoLines, "the order has no lines"));
    }
    let unknown: Vec<String> = order
        .items
        .iter()
        .filter_map(|item| match &item.product_type {
            Some(ProductType::Other(code)) => Some(format!("{} ({code})", item.sku)),
            None => Some(format!("{} (no type)", item.sku)),
            Some(_) => None,
        })
        .collect();
    if !unknown.is_empty() {
        holds.push(Hold::new(
            HoldCode::UnsupportedType,
            format!(
                "lines of a product type Stockbridge does not know: {}",
                unknown.join(", ")
            ),
        ));
    }
    if order.billing_address.is_none() {
        holds.push(Hold::new(
            HoldCode::AddressMissing,
            "the order has no billing address",
        ));
    } else if order.is_virtual != Some(true) && order.shipping_address().is_none() {
        holds.push(Hold::new(
            HoldCode::AddressMissing,
            "the order ships but has no shipping address",
        ));
    }
    if let Some(currency) = order.base_currency_code.as_deref()
        && !currency.eq_ignore_ascii_case(organisation_currency)
    {
        holds.push(Hold::new(
            HoldCode::CurrencyNotUsed,
            format!(
                "the store's base currency {currency} is not the organisation's ({organisation_currency})"
            ),
        ));
    }
    holds
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn order(items: serde_json::Value) -> Order {
        serde_json::from_value(json!({
            "entity_id": 9, "increment_id": "000000009", "status": "pending", "state": "new",
            "customer_email": "a@example.com", "base_currency_code": "USD",
            "billing_address": {"firstname": "A", "lastname": "B", "city": "X", "country_id": "US"},
            "extension_attributes": {"shipping_assignments": [{"shipping": {
                "address": {"firstname": "A", "lastname": "B", "city": "X", "country_id": "US"},
                "method": "flatrate_flatrate"}, "items": []}]},
            "items": items
        }))
        .expect("an order")
    }

    fn row(id: i64, sku: &str, kind: &str, qty: i64, parent: Option<i64>) -> serde_json::Value {
        let mut row = json!({"item_id": id, "sku": sku, "name": sku, "product_type": kind,
                             "qty_ordered": qty});
        if let Some(parent) = parent {
            row["parent_item_id"] = json!(parent);
        }
        row
    }

    #[test]
    fn a_configurable_allocates_its_child_sku() {
        let order = order(json!([
            row(1, "MH01", "configurable", 2, None),
            row(2, "MH01-XS-Black", "simple", 2, Some(1)),
        ]));
        assert_eq!(
            stock_lines(&order),
            vec![StockLine {
                sku: "MH01-XS-Black".into(),
                ordered: Decimal::TWO,
                held_by_magento: Decimal::TWO
            }]
        );
    }

    #[test]
    fn a_bundle_allocates_its_children_and_not_itself() {
        let order = order(json!([
            row(1, "BUNDLE", "bundle", 1, None),
            row(2, "PART-A", "simple", 2, Some(1)),
            row(3, "PART-B", "simple", 1, Some(1)),
        ]));
        let skus: Vec<String> = stock_lines(&order).into_iter().map(|l| l.sku).collect();
        assert_eq!(skus, vec!["PART-A", "PART-B"]);
    }

    #[test]
    fn rows_of_one_sku_add_up_whatever_their_case() {
        let order = order(json!([
            row(1, "MUG", "simple", 1, None),
            row(2, "mug", "simple", 2, None),
        ]));
        let lines = stock_lines(&order);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].ordered, Decimal::from(3));
    }

    #[test]
    fn a_gift_card_holds_no_stock() {
        let order = order(json!([row(1, "GIFT", "giftcard", 1, None)]));
        assert!(stock_lines(&order).is_empty());
    }

    #[test]
    fn shipped_and_cancelled_units_are_no_longer_held_by_magento() {
        let mut shipped = row(1, "MUG", "simple", 5, None);
        shipped["qty_shipped"] = json!(2);
        shipped["qty_canceled"] = json!(1);
        let lines = stock_lines(&order(json!([shipped])));
        assert_eq!(lines[0].ordered, Decimal::from(4));
        assert_eq!(lines[0].held_by_magento, Decimal::TWO);
    }

    #[test]
    fn a_configurable_parent_shipment_releases_its_child() {
        let mut parent = row(1, "MH01", "configurable", 3, None);
        parent["qty_shipped"] = json!(3);
        let order = order(json!([
            parent,
            row(2, "MH01-XS-Black", "simple", 3, Some(1))
        ]));
        assert_eq!(stock_lines(&order)[0].held_by_magento, Decimal::ZERO);
    }

    #[test]
    fn an_unknown_product_type_holds_the_order() {
        let order = order(json!([row(1, "X", "subscription", 1, None)]));
        let holds = holds(&order, "USD");
        assert_eq!(holds[0].code, HoldCode::UnsupportedType);
        assert!(holds[0].message.contains("X (subscription)"));
    }

    #[test]
    fn another_base_currency_holds_the_order() {
        let order = order(json!([row(1, "MUG", "simple", 1, None)]));
        let holds = holds(&order, "EUR");
        assert_eq!(
            holds.iter().map(|h| h.code).collect::<Vec<_>>(),
            vec![HoldCode::CurrencyNotUsed]
        );
        assert!(super::holds(&order, "usd").is_empty());
    }

    #[test]
    fn an_order_without_lines_or_billing_address_is_held() {
        let mut order = order(json!([]));
        order.billing_address = None;
        let codes: Vec<HoldCode> = holds(&order, "USD").into_iter().map(|h| h.code).collect();
        assert_eq!(codes, vec![HoldCode::NoLines, HoldCode::AddressMissing]);
    }
}
