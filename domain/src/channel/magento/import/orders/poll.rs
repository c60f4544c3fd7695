//! The poller: every store that loads orders is read by `updated_at` every poll
//! interval, so every order arrives even when no notification does. Each poll is an
//! `ORDERS_POLL` job; the scheduler in every worker process queues at most one per
//! store and interval (an idempotency key per slot), and a lease in `sync_cursors` lets
//! one poll of a store run at a time across all processes.
//!
//! The window re-reads an overlap before the high-water mark (a row can commit after a
//! later-stamped one) and drops versions it already saw in this poll; capture is
//! idempotent, so what the overlap reads again changes nothing. The mark advances only
//! after a page is captured, so a crash re-reads that page rather than skip it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use entities::enums::JobState;
use entities::job;
use magento::window::{SeenVersions, UpdatedWindow};

use super::capture::{Capturer, Outcome};
use crate::Services;
use crate::channel::magento::stores;
use crate::error::{DomainError, DomainResult};
use crate::jobs::{self, ItemRecord, Job, JobContext, JobFailure, JobKind, Requested, item_index};

/// The stream name of the orders cursor in `sync_cursors`.
pub const ORDERS_STREAM: &str = "orders";

#[derive(Debug, Clone)]
pub struct OrderPollConfig {
    /// `STOCKBRIDGE_ORDER_POLL_SECS`.
    pub interval: Duration,
    /// How long a poll may run silent before another process may take the store over.
    pub lease: Duration,
    /// Finished polls that captured nothing are deleted after this long, so the job list
    /// keeps what matters.
    pub keep_idle_polls: Duration,
}

impl Default for OrderPollConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(30),
            lease: Duration::from_secs(120),
            keep_idle_polls: Duration::from_secs(24 * 3600),
        }
    }
}

/// One poll of one store's orders.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrdersPoll {
    pub store_id: Uuid,
    /// The lease the poll holds (seconds).
    #[serde(default = "default_lease_secs")]
    pub lease_secs: u64,
}

fn default_lease_secs() -> u64 {
    OrderPollConfig::default().lease.as_secs()
}

impl Job for OrdersPoll {
    const KIND: JobKind = JobKind::OrdersPoll;
    // The next interval polls again; a failed poll is not worth a backlog of retries.
    const MAX_ATTEMPTS: i32 = 2;

    fn store_id(&self) -> Option<Uuid> {
        Some(self.store_id)
    }

    async fn run(self, ctx: &JobContext) -> Result<(), JobFailure> {
        poll(ctx, &self).await
    }
}

async fn poll(ctx: &JobContext, args: &OrdersPoll) -> Result<(), JobFailure> {
    let (store, client) = stores::store_of_job(ctx).await?;
    let db = &ctx.services.db;
    let owner = ctx.job.id;
    let lease = Duration::from_secs(args.lease_secs.max(10));
    let Some(high_water) = acquire(db, store.id, owner, lease).await? else {
        ctx.set_phase("another poll of this store is running", Some(0))
            .await?;
        return Ok(());
    };
    let result = poll_window(ctx, &store, &client, owner, lease, high_water).await;
    release(db, store.id, owner).await?;
    result
}

