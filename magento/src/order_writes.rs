//! Order writes: shipping an order (`POST /V1/order/{id}/ship`), adding an order comment
//! (`POST /V1/orders/{id}/comments`), and MSI's salable quantity read.
//!
//! Shipping and commenting are not idempotent: Magento would create a second shipment
//! (for what is left to ship) or a second comment. So both go through
//! `send_unrepeatable`, which reads the store before repeating a write whose answer was
//! lost. Each takes a baseline first (the order's shipment ids, the count of comments with
//! the same text), so the check recognises the write's own effect and not an earlier one.

use std::collections::BTreeSet;

use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::client::MagentoClient;
use crate::dto;
use crate::error::MagentoError;
use crate::oauth;
use crate::search::SearchCriteria;

/// A shipment to create. No items ships everything left to ship (Magento's default).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShipRequest {
    /// Order rows and units; a configurable line is named by its parent row (the row with
    /// `product_type` `configurable`), not the child.
    pub items: Vec<ShipItem>,
    /// Email the customer.
    pub notify: bool,
    /// Added to the shipment's comments.
    pub comment: Option<ShipComment>,
    pub tracks: Vec<ShipTrack>,
    /// MSI source to deduct from; `None` lets Magento use its default source selection.
    pub source_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShipItem {
    pub order_item_id: i64,
    pub qty: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShipComment {
    pub comment: String,
    pub is_visible_on_front: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShipTrack {
    pub track_number: String,
    /// What the customer sees (the carrier's name).
    pub title: String,
    /// `ups`, `usps`, `fedex`, `dhl`, or `custom`.
    pub carrier_code: String,
}

/// An order status history entry to add.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderComment {
    pub comment: String,
    pub is_customer_notified: bool,
    pub is_visible_on_front: bool,
    /// A new order status (e.g. `holded`'s label, a custom status); `None` keeps it.
    pub status: Option<String>,
}

fn quantity(value: Decimal) -> Result<Value, MagentoError> {
    let text = value.normalize().to_string();
    serde_json::from_str::<Value>(&text)
        .ok()
        .filter(Value::is_number)
        .ok_or_else(|| MagentoError::InvalidRequest {
            message: format!("the quantity {value} is not a JSON number"),
        })
}

impl ShipRequest {
    fn body(&self) -> Result<Value, MagentoError> {
        let mut items = Vec::with_capacity(self.items.len());
        for item in &self.items {
            items.push(json!({ "order_item_id": item.order_item_id, "qty": quantity(item.qty)? }));
        }
        let tracks: Vec<Value> = self
            .tracks
            .iter()
            .map(|t| {
                json!({ "track_number": t.track_number, "title": t.title, "carrier_code": t.carrier_code })
            })
            .collect();
        let mut body = json!({
            "items": items,
            "notify": self.notify,
            "appendComment": self.comment.is_some(),
            "tracks": tracks,
        });
        if let Some(comment) = &self.comment {
            body["comment"] = json!({
                "comment": comment.comment,
                "is_visible_on_front": i64::from(comment.is_visible_on_front),
            });
        }
        if let Some(source) = &self.source_code {
            body["arguments"] = json!({ "extension_attributes": { "source_code": source } });
        }
        Ok(body)
    }

    /// Whether `shipment` is the one this request creates: same rows and units (when
    /// rows were named) and the same tracking numbers.
    fn matches(&self, shipment: &dto::Shipment) -> bool {
        let items_match = self.items.iter().all(|wanted| {
            shipment
                .items
                .iter()
                .any(|i| i.order_item_id == wanted.order_item_id && i.qty == wanted.qty)
        });
        let wanted: BTreeSet<&str> = self
            .tracks
            .iter()
            .map(|t| t.track_number.as_str())
            .collect();
        let found: BTreeSet<&str> = shipment
            .tracks
            .iter()
            .map(|t| t.track_number.as_str())
            .collect();
        items_match && wanted == found
    }
}

/// An id Magento answers as a JSON string (`"3"`) or a number.
fn parse_id(bytes: &[u8], entity: &str, context: i64) -> Result<i64, MagentoError> {
    let answer: Value = dto::decode(bytes, entity, Some(&context.to_string()))?;
    match &answer {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
    .ok_or_else(|| MagentoError::Decode {
        entity: entity.to_owned(),
        id: Some(context.to_string()),
        message: format!("expected an id, got {answer}"),
    })
}

impl MagentoClient {
    /// `POST /V1/order/{id}/ship`: creates a shipment (with its tracks and comment) and
    /// returns its id. When the answer is lost after Magento may have applied it, the
    /// order's shipments are read: a new one with the same rows and tracking numbers
    /// means it was applied and is not sent again.
    pub async fn ship_order(
        &self,
        order_id: i64,
        request: &ShipRequest,
    ) -> Result<i64, MagentoError> {
        const ENDPOINT: &str = "POST /V1/order/{id}/ship";
        let body = request.body()?;
        let before: BTreeSet<i64> = self
            .order_shipments(order_id)
            .await?
            .iter()
            .map(|s| s.entity_id)
            .collect();
        let path = format!("/V1/order/{order_id}/ship");
        self.send_unrepeatable(
            Method::POST,
            ENDPOINT,
            &path,
            &body,
            |bytes| parse_id(bytes, "shipment id", order_id).map_err(|e| e.redact(&self.secrets())),
            || async {
                let shipments = self.order_shipments(order_id).await?;
                Ok(shipments
                    .iter()
                    .find(|s| !before.contains(&s.entity_id) && request.matches(s))
                    .map(|s| s.entity_id))
            },
        )
        .await
    }

    async fn order_shipments(&self, order_id: i64) -> Result<Vec<dto::Shipment>, MagentoError> {
        let criteria = SearchCriteria::new().filter("order_id", &order_id.to_string(), "eq");
        self.shipments(criteria).await
    }

    /// `POST /V1/orders/{id}/comments`: adds a status history entry (and with `status`
    /// changes the order's status). When the answer is lost, the order's history is read:
    /// one more entry with this text than before means it was applied.
    pub async fn add_order_comment(
        &self,
        order_id: i64,
        comment: &OrderComment,
    ) -> Result<(), MagentoError> {
        const ENDPOINT: &str = "POST /V1/orders/{id}/comments";
        let mut history = json!({
            "comment": comment.comment,
            "is_customer_notified": i64::from(comment.is_customer_notified),
            "is_visible_on_front": i64::from(comment.is_visible_on_front),
        });
        if let Some(status) = &comment.status {
            history["status"] = json!(status);
        }
        let body = json!({ "statusHistory": history });
        let before = self.comments_with_text(order_id, &comment.comment).await?;
        let path = format!("/V1/orders/{order_id}/comments");
        self.send_unrepeatable(
            Method::POST,
            ENDPOINT,
            &path,
            &body,
            |bytes| {
                let answer: Value =
                    dto::decode(bytes, "comment result", Some(&order_id.to_string()))?;
                match answer {
                    Value::Bool(true) => Ok(()),
                    other => Err(MagentoError::Decode {
                        entity: "comment result".to_owned(),
                        id: Some(order_id.to_string()),
                        message: format!("expected true, got {other}"),
                    }),
                }
            },
            || async {
                let now = self.comments_with_text(order_id, &comment.comment).await?;
                Ok((now > before).then_some(()))
            },
        )
        .await
    }

    async fn comments_with_text(&self, order_id: i64, text: &str) -> Result<usize, MagentoError> {
        let order = self.order(order_id).await?;
        Ok(order
            .status_histories
            .iter()
            .filter(|h| h.comment.as_deref() == Some(text))
            .count())
    }

    /// `GET /V1/inventory/get-product-salable-quantity/{sku}/{stockId}` (MSI): what the
    /// store can still sell, i.e. source quantities minus reservations of open orders.
    pub async fn salable_quantity(
        &self,
        sku: &str,
        stock_id: i64,
    ) -> Result<Decimal, MagentoError> {
        const ENDPOINT: &str = "/V1/inventory/get-product-salable-quantity/{sku}/{stockId}";
        let path = format!(
            "/V1/inventory/get-product-salable-quantity/{}/{stock_id}",
            oauth::percent_encode(sku)
        );
        let bytes = self.send(Method::GET, ENDPOINT, &path, &[], None).await?;
        let answer: Value = dto::decode(&bytes, "salable quantity", Some(sku))
            .map_err(|e| e.redact(&self.secrets()))?;
        let parsed = match &answer {
            Value::Number(n) => n.to_string().parse::<Decimal>().ok(),
            Value::String(s) => s.trim().parse::<Decimal>().ok(),
            _ => None,
        };
        parsed.ok_or_else(|| MagentoError::Decode {
            entity: "salable quantity".to_owned(),
            id: Some(sku.to_owned()),
            message: format!("expected a number, got {answer}"),
        })
    }
}
