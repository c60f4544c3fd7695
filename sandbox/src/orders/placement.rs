//! A placed order as placing it computed it (rows, prices, customer, the ids it took),
//! and its rendering as Magento's order JSON. A placement is small; the rendering is
//! ~60 KB of `Value`, so orders are kept as placements until an operation changes them
//! (see `crate::sales`), and rendering is the same code whether it runs at placement or
//! at a read.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::documents::{InvoiceRequest, invoice_value};
use super::money::{convert, dec as dec_of, money, number};
use super::place::{Coupon, Relation};
use super::state::{history_entry, touch};
use crate::packed::Packed;

/// The ids a paid placement took for its invoice and the capture's history entry.
#[derive(Debug)]
pub(super) struct Capture {
    pub invoice_id: i64,
    pub first_invoice_item: i64,
    pub history_id: i64,
}

/// Everything an order's rendering depends on, fixed when it was placed.
#[derive(Debug)]
pub(crate) struct Placement {
    pub(super) rows: Box<[Row]>,
    pub(super) entity_id: i64,
    pub(super) first_item_id: i64,
    pub(super) store_id: i64,
    pub(super) rate: Decimal,
    /// `created_at`, and `updated_at` until an operation changes the order.
    pub(super) time: String,
    pub(super) coupon: Option<&'static Coupon>,
    pub(super) tax_rate: Option<(&'static str, Decimal)>,
    pub(super) increment_id: String,
    pub(super) store_name: &'static str,
    pub(super) currency: &'static str,
    pub(super) customer: Customer,
    pub(super) address: Packed,
    /// method, description, base shipping amount, virtual order
    pub(super) shipping: (&'static str, &'static str, Decimal, bool),
    /// code, title
    pub(super) payment: (&'static str, &'static str),
    pub(super) relation: Option<Relation>,
    /// Placed paid: invoiced in full at once.
    pub(super) capture: Option<Capture>,
}

impl Placement {
    pub fn entity_id(&self) -> i64 {
        self.entity_id
    }

    pub fn time(&self) -> &str {
        &self.time
    }

    pub fn invoice_id(&self) -> Option<i64> {
        self.capture.as_ref().map(|c| c.invoice_id)
    }

    /// What decides which top-level keys the rendering has: placements of one shape
    /// render the same keys.
    pub fn shape(&self) -> u8 {
        u8::from(self.customer.id.is_some())
            | u8::from(self.shipping.3) << 1
            | u8::from(self.coupon.is_some()) << 2
            | u8::from(self.relation.is_some()) << 3
            | u8::from(self.capture.is_some()) << 4
    }

    /// The order as the placing operation leaves it: rendered, invoiced and captured when
    /// paid, closed by `finish`.
    pub fn render(&self) -> Value {
        let mut order = self.placed();
        if let Some(capture) = &self.capture {
            // The invoice is validated at placement (a new order with rows always takes
            // one), so rendering cannot fail here.
            let _invoice = self.capture_invoice(&mut order, capture);
            let total = order["grand_total"].clone();
            let comment = format!(
                "Captured amount of {} online.",
                amount_text(self.currency, &total)
            );
            history_entry(
                &mut order,
                capture.history_id,
                &comment,
                false,
                false,
                &self.time,
            );
        }
        touch(&mut order, &self.time);
        order
    }

    /// The invoice a paid placement created (`Null` for an unpaid one).
    pub fn render_invoice(&self) -> Value {
        let Some(capture) = &self.capture else {
            return Value::Null;
        };
        let mut order = self.placed();
        self.capture_invoice(&mut order, capture)
            .unwrap_or(Value::Null)
    }

    fn capture_invoice(&self, order: &mut Value, capture: &Capture) -> Option<Value> {
        let ids = |_rows: usize| (capture.invoice_id, capture.first_invoice_item);
        invoice_value(order, &InvoiceRequest::default(), &self.time, ids).ok()
    }

