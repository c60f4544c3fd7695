//! "Load Orders": every order of a store updated since a date (at most a year back, as
//! DEAR allows), through the same capture as the other sources, with one job item per
//! order saying what capture made of it.

use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use entities::enums::SalesStoreScope;
use magento::search::SearchCriteria;
use magento::window::magento_timestamp;

use super::capture::Capturer;
use super::poll::{key_of, record, version_of, versions_of};
use crate::Services;
use crate::auth::Principal;
use crate::channel::magento::stores;
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::jobs::{
    self, Earlier, Job, JobContext, JobFailure, JobKind, Requested, item_index, only_ids,
    retried_ids,
};

/// How far back "Load Orders" may reach.
pub const MAX_HISTORY_DAYS: i64 = 365;

/// Captures run this many at a time within a page: each is its own short transaction,
/// and orders of one store rarely share a stock row for long.
const CONCURRENT_CAPTURES: usize = 8;

/// Starts an `ORDERS_LOAD` job for orders updated at or after `since`.
pub async fn start_load(
    services: &Services,
    principal: &Principal,
    store_id: Uuid,
    since: DateTime<Utc>,
) -> DomainResult<entities::job::Model> {
    stores::get(&services.db, principal.org_id, store_id).await?;
    let now = Utc::now();
    if since < now - chrono::Duration::days(MAX_HISTORY_DAYS) {
        return Err(DomainError::invalid(
            &["since"],
            ErrorCode::OutOfRange,
            format!("orders can be loaded at most {MAX_HISTORY_DAYS} days back"),
        ));
    }
    if since > now {
        return Err(DomainError::invalid(
            &["since"],
            ErrorCode::OutOfRange,
            "the date is in the future",
        ));
    }
    let settings = stores::settings_of(&services.db, principal.org_id, store_id).await?;
    if settings.sales_store_scope == SalesStoreScope::DoNotLoad {
        return Err(DomainError::invalid(
            &["salesStoreScope"],
            ErrorCode::RequiresSetting,
            "\"Magento Store\" is \"Do not load\": choose all store views or one before loading orders",
        ));
    }
    jobs::enqueue_job(
        services,
        Requested::by(principal),
        &OrdersLoad {
            store_id,
            since,
            order_ids: None,
        },
    )
    .await
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrdersLoad {
    pub store_id: Uuid,
    pub since: DateTime<Utc>,
    /// A retry loads only these orders again.
    #[serde(default)]
    pub order_ids: Option<Vec<i64>>,
}

impl Job for OrdersLoad {
    const KIND: JobKind = JobKind::OrdersLoad;
    // Recorded orders are skipped on a retried attempt; capture is idempotent anyway.
    const MAX_ATTEMPTS: i32 = 5;

    fn store_id(&self) -> Option<Uuid> {
        Some(self.store_id)
    }

    async fn run(self, ctx: &JobContext) -> Result<(), JobFailure> {
        load(ctx, &self).await
    }

    fn retry(self, earlier: &Earlier) -> Self {
        Self {
            order_ids: retried_ids(earlier).or(self.order_ids.clone()),
            ..self
        }
    }
}

async fn load(ctx: &JobContext, args: &OrdersLoad) -> Result<(), JobFailure> {
    let (store, client) = stores::store_of_job(ctx).await?;
    let db = &ctx.services.db;
    let capturer = Capturer::of_store(db, &store).await?;
    let done = ctx.recorded_items().await?;
    let criteria = only_ids(
        SearchCriteria::new()
            .filter("updated_at", &magento_timestamp(args.since), "gteq")
            .sort("updated_at", true)
            .sort("entity_id", true),
        args.order_ids.as_deref(),
    );
    ctx.set_phase("loading orders from Magento", None).await?;
    let mut page = 1;
    loop {
        ctx.check_cancelled().await?;
        let read_started = std::time::Instant::now();
        let (orders, total) = client
            .orders_page_raw(criteria.clone(), page)
            .await
            .map_err(DomainError::from)?;
        let read_time = read_started.elapsed();
        let capture_started = std::time::Instant::now();
        if page == 1 {
            ctx.set_phase(
                "loading orders from Magento",
                Some(i32::try_from(total).unwrap_or(i32::MAX)),
            )
            .await?;
        }
        let received = orders.len();
        let unchanged = capturer.unchanged(db, &versions_of(&orders)).await?;
        let mut todo = Vec::new();
        let mut items = Vec::new();
        for raw in orders {
            let (Some(entity_id), _) = version_of(&raw) else {
                continue;
            };
            let index = item_index(entity_id, "order")?;
            if done.contains_key(&index) {
                continue;
            }
            let key = key_of(&raw, entity_id);
            match unchanged.get(&entity_id) {
                Some(_) => items.push(super::item_of(
                    index,
                    key,
                    &super::Outcome::AlreadyCaptured {
                        log_id: uuid::Uuid::nil(),
                    },
                )),
                None => todo.push((index, key, raw)),
            }
        }
        let captured: Vec<_> = futures_util::stream::iter(todo)
            .map(|(index, key, raw)| {
                let capturer = &capturer;
                async move { (index, key, capturer.capture(db, raw).await) }
            })
            .buffered(CONCURRENT_CAPTURES)
            .collect()
            .await;
        let mut failure = None;
        for (index, key, outcome) in captured {
            match outcome {
                Ok(outcome) => items.push(super::item_of(index, key, &outcome)),
                Err(err) => match super::refused_item(index, key, &err) {
                    Some(item) => items.push(item),
                    None => failure = Some(err),
                },
            }
        }
        record(ctx, &items).await?;
        tracing::debug!(
            page,
            orders = received,
            read_ms = read_time.as_millis() as u64,
            capture_ms = capture_started.elapsed().as_millis() as u64,
            "orders load page"
        );
        if let Some(err) = failure {
            return Err(err.into());
        }
        if page >= client.last_page(total) || received < client.page_size() as usize {
            break;
        }
        page += 1;
    }
    Ok(())
}
