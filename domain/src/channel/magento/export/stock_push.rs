//! The stock push: what each listed, stock-synced product of a store shows in Magento.
//!
//! Sync quantity = available stock at the store's linked location (all locations when
//! none is linked) − buffer ([`ChannelBuffer`]), shaped by [`PushPolicy`] ("Update Is In
//! Stock", "Update Manage Stock"), plus what Magento itself still reserves for the
//! store's captured orders (MSI's salable quantity subtracts its reservations, and the
//! ledger's allocation already counts those orders). MSI stores get it through
//! `POST /V1/inventory/source-items` in chunks, to the source mapped to the linked
//! location (else Magento's `default` source); stores without MSI through their legacy
//! stock items, whose ids are read once and remembered. A listing's
//! `last_pushed_quantity`/`last_pushed_at` are written only after Magento accepted it,
//! in one statement per chunk.
//!
//! Which triggers need "Update Stock Levels in Magento" on:
//! - [`PushTrigger::StockChanged`] (the automatic push): yes — with it off, the merchant
//!   manages stock in Magento and we must not overwrite it. It pushes only listings
//!   whose sync quantity differs from the last one pushed.
//! - [`PushTrigger::ListingUpdate`]: no (spec WARNING: "Updating products from the
//!   catalog will update the stock level in Magento regardless of the Update Stock
//!   Levels in Magento setting status").
//! - [`PushTrigger::Requested`] ("Update Quantities"): no. The setting governs what
//!   Stockbridge does on its own ("DEAR does not automatically update stock levels");
//!   clicking Update Quantities is the operator asking for exactly that push.
//!
//! The buffer keeps its own rule whatever the trigger (it applies only with the setting
//! on), so an explicit push with the setting off sends the plain available stock.
//!
//! Explicit pushes (requested, listing update) send every listing in scope, changed or
//! not: they are how an operator repairs a Magento that drifted.
//!
//! A family's configurable parent (and any other composite type) has no stock of its
//! own and is never pushed; variants are listings of their own and go by their Magento
//! SKU, else the product's SKU.

mod watch;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Utc;
use futures_util::StreamExt;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait, Value};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use entities::enums::StockMode;
use entities::{magento_setting, magento_store};
use magento::{MagentoClient, MagentoError, dto};

use crate::Services;
use crate::auth::Principal;
use crate::channel::magento::buffer::{ChannelBuffer, ProductBuffer};
use crate::channel::magento::export::stock_policy::{PushPolicy, StockUpdate};
use crate::channel::magento::stores;
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::jobs::{
    self, Earlier, ItemError, ItemErrorCode, ItemRecord, Job, JobContext, JobFailure, JobKind,
    Requested,
};

pub use watch::{StockWatchConfig, run_stock_watch};

/// Which listings of the store a push covers.
#[derive(Debug, Clone, Copy)]
pub enum PushScope<'a> {
    All,
    /// The listings of these ledger products (unknown or unlisted ones are ignored).
    Products(&'a [Uuid]),
}

/// Why a push runs; decides whether "Update Stock Levels in Magento" must be on and
/// whether unchanged quantities are sent again (see the module docs).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PushTrigger {
    /// "Update Quantities" (the `stockPush` mutation, order downloads).
    Requested,
    /// A listing was updated in Magento: its stock goes with it.
    ListingUpdate,
    /// The automatic push after stock changed in the ledger.
    StockChanged,
}

impl PushTrigger {
    pub fn needs_update_stock_levels(self) -> bool {
        self == PushTrigger::StockChanged
    }

