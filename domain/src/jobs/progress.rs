//! `jobProgress`: replay a job's events after a cursor, then follow it live, ending
//! after its terminal state.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::Stream;
use sea_orm::{DatabaseConnection, DbBackend, FromQueryResult, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use entities::enums::JobState;

use crate::error::{DomainError, DomainResult};
use crate::events::{self, DomainEvent, EventHub, Notice};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobProgress {
    #[serde(skip)]
    pub cursor: i64,
    pub state: JobState,
    pub phase: Option<String>,
    pub total_count: Option<i32>,
    pub processed_count: i32,
    pub failed_count: i32,
    #[serde(skip)]
    pub at: Option<DateTime<Utc>>,
}

#[derive(FromQueryResult)]
struct Snapshot {
    state: JobState,
    phase: Option<String>,
    total_count: Option<i32>,
    processed_count: i32,
    failed_count: i32,
    updated_at: DateTime<Utc>,
    cursor: Option<i64>,
}

/// The job's current state and the cursor of its latest event, read in one statement
/// so the two agree.
async fn snapshot(
    db: &DatabaseConnection,
    org_id: Uuid,
    job_id: Uuid,
) -> DomainResult<JobProgress> {
    let row = Snapshot::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT j.state, j.phase, j.total_count, j.processed_count, j.failed_count, j.updated_at, \
                (SELECT max(e.id) FROM events e WHERE e.job_id = j.id) AS cursor \
         FROM jobs j WHERE j.id = $1 AND j.org_id = $2",
        [job_id.into(), org_id.into()],
    ))
    .one(db)
    .await?
    .ok_or(DomainError::NotFound { entity: "job" })?;
    Ok(JobProgress {
        cursor: row.cursor.unwrap_or(0),
        state: row.state,
        phase: row.phase,
        total_count: row.total_count,
        processed_count: row.processed_count,
        failed_count: row.failed_count,
        at: Some(row.updated_at),
    })
}

fn decode(event: entities::event::Model) -> Option<JobProgress> {
    let DomainEvent::JobProgress(mut progress) =
        DomainEvent::from_row(&event.kind, event.payload).ok()?
    else {
        return None;
    };
    progress.cursor = event.id;
    progress.at = Some(event.created_at);
    Some(progress)
}

/// Without `after`, the stream starts with the job's current snapshot; with it, it
/// replays every event after that cursor. Either way it then goes live. Errors with
/// NotFound up front when the job is not the organisation's.
pub async fn job_progress(
    db: DatabaseConnection,
    hub: Arc<EventHub>,
    org_id: Uuid,
    job_id: Uuid,
    after: Option<i64>,
) -> DomainResult<impl Stream<Item = JobProgress>> {
    // Subscribe before reading, so nothing appended in between is missed.
    let mut notices = hub.subscribe();
    let first = snapshot(&db, org_id, job_id).await?;
    let (start_cursor, initial) = match after {
        None => (first.cursor, vec![first]),
        Some(after) => (after, Vec::new()),
    };

    Ok(async_stream(move |yield_tx| async move {
        let mut cursor = start_cursor;
        for progress in initial {
            let terminal = progress.state.is_terminal();
            if yield_tx.send(progress).await.is_err() || terminal {
                return;
            }
        }
        loop {
            let events = match events::job_events_after(&db, org_id, job_id, cursor, 500).await {
                Ok(events) => events,
                Err(err) => {
                    tracing::warn!(%err, "job progress replay failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let caught_up = events.len() < 500;
            for event in events {
                cursor = event.id;
                if let Some(progress) = decode(event) {
                    let terminal = progress.state.is_terminal();
                    if yield_tx.send(progress).await.is_err() || terminal {
                        return;
                    }
                }
            }
            if !caught_up {
                continue;
            }
            // Wait for a notice about this job; re-read on resync or lag, and every
            // few seconds as a safety net against a silently dead listener.
            loop {
                let waited = tokio::time::timeout(Duration::from_secs(5), notices.recv()).await;
                match waited {
                    Ok(Ok(Notice::Appended {
                        job_id: Some(id),
                        id: event_id,
                        ..
                    })) if id == job_id && event_id > cursor => break,
                    Ok(Ok(Notice::Appended { .. })) => continue,
                    Ok(Ok(Notice::Resync)) | Ok(Err(RecvError::Lagged(_))) | Err(_) => break,
                    Ok(Err(RecvError::Closed)) => return,
                }
            }
        }
    }))
}

/// A minimal generator: the producer runs as a task feeding a bounded channel; the
/// stream ends when the producer returns, and dropping the stream stops the producer.
pub(crate) fn async_stream<T, F, Fut>(producer: F) -> impl Stream<Item = T>
where
    T: Send + 'static,
    F: FnOnce(tokio::sync::mpsc::Sender<T>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let task = tokio::spawn(producer(tx));
    AbortOnDrop {
        inner: tokio_stream::wrappers::ReceiverStream::new(rx),
        task,
    }
}

struct AbortOnDrop<S> {
    inner: S,
    task: tokio::task::JoinHandle<()>,
}

impl<S> Drop for AbortOnDrop<S> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl<S: Stream + Unpin> Stream for AbortOnDrop<S> {
    type Item = S::Item;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::pin::Pin::new(&mut self.inner).poll_next(cx)
    }
}
