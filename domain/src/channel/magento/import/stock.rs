//! The opening balance from Magento (`stockImportFromMagento`, the `STOCK_IMPORT` job).
//!
//! After "Download → Products" every product has on hand 0 here, and turning on "Update
//! Stock Levels in Magento" would push 0 − buffer over the merchant's quantities (the
//! spec: "ensure you have the correct stock quantities entered in DEAR as these values
//! will override the stock quantities in Magento"). This job takes Magento's quantities
//! as the ledger's on hand instead.
//!
//! Where a quantity lands mirrors where the push sends it ([`crate::channel::magento::export::stock_push`]), so
//! that an import followed by a push gives Magento back what it had:
//! - MSI: a source mapped to a location (Location Mapping) lands at that location. The
//!   source the push uses when the linked location has no mapping (`default`, else the
//!   only enabled source) lands at the linked location, else the organisation's default
//!   location — unless that location already receives a mapped source (the push then
//!   sends it to that mapped source, never to `default`). Other sources are not
//!   imported; the product's item says so.
//! - Legacy stock: the stock item's quantity lands at the linked location, else the
//!   organisation's default location.
//!
//! A product is set to Magento's quantity by one adjustment per location (Magento's
//! quantity − on hand, read under the level's row lock), with a reason naming Magento,
//! the store and the source. A negative Magento quantity is imported as 0 (on hand is
//! never below zero). Without `overwrite` only products with no stock movement yet, at
//! any location, are touched. A product already at Magento's quantity gets no movement,
//! so a repeated or retried import changes nothing twice.
//!
//! Items: one per listed product, keyed by its Magento SKU and indexed by its Magento
//! product id, so a retried attempt skips what an earlier one recorded. A batch's stock
//! changes commit in one transaction with its items. Configurable, bundle and grouped
//! parents (their stock is their children's) and non-stock products (services, gift
//! cards) are recorded as skipped.

mod overwrite_warning;

use std::collections::{BTreeMap, HashMap, HashSet};

use futures_util::StreamExt;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait, Value};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use entities::enums::{JobItemOutcome, MovementKind};
use entities::{magento_setting, magento_store};
use magento::search::SearchCriteria;
use magento::{MagentoClient, MagentoError, dto};

use crate::Services;
use crate::auth::Principal;
use crate::channel::magento::export::stock_push::{self, HAS_OWN_STOCK};
use crate::channel::magento::stores;
use crate::error::{DomainError, DomainResult};
use crate::jobs::{
    self, Earlier, ItemError, ItemErrorCode, ItemRecord, Job, JobContext, JobFailure, JobKind,
    Requested, item_index,
};
use crate::stock::{self, Cause, Movement};

pub use overwrite_warning::{UserWarning, WarningCode, overwrite_warning};

/// Products per batch: one source item search (or a few stock item reads in flight)
/// and one transaction each.
const BATCH: usize = 100;
/// Legacy stock items are read one request per SKU; this many at a time.
const LEGACY_CONCURRENCY: usize = 4;

/// Starts a `STOCK_IMPORT` job: the named SKUs (each must be listed in the store), or
/// every product listed in it when `skus` is `None`.
pub async fn start_import(
    services: &Services,
    principal: &Principal,
    store_id: Uuid,
    skus: Option<Vec<String>>,
    overwrite: bool,
) -> DomainResult<entities::job::Model> {
    stores::get(&services.db, principal.org_id, store_id).await?;
    let skus = match skus {
        None => None,
        Some(skus) => Some(
            stock_push::check_skus(
                &services.db,
                principal.org_id,
                store_id,
                skus,
                "to import every listing",
            )
            .await?,
        ),
    };
    jobs::enqueue_job(
        services,
        Requested::by(principal),
        &StockImport {
            store_id,
            skus,
            overwrite,
        },
    )
    .await
}

/// Magento's quantities of one store as the ledger's: the named SKUs, or every listed
/// one; `overwrite` also sets products that already have stock movements.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockImport {
    pub store_id: Uuid,
    #[serde(default)]
    pub skus: Option<Vec<String>>,
    #[serde(default)]
    pub overwrite: bool,
}