    /// Whether a listing whose sync quantity equals its last pushed one is sent again.
    pub fn resends_unchanged(self) -> bool {
        self != PushTrigger::StockChanged
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    /// Listings Magento accepted a quantity for.
    pub pushed: usize,
    /// Listings skipped because Magento already has their sync quantity.
    pub unchanged: usize,
    /// (sku, reason) of listings Magento refused.
    pub failed: Vec<(String, String)>,
}

/// A push report with the ledger products behind its failures (the watcher retries
/// those).
#[derive(Debug, Default)]
pub(crate) struct PushOutcome {
    pub report: PushReport,
    pub failed_products: Vec<Uuid>,
}

/// How many source items go in one request (the client splits further when the store
/// limits array inputs) and how many listings are recorded per statement.
const CHUNK: usize = 500;
/// Source item requests in flight at once for one store.
const PUSH_CONCURRENCY: usize = 4;
/// Legacy stock items are written one request per SKU; this many at a time.
const LEGACY_CONCURRENCY: usize = 8;
/// Magento's single-source mode source, present on every MSI install.
const DEFAULT_SOURCE: &str = "default";
/// The listings that carry stock of their own: a configurable, bundle or grouped
/// parent's stock is its children's (SQL over `listings l`).
pub(crate) const HAS_OWN_STOCK: &str =
    "coalesce(l.magento_type, 'simple') NOT IN ('configurable', 'bundle', 'grouped')";

/// Pushes the scope's listed, stock-synced listings of one store.
///
/// A store that cannot be reached (after the client's own retries) is an `Err` with
/// the retryable Magento error; what was accepted before that stays recorded. Items
/// Magento refuses (an unknown SKU, a validation error) are in `failed`.
pub async fn push_store(
    db: &DatabaseConnection,
    store: &magento_store::Model,
    client: &MagentoClient,
    scope: PushScope<'_>,
    trigger: PushTrigger,
) -> DomainResult<PushReport> {
    Ok(push_store_detailed(db, store, client, scope, trigger)
        .await?
        .report)
}

pub(crate) async fn push_store_detailed(
    db: &DatabaseConnection,
    store: &magento_store::Model,
    client: &MagentoClient,
    scope: PushScope<'_>,
    trigger: PushTrigger,
) -> DomainResult<PushOutcome> {
    let settings = stores::settings_of(db, store.org_id, store.id).await?;
    if trigger.needs_update_stock_levels() && !settings.update_stock_levels {
        return Ok(PushOutcome::default());
    }
    if let PushScope::Products(ids) = scope
        && ids.is_empty()
    {
        return Ok(PushOutcome::default());
    }
    let buffers = ChannelBuffer::from(&settings);
    let policy = PushPolicy::from(&settings);
    let mut outcome = PushOutcome::default();
    let candidates = candidates(db, store, settings.location_id, scope).await?;
    if candidates.is_empty() {
        return Ok(outcome);
    }
    let target = target(db, store, client, &settings).await?;
    // On MSI Manage Stock goes through the stock item once; until that took, the
    // listing counts as changed, so a failed attempt is made again.
    let manage_stock_missing = |c: &Candidate| {
        policy.update_manage_stock && !c.manage_stock_set && matches!(target, Target::Msi { .. })
    };
    let mut pending = Vec::new();
    for candidate in candidates {
        // Magento subtracts its own reservations for this store's captured orders,
        // which the ledger's available already does: they are added back here.
        let quantity = (buffers.sync_quantity(candidate.available, candidate.buffer)
            + candidate.magento_reserved)
            .normalize();
        if !trigger.resends_unchanged()
            && candidate.last_pushed == Some(quantity)
            && !manage_stock_missing(&candidate)
        {
            outcome.report.unchanged += 1;
            continue;
        }
        let update = policy.update(&candidate.sku, quantity);
        pending.push(Pending { candidate, update });
    }
    if pending.is_empty() {
        return Ok(outcome);
    }
    match target {
        Target::Msi { source_code } => {
            push_msi(db, client, &source_code, &policy, pending, &mut outcome).await?
        }
        Target::Legacy => push_legacy(db, client, pending, &mut outcome).await?,
    }
    Ok(outcome)
}

/// One listing as the push needs it.
#[derive(Debug, Clone)]
struct Candidate {
    listing_id: Uuid,
    product_id: Uuid,
    sku: String,
    available: Decimal,
    /// What Magento still reserves for this store's captured orders of the product.
    magento_reserved: Decimal,
    buffer: ProductBuffer,
    last_pushed: Option<Decimal>,
    stock_item_id: Option<i64>,
    manage_stock_set: bool,
}

#[derive(Debug, Clone)]
struct Pending {
    candidate: Candidate,
    update: StockUpdate,
}

/// The scope's pushable listings with their available stock, in one query: listed,
/// stock sync on, a stock product, not a composite (a configurable parent's stock is
/// its variants').
async fn candidates(
    db: &DatabaseConnection,
    store: &magento_store::Model,
    location_id: Option<Uuid>,
    scope: PushScope<'_>,
) -> DomainResult<Vec<Candidate>> {
    let mut values: Vec<Value> = vec![store.org_id.into(), store.id.into(), location_id.into()];
    let listing_filter = match scope {
        PushScope::All => "",
        PushScope::Products(ids) => {
            values.push(ids.to_vec().into());
            " AND l.product_id = ANY($4)"
        }
    };
    // The stock is summed per listing through the levels' (product, location) key
    // rather than joined from one aggregate over the organisation: with fresh tables
    // (no statistics yet) the planner would rescan that aggregate per listing.
    let sql = format!(
        "SELECT l.id AS listing_id, l.product_id, \
                coalesce(nullif(btrim(l.magento_sku), ''), p.sku) AS sku, \
                l.product_buffer_enabled, l.product_buffer, l.last_pushed_quantity, \
                coalesce(s.on_hand, 0) - coalesce(s.allocated, 0) AS available, \
                coalesce(r.reserved, 0) AS magento_reserved, \
                i.stock_item_id, coalesce(i.manage_stock, false) AS manage_stock_set \
         FROM listings l \
         JOIN products p ON p.id = l.product_id \
         LEFT JOIN LATERAL (SELECT sum(on_hand) AS on_hand, sum(allocated) AS allocated \
                            FROM stock_levels \
                            WHERE product_id = l.product_id \
                              AND ($3::uuid IS NULL OR location_id = $3)) s ON true \
         LEFT JOIN LATERAL (SELECT sum(quantity) AS reserved FROM magento_reservations \
                            WHERE store_id = l.store_id AND product_id = l.product_id) r ON true \
         LEFT JOIN listing_stock_items i ON i.listing_id = l.id \
         WHERE l.org_id = $1 AND l.store_id = $2 AND l.status = 'listed' AND l.stock_sync \
           AND p.kind = 'stock' AND {HAS_OWN_STOCK}{listing_filter} \
         ORDER BY 3"
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Candidate {
                listing_id: row.try_get("", "listing_id")?,
                product_id: row.try_get("", "product_id")?,
                sku: row.try_get("", "sku")?,
                available: row.try_get::<Decimal>("", "available")?.normalize(),
                magento_reserved: row.try_get::<Decimal>("", "magento_reserved")?.normalize(),
                buffer: ProductBuffer {
                    enabled: row.try_get("", "product_buffer_enabled")?,
                    value: row.try_get("", "product_buffer")?,
                },
                last_pushed: row.try_get("", "last_pushed_quantity")?,
                stock_item_id: row.try_get("", "stock_item_id")?,
                manage_stock_set: row.try_get("", "manage_stock_set")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(DomainError::from)
}

pub(crate) enum Target {
    Msi { source_code: String },
    Legacy,
}

/// The store's MSI sources, or `None` for legacy stock. A store whose metadata was
/// never read is asked once.
pub(crate) async fn sources_of(
    db: &DatabaseConnection,
    store: &magento_store::Model,
    client: &MagentoClient,
) -> DomainResult<Option<Vec<dto::Source>>> {
    Ok(match store.stock_mode {
        StockMode::Legacy => None,
        StockMode::Msi => Some(stores::metadata_of(store).sources),
        StockMode::Unknown => {
            let sources = client.inventory_sources().await?;
            stores::remember_sources(db, store.id, sources.as_deref()).await?;
            sources
        }
    })
}

/// Where the push sends the store's stock: the source mapped to the linked location,
/// else [`default_source`]; legacy stock items on a store without MSI.
pub(crate) async fn target(
    db: &DatabaseConnection,
    store: &magento_store::Model,
    client: &MagentoClient,
    settings: &magento_setting::Model,
) -> DomainResult<Target> {
    let Some(sources) = sources_of(db, store, client).await? else {
        return Ok(Target::Legacy);
    };
    if let Some(location_id) = settings.location_id
        && let Some(row) = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT source_code FROM location_mappings \
                 WHERE store_id = $1 AND location_id = $2 ORDER BY source_code LIMIT 1",
                [store.id.into(), location_id.into()],
            ))
            .await?
    {
        return Ok(Target::Msi {
            source_code: row.try_get("", "source_code")?,
        });
    }
    Ok(Target::Msi {
        source_code: default_source(&sources),
    })
}

/// Magento's `default` source when the store has it (or we know none of its sources),
/// else its only enabled source.
pub(crate) fn default_source(sources: &[dto::Source]) -> String {
    let enabled: Vec<&dto::Source> = sources.iter().filter(|s| s.enabled).collect();
    if sources.is_empty() || sources.iter().any(|s| s.source_code == DEFAULT_SOURCE) {
        return DEFAULT_SOURCE.to_owned();
    }
    match enabled.as_slice() {
        [only] => only.source_code.clone(),
        _ => DEFAULT_SOURCE.to_owned(),
    }
}

/// Source items chunk by chunk, a few chunks at a time (each recorded as soon as
/// Magento accepted it); a chunk Magento refuses as a whole (one bad SKU makes MSI
/// reject them all) is halved until the refused items stand alone. Once the store
/// proves unreachable, chunks not yet sent are left for the next push.
async fn push_msi(
    db: &DatabaseConnection,
    client: &MagentoClient,
    source_code: &str,
    policy: &PushPolicy,
    pending: Vec<Pending>,
    outcome: &mut PushOutcome,
) -> DomainResult<()> {
    let down = Arc::new(AtomicBool::new(false));
    // Collected first: a stream over a borrowing closure makes the future not `Send`.
    let chunks: Vec<_> = pending
        .chunks(CHUNK)
        .map(|chunk| {
            push_msi_chunk(
                db.clone(),
                client.clone(),
                source_code.to_owned(),
                chunk.to_vec(),
                down.clone(),
            )
        })
        .collect();
    let results: Vec<ChunkOutcome> = futures_util::stream::iter(chunks)
        .buffer_unordered(PUSH_CONCURRENCY)
        .collect()
        .await;
    let mut error = None;
    let mut accepted = Vec::new();
    for result in results {
        outcome.report.pushed += result.accepted.len();
        for (p, err) in &result.refused {
            fail(outcome, p, err);
        }
        outcome
            .failed_products
            .extend(result.unsent.iter().map(|p| p.candidate.product_id));
        if let Some(err) = result.error {
            error.get_or_insert(err);
        }
        if policy.update_manage_stock {
            accepted.extend(result.accepted);
        }
    }
    if let Some(err) = error {
        return Err(err);
    }
    if policy.update_manage_stock {
        manage_stock_on_msi(db, client, &accepted, outcome).await?;
    }
    Ok(())
}

#[derive(Default)]
struct ChunkOutcome {
    accepted: Vec<Pending>,
    refused: Vec<(Pending, String)>,
    /// Not sent, or sent without an answer: the store is unreachable.
    unsent: Vec<Pending>,
    error: Option<DomainError>,
}

async fn push_msi_chunk(
    db: DatabaseConnection,
    client: MagentoClient,
    source_code: String,
    chunk: Vec<Pending>,
    down: Arc<AtomicBool>,
) -> ChunkOutcome {
    let mut outcome = ChunkOutcome::default();
    let mut stack = vec![chunk];
    while let Some(part) = stack.pop() {
        if down.load(Ordering::Relaxed) || outcome.error.is_some() {
            outcome.unsent.extend(part);
            continue;
        }
        let items: Vec<dto::SourceItem> = part
            .iter()
            .map(|p| dto::SourceItem {
                sku: p.update.sku.clone(),
                source_code: source_code.clone(),
                quantity: p.update.quantity,
                status: if p.update.in_stock {
                    dto::SourceItem::STATUS_IN_STOCK
                } else {
                    dto::SourceItem::STATUS_OUT_OF_STOCK
                },
            })
            .collect();
        match client.save_source_items(&items).await {
            Ok(()) => match record_pushed(&db, &part).await {
                Ok(()) => outcome.accepted.extend(part),
                Err(err) => {
                    // In Magento, but not recorded: the next push sends it again.
                    outcome.error = Some(err);
                    outcome.unsent.extend(part);
                }
            },
            Err(err) if err.is_retryable() => {
                down.store(true, Ordering::Relaxed);
                outcome.error = Some(err.into());
                outcome.unsent.extend(part);
            }
            Err(err) if part.len() > 1 => {
                let mut first = part;
                let second = first.split_off(first.len() / 2);
                tracing::debug!(%err, "a source item chunk was refused; splitting it");
                stack.push(second);
                stack.push(first);
            }
            Err(err) => {
                let reason = err.to_string();
                outcome
                    .refused
                    .extend(part.into_iter().map(|p| (p, reason.clone())));
            }
        }
    }
    outcome
}

fn fail(outcome: &mut PushOutcome, pending: &Pending, err: &dyn std::fmt::Display) {
    outcome
        .report
        .failed
        .push((pending.update.sku.clone(), err.to_string()));
    outcome.failed_products.push(pending.candidate.product_id);
}

/// Source items cannot carry Manage Stock: on MSI it lives on the product's stock item.
/// It is turned on once per listing, keeping the quantity and status the stock item
/// already shows (Magento keeps those in step with the default source).
async fn manage_stock_on_msi(
    db: &DatabaseConnection,
    client: &MagentoClient,
    chunk: &[Pending],
    outcome: &mut PushOutcome,
) -> DomainResult<()> {
    let todo: Vec<&Pending> = chunk
        .iter()
        .filter(|p| !p.candidate.manage_stock_set)
        .collect();
    // Collected first: a stream over a borrowing closure makes the future not `Send`.
    let writes: Vec<_> = todo
        .iter()
        .map(|p| turn_on_manage_stock(client.clone(), (*p).clone()))
        .collect();
    let results: Vec<(Uuid, Result<i64, MagentoError>)> = futures_util::stream::iter(writes)
        .buffer_unordered(LEGACY_CONCURRENCY)
        .collect()
        .await;
    let mut learnt = Vec::new();
    for (listing_id, result) in results {
        match result {
            Ok(item_id) => learnt.push((listing_id, item_id)),
            Err(err) if err.is_retryable() => {
                remember_stock_items(db, &learnt, true).await?;
                return Err(err.into());
            }
            Err(err) => {
                // The quantity is in Magento; only the flag is missing. Reported, and
                // tried again on the next push since it is not remembered (the watcher
                // retries the product like any failed one).
                if let Some(p) = todo.iter().find(|p| p.candidate.listing_id == listing_id) {
                    fail(outcome, p, &format!("manage stock not set: {err}"));
                    outcome.failed_products.push(p.candidate.product_id);
                }
            }
        }
    }
    remember_stock_items(db, &learnt, true).await
}

async fn turn_on_manage_stock(
    client: MagentoClient,
    p: Pending,
) -> (Uuid, Result<i64, MagentoError>) {
    let result = async {
        let item = client.stock_item(&p.update.sku).await?;
        let item_id = item.item_id.ok_or_else(|| no_item_id(&p.update.sku))?;
        client
            .update_legacy_stock_item(
                &p.update.sku,
                item_id,
                item.qty.unwrap_or(p.update.quantity),
                item.is_in_stock.unwrap_or(p.update.in_stock),
                Some(true),
            )
            .await?;
        Ok(item_id)
    }
    .await;
    (p.candidate.listing_id, result)
}

/// The stock item id written through, and whether it was just learnt.
type LegacyWrite = Result<(i64, bool), MagentoError>;

/// Writes one legacy stock item, reading its id first when it is not known yet.
/// Answers the id and whether it was just learnt.
async fn write_legacy(client: MagentoClient, p: Pending) -> (Pending, LegacyWrite) {
    let result = async {
        let (item_id, learnt) = match p.candidate.stock_item_id {
            Some(id) => (id, false),
            None => {
                let item = client.stock_item(&p.update.sku).await?;
                (item.item_id.ok_or_else(|| no_item_id(&p.update.sku))?, true)
            }
        };
        client
            .update_legacy_stock_item(
                &p.update.sku,
                item_id,
                p.update.quantity,
                p.update.in_stock,
                p.update.manage_stock,
            )
            .await?;
        Ok((item_id, learnt))
    }
    .await;
    (p, result)
}

fn no_item_id(sku: &str) -> MagentoError {
    MagentoError::NotFound {
        message: format!("Magento has no stock item for {sku}"),
    }
}

/// Legacy stock items, one request per SKU (a few at a time), recorded per chunk.
async fn push_legacy(
    db: &DatabaseConnection,
    client: &MagentoClient,
    pending: Vec<Pending>,
    outcome: &mut PushOutcome,
) -> DomainResult<()> {
    for chunk in pending.chunks(CHUNK) {
        let writes: Vec<_> = chunk
            .iter()
            .map(|p| write_legacy(client.clone(), p.clone()))
            .collect();
        let results: Vec<(Pending, LegacyWrite)> = futures_util::stream::iter(writes)
            .buffer_unordered(LEGACY_CONCURRENCY)
            .collect()
            .await;
        let mut accepted = Vec::new();
        let mut learnt = Vec::new();
        let mut unreachable = None;
        for (p, result) in results {
            match result {
                Ok((item_id, new)) => {
                    if new {
                        learnt.push((p.candidate.listing_id, item_id));
                    }
                    accepted.push(p);
                }
                Err(err) if err.is_retryable() => {
                    outcome.failed_products.push(p.candidate.product_id);
                    unreachable.get_or_insert(err);
                }
                Err(err) => fail(outcome, &p, &err),
            }
        }
        remember_stock_items(db, &learnt, false).await?;
        record_pushed(db, &accepted).await?;
        outcome.report.pushed += accepted.len();
        if let Some(err) = unreachable {
            return Err(err.into());
        }
    }
    Ok(())
}

/// Remembers stock item ids (and, for MSI, that Manage Stock is on) in one statement.
async fn remember_stock_items(
    db: &DatabaseConnection,
    items: &[(Uuid, i64)],
    manage_stock: bool,
) -> DomainResult<()> {
    if items.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = items.iter().map(|(l, _)| *l).collect();
    let item_ids: Vec<i64> = items.iter().map(|(_, i)| *i).collect();
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO listing_stock_items (listing_id, stock_item_id, manage_stock) \
         SELECT v.listing_id, v.item_id, $3 FROM unnest($1::uuid[], $2::bigint[]) AS v(listing_id, item_id) \
         JOIN listings l ON l.id = v.listing_id \
         ON CONFLICT (listing_id) DO UPDATE SET stock_item_id = EXCLUDED.stock_item_id, \
           manage_stock = listing_stock_items.manage_stock OR EXCLUDED.manage_stock, updated_at = now()",
        [ids.into(), item_ids.into(), manage_stock.into()],
    ))
    .await?;
    Ok(())
}

