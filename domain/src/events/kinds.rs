//! Every event the ledger and the channel append, as one type. The `events` table keeps
//! the tag as `kind` and the rest as `payload`, so what a subscription or a consumer
//! reads back is the same value the writer appended.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::jobs::JobProgress;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload")]
pub enum DomainEvent {
    /// A job's state, phase or counts changed.
    #[serde(rename = "job.progress")]
    JobProgress(JobProgress),
    /// Stock moved at these (product, location) pairs.
    #[serde(rename = "stock.changed")]
    StockChanged(StockChanged),
    #[serde(rename = "listing.listed")]
    ListingListed(ListingLinked),
    #[serde(rename = "listing.updated")]
    ListingUpdated(ListingLinked),
    #[serde(rename = "listing.unlinked")]
    ListingUnlinked(ListingUnlinked),
    /// Deleted in Magento, then unlinked.
    #[serde(rename = "listing.removed")]
    ListingRemoved(ListingUnlinked),
    #[serde(rename = "listing.settings_saved")]
    ListingSettingsSaved(ListingSettingsSaved),
    #[serde(rename = "store.connected")]
    StoreConnected(StoreNamed),
    #[serde(rename = "store.settings_changed")]
    StoreSettingsChanged {},
    #[serde(rename = "store.disconnected")]
    StoreDisconnected(StoreNamed),
    /// A draft sale was created.
    #[serde(rename = "sale.created")]
    SaleCreated(SaleRef),
    /// The order was authorised: its stock is allocated.
    #[serde(rename = "sale.authorised")]
    SaleAuthorised(SaleRef),
    #[serde(rename = "sale.voided")]
    SaleVoided(SaleRef),
    #[serde(rename = "sale.picked")]
    SalePicked(FulfilmentRef),
    #[serde(rename = "sale.packed")]
    SalePacked(FulfilmentRef),
    /// A shipment left, with its carrier and tracking numbers (what a shipment export
    /// sends to the channel).
    #[serde(rename = "sale.shipped")]
    SaleShipped(Shipped),
    #[serde(rename = "sale.invoice_authorised")]
    InvoiceAuthorised(InvoiceRef),
    /// Payments cover the invoice.
    #[serde(rename = "sale.invoice_paid")]
    InvoicePaid(InvoiceRef),
    /// A credit note was authorised and its restock, if any, taken into stock.
    #[serde(rename = "sale.credit_note_authorised")]
    CreditNoteAuthorised(CreditNoteRef),
    /// A Magento order entered the log as a pending order, its stock allocated.
    #[serde(rename = "log.captured")]
    OrderCaptured(LogEntryRef),
    /// A captured order changed in Magento (state, status, what it still reserves).
    #[serde(rename = "log.updated")]
    OrderUpdated(LogEntryRef),
    /// Cancelled or deleted in Magento: its pending order dropped and its stock freed.
    #[serde(rename = "log.cancelled")]
    OrderCancelled(LogEntryRef),
    /// An operator deleted the entry, so the order can be captured again.
    #[serde(rename = "log.deleted")]
    LogEntryDeleted(LogEntryRef),
}

impl DomainEvent {
    /// The `kind` column's value.
    pub fn kind(&self) -> &'static str {
        match self {
            DomainEvent::JobProgress(_) => JOB_PROGRESS,
            DomainEvent::StockChanged(_) => STOCK_CHANGED,
            DomainEvent::ListingListed(_) => "listing.listed",
            DomainEvent::ListingUpdated(_) => "listing.updated",
            DomainEvent::ListingUnlinked(_) => "listing.unlinked",
            DomainEvent::ListingRemoved(_) => "listing.removed",
            DomainEvent::ListingSettingsSaved(_) => "listing.settings_saved",
            DomainEvent::StoreConnected(_) => "store.connected",
            DomainEvent::StoreSettingsChanged {} => "store.settings_changed",
            DomainEvent::StoreDisconnected(_) => "store.disconnected",
            DomainEvent::SaleCreated(_) => "sale.created",
            DomainEvent::SaleAuthorised(_) => "sale.authorised",
            DomainEvent::SaleVoided(_) => "sale.voided",
            DomainEvent::SalePicked(_) => "sale.picked",
            DomainEvent::SalePacked(_) => "sale.packed",
            DomainEvent::SaleShipped(_) => SALE_SHIPPED,
            DomainEvent::InvoiceAuthorised(_) => "sale.invoice_authorised",
            DomainEvent::InvoicePaid(_) => "sale.invoice_paid",
            DomainEvent::CreditNoteAuthorised(_) => CREDIT_NOTE_AUTHORISED,
            DomainEvent::OrderCaptured(_) => LOG_CAPTURED,
            DomainEvent::OrderUpdated(_) => LOG_UPDATED,
            DomainEvent::OrderCancelled(_) => LOG_CANCELLED,
            DomainEvent::LogEntryDeleted(_) => LOG_DELETED,
        }
    }

    /// The `payload` column's value.
    pub fn payload(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut tagged)) => {
                tagged.remove("payload").unwrap_or(serde_json::Value::Null)
            }
            _ => serde_json::Value::Null,
        }
    }

    /// An event as a row holds it.
    pub fn from_row(kind: &str, payload: serde_json::Value) -> Result<Self, serde_json::Error> {
        serde_json::from_value(serde_json::json!({ "kind": kind, "payload": payload }))
    }
}

