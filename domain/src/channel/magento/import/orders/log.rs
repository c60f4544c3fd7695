//! The log (one entry per captured Magento order, with the sale it became) and the
//! pending orders, as a store's screens list them; deleting an entry so the order can
//! be captured again (the spec's reload recipe: void the sale, delete the entry, "Load
//! Orders" from before the order).

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    Statement, TransactionTrait,
};
use uuid::Uuid;

use entities::enums::{LinkKind, LogStatus, ProcessingState};
use entities::{pending_order, sales_log};

use super::capture::{entry_ref, lock_entry, release_allocation};
use crate::Services;
use crate::channel::magento::Binder;
use crate::error::{DomainError, DomainResult};
use crate::events::{self, DomainEvent, Scope};
use crate::page::{Page, PageRequest};

#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub status: Option<LogStatus>,
    /// Exact increment id (`000000042`, `000000042-1`).
    pub increment_id: Option<String>,
    /// Captured at or after.
    pub from: Option<DateTime<Utc>>,
    /// Captured before.
    pub to: Option<DateTime<Utc>>,
}

/// The store's log, newest first.
pub async fn entries(
    db: &DatabaseConnection,
    org_id: Uuid,
    store_id: Uuid,
    filter: &LogFilter,
    page: PageRequest,
) -> DomainResult<Page<sales_log::Model>> {
    let mut query = sales_log::Entity::find()
        .filter(sales_log::Column::OrgId.eq(org_id))
        .filter(sales_log::Column::StoreId.eq(store_id));
    if let Some(status) = filter.status {
        query = query.filter(sales_log::Column::Status.eq(status));
    }
    if let Some(increment) = filter.increment_id.as_deref() {
        query = query.filter(sales_log::Column::IncrementId.eq(increment.trim()));
    }
    if let Some(from) = filter.from {
        query = query.filter(sales_log::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(sales_log::Column::CreatedAt.lt(to));
    }
    crate::page::fetch(db, query, page).await
}

/// One entry of the organisation's log.
pub async fn entry(
    db: &DatabaseConnection,
    org_id: Uuid,
    log_id: Uuid,
) -> DomainResult<sales_log::Model> {
    sales_log::Entity::find_by_id(log_id)
        .filter(sales_log::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound {
            entity: "log entry",
        })
}

/// The pending order of a log entry, while it has one.
pub async fn pending_order(
    db: &DatabaseConnection,
    org_id: Uuid,
    log_id: Uuid,
) -> DomainResult<pending_order::Model> {
    pending_order::Entity::find_by_id(log_id)
        .filter(pending_order::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound {
            entity: "pending order",
        })
}

#[derive(Debug, Clone, Default)]
pub struct PendingFilter {
    /// `None`: those not processed yet (ready and held).
    pub state: Option<ProcessingState>,
    pub increment_id: Option<String>,
}

/// The store's pending orders, newest first.
pub async fn pending_orders(
    db: &DatabaseConnection,
    org_id: Uuid,
    store_id: Uuid,
    filter: &PendingFilter,
    page: PageRequest,
) -> DomainResult<Page<pending_order::Model>> {
    let mut query = pending_order::Entity::find()
        .filter(pending_order::Column::OrgId.eq(org_id))
        .filter(pending_order::Column::StoreId.eq(store_id));
    query = match filter.state {
        Some(state) => query.filter(pending_order::Column::ProcessingState.eq(state)),
        None => query.filter(pending_order::Column::ProcessingState.ne(ProcessingState::Processed)),
    };
    if let Some(increment) = filter.increment_id.as_deref() {
        query = query.filter(pending_order::Column::IncrementId.eq(increment.trim()));
    }
    crate::page::fetch(db, query, page).await
}

/// Deletes a log entry and its link, so the order can be captured again. A pending order
/// it still has goes with it and frees its stock; a sale it became stays as it is.
pub async fn delete_entry(
    services: &Services,
    org_id: Uuid,
    log_id: Uuid,
) -> DomainResult<sales_log::Model> {
    let txn = services.db.begin().await?;
    let entry = lock_entry(&txn, log_id)
        .await?
        .filter(|e| e.org_id == org_id)
        .ok_or(DomainError::NotFound {
            entity: "log entry",
        })?;
    forget(&txn, &entry).await?;
    events::append(
        &txn,
        Scope::store(org_id, entry.store_id),
        &DomainEvent::LogEntryDeleted(entry_ref(
            entry.id,
            entry.magento_order_id,
            &entry.increment_id,
            entry.status,
            entry.sale_id,
        )),
    )
    .await?;
    txn.commit().await?;
    Ok(entry)
}

/// Removes an entry, its link, its pending order and what it holds.
async fn forget<C: ConnectionTrait>(db: &C, entry: &sales_log::Model) -> DomainResult<()> {
    release_allocation(db, entry.org_id, entry.id).await?;
    Binder::new(entry.org_id, entry.store_id)
        .unbind(db, LinkKind::Order, entry.magento_order_id)
        .await?;
    // Pending order and Magento's reservations cascade.
    sales_log::Entity::delete_by_id(entry.id).exec(db).await?;
    Ok(())
}

/// Frees what the store's pending orders hold, before the store (and its log) goes.
pub async fn release_store<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    store_id: Uuid,
) -> DomainResult<()> {
    let held = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id FROM pending_orders WHERE org_id = $1 AND store_id = $2 \
               AND processing_state <> 'processed'",
            [org_id.into(), store_id.into()],
        ))
        .await?;
    for row in held {
        release_allocation(db, org_id, row.try_get("", "id")?).await?;
    }
    Ok(())
}