/// Records what Magento accepted, one statement for the chunk.
async fn record_pushed(db: &DatabaseConnection, accepted: &[Pending]) -> DomainResult<()> {
    if accepted.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = accepted.iter().map(|p| p.candidate.listing_id).collect();
    // As text: the array travels without depending on a numeric array encoding.
    let quantities: Vec<String> = accepted
        .iter()
        .map(|p| p.update.quantity.to_string())
        .collect();
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE listings l SET last_pushed_quantity = v.quantity::numeric, last_pushed_at = $3 \
         FROM unnest($1::uuid[], $2::text[]) AS v(id, quantity) WHERE l.id = v.id",
        [ids.into(), quantities.into(), Utc::now().into()],
    ))
    .await?;
    Ok(())
}

/// Starts a `STOCK_PUSH` job ("Update Quantities"): the named SKUs, or every listed,
/// stock-synced listing of the store when `skus` is `None`.
pub async fn start_push(
    services: &Services,
    principal: &Principal,
    store_id: Uuid,
    skus: Option<Vec<String>>,
) -> DomainResult<entities::job::Model> {
    stores::get(&services.db, principal.org_id, store_id).await?;
    let skus = match skus {
        None => None,
        Some(skus) => Some(
            check_skus(
                &services.db,
                principal.org_id,
                store_id,
                skus,
                "to push every listing",
            )
            .await?,
        ),
    };
    jobs::enqueue_job(
        services,
        Requested::by(principal),
        &StockPush { store_id, skus },
    )
    .await
}

