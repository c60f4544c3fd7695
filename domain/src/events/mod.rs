//! The durable event log and its live fan-out. Events are rows (the truth, replayable
//! after a cursor); Postgres NOTIFY, sent by a trigger at commit, only wakes the one
//! listener each process runs, which fans notices out to every subscription through a
//! broadcast channel. A subscription always re-reads the table after its cursor, so a
//! lost or lagging notice delays an event but never loses or duplicates it.
//!
//! What is appended is a [`DomainEvent`], in the writer's transaction; a
//! [`consumer::Consumer`] reads the log after its own cursor to act on it.

pub mod consumer;
mod kinds;
pub mod stream;

pub use kinds::*;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Deserialize;
use tokio::sync::broadcast;
use uuid::Uuid;

use entities::event;

use crate::error::DomainResult;

pub const CHANNEL: &str = "stockbridge_events";

/// Where an event belongs: its organisation, and the store and job it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub org_id: Uuid,
    pub store_id: Option<Uuid>,
    pub job_id: Option<Uuid>,
}

impl Scope {
    pub fn org(org_id: Uuid) -> Self {
        Self {
            org_id,
            store_id: None,
            job_id: None,
        }
    }

    pub fn store(org_id: Uuid, store_id: Uuid) -> Self {
        Self {
            org_id,
            store_id: Some(store_id),
            job_id: None,
        }
    }
}

/// Appends an event in the caller's transaction: it is in the log exactly when the
/// change it describes is.
pub async fn append<C: ConnectionTrait>(
    db: &C,
    scope: Scope,
    event: &DomainEvent,
) -> DomainResult<event::Model> {
    Ok(event::ActiveModel {
        org_id: Set(scope.org_id),
        store_id: Set(scope.store_id),
        job_id: Set(scope.job_id),
        kind: Set(event.kind().to_owned()),
        payload: Set(event.payload()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Events of one job after a cursor, oldest first.
pub async fn job_events_after(
    db: &DatabaseConnection,
    org_id: Uuid,
    job_id: Uuid,
    after: i64,
    limit: u64,
) -> DomainResult<Vec<event::Model>> {
    Ok(event::Entity::find()
        .filter(event::Column::OrgId.eq(org_id))
        .filter(event::Column::JobId.eq(job_id))
        .filter(event::Column::Id.gt(after))
        .order_by_asc(event::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// A wake-up: something was appended (or the listener reconnected and subscribers
/// should re-read, since notices may have been missed meanwhile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Appended {
        id: i64,
        org_id: Uuid,
        job_id: Option<Uuid>,
        store_id: Option<Uuid>,
    },
    Resync,
}

#[derive(Deserialize)]
struct NoticePayload {
    id: i64,
    org_id: Uuid,
    job_id: Option<Uuid>,
    store_id: Option<Uuid>,
}

/// One LISTEN connection per process, fanned out to every subscription.
pub struct EventHub {
    sender: broadcast::Sender<Notice>,
}

impl std::fmt::Debug for EventHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventHub")
            .field("subscribers", &self.sender.receiver_count())
            .finish()
    }
}

impl EventHub {
    /// Starts the listener task. It reconnects with backoff on its own and tells
    /// subscribers to re-read after each reconnect.
    pub fn start(database_url: String) -> Arc<Self> {
        let (sender, _) = broadcast::channel(1024);
        let hub = Arc::new(Self {
            sender: sender.clone(),
        });
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(200);
            loop {
                match listen(&database_url, &sender).await {
                    Ok(()) => backoff = Duration::from_millis(200),
                    Err(err) => {
                        tracing::warn!(%err, "event listener lost its connection; reconnecting");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                    }
                }
            }
        });
        hub
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.sender.subscribe()
    }
}

async fn listen(database_url: &str, sender: &broadcast::Sender<Notice>) -> Result<(), sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect(database_url).await?;
    listener.listen(CHANNEL).await?;
    // Anything appended while we were disconnected is only visible by re-reading.
    let _ = sender.send(Notice::Resync);
    loop {
        let notification = listener.recv().await?;
        match serde_json::from_str::<NoticePayload>(notification.payload()) {
            Ok(p) => {
                let _ = sender.send(Notice::Appended {
                    id: p.id,
                    org_id: p.org_id,
                    job_id: p.job_id,
                    store_id: p.store_id,
                });
            }
            Err(err) => tracing::warn!(%err, "unreadable event notice"),
        }
    }
}
