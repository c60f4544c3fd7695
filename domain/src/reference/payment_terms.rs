//! Payment terms: when an invoice falls due. Three methods cover what merchants use:
//! N days after the invoice date ("30 days"), day N of the following month ("20th of
//! next month"), and prepaid. One term is the organisation's default; sales that bring
//! no term (Magento orders) use it, so the default moves, it is never switched off.

use chrono::{Datelike, Days, Months, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, TransactionTrait,
};
use uuid::Uuid;

use entities::payment_term::{self, PaymentTermMethod};

use super::{
    check_free, checked_name, default_race, locked, none_or_invalid, unique_violation, violates,
};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};

/// The longest "days after invoice" term accepted.
pub const MAX_TERM_DAYS: i32 = 365;

/// `None` leaves a field as it is (on create: name and method are required).
/// `days` is required by the two day-based methods and refused with `PREPAID`; when an
/// update switches to `PREPAID` without naming `days`, the days are dropped.
#[derive(Debug, Clone, Default)]
pub struct PaymentTermDraft {
    pub name: Option<String>,
    pub method: Option<PaymentTermMethod>,
    pub days: Option<Option<i32>>,
    pub is_default: Option<bool>,
}

pub async fn create_payment_term(
    db: &DatabaseConnection,
    org_id: Uuid,
    draft: PaymentTermDraft,
) -> DomainResult<payment_term::Model> {
    let now = Utc::now();
    let blank = payment_term::Model {
        id: Uuid::new_v4(),
        org_id,
        name: String::new(),
        method: draft.method.unwrap_or(PaymentTermMethod::Prepaid),
        days: None,
        is_default: false,
        created_at: now,
        updated_at: now,
    };
    let mut errors = Vec::new();
    if draft.name.is_none() {
        errors.push(FieldError::new(
            &["name"],
            ErrorCode::Invalid,
            "a payment term needs a name",
        ));
    }
    if draft.method.is_none() {
        errors.push(FieldError::new(
            &["method"],
            ErrorCode::Invalid,
            "a payment term needs a method",
        ));
    }
    let txn = db.begin().await?;
    let saved = save(&txn, blank, None, draft, errors).await?;
    txn.commit().await?;
    Ok(saved)
}

pub async fn update_payment_term(
    db: &DatabaseConnection,
    org_id: Uuid,
    id: Uuid,
    draft: PaymentTermDraft,
) -> DomainResult<payment_term::Model> {
    let txn = db.begin().await?;
    let current = locked::<payment_term::Entity, _>(
        &txn,
        org_id,
        id,
        payment_term::Column::OrgId,
        "payment term",
    )
    .await?;
    let saved = save(&txn, current.clone(), Some(current), draft, Vec::new()).await?;
    txn.commit().await?;
    Ok(saved)
}

async fn save<C: ConnectionTrait>(
    db: &C,
    mut row: payment_term::Model,
    current: Option<payment_term::Model>,
    draft: PaymentTermDraft,
    mut errors: Vec<FieldError>,
) -> DomainResult<payment_term::Model> {
    if let Some(name) = &draft.name
        && let Some(name) = checked_name(&["name"], name, "name", &mut errors)
    {
        check_free(
            db,
            "payment_terms",
            "name",
            row.org_id,
            &name,
            Some(row.id),
            &["name"],
            format!("a payment term named {name} exists"),
            &mut errors,
        )
        .await?;
        row.name = name;
    }
    if let Some(method) = draft.method {
        row.method = method;
    }
    match draft.days {
        Some(days) => row.days = days,
        None if row.method == PaymentTermMethod::Prepaid => row.days = None,
        None => {}
    }
    check_days(&row, draft.days.is_some(), &mut errors);
    if let Some(is_default) = draft.is_default {
        if !is_default && current.as_ref().is_some_and(|c| c.is_default) {
            errors.push(FieldError::new(
                &["isDefault"],
                ErrorCode::InvalidCombination,
                "an organisation always has a default payment term: make another one the default instead",
            ));
        }
        row.is_default = is_default;
    }
    none_or_invalid(errors)?;

    if row.is_default && !current.as_ref().is_some_and(|c| c.is_default) {
        payment_term::Entity::update_many()
            .col_expr(payment_term::Column::IsDefault, Expr::value(false))
            .filter(payment_term::Column::OrgId.eq(row.org_id))
            .filter(payment_term::Column::IsDefault.eq(true))
            .exec(db)
            .await?;
    }
    row.updated_at = Utc::now();
    let written = match current {
        None => row.into_active_model().reset_all().insert(db).await,
        Some(_) => row.into_active_model().reset_all().update(db).await,
    };
    match written {
        Err(err) if violates(&err, "payment_terms_one_default") => {
            Err(default_race("payment term"))
        }
        Err(err) if unique_violation(&err) => Err(DomainError::invalid(
            &["name"],
            ErrorCode::AlreadyExists,
            "a payment term with this name exists",
        )),
        other => Ok(other?),
    }
}

