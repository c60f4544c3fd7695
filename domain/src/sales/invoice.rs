//! Invoices and payments: an invoice needs an authorised order; payments against an
//! authorised invoice move it to paid once they cover it.

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

use entities::enums::{OrderStatus, SaleInvoiceStatus};
use entities::{
    account, customer, payment_term, sale, sale_charge, sale_invoice, sale_invoice_line, sale_line,
    sale_payment,
};

use super::numbers;
use super::read::{SaleRecord, lock, record};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::events::{DomainEvent, InvoiceRef};
use crate::reference;

fn refused(message: impl Into<String>) -> DomainError {
    DomainError::invalid(&["saleId"], ErrorCode::InvalidCombination, message)
}

/// Drafts the sale's invoice for all its lines and charges. One live invoice per sale.
pub async fn create_invoice(
    db: &DatabaseConnection,
    org_id: Uuid,
    sale_id: Uuid,
) -> DomainResult<SaleRecord> {
    let txn = db.begin().await?;
    let sale = lock(&txn, org_id, sale_id).await?;
    create_invoice_in(&txn, org_id, &sale).await?;
    let record = record(&txn, sale).await?;
    txn.commit().await?;
    Ok(record)
}

pub(crate) async fn create_invoice_in<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    sale: &sale::Model,
) -> DomainResult<sale_invoice::Model> {
    if sale.order_status != OrderStatus::Authorised {
        return Err(refused(format!(
            "sale {} must be authorised before it is invoiced",
            sale.number
        )));
    }
    if live_invoice(db, sale.id).await?.is_some() {
        return Err(refused(format!("sale {} is invoiced already", sale.number)));
    }
    let invoice_id = Uuid::new_v4();
    let invoice_date = Utc::now().date_naive();
    let invoice = sale_invoice::ActiveModel {
        id: Set(invoice_id),
        sale_id: Set(sale.id),
        number: Set(numbers::next(db, org_id, "INV").await?),
        status: Set(SaleInvoiceStatus::Draft),
        invoice_date: Set(invoice_date),
        due_date: Set(due_date(db, org_id, sale.customer_id, invoice_date).await?),
        subtotal: Set(sale.subtotal + sale.charges_total),
        tax_total: Set(sale.tax_total),
        total: Set(sale.total),
        paid: Set(Decimal::ZERO),
        authorised_at: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    let mut rows = Vec::new();
    for line in sale_line::Entity::find()
        .filter(sale_line::Column::SaleId.eq(sale.id))
        .order_by_asc(sale_line::Column::Position)
        .all(db)
        .await?
    {
        rows.push(sale_invoice_line::ActiveModel {
            invoice_id: Set(invoice_id),
            position: Set(rows.len() as i32 + 1),
            sale_line_id: Set(Some(line.id)),
            sale_charge_id: Set(None),
            description: Set(format!("{} {}", line.sku, line.name)),
            quantity: Set(line.quantity),
            price: Set(line.price),
            discount: Set(line.discount),
            tax_amount: Set(line.tax_amount),
            total: Set(line.total),
        });
    }
    for charge in sale_charge::Entity::find()
        .filter(sale_charge::Column::SaleId.eq(sale.id))
        .order_by_asc(sale_charge::Column::Position)
        .all(db)
        .await?
    {
        rows.push(sale_invoice_line::ActiveModel {
            invoice_id: Set(invoice_id),
            position: Set(rows.len() as i32 + 1),
            sale_line_id: Set(None),
            sale_charge_id: Set(Some(charge.id)),
            description: Set(charge.description.clone()),
            quantity: Set(Decimal::ONE),
            price: Set(charge.amount),
            discount: Set(Decimal::ZERO),
            tax_amount: Set(charge.tax_amount),
            total: Set(charge.amount),
        });
    }
    if !rows.is_empty() {
        sale_invoice_line::Entity::insert_many(rows)
            .exec(db)
            .await?;
    }
    Ok(invoice)
}

/// By the customer's payment term, else the organisation's default term.
async fn due_date<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    customer_id: Uuid,
    invoice_date: NaiveDate,
) -> DomainResult<Option<NaiveDate>> {
    let own_term = match customer::Entity::find_by_id(customer_id)
        .one(db)
        .await?
        .and_then(|c| c.payment_term_id)
    {
        Some(term_id) => payment_term::Entity::find_by_id(term_id).one(db).await?,
        None => None,
    };
    let term = match own_term {
        Some(term) => Some(term),
        None => reference::default_payment_term(db, org_id).await?,
    };
    Ok(term.map(|term| reference::due_date(&term, invoice_date)))
}