async fn poll_window(
    ctx: &JobContext,
    store: &entities::magento_store::Model,
    client: &magento::MagentoClient,
    owner: Uuid,
    lease: Duration,
    high_water: DateTime<Utc>,
) -> Result<(), JobFailure> {
    let db = &ctx.services.db;
    let capturer = Capturer::of_store(db, store).await?;
    // No settling time: the overlap re-reads what committed late, and an order is
    // picked up within the interval (and the second Magento's stamps are cut to).
    let window = UpdatedWindow {
        settle: Duration::ZERO,
        ..UpdatedWindow::new(Some(high_water))
    };
    let (criteria, _upper) = window.criteria(Utc::now(), "entity_id");
    ctx.set_phase("reading orders updated since the last poll", None)
        .await?;
    let mut seen = SeenVersions::default();
    let mut page = 1;
    loop {
        let (orders, total) = client
            .orders_page_raw(criteria.clone(), page)
            .await
            .map_err(DomainError::from)?;
        let received = orders.len();
        let mut newest = None;
        let mut items = Vec::new();
        let unchanged = capturer.unchanged(db, &versions_of(&orders)).await?;
        for raw in orders {
            let (entity_id, updated_at) = version_of(&raw);
            let Some(entity_id) = entity_id else {
                continue;
            };
            if let Some(at) = updated_at {
                newest = newest.max(Some(at));
                if !seen.first_time(entity_id, at) {
                    continue;
                }
            }
            if unchanged.contains(&entity_id) {
                continue;
            }
            let key = key_of(&raw, entity_id);
            let index = item_index(entity_id, "order")?;
            let outcome = match capturer.capture(db, raw).await {
                Ok(outcome) => outcome,
                Err(err) => match super::refused_item(index, key, &err) {
                    Some(item) => {
                        items.push(item);
                        continue;
                    }
                    None => return Err(err.into()),
                },
            };
            // What the overlap reads again is no news; a poll lists what it changed.
            if matches!(
                outcome,
                Outcome::Captured { .. } | Outcome::Cancelled { .. }
            ) {
                items.push(super::item_of(index, key, &outcome));
            }
        }
        record(ctx, &items).await?;
        if let Some(newest) = newest {
            advance(db, store.id, owner, lease, newest).await?;
        }
        if page >= client.last_page(total) || received < client.page_size() as usize {
            break;
        }
        page += 1;
    }
    Ok(())
}

pub(crate) async fn record(ctx: &JobContext, items: &[ItemRecord]) -> DomainResult<()> {
    if items.is_empty() {
        return Ok(());
    }
    let txn = ctx.services.db.begin().await?;
    ctx.record_items(&txn, items).await?;
    txn.commit().await?;
    Ok(())
}

/// An order's entity id and `updated_at`, read leniently (an order that does not decode
/// is still captured, and held).
pub(crate) fn version_of(raw: &Value) -> (Option<i64>, Option<DateTime<Utc>>) {
    let id = super::capture::entity_id_of(raw);
    let at = raw["updated_at"]
        .as_str()
        .and_then(magento::dto::parse_timestamp);
    (id, at)
}

/// The versions of a page's orders that have an entity id.
pub(crate) fn versions_of(orders: &[Value]) -> Vec<(i64, Option<DateTime<Utc>>)> {
    orders
        .iter()
        .filter_map(|raw| match version_of(raw) {
            (Some(id), at) => Some((id, at)),
            (None, _) => None,
        })
        .collect()
}

pub(crate) fn key_of(raw: &Value, entity_id: i64) -> String {
    raw["increment_id"]
        .as_str()
        .map_or_else(|| entity_id.to_string(), str::to_owned)
}

/// Takes the store's orders lease; the high-water mark when taken (`now` for a store
/// polled for the first time: the poller captures orders from when loading began;
/// history is "Load Orders"' part). `None` while another poll holds it.
async fn acquire<C: ConnectionTrait>(
    db: &C,
    store_id: Uuid,
    owner: Uuid,
    lease: Duration,
) -> DomainResult<Option<DateTime<Utc>>> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO sync_cursors (store_id, stream, high_water, owner, lease_until) \
             VALUES ($1, $2, now(), $3, now() + make_interval(secs => $4)) \
             ON CONFLICT (store_id, stream) DO UPDATE \
               SET owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until, updated_at = now(), \
                   high_water = coalesce(sync_cursors.high_water, EXCLUDED.high_water) \
               WHERE sync_cursors.lease_until IS NULL OR sync_cursors.lease_until < now() \
                  OR sync_cursors.owner = EXCLUDED.owner \
             RETURNING high_water",
            [
                store_id.into(),
                ORDERS_STREAM.into(),
                owner.into(),
                (lease.as_secs() as f64).into(),
            ],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<DateTime<Utc>>("", "high_water"))
        .transpose()?)
}