    /// The order right after its rows were priced and rendered, without the copies of
    /// its rows (`parent_item`, the shipping assignment's items) that placing refreshes
    /// before it invoices: nothing reads them before `touch` refreshes them again.
    fn placed(&self) -> Value {
        let context = Context {
            entity_id: self.entity_id,
            first_item_id: self.first_item_id,
            store_id: self.store_id,
            rate: self.rate,
            time: &self.time,
            coupon: self.coupon,
            tax_percent: self.tax_rate.map(|r| r.1),
        };
        let items = render_rows(&self.rows, &context);
        let address = self.address.to_value();
        let mut order = render_order(
            &self.rows,
            items,
            &context,
            OrderParts {
                increment_id: &self.increment_id,
                store_name: self.store_name,
                currency: self.currency,
                customer: &self.customer,
                address,
                shipping: self.shipping,
                payment: self.payment,
                tax_rate: self.tax_rate,
            },
        );
        if let Some(relation) = &self.relation {
            order["relation_parent_id"] = json!(relation.parent_id.to_string());
            order["relation_parent_real_id"] = json!(relation.parent_real_id);
            order["original_increment_id"] = json!(relation.original_increment_id);
            order["edit_increment"] = json!(relation.edit_increment);
        }
        order
    }
}

/// One order row before rendering: prices in the base currency.
#[derive(Debug)]
pub(super) struct Row {
    pub product_id: Value,
    pub product_type: String,
    pub sku: String,
    pub name: String,
    pub qty: Decimal,
    pub base_price: Decimal,
    pub weight: Decimal,
    pub taxable: bool,
    pub is_virtual: bool,
    /// Index of the parent in the row list.
    pub parent: Option<usize>,
    pub product_option: Option<Packed>,
    /// Filled by pricing (top-level rows only).
    pub base_discount: Decimal,
    pub base_tax: Decimal,
}

/// Who placed the order, as the order names them.
#[derive(Debug)]
pub(super) struct Customer {
    pub id: Option<i64>,
    pub group_id: i64,
    pub email: String,
    pub firstname: String,
    pub lastname: String,
}

pub(super) fn amount_text(currency: &str, amount: &Value) -> String {
    let value = dec_of(amount);
    match currency {
        "USD" => format!("${value:.2}"),
        "EUR" => format!("€{value:.2}"),
        "GBP" => format!("£{value:.2}"),
        other => format!("{other} {value:.2}"),
    }
}

struct Context<'a> {
    entity_id: i64,
    first_item_id: i64,
    store_id: i64,
    rate: Decimal,
    time: &'a str,
    coupon: Option<&'static Coupon>,
    tax_percent: Option<Decimal>,
}

/// The rows as Magento renders them. A parent's money is on the parent; a configurable
/// child repeats the parent's `price` but has no base price, row total or tax.
fn render_rows(rows: &[Row], cx: &Context<'_>) -> Vec<Value> {
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let item_id = cx.first_item_id + i as i64;
            let rate = cx.rate;
            let base_row_total = row.base_price * row.qty;
            let row_total = convert(row.base_price, rate) * row.qty;
            let price = convert(row.base_price, rate);
            let tax = convert(row.base_tax, rate);
            let discount = convert(row.base_discount, rate);
            let incl = |total: Decimal, tax: Decimal| money(total + tax);
            let unit_incl = |total: Decimal, tax: Decimal| {
                if row.qty.is_zero() { money(Decimal::ZERO) } else { money((total + tax) / row.qty) }
            };
            let mut value = json!({
                "amount_refunded": 0, "base_amount_refunded": 0,
                "base_discount_amount": money(row.base_discount), "base_discount_invoiced": 0,
                "base_discount_tax_compensation_amount": 0,
                "base_original_price": money(row.base_price), "base_price": money(row.base_price),
                "base_price_incl_tax": unit_incl(base_row_total, row.base_tax),
                "base_row_invoiced": 0, "base_row_total": money(base_row_total),
                "base_row_total_incl_tax": incl(base_row_total, row.base_tax),
                "base_tax_amount": money(row.base_tax), "base_tax_invoiced": 0,
                "created_at": cx.time, "discount_amount": money(discount), "discount_invoiced": 0,
                "discount_percent": number(cx.coupon.and_then(|c| c.percent).filter(|_| !row.base_discount.is_zero()).unwrap_or_default()),
                "free_shipping": 0, "discount_tax_compensation_amount": 0,
                "is_qty_decimal": 0, "is_virtual": i64::from(row.is_virtual),
            });
            // Two halves: one `json!` this large exceeds the macro recursion limit.
            let rest = json!({
                "item_id": item_id, "name": row.name, "no_discount": 0, "order_id": cx.entity_id,
                "original_price": money(price), "price": money(price),
                "price_incl_tax": unit_incl(row_total, tax),
                "product_id": row.product_id, "product_type": row.product_type,
                "qty_canceled": 0, "qty_invoiced": 0, "qty_ordered": number(row.qty),
                "qty_refunded": 0, "qty_shipped": 0, "quote_item_id": item_id,
                "row_invoiced": 0, "row_total": money(row_total),
                "row_total_incl_tax": incl(row_total, tax), "row_weight": number(row.weight * row.qty),
                "sku": row.sku, "store_id": cx.store_id, "tax_amount": money(tax), "tax_invoiced": 0,
                "tax_percent": 0, "updated_at": cx.time, "weight": number(row.weight),
            });
            if let (Some(object), Value::Object(rest)) = (value.as_object_mut(), rest) {
                object.extend(rest);
            }
            if let Some(percent) = cx.tax_percent.filter(|_| !row.base_tax.is_zero()) {
                value["tax_percent"] = number(percent);
            }
            if let Some(coupon) = cx.coupon.filter(|_| row.parent.is_none()) {
                value["applied_rule_ids"] = json!(coupon.rule_id.to_string());
            }
            if let Some(option) = &row.product_option {
                value["product_option"] = option.to_value();
            }
            if let Some(parent) = row.parent {
                value["parent_item_id"] = json!(cx.first_item_id + parent as i64);
                let child_of_configurable = rows.get(parent).is_some_and(|p| p.product_type == "configurable");
                if child_of_configurable {
                    // Magento copies the parent's price onto the child row.
                    let parent_price = rows.get(parent).map(|p| convert(p.base_price, rate)).unwrap_or_default();
                    value["price"] = money(parent_price);
                }
                if let Some(object) = value.as_object_mut() {
                    object.remove("price_incl_tax");
                    object.remove("base_price_incl_tax");
                }
            }
            value
        })
        .collect()
}

