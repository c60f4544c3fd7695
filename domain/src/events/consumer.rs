//! One reusable reader of the event log: a named cursor (every id at or below it is
//! handled), a lease so one process reads at a time (a process that dies loses it after
//! [`ConsumerConfig::lease`] and another goes on where the cursor stands), and the gap
//! rule.
//!
//! The gap rule: event ids come from a sequence and commit out of order, so an id
//! missing below the newest one read may belong to a transaction still running. It is
//! re-read by id each round for [`ConsumerConfig::gap_grace`] (a rolled-back
//! transaction leaves a gap forever), and the cursor stays below the oldest open gap. An
//! event is never skipped, and never handed over twice by one reader; what a handler
//! writes commits with the cursor move, so a restart replays at most the uncommitted.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, QueryResult, Statement,
    TransactionTrait,
};
use uuid::Uuid;

use super::DomainEvent;
use crate::error::DomainResult;

#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// How long the reading process may stay silent before another takes over.
    pub lease: Duration,
    /// How long a missing event id is waited for before it counts as rolled back.
    pub gap_grace: Duration,
    /// Events read per round at most.
    pub batch: u64,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(15),
            gap_grace: Duration::from_secs(120),
            batch: 10_000,
        }
    }
}

/// An event as the log delivers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivered {
    pub id: i64,
    pub org_id: Uuid,
    pub store_id: Option<Uuid>,
    pub event: DomainEvent,
}

/// What a consumer does with what it reads, in the transaction that moves its cursor.
pub trait EventHandler: Send + Sync {
    fn handle<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        events: &'a [Delivered],
    ) -> impl Future<Output = DomainResult<()>> + Send + 'a;
}

/// How a round went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polled {
    /// Another process holds the lease.
    NotHolder,
    /// The lease was lost to another process during the round; nothing was handled.
    LeaseLost,
    /// This many events were handed over (and the cursor moved past them).
    Handled(usize),
}

/// A named reader of some kinds of events.
pub struct Consumer {
    name: &'static str,
    kinds: &'static [&'static str],
    me: Uuid,
    config: ConsumerConfig,
    reader: Option<Reader>,
    cursor_exists: bool,
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

/// A jump of the sequence this large is not a set of transactions in flight.
const MAX_GAP: i64 = 10_000;

