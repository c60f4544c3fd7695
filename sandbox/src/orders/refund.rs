//! Offline refunds (`POST /V1/order/{id}/refund` semantics): a credit memo for some or all
//! invoiced units, shipping and adjustments, checked against what was paid; MSI releases
//! the reservations of refunded unshipped units and returns shipped ones to stock when
//! asked.

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::book::SalesEvent;
use super::documents::{
    Amounts, ItemQty, Kind, bump, document_item, document_totals, record_on_row, requested,
    row_amounts, with_children,
};
use super::money::{convert, dec, money, round};
use super::ship::{Arguments, CommentInput, flag};
use super::state::{
    carries_stock, document_error, find_order, finish, held, item_id, resolve_state, to_refund,
};
use super::stock::{apply, plan_return};
use crate::response::ApiError;
use crate::seed::magento_time;
use crate::shop::Shop;

/// The body of `POST /V1/order/{id}/refund`, taken by `POST /sandbox/orders/{id}/refund`.
/// Amounts in `arguments` are in the base currency, as Magento's credit memo factory reads
/// them; no `shipping_amount` refunds all shipping not refunded yet.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    #[serde(default)]
    pub items: Vec<ItemQty>,
    #[serde(default, deserialize_with = "flag")]
    pub notify: bool,
    #[serde(
        default,
        rename = "appendComment",
        alias = "append_comment",
        deserialize_with = "flag"
    )]
    pub append_comment: bool,
    #[serde(default)]
    pub comment: Option<CommentInput>,
    #[serde(default)]
    pub arguments: Option<Arguments>,
}

fn argument(
    arguments: Option<&Arguments>,
    pick: fn(&Arguments) -> &Option<Value>,
) -> Option<Decimal> {
    arguments
        .and_then(|a| pick(a).as_ref())
        .map(|v| round(dec(v)))
}

/// The money of a credit memo before it is saved.
struct Refund {
    sums: Amounts,
    shipping: (Decimal, Decimal),
    positive: (Decimal, Decimal),
    negative: (Decimal, Decimal),
}

impl Refund {
    fn grand(&self) -> (Decimal, Decimal) {
        (
            self.sums.row_total + self.sums.tax - self.sums.discount
                + self.shipping.0
                + self.positive.0
                - self.negative.0,
            self.sums.base_row_total + self.sums.base_tax - self.sums.base_discount
                + self.shipping.1
                + self.positive.1
                - self.negative.1,
        )
    }
}