struct OrderParts<'a> {
    increment_id: &'a str,
    store_name: &'a str,
    currency: &'a str,
    customer: &'a Customer,
    address: Value,
    /// method, description, base shipping amount, virtual order
    shipping: (&'a str, &'a str, Decimal, bool),
    /// code, title
    payment: (&'a str, &'a str),
    tax_rate: Option<(&'a str, Decimal)>,
}

/// Sums of the rendered top-level rows in one currency (`prefix` "" or "base_").
fn sum(items: &[Value], field: &str) -> Decimal {
    items
        .iter()
        .filter(|r| r.get("parent_item_id").is_none())
        .map(|r| dec_of(&r[field]))
        .sum()
}

/// The order around its rendered rows. Large parts are moved in after the `json!`
/// literals: `json!` copies an interpolated `Value` by serialising it.
fn render_order(rows: &[Row], items: Vec<Value>, cx: &Context<'_>, parts: OrderParts<'_>) -> Value {
    let (method, description, base_shipping, is_virtual) = parts.shipping;
    let shipping = convert(base_shipping, cx.rate);
    let totals = |prefix: &str, shipping: Decimal| {
        let subtotal = sum(&items, &format!("{prefix}row_total"));
        let tax = sum(&items, &format!("{prefix}tax_amount"));
        let discount = sum(&items, &format!("{prefix}discount_amount"));
        (
            subtotal,
            tax,
            discount,
            subtotal + tax - discount + shipping,
        )
    };
    let (base_subtotal, base_tax, base_discount, base_grand) = totals("base_", base_shipping);
    let (subtotal, tax, discount, grand) = totals("", shipping);
    let id = cx.entity_id;
    let mut billing = parts.address;
    billing["address_type"] = json!("billing");
    billing["email"] = json!(parts.customer.email);
    billing["entity_id"] = json!(id * 2 - 1);
    billing["parent_id"] = json!(id);
    let mut shipping_address = billing.clone();
    shipping_address["address_type"] = json!("shipping");
    shipping_address["entity_id"] = json!(id * 2);
    let total_qty: Decimal = rows
        .iter()
        .filter(|r| r.parent.is_none())
        .map(|r| r.qty)
        .sum();
    let weight: Decimal = rows
        .iter()
        .filter(|r| r.parent.is_none())
        .map(|r| r.weight * r.qty)
        .sum();
    let mut order = json!({
        "base_currency_code": "USD", "base_discount_amount": money(-base_discount),
        "base_discount_tax_compensation_amount": 0, "base_grand_total": money(base_grand),
        "base_shipping_amount": money(base_shipping), "base_shipping_discount_amount": 0,
        "base_shipping_incl_tax": money(base_shipping), "base_shipping_tax_amount": 0,
        "base_subtotal": money(base_subtotal), "base_subtotal_incl_tax": money(base_subtotal + base_tax),
        "base_tax_amount": money(base_tax), "base_total_due": money(base_grand),
        "base_to_global_rate": 1, "base_to_order_rate": number(cx.rate),
        "billing_address_id": id * 2 - 1, "created_at": cx.time,
        "customer_email": parts.customer.email, "customer_firstname": parts.customer.firstname,
        "customer_group_id": parts.customer.group_id,
        "customer_is_guest": i64::from(parts.customer.id.is_none()),
        "customer_lastname": parts.customer.lastname, "customer_note_notify": 1,
        "discount_amount": money(-discount), "discount_tax_compensation_amount": 0,
        "entity_id": id, "global_currency_code": "USD", "grand_total": money(grand),
        "increment_id": parts.increment_id,
    });
    let rest = json!({
        "is_virtual": i64::from(is_virtual), "order_currency_code": parts.currency,
        "protect_code": format!("{:032x}", (id as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)),
        "quote_id": id, "shipping_amount": money(shipping), "shipping_discount_amount": 0,
        "shipping_discount_tax_compensation_amount": 0, "shipping_incl_tax": money(shipping),
        "shipping_tax_amount": 0, "state": "new", "status": "pending",
        "store_currency_code": "USD", "store_id": cx.store_id, "store_name": parts.store_name,
        "store_to_base_rate": 0, "store_to_order_rate": 0,
        "subtotal": money(subtotal), "subtotal_incl_tax": money(subtotal + tax),
        "tax_amount": money(tax), "total_due": money(grand),
        "total_item_count": rows.iter().filter(|r| r.parent.is_none()).count(),
        "total_qty_ordered": number(total_qty), "updated_at": cx.time, "weight": number(weight),
        "payment": {
            "account_status": null, "additional_information": [parts.payment.1],
            "amount_ordered": money(grand), "base_amount_ordered": money(base_grand),
            "base_shipping_amount": money(base_shipping), "cc_last4": null, "entity_id": id,
            "method": parts.payment.0, "parent_id": id, "shipping_amount": money(shipping),
        },
        "status_histories": [],
    });
    if let (Some(order), Value::Object(rest)) = (order.as_object_mut(), rest) {
        order.extend(rest);
    }
    order["billing_address"] = billing;
    if let Some(customer_id) = parts.customer.id {
        order["customer_id"] = json!(customer_id);
    }
    if !is_virtual {
        order["shipping_description"] = json!(description);
    }
    if let Some(coupon) = cx.coupon {
        order["coupon_code"] = json!(coupon.code);
        order["discount_description"] = json!(coupon.code);
        order["applied_rule_ids"] = json!(coupon.rule_id.to_string());
    }
    let mut shipping_assignment = json!({"shipping": {}, "items": []});
    if is_virtual {
        shipping_assignment["shipping"]["total"] = shipping_total(Decimal::ZERO, Decimal::ZERO);
    } else {
        let assigned = &mut shipping_assignment["shipping"];
        assigned["address"] = shipping_address;
        assigned["method"] = json!(method);
        assigned["total"] = shipping_total(base_shipping, shipping);
    }
    let mut extension = json!({
        "payment_additional_info": [{"key": "method_title", "value": parts.payment.1}],
        "converting_from_quote": true,
    });
    extension["shipping_assignments"] = Value::Array(vec![shipping_assignment]);
    extension["applied_taxes"] = applied_taxes(parts.tax_rate, base_tax, tax);
    extension["item_applied_taxes"] = item_applied_taxes(&items, parts.tax_rate);
    order["extension_attributes"] = extension;
    order["items"] = Value::Array(items);
    order
}

