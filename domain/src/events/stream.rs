//! A store's events as a live stream (`logEvents`): replayed after a cursor, then
//! followed, never skipping an event that commits after a later-numbered one.
//!
//! Ids come from a sequence and transactions commit out of id order, so "after id N"
//! is not safe. Every event carries its transaction's id (`events.tx`); the stream
//! delivers in `(tx, id)` order and only events whose transaction is older than every
//! transaction still running (`pg_snapshot_xmin`): those have committed or never will,
//! and every event still to come belongs to a transaction at or past that horizon, so
//! it sorts after the cursor. The cursor is the pair, written `tx:id`.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::Stream;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::{DomainEvent, EventHub, Notice};
use crate::error::DomainResult;

/// A position in a store's stream: after the event `id` of transaction `tx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct StreamCursor {
    pub tx: i64,
    pub id: i64,
}

impl StreamCursor {
    pub fn encode(&self) -> String {
        format!("{}:{}", self.tx, self.id)
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let (tx, id) = raw.trim().split_once(':')?;
        Some(Self {
            tx: tx.parse().ok().filter(|t| *t >= 0)?,
            id: id.parse().ok()?,
        })
    }
}

/// One event of the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEvent {
    pub cursor: StreamCursor,
    pub event: DomainEvent,
    pub at: DateTime<Utc>,
}

/// What a read found: the settled events after the cursor, and whether events exist
/// beyond the horizon (their transactions, or an older one, still running).
#[derive(Debug, Clone, Default)]
pub struct Read {
    pub events: Vec<StreamEvent>,
    pub held_back: bool,
}

/// Where a stream without a cursor starts: everything settled so far is history.
pub async fn horizon<C: ConnectionTrait>(db: &C) -> DomainResult<StreamCursor> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS tx",
        ))
        .await?;
    let tx: i64 = match row {
        Some(row) => row.try_get("", "tx")?,
        None => 0,
    };
    // Strictly after (xmin - 1, max): the oldest running transaction's events are news.
    Ok(StreamCursor {
        tx: tx - 1,
        id: i64::MAX,
    })
}

/// The store's settled events of `kinds` after `after`, oldest first, at most `limit`.
pub async fn store_events_after<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    store_id: Uuid,
    kinds: &[&str],
    after: StreamCursor,
    limit: u64,
) -> DomainResult<Read> {
    let kinds: Vec<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id, tx::text::bigint AS tx, kind, payload, created_at, \
                    tx < pg_snapshot_xmin(pg_current_snapshot()) AS settled \
             FROM events \
             WHERE store_id = $1 AND org_id = $2 AND kind = ANY($3) \
               AND (tx, id) > ($4::text::xid8, $5) \
             ORDER BY tx, id LIMIT $6",
            [
                store_id.into(),
                org_id.into(),
                kinds.into(),
                after.tx.to_string().into(),
                after.id.into(),
                (limit as i64).into(),
            ],
        ))
        .await?;
    let mut read = Read::default();
    for row in rows {
        if !row.try_get::<bool>("", "settled")? {
            read.held_back = true;
            break;
        }
        let kind: String = row.try_get("", "kind")?;
        let payload: serde_json::Value = row.try_get("", "payload")?;
        let Ok(event) = DomainEvent::from_row(&kind, payload) else {
            continue;
        };
        read.events.push(StreamEvent {
            cursor: StreamCursor {
                tx: row.try_get("", "tx")?,
                id: row.try_get("", "id")?,
            },
            event,
            at: row.try_get("", "created_at")?,
        });
    }
    Ok(read)
}

/// Replays the store's events after `after` (from now without it), then follows them
/// live until the stream is dropped.
pub fn store_stream(
    db: DatabaseConnection,
    hub: Arc<EventHub>,
    org_id: Uuid,
    store_id: Uuid,
    kinds: &'static [&'static str],
    after: Option<StreamCursor>,
) -> impl Stream<Item = StreamEvent> {
    // Subscribe before reading, so nothing appended in between is missed.
    let mut notices = hub.subscribe();
    crate::jobs::progress::async_stream(move |yield_tx| async move {
        let mut cursor = match after {
            Some(cursor) => cursor,
            None => loop {
                match horizon(&db).await {
                    Ok(cursor) => break cursor,
                    Err(err) => {
                        tracing::warn!(%err, "event stream could not start; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            },
        };
        const BATCH: u64 = 500;
        loop {
            let read = match store_events_after(&db, org_id, store_id, kinds, cursor, BATCH).await {
                Ok(read) => read,
                Err(err) => {
                    tracing::warn!(%err, "event stream read failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let full = read.events.len() as u64 >= BATCH;
            for event in read.events {
                cursor = event.cursor;
                if yield_tx.send(event).await.is_err() {
                    return;
                }
            }
            if full {
                continue;
            }
            if read.held_back {
                // A transaction older than a waiting event is still running; it may end
                // without appending anything (so without a notice).
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            loop {
                let waited = tokio::time::timeout(Duration::from_secs(5), notices.recv()).await;
                match waited {
                    Ok(Ok(Notice::Appended {
                        store_id: Some(id), ..
                    })) if id == store_id => break,
                    Ok(Ok(Notice::Appended { .. })) => continue,
                    Ok(Ok(Notice::Resync)) | Ok(Err(RecvError::Lagged(_))) | Err(_) => break,
                    Ok(Err(RecvError::Closed)) => return,
                }
            }
        }
    })
}
