//! Signed notifications from the merchant's Magento module (`magento::notification`):
//! verified before anything is stored, recorded once per store and event id, answered at
//! once; an `ORDER_CAPTURE` job then re-reads the order from Magento (the body only
//! names it: its business fields are never trusted) and captures it.

use chrono::Utc;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use magento::notification::{self, Notification};

use super::capture::Capturer;
use crate::Services;
use crate::channel::magento::stores::{self, webhook};
use crate::error::DomainResult;
use crate::jobs::{self, Job, JobContext, JobFailure, JobKind, Requested, item_index};

/// The largest body a notification may have.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What a delivery as received carries.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub body: &'a [u8],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// New: recorded, and its job queued.
    Accepted { notification_id: Uuid },
    /// This event id was received before; nothing new happened.
    Replayed,
}

/// Why a delivery was refused. The HTTP layer answers every `Unauthorized` alike, so a
/// caller learns nothing about which stores exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the notification is not signed by this store: {0}")]
    Unauthorized(String),
    #[error("the notification body is over {MAX_BODY_BYTES} bytes")]
    TooLarge,
}

/// Verifies and records a delivery to `POST /webhooks/magento/{store_id}`.
pub async fn receive(
    services: &Services,
    store_id: Uuid,
    delivery: Delivery<'_>,
) -> DomainResult<Result<Received, Refused>> {
    if delivery.body.len() > MAX_BODY_BYTES {
        return Ok(Err(Refused::TooLarge));
    }
    let (org_id, secrets) = webhook::valid_secrets(services, store_id).await?;
    let Some(org_id) = org_id else {
        return Ok(Err(Refused::Unauthorized("no such store".into())));
    };
    if secrets.is_empty() {
        return Ok(Err(Refused::Unauthorized(
            "the store has no webhook secret".into(),
        )));
    }
    let now = Utc::now().timestamp();
    let mut last_error = None;
    let mut verified = None;
    for secret in &secrets {
        match notification::verify(
            secret.as_bytes(),
            delivery.timestamp,
            delivery.signature,
            delivery.body,
            now,
        ) {
            Ok(notification) => {
                verified = Some(notification);
                break;
            }
            Err(err) => last_error = Some(err),
        }
    }
    let Some(notification) = verified else {
        let why = last_error.map(|e| e.to_string()).unwrap_or_default();
        return Ok(Err(Refused::Unauthorized(why)));
    };
    record(services, org_id, store_id, &notification)
        .await
        .map(Ok)
}

/// Records a verified notification once and queues what it asks for. The job is queued
/// first, under an idempotency key of the event id, so a crash between the two leaves at
/// most a job whose notification row is missing (and a redelivery finds the same job).
async fn record(
    services: &Services,
    org_id: Uuid,
    store_id: Uuid,
    notification: &Notification,
) -> DomainResult<Received> {
    let seen = services
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 AS one FROM inbound_notifications WHERE store_id = $1 AND event_id = $2",
            [store_id.into(), notification.event_id.clone().into()],
        ))
        .await?;
    if seen.is_some() {
        return Ok(Received::Replayed);
    }
    let job_id = match notification.entity_type.as_str() {
        "order" if notification.entity_id > 0 => {
            let job = jobs::enqueue_job(
                services,
                Requested {
                    org_id,
                    requested_by: None,
                    idempotency_key: Some(format!(
                        "notification:{store_id}:{}",
                        notification.event_id
                    )),
                },
                &OrderCapture {
                    store_id,
                    magento_order_id: notification.entity_id,
                },
            )
            .await?;
            Some(job.id)
        }
        // Credit memos are recorded for the refunds that consume them.
        _ => None,
    };
    let notification_id = Uuid::new_v4();
    let inserted = services
        .db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO inbound_notifications \
               (id, org_id, store_id, event_id, event, entity_type, entity_id, job_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (store_id, event_id) DO NOTHING",
            [
                notification_id.into(),
                org_id.into(),
                store_id.into(),
                notification.event_id.clone().into(),
                notification.event.clone().into(),
                notification.entity_type.clone().into(),
                notification.entity_id.into(),
                job_id.into(),
            ],
        ))
        .await?;
    Ok(if inserted.rows_affected() == 0 {
        Received::Replayed
    } else {
        Received::Accepted { notification_id }
    })
}

/// Re-reads one order from Magento and captures it (or, gone there, cancels it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCapture {
    pub store_id: Uuid,
    pub magento_order_id: i64,
}

impl Job for OrderCapture {
    const KIND: JobKind = JobKind::OrderCapture;
    // Enough backoff to outlast a store answering 503 for a few minutes; the poller
    // picks the order up meanwhile anyway.
    const MAX_ATTEMPTS: i32 = 10;

    fn store_id(&self) -> Option<Uuid> {
        Some(self.store_id)
    }

    async fn run(self, ctx: &JobContext) -> Result<(), JobFailure> {
        let (store, client) = stores::store_of_job(ctx).await?;
        let db = &ctx.services.db;
        let index = item_index(self.magento_order_id, "order")?;
        ctx.set_phase("capturing the order", Some(1)).await?;
        let capturer = Capturer::of_store(db, &store).await?;
        let (key, outcome) = match client.order_raw(self.magento_order_id).await {
            Ok(raw) => {
                let key = super::poll::key_of(&raw, self.magento_order_id);
                (key, capturer.capture(db, raw).await)
            }
            Err(err) if err.is_missing_entity() => (
                self.magento_order_id.to_string(),
                capturer.gone(db, self.magento_order_id).await,
            ),
            Err(err) => return Err(crate::error::DomainError::from(err).into()),
        };
        let item = match outcome {
            Ok(outcome) => super::item_of(index, key, &outcome),
            Err(err) => super::refused_item(index, key, &err).ok_or(err)?,
        };
        super::poll::record(ctx, &[item]).await?;
        Ok(())
    }
}
