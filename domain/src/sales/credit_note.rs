//! Credit notes: they need an authorised or paid invoice, credit at most what was
//! invoiced and not yet credited, refund at most their total, and restock at most what
//! was shipped and not yet restocked, at a location the merchant chooses. Authorising
//! one applies its restock (on hand up) and records its refunds in one transaction.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, Set, TransactionTrait,
};
use uuid::Uuid;

use entities::enums::{CreditNoteStatus, MovementKind, SaleInvoiceStatus, StageStatus};
use entities::{
    account, location, sale, sale_credit_note, sale_credit_note_line, sale_fulfilment,
    sale_fulfilment_line, sale_invoice, sale_line, sale_refund, sale_restock,
};

use super::money::{cents, line_total};
use super::numbers;
use super::order::stocked_products;
use super::read::{SaleRecord, lock, record};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::events::{CreditNoteRef, DomainEvent};
use crate::stock::{self, Cause, Movement};

/// `stock_movements.reference_type` of restocks.
pub const CREDIT_NOTE_REFERENCE: &str = "credit_note";

#[derive(Debug, Clone, Default)]
pub struct CreditNoteDraft {
    pub lines: Vec<CreditLine>,
    /// Amounts credited beyond product lines: shipping, adjustments (negative for a fee
    /// kept back).
    pub adjustments: Vec<(String, Decimal)>,
    pub restock: Vec<RestockLine>,
    pub refunds: Vec<Refund>,
    /// The channel's id of the refund (e.g. Magento's credit memo id).
    pub external_id: Option<String>,
    pub credit_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditLine {
    pub sale_line_id: Uuid,
    pub quantity: Decimal,
    /// Defaults to the sale line's price after discount.
    pub price: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestockLine {
    pub sale_line_id: Uuid,
    pub quantity: Decimal,
    pub location_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub account_id: Uuid,
    pub amount: Decimal,
    pub refunded_on: NaiveDate,
    pub reference: Option<String>,
}

/// What the sale's lines allow: invoiced less credited, shipped less restocked.
struct Allowance {
    lines: BTreeMap<Uuid, sale_line::Model>,
    creditable: BTreeMap<Uuid, Decimal>,
    restockable: BTreeMap<Uuid, Decimal>,
}

async fn allowance<C: ConnectionTrait>(db: &C, sale: &sale::Model) -> DomainResult<Allowance> {
    let lines: BTreeMap<Uuid, sale_line::Model> = sale_line::Entity::find()
        .filter(sale_line::Column::SaleId.eq(sale.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let notes: Vec<Uuid> = sale_credit_note::Entity::find()
        .filter(sale_credit_note::Column::SaleId.eq(sale.id))
        .filter(sale_credit_note::Column::Status.ne(CreditNoteStatus::Voided))
        .all(db)
        .await?
        .into_iter()
        .map(|n| n.id)
        .collect();
    let mut creditable: BTreeMap<Uuid, Decimal> =
        lines.values().map(|l| (l.id, l.quantity)).collect();
    for credited in sale_credit_note_line::Entity::find()
        .filter(sale_credit_note_line::Column::CreditNoteId.is_in(notes.clone()))
        .all(db)
        .await?
    {
        if let Some(line) = credited.sale_line_id.and_then(|id| creditable.get_mut(&id)) {
            *line -= credited.quantity;
        }
    }
    let shipped_fulfilments: Vec<Uuid> = sale_fulfilment::Entity::find()
        .filter(sale_fulfilment::Column::SaleId.eq(sale.id))
        .filter(sale_fulfilment::Column::ShipStatus.eq(StageStatus::Authorised))
        .all(db)
        .await?
        .into_iter()
        .map(|f| f.id)
        .collect();
    let mut restockable: BTreeMap<Uuid, Decimal> = BTreeMap::new();
    for shipped in sale_fulfilment_line::Entity::find()
        .filter(sale_fulfilment_line::Column::FulfilmentId.is_in(shipped_fulfilments))
        .all(db)
        .await?
    {
        *restockable.entry(shipped.sale_line_id).or_default() += shipped.quantity;
    }
    let authorised_notes: Vec<Uuid> = sale_credit_note::Entity::find()
        .filter(sale_credit_note::Column::SaleId.eq(sale.id))
        .filter(sale_credit_note::Column::Status.eq(CreditNoteStatus::Authorised))
        .all(db)
        .await?
        .into_iter()
        .map(|n| n.id)
        .collect();
    for restocked in sale_restock::Entity::find()
        .filter(sale_restock::Column::CreditNoteId.is_in(authorised_notes))
        .all(db)
        .await?
    {
        *restockable.entry(restocked.sale_line_id).or_default() -= restocked.quantity;
    }
    Ok(Allowance {
        lines,
        creditable,
        restockable,
    })
}

/// Drafts a credit note against the sale's authorised or paid invoice.
pub async fn create_credit_note(
    db: &DatabaseConnection,
    org_id: Uuid,
    sale_id: Uuid,
    draft: CreditNoteDraft,
) -> DomainResult<SaleRecord> {
    let txn = db.begin().await?;
    let sale = lock(&txn, org_id, sale_id).await?;
    create_credit_note_in(&txn, org_id, &sale, draft).await?;
    let record = record(&txn, sale).await?;
    txn.commit().await?;
    Ok(record)
}

pub(crate) async fn create_credit_note_in<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    sale: &sale::Model,
    draft: CreditNoteDraft,
) -> DomainResult<sale_credit_note::Model> {
    let invoice = sale_invoice::Entity::find()
        .filter(sale_invoice::Column::SaleId.eq(sale.id))
        .filter(
            sale_invoice::Column::Status
                .is_in([SaleInvoiceStatus::Authorised, SaleInvoiceStatus::Paid]),
        )
        .one(db)
        .await?
        .ok_or_else(|| {
            DomainError::invalid(
                &["saleId"],
                ErrorCode::InvalidCombination,
                format!(
                    "sale {} has no authorised or paid invoice to credit",
                    sale.number
                ),
            )
        })?;
    let allowance = allowance(db, sale).await?;
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut total = Decimal::ZERO;
    let note_id = Uuid::new_v4();
    for (index, credit) in draft.lines.iter().enumerate() {
        let index = index.to_string();
        let path = ["lines", index.as_str(), "quantity"];
        let Some(line) = allowance.lines.get(&credit.sale_line_id) else {
            errors.push(FieldError::new(
                &["lines", index.as_str(), "saleLineId"],
                ErrorCode::NotFound,
                "not a line of this sale",
            ));
            continue;
        };
        let left = allowance
            .creditable
            .get(&line.id)
            .copied()
            .unwrap_or_default();
        if credit.quantity <= Decimal::ZERO || credit.quantity > left {
            errors.push(FieldError::new(
                &path,
                ErrorCode::OutOfRange,
                format!(
                    "{} can be credited for more than 0 and at most {} more",
                    line.sku,
                    left.normalize()
                ),
            ));
            continue;
        }
        let unit = credit.price.unwrap_or_else(|| {
            cents(line.price * (Decimal::ONE_HUNDRED - line.discount) / Decimal::ONE_HUNDRED)
        });
        let line_total = line_total(credit.quantity, unit, Decimal::ZERO);
        // Tax goes back in the share credited.
        let tax = cents(line.tax_amount * credit.quantity / line.quantity);
        total += if sale.tax_inclusive {
            line_total
        } else {
            line_total + tax
        };
        rows.push(sale_credit_note_line::ActiveModel {
            credit_note_id: Set(note_id),
            position: Set(rows.len() as i32 + 1),
            sale_line_id: Set(Some(line.id)),
            description: Set(format!("{} {}", line.sku, line.name)),
            quantity: Set(credit.quantity),
            price: Set(unit),
            tax_amount: Set(tax),
            total: Set(line_total),
        });
    }
    for (index, (description, amount)) in draft.adjustments.iter().enumerate() {
        if description.trim().is_empty() {
            let index = index.to_string();
            errors.push(FieldError::new(
                &["adjustments", index.as_str(), "description"],
                ErrorCode::Invalid,
                "say what the amount is for",
            ));
            continue;
        }
        total += cents(*amount);
        rows.push(sale_credit_note_line::ActiveModel {
            credit_note_id: Set(note_id),
            position: Set(rows.len() as i32 + 1),
            sale_line_id: Set(None),
            description: Set(description.trim().to_owned()),
            quantity: Set(Decimal::ONE),
            price: Set(cents(*amount)),
            tax_amount: Set(Decimal::ZERO),
            total: Set(cents(*amount)),
        });
    }
    if total > invoice.total {
        errors.push(FieldError::new(
            &[],
            ErrorCode::OutOfRange,
            format!(
                "a credit note cannot exceed the invoice's {}",
                invoice.total.normalize()
            ),
        ));
    }
    if total < Decimal::ZERO {
        errors.push(FieldError::new(
            &["adjustments"],
            ErrorCode::OutOfRange,
            "a credit note cannot be negative",
        ));
    }
    check_restock(db, org_id, &draft.restock, &allowance, &mut errors).await?;
    check_refunds(db, org_id, &draft.refunds, total, &mut errors).await?;
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors));
    }
    let note = sale_credit_note::ActiveModel {
        id: Set(note_id),
        sale_id: Set(sale.id),
        invoice_id: Set(invoice.id),
        number: Set(numbers::next(db, org_id, "CR").await?),
        status: Set(CreditNoteStatus::Draft),
        credit_date: Set(draft.credit_date.unwrap_or_else(|| Utc::now().date_naive())),
        total: Set(total),
        external_id: Set(draft.external_id.clone()),
        authorised_at: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    if !rows.is_empty() {
        sale_credit_note_line::Entity::insert_many(rows)
            .exec(db)
            .await?;
    }
    for restock in &draft.restock {
        let product_id = allowance
            .lines
            .get(&restock.sale_line_id)
            .map(|l| l.product_id);
        if let Some(product_id) = product_id {
            sale_restock::ActiveModel {
                id: Set(Uuid::new_v4()),
                credit_note_id: Set(note.id),
                sale_line_id: Set(restock.sale_line_id),
                product_id: Set(product_id),
                location_id: Set(restock.location_id),
                quantity: Set(restock.quantity),
                created_at: Set(Utc::now()),
            }
            .insert(db)
            .await?;
        }
    }
    for refund in &draft.refunds {
        sale_refund::ActiveModel {
            id: Set(Uuid::new_v4()),
            credit_note_id: Set(note.id),
            account_id: Set(refund.account_id),
            amount: Set(refund.amount),
            refunded_on: Set(refund.refunded_on),
            reference: Set(refund.reference.clone()),
            created_at: Set(Utc::now()),
        }
        .insert(db)
        .await?;
    }
    Ok(note)
}

async fn check_restock<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    restock: &[RestockLine],
    allowance: &Allowance,
    errors: &mut Vec<FieldError>,
) -> DomainResult<()> {
    let mut asked: BTreeMap<Uuid, Decimal> = BTreeMap::new();
    let lines: Vec<sale_line::Model> = allowance.lines.values().cloned().collect();
    let stocked = stocked_products(db, &lines).await?;
    for (index, line) in restock.iter().enumerate() {
        let index = index.to_string();
        let path = |field: &'static str| ["restock", index.as_str(), field];
        let Some(sale_line) = allowance.lines.get(&line.sale_line_id) else {
            errors.push(FieldError::new(
                &path("saleLineId"),
                ErrorCode::NotFound,
                "not a line of this sale",
            ));
            continue;
        };
        if !stocked.contains(&sale_line.product_id) {
            errors.push(FieldError::new(
                &path("saleLineId"),
                ErrorCode::Invalid,
                format!("{} is not a stock product", sale_line.sku),
            ));
            continue;
        }
        if location::Entity::find_by_id(line.location_id)
            .filter(location::Column::OrgId.eq(org_id))
            .one(db)
            .await?
            .is_none()
        {
            errors.push(FieldError::new(
                &path("locationId"),
                ErrorCode::NotFound,
                "no such location",
            ));
            continue;
        }
        let total_asked = asked.entry(line.sale_line_id).or_default();
        *total_asked += line.quantity;
        let shipped = allowance
            .restockable
            .get(&line.sale_line_id)
            .copied()
            .unwrap_or_default();
        if line.quantity <= Decimal::ZERO || *total_asked > shipped {
            errors.push(FieldError::new(
                &path("quantity"),
                ErrorCode::OutOfRange,
                format!(
                    "{} can be restocked for at most {} (shipped and not yet restocked)",
                    sale_line.sku,
                    shipped.normalize()
                ),
            ));
        }
    }
    Ok(())
}