impl Job for StockImport {
    const KIND: JobKind = JobKind::StockImport;
    // Each product's change is recorded with its item in one transaction; a retry skips
    // recorded items and sets the rest to an absolute quantity.
    const MAX_ATTEMPTS: i32 = 5;

    fn store_id(&self) -> Option<Uuid> {
        Some(self.store_id)
    }

    async fn run(self, ctx: &JobContext) -> Result<(), JobFailure> {
        import_job(ctx, self).await
    }

    /// The SKUs that failed; all of it again when the import stopped midway.
    fn retry(self, earlier: &Earlier) -> Self {
        Self {
            skus: earlier.failed_keys_or(self.skus.clone()),
            ..self
        }
    }
}

/// The `STOCK_IMPORT` job. A store that stops answering fails the attempt (retried with
/// backoff; recorded items are skipped then).
async fn import_job(ctx: &JobContext, args: StockImport) -> Result<(), JobFailure> {
    let (store, client) = stores::store_of_job(ctx).await?;
    let db = &ctx.services.db;
    let listed = listed_products(db, &store, args.skus.as_deref()).await?;
    ctx.set_phase(
        "importing stock from Magento",
        Some(i32::try_from(listed.len()).unwrap_or(i32::MAX)),
    )
    .await?;
    let done = ctx.recorded_items().await?;
    let todo: Vec<&Listed> = listed
        .iter()
        .filter(|l| !done.contains_key(&l.index))
        .collect();
    if todo.is_empty() {
        return Ok(());
    }
    let settings = stores::settings_of(db, store.org_id, store.id).await?;
    let plan = Plan::of(db, &store, &client, &settings).await?;
    for batch in todo.chunks(BATCH) {
        ctx.check_cancelled().await?;
        let skus: Vec<&str> = batch
            .iter()
            .filter(|l| l.no_stock.is_none())
            .map(|l| l.sku.as_str())
            .collect();
        let held = plan.read(&client, &skus).await?;
        import_batch(ctx, &store, &plan, batch, &held, args.overwrite).await?;
    }
    Ok(())
}

/// One listed product of the store.
struct Listed {
    index: i32,
    product_id: Uuid,
    /// As Magento knows it.
    sku: String,
    /// Why the product has no stock of its own, when it has none.
    no_stock: Option<ItemError>,
}

