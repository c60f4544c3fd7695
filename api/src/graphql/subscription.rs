use async_graphql::{Context, ID, Subscription};
use futures_util::{Stream, StreamExt};

use domain::auth::Role;
use domain::jobs;

use super::errors::{bad_input, internal};
use super::ids;
use super::job::JobProgressEvent;
use super::orders::LogEvent;
use super::{require, state};

pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Replays the job's progress events after `after` (or, without it, starts with
    /// the job's current snapshot), then follows it live until it finishes.
    async fn job_progress(
        &self,
        ctx: &Context<'_>,
        job_id: ID,
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = JobProgressEvent> + use<>> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        let after = match after {
            Some(raw) => Some(
                raw.parse::<i64>()
                    .map_err(|_| bad_input("`after` is not a cursor of this job"))?,
            ),
            None => None,
        };
        let not_found = || async_graphql::Error::new("job not found");
        let job_id = ids::decode("Job", &job_id)?;
        let stream = jobs::job_progress(
            s.services.db.clone(),
            s.hub.clone(),
            principal.org_id,
            job_id,
            after,
        )
        .await
        .map_err(|e| match e {
            domain::DomainError::NotFound { .. } => not_found(),
            other => internal(other),
        })?;
        Ok(stream.map(JobProgressEvent::from))
    }

    /// Replays the store's log events after `after` (or, without it, starts now), then
    /// follows them live. No event is ever skipped, even when several workers write at
    /// once and commit out of order.
    async fn log_events(
        &self,
        ctx: &Context<'_>,
        store_id: ID,
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = LogEvent> + use<>> {
        let principal = require(ctx, Role::Viewer)?;
        let s = state(ctx);
        let after = match after {
            Some(raw) => Some(
                domain::events::stream::StreamCursor::decode(&raw)
                    .ok_or_else(|| bad_input("`after` is not a cursor of this stream"))?,
            ),
            None => None,
        };
        let store_id = ids::decode("Store", &store_id)?;
        domain::channel::magento::stores::get(&s.services.db, principal.org_id, store_id)
            .await
            .map_err(|e| match e {
                domain::DomainError::NotFound { .. } => {
                    async_graphql::Error::new("store not found")
                }
                other => internal(other),
            })?;
        let stream = domain::events::stream::store_stream(
            s.services.db.clone(),
            s.hub.clone(),
            principal.org_id,
            store_id,
            domain::events::LOG_KINDS,
            after,
        );
        Ok(stream.filter_map(|event| async move { LogEvent::from_stream(event) }))
    }
}
