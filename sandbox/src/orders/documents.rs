//! Invoices, and what invoices and credit memos share: item quantities as requested,
//! the shares of a row's money a document carries, and the document rows and totals
//! shaped like the seeded ones.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::money::{dec, money, number, share};
use super::state::{
    children_of, document_error, find_order, finish, is_child, item_id, qty, refuse_in_final_state,
    resolve_state, to_invoice,
};
use crate::response::ApiError;
use crate::seed::magento_time;
use crate::shop::Shop;

/// `{"order_item_id", "qty"}` of a document request; ids and quantities may be strings,
/// as Magento casts them.
#[derive(Debug, Clone, Deserialize)]
pub struct ItemQty {
    #[serde(alias = "orderItemId", deserialize_with = "lenient_i64")]
    pub order_item_id: i64,
    #[serde(deserialize_with = "lenient_decimal")]
    pub qty: Decimal,
}

fn lenient_i64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let value = Value::deserialize(d)?;
    match &value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| serde::de::Error::custom(format!("not an id: {value}")))
}

fn lenient_decimal<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let value = Value::deserialize(d)?;
    match &value {
        Value::Number(_) | Value::String(_) => Ok(dec(&value)),
        _ => Err(serde::de::Error::custom(format!("not a quantity: {value}"))),
    }
}

/// `POST /sandbox/orders/{id}/invoice`: no items invoices everything left.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceRequest {
    #[serde(default)]
    pub items: Vec<ItemQty>,
    /// Added to the invoice's comments.
    #[serde(default)]
    pub comment: Option<String>,
}

/// Amounts of one row a document carries, in both currencies.
#[derive(Default, Clone, Copy)]
pub(crate) struct Amounts {
    pub row_total: Decimal,
    pub base_row_total: Decimal,
    pub tax: Decimal,
    pub base_tax: Decimal,
    pub discount: Decimal,
    pub base_discount: Decimal,
}

impl Amounts {
    pub fn add(&mut self, other: &Amounts) {
        self.row_total += other.row_total;
        self.base_row_total += other.base_row_total;
        self.tax += other.tax;
        self.base_tax += other.base_tax;
        self.discount += other.discount;
        self.base_discount += other.base_discount;
    }

    /// The amounts in the order of [`Kind::money_fields`].
    fn to_array(self) -> [Decimal; 6] {
        [
            self.row_total,
            self.base_row_total,
            self.tax,
            self.base_tax,
            self.discount,
            self.base_discount,
        ]
    }
}

/// The kind of a new sales document that carries money: its row fields are
/// [`Kind::money_fields`] and [`Kind::qty_fields`].
pub(crate) enum Kind {
    Invoice,
    Refund,
}

/// A row's money invoiced so far: what invoices count as done and credit memos spread.
const INVOICED: [&str; 6] = [
    "row_invoiced",
    "base_row_invoiced",
    "tax_invoiced",
    "base_tax_invoiced",
    "discount_invoiced",
    "base_discount_invoiced",
];

impl Kind {
    /// The row's money fields a document of this kind spreads (totals) and those it has
    /// done so far (done), in the order of [`Amounts`].
    fn money_fields(&self) -> ([&'static str; 6], [&'static str; 6]) {
        match self {
            Kind::Invoice => (
                [
                    "row_total",
                    "base_row_total",
                    "tax_amount",
                    "base_tax_amount",
                    "discount_amount",
                    "base_discount_amount",
                ],
                INVOICED,
            ),
            Kind::Refund => (
                INVOICED,
                [
                    "amount_refunded",
                    "base_amount_refunded",
                    "tax_refunded",
                    "base_tax_refunded",
                    "discount_refunded",
                    "base_discount_refunded",
                ],
            ),
        }
    }

    /// The row's quantity field done so far, and the one the totals spread over.
    fn qty_fields(&self) -> (&'static str, &'static str) {
        match self {
            Kind::Invoice => ("qty_invoiced", "qty_ordered"),
            Kind::Refund => ("qty_refunded", "qty_invoiced"),
        }
    }
}

