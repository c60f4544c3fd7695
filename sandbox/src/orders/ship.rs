//! Shipments: Magento's `ShipOrder` (validate, register on the order, save the document)
//! plus MSI's source deduction and the reservation that releases the shipped units.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::book::SalesEvent;
use super::documents::{ItemQty, bump_qty, requested, with_children};
use super::money::number;
use super::state::{
    carries_stock, document_error, find_order, finish, is_child, refuse_in_final_state,
    resolve_state, to_ship,
};
use super::stock::{apply, plan_deduction};
use crate::response::ApiError;
use crate::routes::flag_input;
use crate::seed::magento_time;
use crate::shop::Shop;

/// The body of `POST /V1/order/{id}/ship` (also taken by the control API). No items
/// ships everything left.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipRequest {
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
    pub tracks: Vec<TrackInput>,
    #[serde(default)]
    pub packages: Vec<Value>,
    #[serde(default)]
    pub arguments: Option<Arguments>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CommentInput {
    #[serde(default)]
    pub comment: String,
    #[serde(default, alias = "isVisibleOnFront", deserialize_with = "flag")]
    pub is_visible_on_front: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TrackInput {
    #[serde(alias = "trackNumber")]
    pub track_number: String,
    #[serde(default)]
    pub title: String,
    #[serde(default, alias = "carrierCode")]
    pub carrier_code: String,
}

/// `arguments` of ship and refund requests.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Arguments {
    #[serde(default)]
    pub extension_attributes: ArgumentExtension,
    #[serde(default)]
    pub shipping_amount: Option<Value>,
    #[serde(default)]
    pub adjustment_positive: Option<Value>,
    #[serde(default)]
    pub adjustment_negative: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ArgumentExtension {
    /// MSI: the source a shipment deducts from.
    #[serde(default)]
    pub source_code: Option<String>,
    /// Refunds: order item ids whose units go back to stock.
    #[serde(default)]
    pub return_to_stock_items: Vec<Value>,
}

/// A bool as Magento casts it: `true`/`false`, `0`/`1`, `"0"`/`"1"`/`"true"`/`"false"`.
pub(crate) fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let value = Value::deserialize(d)?;
    match &value {
        Value::Null => Some(false),
        other => flag_input(other),
    }
    .ok_or_else(|| serde::de::Error::custom(format!("not a boolean: {value}")))
}

