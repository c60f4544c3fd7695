//! Orders in: a store's log and pending orders, "Load Orders", deleting a log entry,
//! rotating the webhook secret, and the log's live stream.

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use domain::auth::Role;
use domain::channel::magento::import::orders::{self, HoldCode, log};
use domain::channel::magento::stores::webhook;
use domain::entities::{enums, pending_order, sales_log};
use domain::events::stream::StreamEvent;
use domain::events::{DomainEvent, LogEntryRef};
use domain::sales;

use super::errors::{UserError, optional, payload, query};
use super::ids;
use super::mutation::JobPayload;
use super::query::{Paged, connection, page};
use super::sales::Sale;
use super::{require, state};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::LogStatus")]
pub enum LogStatus {
    /// Captured: its pending order holds the stock.
    Pending,
    /// A sale was created from it.
    Processed,
    /// Its sale waits for the shipment (the spec's "Pending fulfillment").
    PendingFulfilment,
    /// Cancelled (or deleted) in Magento before it became a sale; its stock is free.
    Cancelled,
    /// Cancelled in Magento after it became a sale, which was voided.
    Voided,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::ProcessingState")]
pub enum ProcessingState {
    /// Nothing stands in the way of processing it into a sale.
    Ready,
    /// Kept with a reason (`reasonCode`, `reason`): what must change first.
    Held,
    Processed,
}

/// Why a pending order is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "HoldCode")]
pub enum PendingOrderReason {
    /// The order's JSON does not read as a Magento order.
    MalformedOrder,
    NoLines,
    /// A line of a product type Stockbridge does not know.
    UnsupportedType,
    /// A SKU with no product in Stockbridge.
    UnknownSku,
    AddressMissing,
    /// The store's base currency is not the organisation's.
    CurrencyNotUsed,
}

pub struct LogEntry(pub sales_log::Model);

#[Object]
impl LogEntry {
    async fn id(&self) -> ID {
        ids::encode("LogEntry", self.0.id)
    }
    /// Magento's order entity id.
    async fn magento_order_id(&self) -> i64 {
        self.0.magento_order_id
    }
    /// The customer-facing order number (`000000042`, `000000042-1` after an edit).
    async fn increment_id(&self) -> &str {
        &self.0.increment_id
    }
    async fn status(&self) -> LogStatus {
        self.0.status.into()
    }
    async fn grand_total(&self) -> Decimal {
        self.0.grand_total
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    async fn captured_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn magento_created_at(&self) -> Option<DateTime<Utc>> {
        self.0.magento_created_at
    }
    /// The sale the order became, once processed.
    async fn sale(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Sale>> {
        let Some(sale_id) = self.0.sale_id else {
            return Ok(None);
        };
        let s = state(ctx);
        Ok(optional(sales::sale(&s.services.db, self.0.org_id, sale_id).await)?.map(Sale))
    }
    /// For an edited order (`…-1`): the entry of the order it replaced.
    async fn original(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<LogEntry>> {
        let Some(original_id) = self.0.original_id else {
            return Ok(None);
        };
        let s = state(ctx);
        Ok(optional(log::entry(&s.services.db, self.0.org_id, original_id).await)?.map(LogEntry))
    }
    /// The pending order, while the entry has one.
    async fn pending_order(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<PendingOrder>> {
        let s = state(ctx);
        Ok(
            optional(log::pending_order(&s.services.db, self.0.org_id, self.0.id).await)?
                .map(PendingOrder),
        )
    }
}

pub struct PendingOrder(pub pending_order::Model);

#[Object]
impl PendingOrder {
    async fn id(&self) -> ID {
        ids::encode("PendingOrder", self.0.id)
    }
    async fn magento_order_id(&self) -> i64 {
        self.0.magento_order_id
    }
    async fn increment_id(&self) -> &str {
        &self.0.increment_id
    }
    /// Magento's store view id and code.
    async fn magento_store_id(&self) -> Option<i64> {
        self.0.magento_store_id
    }
    async fn store_view_code(&self) -> Option<&str> {
        self.0.store_view_code.as_deref()
    }
    /// Magento's state (`new`, `processing`, …) and status label, as last read.
    async fn state(&self) -> &str {
        &self.0.state
    }
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn magento_updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.magento_updated_at
    }
    async fn grand_total(&self) -> Decimal {
        self.0.grand_total
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    async fn captured_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn processing_state(&self) -> ProcessingState {
        self.0.processing_state.into()
    }
    async fn reason_code(&self) -> Option<PendingOrderReason> {
        self.0
            .reason_code
            .as_deref()
            .and_then(HoldCode::parse)
            .map(Into::into)
    }
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    /// Where its stock is allocated.
    async fn location_id(&self) -> ID {
        ids::encode("Location", self.0.location_id)
    }
    /// The order as Magento sent it.
    async fn payload(&self) -> Json<&serde_json::Value> {
        Json(&self.0.payload)
    }
}

#[derive(InputObject, Default)]
pub struct LogFilter {
    pub status: Option<LogStatus>,
    pub increment_id: Option<String>,
    /// Captured at or after.
    pub from: Option<DateTime<Utc>>,
    /// Captured before.
    pub to: Option<DateTime<Utc>>,
}

#[derive(InputObject, Default)]
pub struct PendingOrderFilter {
    /// Without it: the orders not processed yet (ready and held).
    pub processing_state: Option<ProcessingState>,
    pub increment_id: Option<String>,
}

/// A store's log and pending orders (fields of `Store`).
pub(crate) async fn store_log(
    ctx: &Context<'_>,
    org_id: uuid::Uuid,
    store_id: uuid::Uuid,
    filter: Option<LogFilter>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Paged<LogEntry>> {
    let s = state(ctx);
    let filter = filter.unwrap_or_default();
    let filter = log::LogFilter {
        status: filter.status.map(Into::into),
        increment_id: filter.increment_id,
        from: filter.from,
        to: filter.to,
    };
    let request = page(ctx, first, after)?;
    let result = query(log::entries(&s.services.db, org_id, store_id, &filter, request).await)?;
    Ok(connection(request, result, LogEntry))
}

pub(crate) async fn store_pending_orders(
    ctx: &Context<'_>,
    org_id: uuid::Uuid,
    store_id: uuid::Uuid,
    filter: Option<PendingOrderFilter>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Paged<PendingOrder>> {
    let s = state(ctx);
    let filter = filter.unwrap_or_default();
    let filter = log::PendingFilter {
        state: filter.processing_state.map(Into::into),
        increment_id: filter.increment_id,
    };
    let request = page(ctx, first, after)?;
    let result =
        query(log::pending_orders(&s.services.db, org_id, store_id, &filter, request).await)?;
    Ok(connection(request, result, PendingOrder))
}

/// Where Magento posts a store's notifications.
pub(crate) fn webhook_url(ctx: &Context<'_>, store_id: uuid::Uuid) -> String {
    format!("{}/webhooks/magento/{store_id}", state(ctx).public_url)
}

#[derive(SimpleObject)]
pub struct LogEntryDeletePayload {
    pub deleted_log_entry_id: Option<ID>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct StoreRotateWebhookSecretPayload {
    /// The new secret, shown this once: enter it in the Magento module's configuration.
    /// The previous one stays valid for 24 hours.
    pub webhook_secret: Option<String>,
    pub webhook_url: Option<String>,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct OrderMutation;

#[Object]
impl OrderMutation {
    /// "Load Orders": starts an `ORDERS_LOAD` job capturing every order of the store
    /// updated since `since` (at most one year back), with one item per order saying
    /// what capture made of it.
    async fn orders_load(
        &self,
        ctx: &Context<'_>,
        store_id: ID,
        since: DateTime<Utc>,
    ) -> async_graphql::Result<JobPayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let store_id = ids::decode("Store", &store_id)?;
        let result = orders::load::start_load(&s.services, &principal, store_id, since).await;
        payload(result, &["storeId"], super::job::Job, |job, user_errors| {
            JobPayload { job, user_errors }
        })
    }

    /// Deletes a log entry so its order can be captured again (with `ordersLoad`). A
    /// pending order it has goes with it and frees its stock; its sale is left alone.
    async fn log_entry_delete(
        &self,
        ctx: &Context<'_>,
        log_entry_id: ID,
    ) -> async_graphql::Result<LogEntryDeletePayload> {
        let principal = require(ctx, Role::Operator)?;
        let s = state(ctx);
        let id = ids::decode("LogEntry", &log_entry_id)?;
        let result = log::delete_entry(&s.services, principal.org_id, id).await;
        payload(
            result,
            &["logEntryId"],
            |entry| ids::encode("LogEntry", entry.id),
            |deleted_log_entry_id, user_errors| LogEntryDeletePayload {
                deleted_log_entry_id,
                user_errors,
            },
        )
    }

    /// A new secret for the store's notifications, returned once; the one before stays
    /// valid for 24 hours so Magento can be switched over without losing any.
    async fn store_rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        store_id: ID,
    ) -> async_graphql::Result<StoreRotateWebhookSecretPayload> {
        let principal = require(ctx, Role::Admin)?;
        let s = state(ctx);
        let id = ids::decode("Store", &store_id)?;
        let result = webhook::rotate(&s.services, principal.org_id, id).await;
        let url = webhook_url(ctx, id);
        payload(
            result,
            &["storeId"],
            |secret| secret,
            |webhook_secret, user_errors| StoreRotateWebhookSecretPayload {
                webhook_url: webhook_secret.as_ref().map(|_| url),
                webhook_secret,
                user_errors,
            },
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum LogEventKind {
    /// An order entered the log as a pending order.
    Captured,
    /// A captured order changed in Magento.
    Updated,
    /// Cancelled or deleted in Magento.
    Cancelled,
    /// An operator deleted the entry.
    Deleted,
}

/// One event of a store's log.
#[derive(SimpleObject)]
pub struct LogEvent {
    /// Resume with `logEvents(storeId, after: cursor)` to continue after this event.
    pub cursor: String,
    pub kind: LogEventKind,
    pub log_entry_id: ID,
    pub magento_order_id: i64,
    pub increment_id: String,
    pub status: LogStatus,
    pub sale_id: Option<ID>,
    pub at: DateTime<Utc>,
}

impl LogEvent {
    pub(crate) fn from_stream(event: StreamEvent) -> Option<Self> {
        let (kind, entry): (LogEventKind, LogEntryRef) = match event.event {
            DomainEvent::OrderCaptured(e) => (LogEventKind::Captured, e),
            DomainEvent::OrderUpdated(e) => (LogEventKind::Updated, e),
            DomainEvent::OrderCancelled(e) => (LogEventKind::Cancelled, e),
            DomainEvent::LogEntryDeleted(e) => (LogEventKind::Deleted, e),
            _ => return None,
        };
        let status = <enums::LogStatus as sea_orm::ActiveEnum>::try_from_value(&entry.status)
            .ok()?
            .into();
        Some(Self {
            cursor: event.cursor.encode(),
            kind,
            log_entry_id: ids::encode("LogEntry", entry.log_id),
            magento_order_id: entry.magento_order_id,
            increment_id: entry.increment_id,
            status,
            sale_id: entry.sale_id.map(|id| ids::encode("Sale", id)),
            at: event.at,
        })
    }
}
