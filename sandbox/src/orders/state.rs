//! Shared steps of every order operation: finding the order, reading its rows, Magento's
//! state resolution, the status history, and the bookkeeping that closes an operation
//! (`updated_at`, the embedded copies of rows, the event log).

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::money::{dec, round};
use crate::response::ApiError;
use crate::seed::magento_time;
use crate::shop::Shop;

pub(crate) fn bad_request(message: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message)
}

/// A validation failure of a sales document, as Magento's `DocumentValidationException`
/// words it: a fixed heading, then the messages already filled in.
pub(crate) fn document_error(document: &str, message: &str) -> ApiError {
    bad_request(&format!(
        "{document} Document Validation Error(s):\n{message}"
    ))
}

/// Refuses a new invoice or shipment (`document`, `a_document`: "Invoice", "An invoice")
/// while the order is canceled, closed, complete, on hold or in payment review, as
/// Magento's validators do.
pub(crate) fn refuse_in_final_state(
    order: &Value,
    document: &str,
    a_document: &str,
) -> Result<(), ApiError> {
    let status = order["status"].as_str().unwrap_or_default();
    if matches!(
        order["state"].as_str(),
        Some("canceled" | "closed" | "complete" | "holded" | "payment_review")
    ) {
        return Err(document_error(
            document,
            &format!("{a_document} cannot be created when an order has a status of {status}"),
        ));
    }
    Ok(())
}

/// The position of the order with this entity id, its row stored (rendered, if it was
/// kept as its placement) so the operation can read it with `shop.orders.get`.
pub(crate) fn find_order(shop: &mut Shop, id: i64) -> Result<usize, ApiError> {
    let position = shop
        .orders
        .position_of(id)
        .ok_or_else(ApiError::no_such_entity)?;
    shop.orders.materialize(position);
    Ok(position)
}

pub(crate) fn qty(row: &Value, field: &str) -> Decimal {
    dec(&row[field])
}

/// Whether the row is the child of a configurable or bundle line.
pub(crate) fn is_child(row: &Value) -> bool {
    row.get("parent_item_id").is_some_and(|v| !v.is_null())
}

pub(crate) fn item_id(row: &Value) -> i64 {
    row["item_id"].as_i64().unwrap_or_default()
}

/// Units of a row still to invoice (Magento's `getQtyToInvoice`).
pub(crate) fn to_invoice(row: &Value) -> Decimal {
    (qty(row, "qty_ordered") - qty(row, "qty_invoiced") - qty(row, "qty_canceled"))
        .max(Decimal::ZERO)
}

/// Units of a row still to ship (`getSimpleQtyToShip`): virtual rows never ship.
pub(crate) fn to_ship(row: &Value) -> Decimal {
    if row["is_virtual"] == 1 || row["product_type"] == "virtual" {
        return Decimal::ZERO;
    }
    (qty(row, "qty_ordered")
        - qty(row, "qty_shipped")
        - qty(row, "qty_refunded")
        - qty(row, "qty_canceled"))
    .max(Decimal::ZERO)
}

/// Units of a row still to refund: invoiced and not refunded yet.
pub(crate) fn to_refund(row: &Value) -> Decimal {
    (qty(row, "qty_invoiced") - qty(row, "qty_refunded")).max(Decimal::ZERO)
}

/// Units of a stock row still held by a reservation: ordered, not yet shipped, canceled
/// or refunded (a refund of an unshipped unit releases it).
pub(crate) fn held(row: &Value) -> Decimal {
    (qty(row, "qty_ordered")
        - qty(row, "qty_shipped")
        - qty(row, "qty_refunded")
        - qty(row, "qty_canceled"))
    .max(Decimal::ZERO)
}

/// Whether a row is one whose SKU carries stock (simple/virtual rows, children included;
/// configurable and bundle parents do not).
pub(crate) fn carries_stock(row: &Value) -> bool {
    matches!(row["product_type"].as_str(), Some("simple" | "virtual"))
}

/// The child rows of the top-level row at `parent` (by `parent_item_id`).
pub(crate) fn children_of(items: &[Value], parent: i64) -> Vec<usize> {
    items
        .iter()
        .enumerate()
        .filter(|(_, row)| row["parent_item_id"] == parent)
        .map(|(i, _)| i)
        .collect()
}

/// The status Magento's default configuration assigns to a state.
pub(crate) fn default_status(state: &str) -> &str {
    match state {
        "new" => "pending",
        other => other,
    }
}

pub(crate) fn set_state(order: &mut Value, state: &str) {
    order["state"] = json!(state);
    order["status"] = json!(default_status(state));
}

