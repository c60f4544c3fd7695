//! The reference books sales, products and store settings point to: locations, price
//! tiers, tax rules, the chart of accounts, payment terms and carriers. Names are
//! unique per organisation without regard to case; a create or an update is checked as
//! a whole (every problem reported together) and written in one transaction.

mod accounts;
mod carriers;
mod locations;
mod payment_terms;
mod price_tiers;
mod tax_rules;

pub use accounts::{
    AccountDraft, account, account_by_code, accounts, create_account, update_account,
};
pub use carriers::{
    CarrierDraft, TRACKING_NUMBER_PLACEHOLDER, carrier, carrier_by_magento_code, carrier_by_name,
    carriers, create_carrier, tracking_url, update_carrier,
};
pub use locations::{
    LocationDraft, create_location, default_location, location, locations, locations_by_ids,
    update_location,
};
pub use payment_terms::{
    PaymentTermDraft, create_payment_term, default_payment_term, due_date, payment_term,
    payment_terms, update_payment_term,
};
pub use price_tiers::{price_tiers, rename_price_tier};
pub use tax_rules::{TaxRuleDraft, create_tax_rule, tax_rule, tax_rules, update_tax_rule};

// Customers grew into their own module; these keep older callers working.
pub use crate::customers::{CustomerFilter, customer, customers};

use chrono::Utc;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, Set, SqlErr, Statement,
};
use uuid::Uuid;

use entities::enums::AccountKind;
use entities::payment_term::PaymentTermMethod;
use entities::{account, carrier, location, payment_term, price_tier, tax_rule};

use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};

/// Names longer than this are refused: they would not fit a drop-down or a document.
pub(crate) const MAX_NAME_LENGTH: usize = 255;

