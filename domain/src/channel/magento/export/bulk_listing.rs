//! Bulk listing: one action (list-or-update, unlist, unlink) over a selection of the
//! store's catalogue — by the catalogue filters or by explicit SKUs — with the "create
//! products enabled" flag, an attribute set and the buffer options.
//!
//! The selection is resolved when the job is started and stored in its arguments, so
//! products created or changed while it runs neither join nor leave it, and a retry of
//! the failed items (`jobRetryFailed`) works on exactly the products that failed. Each
//! product is one job item keyed by its SKU; a retried attempt of the same job skips the
//! items it already recorded.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use entities::enums::JobItemOutcome;
use entities::{job, listing};

use crate::Services;
use crate::auth::Principal;
use crate::channel::magento::buffer;
use crate::channel::magento::catalog::CatalogFilter;
use crate::channel::magento::export::publish::{self, BufferChange, ListOptions, StoreSession};
use crate::channel::magento::stores;
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::jobs::{
    self, Earlier, ItemError, ItemErrorCode, Job, JobContext, JobFailure, JobKind, Requested,
};
use crate::products;

/// The three actions of the Bulk Listing tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BulkAction {
    /// List products not yet listed, update those that are.
    List,
    /// Remove the products from Magento (the ledger keeps them, not listed).
    Unlist,
    /// Break the link; both products stay.
    Unlink,
}

/// How the selection is made: explicit SKUs, or the catalogue filters.
#[derive(Debug, Clone)]
pub enum Selection {
    Skus(Vec<String>),
    Filter(Box<CatalogFilter>),
}

#[derive(Debug, Clone)]
pub struct BulkRequest {
    pub store_id: Uuid,
    pub selection: Selection,
    pub action: BulkAction,
    pub options: ListOptions,
}

/// A bulk listing job: the action, its options, and the fixed items.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkListing {
    store_id: Uuid,
    action: BulkAction,
    attribute_set: Option<String>,
    create_enabled: bool,
    stock_sync: Option<bool>,
    buffer: BufferArg,
    /// `[product id, SKU at selection time]`, in item index order.
    items: Vec<(Uuid, String)>,
}

impl Job for BulkListing {
    const KIND: JobKind = JobKind::ListingBulkApply;
    // Each item is recorded once; a retry skips items already recorded.
    const MAX_ATTEMPTS: i32 = 5;

    fn store_id(&self) -> Option<Uuid> {
        Some(self.store_id)
    }

    async fn run(self, ctx: &JobContext) -> Result<(), JobFailure> {
        apply_bulk(ctx, self).await
    }

