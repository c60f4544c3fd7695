//! Reading sales with everything that belongs to them.

use std::collections::HashMap;

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
    let rows = page.items.iter().map(|(_, sale)| sale.clone()).collect();
    let records = records(db, rows).await?;
    Ok(page.with_items(records))
}

pub(crate) async fn record<C: ConnectionTrait>(
    db: &C,
    sale: sale::Model,
) -> DomainResult<SaleRecord> {
    records(db, vec![sale])
        .await?
        .pop()
        .ok_or(DomainError::NotFound { entity: "sale" })
}

/// Sales with everything that belongs to them, in one query per table however many
/// sales there are (a page of 50 costs what one does).
pub(crate) async fn records<C: ConnectionTrait>(
    db: &C,
    sales: Vec<sale::Model>,
) -> DomainResult<Vec<SaleRecord>> {
    let ids: Vec<Uuid> = sales.iter().map(|s| s.id).collect();
    let mut lines = children::<sale_line::Entity, _>(
        db,
        sale_line::Column::SaleId,
        &ids,
        sale_line::Column::Position,
        |l| l.sale_id,
    )
    .await?;
    let mut charges = children::<sale_charge::Entity, _>(
        db,
        sale_charge::Column::SaleId,
        &ids,
        sale_charge::Column::Position,
        |c| c.sale_id,
    )
    .await?;
    let fulfilments = children::<sale_fulfilment::Entity, _>(
        db,
        sale_fulfilment::Column::SaleId,
        &ids,
        sale_fulfilment::Column::Number,
        |f| f.sale_id,
    )
    .await?;
    let fulfilment_ids: Vec<Uuid> = fulfilments.values().flatten().map(|f| f.id).collect();
    let mut fulfilment_lines = children::<sale_fulfilment_line::Entity, _>(
        db,
        sale_fulfilment_line::Column::FulfilmentId,
        &fulfilment_ids,
        sale_fulfilment_line::Column::FulfilmentId,
        |l| l.fulfilment_id,
    )
    .await?;
    let invoices = children::<sale_invoice::Entity, _>(
        db,
        sale_invoice::Column::SaleId,
        &ids,
        sale_invoice::Column::CreatedAt,
        |i| i.sale_id,
    )
    .await?;
    let invoice_ids: Vec<Uuid> = invoices.values().flatten().map(|i| i.id).collect();
    let mut invoice_lines = children::<sale_invoice_line::Entity, _>(
        db,
        sale_invoice_line::Column::InvoiceId,
        &invoice_ids,
        sale_invoice_line::Column::Position,
        |l| l.invoice_id,
    )
    .await?;
    let mut payments = children::<sale_payment::Entity, _>(
        db,
        sale_payment::Column::InvoiceId,
        &invoice_ids,
        sale_payment::Column::CreatedAt,
        |p| p.invoice_id,
    )
    .await?;
    let credit_notes = children::<sale_credit_note::Entity, _>(
        db,
        sale_credit_note::Column::SaleId,
        &ids,
        sale_credit_note::Column::CreatedAt,
        |c| c.sale_id,
    )
    .await?;
    let note_ids: Vec<Uuid> = credit_notes.values().flatten().map(|c| c.id).collect();
    let mut note_lines = children::<sale_credit_note_line::Entity, _>(
        db,
        sale_credit_note_line::Column::CreditNoteId,
        &note_ids,
        sale_credit_note_line::Column::Position,
        |l| l.credit_note_id,
    )
    .await?;
    let mut refunds = children::<sale_refund::Entity, _>(
        db,
        sale_refund::Column::CreditNoteId,
        &note_ids,
        sale_refund::Column::Id,
        |r| r.credit_note_id,
    )
    .await?;
    let mut restocks = children::<sale_restock::Entity, _>(
        db,
        sale_restock::Column::CreditNoteId,
        &note_ids,
        sale_restock::Column::Id,
        |r| r.credit_note_id,
    )
    .await?;
    let mut fulfilments = fulfilments;
    let mut invoices = invoices;
    let mut credit_notes = credit_notes;
    Ok(sales
        .into_iter()
        .map(|mut sale| {
            for amount in [
                &mut sale.subtotal,
                &mut sale.tax_total,
                &mut sale.charges_total,
                &mut sale.total,
            ] {
                *amount = amount.normalize();
            }
            let mut lines = lines.remove(&sale.id).unwrap_or_default();
            for line in &mut lines {
                line.quantity = line.quantity.normalize();
                line.price = line.price.normalize();
                line.discount = line.discount.normalize();
                line.tax_amount = line.tax_amount.normalize();
                line.total = line.total.normalize();
            }
            let mut charges = charges.remove(&sale.id).unwrap_or_default();
            for charge in &mut charges {
                charge.amount = charge.amount.normalize();
                charge.tax_amount = charge.tax_amount.normalize();
            }
            let fulfilments = fulfilments
                .remove(&sale.id)
                .unwrap_or_default()
                .into_iter()
                .map(|fulfilment| {
                    let mut lines = fulfilment_lines.remove(&fulfilment.id).unwrap_or_default();
                    for line in &mut lines {
                        line.quantity = line.quantity.normalize();
                    }
                    FulfilmentRecord { fulfilment, lines }
                })
                .collect();
            let invoices = invoices
                .remove(&sale.id)
                .unwrap_or_default()
                .into_iter()
                .map(|mut invoice| {
                    for amount in [
                        &mut invoice.subtotal,
                        &mut invoice.tax_total,
                        &mut invoice.total,
                        &mut invoice.paid,
                    ] {
                        *amount = amount.normalize();
                    }
                    InvoiceRecord {
                        lines: invoice_lines.remove(&invoice.id).unwrap_or_default(),
                        payments: payments.remove(&invoice.id).unwrap_or_default(),
                        invoice,
                    }
                })
                .collect();
            let credit_notes = credit_notes
                .remove(&sale.id)
                .unwrap_or_default()
                .into_iter()
                .map(|mut credit_note| {
                    credit_note.total = credit_note.total.normalize();
                    let mut lines = note_lines.remove(&credit_note.id).unwrap_or_default();
                    for line in &mut lines {
                        line.quantity = line.quantity.normalize();
                        line.total = line.total.normalize();
                    }
                    let mut restocks = restocks.remove(&credit_note.id).unwrap_or_default();
                    for restock in &mut restocks {
                        restock.quantity = restock.quantity.normalize();
                    }
                    CreditNoteRecord {
                        lines,
                        refunds: refunds.remove(&credit_note.id).unwrap_or_default(),
                        restocks,
                        credit_note,
                    }
                })
                .collect();
            SaleRecord {
                sale,
                lines,
                charges,
                fulfilments,
                invoices,
                credit_notes,
            }
        })
        .collect())
}

/// The rows of `E` whose `parent` is one of `ids`, grouped by parent, each group in
/// `order`.
async fn children<E, C>(
    db: &C,
    parent: E::Column,
    ids: &[Uuid],
    order: E::Column,
    parent_of: fn(&E::Model) -> Uuid,
) -> DomainResult<HashMap<Uuid, Vec<E::Model>>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut grouped: HashMap<Uuid, Vec<E::Model>> = HashMap::new();
    if ids.is_empty() {
        return Ok(grouped);
    }
    for row in E::find()
        .filter(parent.is_in(ids.to_vec()))
        .order_by_asc(order)
        .all(db)
        .await?
    {
        grouped.entry(parent_of(&row)).or_default().push(row);
    }
    Ok(grouped)
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
        let contact: crate::sales::Contact = stored(
            "contact",
            &serde_json::json!({"name": "Ann", "email": null}),
        );
        assert_eq!(contact.name.as_deref(), Some("Ann"));
    }
}
