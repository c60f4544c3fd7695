//! Jobs, their per-item results and progress events.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use domain::entities::{enums, job, job_item};
use domain::jobs::{self, JobProgress};

use super::errors::{optional, query};
use super::ids;
use super::query::{ListTotals, wants_total};
use super::state;
use super::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::JobState")]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    PartiallySucceeded,
    Failed,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "jobs::JobKind")]
pub enum JobKind {
    /// Caches store views, attribute sets, tax classes and rates, payment methods and
    /// MSI sources of a store.
    StoreMetadataRefresh,
    /// Downloads a store's customers into the ledger (creating or updating them).
    CustomersDownload,
    /// Downloads a store's products into the ledger and links them as listed.
    ProductsDownload,
    /// Lists, updates, unlists or unlinks a fixed set of products in bulk.
    ListingBulkApply,
    /// Pushes sync quantities to a store ("Update Quantities").
    StockPush,
    /// Takes a store's Magento quantities as the opening balance
    /// (`stockImportFromMagento`).
    StockImport,
    /// Re-reads one order a notification named and captures it.
    OrderCapture,
    /// One poll of a store's orders by `updated_at` (the always-on poller).
    OrdersPoll,
    /// "Load Orders": captures every order updated since a date.
    OrdersLoad,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::JobItemOutcome")]
pub enum JobItemOutcome {
    Succeeded,
    Failed,
    Skipped,
}

pub struct Job(pub job::Model);

#[Object]
impl Job {
    async fn id(&self) -> ID {
        ids::encode("Job", self.0.id)
    }
    async fn kind(&self) -> Option<JobKind> {
        jobs::JobKind::parse(&self.0.kind).map(Into::into)
    }
    /// The job this one retries (`jobRetryFailed`), which redid only what failed there.
    async fn retry_of(&self) -> Option<ID> {
        self.0.retry_of.map(|id| ids::encode("Job", id))
    }
    async fn state(&self) -> JobState {
        self.0.state.into()
    }
    /// What the job is doing now, e.g. "reading store metadata".
    async fn phase(&self) -> Option<&str> {
        self.0.phase.as_deref()
    }
    async fn total_count(&self) -> Option<i32> {
        self.0.total_count
    }
    async fn processed_count(&self) -> i32 {
        self.0.processed_count
    }
    async fn failed_count(&self) -> i32 {
        self.0.failed_count
    }
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    async fn max_attempts(&self) -> i32 {
        self.0.max_attempts
    }
    async fn cancel_requested(&self) -> bool {
        self.0.cancel_requested
    }
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    async fn store(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Store>> {
        let Some(store_id) = self.0.store_id else {
            return Ok(None);
        };
        let s = state(ctx);
        Ok(optional(
            domain::channel::magento::stores::get(&s.services.db, self.0.org_id, store_id).await,
        )?
        .map(Store))
    }
    /// Per-item outcomes, in item order.
    async fn results(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        outcome: Option<JobItemOutcome>,
    ) -> async_graphql::Result<Connection<String, JobItemResult, ListTotals>> {
        let s = state(ctx);
        let after_index = after.and_then(|a| a.parse::<i32>().ok());
        let first = first.unwrap_or(50).max(1) as u64;
        let results = query(
            jobs::item_results(
                &s.services.db,
                self.0.id,
                outcome.map(Into::into),
                first,
                after_index,
                wants_total(ctx),
            )
            .await,
        )?;
        let mut connection = Connection::with_additional_fields(
            after_index.is_some(),
            results.has_next_page,
            ListTotals {
                total_count: results.total_count.unwrap_or_default(),
            },
        );
        connection.edges.extend(
            results
                .items
                .into_iter()
                .map(|r| Edge::new(r.item_index.to_string(), JobItemResult(r))),
        );
        Ok(connection)
    }
}

pub struct JobItemResult(pub job_item::Model);

#[Object]
impl JobItemResult {
    /// Which item of the job: its position in a bulk input, or for a download the
    /// Magento id of the product (the same in every attempt).
    async fn index(&self) -> i32 {
        self.0.item_index
    }
    /// What the item is: a SKU, an order number, a metadata kind…
    async fn key(&self) -> &str {
        &self.0.item_key
    }
    async fn outcome(&self) -> JobItemOutcome {
        self.0.outcome.into()
    }
    /// Why the item failed or was skipped; codes of a newer version read as null.
    async fn error_code(&self) -> Option<JobItemErrorCode> {
        self.0
            .error_code
            .as_deref()
            .and_then(jobs::ItemErrorCode::parse)
            .map(Into::into)
    }
    async fn error_message(&self) -> Option<&str> {
        self.0.error_message.as_deref()
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(SimpleObject)]
pub struct JobProgressEvent {
    /// Resume with `jobProgress(jobId, after: cursor)` to continue after this event.
    pub cursor: String,
    pub state: JobState,
    pub phase: Option<String>,
    pub total_count: Option<i32>,
    pub processed_count: i32,
    pub failed_count: i32,
    pub at: Option<DateTime<Utc>>,
}

impl From<JobProgress> for JobProgressEvent {
    fn from(p: JobProgress) -> Self {
        Self {
            cursor: p.cursor.to_string(),
            state: p.state.into(),
            phase: p.phase,
            total_count: p.total_count,
            processed_count: p.processed_count,
            failed_count: p.failed_count,
            at: p.at,
        }
    }
}

#[derive(InputObject, Default)]
pub struct JobFilter {
    pub kind: Option<JobKind>,
    pub state: Option<JobState>,
    pub store_id: Option<ID>,
}

/// Why a job item failed or was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::jobs::ItemErrorCode")]
pub enum JobItemErrorCode {
    RequiresSetting,
    OutOfRange,
    NotFound,
    InvalidCombination,
    AlreadyExists,
    Invalid,
    DescriptionMissing,
    ImageMissing,
    DefaultLocationMissing,
    AttributeSetMissing,
    InsufficientStock,
    InvalidCredentials,
    StoreUnreachable,
    MagentoError,
    SkuMissing,
    NameMissing,
    UnsupportedType,
    OptionsUnsupported,
    OptionValuesMissing,
    VariantNotSimple,
    DuplicateSku,
    ParentFailed,
    AlreadyListed,
    AddressUnusable,
    NotListed,
    NotAStockProduct,
    NoStockOfItsOwn,
    HasStockMovements,
    NoMagentoStock,
    SourceNotMapped,
    NegativeInMagento,
    /// Order capture: captured, and why an order was not.
    Captured,
    AlreadyCaptured,
    NotCapturedByRule,
    OtherStoreView,
    NotLoaded,
    CancelledInMagento,
    NotInMagento,
    MalformedOrder,
}