fn shipping_total(base: Decimal, amount: Decimal) -> Value {
    json!({
        "base_shipping_amount": money(base), "base_shipping_discount_amount": 0,
        "base_shipping_discount_tax_compensation_amnt": 0, "base_shipping_incl_tax": money(base),
        "base_shipping_tax_amount": 0, "shipping_amount": money(amount),
        "shipping_discount_amount": 0, "shipping_discount_tax_compensation_amount": 0,
        "shipping_incl_tax": money(amount), "shipping_tax_amount": 0,
    })
}

fn applied_taxes(rate: Option<(&str, Decimal)>, base: Decimal, amount: Decimal) -> Value {
    match rate {
        Some((code, percent)) if !base.is_zero() => json!([{
            "code": code, "title": code, "percent": number(percent),
            "amount": money(amount), "base_amount": money(base),
        }]),
        _ => json!([]),
    }
}

fn item_applied_taxes(items: &[Value], rate: Option<(&str, Decimal)>) -> Value {
    let Some((code, percent)) = rate else {
        return json!([]);
    };
    let mut by_item = BTreeMap::new();
    for row in items.iter().filter(|r| r.get("parent_item_id").is_none()) {
        if dec_of(&row["base_tax_amount"]).is_zero() {
            continue;
        }
        by_item.insert(
            row["item_id"].as_i64().unwrap_or_default(),
            json!({
                "type": "product", "item_id": row["item_id"],
                "applied_taxes": [{
                    "code": code, "title": code, "percent": number(percent),
                    "amount": row["tax_amount"], "base_amount": row["base_tax_amount"],
                }],
            }),
        );
    }
    Value::Array(by_item.into_values().collect())
}