/// The days a method needs. Reported at `days` when they were given, else at `method`
/// (the change that made the stored days wrong).
fn check_days(row: &payment_term::Model, days_given: bool, errors: &mut Vec<FieldError>) {
    let field = if days_given { "days" } else { "method" };
    let (range, what) = match row.method {
        PaymentTermMethod::DaysAfterInvoice => (
            0..=MAX_TERM_DAYS,
            format!("days after the invoice date, 0 to {MAX_TERM_DAYS}"),
        ),
        PaymentTermMethod::DayOfNextMonth => {
            (1..=31, "the day of the following month, 1 to 31".to_owned())
        }
        PaymentTermMethod::Prepaid => {
            if row.days.is_some() {
                errors.push(FieldError::new(
                    &["days"],
                    ErrorCode::InvalidCombination,
                    "a prepaid term has no days",
                ));
            }
            return;
        }
    };
    match row.days {
        None => errors.push(FieldError::new(
            &[field],
            ErrorCode::RequiresSetting,
            format!("this method needs `days`: {what}"),
        )),
        Some(days) if !range.contains(&days) => errors.push(FieldError::new(
            &[field],
            ErrorCode::OutOfRange,
            format!("`days` is {what}"),
        )),
        Some(_) => {}
    }
}

/// When an invoice dated `invoice_date` falls due under `term`. Day N of the next month
/// is capped at that month's last day (the 31st of next month in April is April 30).
pub fn due_date(term: &payment_term::Model, invoice_date: NaiveDate) -> NaiveDate {
    let days = term.days.unwrap_or(0).max(0);
    match term.method {
        PaymentTermMethod::Prepaid => invoice_date,
        PaymentTermMethod::DaysAfterInvoice => invoice_date
            .checked_add_days(Days::new(days as u64))
            .unwrap_or(invoice_date),
        PaymentTermMethod::DayOfNextMonth => {
            let next_month = invoice_date
                .with_day(1)
                .and_then(|first| first.checked_add_months(Months::new(1)));
            let Some(first) = next_month else {
                return invoice_date;
            };
            let last_day = first
                .checked_add_months(Months::new(1))
                .and_then(|after| after.pred_opt())
                .map_or(28, |last| last.day());
            first
                .with_day((days as u32).clamp(1, last_day))
                .unwrap_or(first)
        }
    }
}

pub async fn payment_terms<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
) -> DomainResult<Vec<payment_term::Model>> {
    Ok(payment_term::Entity::find()
        .filter(payment_term::Column::OrgId.eq(org_id))
        .order_by_asc(payment_term::Column::Name)
        .all(db)
        .await?)
}

pub async fn payment_term<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    id: Uuid,
) -> DomainResult<payment_term::Model> {
    payment_term::Entity::find_by_id(id)
        .filter(payment_term::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound {
            entity: "payment term",
        })
}

/// The term of sales that bring none (`docs/mappings.md#orders`: orders' terms).
pub async fn default_payment_term<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
) -> DomainResult<Option<payment_term::Model>> {
    Ok(payment_term::Entity::find()
        .filter(payment_term::Column::OrgId.eq(org_id))
        .filter(payment_term::Column::IsDefault.eq(true))
        .one(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(method: PaymentTermMethod, days: Option<i32>) -> payment_term::Model {
        payment_term::Model {
            id: Uuid::new_v4(),
            org_id: Uuid::new_v4(),
            name: "T".into(),
            method,
            days,
            is_default: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    #[test]
    fn days_after_invoice_count_from_the_invoice_date() {
        let t = term(PaymentTermMethod::DaysAfterInvoice, Some(30));
        assert_eq!(due_date(&t, date(2026, 1, 15)), date(2026, 2, 14));
    }

    #[test]
    fn a_day_of_next_month_is_capped_at_that_months_last_day() {
        let t = term(PaymentTermMethod::DayOfNextMonth, Some(31));
        assert_eq!(due_date(&t, date(2026, 1, 31)), date(2026, 2, 28));
        assert_eq!(due_date(&t, date(2026, 12, 5)), date(2027, 1, 31));
        let t = term(PaymentTermMethod::DayOfNextMonth, Some(20));
        assert_eq!(due_date(&t, date(2026, 3, 25)), date(2026, 4, 20));
    }

    #[test]
    fn prepaid_is_due_on_the_invoice_date() {
        let t = term(PaymentTermMethod::Prepaid, None);
        assert_eq!(due_date(&t, date(2026, 6, 1)), date(2026, 6, 1));
    }
}