/// Magento's `OrderStateResolver` after an invoice, shipment or credit memo: `closed` when
/// nothing is left to invoice and everything paid was refunded, `complete` when nothing is
/// left to invoice or ship, otherwise `processing` once anything happened.
pub(crate) fn resolve_state(order: &mut Value) {
    let state = order["state"].as_str().unwrap_or_default().to_owned();
    if matches!(state.as_str(), "canceled" | "closed" | "holded") {
        return;
    }
    let items = order["items"].as_array().cloned().unwrap_or_default();
    let top: Vec<&Value> = items.iter().filter(|r| !is_child(r)).collect();
    let can_invoice = top.iter().any(|r| !to_invoice(r).is_zero());
    let can_ship = items.iter().any(|r| !to_ship(r).is_zero());
    let paid = dec(&order["total_paid"]);
    let refunded = dec(&order["total_refunded"]);
    let can_refund = paid > Decimal::ZERO && round(paid - refunded) > Decimal::ZERO;
    let all_canceled = top
        .iter()
        .all(|r| qty(r, "qty_canceled") >= qty(r, "qty_ordered"));
    let next = if all_canceled {
        "canceled"
    } else if !can_invoice && paid > Decimal::ZERO && !can_refund {
        "closed"
    } else if !can_invoice && !can_ship {
        "complete"
    } else if top
        .iter()
        .any(|r| !qty(r, "qty_invoiced").is_zero() || !qty(r, "qty_shipped").is_zero())
    {
        "processing"
    } else {
        state.as_str()
    };
    if next != state {
        set_state(order, next);
    }
}

/// Adds a status history entry (newest first, as Magento lists `status_histories`).
pub(crate) fn add_history(
    shop: &mut Shop,
    index: usize,
    comment: &str,
    notified: bool,
    visible: bool,
    now: DateTime<Utc>,
) {
    let orders = &shop.orders;
    let id = shop
        .book
        .history
        .next(|| orders.max_id(Some("status_histories"), "entity_id"));
    if let Some(mut order) = shop.orders.get_mut(index) {
        history_entry(
            &mut order,
            id,
            comment,
            notified,
            visible,
            &magento_time(now),
        );
    }
}

/// The history entry `id`, put first in the order's `status_histories`.
pub(crate) fn history_entry(
    order: &mut Value,
    id: i64,
    comment: &str,
    notified: bool,
    visible: bool,
    created: &str,
) {
    let entry = json!({
        "comment": comment,
        "created_at": created,
        "entity_id": id,
        "entity_name": "order",
        "is_customer_notified": i64::from(notified),
        "is_visible_on_front": i64::from(visible),
        "parent_id": order["entity_id"],
        "status": order["status"],
    });
    match order["status_histories"].as_array_mut() {
        Some(list) => list.insert(0, entry),
        None => order["status_histories"] = json!([entry]),
    }
}

/// Closes an operation on the order at `index`: bumps `updated_at` (the order's and its
/// rows'), refreshes the copies Magento embeds (`parent_item`, the shipping assignment's
/// items) and records `event`. The order collection re-indexes the new `updated_at`.
pub(crate) fn finish(shop: &mut Shop, index: usize, event: &'static str, now: DateTime<Utc>) {
    let time = magento_time(now);
    let Some(mut order) = shop.orders.get_mut(index) else {
        return;
    };
    touch(&mut order, &time);
    let (entity_id, increment_id, store_id) = (
        order["entity_id"].as_i64().unwrap_or_default(),
        order["increment_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        order["store_id"].as_i64().unwrap_or(1),
    );
    drop(order);
    shop.record_event(event, "order", entity_id, increment_id, store_id, time);
}

/// The order's side of [`finish`].
pub(crate) fn touch(order: &mut Value, time: &str) {
    order["updated_at"] = json!(time);
    if let Some(items) = order["items"].as_array_mut() {
        for row in items.iter_mut() {
            row["updated_at"] = json!(time);
        }
    }
    refresh_copies(order);
}

/// Re-copies parent rows into their children's `parent_item` and the rows into the
/// shipping assignment, so the copies always match the rows. Every copy is taken from
/// the rows as they were before this refresh.
pub(crate) fn refresh_copies(order: &mut Value) {
    let mut items = match order.get_mut("items").map(Value::take) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    let parents: Vec<(usize, Value)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, row)| {
            let parent = row["parent_item_id"].as_i64()?;
            let parent_row = items.iter().find(|r| r["item_id"] == parent)?;
            Some((i, parent_row.clone()))
        })
        .collect();
    for (i, parent_row) in parents {
        items[i]["parent_item"] = parent_row;
    }
    if let Some(assignment) = order
        .pointer_mut("/extension_attributes/shipping_assignments/0")
        .filter(|a| a.is_object())
    {
        assignment["items"] = Value::Array(items.clone());
    }
    order["items"] = Value::Array(items);
}
