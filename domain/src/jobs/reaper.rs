//! The reaper heals what the transport lost: a `queued` job whose task is gone from
//! the queue (Redis flushed, evicted, or the push failed) is pushed again, and a
//! `running` job whose worker stopped heart-beating goes back to the queue. Handlers
//! are idempotent and `claim` admits one delivery, so a job healed twice runs once.

use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use entities::enums::JobState;
use entities::job;

use super::Ticket;
use super::store::transition;
use crate::Services;
use crate::error::DomainResult;

#[derive(Debug, Clone, Copy)]
pub struct ReaperConfig {
    /// How long a queued job may wait before we check that its task still exists.
    pub queued_after: Duration,
    /// How long a running job may go without a heartbeat before it is taken back.
    pub running_after: Duration,
    pub interval: Duration,
}

impl Default for ReaperConfig {
    fn default() -> Self {
        Self {
            queued_after: Duration::from_secs(60),
            running_after: Duration::from_secs(120),
            interval: Duration::from_secs(15),
        }
    }
}

/// One pass; returns how many jobs it re-enqueued.
pub async fn reap_once(services: &Services, config: &ReaperConfig) -> DomainResult<usize> {
    let now = Utc::now();
    let queued_cutoff = now - chrono::Duration::from_std(config.queued_after).unwrap_or_default();
    let running_cutoff = now - chrono::Duration::from_std(config.running_after).unwrap_or_default();
    let mut healed = 0;

    let waiting = job::Entity::find()
        .filter(job::Column::State.eq(JobState::Queued))
        .filter(job::Column::UpdatedAt.lt(queued_cutoff))
        .filter(job::Column::RunAfter.lte(now))
        .limit(500)
        .all(&services.db)
        .await?;
    for stale in waiting {
        let present = match services.queue.task_exists(&stale.task_id).await {
            Ok(present) => present,
            Err(err) => {
                tracing::warn!(%err, "reaper cannot reach the queue");
                return Ok(healed);
            }
        };
        if present {
            continue;
        }
        if requeue(services, &stale, JobState::Queued).await? {
            healed += 1;
        }
    }

    let silent = job::Entity::find()
        .filter(job::Column::State.eq(JobState::Running))
        .filter(job::Column::HeartbeatAt.lt(running_cutoff))
        .limit(500)
        .all(&services.db)
        .await?;
    for stale in silent {
        if requeue(services, &stale, JobState::Running).await? {
            healed += 1;
        }
    }
    Ok(healed)
}

/// Gives the job a new task id and pushes it, guarded by the state we saw so two
/// reapers (one per process) never both requeue it.
async fn requeue(services: &Services, stale: &job::Model, seen: JobState) -> DomainResult<bool> {
    let task_id = services.queue.new_task_id();
    let update = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(JobState::Queued))
        .col_expr(job::Column::TaskId, Expr::value(task_id.clone()))
        .col_expr(job::Column::RunAfter, Expr::value(Utc::now()))
        .filter(job::Column::Id.eq(stale.id))
        .filter(job::Column::State.eq(seen))
        .filter(job::Column::TaskId.eq(stale.task_id.clone()));
    let Some(job) = transition(&services.db, update).await? else {
        return Ok(false);
    };
    tracing::info!(job_id = %job.id, was = ?seen, "reaper re-enqueued a job");
    let ticket = Ticket {
        job_id: job.id,
        task_id,
        run_after: job.run_after,
    };
    if let Err(err) = services.queue.push(ticket).await {
        tracing::warn!(job_id = %job.id, %err, "reaper could not push; will try again");
    }
    Ok(true)
}

/// Runs forever (until the task is dropped), one pass per interval.
pub async fn run_reaper(services: Services, config: ReaperConfig) {
    let mut tick = tokio::time::interval(config.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(err) = reap_once(&services, &config).await {
            tracing::warn!(%err, "reaper pass failed");
        }
    }
}
