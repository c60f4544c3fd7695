//! Outbound notifications, as the merchant's small Magento module sends them: every
//! event in the shop's log is POSTed, signed, to the configured URL, in order, with
//! retries. Without a configured URL the module is "not installed" and events pass by.

use std::sync::Mutex;
use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, web};
use magento::notification::{
    EVENT_ID_HEADER, Notification, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::State;
use crate::response::json_response;
use crate::shop::ShopEvent;

/// Where and how to deliver, set through `POST /sandbox/notifications`.
#[derive(Clone, Deserialize)]
pub(crate) struct Target {
    pub url: String,
    pub secret: String,
    /// Attempts per event before it is given up as failed.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// The first retry's delay; each further one doubles it (capped at 10 s).
    #[serde(default = "default_retry_base_ms")]
    pub retry_base_ms: u64,
}

fn default_max_attempts() -> u32 {
    5
}

fn default_retry_base_ms() -> u64 {
    200
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Outcome {
    Delivered,
    Failed,
    /// No URL was configured when the event happened.
    NotConfigured,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Delivery {
    pub event_id: String,
    pub event: &'static str,
    pub entity_id: i64,
    pub attempts: u32,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

pub(crate) struct Notifier {
    target: Mutex<Option<Target>>,
    deliveries: Mutex<Vec<Delivery>>,
    /// Prefix of every event id, so a restarted sandbox never repeats one.
    instance: String,
}

impl Notifier {
    pub fn new() -> Self {
        Self {
            target: Mutex::new(None),
            deliveries: Mutex::new(Vec::new()),
            instance: format!("sbx{:08x}", rand::random::<u32>()),
        }
    }

    fn target(&self) -> Option<Target> {
        self.target
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_target(&self, target: Option<Target>) {
        *self.target.lock().unwrap_or_else(|e| e.into_inner()) = target;
    }

    fn record(&self, delivery: Delivery) {
        self.deliveries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(delivery);
    }

    fn view(&self) -> serde_json::Value {
        let target = self.target();
        // `NotConfigured` entries are left out: a generated catalogue makes thousands.
        let deliveries: Vec<Delivery> = self
            .deliveries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|d| d.outcome != Outcome::NotConfigured)
            .cloned()
            .collect();
        json!({
            "url": target.as_ref().map(|t| t.url.clone()),
            "max_attempts": target.as_ref().map(|t| t.max_attempts),
            "deliveries": deliveries,
        })
    }

    fn notification(&self, event: &ShopEvent) -> Notification {
        Notification {
            event_id: format!("{}-{}", self.instance, event.sequence),
            event: event.event.to_owned(),
            entity_type: event.entity_type.to_owned(),
            entity_id: event.entity_id,
            increment_id: event.increment_id.clone(),
            store_id: event.store_id,
            updated_at: event.updated_at.clone(),
        }
    }
}

/// `POST` a target, `GET` the target (without its secret) and the deliveries so far,
/// `DELETE` to stop sending.
pub(crate) fn control(method: &Method, body: &[u8], state: &State) -> HttpResponse {
    let notifier = &state.notifier;
    match *method {
        Method::POST => match serde_json::from_slice::<Target>(body) {
            Ok(target) if !target.url.starts_with("http") => bad_request("url must be http(s)"),
            Ok(target) if target.secret.is_empty() => bad_request("secret must not be empty"),
            Ok(target) if target.max_attempts == 0 => {
                bad_request("max_attempts must be at least 1")
            }
            Ok(target) => {
                notifier.set_target(Some(target));
                json_response(StatusCode::CREATED, &notifier.view())
            }
            Err(err) => bad_request(&format!("not a notification target: {err}")),
        },
        Method::GET => json_response(StatusCode::OK, &notifier.view()),
        Method::DELETE => {
            notifier.set_target(None);
            json_response(StatusCode::OK, &notifier.view())
        }
        _ => json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            &json!({ "message": "use POST, GET or DELETE" }),
        ),
    }
}

fn bad_request(message: &str) -> HttpResponse {
    json_response(StatusCode::BAD_REQUEST, &json!({ "message": message }))
}

/// Tails the shop's event log for the sandbox's lifetime, delivering each event once it
/// is recorded. Runs until the task is aborted.
pub(crate) async fn run(state: web::Data<State>) {
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
    {
        Ok(http) => http,
        Err(err) => {
            tracing::error!(error = %err, "sandbox notifier has no HTTP client; not sending");
            return;
        }
    };
    let mut delivered_up_to = 0usize;
    loop {
        let pending: Vec<ShopEvent> = {
            let shop = state.shop.read().unwrap_or_else(|e| e.into_inner());
            shop.events
                .get(delivered_up_to..)
                .map(<[ShopEvent]>::to_vec)
                .unwrap_or_default()
        };
        if pending.is_empty() {
            // `notify_one` keeps a permit when nobody waits, so an event recorded between
            // the read above and this wait is not missed.
            state.events_recorded.notified().await;
            continue;
        }
        for event in &pending {
            let delivery = deliver(&http, &state.notifier, event).await;
            state.notifier.record(delivery);
        }
        delivered_up_to += pending.len();
    }
}

async fn deliver(http: &reqwest::Client, notifier: &Notifier, event: &ShopEvent) -> Delivery {
    let notification = notifier.notification(event);
    let mut delivery = Delivery {
        event_id: notification.event_id.clone(),
        event: event.event,
        entity_id: event.entity_id,
        attempts: 0,
        outcome: Outcome::NotConfigured,
        last_error: None,
    };
    let Some(target) = notifier.target() else {
        return delivery;
    };
    let body = match serde_json::to_vec(&notification) {
        Ok(body) => body,
        Err(err) => {
            delivery.outcome = Outcome::Failed;
            delivery.last_error = Some(format!("could not serialise: {err}"));
            return delivery;
        }
    };
    while delivery.attempts < target.max_attempts {
        if delivery.attempts > 0 {
            let exponent = (delivery.attempts - 1).min(16);
            let delay = Duration::from_millis(target.retry_base_ms.saturating_mul(1 << exponent))
                .min(Duration::from_secs(10));
            tokio::time::sleep(delay).await;
        }
        delivery.attempts += 1;
        // Signed afresh on every attempt: the receiver refuses stale timestamps.
        let timestamp = chrono::Utc::now().timestamp();
        let sent = http
            .post(&target.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(EVENT_ID_HEADER, &notification.event_id)
            .header(
                SIGNATURE_HEADER,
                sign(target.secret.as_bytes(), timestamp, &body),
            )
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                delivery.outcome = Outcome::Delivered;
                delivery.last_error = None;
                return delivery;
            }
            Ok(response) => delivery.last_error = Some(format!("HTTP {}", response.status())),
            Err(err) => delivery.last_error = Some(format!("not delivered: {err}")),
        }
        tracing::debug!(
            event_id = %notification.event_id, attempt = delivery.attempts,
            error = ?delivery.last_error, "sandbox notification not accepted"
        );
    }
    delivery.outcome = Outcome::Failed;
    delivery
}
