//! The one capture step every source calls (notification, poller, "Load Orders"): an
//! order Magento sent is filed once, whatever arrives twice, concurrently or after a
//! crash. The log entry, its binder link, the pending order, the stock allocation, what
//! Magento still reserves and the `log.captured` event are one transaction; the binder's
//! key decides which of two concurrent captures of the same order wins, in the database.
//!
//! An order already in the log is refreshed instead: its Magento state, status and
//! payload, what Magento still reserves (a shipment there releases it), and a
//! cancellation, which drops the pending order and frees its stock (or voids the sale it
//! became). Refreshes apply only versions at least as new as the one filed, so a late
//! re-read never undoes a newer one.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, Set, Statement, TransactionTrait,
};
use serde::Deserialize as _;
use serde_json::Value;
use uuid::Uuid;

use entities::enums::{LinkKind, LogStatus, MovementKind, ProcessingState, ProductKind, StockMode};
use entities::{magento_setting, magento_store, organization, pending_order, sales_log};
use magento::dto::{Order, OrderHeader, StoreView};

use super::lines::{Hold, HoldCode, StockLine, holds, stock_lines};
use super::rules::{self, Verdict};
use crate::channel::magento::Binder;
use crate::channel::magento::stores;
use crate::error::{DomainError, DomainResult};
use crate::events::{self, DomainEvent, LogEntryRef, Scope, StockChange, StockChanged};
use crate::products::batch::products_with_skus;
use crate::stock::{self, Cause, Movement};

/// What a pending order's stock movements name as their cause.
pub const PENDING_ORDER_REFERENCE: &str = "pending_order";

/// What capture did with one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Filed as a pending order (held, with its reason, when something stands in the way
    /// of a sale).
    Captured {
        log_id: Uuid,
        held: Option<HoldCode>,
    },
    /// In the log already; refreshed from this version.
    AlreadyCaptured { log_id: Uuid },
    /// In the log, and now cancelled (or deleted) in Magento: its pending order dropped.
    Cancelled { log_id: Uuid },
    /// Not in the log, and not captured: why.
    Skipped(Verdict),
    /// Gone from Magento and never captured.
    Unknown,
}

/// Capture as one store does it: its settings, views, location and stock mode, read
/// once per job.
#[derive(Debug, Clone)]
pub struct Capturer {
    pub org_id: Uuid,
    pub store_id: Uuid,
    settings: magento_setting::Model,
    store_views: Vec<StoreView>,
    location_id: Uuid,
    currency: String,
    /// MSI reserves what its unshipped orders hold; legacy stock deducts at once.
    msi: bool,
}

impl Capturer {
    pub async fn of_store(
        db: &DatabaseConnection,
        store: &magento_store::Model,
    ) -> DomainResult<Self> {
        let settings = stores::settings_of(db, store.org_id, store.id).await?;
        let location_id = stores::sales_location(db, store.org_id, &settings).await?;
        let currency = organization::Entity::find_by_id(store.org_id)
            .one(db)
            .await?
            .ok_or(DomainError::NotFound {
                entity: "organisation",
            })?
            .base_currency;
        Ok(Self {
            org_id: store.org_id,
            store_id: store.id,
            store_views: stores::metadata_of(store).store_views,
            settings,
            location_id,
            currency,
            msi: store.stock_mode == StockMode::Msi,
        })
    }

    fn binder(&self) -> Binder {
        Binder::new(self.org_id, self.store_id)
    }

    /// Captures or refreshes the order Magento sent as `raw`. `Err` only when the
    /// database fails (or the order is not an order at all: no entity id).
    pub async fn capture(&self, db: &DatabaseConnection, raw: Value) -> DomainResult<Outcome> {
        let (header, order) = read(&raw)?;
        let txn = db.begin().await?;
        if let Some(log_id) = self
            .binder()
            .record(&txn, LinkKind::Order, header.entity_id)
            .await?
        {
            let outcome = self
                .refresh(&txn, log_id, &header, order.as_ref().ok(), raw)
                .await?;
            txn.commit().await?;
            return Ok(outcome);
        }
        let verdict = rules::verdict(&self.settings, &self.store_views, &header);
        if verdict != Verdict::Capture {
            txn.rollback().await?;
            return Ok(Outcome::Skipped(verdict));
        }
        let outcome = self.file(&txn, &header, order, raw).await?;
        if matches!(outcome, Outcome::Captured { .. }) {
            txn.commit().await?;
        } else {
            txn.rollback().await?;
        }
        Ok(outcome)
    }