/// The store's listed products (all, or those of the named SKUs), by Magento product id.
async fn listed_products(
    db: &DatabaseConnection,
    store: &magento_store::Model,
    skus: Option<&[String]>,
) -> Result<Vec<Listed>, JobFailure> {
    let mut values: Vec<Value> = vec![store.org_id.into(), store.id.into()];
    let filter = match skus {
        None => "",
        Some(skus) => {
            let ids: Vec<Uuid> = stock_push::listing_products(db, store.org_id, store.id, skus)
                .await?
                .into_keys()
                .collect();
            values.push(ids.into());
            " AND l.product_id = ANY($3)"
        }
    };
    let sql = format!(
        "SELECT l.product_id, l.magento_product_id, \
                coalesce(nullif(btrim(l.magento_sku), ''), p.sku) AS sku, \
                p.kind = 'stock' AS stock_product, {HAS_OWN_STOCK} AS own_stock \
         FROM listings l JOIN products p ON p.id = l.product_id \
         WHERE l.org_id = $1 AND l.store_id = $2 AND l.status = 'listed'{filter} \
         ORDER BY l.magento_product_id"
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .map_err(DomainError::from)?;
    let mut listed = Vec::with_capacity(rows.len());
    for row in rows {
        let read = |column: &str| row.try_get::<bool>("", column).map_err(DomainError::from);
        let no_stock = if !read("stock_product")? {
            Some(ItemError::new(
                ItemErrorCode::NotAStockProduct,
                "a service or gift card has no stock",
            ))
        } else if !read("own_stock")? {
            Some(ItemError::new(
                ItemErrorCode::NoStockOfItsOwn,
                "a configurable, bundle or grouped product's stock is its children's",
            ))
        } else {
            None
        };
        let magento_id: i64 = row
            .try_get("", "magento_product_id")
            .map_err(DomainError::from)?;
        listed.push(Listed {
            index: item_index(magento_id, "Magento product")?,
            product_id: row.try_get("", "product_id").map_err(DomainError::from)?,
            sku: row.try_get("", "sku").map_err(DomainError::from)?,
            no_stock,
        });
    }
    Ok(listed)
}

/// What Magento holds of one SKU: `(source, quantity)` per source item (the source is
/// `None` for a legacy stock item); empty when Magento keeps no stock for it.
type Held = Vec<(Option<String>, Decimal)>;

/// Per lower-cased SKU, what Magento holds, or why Magento refused to say.
type Reading = HashMap<String, Result<Held, String>>;

/// Where Magento's quantities land in the ledger.
enum Plan {
    Msi {
        /// Source code → location.
        locations: HashMap<String, Uuid>,
    },
    Legacy {
        location: Uuid,
    },
}

impl Plan {
    async fn of(
        db: &DatabaseConnection,
        store: &magento_store::Model,
        client: &MagentoClient,
        settings: &magento_setting::Model,
    ) -> DomainResult<Self> {
        let home = stores::sales_location(db, store.org_id, settings).await?;
        let Some(sources) = stock_push::sources_of(db, store, client).await? else {
            return Ok(Plan::Legacy { location: home });
        };
        let mut locations: HashMap<String, Uuid> = stores::location_mappings(db, store.id)
            .await?
            .into_iter()
            .map(|m| (m.source_code, m.location_id))
            .collect();
        let fallback = stock_push::default_source(&sources);
        if !locations.contains_key(&fallback) && !locations.values().any(|l| *l == home) {
            locations.insert(fallback, home);
        }
        Ok(Plan::Msi { locations })
    }

    fn location_of(&self, source: Option<&str>) -> Option<Uuid> {
        match (self, source) {
            (Plan::Legacy { location }, _) => Some(*location),
            (Plan::Msi { locations }, Some(source)) => locations.get(source).copied(),
            (Plan::Msi { .. }, None) => None,
        }
    }

    /// Reads what Magento holds of `skus`. A store that cannot be reached is an `Err`;
    /// an answer refusing one SKU (or, for MSI, the batch) is in the reading.
    async fn read(&self, client: &MagentoClient, skus: &[&str]) -> DomainResult<Reading> {
        if skus.is_empty() {
            return Ok(Reading::new());
        }
        match self {
            Plan::Msi { .. } => read_source_items(client, skus).await,
            Plan::Legacy { .. } => read_stock_items(client, skus).await,
        }
    }
}

/// Searches for the source items of `skus` as one `in` list, sorted so that pages
/// neither overlap nor skip. SKUs with a comma cannot be in the list (Magento splits
/// it at commas): they are the second value.
pub(crate) fn source_items_search<'a>(skus: &[&'a str]) -> (Option<SearchCriteria>, Vec<&'a str>) {
    let (listable, odd): (Vec<&str>, Vec<&str>) = skus.iter().partition(|s| !s.contains(','));
    let search = (!listable.is_empty()).then(|| {
        SearchCriteria::new()
            .filter("sku", &listable.join(","), "in")
            .sort("sku", true)
            .sort("source_code", true)
    });
    (search, odd)
}

