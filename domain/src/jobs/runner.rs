//! Running one delivery of a job: claim it, dispatch by kind, record the outcome. Our
//! own attempt limit and backoff apply (a retry is a new delayed delivery), so the
//! transport's retry rules never do.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Set,
    Statement, TransactionTrait,
};
use uuid::Uuid;

use entities::enums::{JobItemOutcome, JobState};
use entities::job;

use super::item_error::{ItemError, ItemErrorCode};
use super::store::{append_progress, transition};
use super::{JobKind, Ticket, registry, retry_delay};
use crate::Services;
use crate::error::{DomainError, DomainResult};

/// Why a handler stopped early.
#[derive(Debug, thiserror::Error)]
pub enum JobFailure {
    #[error("cancelled")]
    Cancelled,
    /// Worth another attempt (a timeout, a 503…).
    #[error("{0}")]
    Transient(String),
    /// Another attempt would fail the same way.
    #[error("{0}")]
    Permanent(String),
}

impl From<DomainError> for JobFailure {
    fn from(err: DomainError) -> Self {
        match &err {
            DomainError::Magento(m) if m.is_retryable() => JobFailure::Transient(err.to_string()),
            DomainError::Db(_) | DomainError::Queue(_) => JobFailure::Transient(err.to_string()),
            _ => JobFailure::Permanent(err.to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// Delivered twice, cancelled meanwhile, or not due yet: nothing was run.
    Skipped,
    Finished(JobState),
    RetryScheduled {
        attempt: i32,
        after: Duration,
    },
}

/// One job item's outcome, as a handler records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRecord {
    pub index: i32,
    /// What the item is to the operator: a SKU, an order number…
    pub key: String,
    pub outcome: JobItemOutcome,
    /// Why a failed or skipped item is so (or a note on a succeeded one).
    pub error: Option<ItemError>,
    /// How many of the things the operator counts (`processedCount`) this item stands
    /// for: 1 for a SKU or an order, a batch's size for a batch, 0 for a detail of
    /// something counted elsewhere (a SKU Magento refused within a pushed batch).
    pub units: i32,
}

impl ItemRecord {
    /// A succeeded item, or a failed one with its error.
    pub fn new(index: i32, key: String, error: Option<ItemError>) -> Self {
        let outcome = if error.is_some() {
            JobItemOutcome::Failed
        } else {
            JobItemOutcome::Succeeded
        };
        Self::with_outcome(index, key, outcome, error)
    }

    /// An item of one unit with any outcome, and the error it carries (a skipped item's
    /// reason, a note on a succeeded one).
    pub fn with_outcome(
        index: i32,
        key: String,
        outcome: JobItemOutcome,
        error: Option<ItemError>,
    ) -> Self {
        Self {
            index,
            key,
            outcome,
            error,
            units: 1,
        }
    }

    /// The same item standing for `units` counted things.
    pub fn counting(mut self, units: i32) -> Self {
        self.units = units;
        self
    }
}

/// The job item index of a Magento entity: its id, so that a retried attempt (or a
/// store that changed meanwhile) records each entity under the same index.
pub fn item_index(id: i64, what: &str) -> Result<i32, JobFailure> {
    i32::try_from(id).map_err(|_| {
        JobFailure::Permanent(format!(
            "{what} id {id} is beyond the ids a job item can record"
        ))
    })
}

/// An item as an earlier attempt recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedItem {
    pub key: String,
    pub error_code: Option<ItemErrorCode>,
}

/// What a handler sees: the claimed job and ways to report progress.
pub struct JobContext {
    pub services: Services,
    pub job: job::Model,
}

impl JobContext {
    pub fn org_id(&self) -> Uuid {
        self.job.org_id
    }

    /// Names the current phase and, when known, how many items the job has.
    pub async fn set_phase(&self, phase: &str, total: Option<i32>) -> DomainResult<()> {
        self.update_and_notify(|q| {
            let q = q.col_expr(job::Column::Phase, Expr::value(phase.to_owned()));
            match total {
                Some(total) => q.col_expr(job::Column::TotalCount, Expr::value(total)),
                None => q,
            }
        })
        .await
    }