/// Refunds offline; returns the credit memo id.
pub(crate) fn refund(
    shop: &mut Shop,
    order_id: i64,
    request: &RefundRequest,
    now: DateTime<Utc>,
) -> Result<i64, ApiError> {
    let index = find_order(shop, order_id)?;
    let order = shop
        .orders
        .get(index)
        .ok_or_else(ApiError::no_such_entity)?;
    let status = order["status"].as_str().unwrap_or_default();
    if matches!(order["state"].as_str(), Some("canceled" | "closed")) {
        return Err(document_error(
            "Creditmemo",
            &format!("A creditmemo can not be created when an order has a status of {status}"),
        ));
    }
    if dec(&order["base_total_paid"]) <= dec(&order["base_total_refunded"]) {
        return Err(document_error(
            "Creditmemo",
            "The order does not allow a creditmemo to be created.",
        ));
    }
    let wanted = requested(
        order,
        &request.items,
        to_refund,
        "Creditmemo",
        "The quantity to creditmemo must not be greater than the unrefunded quantity for product SKU \"%1\".",
    )?;
    let refunded = with_children(order, &wanted);
    let mut sums = Amounts::default();
    let mut amounts = Vec::new();
    for &(i, units) in &refunded {
        let a = row_amounts(&order["items"][i], units, &Kind::Refund);
        sums.add(&a);
        amounts.push(a);
    }
    let rate = dec(&order["base_to_order_rate"]);
    let args = request.arguments.as_ref();
    let refund = Refund {
        sums,
        shipping: shipping(order, argument(args, |a| &a.shipping_amount), rate)?,
        positive: in_both(argument(args, |a| &a.adjustment_positive), rate),
        negative: in_both(argument(args, |a| &a.adjustment_negative), rate),
    };
    let (grand, base_grand) = refund.grand();
    if base_grand <= Decimal::ZERO {
        return Err(bad("The credit memo's total must be positive."));
    }
    let available = round(dec(&order["base_total_paid"]) - dec(&order["base_total_refunded"]));
    if base_grand > available {
        return Err(ApiError::with_parameters(
            StatusCode::BAD_REQUEST,
            "The most money available to refund is %1.",
            json!([format!("${available:.2}")]),
        ));
    }
    let to_stock = return_to_stock(order, args);
    release_stock(shop, index, &refunded, &to_stock);
    let id = save_creditmemo(shop, index, &refunded, &amounts, &refund, request, now);
    let mut order = shop
        .orders
        .get_mut(index)
        .ok_or_else(ApiError::no_such_entity)?;
    for (&(i, units), a) in refunded.iter().zip(&amounts) {
        let row = &mut order["items"][i];
        record_on_row(row, &Kind::Refund, units, a);
    }
    for (field, amount) in [
        ("subtotal_refunded", refund.sums.row_total),
        ("base_subtotal_refunded", refund.sums.base_row_total),
        ("tax_refunded", refund.sums.tax),
        ("base_tax_refunded", refund.sums.base_tax),
        ("discount_refunded", -refund.sums.discount),
        ("base_discount_refunded", -refund.sums.base_discount),
        ("shipping_refunded", refund.shipping.0),
        ("base_shipping_refunded", refund.shipping.1),
        ("adjustment_positive", refund.positive.0),
        ("base_adjustment_positive", refund.positive.1),
        ("adjustment_negative", refund.negative.0),
        ("base_adjustment_negative", refund.negative.1),
        ("total_refunded", grand),
        ("base_total_refunded", base_grand),
        ("total_offline_refunded", grand),
        ("base_total_offline_refunded", base_grand),
    ] {
        bump(&mut order, field, amount);
    }
    bump(&mut order["payment"], "amount_refunded", grand);
    bump(&mut order["payment"], "base_amount_refunded", base_grand);
    resolve_state(&mut order);
    let (store_id, increment) = (order["store_id"].as_i64().unwrap_or(1), format!("{id:09}"));
    drop(order);
    finish(shop, index, "order.updated", now);
    shop.record_event(
        "creditmemo.created",
        "creditmemo",
        id,
        increment,
        store_id,
        magento_time(now),
    );
    Ok(id)
}

fn bad(message: &str) -> ApiError {
    document_error("Creditmemo", message)
}

fn in_both(base: Option<Decimal>, rate: Decimal) -> (Decimal, Decimal) {
    let base = base.unwrap_or_default().max(Decimal::ZERO);
    (convert(base, rate), base)
}

/// `(shipping, base shipping)` to refund: the requested base amount, or all that was
/// invoiced and not refunded yet. Refunding the rest refunds the exact remainder in the
/// order currency too.
fn shipping(
    order: &Value,
    requested: Option<Decimal>,
    rate: Decimal,
) -> Result<(Decimal, Decimal), ApiError> {
    let base_left = dec(&order["base_shipping_invoiced"]) - dec(&order["base_shipping_refunded"]);
    let left = dec(&order["shipping_invoiced"]) - dec(&order["shipping_refunded"]);
    let base = requested.unwrap_or(base_left);
    if base > base_left {
        return Err(bad(&format!(
            "Maximum shipping amount allowed to refund is: {base_left:.2}"
        )));
    }
    if base == base_left {
        return Ok((left, base_left));
    }
    Ok((
        convert(base.max(Decimal::ZERO), rate),
        base.max(Decimal::ZERO),
    ))
}

