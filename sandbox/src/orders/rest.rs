//! The Magento REST routes backed by the order operations: `POST /V1/order/{id}/ship`,
//! `POST /V1/orders/{id}/comments` and MSI's salable quantity read.

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::money::{dec, number};
use super::ship::{ShipRequest, flag, ship};
use super::state::{add_history, find_order, finish};
use crate::query::raw_url_decode;
use crate::response::ApiError;
use crate::shop::Shop;

/// Magento's answer to a body its deserializer cannot map (details only in developer
/// mode).
fn decoding_error() -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "Decoding error.")
}

/// A path id as Magento's typed input casts it; anything else matches no entity.
fn path_id(raw: &str) -> Result<i64, ApiError> {
    raw.trim().parse().map_err(|_| ApiError::no_such_entity())
}

/// `POST /V1/order/{id}/ship` → the shipment id as a JSON string.
pub(crate) fn ship_route(
    shop: &mut Shop,
    raw_id: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    let id = path_id(raw_id)?;
    let request: ShipRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ShipRequest::default()
    } else {
        serde_json::from_slice(body).map_err(|_| decoding_error())?
    };
    ship(shop, id, &request, now).map(|id| Value::String(id.to_string()))
}

#[derive(Debug, Deserialize)]
struct CommentBody {
    #[serde(rename = "statusHistory", alias = "status_history")]
    status_history: StatusHistoryInput,
}

#[derive(Debug, Deserialize)]
struct StatusHistoryInput {
    #[serde(default)]
    comment: Option<String>,
    #[serde(default, alias = "isCustomerNotified", deserialize_with = "flag")]
    is_customer_notified: bool,
    #[serde(default, alias = "isVisibleOnFront", deserialize_with = "flag")]
    is_visible_on_front: bool,
    #[serde(default)]
    status: Option<String>,
}

/// The order statuses of Magento's default configuration.
const STATUSES: [&str; 9] = [
    "pending",
    "pending_payment",
    "processing",
    "complete",
    "closed",
    "canceled",
    "holded",
    "payment_review",
    "fraud",
];

/// `POST /V1/orders/{id}/comments` → `true`. A `status` changes the order's status (its
/// state stays), as `OrderManagement::addComment` does since 2.4.
pub(crate) fn add_comment_route(
    shop: &mut Shop,
    raw_id: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    let id = path_id(raw_id)?;
    let body: CommentBody = serde_json::from_slice(body).map_err(|_| decoding_error())?;
    let input = body.status_history;
    let index = find_order(shop, id)?;
    if let Some(status) = input
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if !STATUSES.contains(&status) {
            return Err(ApiError::with_parameters(
                StatusCode::BAD_REQUEST,
                "The \"%1\" status doesn't exist.",
                json!([status]),
            ));
        }
        if let Some(mut order) = shop.orders.get_mut(index) {
            order["status"] = json!(status);
        }
    }
    let comment = input.comment.unwrap_or_default();
    add_history(
        shop,
        index,
        &comment,
        input.is_customer_notified,
        input.is_visible_on_front,
        now,
    );
    finish(shop, index, "order.updated", now);
    Ok(Value::Bool(true))
}

/// `GET /V1/inventory/get-product-salable-quantity/{sku}/{stockId}` → a number. Reads
/// under the shared lock, so it scans instead of using the write-side indexes.
pub(crate) fn salable_quantity_route(
    shop: &Shop,
    raw_sku: &str,
    raw_stock: &str,
) -> Result<Value, ApiError> {
    let sku = raw_url_decode(raw_sku);
    if raw_stock.trim() != "1" {
        return Err(ApiError::with_parameters(
            StatusCode::NOT_FOUND,
            "No such entity with %fieldName = %fieldValue",
            json!({ "fieldName": "stock_id", "fieldValue": raw_stock }),
        ));
    }
    let product = shop
        .products
        .iter()
        .find(|p| {
            p["sku"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(&sku))
        })
        .ok_or_else(|| {
            ApiError::with_parameters(
                StatusCode::BAD_REQUEST,
                "Following products with requested skus were not found: %skus",
                json!({ "skus": sku }),
            )
        })?;
    if !matches!(product["type_id"].as_str(), Some("simple" | "virtual")) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "Can't check requested quantity for products without Source Items support.",
        ));
    }
    let on_hand: rust_decimal::Decimal = shop
        .inventory
        .source_items
        .iter()
        .filter(|s| {
            s["sku"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(&sku))
        })
        .filter(|s| s["status"] == 1)
        .map(|s| dec(&s["quantity"]))
        .sum();
    Ok(number(on_hand + shop.reservations.reserved(&sku)))
}