    /// Records one item's outcome and bumps the counts, in one transaction with its
    /// event. Recording the same item twice (a re-run) changes nothing twice.
    pub async fn record_item(
        &self,
        index: i32,
        key: &str,
        outcome: JobItemOutcome,
        error: Option<ItemError>,
    ) -> DomainResult<()> {
        let txn = self.services.db.begin().await?;
        let item = ItemRecord::with_outcome(index, key.to_owned(), outcome, error);
        self.record_items(&txn, std::slice::from_ref(&item)).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Records items inside the caller's transaction, so they are recorded exactly
    /// when the caller's writes are: one insert, the counts bumped by the items not
    /// recorded before (a retried attempt re-records nothing), one progress event.
    pub async fn record_items<C: ConnectionTrait>(
        &self,
        txn: &C,
        items: &[ItemRecord],
    ) -> DomainResult<()> {
        if items.is_empty() {
            return Ok(());
        }
        let indexes: Vec<i32> = items.iter().map(|i| i.index).collect();
        let keys: Vec<String> = items.iter().map(|i| i.key.clone()).collect();
        let outcomes: Vec<String> = items
            .iter()
            .map(|i| job_item_outcome(i.outcome).to_owned())
            .collect();
        // Blank for none; stored as NULL.
        let codes: Vec<String> = items
            .iter()
            .map(|i| {
                i.error
                    .as_ref()
                    .map_or_else(String::new, |e| e.code.as_str().to_owned())
            })
            .collect();
        let messages: Vec<String> = items
            .iter()
            .map(|i| {
                i.error
                    .as_ref()
                    .map_or_else(String::new, |e| truncate(&e.message, 2000))
            })
            .collect();
        let inserted = txn
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO job_items (job_id, item_index, item_key, outcome, error_code, error_message) \
                 SELECT $1, i, k, o, NULLIF(c, ''), NULLIF(m, '') \
                 FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[]) AS t(i, k, o, c, m) \
                 ON CONFLICT (job_id, item_index) DO NOTHING RETURNING item_index, outcome",
                [
                    self.job.id.into(),
                    indexes.into(),
                    keys.into(),
                    outcomes.into(),
                    codes.into(),
                    messages.into(),
                ],
            ))
            .await?;
        if inserted.is_empty() {
            return Ok(());
        }
        let units: HashMap<i32, i32> = items.iter().map(|i| (i.index, i.units)).collect();
        let (mut processed, mut failed) = (0i32, 0i32);
        for row in &inserted {
            let index: i32 = row.try_get("", "item_index")?;
            processed = processed.saturating_add(units.get(&index).copied().unwrap_or(1));
            if row.try_get::<String>("", "outcome")? == job_item_outcome(JobItemOutcome::Failed) {
                failed += 1;
            }
        }
        let updated = job::Entity::update_many()
            .col_expr(
                job::Column::ProcessedCount,
                Expr::col(job::Column::ProcessedCount).add(processed),
            )
            .col_expr(
                job::Column::FailedCount,
                Expr::col(job::Column::FailedCount).add(failed),
            )
            .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
            .col_expr(job::Column::HeartbeatAt, Expr::value(Utc::now()))
            .filter(job::Column::Id.eq(self.job.id))
            .exec_with_returning(txn)
            .await?;
        if let Some(job) = updated.first() {
            append_progress(txn, job).await?;
        }
        Ok(())
    }

    /// The items an earlier attempt of this job recorded, by index (none on a first
    /// attempt): what a retried handler skips.
    pub async fn recorded_items(&self) -> DomainResult<HashMap<i32, RecordedItem>> {
        if self.job.attempts <= 1 {
            return Ok(HashMap::new());
        }
        let rows = self
            .services
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT item_index, item_key, error_code FROM job_items WHERE job_id = $1",
                [self.job.id.into()],
            ))
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get::<i32>("", "item_index")?,
                    RecordedItem {
                        key: row.try_get("", "item_key")?,
                        error_code: row
                            .try_get::<Option<String>>("", "error_code")?
                            .as_deref()
                            .and_then(ItemErrorCode::parse),
                    },
                ))
            })
            .collect()
    }

    /// Stops the handler when an operator asked to cancel.
    pub async fn check_cancelled(&self) -> Result<(), JobFailure> {
        let row = job::Entity::find_by_id(self.job.id)
            .one(&self.services.db)
            .await
            .map_err(|e| JobFailure::Transient(e.to_string()))?;
        match row {
            Some(job) if job.cancel_requested => Err(JobFailure::Cancelled),
            _ => Ok(()),
        }
    }

    async fn update_and_notify(
        &self,
        change: impl FnOnce(sea_orm::UpdateMany<job::Entity>) -> sea_orm::UpdateMany<job::Entity>,
    ) -> DomainResult<()> {
        let query = job::Entity::update_many()
            .col_expr(job::Column::HeartbeatAt, Expr::value(Utc::now()))
            .filter(job::Column::Id.eq(self.job.id));
        transition(&self.services.db, change(query)).await?;
        Ok(())
    }
}

