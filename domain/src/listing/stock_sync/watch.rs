//! The automatic push: within seconds of a stock change, the affected products' sync
//! quantities reach every store with "Update Stock Levels in Magento" on.
//!
//! Two steps, both run by the one process that holds the cursor's lease (so two worker
//! processes never read the log twice over; a process that dies loses the lease after
//! [`StockWatchConfig::lease`] and another takes over where the cursor stands):
//!
//! 1. Read: `stock.changed` events after the cursor are collected for one poll interval
//!    (the debounce), and each (store, product) they touch is queued in
//!    `stock_push_pending` in the same transaction that moves the cursor — a restart
//!    neither loses a change nor replays more than the uncommitted tail.
//! 2. Drain: each store with due rows gets its own task, so a store that hangs or
//!    answers 503 delays only itself. A row is cleared only when its product was pushed
//!    (or needed no push) and no newer change arrived meanwhile; otherwise it waits with
//!    a growing delay and is tried again.
//!
//! Event ids come from a sequence and commit out of order: an id missing below the
//! newest one read may belong to a transaction still running. Such gaps are re-read by
//! id each round for [`StockWatchConfig::gap_grace`] (a rolled-back transaction leaves a
//! gap forever), and the cursor stays below the oldest open gap.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use sea_orm::{
    ConnectionTrait, DbBackend, EntityTrait, QueryResult, Statement, TransactionTrait, Value,
};
use serde::Deserialize;
use tokio::task::JoinHandle;
use uuid::Uuid;

use entities::magento_store;

use super::{PushScope, PushTrigger, push_store_detailed};
use crate::Services;
use crate::error::DomainResult;
use crate::stock::STOCK_CHANGED;
use crate::stores;

#[derive(Debug, Clone)]
pub struct StockWatchConfig {
    /// How often the log is read; changes within one interval go out together.
    pub poll_interval: Duration,
    /// How long the reading process may stay silent before another takes over.
    pub lease: Duration,
    /// How long a missing event id is waited for before it counts as rolled back.
    pub gap_grace: Duration,
    /// Events read per round at most.
    pub event_batch: u64,
    /// Products one store's push takes per round at most.
    pub store_batch: u64,
    /// The first delay after a failed push; doubled per further failure up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// A product Magento keeps refusing (not a store that is down) is given up after
    /// this many attempts; its next stock change queues it again.
    pub max_item_attempts: i32,
}

impl Default for StockWatchConfig {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(300),
            lease: Duration::from_secs(15),
            gap_grace: Duration::from_secs(120),
            event_batch: 10_000,
            store_batch: 5_000,
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
            max_item_attempts: 8,
        }
    }
}

const CURSOR: &str = "stock_push";
/// A jump of the sequence this large is not a set of transactions in flight.
const MAX_GAP: i64 = 10_000;

/// Runs until the task is dropped. Errors (the database away) are logged and the next
/// round tries again.
pub async fn run_stock_watch(services: Services, config: StockWatchConfig) {
    let mut watch = Watch {
        me: Uuid::new_v4(),
        services,
        config,
        reader: None,
        cursor_exists: false,
        drains: HashMap::new(),
    };
    tracing::info!(process = %watch.me, "stock watch started");
    loop {
        if let Err(err) = watch.round().await {
            tracing::warn!(%err, "stock watch round failed");
            watch.reader = None;
        }
        tokio::time::sleep(watch.config.poll_interval).await;
    }
}

struct Watch {
    me: Uuid,
    services: Services,
    config: StockWatchConfig,
    /// Present while this process holds the lease.
    reader: Option<Reader>,
    /// Whether the cursor row is known to exist (the migration makes it; a database
    /// restored without it gets one starting at the newest event).
    cursor_exists: bool,
    drains: HashMap<Uuid, JoinHandle<()>>,
}

/// The watch stops with its task (`abort` drops it); the per-store pushes it started
/// stop with it rather than run on detached.
impl Drop for Watch {
    fn drop(&mut self) {
        for task in self.drains.values() {
            task.abort();
        }
    }
}

struct Reader {
    /// The newest event id read.
    high: i64,
    /// Ids below `high` not seen yet, with when they were first missed.
    gaps: BTreeMap<i64, Instant>,
    /// The cursor as stored.
    stored: i64,
    renewed: Instant,
}

impl Reader {
    fn cursor(&self) -> i64 {
        self.gaps.keys().next().map_or(self.high, |gap| gap - 1)
    }
}

impl Watch {
    async fn round(&mut self) -> DomainResult<()> {
        if self.reader.is_none() {
            self.reader = self.claim().await?;
        }
        if self.reader.is_none() {
            return Ok(());
        }
        if !self.read().await? {
            self.reader = None;
            tracing::info!(process = %self.me, "stock watch lease lost to another process");
            return Ok(());
        }
        self.drain().await
    }

