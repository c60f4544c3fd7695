//! The control API's order routes (`/sandbox/products`, `/sandbox/customers`,
//! `/sandbox/orders…`, `/sandbox/events`, `/sandbox/reservations`): JSON in, JSON out,
//! a 4xx with `{"message"}` for bad input. Each write holds the shop's lock for the one
//! operation and wakes the notifier after releasing it.

use actix_web::HttpResponse;
use actix_web::http::{Method, StatusCode};
use chrono::Utc;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::setup::{NewCustomer, NewProduct, create_customer, create_product};
use super::{EditOrder, InvoiceRequest, PlaceOrder, RefundRequest, ShipRequest};
use crate::State;
use crate::response::{ApiError, json_response};
use crate::shop::Shop;

fn parse<T: DeserializeOwned + Default>(body: &[u8], what: &str) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse_required(body, what)
}

fn parse_required<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|err| ApiError::new(StatusCode::BAD_REQUEST, &format!("not {what}: {err}")))
}

/// Runs `operation` under the exclusive lock; wakes the notifier when it logged events.
fn write(
    state: &State,
    operation: impl FnOnce(&mut Shop) -> Result<Value, ApiError>,
) -> HttpResponse {
    let (result, logged) = {
        let mut shop = state.shop.write().unwrap_or_else(|e| e.into_inner());
        let before = shop.events.len();
        let result = operation(&mut shop);
        let logged = shop.events.len() > before;
        (result, logged)
    };
    if logged {
        state.events_recorded.notify_one();
    }
    match result {
        Ok(body) => json_response(StatusCode::CREATED, &body),
        Err(err) => err.into_response(),
    }
}

fn order_ref(shop: &Shop, id: i64) -> Value {
    let increment = shop
        .orders
        .position_of(id)
        .and_then(|i| shop.orders.render(i))
        .map(|order| order["increment_id"].clone())
        .unwrap_or(Value::Null);
    json!({ "entity_id": id, "increment_id": increment })
}

/// The order routes of the control API, or `None` when `path` is not one of them.
pub(crate) fn handle(
    method: &Method,
    path: &str,
    body: &[u8],
    state: &State,
) -> Option<HttpResponse> {
    let segments: Vec<&str> = path.split('/').collect();
    let now = Utc::now();
    let response = match (method, segments.as_slice()) {
        (&Method::POST, ["products"]) => write(state, |shop| {
            let input: NewProduct = parse_required(body, "a product")?;
            create_product(shop, &input, now)
        }),
        (&Method::POST, ["customers"]) => write(state, |shop| {
            let input: NewCustomer = parse_required(body, "a customer")?;
            create_customer(shop, &input, now)
        }),
        (&Method::POST, ["orders"]) => write(state, |shop| {
            let input: PlaceOrder = parse_required(body, "an order")?;
            let id = super::place(shop, &input, now)?;
            Ok(order_ref(shop, id))
        }),
        (&Method::POST, ["orders", id, action]) => {
            let Ok(id) = id.parse::<i64>() else {
                return Some(ApiError::new(StatusCode::NOT_FOUND, "no such order").into_response());
            };
            order_action(state, id, action, body, now)?
        }
        (&Method::GET, ["events"]) => {
            let shop = state.shop.read().unwrap_or_else(|e| e.into_inner());
            json_response(StatusCode::OK, &json!({ "events": shop.events }))
        }
        (&Method::GET, ["reservations"]) => {
            let shop = state.shop.read().unwrap_or_else(|e| e.into_inner());
            let rows: Vec<Value> = shop
                .reservations
                .rows()
                .iter()
                .map(|r| r.to_json())
                .collect();
            json_response(StatusCode::OK, &json!({ "reservations": rows }))
        }
        _ => return None,
    };
    Some(response)
}

fn order_action(
    state: &State,
    id: i64,
    action: &str,
    body: &[u8],
    now: chrono::DateTime<Utc>,
) -> Option<HttpResponse> {
    Some(match action {
        "invoice" => write(state, |shop| {
            let input: InvoiceRequest = parse(body, "an invoice request")?;
            let invoice = super::invoice(shop, id, &input, now)?;
            Ok(json!({ "invoice_id": invoice }))
        }),
        "ship" => write(state, |shop| {
            let input: ShipRequest = parse(body, "a ship request")?;
            let shipment = super::ship(shop, id, &input, now)?;
            Ok(json!({ "shipment_id": shipment }))
        }),
        "cancel" => write(state, |shop| {
            super::cancel(shop, id, now)?;
            Ok(order_ref(shop, id))
        }),
        "edit" => write(state, |shop| {
            let input: EditOrder = parse(body, "an order edit")?;
            let new_id = super::edit(shop, id, &input, now)?;
            Ok(order_ref(shop, new_id))
        }),
        "refund" => write(state, |shop| {
            let input: RefundRequest = parse(body, "a refund request")?;
            let memo = super::refund(shop, id, &input, now)?;
            Ok(json!({ "creditmemo_id": memo }))
        }),
        _ => return None,
    })
}