pub const JOB_PROGRESS: &str = "job.progress";
pub const STOCK_CHANGED: &str = "stock.changed";
pub const SALE_SHIPPED: &str = "sale.shipped";
pub const CREDIT_NOTE_AUTHORISED: &str = "sale.credit_note_authorised";
pub const LOG_CAPTURED: &str = "log.captured";
pub const LOG_UPDATED: &str = "log.updated";
pub const LOG_CANCELLED: &str = "log.cancelled";
pub const LOG_DELETED: &str = "log.deleted";
/// Every kind a store's `logEvents` stream carries.
pub const LOG_KINDS: &[&str] = &[LOG_CAPTURED, LOG_UPDATED, LOG_CANCELLED, LOG_DELETED];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockChanged {
    pub changes: Vec<StockChange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockChange {
    pub product_id: Uuid,
    pub location_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListingLinked {
    pub product_id: Uuid,
    pub magento_product_id: i64,
    pub magento_parent_id: Option<i64>,
    pub sku: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListingUnlinked {
    pub product_id: Uuid,
    pub magento_product_id: Option<i64>,
    pub sku: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListingSettingsSaved {
    pub product_id: Uuid,
    pub stock_sync: bool,
    pub product_buffer_enabled: bool,
    pub product_buffer: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreNamed {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaleRef {
    pub sale_id: Uuid,
    pub number: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FulfilmentRef {
    pub sale_id: Uuid,
    pub fulfilment_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shipped {
    pub sale_id: Uuid,
    pub fulfilment_id: Uuid,
    pub carrier_id: Option<Uuid>,
    pub carrier_name: Option<String>,
    pub tracking_numbers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceRef {
    pub sale_id: Uuid,
    pub invoice_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditNoteRef {
    pub sale_id: Uuid,
    pub credit_note_id: Uuid,
}

/// A log entry as its events name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntryRef {
    pub log_id: Uuid,
    pub magento_order_id: i64,
    pub increment_id: String,
    /// The log status after the change (`pending`, `cancelled`, …).
    pub status: String,
    pub sale_id: Option<Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_reads_back_from_its_kind_and_payload() {
        let events = [
            DomainEvent::StockChanged(StockChanged {
                changes: vec![StockChange {
                    product_id: Uuid::new_v4(),
                    location_id: Uuid::new_v4(),
                }],
            }),
            DomainEvent::StoreSettingsChanged {},
            DomainEvent::SaleShipped(Shipped {
                sale_id: Uuid::new_v4(),
                fulfilment_id: Uuid::new_v4(),
                carrier_id: None,
                carrier_name: Some("UPS".into()),
                tracking_numbers: vec!["1Z999".into()],
            }),
        ];
        for event in events {
            let back = DomainEvent::from_row(event.kind(), event.payload()).expect("decodes");
            assert_eq!(back, event);
        }
    }

    #[test]
    fn the_payload_keeps_the_wire_names_subscribers_read() {
        let event = DomainEvent::StockChanged(StockChanged {
            changes: vec![StockChange {
                product_id: Uuid::nil(),
                location_id: Uuid::nil(),
            }],
        });
        assert_eq!(event.kind(), "stock.changed");
        assert_eq!(
            event.payload(),
            serde_json::json!({"changes": [{"productId": Uuid::nil(), "locationId": Uuid::nil()}]})
        );
    }
}
