//! Jobs: a row in Postgres is the truth (state, counts, phase, per-item results); the
//! queue only carries the job's id. Every state change appends a `job.progress` event
//! in the same transaction, which subscriptions replay.

mod item_error;
mod job;
pub(crate) mod progress;
mod reaper;
mod registry;
mod runner;
mod store;

use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::wire_enum::wire_enum;

pub use entities::enums::{JobItemOutcome, JobState};
pub use item_error::{ItemError, ItemErrorCode};
pub use job::{Earlier, Job};
pub(crate) use job::{only_ids, retried_ids};
pub use progress::{JobProgress, job_progress};
pub use reaper::{ReaperConfig, reap_once, run_reaper};
pub use runner::{
    ItemRecord, JobContext, JobFailure, RecordedItem, RunOutcome, item_index, run_handler, run_job,
};
pub use store::{
    ItemResults, JobFilter, Requested, cancel, enqueue_job, get, item_results, list, retry_failed,
};

wire_enum! {
    /// Every kind of long work. The wire name is the GraphQL enum value; each kind is
    /// one [`Job`] type in the registry.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    pub enum JobKind {
        StoreMetadataRefresh => "STORE_METADATA_REFRESH",
        /// Download → Customers from one store.
        CustomersDownload => "CUSTOMERS_DOWNLOAD",
        /// Download → Products from one store.
        ProductsDownload => "PRODUCTS_DOWNLOAD",
        /// Bulk listing: list-or-update, unlist or unlink a fixed set of SKUs.
        ListingBulkApply => "LISTING_BULK_APPLY",
        /// "Update Quantities": push sync quantities to one store.
        StockPush => "STOCK_PUSH",
        /// Magento's quantities taken as the ledger's opening balance.
        StockImport => "STOCK_IMPORT",
        /// One order named by a notification, re-read and captured.
        OrderCapture => "ORDER_CAPTURE",
        /// One poll of a store's orders by `updated_at`.
        OrdersPoll => "ORDERS_POLL",
        /// "Load Orders": every order updated since a date.
        OrdersLoad => "ORDERS_LOAD",
    }
}

/// What the queue needs to deliver a job: its id, the transport task id we chose, and
/// when it may run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub job_id: Uuid,
    pub task_id: String,
    pub run_after: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub String);

/// The job queue as the domain sees it. Implemented over apalis-redis in `worker`.
pub trait JobTransport: Send + Sync + 'static {
    fn new_task_id(&self) -> String;
    fn push(&self, ticket: Ticket) -> BoxFuture<'_, Result<(), TransportError>>;
    /// Whether the transport still holds the task (queued, scheduled or running).
    fn task_exists(&self, task_id: &str) -> BoxFuture<'_, Result<bool, TransportError>>;
}

/// Exponential backoff with full jitter: 2 s, 4 s, 8 s … capped at 5 minutes.
pub fn retry_delay(attempt: i32) -> Duration {
    let exp = 2u64.saturating_pow(attempt.clamp(1, 20) as u32);
    let cap = exp.min(300);
    let jitter = rand::random_range(0..=cap * 250);
    Duration::from_millis(cap * 750 + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_and_are_capped() {
        assert!(retry_delay(1) >= Duration::from_millis(1500));
        assert!(retry_delay(1) <= Duration::from_millis(2000));
        assert!(retry_delay(5) >= Duration::from_secs(24));
        assert!(retry_delay(50) <= Duration::from_secs(300));
    }

    #[test]
    fn job_kinds_round_trip_their_wire_names() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(JobKind::parse("NOPE"), None);
    }
}