fn job_item_outcome(outcome: JobItemOutcome) -> &'static str {
    match outcome {
        JobItemOutcome::Succeeded => "succeeded",
        JobItemOutcome::Failed => "failed",
        JobItemOutcome::Skipped => "skipped",
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Moves a due, queued job to running and counts the attempt; `None` when another
/// delivery already has it, it was cancelled, or it is not due yet.
async fn claim(services: &Services, job_id: Uuid) -> DomainResult<Option<job::Model>> {
    let now = Utc::now();
    let update = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(JobState::Running))
        .col_expr(
            job::Column::Attempts,
            Expr::col(job::Column::Attempts).add(1),
        )
        .col_expr(
            job::Column::StartedAt,
            Expr::cust("coalesce(started_at, now())"),
        )
        .col_expr(job::Column::HeartbeatAt, Expr::value(now))
        .filter(job::Column::Id.eq(job_id))
        .filter(job::Column::State.eq(JobState::Queued))
        .filter(job::Column::CancelRequested.eq(false))
        // A scheduled retry delivered early (or twice) waits for its own delivery.
        .filter(job::Column::RunAfter.lte(now + chrono::Duration::seconds(1)));
    transition(&services.db, update).await
}

async fn finish(
    services: &Services,
    job_id: Uuid,
    state: JobState,
    phase: Option<String>,
    error: Option<String>,
) -> DomainResult<()> {
    let mut update = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(state))
        .col_expr(job::Column::FinishedAt, Expr::value(Utc::now()))
        .filter(job::Column::Id.eq(job_id))
        .filter(job::Column::State.eq(JobState::Running));
    if let Some(phase) = phase {
        update = update.col_expr(job::Column::Phase, Expr::value(phase));
    }
    if let Some(error) = error {
        update = update.col_expr(job::Column::LastError, Expr::value(truncate(&error, 2000)));
    }
    transition(&services.db, update).await?;
    Ok(())
}

async fn schedule_retry(
    services: &Services,
    job: &job::Model,
    error: &str,
) -> DomainResult<Duration> {
    let delay = retry_delay(job.attempts);
    let run_after = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
    let task_id = services.queue.new_task_id();
    let update = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(JobState::Queued))
        .col_expr(job::Column::RunAfter, Expr::value(run_after))
        .col_expr(job::Column::TaskId, Expr::value(task_id.clone()))
        .col_expr(job::Column::LastError, Expr::value(truncate(error, 2000)))
        .col_expr(
            job::Column::Phase,
            Expr::value(format!("retrying after attempt {}", job.attempts)),
        )
        .filter(job::Column::Id.eq(job.id))
        .filter(job::Column::State.eq(JobState::Running));
    transition(&services.db, update).await?;
    let ticket = Ticket {
        job_id: job.id,
        task_id,
        run_after,
    };
    if let Err(err) = services.queue.push(ticket).await {
        tracing::warn!(job_id = %job.id, %err, "retry recorded but not queued; the reaper will queue it");
    }
    Ok(delay)
}