/// The named SKUs, trimmed and without repeats; each must be a listing of the store.
/// `leave_out` ends the message for an empty list ("to push every listing").
pub(crate) async fn check_skus(
    db: &DatabaseConnection,
    org_id: Uuid,
    store_id: Uuid,
    skus: Vec<String>,
    leave_out: &str,
) -> DomainResult<Vec<String>> {
    let mut seen = HashSet::new();
    let skus: Vec<String> = skus
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| seen.insert(s.to_lowercase()))
        .collect();
    if skus.is_empty() || skus.iter().any(String::is_empty) {
        return Err(DomainError::invalid(
            &["skus"],
            ErrorCode::Invalid,
            format!("name at least one SKU, or leave skus out {leave_out}"),
        ));
    }
    let found: HashSet<String> = listing_products(db, org_id, store_id, &skus)
        .await?
        .into_values()
        .flatten()
        .collect();
    let errors: Vec<FieldError> = skus
        .iter()
        .enumerate()
        .filter(|(_, sku)| !found.contains(&sku.to_lowercase()))
        .map(|(i, sku)| {
            FieldError::new(
                &["skus", &i.to_string()],
                ErrorCode::NotFound,
                format!("{sku} is not listed in this store"),
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(skus)
    } else {
        Err(DomainError::Invalid(errors))
    }
}

/// The products of the store's listed listings whose SKU (the product's or the listing's
/// Magento SKU, case-insensitively) is among `skus`, with the lowered SKUs that matched.
pub(crate) async fn listing_products(
    db: &DatabaseConnection,
    org_id: Uuid,
    store_id: Uuid,
    skus: &[String],
) -> DomainResult<HashMap<Uuid, Vec<String>>> {
    let lowered: Vec<String> = skus.iter().map(|s| s.to_lowercase()).collect();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT l.product_id, lower(p.sku) AS sku, lower(l.magento_sku) AS magento_sku \
             FROM listings l JOIN products p ON p.id = l.product_id \
             WHERE l.org_id = $1 AND l.store_id = $2 AND l.status = 'listed' \
               AND (lower(p.sku) = ANY($3) OR lower(l.magento_sku) = ANY($3))",
            [org_id.into(), store_id.into(), lowered.clone().into()],
        ))
        .await?;
    let wanted: HashSet<&String> = lowered.iter().collect();
    let mut products: HashMap<Uuid, Vec<String>> = HashMap::new();
    for row in rows {
        let product: Uuid = row.try_get("", "product_id")?;
        let matched = products.entry(product).or_default();
        for column in ["sku", "magento_sku"] {
            if let Some(sku) = row.try_get::<Option<String>>("", column)?
                && wanted.contains(&sku)
            {
                matched.push(sku);
            }
        }
    }
    Ok(products)
}