    /// Of these order versions (entity id, `updated_at`), the ids capture would change
    /// nothing for: in the log, and cancelled or filed at this very version. One query
    /// for a page, so a poll's overlap and a repeated load re-read cheaply.
    pub async fn unchanged<C: ConnectionTrait>(
        &self,
        db: &C,
        versions: &[(i64, Option<DateTime<Utc>>)],
    ) -> DomainResult<HashSet<i64>> {
        if versions.is_empty() {
            return Ok(HashSet::new());
        }
        let ids: Vec<i64> = versions.iter().map(|(id, _)| *id).collect();
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT k.id, g.status, p.magento_updated_at FROM unnest($2::bigint[]) AS k(id) \
                 JOIN LATERAL (SELECT record_id FROM magento_links \
                   WHERE store_id = $1 AND kind = 'order' AND external_id = k.id) m ON true \
                 JOIN sales_log g ON g.id = m.record_id \
                 LEFT JOIN pending_orders p ON p.id = g.id",
                [self.store_id.into(), ids.into()],
            ))
            .await?;
        let wanted: HashMap<i64, Option<DateTime<Utc>>> = versions.iter().copied().collect();
        let mut unchanged = HashSet::new();
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let status: String = row.try_get("", "status")?;
            let filed: Option<DateTime<Utc>> = row.try_get("", "magento_updated_at")?;
            let closed = LogStatus::try_from_value(&status).is_ok_and(|s| !is_open(s));
            let same = filed.is_some() && wanted.get(&id).copied().flatten() == filed;
            if closed || same {
                unchanged.insert(id);
            }
        }
        Ok(unchanged)
    }

    /// The order is gone from Magento (a re-read answered 404): like a cancellation.
    pub async fn gone(
        &self,
        db: &DatabaseConnection,
        magento_order_id: i64,
    ) -> DomainResult<Outcome> {
        let txn = db.begin().await?;
        let Some(log_id) = self
            .binder()
            .record(&txn, LinkKind::Order, magento_order_id)
            .await?
        else {
            txn.rollback().await?;
            return Ok(Outcome::Unknown);
        };
        let entry = lock_entry(&txn, log_id).await?;
        let outcome = match entry {
            Some(entry) if is_open(entry.status) => self.cancel(&txn, entry).await?,
            _ => Outcome::AlreadyCaptured { log_id },
        };
        txn.commit().await?;
        Ok(outcome)
    }

    /// A new log entry, its link, its pending order and its allocation.
    async fn file(
        &self,
        txn: &DatabaseTransaction,
        header: &OrderHeader,
        order: Result<Order, String>,
        raw: Value,
    ) -> DomainResult<Outcome> {
        let log_id = Uuid::new_v4();
        let now = Utc::now();
        let original_id = match header.edited_from() {
            Some(parent) => self.binder().record(txn, LinkKind::Order, parent).await?,
            None => None,
        };
        let currency = header.order_currency_code.clone().unwrap_or_default();
        sales_log::ActiveModel {
            id: Set(log_id),
            org_id: Set(self.org_id),
            store_id: Set(self.store_id),
            magento_order_id: Set(header.entity_id),
            increment_id: Set(header.increment_id.clone()),
            status: Set(LogStatus::Pending),
            sale_id: Set(None),
            original_id: Set(original_id),
            relation_parent_id: Set(header.edited_from()),
            grand_total: Set(header.grand_total),
            currency: Set(currency.clone()),
            magento_created_at: Set(header.created_at),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(txn)
        .await?;
        if self
            .binder()
            .bind(txn, LinkKind::Order, header.entity_id, log_id)
            .await?
            .is_err()
        {
            // Another capture of the same order committed first.
            let winner = self
                .binder()
                .record(txn, LinkKind::Order, header.entity_id)
                .await?
                .unwrap_or(log_id);
            return Ok(Outcome::AlreadyCaptured { log_id: winner });
        }

        let mut hold_list: Vec<Hold> = Vec::new();
        let mut movements = Vec::new();
        let mut reserved = BTreeMap::new();
        match &order {
            Ok(order) => {
                hold_list.extend(holds(order, &self.currency));
                let lines = stock_lines(order);
                let skus: Vec<String> = lines.iter().map(|l| l.sku.clone()).collect();
                let products = products_with_skus(txn, self.org_id, &skus).await?;
                let mut unknown = Vec::new();
                for line in &lines {
                    let Some(product) = products.get(&line.sku.to_lowercase()) else {
                        unknown.push(line.sku.clone());
                        continue;
                    };
                    if product.kind == ProductKind::Stock && line.ordered > Decimal::ZERO {
                        movements.push(Movement {
                            product_id: product.id,
                            location_id: self.location_id,
                            kind: MovementKind::Allocation,
                            on_hand_delta: Decimal::ZERO,
                            allocated_delta: line.ordered,
                        });
                    }
                }
                if self.msi {
                    reserved = reserved_of(&lines, &products);
                }
                if !unknown.is_empty() {
                    hold_list.push(Hold::new(
                        HoldCode::UnknownSku,
                        format!(
                            "no product in Stockbridge has the SKU {}",
                            unknown.join(", ")
                        ),
                    ));
                }
            }
            Err(why) => hold_list.push(Hold::new(
                HoldCode::MalformedOrder,
                format!("the order does not read as a Magento order: {why}"),
            )),
        }
        let held = hold_list.first().map(|h| h.code);
        let reason = (!hold_list.is_empty()).then(|| {
            hold_list
                .iter()
                .map(|h| h.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        });
        pending_order::ActiveModel {
            id: Set(log_id),
            org_id: Set(self.org_id),
            store_id: Set(self.store_id),
            magento_order_id: Set(header.entity_id),
            increment_id: Set(header.increment_id.clone()),
            magento_store_id: Set(header.store_id),
            store_view_code: Set(self.view_code(header.store_id)),
            state: Set(state_of(header)),
            status: Set(header.status.clone()),
            magento_updated_at: Set(header.updated_at),
            grand_total: Set(header.grand_total),
            currency: Set(currency),
            location_id: Set(self.location_id),
            payload: Set(raw),
            processing_state: Set(if held.is_some() {
                ProcessingState::Held
            } else {
                ProcessingState::Ready
            }),
            reason_code: Set(held.map(|c| c.as_str().to_owned())),
            reason: Set(reason),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(txn)
        .await?;
        self.announce(
            txn,
            DomainEvent::OrderCaptured(entry_ref(
                log_id,
                header.entity_id,
                &header.increment_id,
                LogStatus::Pending,
                None,
            )),
        )
        .await?;
        // Stock last: the level rows it locks (a popular SKU's is every order's) are held
        // only until the commit that follows.
        let reserved_only: Vec<Uuid> = replace_reservations(txn, self, log_id, &reserved)
            .await?
            .into_iter()
            .filter(|p| !movements.iter().any(|m| m.product_id == *p))
            .collect();
        self.stock_changed(txn, reserved_only).await?;
        stock::apply(txn, self.org_id, &movements, &cause(log_id)).await?;
        Ok(Outcome::Captured { log_id, held })
    }

    /// Applies a newer version of an order already in the log.
    async fn refresh(
        &self,
        txn: &DatabaseTransaction,
        log_id: Uuid,
        header: &OrderHeader,
        order: Option<&Order>,
        raw: Value,
    ) -> DomainResult<Outcome> {
        let Some(entry) = lock_entry(txn, log_id).await? else {
            return Ok(Outcome::AlreadyCaptured { log_id });
        };
        if !is_open(entry.status) {
            return Ok(Outcome::AlreadyCaptured { log_id });
        }
        let pending = pending_order::Entity::find_by_id(log_id).one(txn).await?;
        if let Some(pending) = &pending
            && let (Some(filed), Some(this)) = (pending.magento_updated_at, header.updated_at)
            && this < filed
        {
            return Ok(Outcome::AlreadyCaptured { log_id });
        }
        if header.state == Some(magento::dto::OrderState::Canceled) {
            return self.cancel(txn, entry).await;
        }
        let mut changed = false;
        if let Some(pending) = pending {
            let state = state_of(header);
            changed = pending.state != state
                || pending.status != header.status
                || pending.magento_updated_at != header.updated_at;
            if changed {
                let mut active: pending_order::ActiveModel = pending.into();
                active.state = Set(state);
                active.status = Set(header.status.clone());
                active.magento_updated_at = Set(header.updated_at);
                active.grand_total = Set(header.grand_total);
                active.payload = Set(raw);
                active.updated_at = Set(Utc::now());
                active.update(txn).await?;
            }
        }
        // What Magento reserves changes only with a new version of the order.
        if let Some(order) = order.filter(|_| self.msi && changed) {
            let lines = stock_lines(order);
            let skus: Vec<String> = lines.iter().map(|l| l.sku.clone()).collect();
            let products = products_with_skus(txn, self.org_id, &skus).await?;
            let reserved = reserved_of(&lines, &products);
            let touched = replace_reservations(txn, self, log_id, &reserved).await?;
            changed |= !touched.is_empty();
            self.stock_changed(txn, touched).await?;
        }
        if changed {
            self.announce(
                txn,
                DomainEvent::OrderUpdated(entry_ref(
                    log_id,
                    entry.magento_order_id,
                    &entry.increment_id,
                    entry.status,
                    entry.sale_id,
                )),
            )
            .await?;
        }
        Ok(Outcome::AlreadyCaptured { log_id })
    }

    /// Drops the entry's pending order and frees its stock, or voids the sale it became.
    async fn cancel(
        &self,
        txn: &DatabaseTransaction,
        entry: sales_log::Model,
    ) -> DomainResult<Outcome> {
        let status = match entry.sale_id {
            Some(sale_id) => {
                crate::sales::void_sale_in(txn, self.org_id, sale_id).await?;
                LogStatus::Voided
            }
            None => {
                release_allocation(txn, self.org_id, entry.id).await?;
                LogStatus::Cancelled
            }
        };
        pending_order::Entity::delete_by_id(entry.id)
            .exec(txn)
            .await?;
        let touched = replace_reservations(txn, self, entry.id, &BTreeMap::new()).await?;
        self.stock_changed(txn, touched).await?;
        let mut active: sales_log::ActiveModel = entry.clone().into();
        active.status = Set(status);
        active.updated_at = Set(Utc::now());
        active.update(txn).await?;
        self.announce(
            txn,
            DomainEvent::OrderCancelled(entry_ref(
                entry.id,
                entry.magento_order_id,
                &entry.increment_id,
                status,
                entry.sale_id,
            )),
        )
        .await?;
        Ok(Outcome::Cancelled { log_id: entry.id })
    }

    /// `stock.changed` for products whose pushed quantity changed without a movement
    /// (what Magento reserves for them changed), so the push to this store follows.
    async fn stock_changed(
        &self,
        txn: &DatabaseTransaction,
        products: impl IntoIterator<Item = Uuid>,
    ) -> DomainResult<()> {
        let changes: Vec<StockChange> = products
            .into_iter()
            .map(|product_id| StockChange {
                product_id,
                location_id: self.location_id,
            })
            .collect();
        if changes.is_empty() {
            return Ok(());
        }
        events::append(
            txn,
            Scope::org(self.org_id),
            &DomainEvent::StockChanged(StockChanged { changes }),
        )
        .await?;
        Ok(())
    }

    async fn announce(&self, txn: &DatabaseTransaction, event: DomainEvent) -> DomainResult<()> {
        events::append(txn, Scope::store(self.org_id, self.store_id), &event).await?;
        Ok(())
    }

    fn view_code(&self, store_id: Option<i64>) -> Option<String> {
        let id = store_id?;
        self.store_views
            .iter()
            .find(|view| view.id == id)
            .map(|view| view.code.clone())
    }
}

/// The order's header and, separately, the whole order: a header that reads files the
/// order even when the rest does not (it is held with the reason).
fn read(raw: &Value) -> DomainResult<(OrderHeader, Result<Order, String>)> {
    let order: Result<Order, String> = Order::deserialize(raw).map_err(|e| e.to_string());
    let header = match OrderHeader::deserialize(raw) {
        Ok(header) => header,
        Err(err) => minimal_header(raw).ok_or_else(|| {
            DomainError::Magento(magento::MagentoError::Decode {
                entity: "order".into(),
                id: None,
                message: format!("no entity id: {err}"),
            })
        })?,
    };
    Ok((header, order))
}

/// An order's entity id, read leniently (a number or its text), when positive.
pub(crate) fn entity_id_of(raw: &Value) -> Option<i64> {
    match &raw["entity_id"] {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|id| *id > 0)
}

/// The ledger products of the lines with what Magento still reserves of each.
fn reserved_of(
    lines: &[StockLine],
    products: &HashMap<String, entities::product::Model>,
) -> BTreeMap<Uuid, Decimal> {
    let mut reserved = BTreeMap::new();
    for line in lines.iter().filter(|l| l.held_by_magento > Decimal::ZERO) {
        if let Some(product) = products.get(&line.sku.to_lowercase()) {
            *reserved.entry(product.id).or_insert(Decimal::ZERO) += line.held_by_magento;
        }
    }
    reserved
}

/// A header from the entity id alone, for an order whose other header fields are
/// broken: it is filed (and held) rather than lost.
fn minimal_header(raw: &Value) -> Option<OrderHeader> {
    let entity_id = entity_id_of(raw)?;
    Some(OrderHeader {
        entity_id,
        increment_id: raw["increment_id"].as_str().unwrap_or_default().to_owned(),
        store_id: raw["store_id"].as_i64(),
        state: None,
        status: raw["status"].as_str().unwrap_or_default().to_owned(),
        created_at: None,
        updated_at: None,
        grand_total: Decimal::ZERO,
        total_paid: Decimal::ZERO,
        total_invoiced: Decimal::ZERO,
        order_currency_code: None,
        base_currency_code: None,
        relation_parent_id: None,
    })
}

fn state_of(header: &OrderHeader) -> String {
    header
        .state
        .as_ref()
        .map(|s| s.code().to_owned())
        .unwrap_or_default()
}

/// Whether the entry still follows its Magento order (not cancelled or voided).
fn is_open(status: LogStatus) -> bool {
    !matches!(status, LogStatus::Cancelled | LogStatus::Voided)
}

pub(crate) fn cause(log_id: Uuid) -> Cause {
    Cause {
        reason: None,
        reference_type: Some(PENDING_ORDER_REFERENCE),
        reference_id: Some(log_id),
    }
}

pub(crate) fn entry_ref(
    log_id: Uuid,
    magento_order_id: i64,
    increment_id: &str,
    status: LogStatus,
    sale_id: Option<Uuid>,
) -> LogEntryRef {
    LogEntryRef {
        log_id,
        magento_order_id,
        increment_id: increment_id.to_owned(),
        status: status.to_value(),
        sale_id,
    }
}

/// The entry, locked: refreshes and cancellations of one order take turns.
pub(crate) async fn lock_entry<C: ConnectionTrait>(
    db: &C,
    log_id: Uuid,
) -> DomainResult<Option<sales_log::Model>> {
    Ok(sales_log::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT * FROM sales_log WHERE id = $1 FOR UPDATE",
            [log_id.into()],
        ))
        .one(db)
        .await?)
}

