//! A job is one type: its kind, its attempt limit, its typed arguments (the type
//! itself, stored as the job row's `args`), how it runs, and what a `jobRetryFailed` of
//! it redoes. [`registry`](super::registry) lists the types once; the runner and the
//! retry find a kind's type there, so adding a job is its file and one line.

use std::future::Future;

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::JobKind;
use super::runner::{JobContext, JobFailure, RecordedItem};

pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    const KIND: JobKind;
    /// Attempts before the job fails for good (a transient failure is retried with
    /// backoff until then).
    const MAX_ATTEMPTS: i32 = 5;

    /// The store the job works on, if any (the job row's `store_id`).
    fn store_id(&self) -> Option<Uuid>;

    fn run(self, ctx: &JobContext) -> impl Future<Output = Result<(), JobFailure>> + Send;

    /// The job a `jobRetryFailed` of this one starts. A job with items redoes only its
    /// failed ones; the default, for a job without items, redoes all of it.
    fn retry(self, _earlier: &Earlier) -> Self
    where
        Self: Sized,
    {
        self
    }
}

/// What a retried job did: its failed items (index and what was recorded), and whether
/// it ran to its end (a job cancelled or failed midway also has items it never reached).
#[derive(Debug, Clone, Default)]
pub struct Earlier {
    pub failed: Vec<(i32, RecordedItem)>,
    /// The indexes of the items that succeeded or were skipped.
    pub done: std::collections::HashSet<i32>,
    pub ran_to_end: bool,
}

impl Earlier {
    /// What a retry of a job over named keys (SKUs, steps) runs: the failed items'
    /// keys when the job ran to its end, else `keys` again (it stopped midway, and
    /// what it never reached was not recorded).
    pub fn failed_keys_or(&self, keys: Option<Vec<String>>) -> Option<Vec<String>> {
        if !self.ran_to_end || self.failed.is_empty() {
            return keys;
        }
        Some(
            self.failed
                .iter()
                .map(|(_, item)| item.key.clone())
                .collect(),
        )
    }
}

/// At most this many failed entities are downloaded again by id (one `entity_id in`
/// search); a retry of more downloads the whole store again, which rewrites nothing
/// that is already as Magento has it.
pub(crate) const MAX_RETRIED_IDS: usize = 100;

/// The Magento ids a retry downloads: the failed items' (their index is the entity
/// id), when the job ran to its end and they are few enough.
pub(crate) fn retried_ids(earlier: &Earlier) -> Option<Vec<i64>> {
    (earlier.ran_to_end && !earlier.failed.is_empty() && earlier.failed.len() <= MAX_RETRIED_IDS)
        .then(|| {
            earlier
                .failed
                .iter()
                .map(|(index, _)| i64::from(*index))
                .collect()
        })
}

/// A search for just these ids, when given.
pub(crate) fn only_ids(
    criteria: magento::search::SearchCriteria,
    ids: Option<&[i64]>,
) -> magento::search::SearchCriteria {
    match ids {
        Some(ids) => {
            let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            criteria.filter("entity_id", &list, "in")
        }
        None => criteria,
    }
}

/// A job type as the runner sees it: arguments as JSON.
pub(crate) struct JobType {
    pub kind: JobKind,
    pub max_attempts: i32,
    pub run: for<'a> fn(&'a JobContext) -> BoxFuture<'a, Result<(), JobFailure>>,
    pub retry: fn(serde_json::Value, &Earlier) -> Result<serde_json::Value, String>,
}

impl JobType {
    pub const fn of<J: Job>() -> Self {
        Self {
            kind: J::KIND,
            max_attempts: J::MAX_ATTEMPTS,
            run: run_typed::<J>,
            retry: retry_typed::<J>,
        }
    }
}

fn run_typed<J: Job>(ctx: &JobContext) -> BoxFuture<'_, Result<(), JobFailure>> {
    Box::pin(async move {
        let job: J = serde_json::from_value(ctx.job.args.clone()).map_err(|e| {
            JobFailure::Permanent(format!("unreadable {} arguments: {e}", J::KIND.as_str()))
        })?;
        job.run(ctx).await
    })
}

fn retry_typed<J: Job>(
    args: serde_json::Value,
    earlier: &Earlier,
) -> Result<serde_json::Value, String> {
    let job: J = serde_json::from_value(args).map_err(|e| e.to_string())?;
    serde_json::to_value(job.retry(earlier)).map_err(|e| e.to_string())
}