    async fn claim(&mut self) -> DomainResult<Option<Reader>> {
        let db = &self.services.db;
        if !self.cursor_exists {
            db.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO event_cursors (name, last_event_id) \
                 SELECT $1, coalesce(max(id), 0) FROM events ON CONFLICT (name) DO NOTHING",
                [CURSOR.into()],
            ))
            .await?;
            self.cursor_exists = true;
        }
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE event_cursors SET owner = $2, \
                   lease_until = now() + make_interval(secs => $3), updated_at = now() \
                 WHERE name = $1 AND (owner IS NULL OR owner = $2 OR lease_until < now()) \
                 RETURNING last_event_id",
                [
                    CURSOR.into(),
                    self.me.into(),
                    self.config.lease.as_secs_f64().into(),
                ],
            ))
            .await?;
        Ok(match row {
            Some(row) => {
                let cursor: i64 = row.try_get("", "last_event_id")?;
                tracing::info!(process = %self.me, cursor, "stock watch holds the lease");
                Some(Reader {
                    high: cursor,
                    gaps: BTreeMap::new(),
                    stored: cursor,
                    renewed: Instant::now(),
                })
            }
            None => None,
        })
    }

    /// Reads what is new, queues it and moves the cursor. `false` when the lease is
    /// gone (nothing was queued then).
    async fn read(&mut self) -> DomainResult<bool> {
        let db = &self.services.db;
        let Some(reader) = self.reader.as_mut() else {
            return Ok(false);
        };
        let mut changed: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT id, org_id, CASE WHEN kind = $2 THEN payload END AS payload \
                 FROM events WHERE id > $1 ORDER BY id LIMIT $3",
                [
                    reader.high.into(),
                    STOCK_CHANGED.into(),
                    (self.config.event_batch as i64).into(),
                ],
            ))
            .await?;
        let now = Instant::now();
        for row in &rows {
            let id: i64 = row.try_get("", "id")?;
            if id - reader.high <= MAX_GAP {
                for missing in reader.high + 1..id {
                    reader.gaps.insert(missing, now);
                }
            }
            reader.high = id;
            collect(row, &mut changed)?;
        }
        let waited: Vec<i64> = reader.gaps.keys().copied().collect();
        if !waited.is_empty() {
            let found = db
                .query_all_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT id, org_id, CASE WHEN kind = $2 THEN payload END AS payload \
                     FROM events WHERE id = ANY($1)",
                    [waited.into(), STOCK_CHANGED.into()],
                ))
                .await?;
            for row in &found {
                reader.gaps.remove(&row.try_get::<i64>("", "id")?);
                collect(row, &mut changed)?;
            }
        }
        let grace = self.config.gap_grace;
        reader
            .gaps
            .retain(|_, first_missed| now.duration_since(*first_missed) < grace);

        let cursor = reader.cursor();
        let renew_due = reader.renewed.elapsed() >= self.config.lease / 3;
        if changed.is_empty() && cursor == reader.stored && !renew_due {
            return Ok(true);
        }
        let txn = db.begin().await?;
        for (org_id, products) in &changed {
            let products: Vec<Uuid> = products.iter().copied().collect();
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO stock_push_pending (store_id, product_id, org_id) \
                 SELECT DISTINCT l.store_id, l.product_id, l.org_id \
                 FROM listings l JOIN magento_settings s ON s.store_id = l.store_id \
                 WHERE l.org_id = $1 AND l.product_id = ANY($2) AND l.status = 'listed' \
                   AND l.stock_sync AND s.update_stock_levels \
                 ON CONFLICT (store_id, product_id) DO UPDATE \
                   SET seq = stock_push_pending.seq + 1",
                [(*org_id).into(), products.into()],
            ))
            .await?;
        }
        let moved = txn
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE event_cursors SET last_event_id = $3, \
                   lease_until = now() + make_interval(secs => $4), updated_at = now() \
                 WHERE name = $1 AND owner = $2",
                [
                    CURSOR.into(),
                    self.me.into(),
                    cursor.into(),
                    self.config.lease.as_secs_f64().into(),
                ],
            ))
            .await?;
        if moved.rows_affected() == 0 {
            txn.rollback().await?;
            return Ok(false);
        }
        txn.commit().await?;
        reader.stored = cursor;
        reader.renewed = Instant::now();
        Ok(true)
    }

    /// Starts a push for each store with due rows that has none running.
    async fn drain(&mut self) -> DomainResult<()> {
        self.drains.retain(|_, task| !task.is_finished());
        let rows = self
            .services
            .db
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT DISTINCT store_id FROM stock_push_pending WHERE due_at <= now()",
            ))
            .await?;
        for row in rows {
            let store_id: Uuid = row.try_get("", "store_id")?;
            if self.drains.contains_key(&store_id) {
                continue;
            }
            let services = self.services.clone();
            let config = self.config.clone();
            self.drains.insert(
                store_id,
                tokio::spawn(async move {
                    if let Err(err) = drain_store(&services, &config, store_id).await {
                        tracing::warn!(%store_id, %err, "stock push for the store failed");
                    }
                }),
            );
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChangedPayload {
    changes: Vec<Change>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Change {
    product_id: Uuid,
}

fn collect(row: &QueryResult, changed: &mut HashMap<Uuid, HashSet<Uuid>>) -> DomainResult<()> {
    let Some(payload) = row.try_get::<Option<serde_json::Value>>("", "payload")? else {
        return Ok(());
    };
    match serde_json::from_value::<ChangedPayload>(payload) {
        Ok(payload) => {
            let org_id: Uuid = row.try_get("", "org_id")?;
            changed
                .entry(org_id)
                .or_default()
                .extend(payload.changes.into_iter().map(|c| c.product_id));
        }
        Err(err) => tracing::warn!(%err, "unreadable stock.changed event; skipped"),
    }
    Ok(())
}

/// Pushes one store's due products once and settles their rows.
async fn drain_store(
    services: &Services,
    config: &StockWatchConfig,
    store_id: Uuid,
) -> DomainResult<()> {
    let db = &services.db;
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT product_id, seq FROM stock_push_pending \
             WHERE store_id = $1 AND due_at <= now() ORDER BY due_at, product_id LIMIT $2",
            [store_id.into(), (config.store_batch as i64).into()],
        ))
        .await?;
    let mut taken: Vec<(Uuid, i64)> = Vec::with_capacity(rows.len());
    for row in rows {
        taken.push((row.try_get("", "product_id")?, row.try_get("", "seq")?));
    }
    if taken.is_empty() {
        return Ok(());
    }
    // Rows of a disconnected store went with it (ON DELETE CASCADE).
    let Some(store) = magento_store::Entity::find_by_id(store_id).one(db).await? else {
        return Ok(());
    };
    let products: Vec<Uuid> = taken.iter().map(|(p, _)| *p).collect();
    let result = match stores::client_for(services, &store) {
        Ok(client) => {
            push_store_detailed(
                db,
                &store,
                &client,
                PushScope::Products(&products),
                PushTrigger::StockChanged,
            )
            .await
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(outcome) => {
            let failed: HashSet<Uuid> = outcome.failed_products.iter().copied().collect();
            let done: Vec<(Uuid, i64)> = taken
                .iter()
                .copied()
                .filter(|(p, _)| !failed.contains(p))
                .collect();
            clear(db, store_id, &done).await?;
            if !failed.is_empty() {
                let reason = outcome
                    .report
                    .failed
                    .first()
                    .map(|(sku, why)| format!("{sku}: {why}"))
                    .unwrap_or_else(|| "Magento refused the quantity".to_owned());
                let failed: Vec<Uuid> = failed.into_iter().collect();
                tracing::warn!(%store_id, count = failed.len(), %reason, "Magento refused some quantities; retrying later");
                postpone(db, config, store_id, &failed, &reason, true).await?;
            }
            if outcome.report.pushed > 0 {
                tracing::debug!(%store_id, pushed = outcome.report.pushed, "stock pushed");
            }
        }
        Err(err) => {
            tracing::warn!(%store_id, %err, "stock push failed; retrying later");
            postpone(db, config, store_id, &products, &err.to_string(), false).await?;
        }
    }
    Ok(())
}

/// Clears rows whose change was pushed, unless a newer change came in meanwhile.
async fn clear<C: ConnectionTrait>(
    db: &C,
    store_id: Uuid,
    done: &[(Uuid, i64)],
) -> DomainResult<()> {
    if done.is_empty() {
        return Ok(());
    }
    let products: Vec<Uuid> = done.iter().map(|(p, _)| *p).collect();
    let seqs: Vec<i64> = done.iter().map(|(_, s)| *s).collect();
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "DELETE FROM stock_push_pending p USING unnest($2::uuid[], $3::bigint[]) AS v(product_id, seq) \
         WHERE p.store_id = $1 AND p.product_id = v.product_id AND p.seq = v.seq",
        [store_id.into(), products.into(), seqs.into()],
    ))
    .await?;
    Ok(())
}