/// "Update Quantities" of one store: the named SKUs, or every listed, stock-synced one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockPush {
    pub store_id: Uuid,
    #[serde(default)]
    pub skus: Option<Vec<String>>,
}

impl Job for StockPush {
    const KIND: JobKind = JobKind::StockPush;
    // Absolute quantities: pushing twice is harmless.
    const MAX_ATTEMPTS: i32 = 5;

    fn store_id(&self) -> Option<Uuid> {
        Some(self.store_id)
    }

    async fn run(self, ctx: &JobContext) -> Result<(), JobFailure> {
        push_job(ctx, self).await
    }

    /// The SKUs Magento refused; all of it again when the push stopped midway.
    fn retry(self, earlier: &Earlier) -> Self {
        Self {
            skus: earlier.failed_keys_or(self.skus.clone()),
            ..self
        }
    }
}

/// How many products one job item covers: the job reports progress per batch, and a
/// retried job repeats at most one batch's requests needlessly.
const JOB_BATCH: usize = 5_000;

/// The `STOCK_PUSH` job: pushes every listing in scope, changed or not, batch by batch.
/// `totalCount` is the number of listings; one item per batch counts its listings, and
/// one failed item per SKU Magento refused names it (counted within its batch). An
/// unreachable store fails the attempt (retried with backoff); what was accepted stays
/// recorded, and a retried attempt counts no batch twice.
async fn push_job(ctx: &JobContext, args: StockPush) -> Result<(), JobFailure> {
    let (store, client) = stores::store_of_job(ctx).await?;
    let db = &ctx.services.db;
    let products: Vec<Uuid> = match &args.skus {
        Some(skus) => {
            let mut ids: Vec<Uuid> = listing_products(db, store.org_id, store.id, skus)
                .await?
                .into_keys()
                .collect();
            ids.sort();
            ids
        }
        None => all_listed_products(db, &store).await?,
    };
    let batches: Vec<&[Uuid]> = products.chunks(JOB_BATCH).collect();
    ctx.set_phase(
        "pushing quantities",
        Some(i32::try_from(products.len()).unwrap_or(i32::MAX)),
    )
    .await?;
    let mut failures = batches.len() as i32;
    let mut seen_failures: HashSet<String> = HashSet::new();
    for (index, batch) in batches.iter().enumerate() {
        ctx.check_cancelled().await?;
        let report = push_store(
            db,
            &store,
            &client,
            PushScope::Products(batch),
            PushTrigger::Requested,
        )
        .await?;
        let key = format!(
            "products {}–{}: {} pushed",
            index * JOB_BATCH + 1,
            index * JOB_BATCH + batch.len(),
            report.pushed
        );
        let mut items = vec![
            ItemRecord::new(index as i32, key, None)
                .counting(i32::try_from(batch.len()).unwrap_or(i32::MAX)),
        ];
        for (sku, reason) in report.failed {
            if !seen_failures.insert(sku.clone()) {
                continue;
            }
            items.push(
                ItemRecord::new(
                    failures,
                    sku,
                    Some(ItemError::new(ItemErrorCode::MagentoError, reason)),
                )
                .counting(0),
            );
            failures += 1;
        }
        let txn = db.begin().await.map_err(DomainError::from)?;
        ctx.record_items(&txn, &items).await?;
        txn.commit().await.map_err(DomainError::from)?;
    }
    Ok(())
}