/// Order item ids whose units go back to stock (a parent's children included).
fn return_to_stock(order: &Value, args: Option<&Arguments>) -> Vec<i64> {
    let ids: Vec<i64> = args
        .map(|a| {
            a.extension_attributes
                .return_to_stock_items
                .iter()
                .filter_map(|v| v.as_i64().or_else(|| v.as_str()?.trim().parse().ok()))
                .collect()
        })
        .unwrap_or_default();
    let rows = order["items"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    rows.iter()
        .filter(|r| {
            ids.contains(&item_id(r))
                || r["parent_item_id"]
                    .as_i64()
                    .is_some_and(|p| ids.contains(&p))
        })
        .map(item_id)
        .collect()
}

/// MSI on a credit memo: refunded units still held are released; shipped units asked
/// back to stock return to the source of the order's last shipment.
fn release_stock(shop: &mut Shop, index: usize, refunded: &[(usize, Decimal)], to_stock: &[i64]) {
    let Some(order) = shop.orders.get(index) else {
        return;
    };
    let order_id = order["entity_id"].as_i64().unwrap_or_default();
    let increment = order["increment_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let source = shop
        .shipments
        .last_of_order(&Value::from(order_id))
        .and_then(|at| shop.shipments.get(at))
        .and_then(|s| s["extension_attributes"]["source_code"].as_str())
        .unwrap_or("default")
        .to_owned();
    for &(i, units) in refunded {
        let Some(order) = shop.orders.get(index) else {
            return;
        };
        let row = &order["items"][i];
        if !carries_stock(row) {
            continue;
        }
        let sku = row["sku"].as_str().unwrap_or_default().to_owned();
        let released = units.min(held(row));
        let back = if to_stock.contains(&item_id(row)) {
            units - released
        } else {
            Decimal::ZERO
        };
        shop.reservations.append(
            &sku,
            released,
            SalesEvent::CreditmemoCreated,
            order_id,
            &increment,
        );
        if back > Decimal::ZERO {
            let change = plan_return(shop, &sku, back, &source);
            apply(shop, change);
        }
    }
}

fn save_creditmemo(
    shop: &mut Shop,
    index: usize,
    refunded: &[(usize, Decimal)],
    amounts: &[Amounts],
    refund: &Refund,
    request: &RefundRequest,
    now: DateTime<Utc>,
) -> i64 {
    let memos = &shop.creditmemos;
    let id = shop
        .book
        .creditmemo
        .next(|| memos.max_id(None, "entity_id"));
    let first_item = shop
        .book
        .creditmemo_item
        .next_block(refunded.len() as i64, || {
            memos.max_id(Some("items"), "entity_id")
        });
    let created = magento_time(now);
    let Some(order) = shop.orders.get(index) else {
        return id;
    };
    let order_id = order["entity_id"].clone();
    let invoice_at = shop.invoices.last_of_order(&order_id);
    let invoice_id = invoice_at
        .and_then(|at| shop.invoices.render(at))
        .map(|i| i["entity_id"].clone())
        .unwrap_or(Value::Null);
    let items: Vec<Value> = refunded
        .iter()
        .zip(amounts)
        .enumerate()
        .map(|(n, (&(i, units), a))| {
            document_item(first_item + n as i64, id, &order["items"][i], units, a)
        })
        .collect();
    let (mut document, _, _) = document_totals(order, &refund.sums, refund.shipping, &created);
    let adjustment = (
        refund.positive.0 - refund.negative.0,
        refund.positive.1 - refund.negative.1,
    );
    let comments = match request
        .comment
        .as_ref()
        .filter(|c| !c.comment.trim().is_empty())
    {
        // Added either way; `appendComment` puts it in the customer's email.
        Some(c) => json!([{
            "entity_id": id, "parent_id": id, "comment": c.comment, "created_at": created,
            "is_customer_notified": i64::from(request.notify && request.append_comment),
            "is_visible_on_front": i64::from(c.is_visible_on_front),
        }]),
        _ => json!([]),
    };
    if let (Some(object), Value::Object(extra)) = (
        document.as_object_mut(),
        json!({
            "entity_id": id, "increment_id": format!("{id:09}"), "invoice_id": invoice_id,
            "state": 2, "creditmemo_status": 2,
            "adjustment": money(adjustment.0), "base_adjustment": money(adjustment.1),
            "adjustment_positive": money(refund.positive.0), "base_adjustment_positive": money(refund.positive.1),
            "adjustment_negative": money(refund.negative.0), "base_adjustment_negative": money(refund.negative.1),
            "email_sent": i64::from(request.notify),
            "items": items, "comments": comments,
        }),
    ) {
        object.extend(extra);
    }
    let (grand, base_grand) = refund.grand();
    document["grand_total"] = money(grand);
    document["base_grand_total"] = money(base_grand);
    if let Some(mut invoice) = invoice_at.and_then(|at| shop.invoices.get_mut(at)) {
        bump(&mut invoice, "base_total_refunded", base_grand);
    }
    shop.creditmemos.push(document);
    id
}