/// The share of the row's money that `units` carry in a new invoice or credit memo.
pub(crate) fn row_amounts(row: &Value, units: Decimal, kind: &Kind) -> Amounts {
    let field = |name: &str| dec(&row[name]);
    let (totals, done) = kind.money_fields();
    let (done_qty, over) = kind.qty_fields();
    let (done_qty, over) = (qty(row, done_qty), qty(row, over));
    let part = |i: usize| share(field(totals[i]), field(done[i]), units, done_qty, over);
    Amounts {
        row_total: part(0),
        base_row_total: part(1),
        tax: part(2),
        base_tax: part(3),
        discount: part(4),
        base_discount: part(5),
    }
}

/// Counts `units` carrying `amounts` as done on the order row by a new document of `kind`.
pub(crate) fn record_on_row(row: &mut Value, kind: &Kind, units: Decimal, amounts: &Amounts) {
    bump_qty(row, kind.qty_fields().0, units);
    let (_, done) = kind.money_fields();
    for (field, amount) in done.into_iter().zip(amounts.to_array()) {
        bump(row, field, amount);
    }
}

/// Adds `amount` to a money field of `target`.
pub(crate) fn bump(target: &mut Value, field: &str, amount: Decimal) {
    target[field] = money(dec(&target[field]) + amount);
}

/// Adds `amount` to a quantity field of `target`.
pub(crate) fn bump_qty(target: &mut Value, field: &str, amount: Decimal) {
    target[field] = number(dec(&target[field]) + amount);
}

/// A document row (invoice or credit memo item) as the seeded documents have them.
pub(crate) fn document_item(
    entity_id: i64,
    parent_id: i64,
    row: &Value,
    units: Decimal,
    a: &Amounts,
) -> Value {
    let unit = |total: Decimal| {
        if units.is_zero() {
            Decimal::ZERO
        } else {
            total / units
        }
    };
    json!({
        "entity_id": entity_id, "parent_id": parent_id, "order_item_id": row["item_id"],
        "product_id": row["product_id"], "sku": row["sku"], "name": row["name"], "qty": number(units),
        "price": row["price"], "base_price": row["base_price"],
        "row_total": money(a.row_total), "base_row_total": money(a.base_row_total),
        "price_incl_tax": money(unit(a.row_total + a.tax)),
        "base_price_incl_tax": money(unit(a.base_row_total + a.base_tax)),
        "row_total_incl_tax": money(a.row_total + a.tax),
        "base_row_total_incl_tax": money(a.base_row_total + a.base_tax),
        "tax_amount": money(a.tax), "base_tax_amount": money(a.base_tax),
        "discount_amount": money(a.discount), "base_discount_amount": money(a.base_discount),
        "discount_tax_compensation_amount": 0, "base_discount_tax_compensation_amount": 0,
        "base_cost": money(dec(&row["base_price"]) * rust_decimal::dec!(0.4)),
    })
}

/// Totals of an invoice or credit memo: `sums` of its rows plus shipping `(amount, base)`.
/// Returns the totals object and the `(grand_total, base_grand_total)`.
pub(crate) fn document_totals(
    order: &Value,
    sums: &Amounts,
    shipping: (Decimal, Decimal),
    created: &str,
) -> (Value, Decimal, Decimal) {
    let grand = sums.row_total + sums.tax - sums.discount + shipping.0;
    let base_grand = sums.base_row_total + sums.base_tax - sums.base_discount + shipping.1;
    let totals = json!({
        "order_id": order["entity_id"], "store_id": order["store_id"],
        "billing_address_id": order["billing_address_id"],
        "shipping_address_id": order["extension_attributes"]["shipping_assignments"][0]["shipping"]["address"]["entity_id"],
        "base_currency_code": order["base_currency_code"], "order_currency_code": order["order_currency_code"],
        "global_currency_code": order["global_currency_code"], "store_currency_code": order["store_currency_code"],
        "base_to_global_rate": order["base_to_global_rate"], "base_to_order_rate": order["base_to_order_rate"],
        "store_to_base_rate": 0, "store_to_order_rate": 0,
        "subtotal": money(sums.row_total), "base_subtotal": money(sums.base_row_total),
        "subtotal_incl_tax": money(sums.row_total + sums.tax),
        "base_subtotal_incl_tax": money(sums.base_row_total + sums.base_tax),
        "tax_amount": money(sums.tax), "base_tax_amount": money(sums.base_tax),
        "shipping_amount": money(shipping.0), "base_shipping_amount": money(shipping.1),
        "shipping_incl_tax": money(shipping.0), "base_shipping_incl_tax": money(shipping.1),
        "shipping_tax_amount": 0, "base_shipping_tax_amount": 0,
        "discount_amount": money(-sums.discount), "base_discount_amount": money(-sums.base_discount),
        "discount_tax_compensation_amount": 0, "base_discount_tax_compensation_amount": 0,
        "grand_total": money(grand), "base_grand_total": money(base_grand),
        "created_at": created, "updated_at": created, "email_sent": 1,
    });
    (totals, grand, base_grand)
}

