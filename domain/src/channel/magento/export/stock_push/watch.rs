//! The automatic push: within seconds of a stock change, the affected products' sync
//! quantities reach every store with "Update Stock Levels in Magento" on.
//!
//! Two steps, both run by the one process that holds the `stock_push` event consumer's
//! lease (see [`crate::events::consumer`] for the cursor, the lease and the gap rule):
//!
//! 1. Read: `stock.changed` events after the cursor are collected for one poll interval
//!    (the debounce), and each (store, product) they touch is queued in
//!    `stock_push_pending` in the same transaction that moves the cursor — a restart
//!    neither loses a change nor replays more than the uncommitted tail.
//! 2. Drain: each store with due rows gets its own task, so a store that hangs or
//!    answers 503 delays only itself. A row is cleared only when its product was pushed
//!    (or needed no push) and no newer change arrived meanwhile; otherwise it waits with
//!    a growing delay and is tried again.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, Statement, Value};
use tokio::task::JoinHandle;
use uuid::Uuid;

use entities::magento_store;

use super::{PushScope, PushTrigger, push_store_detailed};
use crate::Services;
use crate::channel::magento::stores;
use crate::error::DomainResult;
use crate::events::consumer::{Consumer, ConsumerConfig, Delivered, EventHandler, Polled};
use crate::events::{DomainEvent, STOCK_CHANGED};

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

/// Runs until the task is dropped. Errors (the database away) are logged and the next
/// round tries again.
pub async fn run_stock_watch(services: Services, config: StockWatchConfig) {
    let consumer = Consumer::new(
        CURSOR,
        &[STOCK_CHANGED],
        ConsumerConfig {
            lease: config.lease,
            gap_grace: config.gap_grace,
            batch: config.event_batch,
        },
    );
    let mut watch = Watch {
        services,
        config,
        consumer,
        drains: HashMap::new(),
    };
    tracing::info!("stock watch started");
    loop {
        if let Err(err) = watch.round().await {
            tracing::warn!(%err, "stock watch round failed");
            watch.consumer.reset();
        }
        tokio::time::sleep(watch.config.poll_interval).await;
    }
}

struct Watch {
    services: Services,
    config: StockWatchConfig,
    consumer: Consumer,
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

impl Watch {
    async fn round(&mut self) -> DomainResult<()> {
        match self.consumer.poll(&self.services.db, &QueuePushes).await? {
            Polled::Handled(_) => self.drain().await,
            Polled::NotHolder | Polled::LeaseLost => Ok(()),
        }
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

/// Queues each (store, product) a stock change touches, for every store that pushes it.
struct QueuePushes;

impl EventHandler for QueuePushes {
    async fn handle(&self, txn: &DatabaseTransaction, events: &[Delivered]) -> DomainResult<()> {
        let mut changed: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
        for delivered in events {
            if let DomainEvent::StockChanged(stock) = &delivered.event {
                changed
                    .entry(delivered.org_id)
                    .or_default()
                    .extend(stock.changes.iter().map(|c| c.product_id));
            }
        }
        for (org_id, products) in changed {
            let products: Vec<Uuid> = products.into_iter().collect();
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO stock_push_pending (store_id, product_id, org_id) \
                 SELECT DISTINCT l.store_id, l.product_id, l.org_id \
                 FROM listings l JOIN magento_settings s ON s.store_id = l.store_id \
                 WHERE l.org_id = $1 AND l.product_id = ANY($2) AND l.status = 'listed' \
                   AND l.stock_sync AND s.update_stock_levels \
                 ON CONFLICT (store_id, product_id) DO UPDATE \
                   SET seq = stock_push_pending.seq + 1",
                [org_id.into(), products.into()],
            ))
            .await?;
        }
        Ok(())
    }
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