/// Ships the order: validates like Magento's shipment validators, deducts the source
/// (`arguments.extension_attributes.source_code`, default `default`), releases the
/// reservations of the shipped units and completes the order when nothing is left to
/// invoice or ship. Returns the shipment id.
pub(crate) fn ship(
    shop: &mut Shop,
    order_id: i64,
    request: &ShipRequest,
    now: DateTime<Utc>,
) -> Result<i64, ApiError> {
    let index = find_order(shop, order_id)?;
    let order = shop
        .orders
        .get(index)
        .ok_or_else(ApiError::no_such_entity)?;
    refuse_in_final_state(order, "Shipment", "A shipment")?;
    let rows = order["items"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if rows.iter().all(|r| to_ship(r).is_zero()) {
        return Err(document_error(
            "Shipment",
            "The order does not allow a shipment to be created.",
        ));
    }
    let wanted = requested(
        order,
        &request.items,
        to_ship,
        "Shipment",
        "The quantity to ship must not be greater than the unshipped quantity for product SKU \"%1\".",
    )?;
    if wanted.is_empty() {
        return Err(document_error(
            "Shipment",
            "You can't create a shipment without products.",
        ));
    }
    let shipped = with_children(order, &wanted);
    let source = request
        .arguments
        .as_ref()
        .and_then(|a| a.extension_attributes.source_code.clone())
        .unwrap_or_else(|| "default".to_owned());
    let stock_units = stock_units(order, &shipped);
    let mut changes = Vec::new();
    for (sku, units) in &stock_units {
        if let Some(change) = plan_deduction(shop, sku, *units, &source)? {
            changes.push(change);
        }
    }
    // Everything is validated: from here on the operation cannot fail.
    for change in changes {
        apply(shop, change);
    }
    let order_id_text = shop
        .orders
        .get(index)
        .and_then(|o| o["increment_id"].as_str())
        .unwrap_or_default()
        .to_owned();
    for (sku, units) in &stock_units {
        shop.reservations.append(
            sku,
            *units,
            SalesEvent::ShipmentCreated,
            order_id,
            &order_id_text,
        );
    }
    let id = save_shipment(shop, index, &shipped, request, &source, now);
    if let Some(mut order) = shop.orders.get_mut(index) {
        for &(i, units) in &shipped {
            bump_qty(&mut order["items"][i], "qty_shipped", units);
        }
        resolve_state(&mut order);
    }
    finish(shop, index, "order.updated", now);
    Ok(id)
}

/// Units per SKU of the stock-carrying rows among `shipped`, SKUs in first-seen case.
fn stock_units(order: &Value, shipped: &[(usize, Decimal)]) -> Vec<(String, Decimal)> {
    let mut per_sku: BTreeMap<String, (String, Decimal)> = BTreeMap::new();
    for &(i, units) in shipped {
        let row = &order["items"][i];
        if !carries_stock(row) {
            continue;
        }
        let sku = row["sku"].as_str().unwrap_or_default();
        per_sku
            .entry(sku.to_lowercase())
            .or_insert_with(|| (sku.to_owned(), Decimal::ZERO))
            .1 += units;
    }
    per_sku.into_values().collect()
}

/// Appends the shipment document and returns its id. A configurable's child is not a
/// shipment row of its own (Magento treats it as a dummy); a bundle's children are.
fn save_shipment(
    shop: &mut Shop,
    index: usize,
    shipped: &[(usize, Decimal)],
    request: &ShipRequest,
    source: &str,
    now: DateTime<Utc>,
) -> i64 {
    let shipments = &shop.shipments;
    let id = shop
        .book
        .shipment
        .next(|| shipments.max_id(None, "entity_id"));
    let created = magento_time(now);
    let Some(order) = shop.orders.get(index) else {
        return id;
    };
    let rows: Vec<(&Value, Decimal)> = shipped
        .iter()
        .map(|&(i, units)| (&order["items"][i], units))
        .filter(|(row, _)| !(is_child(row) && row["parent_item"]["product_type"] == "configurable"))
        .collect();
    let first_item = shop.book.shipment_item.next_block(rows.len() as i64, || {
        shipments.max_id(Some("items"), "entity_id")
    });
    let items: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(n, (row, units))| {
            json!({
                "entity_id": first_item + n as i64, "parent_id": id, "order_item_id": row["item_id"],
                "product_id": row["product_id"], "sku": row["sku"], "name": row["name"],
                "qty": number(*units), "price": row["price"], "weight": row["weight"],
            })
        })
        .collect();
    let total_qty: Decimal = rows
        .iter()
        .filter(|(row, _)| !is_child(row))
        .map(|(_, units)| *units)
        .sum();
    let first_track = shop.book.track.next_block(request.tracks.len() as i64, || {
        shipments.max_id(Some("tracks"), "entity_id")
    });
    let tracks: Vec<Value> = request
        .tracks
        .iter()
        .enumerate()
        .map(|(n, t)| {
            json!({
                "entity_id": first_track + n as i64, "parent_id": id, "order_id": order["entity_id"],
                "track_number": t.track_number, "title": t.title, "carrier_code": t.carrier_code,
                "qty": number(total_qty), "weight": 0, "created_at": created, "updated_at": created,
            })
        })
        .collect();
    let comments = match request
        .comment
        .as_ref()
        .filter(|c| !c.comment.trim().is_empty())
    {
        // Magento adds the comment either way; `appendComment` says whether the customer's
        // email includes it.
        Some(comment) => {
            let comment_id = shop
                .book
                .comment
                .next(|| shipments.max_id(Some("comments"), "entity_id"));
            json!([{
                "entity_id": comment_id, "parent_id": id, "comment": comment.comment,
                "created_at": created,
                "is_customer_notified": i64::from(request.notify && request.append_comment),
                "is_visible_on_front": i64::from(comment.is_visible_on_front),
            }])
        }
        _ => json!([]),
    };
    let shipping_address_id = order["extension_attributes"]["shipping_assignments"][0]["shipping"]
        ["address"]["entity_id"]
        .clone();
    let document = json!({
        "entity_id": id, "increment_id": format!("{id:09}"), "order_id": order["entity_id"],
        "store_id": order["store_id"], "billing_address_id": order["billing_address_id"],
        "shipping_address_id": shipping_address_id, "total_qty": number(total_qty),
        "email_sent": i64::from(request.notify), "created_at": created, "updated_at": created,
        "items": items, "tracks": tracks, "comments": comments, "packages": request.packages,
        "extension_attributes": {"source_code": source},
    });
    shop.shipments.push(document);
    id
}