/// What a new organisation starts with: a default location, the ten price tiers, a
/// Tax Free rule, the accounts DEAR's defaults have, a default payment term and the
/// carrier the spec falls back to ("Local Pickup"), so a merchant can connect a store
/// and take orders at once.
pub async fn seed_defaults<C: ConnectionTrait>(db: &C, org_id: Uuid) -> DomainResult<()> {
    let now = Utc::now();
    location::ActiveModel {
        id: Set(Uuid::new_v4()),
        org_id: Set(org_id),
        name: Set("Main Warehouse".into()),
        is_default: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let tiers: Vec<price_tier::ActiveModel> = (1..=10)
        .map(|tier| price_tier::ActiveModel {
            org_id: Set(org_id),
            tier: Set(tier),
            name: Set(format!("Tier {tier}")),
        })
        .collect();
    price_tier::Entity::insert_many(tiers).exec(db).await?;
    tax_rule::ActiveModel {
        id: Set(Uuid::new_v4()),
        org_id: Set(org_id),
        name: Set("Tax Free".into()),
        rate: Set(Decimal::ZERO),
        is_tax_free: Set(true),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    let accounts = [
        ("4000", "Sales", AccountKind::Revenue, false, false),
        ("1200", "Checking Account", AccountKind::Bank, true, false),
        (
            "2300",
            "Gift Card Liability",
            AccountKind::Liability,
            true,
            true,
        ),
    ];
    for (code, name, kind, can_receive_payments, is_gift_card_liability) in accounts {
        account::ActiveModel {
            id: Set(Uuid::new_v4()),
            org_id: Set(org_id),
            code: Set(code.into()),
            name: Set(name.into()),
            kind: Set(kind),
            can_receive_payments: Set(can_receive_payments),
            is_gift_card_liability: Set(is_gift_card_liability),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    let terms = [
        (
            "30 days",
            PaymentTermMethod::DaysAfterInvoice,
            Some(30),
            true,
        ),
        ("Prepaid", PaymentTermMethod::Prepaid, None, false),
    ];
    for (name, method, days, is_default) in terms {
        payment_term::ActiveModel {
            id: Set(Uuid::new_v4()),
            org_id: Set(org_id),
            name: Set(name.into()),
            method: Set(method),
            days: Set(days),
            is_default: Set(is_default),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    carrier::ActiveModel {
        id: Set(Uuid::new_v4()),
        org_id: Set(org_id),
        name: Set("Local Pickup".into()),
        tracking_url_template: Set(None),
        magento_carrier_code: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub(crate) fn unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Whether `err` is a violation of the unique index `index` (Postgres names it in the
/// message), to tell which field a write that lost a race collided on.
pub(crate) fn violates(err: &sea_orm::DbErr, index: &str) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(message)) if message.contains(index))
}

/// The error for a write that lost a race for the one default of a book.
pub(crate) fn default_race(what: &str) -> DomainError {
    DomainError::invalid(
        &["isDefault"],
        ErrorCode::InvalidCombination,
        format!("another {what} became the default at the same time; try again"),
    )
}

/// Trimmed text, `None` when blank.
pub(crate) fn optional_text(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// A name given in a draft: trimmed, not empty, not too long. `None` (with the error
/// recorded) when it cannot be used.
pub(crate) fn checked_name(
    path: &[&str],
    value: &str,
    what: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        errors.push(FieldError::new(
            path,
            ErrorCode::Invalid,
            format!("the {what} must not be empty"),
        ));
        None
    } else if trimmed.chars().count() > MAX_NAME_LENGTH {
        errors.push(FieldError::new(
            path,
            ErrorCode::OutOfRange,
            format!("the {what} has at most {MAX_NAME_LENGTH} characters"),
        ));
        None
    } else {
        Some(trimmed.to_owned())
    }
}

/// ISO 3166-1 alpha-2, upper-cased (Magento's `country_id`). `None` with the error
/// recorded when it is not two letters.
pub(crate) fn checked_country(
    path: &[&str],
    value: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let code = value.trim().to_ascii_uppercase();
    if code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Some(code)
    } else {
        errors.push(FieldError::new(
            path,
            ErrorCode::Invalid,
            "a country is a two-letter ISO 3166 code, e.g. US or GB",
        ));
        None
    }
}

/// Whether another row of `table` in the organisation has `value` in `column`,
/// ignoring case. `table` and `column` are constants of this crate, never input.
pub(crate) async fn taken<C: ConnectionTrait>(
    db: &C,
    table: &'static str,
    column: &'static str,
    org_id: Uuid,
    value: &str,
    except_id: Option<Uuid>,
) -> DomainResult<bool> {
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM {table} WHERE org_id = $1 AND lower({column}) = lower($2) \
         AND ($3::uuid IS NULL OR id <> $3)) AS taken"
    );
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [org_id.into(), value.into(), except_id.into()],
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get("", "taken")?,
        None => false,
    })
}

/// Records ALREADY_EXISTS at `path` when `value` is taken in `table.column`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn check_free<C: ConnectionTrait>(
    db: &C,
    table: &'static str,
    column: &'static str,
    org_id: Uuid,
    value: &str,
    except_id: Option<Uuid>,
    path: &[&str],
    message: String,
    errors: &mut Vec<FieldError>,
) -> DomainResult<()> {
    if taken(db, table, column, org_id, value, except_id).await? {
        errors.push(FieldError::new(path, ErrorCode::AlreadyExists, message));
    }
    Ok(())
}

/// The row of `E` with this id in the organisation, locked for the rest of the
/// transaction so two updates of one row apply one after the other.
pub(crate) async fn locked<E, C>(
    db: &C,
    org_id: Uuid,
    id: Uuid,
    org_column: E::Column,
    entity: &'static str,
) -> DomainResult<E::Model>
where
    E: EntityTrait,
    C: ConnectionTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    E::find_by_id(id)
        .filter(org_column.eq(org_id))
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(DomainError::NotFound { entity })
}

/// `errors` as the failure of the whole call, or `Ok` when there are none.
pub(crate) fn none_or_invalid(errors: Vec<FieldError>) -> DomainResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Invalid(errors))
    }
}