/// Schedules the next attempt with a doubling delay. Items Magento refused are given up
/// after `max_item_attempts`; a store that is down is waited for however long it takes.
async fn postpone<C: ConnectionTrait>(
    db: &C,
    config: &StockWatchConfig,
    store_id: Uuid,
    products: &[Uuid],
    reason: &str,
    refused: bool,
) -> DomainResult<()> {
    let reason: String = reason.chars().take(2000).collect();
    let values: Vec<Value> = vec![
        store_id.into(),
        products.to_vec().into(),
        reason.into(),
        config.retry_base.as_secs_f64().into(),
        config.retry_max.as_secs_f64().into(),
    ];
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE stock_push_pending SET attempts = attempts + 1, last_error = $3, \
           due_at = now() + make_interval(secs => least($5, $4 * power(2, least(attempts, 30)))) \
         WHERE store_id = $1 AND product_id = ANY($2)",
        values,
    ))
    .await?;
    if refused {
        let dropped = db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "DELETE FROM stock_push_pending \
                 WHERE store_id = $1 AND product_id = ANY($2) AND attempts >= $3",
                [
                    store_id.into(),
                    products.to_vec().into(),
                    config.max_item_attempts.into(),
                ],
            ))
            .await?;
        if dropped.rows_affected() > 0 {
            tracing::warn!(%store_id, count = dropped.rows_affected(), "gave up pushing quantities Magento keeps refusing");
        }
    }
    Ok(())
}