async fn live_invoice<C: ConnectionTrait>(
    db: &C,
    sale_id: Uuid,
) -> DomainResult<Option<sale_invoice::Model>> {
    Ok(sale_invoice::Entity::find()
        .filter(sale_invoice::Column::SaleId.eq(sale_id))
        .filter(sale_invoice::Column::Status.ne(SaleInvoiceStatus::Voided))
        .one(db)
        .await?)
}

/// Authorises the sale's draft invoice.
pub async fn authorise_invoice(
    db: &DatabaseConnection,
    org_id: Uuid,
    sale_id: Uuid,
) -> DomainResult<SaleRecord> {
    let txn = db.begin().await?;
    let sale = lock(&txn, org_id, sale_id).await?;
    authorise_invoice_in(&txn, &sale).await?;
    let record = record(&txn, sale).await?;
    txn.commit().await?;
    Ok(record)
}

pub(crate) async fn authorise_invoice_in<C: ConnectionTrait>(
    db: &C,
    sale: &sale::Model,
) -> DomainResult<sale_invoice::Model> {
    let invoice = live_invoice(db, sale.id)
        .await?
        .filter(|i| i.status == SaleInvoiceStatus::Draft)
        .ok_or_else(|| {
            refused(format!(
                "sale {} has no draft invoice to authorise",
                sale.number
            ))
        })?;
    let mut active = invoice.into_active_model();
    active.status = Set(SaleInvoiceStatus::Authorised);
    active.authorised_at = Set(Some(Utc::now()));
    let invoice = active.update(db).await?;
    let event = DomainEvent::InvoiceAuthorised(InvoiceRef {
        sale_id: sale.id,
        invoice_id: invoice.id,
    });
    super::announce(db, sale, event).await?;
    Ok(invoice)
}

/// A payment received against the sale's authorised invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub account_id: Uuid,
    pub amount: Decimal,
    pub paid_on: NaiveDate,
    pub reference: Option<String>,
}

/// Records a payment; the invoice is paid once payments cover its total. More than is
/// outstanding is refused.
pub async fn add_payment(
    db: &DatabaseConnection,
    org_id: Uuid,
    sale_id: Uuid,
    payment: Payment,
) -> DomainResult<SaleRecord> {
    let txn = db.begin().await?;
    let sale = lock(&txn, org_id, sale_id).await?;
    let invoice = live_invoice(&txn, sale.id)
        .await?
        .ok_or_else(|| refused(format!("sale {} has no invoice to pay", sale.number)))?;
    match invoice.status {
        SaleInvoiceStatus::Authorised => {}
        SaleInvoiceStatus::Draft => {
            return Err(refused("authorise the invoice before recording payments"));
        }
        _ => {
            return Err(refused(format!(
                "invoice {} is paid in full",
                invoice.number
            )));
        }
    }
    let receiving = account::Entity::find_by_id(payment.account_id)
        .filter(account::Column::OrgId.eq(org_id))
        .one(&txn)
        .await?;
    match receiving {
        None => {
            return Err(DomainError::invalid(
                &["accountId"],
                ErrorCode::NotFound,
                "no such account",
            ));
        }
        Some(a) if !a.can_receive_payments => {
            return Err(DomainError::invalid(
                &["accountId"],
                ErrorCode::InvalidCombination,
                format!("account {} {} cannot receive payments", a.code, a.name),
            ));
        }
        Some(_) => {}
    }
    let outstanding = super::read::outstanding(&invoice);
    if payment.amount <= Decimal::ZERO || payment.amount > outstanding {
        return Err(DomainError::invalid(
            &["amount"],
            ErrorCode::OutOfRange,
            format!(
                "a payment is more than zero and at most the {} outstanding",
                outstanding.normalize()
            ),
        ));
    }
    sale_payment::ActiveModel {
        id: Set(Uuid::new_v4()),
        invoice_id: Set(invoice.id),
        account_id: Set(payment.account_id),
        amount: Set(payment.amount),
        paid_on: Set(payment.paid_on),
        reference: Set(payment
            .reference
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    let paid = invoice.paid + payment.amount;
    let covered = paid >= invoice.total;
    let mut active = invoice.into_active_model();
    active.paid = Set(paid);
    if covered {
        active.status = Set(SaleInvoiceStatus::Paid);
    }
    let invoice = active.update(&txn).await?;
    if covered {
        let event = DomainEvent::InvoicePaid(InvoiceRef {
            sale_id: sale.id,
            invoice_id: invoice.id,
        });
        super::announce(&txn, &sale, event).await?;
    }
    let record = record(&txn, sale).await?;
    txn.commit().await?;
    Ok(record)
}