    /// The items that failed or were never reached.
    fn retry(self, earlier: &Earlier) -> Self {
        let items = self
            .items
            .into_iter()
            .enumerate()
            .filter(|(index, _)| {
                i32::try_from(*index).is_ok_and(|index| !earlier.done.contains(&index))
            })
            .map(|(_, item)| item)
            .collect();
        Self { items, ..self }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", content = "value", rename_all = "SCREAMING_SNAKE_CASE")]
enum BufferArg {
    Keep,
    Set(i32),
    Remove,
}

impl From<BufferChange> for BufferArg {
    fn from(change: BufferChange) -> Self {
        match change {
            BufferChange::Keep => BufferArg::Keep,
            BufferChange::Set(value) => BufferArg::Set(value),
            BufferChange::Remove => BufferArg::Remove,
        }
    }
}

impl From<BufferArg> for BufferChange {
    fn from(arg: BufferArg) -> Self {
        match arg {
            BufferArg::Keep => BufferChange::Keep,
            BufferArg::Set(value) => BufferChange::Set(value),
            BufferArg::Remove => BufferChange::Remove,
        }
    }
}

/// Resolves the selection and starts a `LISTING_BULK_APPLY` job over it. Input the
/// job could never act on is refused here, before anything runs.
pub async fn start_bulk(
    services: &Services,
    principal: &Principal,
    request: BulkRequest,
) -> DomainResult<job::Model> {
    let db = &services.db;
    let org_id = principal.org_id;
    stores::get(db, org_id, request.store_id).await?;
    if let BufferChange::Set(value) = request.options.buffer
        && let Some(error) = buffer::product_buffer_error(&["productBuffer", "value"], value)
    {
        return Err(DomainError::Invalid(vec![error]));
    }
    let items = match &request.selection {
        Selection::Skus(skus) => by_skus(db, org_id, skus).await?,
        Selection::Filter(filter) => {
            if let Some(other) = filter.listed_in_store {
                stores::get(db, org_id, other).await.map_err(|_| {
                    DomainError::invalid(
                        &["filter", "listedInStoreId"],
                        ErrorCode::NotFound,
                        "no such connected store",
                    )
                })?;
            }
            products::product_keys(db, org_id, &filter.for_store(request.store_id)).await?
        }
    };
    let job = BulkListing {
        store_id: request.store_id,
        action: request.action,
        attribute_set: request.options.attribute_set.clone(),
        create_enabled: request.options.create_enabled,
        stock_sync: request.options.stock_sync,
        buffer: request.options.buffer.into(),
        items,
    };
    jobs::enqueue_job(services, Requested::by(principal), &job).await
}

/// Explicit SKUs, each of which must name a product (all unknown ones reported at once).
async fn by_skus(
    db: &DatabaseConnection,
    org_id: Uuid,
    skus: &[String],
) -> DomainResult<Vec<(Uuid, String)>> {
    let wanted: Vec<String> = skus
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if wanted.is_empty() {
        return Err(DomainError::invalid(
            &["skus"],
            ErrorCode::Invalid,
            "name at least one SKU, or select by filter",
        ));
    }
    let filter = products::ProductFilter {
        skus: Some(wanted.clone()),
        ..Default::default()
    };
    let found = products::product_keys(db, org_id, &filter).await?;
    let by_sku: HashMap<String, (Uuid, String)> = found
        .into_iter()
        .map(|(id, sku)| (sku.to_lowercase(), (id, sku)))
        .collect();
    let mut seen = HashSet::new();
    let mut items = Vec::with_capacity(wanted.len());
    let mut unknown = Vec::new();
    for sku in &wanted {
        match by_sku.get(&sku.to_lowercase()) {
            Some(item) if seen.insert(item.0) => items.push(item.clone()),
            Some(_) => {}
            None => unknown.push(sku.as_str()),
        }
    }
    if !unknown.is_empty() {
        return Err(DomainError::Invalid(vec![FieldError::new(
            &["skus"],
            ErrorCode::NotFound,
            format!("no product has the SKU {}", unknown.join(", ")),
        )]));
    }
    Ok(items)
}

/// The `LISTING_BULK_APPLY` handler.
async fn apply_bulk(ctx: &JobContext, args: BulkListing) -> Result<(), JobFailure> {
    let db = &ctx.services.db;
    let session = StoreSession::open(&ctx.services, ctx.org_id(), args.store_id).await?;
    let options = ListOptions {
        attribute_set: args.attribute_set.clone(),
        create_enabled: args.create_enabled,
        stock_sync: args.stock_sync,
        buffer: args.buffer.into(),
    };
    // A retried attempt of this job goes on where the last one stopped.
    let done = ctx.recorded_items().await?;
    let selected: Vec<(i32, &(Uuid, String))> = args
        .items
        .iter()
        .enumerate()
        .map(|(index, item)| (i32::try_from(index).unwrap_or(i32::MAX), item))
        .collect();
    let total = i32::try_from(selected.len()).unwrap_or(i32::MAX);
    ctx.set_phase(phase_name(args.action), Some(total)).await?;

    for (index, (product_id, sku)) in selected {
        if done.contains_key(&index) {
            continue;
        }
        ctx.check_cancelled().await?;
        let result = match args.action {
            BulkAction::List => publish::list_or_update(db, &session, *product_id, &options)
                .await
                .map(|_| None),
            BulkAction::Unlist | BulkAction::Unlink
                if !linked(db, args.store_id, *product_id).await? =>
            {
                Ok(Some("not listed in this store".to_owned()))
            }
            BulkAction::Unlist => publish::remove(db, &session, *product_id)
                .await
                .map(|_| None),
            BulkAction::Unlink => publish::unlink(db, &session, *product_id)
                .await
                .map(|_| None),
        };
        let (outcome, error) = match result {
            Ok(None) => (JobItemOutcome::Succeeded, None),
            Ok(Some(reason)) => (
                JobItemOutcome::Skipped,
                Some(ItemError::new(ItemErrorCode::NotListed, reason)),
            ),
            // The store stopped answering: the job is retried and goes on here.
            Err(err) => (JobItemOutcome::Failed, Some(item_error(err)?)),
        };
        ctx.record_item(index, sku, outcome, error).await?;
    }
    Ok(())
}

/// Whether the product has a Magento product in this store to remove or unlink.
async fn linked(db: &DatabaseConnection, store_id: Uuid, product_id: Uuid) -> DomainResult<bool> {
    Ok(listing::Entity::find()
        .filter(listing::Column::StoreId.eq(store_id))
        .filter(listing::Column::ProductId.eq(product_id))
        .filter(listing::Column::MagentoProductId.is_not_null())
        .one(db)
        .await?
        .is_some())
}

fn phase_name(action: BulkAction) -> &'static str {
    match action {
        BulkAction::List => "listing",
        BulkAction::Unlist => "removing from Magento",
        BulkAction::Unlink => "unlinking",
    }
}

/// An item's failure, or the job's failure when the cause is not the item's (the
/// store or the database went away).
fn item_error(err: DomainError) -> Result<ItemError, JobFailure> {
    match err {
        DomainError::Invalid(errors) => Ok(ItemError::refused(&errors)),
        DomainError::NotFound { entity } => Ok(ItemError::new(
            ItemErrorCode::NotFound,
            format!("the {entity} no longer exists"),
        )),
        DomainError::Magento(m) if !m.is_retryable() => {
            Ok(ItemError::new(ItemErrorCode::MagentoError, m.to_string()))
        }
        other => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_options_survive_the_job_arguments() {
        for change in [
            BufferChange::Keep,
            BufferChange::Set(4),
            BufferChange::Remove,
        ] {
            let arg = BufferArg::from(change);
            let json = serde_json::to_value(arg).expect("serialises");
            let back: BufferArg = serde_json::from_value(json).expect("deserialises");
            assert_eq!(BufferChange::from(back), change);
        }
    }

    #[test]
    fn a_refused_item_keeps_the_first_error_code_and_names_no_api_path() {
        let err = DomainError::Invalid(vec![
            FieldError::new(&[], ErrorCode::DescriptionMissing, "no description"),
            FieldError::new(&[], ErrorCode::ImageMissing, "no image"),
        ]);
        let error = item_error(err).expect("an item error");
        assert_eq!(error.code, ItemErrorCode::DescriptionMissing);
        assert_eq!(error.message, "no description; no image");
    }
}
