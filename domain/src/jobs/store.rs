use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr, TransactionTrait,
};
use uuid::Uuid;

use entities::enums::{JobItemOutcome, JobState};
use entities::{job, job_item};

use super::item_error::ItemErrorCode;
use super::job::{Earlier, Job};
use super::progress::JobProgress;
use super::runner::RecordedItem;
use super::{JobKind, Ticket, registry};
use crate::Services;
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::events::{self, DomainEvent};
use crate::page::{Page, PageRequest};

/// Who asked for a job, for which organisation, and the key that makes asking twice
/// start it once.
#[derive(Debug, Clone)]
pub struct Requested {
    pub org_id: Uuid,
    pub requested_by: Option<Uuid>,
    pub idempotency_key: Option<String>,
}

impl Requested {
    pub fn by(principal: &crate::auth::Principal) -> Self {
        Self {
            org_id: principal.org_id,
            requested_by: Some(principal.api_key_id),
            idempotency_key: None,
        }
    }
}

/// A job row about to be written.
#[derive(Debug, Clone)]
struct NewJob {
    requested: Requested,
    store_id: Option<Uuid>,
    kind: JobKind,
    max_attempts: i32,
    args: serde_json::Value,
    retry_of: Option<Uuid>,
}

/// Records a job of type `J` and queues it (see [`enqueue`]).
pub async fn enqueue_job<J: Job>(
    services: &Services,
    requested: Requested,
    job: &J,
) -> DomainResult<job::Model> {
    let args = serde_json::to_value(job)
        .map_err(|e| DomainError::Queue(format!("{} arguments: {e}", J::KIND.as_str())))?;
    enqueue(
        services,
        NewJob {
            requested,
            store_id: job.store_id(),
            kind: J::KIND,
            max_attempts: J::MAX_ATTEMPTS,
            args,
            retry_of: None,
        },
    )
    .await
}

/// Applies a guarded update to one job (its filters say from which state) and appends
/// the resulting progress event, in one transaction. `None` when the guard matched
/// nothing, i.e. another process got there first.
pub(crate) async fn transition(
    db: &DatabaseConnection,
    update: sea_orm::UpdateMany<job::Entity>,
) -> DomainResult<Option<job::Model>> {
    let txn = db.begin().await?;
    let updated = update
        .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
        .exec_with_returning(&txn)
        .await?;
    let Some(job) = updated.into_iter().next() else {
        txn.rollback().await?;
        return Ok(None);
    };
    append_progress(&txn, &job).await?;
    txn.commit().await?;
    Ok(Some(job))
}

/// Appends the job's `job.progress` event (its state, phase and counts as they are now).
pub(crate) async fn append_progress<C: ConnectionTrait>(
    db: &C,
    job: &job::Model,
) -> DomainResult<()> {
    let progress = JobProgress {
        cursor: 0,
        state: job.state,
        phase: job.phase.clone(),
        total_count: job.total_count,
        processed_count: job.processed_count,
        failed_count: job.failed_count,
        at: None,
    };
    let scope = events::Scope {
        org_id: job.org_id,
        store_id: job.store_id,
        job_id: Some(job.id),
    };
    events::append(db, scope, &DomainEvent::JobProgress(progress)).await?;
    Ok(())
}

/// Records the job (Postgres is the truth), then hands its id to the queue. A push
/// that fails leaves a `queued` row the reaper re-enqueues, so nothing is lost.
/// The same idempotency key returns the job it first created.
async fn enqueue(services: &Services, new: NewJob) -> DomainResult<job::Model> {
    let task_id = services.queue.new_task_id();
    let now = Utc::now();
    let txn = services.db.begin().await?;
    let inserted = job::ActiveModel {
        id: Set(Uuid::new_v4()),
        org_id: Set(new.requested.org_id),
        store_id: Set(new.store_id),
        kind: Set(new.kind.as_str().to_owned()),
        state: Set(JobState::Queued),
        phase: Set(None),
        total_count: Set(None),
        processed_count: Set(0),
        failed_count: Set(0),
        args: Set(new.args.clone()),
        requested_by: Set(new.requested.requested_by),
        idempotency_key: Set(new.requested.idempotency_key.clone()),
        attempts: Set(0),
        max_attempts: Set(new.max_attempts),
        cancel_requested: Set(false),
        last_error: Set(None),
        task_id: Set(task_id.clone()),
        run_after: Set(now),
        heartbeat_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
        retry_of: Set(new.retry_of),
    }
    .insert(&txn)
    .await;
    let job = match inserted {
        Ok(job) => job,
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            txn.rollback().await?;
            return job::Entity::find()
                .filter(job::Column::OrgId.eq(new.requested.org_id))
                .filter(job::Column::Kind.eq(new.kind.as_str()))
                .filter(job::Column::IdempotencyKey.eq(new.requested.idempotency_key))
                .one(&services.db)
                .await?
                .ok_or(DomainError::NotFound { entity: "job" });
        }
        Err(err) => return Err(err.into()),
    };
    append_progress(&txn, &job).await?;
    txn.commit().await?;

    let ticket = Ticket {
        job_id: job.id,
        task_id,
        run_after: now,
    };
    if let Err(err) = services.queue.push(ticket).await {
        tracing::warn!(job_id = %job.id, %err, "job recorded but not queued; the reaper will queue it");
    }
    Ok(job)
}

pub async fn get(db: &DatabaseConnection, org_id: Uuid, id: Uuid) -> DomainResult<job::Model> {
    job::Entity::find_by_id(id)
        .filter(job::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound { entity: "job" })
}