/// Every product with a listed, stock-synced listing in the store, in a stable order.
async fn all_listed_products(
    db: &DatabaseConnection,
    store: &magento_store::Model,
) -> DomainResult<Vec<Uuid>> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT product_id FROM listings \
             WHERE org_id = $1 AND store_id = $2 AND status = 'listed' AND stock_sync \
             ORDER BY product_id",
            [store.org_id.into(), store.id.into()],
        ))
        .await?;
    rows.into_iter()
        .map(|row| row.try_get("", "product_id").map_err(DomainError::from))
        .collect()
}

/// Pushes the given products' stock to every connected store of the organisation with
/// "Update Stock Levels in Magento" on, only where the sync quantity changed (what an
/// order download calls once it changed stock; the watcher would get there too, this
/// just does not wait for it). Stores are pushed side by side, so a slow one delays
/// only its own answer. Returns each store's outcome; a failed store is retried by
/// nothing here (the next change, or "Update Quantities", sends it).
pub async fn push_products_everywhere(
    services: &Services,
    org_id: Uuid,
    products: &[Uuid],
) -> DomainResult<Vec<(Uuid, DomainResult<PushReport>)>> {
    let pushes: Vec<_> = stores::list(&services.db, org_id)
        .await?
        .into_iter()
        .map(|store| push_one_store(services.clone(), store, products.to_vec()))
        .collect();
    Ok(futures_util::future::join_all(pushes).await)
}

