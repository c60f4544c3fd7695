//! Reading sales with everything that belongs to them.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use entities::enums::OrderStatus;
use entities::{
    sale, sale_charge, sale_credit_note, sale_credit_note_line, sale_fulfilment,
    sale_fulfilment_line, sale_invoice, sale_invoice_line, sale_line, sale_payment, sale_refund,
    sale_restock,
};

use crate::error::{DomainError, DomainResult};
use crate::page::{Page, PageRequest};

#[derive(Debug, Clone, PartialEq)]
pub struct SaleRecord {
    pub sale: sale::Model,
    pub lines: Vec<sale_line::Model>,
    pub charges: Vec<sale_charge::Model>,
    pub fulfilments: Vec<FulfilmentRecord>,
    pub invoices: Vec<InvoiceRecord>,
    pub credit_notes: Vec<CreditNoteRecord>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreditNoteRecord {
    pub credit_note: sale_credit_note::Model,
    pub lines: Vec<sale_credit_note_line::Model>,
    pub refunds: Vec<sale_refund::Model>,
    pub restocks: Vec<sale_restock::Model>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FulfilmentRecord {
    pub fulfilment: sale_fulfilment::Model,
    pub lines: Vec<sale_fulfilment_line::Model>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceRecord {
    pub invoice: sale_invoice::Model,
    pub lines: Vec<sale_invoice_line::Model>,
    pub payments: Vec<sale_payment::Model>,
}

impl SaleRecord {
    /// Who to contact about the sale, as it was when the sale was made.
    pub fn contact(&self) -> super::Contact {
        stored("contact", &self.sale.contact)
    }

    pub fn billing_address(&self) -> super::Address {
        stored("billing address", &self.sale.billing_address)
    }

    pub fn shipping_address(&self) -> super::Address {
        stored("shipping address", &self.sale.shipping_address)
    }
}

impl FulfilmentRecord {
    /// The shipment's tracking numbers (none before it ships).
    pub fn tracking_numbers(&self) -> Vec<String> {
        stored("tracking numbers", &self.fulfilment.tracking_numbers)
    }
}

impl InvoiceRecord {
    /// What is still to be paid.
    pub fn outstanding(&self) -> rust_decimal::Decimal {
        outstanding(&self.invoice)
    }
}

pub(crate) fn outstanding(invoice: &sale_invoice::Model) -> rust_decimal::Decimal {
    invoice.total - invoice.paid
}

/// A value the sale keeps as JSON. Only the domain writes these columns, so one that
/// does not read back is a damaged row: it shows as empty and is logged, rather than
/// failing every read of the sale.
fn stored<T: serde::de::DeserializeOwned + Default>(what: &str, json: &serde_json::Value) -> T {
    if json.is_null() {
        return T::default();
    }
    serde_json::from_value(json.clone()).unwrap_or_else(|err| {
        tracing::warn!(%err, what, "a sale's stored value does not read back; shown empty");
        T::default()
    })
}

#[derive(Debug, Clone, Default)]
pub struct SaleFilter {
    pub customer_id: Option<Uuid>,
    pub order_status: Option<OrderStatus>,
    pub source_channel: Option<String>,
    pub external_id: Option<String>,
}

/// The sale row, locked until the caller's transaction ends.
pub(crate) async fn lock<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    id: Uuid,
) -> DomainResult<sale::Model> {
    sale::Entity::find_by_id(id)
        .filter(sale::Column::OrgId.eq(org_id))
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(DomainError::NotFound { entity: "sale" })
}

pub async fn sale<C: ConnectionTrait>(db: &C, org_id: Uuid, id: Uuid) -> DomainResult<SaleRecord> {
    let sale = sale::Entity::find_by_id(id)
        .filter(sale::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound { entity: "sale" })?;
    record(db, sale).await
}

pub async fn sales<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    filter: &SaleFilter,
    page: PageRequest,
) -> DomainResult<Page<SaleRecord>> {
    let mut query = sale::Entity::find().filter(sale::Column::OrgId.eq(org_id));
    if let Some(customer_id) = filter.customer_id {
        query = query.filter(sale::Column::CustomerId.eq(customer_id));
    }
    if let Some(status) = filter.order_status {
        query = query.filter(sale::Column::OrderStatus.eq(status));
    }
    if let Some(channel) = &filter.source_channel {
        query = query.filter(sale::Column::SourceChannel.eq(channel.clone()));
    }
    if let Some(external_id) = &filter.external_id {
        query = query.filter(sale::Column::ExternalId.eq(external_id.clone()));
    }
    let page = crate::page::fetch(db, query, page).await?;
    let mut records = Vec::with_capacity(page.items.len());
    for (_, sale) in &page.items {
        records.push(record(db, sale.clone()).await?);
    }
    Ok(page.with_items(records))
}

pub(crate) async fn record<C: ConnectionTrait>(
    db: &C,
    mut sale: sale::Model,
) -> DomainResult<SaleRecord> {
    for amount in [
        &mut sale.subtotal,
        &mut sale.tax_total,
        &mut sale.charges_total,
        &mut sale.total,
    ] {
        *amount = amount.normalize();
    }
    let mut lines = sale_line::Entity::find()
        .filter(sale_line::Column::SaleId.eq(sale.id))
        .order_by_asc(sale_line::Column::Position)
        .all(db)
        .await?;
    for line in &mut lines {
        line.quantity = line.quantity.normalize();
        line.price = line.price.normalize();
        line.discount = line.discount.normalize();
        line.tax_amount = line.tax_amount.normalize();
        line.total = line.total.normalize();
    }
    let mut charges = sale_charge::Entity::find()
        .filter(sale_charge::Column::SaleId.eq(sale.id))
        .order_by_asc(sale_charge::Column::Position)
        .all(db)
        .await?;
    for charge in &mut charges {
        charge.amount = charge.amount.normalize();
        charge.tax_amount = charge.tax_amount.normalize();
    }
    let mut fulfilments = Vec::new();
    for fulfilment in sale_fulfilment::Entity::find()
        .filter(sale_fulfilment::Column::SaleId.eq(sale.id))
        .order_by_asc(sale_fulfilment::Column::Number)
        .all(db)
        .await?
    {
        let mut lines = sale_fulfilment_line::Entity::find()
            .filter(sale_fulfilment_line::Column::FulfilmentId.eq(fulfilment.id))
            .all(db)
            .await?;
        for line in &mut lines {
            line.quantity = line.quantity.normalize();
        }
        fulfilments.push(FulfilmentRecord { fulfilment, lines });
    }
    let mut invoices = Vec::new();
    for mut invoice in sale_invoice::Entity::find()
        .filter(sale_invoice::Column::SaleId.eq(sale.id))
        .order_by_asc(sale_invoice::Column::CreatedAt)
        .all(db)
        .await?
    {
        for amount in [
            &mut invoice.subtotal,
            &mut invoice.tax_total,
            &mut invoice.total,
            &mut invoice.paid,
        ] {
            *amount = amount.normalize();
        }
        let lines = sale_invoice_line::Entity::find()
            .filter(sale_invoice_line::Column::InvoiceId.eq(invoice.id))
            .order_by_asc(sale_invoice_line::Column::Position)
            .all(db)
            .await?;
        let payments = sale_payment::Entity::find()
            .filter(sale_payment::Column::InvoiceId.eq(invoice.id))
            .order_by_asc(sale_payment::Column::CreatedAt)
            .all(db)
            .await?;
        invoices.push(InvoiceRecord {
            invoice,
            lines,
            payments,
        });
    }
    let mut credit_notes = Vec::new();
    for mut credit_note in sale_credit_note::Entity::find()
        .filter(sale_credit_note::Column::SaleId.eq(sale.id))
        .order_by_asc(sale_credit_note::Column::CreatedAt)
        .all(db)
        .await?
    {
        credit_note.total = credit_note.total.normalize();
        let mut lines = sale_credit_note_line::Entity::find()
            .filter(sale_credit_note_line::Column::CreditNoteId.eq(credit_note.id))
            .order_by_asc(sale_credit_note_line::Column::Position)
            .all(db)
            .await?;
        for line in &mut lines {
            line.quantity = line.quantity.normalize();
            line.total = line.total.normalize();
        }
        let refunds = sale_refund::Entity::find()
            .filter(sale_refund::Column::CreditNoteId.eq(credit_note.id))
            .all(db)
            .await?;
        let mut restocks = sale_restock::Entity::find()
            .filter(sale_restock::Column::CreditNoteId.eq(credit_note.id))
            .all(db)
            .await?;
        for restock in &mut restocks {
            restock.quantity = restock.quantity.normalize();
        }
        credit_notes.push(CreditNoteRecord {
            credit_note,
            lines,
            refunds,
            restocks,
        });
    }
    Ok(SaleRecord {
        sale,
        lines,
        charges,
        fulfilments,
        invoices,
        credit_notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_read_back_and_a_damaged_one_shows_empty() {
        let tracking: Vec<String> = stored("tracking numbers", &serde_json::json!(["1Z9"]));
        assert_eq!(tracking, ["1Z9"]);
        let damaged: Vec<String> = stored("tracking numbers", &serde_json::json!({"x": 1}));
        assert!(damaged.is_empty());
        let contact: crate::sales::Contact =
            stored("contact", &serde_json::json!({"name": "Ann", "email": null}));
        assert_eq!(contact.name.as_deref(), Some("Ann"));
    }
}