/// Runs one delivery of a job to its end. Errors returned here are infrastructure
/// failures (the database went away); the job row then stays `running` and the reaper
/// hands it out again once its heartbeat is stale.
pub async fn run_job(services: &Services, job_id: Uuid) -> DomainResult<RunOutcome> {
    let Some(job) = claim(services, job_id).await? else {
        cancel_if_requested(services, job_id).await?;
        return Ok(RunOutcome::Skipped);
    };
    let heartbeat = spawn_heartbeat(services.clone(), job.id);
    let ctx = JobContext {
        services: services.clone(),
        job: job.clone(),
    };
    let result = run_handler(&ctx).await;
    heartbeat.abort();

    match result {
        Ok(()) => {
            let counts = job::Entity::find_by_id(job.id)
                .one(&services.db)
                .await?
                .ok_or(DomainError::NotFound { entity: "job" })?;
            let state = final_state(counts.processed_count, counts.failed_count);
            finish(services, job.id, state, Some("done".into()), None).await?;
            Ok(RunOutcome::Finished(state))
        }
        Err(JobFailure::Cancelled) => {
            finish(
                services,
                job.id,
                JobState::Cancelled,
                Some("cancelled".into()),
                None,
            )
            .await?;
            Ok(RunOutcome::Finished(JobState::Cancelled))
        }
        Err(JobFailure::Transient(error)) if job.attempts < job.max_attempts => {
            tracing::warn!(job_id = %job.id, attempt = job.attempts, %error, "job attempt failed; retrying");
            let after = schedule_retry(services, &job, &error).await?;
            Ok(RunOutcome::RetryScheduled {
                attempt: job.attempts,
                after,
            })
        }
        Err(JobFailure::Transient(error) | JobFailure::Permanent(error)) => {
            tracing::warn!(job_id = %job.id, attempt = job.attempts, %error, "job failed");
            finish(
                services,
                job.id,
                JobState::Failed,
                Some("failed".into()),
                Some(error),
            )
            .await?;
            Ok(RunOutcome::Finished(JobState::Failed))
        }
    }
}

/// Runs the claimed job's handler once: its type found by kind, its arguments decoded.
pub async fn run_handler(ctx: &JobContext) -> Result<(), JobFailure> {
    match JobKind::parse(&ctx.job.kind).and_then(registry::job_type) {
        Some(job_type) => (job_type.run)(ctx).await,
        None => Err(JobFailure::Permanent(format!(
            "unknown job kind {}",
            ctx.job.kind
        ))),
    }
}

/// Succeeded when nothing failed; partially when some items did; failed when all did.
fn final_state(processed: i32, failed: i32) -> JobState {
    if failed == 0 {
        JobState::Succeeded
    } else if failed < processed {
        JobState::PartiallySucceeded
    } else {
        JobState::Failed
    }
}

/// A queued job whose cancel was requested between enqueue and delivery.
async fn cancel_if_requested(services: &Services, job_id: Uuid) -> DomainResult<()> {
    let update = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(JobState::Cancelled))
        .col_expr(job::Column::FinishedAt, Expr::value(Utc::now()))
        .filter(job::Column::Id.eq(job_id))
        .filter(job::Column::State.eq(JobState::Queued))
        .filter(job::Column::CancelRequested.eq(true));
    transition(&services.db, update).await?;
    Ok(())
}

fn spawn_heartbeat(services: Services, job_id: Uuid) -> tokio::task::JoinHandle<()> {
    let services = Arc::new(services);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        tick.tick().await;
        loop {
            tick.tick().await;
            let beat = job::ActiveModel {
                id: Set(job_id),
                heartbeat_at: Set(Some(Utc::now())),
                ..Default::default()
            };
            if let Err(err) = beat.update(&services.db).await {
                tracing::warn!(%job_id, %err, "job heartbeat failed");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        assert_eq!(truncate("ééé", 3), "é…");
        assert_eq!(truncate("short", 2000), "short");
    }

    #[test]
    fn a_job_with_some_failed_items_partially_succeeds() {
        assert_eq!(final_state(10, 0), JobState::Succeeded);
        assert_eq!(final_state(10, 3), JobState::PartiallySucceeded);
        assert_eq!(final_state(10, 10), JobState::Failed);
        assert_eq!(final_state(0, 0), JobState::Succeeded);
    }

    #[test]
    fn long_error_messages_are_cut_on_a_character_boundary() {
        let text = "é".repeat(2000);
        let cut = truncate(&text, 2001);
        assert!(cut.ends_with('…'));
        assert!(cut.len() <= 2004);
    }
}