#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub kind: Option<JobKind>,
    pub state: Option<JobState>,
    pub store_id: Option<Uuid>,
}

pub async fn list(
    db: &DatabaseConnection,
    org_id: Uuid,
    filter: &JobFilter,
    page: PageRequest,
) -> DomainResult<Page<job::Model>> {
    let mut query = job::Entity::find().filter(job::Column::OrgId.eq(org_id));
    if let Some(kind) = filter.kind {
        query = query.filter(job::Column::Kind.eq(kind.as_str()));
    }
    if let Some(state) = filter.state {
        query = query.filter(job::Column::State.eq(state));
    }
    if let Some(store_id) = filter.store_id {
        query = query.filter(job::Column::StoreId.eq(store_id));
    }
    crate::page::fetch(db, query, page).await
}

pub async fn item_results(
    db: &DatabaseConnection,
    job_id: Uuid,
    outcome: Option<JobItemOutcome>,
    first: u64,
    after_index: Option<i32>,
    count_total: bool,
) -> DomainResult<ItemResults> {
    let mut query = job_item::Entity::find().filter(job_item::Column::JobId.eq(job_id));
    if let Some(outcome) = outcome {
        query = query.filter(job_item::Column::Outcome.eq(outcome));
    }
    let total_count = if count_total {
        Some(query.clone().count(db).await?)
    } else {
        None
    };
    if let Some(after) = after_index {
        query = query.filter(job_item::Column::ItemIndex.gt(after));
    }
    let limit = first.clamp(1, crate::page::MAX_PAGE);
    let mut items = query
        .order_by_asc(job_item::Column::ItemIndex)
        .limit(limit + 1)
        .all(db)
        .await?;
    let has_next_page = items.len() as u64 > limit;
    items.truncate(limit as usize);
    Ok(ItemResults {
        items,
        has_next_page,
        total_count,
    })
}

/// One page of a job's item results, in item order.
#[derive(Debug, Clone)]
pub struct ItemResults {
    pub items: Vec<job_item::Model>,
    pub has_next_page: bool,
    /// Every item the outcome filter matches, when asked for.
    pub total_count: Option<u64>,
}

/// Cooperative cancel: a queued job is cancelled at once; a running one is flagged and
/// its handler stops at its next check. Finished jobs are left as they are.
pub async fn cancel(services: &Services, org_id: Uuid, id: Uuid) -> DomainResult<job::Model> {
    let txn = services.db.begin().await?;
    let job = job::Entity::find_by_id(id)
        .filter(job::Column::OrgId.eq(org_id))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound { entity: "job" })?;
    if job.state.is_terminal() {
        txn.rollback().await?;
        return Err(DomainError::invalid(
            &["jobId"],
            ErrorCode::InvalidCombination,
            "the job has already finished",
        ));
    }
    let now = Utc::now();
    let mut active: job::ActiveModel = job.clone().into();
    active.cancel_requested = Set(true);
    active.updated_at = Set(now);
    if job.state == JobState::Queued {
        active.state = Set(JobState::Cancelled);
        active.finished_at = Set(Some(now));
        active.phase = Set(Some("cancelled before it started".into()));
    }
    let updated = active.update(&txn).await?;
    append_progress(&txn, &updated).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Starts a new job, linked to the one it retries, that redoes what failed there: its
/// failed items for a job with items (and what it never reached, if it stopped
/// midway), all of it for a job without.
pub async fn retry_failed(
    services: &Services,
    org_id: Uuid,
    id: Uuid,
    requested_by: Option<Uuid>,
) -> DomainResult<job::Model> {
    let job = get(&services.db, org_id, id).await?;
    if !matches!(
        job.state,
        JobState::Failed | JobState::PartiallySucceeded | JobState::Cancelled
    ) {
        return Err(DomainError::invalid(
            &["jobId"],
            ErrorCode::InvalidCombination,
            "only a failed, partially succeeded or cancelled job can be retried",
        ));
    }
    let kind = JobKind::parse(&job.kind).ok_or(DomainError::NotFound { entity: "job kind" })?;
    let job_type = registry::job_type(kind).ok_or(DomainError::NotFound { entity: "job kind" })?;
    let mut failed = Vec::new();
    let mut done = std::collections::HashSet::new();
    for item in job_item::Entity::find()
        .filter(job_item::Column::JobId.eq(job.id))
        .order_by_asc(job_item::Column::ItemIndex)
        .all(&services.db)
        .await?
    {
        if item.outcome == JobItemOutcome::Failed {
            failed.push((
                item.item_index,
                RecordedItem {
                    key: item.item_key,
                    error_code: item.error_code.as_deref().and_then(ItemErrorCode::parse),
                },
            ));
        } else {
            done.insert(item.item_index);
        }
    }
    let earlier = Earlier {
        failed,
        done,
        // Finishing is what sets the phase to "done"; failing or a cancel does not.
        ran_to_end: job.phase.as_deref() == Some("done"),
    };
    let args = (job_type.retry)(job.args.clone(), &earlier)
        .map_err(|e| DomainError::Queue(format!("the job's arguments cannot be retried: {e}")))?;
    enqueue(
        services,
        NewJob {
            requested: Requested {
                org_id,
                requested_by,
                idempotency_key: None,
            },
            store_id: job.store_id,
            kind,
            max_attempts: job_type.max_attempts,
            args,
            retry_of: Some(job.id),
        },
    )
    .await
}
