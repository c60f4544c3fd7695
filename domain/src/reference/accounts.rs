//! The chart of accounts: code, name and kind; whether payments can be received into
//! an account; and whether a liability account may hold gift card sales. An account
//! that store settings, payment mappings or customers rely on keeps what they rely on.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Statement, TransactionTrait,
};
use uuid::Uuid;

use entities::account;
use entities::enums::AccountKind;

use super::{check_free, checked_name, locked, none_or_invalid, unique_violation, violates};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};

/// `None` leaves a field as it is (on create: code, name and kind are required, the
/// flags default to off).
#[derive(Debug, Clone, Default)]
pub struct AccountDraft {
    pub code: Option<String>,
    pub name: Option<String>,
    pub kind: Option<AccountKind>,
    pub can_receive_payments: Option<bool>,
    pub is_gift_card_liability: Option<bool>,
}

pub async fn create_account(
    db: &DatabaseConnection,
    org_id: Uuid,
    draft: AccountDraft,
) -> DomainResult<account::Model> {
    let blank = account::Model {
        id: Uuid::new_v4(),
        org_id,
        code: String::new(),
        name: String::new(),
        kind: draft.kind.unwrap_or(AccountKind::Revenue),
        can_receive_payments: false,
        is_gift_card_liability: false,
        created_at: Utc::now(),
    };
    let mut errors = Vec::new();
    for (given, field) in [
        (draft.code.is_some(), "code"),
        (draft.name.is_some(), "name"),
    ] {
        if !given {
            errors.push(FieldError::new(
                &[field],
                ErrorCode::Invalid,
                format!("an account needs a {field}"),
            ));
        }
    }
    if draft.kind.is_none() {
        errors.push(FieldError::new(
            &["kind"],
            ErrorCode::Invalid,
            "an account needs a kind",
        ));
    }
    let txn = db.begin().await?;
    let saved = save(&txn, blank, None, draft, errors).await?;
    txn.commit().await?;
    Ok(saved)
}

pub async fn update_account(
    db: &DatabaseConnection,
    org_id: Uuid,
    id: Uuid,
    draft: AccountDraft,
) -> DomainResult<account::Model> {
    let txn = db.begin().await?;
    let current =
        locked::<account::Entity, _>(&txn, org_id, id, account::Column::OrgId, "account").await?;
    let saved = save(&txn, current.clone(), Some(current), draft, Vec::new()).await?;
    txn.commit().await?;
    Ok(saved)
}

async fn save<C: ConnectionTrait>(
    db: &C,
    mut row: account::Model,
    current: Option<account::Model>,
    draft: AccountDraft,
    mut errors: Vec<FieldError>,
) -> DomainResult<account::Model> {
    if let Some(code) = &draft.code
        && let Some(code) = checked_name(&["code"], code, "code", &mut errors)
    {
        check_free(
            db,
            "accounts",
            "code",
            row.org_id,
            &code,
            Some(row.id),
            &["code"],
            format!("an account with code {code} exists"),
            &mut errors,
        )
        .await?;
        row.code = code;
    }
    if let Some(name) = &draft.name
        && let Some(name) = checked_name(&["name"], name, "name", &mut errors)
    {
        check_free(
            db,
            "accounts",
            "name",
            row.org_id,
            &name,
            Some(row.id),
            &["name"],
            format!("an account named {name} exists"),
            &mut errors,
        )
        .await?;
        row.name = name;
    }
    if let Some(kind) = draft.kind {
        row.kind = kind;
    }
    if let Some(can_receive_payments) = draft.can_receive_payments {
        row.can_receive_payments = can_receive_payments;
    }
    if let Some(flag) = draft.is_gift_card_liability {
        row.is_gift_card_liability = flag;
    }
    if row.is_gift_card_liability {
        // Report at the field the caller touched: turning the flag on, or changing the
        // kind or payments of an account that has it.
        let field = if draft.is_gift_card_liability.is_some() {
            "isGiftCardLiability"
        } else if draft.kind.is_some() {
            "kind"
        } else {
            "canReceivePayments"
        };
        if row.kind != AccountKind::Liability {
            errors.push(FieldError::new(
                &[field],
                ErrorCode::InvalidCombination,
                "only a liability account can hold gift cards (a sold gift card is owed until redeemed)",
            ));
        } else if !row.can_receive_payments {
            errors.push(FieldError::new(
                &[field],
                ErrorCode::RequiresSetting,
                "a gift card liability account must be able to receive payments (redemptions pay into it)",
            ));
        }
    }
    if current.is_some() {
        let unflagging = draft.is_gift_card_liability == Some(false);
        check_dependants(db, &row, unflagging, &mut errors).await?;
    }
    none_or_invalid(errors)?;
    let written = match current {
        None => row.into_active_model().reset_all().insert(db).await,
        Some(_) => row.into_active_model().reset_all().update(db).await,
    };
    match written {
        Err(err) if violates(&err, "accounts_name") => Err(DomainError::invalid(
            &["name"],
            ErrorCode::AlreadyExists,
            "an account with this name exists",
        )),
        Err(err) if unique_violation(&err) => Err(DomainError::invalid(
            &["code"],
            ErrorCode::AlreadyExists,
            "an account with this code exists",
        )),
        other => Ok(other?),
    }
}