async fn check_refunds<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    refunds: &[Refund],
    total: Decimal,
    errors: &mut Vec<FieldError>,
) -> DomainResult<()> {
    let mut refunded = Decimal::ZERO;
    for (index, refund) in refunds.iter().enumerate() {
        let index = index.to_string();
        let path = |field: &'static str| ["refunds", index.as_str(), field];
        match account::Entity::find_by_id(refund.account_id)
            .filter(account::Column::OrgId.eq(org_id))
            .one(db)
            .await?
        {
            None => errors.push(FieldError::new(
                &path("accountId"),
                ErrorCode::NotFound,
                "no such account",
            )),
            Some(a) if !a.can_receive_payments => errors.push(FieldError::new(
                &path("accountId"),
                ErrorCode::InvalidCombination,
                format!("account {} {} cannot pay refunds", a.code, a.name),
            )),
            Some(_) => {}
        }
        refunded += refund.amount;
        if refund.amount <= Decimal::ZERO || refunded > total {
            errors.push(FieldError::new(
                &path("amount"),
                ErrorCode::OutOfRange,
                format!(
                    "refunds are more than 0 and at most the credit note's {}",
                    total.normalize()
                ),
            ));
        }
    }
    Ok(())
}

/// Authorises a draft credit note: its restock goes back on hand (checked again against
/// what was shipped, under the sale's lock), its refunds stand.
pub async fn authorise_credit_note(
    db: &DatabaseConnection,
    org_id: Uuid,
    sale_id: Uuid,
    credit_note_id: Uuid,
) -> DomainResult<SaleRecord> {
    let txn = db.begin().await?;
    let sale = lock(&txn, org_id, sale_id).await?;
    authorise_credit_note_in(&txn, org_id, &sale, credit_note_id).await?;
    let record = record(&txn, sale).await?;
    txn.commit().await?;
    Ok(record)
}