/// Moves the mark forward (never back) and renews the lease; refused once the lease
/// was lost to another process.
async fn advance<C: ConnectionTrait>(
    db: &C,
    store_id: Uuid,
    owner: Uuid,
    lease: Duration,
    newest: DateTime<Utc>,
) -> Result<(), JobFailure> {
    let updated = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE sync_cursors SET high_water = greatest(high_water, $4), \
               lease_until = now() + make_interval(secs => $5), updated_at = now() \
             WHERE store_id = $1 AND stream = $2 AND owner = $3",
            [
                store_id.into(),
                ORDERS_STREAM.into(),
                owner.into(),
                newest.into(),
                (lease.as_secs() as f64).into(),
            ],
        ))
        .await
        .map_err(crate::error::DomainError::from)?;
    if updated.rows_affected() == 0 {
        return Err(JobFailure::Permanent(
            "the poll's lease was taken over by another process".into(),
        ));
    }
    Ok(())
}

async fn release<C: ConnectionTrait>(db: &C, store_id: Uuid, owner: Uuid) -> DomainResult<()> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE sync_cursors SET owner = NULL, lease_until = NULL, updated_at = now() \
         WHERE store_id = $1 AND stream = $2 AND owner = $3",
        [store_id.into(), ORDERS_STREAM.into(), owner.into()],
    ))
    .await?;
    Ok(())
}

/// Runs until the task is dropped: each interval, queues a poll of every connected
/// store that loads orders and has no poll or "Load Orders" queued or running.
pub async fn run_order_poller(services: Services, config: OrderPollConfig) {
    let mut tick = tokio::time::interval(config.interval.max(Duration::from_secs(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(err) = schedule_polls(&services, &config).await {
            tracing::warn!(%err, "order poll scheduling failed");
        }
    }
}

/// One scheduling pass (what [`run_order_poller`] does each interval).
pub async fn schedule_polls(services: &Services, config: &OrderPollConfig) -> DomainResult<usize> {
    let db = &services.db;
    let stores = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT s.id, s.org_id FROM magento_stores s \
             JOIN magento_settings m ON m.store_id = s.id \
             WHERE s.status = 'connected' AND m.sales_store_scope <> 'do_not_load'",
        ))
        .await?;
    let slot = Utc::now().timestamp() / config.interval.as_secs().max(1) as i64;
    let mut queued = 0;
    for row in stores {
        let store_id: Uuid = row.try_get("", "id")?;
        let org_id: Uuid = row.try_get("", "org_id")?;
        // A "Load Orders" of the store reads what a poll would (to its end): polling
        // meanwhile would only race it for the same orders. The mark stays, so the
        // next poll still reads from before the load.
        let busy = job::Entity::find()
            .filter(job::Column::StoreId.eq(store_id))
            .filter(
                job::Column::Kind
                    .is_in([JobKind::OrdersPoll.as_str(), JobKind::OrdersLoad.as_str()]),
            )
            .filter(job::Column::State.is_in([JobState::Queued, JobState::Running]))
            .one(db)
            .await?
            .is_some();
        if busy {
            continue;
        }
        jobs::enqueue_job(
            services,
            Requested {
                org_id,
                requested_by: None,
                idempotency_key: Some(format!("orders-poll:{store_id}:{slot}")),
            },
            &OrdersPoll {
                store_id,
                lease_secs: config.lease.as_secs(),
            },
        )
        .await?;
        queued += 1;
    }
    prune_idle_polls(db, config.keep_idle_polls).await?;
    Ok(queued)
}

/// Deletes finished polls that changed nothing, and their progress events.
async fn prune_idle_polls<C: ConnectionTrait>(db: &C, keep: Duration) -> DomainResult<()> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "WITH idle AS ( \
           DELETE FROM jobs WHERE id IN ( \
             SELECT id FROM jobs WHERE kind = $1 AND state = 'succeeded' \
               AND processed_count = 0 AND failed_count = 0 \
               AND finished_at < now() - make_interval(secs => $2) LIMIT 1000) \
           RETURNING id) \
         DELETE FROM events WHERE job_id IN (SELECT id FROM idle)",
        [
            JobKind::OrdersPoll.as_str().into(),
            (keep.as_secs() as f64).into(),
        ],
    ))
    .await?;
    Ok(())
}