impl Consumer {
    /// A consumer of `kinds` (the events' `kind` values) under the cursor `name`. A new
    /// cursor starts at the newest event: what came before it is not replayed.
    pub fn new(name: &'static str, kinds: &'static [&'static str], config: ConsumerConfig) -> Self {
        Self {
            name,
            kinds,
            me: Uuid::new_v4(),
            config,
            reader: None,
            cursor_exists: false,
        }
    }

    pub fn holds_lease(&self) -> bool {
        self.reader.is_some()
    }

    /// Forgets the lease (after an error: the next round claims it again and re-reads
    /// from the stored cursor).
    pub fn reset(&mut self) {
        self.reader = None;
    }

    /// One round: claim or keep the lease, read what is new, hand it to `handler` and
    /// move the cursor, all in one transaction.
    pub async fn poll<H: EventHandler>(
        &mut self,
        db: &DatabaseConnection,
        handler: &H,
    ) -> DomainResult<Polled> {
        if self.reader.is_none() {
            self.reader = self.claim(db).await?;
            if self.reader.is_none() {
                return Ok(Polled::NotHolder);
            }
        }
        let polled = self.read(db, handler).await?;
        if polled == Polled::LeaseLost {
            tracing::info!(consumer = self.name, process = %self.me, "event consumer lease lost to another process");
            self.reader = None;
        }
        Ok(polled)
    }

    async fn claim(&mut self, db: &DatabaseConnection) -> DomainResult<Option<Reader>> {
        if !self.cursor_exists {
            db.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO event_cursors (name, last_event_id) \
                 SELECT $1, coalesce(max(id), 0) FROM events ON CONFLICT (name) DO NOTHING",
                [self.name.into()],
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
                    self.name.into(),
                    self.me.into(),
                    self.config.lease.as_secs_f64().into(),
                ],
            ))
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let cursor: i64 = row.try_get("", "last_event_id")?;
        tracing::info!(consumer = self.name, process = %self.me, cursor, "event consumer holds the lease");
        Ok(Some(Reader {
            high: cursor,
            gaps: BTreeMap::new(),
            stored: cursor,
            renewed: Instant::now(),
        }))
    }

    async fn read<H: EventHandler>(
        &mut self,
        db: &DatabaseConnection,
        handler: &H,
    ) -> DomainResult<Polled> {
        let kinds: Vec<String> = self.kinds.iter().map(|k| (*k).to_owned()).collect();
        let Some(reader) = self.reader.as_mut() else {
            return Ok(Polled::NotHolder);
        };
        // Every id is read (to see the gaps); payloads only of the kinds wanted.
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT id, org_id, store_id, kind, \
                   CASE WHEN kind = ANY($2) THEN payload END AS payload \
                 FROM events WHERE id > $1 ORDER BY id LIMIT $3",
                [
                    reader.high.into(),
                    kinds.clone().into(),
                    (self.config.batch as i64).into(),
                ],
            ))
            .await?;
        let now = Instant::now();
        let mut delivered = Vec::new();
        for row in &rows {
            let id: i64 = row.try_get("", "id")?;
            if id - reader.high <= MAX_GAP {
                for missing in reader.high + 1..id {
                    reader.gaps.insert(missing, now);
                }
            }
            reader.high = id;
            collect(row, &mut delivered)?;
        }
        let waited: Vec<i64> = reader.gaps.keys().copied().collect();
        if !waited.is_empty() {
            let found = db
                .query_all_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT id, org_id, store_id, kind, \
                       CASE WHEN kind = ANY($2) THEN payload END AS payload \
                     FROM events WHERE id = ANY($1) ORDER BY id",
                    [waited.into(), kinds.into()],
                ))
                .await?;
            for row in &found {
                reader.gaps.remove(&row.try_get::<i64>("", "id")?);
                collect(row, &mut delivered)?;
            }
        }
        let grace = self.config.gap_grace;
        reader
            .gaps
            .retain(|_, first_missed| now.duration_since(*first_missed) < grace);

        let cursor = reader.cursor();
        let renew_due = reader.renewed.elapsed() >= self.config.lease / 3;
        if delivered.is_empty() && cursor == reader.stored && !renew_due {
            return Ok(Polled::Handled(0));
        }
        let txn = db.begin().await?;
        if !delivered.is_empty() {
            handler.handle(&txn, &delivered).await?;
        }
        let moved = txn
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE event_cursors SET last_event_id = $3, \
                   lease_until = now() + make_interval(secs => $4), updated_at = now() \
                 WHERE name = $1 AND owner = $2",
                [
                    self.name.into(),
                    self.me.into(),
                    cursor.into(),
                    self.config.lease.as_secs_f64().into(),
                ],
            ))
            .await?;
        if moved.rows_affected() == 0 {
            txn.rollback().await?;
            return Ok(Polled::LeaseLost);
        }
        txn.commit().await?;
        reader.stored = cursor;
        reader.renewed = Instant::now();
        Ok(Polled::Handled(delivered.len()))
    }
}

fn collect(row: &QueryResult, delivered: &mut Vec<Delivered>) -> DomainResult<()> {
    let Some(payload) = row.try_get::<Option<serde_json::Value>>("", "payload")? else {
        return Ok(());
    };
    let id: i64 = row.try_get("", "id")?;
    let kind: String = row.try_get("", "kind")?;
    match DomainEvent::from_row(&kind, payload) {
        Ok(event) => delivered.push(Delivered {
            id,
            org_id: row.try_get("", "org_id")?,
            store_id: row.try_get("", "store_id")?,
            event,
        }),
        Err(err) => tracing::warn!(id, %kind, %err, "unreadable event; skipped"),
    }
    Ok(())
}
