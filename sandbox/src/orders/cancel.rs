//! Cancelling (only what is neither invoiced nor shipped) and the admin's "Edit order",
//! which in Magento cancels the original and places a linked copy `…-1`, `…-2`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use serde_json::{Value, json};

use super::book::SalesEvent;
use super::documents::{bump, bump_qty};
use super::money::dec;
use super::place::{Relation, place_with};
use super::state::{
    bad_request, carries_stock, find_order, finish, held, is_child, qty, resolve_state, to_invoice,
};
use super::{AddressInput, Guest, OrderLine, PlaceOrder};
use crate::response::ApiError;
use crate::shop::Shop;

/// Units of a row that can still be canceled (Magento's `getQtyToCancel`: neither
/// invoiced nor shipped).
fn to_cancel(row: &Value) -> Decimal {
    let unshipped = qty(row, "qty_ordered")
        - qty(row, "qty_shipped")
        - qty(row, "qty_refunded")
        - qty(row, "qty_canceled");
    to_invoice(row).min(unshipped).max(Decimal::ZERO)
}

fn cannot_cancel() -> ApiError {
    bad_request("This order cannot be canceled.")
}

/// Cancels what is left of the order; `canceled` when nothing was invoiced.
pub(crate) fn cancel(shop: &mut Shop, order_id: i64, now: DateTime<Utc>) -> Result<(), ApiError> {
    let index = find_order(shop, order_id)?;
    cancel_at(shop, index)?;
    finish(shop, index, "order.canceled", now);
    Ok(())
}

fn cancel_at(shop: &mut Shop, index: usize) -> Result<(), ApiError> {
    let order = shop
        .orders
        .get(index)
        .ok_or_else(ApiError::no_such_entity)?;
    if matches!(
        order["state"].as_str(),
        Some("canceled" | "closed" | "complete" | "holded" | "payment_review")
    ) {
        return Err(cannot_cancel());
    }
    let rows = order["items"].as_array().cloned().unwrap_or_default();
    if rows
        .iter()
        .filter(|r| !is_child(r))
        .all(|r| to_cancel(r).is_zero())
    {
        return Err(cannot_cancel());
    }
    let order_id = order["entity_id"].as_i64().unwrap_or_default();
    let increment = order["increment_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for row in rows.iter().filter(|r| carries_stock(r)) {
        let released = to_cancel(row).min(held(row));
        let sku = row["sku"].as_str().unwrap_or_default();
        shop.reservations.append(
            sku,
            released,
            SalesEvent::OrderCanceled,
            order_id,
            &increment,
        );
    }
    let mut order = shop
        .orders
        .get_mut(index)
        .ok_or_else(ApiError::no_such_entity)?;
    for (i, row) in rows.iter().enumerate() {
        bump_qty(&mut order["items"][i], "qty_canceled", to_cancel(row));
    }
    for (field, total, done) in [
        ("subtotal_canceled", "subtotal", "subtotal_invoiced"),
        (
            "base_subtotal_canceled",
            "base_subtotal",
            "base_subtotal_invoiced",
        ),
        ("tax_canceled", "tax_amount", "tax_invoiced"),
        ("base_tax_canceled", "base_tax_amount", "base_tax_invoiced"),
        ("shipping_canceled", "shipping_amount", "shipping_invoiced"),
        (
            "base_shipping_canceled",
            "base_shipping_amount",
            "base_shipping_invoiced",
        ),
        ("discount_canceled", "discount_amount", "discount_invoiced"),
        (
            "base_discount_canceled",
            "base_discount_amount",
            "base_discount_invoiced",
        ),
        ("total_canceled", "grand_total", "total_invoiced"),
        (
            "base_total_canceled",
            "base_grand_total",
            "base_total_invoiced",
        ),
    ] {
        let amount = dec(&order[total]) - dec(&order[done]);
        bump(&mut order, field, amount);
    }
    order["total_due"] = json!(0);
    order["base_total_due"] = json!(0);
    resolve_state(&mut order);
    Ok(())
}

/// `POST /sandbox/orders/{id}/edit`: what changes in the copy; anything absent is copied
/// from the original.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditOrder {
    #[serde(default)]
    pub items: Option<Vec<OrderLine>>,
    #[serde(default)]
    pub address: Option<AddressInput>,
    #[serde(default)]
    pub shipping_method: Option<String>,
}