/// What store settings, payment mappings and customers need of an account they point
/// at (`docs/settings.md#invoices-and-accounts`, `#payment-account-mapping`) must stay true after an update.
async fn check_dependants<C: ConnectionTrait>(
    db: &C,
    row: &account::Model,
    unflagging: bool,
    errors: &mut Vec<FieldError>,
) -> DomainResult<()> {
    let uses = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT \
               EXISTS (SELECT 1 FROM magento_settings WHERE gift_card_liability_account_id = $1) AS gift_card, \
               EXISTS (SELECT 1 FROM magento_settings WHERE revenue_account_id = $1) \
                 OR EXISTS (SELECT 1 FROM customers WHERE revenue_account_id = $1) AS revenue, \
               EXISTS (SELECT 1 FROM payment_account_mappings WHERE account_id = $1) AS payments",
            [row.id.into()],
        ))
        .await?;
    let Some(uses) = uses else {
        return Ok(());
    };
    let gift_card: bool = uses.try_get("", "gift_card")?;
    let revenue: bool = uses.try_get("", "revenue")?;
    let payments: bool = uses.try_get("", "payments")?;
    if gift_card && (row.kind != AccountKind::Liability || !row.can_receive_payments) {
        errors.push(FieldError::new(
            &["kind"],
            ErrorCode::InvalidCombination,
            "a store uses this account as its gift card liability account: it stays a liability account that can receive payments",
        ));
    }
    if gift_card && unflagging {
        errors.push(FieldError::new(
            &["isGiftCardLiability"],
            ErrorCode::InvalidCombination,
            "a store uses this account as its gift card liability account",
        ));
    }
    if revenue && row.kind != AccountKind::Revenue {
        errors.push(FieldError::new(
            &["kind"],
            ErrorCode::InvalidCombination,
            "a store or a customer uses this account as a revenue account: it stays a revenue account",
        ));
    }
    if payments && !row.can_receive_payments {
        errors.push(FieldError::new(
            &["canReceivePayments"],
            ErrorCode::InvalidCombination,
            "a payment method is mapped to this account: it keeps receiving payments",
        ));
    }
    Ok(())
}

pub async fn accounts<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
) -> DomainResult<Vec<account::Model>> {
    Ok(account::Entity::find()
        .filter(account::Column::OrgId.eq(org_id))
        .order_by_asc(account::Column::Code)
        .all(db)
        .await?)
}

pub async fn account<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    id: Uuid,
) -> DomainResult<account::Model> {
    account::Entity::find_by_id(id)
        .filter(account::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound { entity: "account" })
}

/// By code, ignoring case (codes are unique that way).
pub async fn account_by_code<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    code: &str,
) -> DomainResult<Option<account::Model>> {
    Ok(account::Entity::find()
        .filter(account::Column::OrgId.eq(org_id))
        .filter(sea_orm::sea_query::Expr::cust_with_values(
            "lower(code) = lower($1)",
            [code.trim().to_owned()],
        ))
        .one(db)
        .await?)
}