async fn push_one_store(
    services: Services,
    store: magento_store::Model,
    products: Vec<Uuid>,
) -> (Uuid, DomainResult<PushReport>) {
    let result = match stores::client_for(&services, &store) {
        Ok(client) => {
            push_store(
                &services.db,
                &store,
                &client,
                PushScope::Products(&products),
                PushTrigger::StockChanged,
            )
            .await
        }
        Err(err) => Err(err),
    };
    (store.id, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(code: &str, enabled: bool) -> dto::Source {
        serde_json::from_value(
            serde_json::json!({"source_code": code, "name": code, "enabled": enabled}),
        )
        .expect("a source")
    }

    #[test]
    fn only_the_automatic_push_needs_update_stock_levels() {
        assert!(PushTrigger::StockChanged.needs_update_stock_levels());
        assert!(!PushTrigger::ListingUpdate.needs_update_stock_levels());
        assert!(!PushTrigger::Requested.needs_update_stock_levels());
    }

    #[test]
    fn explicit_pushes_resend_unchanged_quantities() {
        assert!(!PushTrigger::StockChanged.resends_unchanged());
        assert!(PushTrigger::ListingUpdate.resends_unchanged());
        assert!(PushTrigger::Requested.resends_unchanged());
    }

    #[test]
    fn the_default_source_is_used_when_the_store_has_it_or_lists_none() {
        assert_eq!(default_source(&[]), "default");
        assert_eq!(
            default_source(&[source("ne_wh", true), source("default", true)]),
            "default"
        );
    }

    #[test]
    fn a_store_without_the_default_source_gets_its_only_enabled_source() {
        assert_eq!(
            default_source(&[source("uppsala_wh", true), source("old", false)]),
            "uppsala_wh"
        );
    }
}
