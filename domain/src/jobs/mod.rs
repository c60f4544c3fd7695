//! Jobs: a row in Postgres is the truth (state, counts, phase, per-item results); the
//! queue only carries the job's id. Every state change appends a `job.progress` event
//! in the same transaction, which subscriptions replay.

mod progress;
mod reaper;
mod runner;
mod store;

use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use entities::enums::{JobItemOutcome, JobState};
pub use progress::{JobProgress, job_progress};
pub use reaper::{ReaperConfig, reap_once, run_reaper};
pub use runner::{
    ItemError, ItemRecord, JobContext, JobFailure, RecordedItem, RunOutcome, item_index, run_job,
};
pub use store::{
    ItemResults, JobFilter, NewJob, cancel, enqueue, get, item_results, list, retry_failed,
};

/// Every kind of long work. The wire name is the GraphQL enum value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobKind {
    StoreMetadataRefresh,
    /// Download → Customers from one store.
    CustomersDownload,
    /// Download → Products from one store.
    ProductsDownload,
    /// Bulk listing: list-or-update, unlist or unlink a fixed set of SKUs.
    ListingBulkApply,
    /// "Update Quantities": push sync quantities to one store.
    StockPush,
    /// Magento's quantities taken as the ledger's opening balance.
    StockImport,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::StoreMetadataRefresh => "STORE_METADATA_REFRESH",
            JobKind::CustomersDownload => "CUSTOMERS_DOWNLOAD",
            JobKind::ProductsDownload => "PRODUCTS_DOWNLOAD",
            JobKind::ListingBulkApply => "LISTING_BULK_APPLY",
            JobKind::StockPush => "STOCK_PUSH",
            JobKind::StockImport => "STOCK_IMPORT",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "STORE_METADATA_REFRESH" => Some(JobKind::StoreMetadataRefresh),
            "CUSTOMERS_DOWNLOAD" => Some(JobKind::CustomersDownload),
            "PRODUCTS_DOWNLOAD" => Some(JobKind::ProductsDownload),
            "LISTING_BULK_APPLY" => Some(JobKind::ListingBulkApply),
            "STOCK_PUSH" => Some(JobKind::StockPush),
            "STOCK_IMPORT" => Some(JobKind::StockImport),
            _ => None,
        }
    }

    pub fn max_attempts(self) -> i32 {
        match self {
            JobKind::StoreMetadataRefresh => 5,
            // Idempotent: a retry updates in place what an earlier attempt saved.
            JobKind::CustomersDownload => 5,
            // Matched by SKU and written only when changed: a retry redoes nothing.
            JobKind::ProductsDownload => 5,
            // Each item is recorded once; a retry skips items already recorded.
            JobKind::ListingBulkApply => 5,
            // Absolute quantities: pushing twice is harmless.
            JobKind::StockPush => 5,
            // Each product's change is recorded with its item in one transaction; a
            // retry skips recorded items and sets the rest to an absolute quantity.
            JobKind::StockImport => 5,
        }
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
        for kind in [
            JobKind::StoreMetadataRefresh,
            JobKind::CustomersDownload,
            JobKind::ProductsDownload,
            JobKind::ListingBulkApply,
            JobKind::StockPush,
            JobKind::StockImport,
        ] {
            assert_eq!(JobKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(JobKind::parse("NOPE"), None);
    }
}