/// Magento's order edit: the original is canceled and a copy placed with the increment id
/// `…-1` (`…-2` for an edit of that), linked both ways. Returns the copy's entity id. An
/// order with invoices or shipments cannot be edited.
pub(crate) fn edit(
    shop: &mut Shop,
    order_id: i64,
    changes: &EditOrder,
    now: DateTime<Utc>,
) -> Result<i64, ApiError> {
    let index = find_order(shop, order_id)?;
    let original = shop
        .orders
        .get(index)
        .cloned()
        .ok_or_else(ApiError::no_such_entity)?;
    let rows = original["items"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let touched = rows
        .iter()
        .any(|r| !qty(r, "qty_invoiced").is_zero() || !qty(r, "qty_shipped").is_zero());
    if touched
        || matches!(
            original["state"].as_str(),
            Some("canceled" | "closed" | "complete" | "holded")
        )
    {
        return Err(bad_request("This order cannot be edited."));
    }
    let mut input = replay(shop, &original);
    if let Some(items) = &changes.items {
        input.items = items.clone();
    }
    if changes.address.is_some() {
        input.address = changes.address.clone();
    }
    if changes.shipping_method.is_some() {
        input.shipping_method = changes.shipping_method.clone();
    }
    let real_id = original["increment_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let base = original["original_increment_id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| real_id.split('-').next().unwrap_or_default().to_owned());
    let edit_increment = original["edit_increment"].as_i64().unwrap_or(0) + 1;
    let new_increment = format!("{base}-{edit_increment}");
    let relation = Relation {
        increment_id: new_increment.clone(),
        original_increment_id: base,
        edit_increment,
        parent_id: order_id,
        parent_real_id: real_id,
    };
    // Undo marks: a copy that cannot be placed leaves the original as it was.
    let (reservations, events) = (shop.reservations.len(), shop.events.len());
    cancel_at(shop, index)?;
    let placed = place_with(shop, &input, now, Some(relation));
    let new_id = match placed {
        Ok(id) => id,
        Err(err) => {
            shop.orders.replace(index, original);
            shop.reservations.truncate(reservations);
            shop.events.truncate(events);
            return Err(err);
        }
    };
    if let Some(mut old) = shop.orders.get_mut(index) {
        old["relation_child_id"] = json!(new_id.to_string());
        old["relation_child_real_id"] = json!(new_increment);
    }
    finish(shop, index, "order.canceled", now);
    Ok(new_id)
}

/// The placement that reproduces `order` (its lines at the prices it was placed with).
fn replay(shop: &Shop, order: &Value) -> PlaceOrder {
    let rows = order["items"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let product_sku = |id: &Value| {
        shop.products
            .iter()
            .find(|p| p["id"] == *id)
            .and_then(|p| p["sku"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let items = rows
        .iter()
        .filter(|r| !is_child(r))
        .map(|row| {
            let children: Vec<&Value> = rows
                .iter()
                .filter(|c| c["parent_item_id"] == row["item_id"])
                .collect();
            let sku = |v: &Value| v["sku"].as_str().unwrap_or_default().to_owned();
            let (line_sku, variant, selections) = match row["product_type"].as_str() {
                Some("configurable") => {
                    (product_sku(&row["product_id"]), Some(sku(row)), Vec::new())
                }
                Some("bundle") => (
                    product_sku(&row["product_id"]),
                    None,
                    children.iter().map(|c| sku(c)).collect(),
                ),
                _ => (sku(row), None, Vec::new()),
            };
            OrderLine {
                sku: line_sku,
                qty: qty(row, "qty_ordered").to_u32().unwrap_or(1),
                variant,
                selections,
                price: Some(dec(&row["base_price"])),
            }
        })
        .collect();
    let address = &order["extension_attributes"]["shipping_assignments"][0]["shipping"]["address"];
    let text = |v: &Value| v.as_str().map(str::to_owned);
    PlaceOrder {
        customer_id: order["customer_id"].as_i64(),
        guest: Some(Guest {
            email: order["customer_email"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            firstname: text(&order["customer_firstname"]),
            lastname: text(&order["customer_lastname"]),
        }),
        items,
        coupon_code: text(&order["coupon_code"]),
        store: Some(
            if order["store_id"] == 2 {
                "fr"
            } else {
                "default"
            }
            .to_owned(),
        ),
        currency: text(&order["order_currency_code"]),
        rate: Some(dec(&order["base_to_order_rate"])),
        address: address.is_object().then(|| AddressInput {
            firstname: text(&address["firstname"]),
            lastname: text(&address["lastname"]),
            street: address["street"].as_array().map(|s| {
                s.iter()
                    .filter_map(|l| l.as_str().map(str::to_owned))
                    .collect()
            }),
            city: text(&address["city"]),
            region_code: text(&address["region_code"]),
            postcode: text(&address["postcode"]),
            country_id: text(&address["country_id"]),
            telephone: text(&address["telephone"]),
        }),
        shipping_method: text(
            &order["extension_attributes"]["shipping_assignments"][0]["shipping"]["method"],
        ),
        payment_method: text(&order["payment"]["method"]),
        paid: false,
    }
}