async fn read_source_items(client: &MagentoClient, skus: &[&str]) -> DomainResult<Reading> {
    let (search, odd) = source_items_search(skus);
    let mut searches: Vec<SearchCriteria> = search.into_iter().collect();
    searches.extend(odd.iter().map(|sku| {
        SearchCriteria::new()
            .filter("sku", sku, "eq")
            .sort("source_code", true)
    }));
    let mut reading: Reading = skus
        .iter()
        .map(|sku| (sku.to_lowercase(), Ok(Held::new())))
        .collect();
    for search in searches {
        match client.source_items(search).await {
            Ok(items) => {
                for item in items {
                    if let Some(Ok(held)) = reading.get_mut(&item.sku.to_lowercase()) {
                        held.push((Some(item.source_code), item.quantity));
                    }
                }
            }
            Err(err) if err.is_retryable() => return Err(err.into()),
            // Refused as a whole: every SKU of the batch fails with the reason.
            Err(err) => {
                let reason = err.to_string();
                for held in reading.values_mut() {
                    *held = Err(reason.clone());
                }
                return Ok(reading);
            }
        }
    }
    Ok(reading)
}

async fn read_stock_items(client: &MagentoClient, skus: &[&str]) -> DomainResult<Reading> {
    // Collected first: a stream over a borrowing closure makes the future not `Send`.
    let reads: Vec<_> = skus
        .iter()
        .map(|sku| read_stock_item(client.clone(), (*sku).to_owned()))
        .collect();
    let results: Vec<(String, Result<dto::StockItem, MagentoError>)> =
        futures_util::stream::iter(reads)
            .buffer_unordered(LEGACY_CONCURRENCY)
            .collect()
            .await;
    let mut reading = Reading::new();
    for (sku, result) in results {
        let held = match result {
            Ok(item) => Ok(item.qty.map(|q| vec![(None, q)]).unwrap_or_default()),
            Err(MagentoError::NotFound { .. }) => Ok(Held::new()),
            Err(err) if err.is_retryable() => return Err(err.into()),
            Err(err) => Err(err.to_string()),
        };
        reading.insert(sku.to_lowercase(), held);
    }
    Ok(reading)
}

async fn read_stock_item(
    client: MagentoClient,
    sku: String,
) -> (String, Result<dto::StockItem, MagentoError>) {
    let result = client.stock_item(&sku).await;
    (sku, result)
}

/// What to do with one product.
enum Decision {
    /// Nothing to set: the item as it is recorded.
    Record(ItemRecord),
    /// Set on hand at these locations; notes for the item.
    Set {
        levels: Vec<Level>,
        notes: Vec<(ItemErrorCode, String)>,
    },
}

/// One location's on hand to set, and the source it comes from.
struct Level {
    location: Uuid,
    quantity: Decimal,
    source: Option<String>,
}

fn decide(listed: &Listed, reading: &Reading, moved: &HashSet<Uuid>, plan: &Plan) -> Decision {
    let skipped = |error: ItemError| {
        Decision::Record(ItemRecord::with_outcome(
            listed.index,
            listed.sku.clone(),
            JobItemOutcome::Skipped,
            Some(error),
        ))
    };
    if let Some(reason) = &listed.no_stock {
        return skipped(reason.clone());
    }
    if moved.contains(&listed.product_id) {
        return skipped(ItemError::new(
            ItemErrorCode::HasStockMovements,
            "the product already has stock movements here; import with overwrite to set it to Magento's quantity",
        ));
    }
    let held = match reading.get(&listed.sku.to_lowercase()) {
        Some(Ok(held)) => held.as_slice(),
        Some(Err(reason)) => {
            return Decision::Record(ItemRecord::new(
                listed.index,
                listed.sku.clone(),
                Some(ItemError::new(ItemErrorCode::MagentoError, reason.clone())),
            ));
        }
        None => &[],
    };
    if held.is_empty() {
        return skipped(ItemError::new(
            ItemErrorCode::NoMagentoStock,
            "Magento keeps no stock for this SKU",
        ));
    }
    let mut levels = Vec::new();
    let mut notes = Vec::new();
    for (source, quantity) in held {
        let quantity = quantity.normalize();
        let Some(location) = plan.location_of(source.as_deref()) else {
            notes.push((
                ItemErrorCode::SourceNotMapped,
                format!(
                    "source {} ({quantity}) is not mapped to a location; not imported",
                    source.as_deref().unwrap_or_default()
                ),
            ));
            continue;
        };
        if quantity < Decimal::ZERO {
            notes.push((
                ItemErrorCode::NegativeInMagento,
                format!(
                    "Magento shows {quantity} at {}; imported as 0 (on hand is never below zero)",
                    source_label(source.as_deref())
                ),
            ));
        }
        levels.push(Level {
            location,
            quantity: quantity.max(Decimal::ZERO),
            source: source.clone(),
        });
    }
    if levels.is_empty() {
        let message = notes.into_iter().map(|(_, m)| m).collect::<Vec<_>>();
        return skipped(ItemError::new(
            ItemErrorCode::SourceNotMapped,
            message.join("; "),
        ));
    }
    Decision::Set { levels, notes }
}