pub(crate) async fn authorise_credit_note_in<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    sale: &sale::Model,
    credit_note_id: Uuid,
) -> DomainResult<sale_credit_note::Model> {
    let note = sale_credit_note::Entity::find_by_id(credit_note_id)
        .filter(sale_credit_note::Column::SaleId.eq(sale.id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound {
            entity: "credit note",
        })?;
    if note.status != CreditNoteStatus::Draft {
        return Err(DomainError::invalid(
            &["creditNoteId"],
            ErrorCode::InvalidCombination,
            format!("credit note {} is not a draft", note.number),
        ));
    }
    let restocks = sale_restock::Entity::find()
        .filter(sale_restock::Column::CreditNoteId.eq(note.id))
        .all(db)
        .await?;
    let allowance = allowance(db, sale).await?;
    let requested: Vec<RestockLine> = restocks
        .iter()
        .map(|r| RestockLine {
            sale_line_id: r.sale_line_id,
            quantity: r.quantity,
            location_id: r.location_id,
        })
        .collect();
    let mut errors = Vec::new();
    check_restock(db, org_id, &requested, &allowance, &mut errors).await?;
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors));
    }
    let movements: Vec<Movement> = restocks
        .iter()
        .map(|r| Movement {
            product_id: r.product_id,
            location_id: r.location_id,
            kind: MovementKind::Restock,
            on_hand_delta: r.quantity,
            allocated_delta: Decimal::ZERO,
        })
        .collect();
    stock::apply(
        db,
        org_id,
        &movements,
        &Cause {
            reason: None,
            reference_type: Some(CREDIT_NOTE_REFERENCE),
            reference_id: Some(note.id),
        },
    )
    .await?;
    let mut active = note.into_active_model();
    active.status = Set(CreditNoteStatus::Authorised);
    active.authorised_at = Set(Some(Utc::now()));
    let note = active.update(db).await?;
    let event = DomainEvent::CreditNoteAuthorised(CreditNoteRef {
        sale_id: sale.id,
        credit_note_id: note.id,
    });
    super::announce(db, sale, event).await?;
    Ok(note)
}