/// Frees what a pending order still holds.
pub(crate) async fn release_allocation<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    log_id: Uuid,
) -> DomainResult<()> {
    let release: Vec<Movement> = stock::net_effect(db, PENDING_ORDER_REFERENCE, log_id)
        .await?
        .into_iter()
        .filter(|(_, (_, allocated))| !allocated.is_zero())
        .map(|((product_id, location_id), (_, allocated))| Movement {
            product_id,
            location_id,
            kind: MovementKind::Deallocation,
            on_hand_delta: Decimal::ZERO,
            allocated_delta: -allocated,
        })
        .collect();
    stock::apply(db, org_id, &release, &cause(log_id)).await?;
    Ok(())
}

/// Sets what Magento reserves for the entry's order; the products whose reservation
/// changed (none when it is as it was).
async fn replace_reservations<C: ConnectionTrait>(
    db: &C,
    capturer: &Capturer,
    log_id: Uuid,
    reserved: &BTreeMap<Uuid, Decimal>,
) -> DomainResult<BTreeSet<Uuid>> {
    let before: BTreeMap<Uuid, Decimal> = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM magento_reservations WHERE log_id = $1 RETURNING product_id, quantity",
            [log_id.into()],
        ))
        .await?
        .into_iter()
        .map(|row| {
            Ok((
                row.try_get("", "product_id")?,
                row.try_get::<Decimal>("", "quantity")?.normalize(),
            ))
        })
        .collect::<DomainResult<_>>()?;
    if !reserved.is_empty() {
        let (products, quantities): (Vec<Uuid>, Vec<Decimal>) =
            reserved.iter().map(|(p, q)| (*p, *q)).unzip();
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO magento_reservations (log_id, product_id, store_id, org_id, quantity) \
             SELECT $1, p, $2, $3, q FROM unnest($4::uuid[], $5::numeric[]) AS r(p, q)",
            [
                log_id.into(),
                capturer.store_id.into(),
                capturer.org_id.into(),
                products.into(),
                quantities.into(),
            ],
        ))
        .await?;
    }
    Ok(before
        .keys()
        .chain(reserved.keys())
        .copied()
        .filter(|p| before.get(p).copied() != reserved.get(p).map(|q| q.normalize()))
        .collect())
}