/// Requested units per top-level row position; empty `items` takes `remaining` of every
/// top-level row. Children follow their parent in [`with_children`].
pub(crate) fn requested(
    order: &Value,
    items: &[ItemQty],
    remaining: fn(&Value) -> Decimal,
    document: &str,
    too_many: &str,
) -> Result<BTreeMap<usize, Decimal>, ApiError> {
    let rows = order["items"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut wanted = BTreeMap::new();
    if items.is_empty() {
        for (i, row) in rows.iter().enumerate() {
            if !is_child(row) && !remaining(row).is_zero() {
                wanted.insert(i, remaining(row));
            }
        }
        return Ok(wanted);
    }
    for item in items {
        let Some(i) = rows.iter().position(|r| item_id(r) == item.order_item_id) else {
            return Err(document_error(
                document,
                &format!(
                    "The order does not contain an item with id {}.",
                    item.order_item_id
                ),
            ));
        };
        let row = &rows[i];
        if is_child(row) {
            return Err(document_error(
                document,
                &format!(
                    "Item {} belongs to a configurable or bundle line; name its parent item {} instead.",
                    item.order_item_id, row["parent_item_id"]
                ),
            ));
        }
        if item.qty < Decimal::ZERO {
            return Err(document_error(
                document,
                "The quantity must not be negative.",
            ));
        }
        let total = *wanted.entry(i).or_default() + item.qty;
        if total > remaining(row) {
            let sku = row["sku"].as_str().unwrap_or_default();
            return Err(document_error(document, &too_many.replace("%1", sku)));
        }
        wanted.insert(i, total);
    }
    wanted.retain(|_, q| !q.is_zero());
    Ok(wanted)
}

/// The requested top-level units plus their children's: a child's units scale with its
/// share of the parent's ordered quantity (a bundle selection of 2 per bundle).
pub(crate) fn with_children(
    order: &Value,
    wanted: &BTreeMap<usize, Decimal>,
) -> Vec<(usize, Decimal)> {
    let rows = order["items"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut all = Vec::new();
    for (&i, &units) in wanted {
        all.push((i, units));
        let parent_ordered = qty(&rows[i], "qty_ordered");
        for child in children_of(rows, item_id(&rows[i])) {
            let ratio = if parent_ordered.is_zero() {
                Decimal::ONE
            } else {
                qty(&rows[child], "qty_ordered") / parent_ordered
            };
            all.push((child, units * ratio));
        }
    }
    all
}

/// `POST /sandbox/orders/{id}/invoice`: an offline invoice (checkmo and friends are
/// captured offline, so the invoice is paid at once). Returns the invoice id.
pub(crate) fn invoice(
    shop: &mut Shop,
    order_id: i64,
    request: &InvoiceRequest,
    now: DateTime<Utc>,
) -> Result<i64, ApiError> {
    let index = find_order(shop, order_id)?;
    let created = magento_time(now);
    let Shop {
        orders,
        invoices,
        book,
        ..
    } = shop;
    let mut order = orders.get_mut(index).ok_or_else(ApiError::no_such_entity)?;
    let document = invoice_value(&mut order, request, &created, |rows| {
        let id = book.invoice.next(|| invoices.max_id(None, "entity_id"));
        let first_item = book
            .invoice_item
            .next_block(rows as i64, || invoices.max_id(Some("items"), "entity_id"));
        (id, first_item)
    })?;
    drop(order);
    let id = document["entity_id"].as_i64().unwrap_or_default();
    invoices.push(document);
    finish(shop, index, "order.updated", now);
    Ok(id)
}

/// Invoices the order: validates the request, counts the billed units and money on the
/// order's rows and totals, and returns the invoice document. `ids(rows)` gives the
/// invoice's id and its first row's, once the request is known to be valid.
pub(crate) fn invoice_value(
    order: &mut Value,
    request: &InvoiceRequest,
    created: &str,
    ids: impl FnOnce(usize) -> (i64, i64),
) -> Result<Value, ApiError> {
    refuse_in_final_state(order, "Invoice", "An invoice")?;
    let wanted = requested(
        order,
        &request.items,
        to_invoice,
        "Invoice",
        "The quantity to invoice must not be greater than the uninvoiced quantity for product SKU \"%1\".",
    )?;
    if wanted.is_empty() {
        return Err(document_error(
            "Invoice",
            "The invoice can't be created without products. Add products and try again.",
        ));
    }
    let rows = with_children(order, &wanted);
    let (id, first_item) = ids(rows.len());
    // The first invoice carries the whole shipping amount, as Magento's collector does.
    let shipping = if dec(&order["base_shipping_invoiced"]).is_zero() {
        (
            dec(&order["shipping_amount"]),
            dec(&order["base_shipping_amount"]),
        )
    } else {
        (Decimal::ZERO, Decimal::ZERO)
    };
    let mut sums = Amounts::default();
    let mut doc_items = Vec::new();
    let mut total_qty = Decimal::ZERO;
    for (n, &(i, units)) in rows.iter().enumerate() {
        let row = &mut order["items"][i];
        let amounts = row_amounts(row, units, &Kind::Invoice);
        doc_items.push(document_item(
            first_item + n as i64,
            id,
            row,
            units,
            &amounts,
        ));
        if !is_child(row) {
            total_qty += units;
        }
        sums.add(&amounts);
        record_on_row(row, &Kind::Invoice, units, &amounts);
    }
    let (totals, grand, base_grand) = document_totals(order, &sums, shipping, created);
    let mut document = totals;
    if let (Some(object), Value::Object(extra)) = (
        document.as_object_mut(),
        json!({
            "entity_id": id, "increment_id": format!("{id:09}"), "state": 2,
            "base_total_refunded": 0, "total_qty": number(total_qty), "can_void_flag": 0,
            "transaction_id": format!("{}-capture", order["entity_id"]),
            "comments": [],
        }),
    ) {
        object.extend(extra);
    }
    // Moved in: `json!` would copy the rows by serialising them.
    document["items"] = Value::Array(doc_items);
    if let Some(comment) = request.comment.as_deref().filter(|c| !c.trim().is_empty()) {
        document["comments"] = json!([{
            "entity_id": id, "parent_id": id, "comment": comment, "created_at": created,
            "is_customer_notified": 0, "is_visible_on_front": 0,
        }]);
    }
    for (field, amount) in [
        ("subtotal_invoiced", sums.row_total),
        ("base_subtotal_invoiced", sums.base_row_total),
        ("tax_invoiced", sums.tax),
        ("base_tax_invoiced", sums.base_tax),
        ("discount_invoiced", -sums.discount),
        ("base_discount_invoiced", -sums.base_discount),
        ("shipping_invoiced", shipping.0),
        ("base_shipping_invoiced", shipping.1),
        ("total_invoiced", grand),
        ("base_total_invoiced", base_grand),
        ("total_paid", grand),
        ("base_total_paid", base_grand),
    ] {
        bump(order, field, amount);
    }
    order["total_due"] = money(dec(&order["grand_total"]) - dec(&order["total_paid"]));
    order["base_total_due"] =
        money(dec(&order["base_grand_total"]) - dec(&order["base_total_paid"]));
    let payment = &mut order["payment"];
    bump(payment, "amount_paid", grand);
    bump(payment, "base_amount_paid", base_grand);
    bump(payment, "shipping_captured", shipping.0);
    bump(payment, "base_shipping_captured", shipping.1);
    resolve_state(order);
    Ok(document)
}