fn source_label(source: Option<&str>) -> String {
    match source {
        Some(source) => format!("source {source}"),
        None => "default stock".to_owned(),
    }
}

/// Sets one batch's products to Magento's quantities and records their items, in one
/// transaction.
async fn import_batch(
    ctx: &JobContext,
    store: &magento_store::Model,
    plan: &Plan,
    batch: &[&Listed],
    reading: &Reading,
    overwrite: bool,
) -> DomainResult<()> {
    let txn = ctx.services.db.begin().await?;
    let moved = if overwrite {
        HashSet::new()
    } else {
        with_movements(&txn, store.org_id, batch).await?
    };
    let mut items = Vec::with_capacity(batch.len());
    let mut wanted: BTreeMap<(Uuid, Uuid), (Decimal, Option<String>)> = BTreeMap::new();
    for listed in batch {
        match decide(listed, reading, &moved, plan) {
            Decision::Record(item) => items.push(item),
            Decision::Set { levels, notes } => {
                for level in levels {
                    wanted.insert(
                        (listed.product_id, level.location),
                        (level.quantity, level.source),
                    );
                }
                items.push(ItemRecord::with_outcome(
                    listed.index,
                    listed.sku.clone(),
                    JobItemOutcome::Succeeded,
                    joined(notes),
                ));
            }
        }
    }
    // Locked in the ledger's one order (product, location), as `stock::apply` moves
    // them, so that two transactions cannot deadlock; on hand read under the lock, so a
    // concurrent change is not lost.
    let mut by_source: BTreeMap<Option<String>, Vec<Movement>> = BTreeMap::new();
    for ((product_id, location_id), (quantity, source)) in wanted {
        let current = stock::locked_level(&txn, product_id, location_id).await?;
        let delta = quantity - current.on_hand;
        if delta.is_zero() {
            continue;
        }
        by_source.entry(source).or_default().push(Movement {
            product_id,
            location_id,
            kind: MovementKind::Adjustment,
            on_hand_delta: delta,
            allocated_delta: Decimal::ZERO,
        });
    }
    for (source, movements) in by_source {
        let cause = Cause {
            reason: Some(format!(
                "Opening balance from Magento ({}, {})",
                store.name,
                source_label(source.as_deref())
            )),
            ..Cause::default()
        };
        stock::apply(&txn, store.org_id, &movements, &cause).await?;
    }
    ctx.record_items(&txn, &items).await?;
    txn.commit().await?;
    Ok(())
}

/// An item's notes as its code (the first note's) and message (all of them).
fn joined(notes: Vec<(ItemErrorCode, String)>) -> Option<ItemError> {
    let code = notes.first()?.0;
    let message = notes.into_iter().map(|(_, m)| m).collect::<Vec<_>>();
    Some(ItemError::new(code, message.join("; ")))
}

/// The batch's products that have any stock movement.
async fn with_movements<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    batch: &[&Listed],
) -> DomainResult<HashSet<Uuid>> {
    let ids: Vec<Uuid> = batch.iter().map(|l| l.product_id).collect();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT DISTINCT product_id FROM stock_movements \
             WHERE org_id = $1 AND product_id = ANY($2)",
            [org_id.into(), ids.into()],
        ))
        .await?;
    rows.iter()
        .map(|row| row.try_get("", "product_id").map_err(DomainError::from))
        .collect()
}
