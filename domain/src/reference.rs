//! The reference books settings point to. Minimal here (create + list); the ledger
//! issue completes them.

use chrono::Utc;
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, SqlErr, TransactionTrait,
};
use uuid::Uuid;

use entities::enums::AccountKind;
use entities::{account, customer, location, price_tier, tax_rule};

use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::page::{Cursor, Page, PageRequest};

/// What a new organisation starts with: a default location, the ten price tiers, a
/// Tax Free rule and the accounts DEAR's defaults have, so a merchant can connect a
/// store at once.
pub async fn seed_defaults<C: ConnectionTrait>(db: &C, org_id: Uuid) -> DomainResult<()> {
    let now = Utc::now();
    location::ActiveModel {
        id: Set(Uuid::new_v4()),
        org_id: Set(org_id),
        name: Set("Main Warehouse".into()),
        is_default: Set(true),
        created_at: Set(now),
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
        ("4000", "Sales", AccountKind::Revenue, false),
        ("1200", "Checking Account", AccountKind::Bank, true),
        ("2300", "Gift Card Liability", AccountKind::Liability, true),
    ];
    for (code, name, kind, can_receive_payments) in accounts {
        account::ActiveModel {
            id: Set(Uuid::new_v4()),
            org_id: Set(org_id),
            code: Set(code.into()),
            name: Set(name.into()),
            kind: Set(kind),
            can_receive_payments: Set(can_receive_payments),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

pub(crate) fn unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

pub(crate) fn required_text(path: &[&str], value: &str) -> DomainResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(DomainError::invalid(
            path,
            ErrorCode::Invalid,
            "must not be empty",
        ));
    }
    Ok(trimmed.to_owned())
}

// ---- locations -------------------------------------------------------------------

pub async fn create_location(
    db: &DatabaseConnection,
    org_id: Uuid,
    name: &str,
    is_default: bool,
) -> DomainResult<location::Model> {
    let name = required_text(&["input", "name"], name)?;
    let txn = db.begin().await?;
    if is_default {
        location::Entity::update_many()
            .col_expr(location::Column::IsDefault, Expr::value(false))
            .filter(location::Column::OrgId.eq(org_id))
            .exec(&txn)
            .await?;
    }
    let created = location::ActiveModel {
        id: Set(Uuid::new_v4()),
        org_id: Set(org_id),
        name: Set(name),
        is_default: Set(is_default),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await;
    let created = match created {
        Err(err) if unique_violation(&err) => {
            return Err(DomainError::invalid(
                &["input", "name"],
                ErrorCode::AlreadyExists,
                "a location with this name exists",
            ));
        }
        other => other?,
    };
    txn.commit().await?;
    Ok(created)
}

pub async fn locations(
    db: &DatabaseConnection,
    org_id: Uuid,
) -> DomainResult<Vec<location::Model>> {
    Ok(location::Entity::find()
        .filter(location::Column::OrgId.eq(org_id))
        .order_by_asc(location::Column::Name)
        .all(db)
        .await?)
}

pub async fn location(
    db: &DatabaseConnection,
    org_id: Uuid,
    id: Uuid,
) -> DomainResult<location::Model> {
    location::Entity::find_by_id(id)
        .filter(location::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound { entity: "location" })
}

// ---- price tiers -----------------------------------------------------------------

pub async fn price_tiers(
    db: &DatabaseConnection,
    org_id: Uuid,
) -> DomainResult<Vec<price_tier::Model>> {
    Ok(price_tier::Entity::find()
        .filter(price_tier::Column::OrgId.eq(org_id))
        .order_by_asc(price_tier::Column::Tier)
        .all(db)
        .await?)
}

pub async fn rename_price_tier(
    db: &DatabaseConnection,
    org_id: Uuid,
    tier: i32,
    name: &str,
) -> DomainResult<price_tier::Model> {
    if !(1..=10).contains(&tier) {
        return Err(DomainError::invalid(
            &["tier"],
            ErrorCode::OutOfRange,
            "price tiers are 1 to 10",
        ));
    }
    let name = required_text(&["name"], name)?;
    let updated = price_tier::ActiveModel {
        org_id: Set(org_id),
        tier: Set(tier as i16),
        name: Set(name),
    }
    .update(db)
    .await?;
    Ok(updated)
}

// ---- tax rules -------------------------------------------------------------------

pub async fn create_tax_rule(
    db: &DatabaseConnection,
    org_id: Uuid,
    name: &str,
    rate: Decimal,
    is_tax_free: bool,
) -> DomainResult<tax_rule::Model> {
    let name = required_text(&["input", "name"], name)?;
    if rate < Decimal::ZERO || rate > Decimal::from(100) {
        return Err(DomainError::invalid(
            &["input", "rate"],
            ErrorCode::OutOfRange,
            "a rate is a percentage from 0 to 100",
        ));
    }
    if is_tax_free && !rate.is_zero() {
        return Err(DomainError::invalid(
            &["input", "rate"],
            ErrorCode::InvalidCombination,
            "a tax-free rule has rate 0",
        ));
    }
    let created = tax_rule::ActiveModel {
        id: Set(Uuid::new_v4()),
        org_id: Set(org_id),
        name: Set(name),
        rate: Set(rate),
        is_tax_free: Set(is_tax_free),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await;
    match created {
        Err(err) if unique_violation(&err) => Err(DomainError::invalid(
            &["input", "name"],
            ErrorCode::AlreadyExists,
            "a tax rule with this name exists",
        )),
        other => Ok(other?),
    }
}

pub async fn tax_rules(
    db: &DatabaseConnection,
    org_id: Uuid,
) -> DomainResult<Vec<tax_rule::Model>> {
    Ok(tax_rule::Entity::find()
        .filter(tax_rule::Column::OrgId.eq(org_id))
        .order_by_asc(tax_rule::Column::Name)
        .all(db)
        .await?)
}

// ---- accounts --------------------------------------------------------------------

pub async fn create_account(
    db: &DatabaseConnection,
    org_id: Uuid,
    code: &str,
    name: &str,
    kind: AccountKind,
    can_receive_payments: bool,
) -> DomainResult<account::Model> {
    let code = required_text(&["input", "code"], code)?;
    let name = required_text(&["input", "name"], name)?;
    let created = account::ActiveModel {
        id: Set(Uuid::new_v4()),
        org_id: Set(org_id),
        code: Set(code),
        name: Set(name),
        kind: Set(kind),
        can_receive_payments: Set(can_receive_payments),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await;
    match created {
        Err(err) if unique_violation(&err) => Err(DomainError::invalid(
            &["input", "code"],
            ErrorCode::AlreadyExists,
            "an account with this code exists",
        )),
        other => Ok(other?),
    }
}

pub async fn accounts(db: &DatabaseConnection, org_id: Uuid) -> DomainResult<Vec<account::Model>> {
    Ok(account::Entity::find()
        .filter(account::Column::OrgId.eq(org_id))
        .order_by_asc(account::Column::Code)
        .all(db)
        .await?)
}

pub async fn account_by_code<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    code: &str,
) -> DomainResult<Option<account::Model>> {
    Ok(account::Entity::find()
        .filter(account::Column::OrgId.eq(org_id))
        .filter(account::Column::Code.eq(code))
        .one(db)
        .await?)
}

// ---- customers -------------------------------------------------------------------

pub async fn create_customer(
    db: &DatabaseConnection,
    org_id: Uuid,
    name: &str,
    email: Option<&str>,
    phone: Option<&str>,
) -> DomainResult<customer::Model> {
    let name = required_text(&["input", "name"], name)?;
    let email = email.map(str::trim).filter(|e| !e.is_empty());
    if let Some(email) = email
        && !email.contains('@')
    {
        return Err(DomainError::invalid(
            &["input", "email"],
            ErrorCode::Invalid,
            "not an email address",
        ));
    }
    Ok(customer::ActiveModel {
        id: Set(Uuid::new_v4()),
        org_id: Set(org_id),
        name: Set(name),
        email: Set(email.map(str::to_owned)),
        phone: Set(phone
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?)
}

#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    pub email: Option<String>,
    pub name: Option<String>,
}

pub async fn customers(
    db: &DatabaseConnection,
    org_id: Uuid,
    filter: &CustomerFilter,
    page: PageRequest,
) -> DomainResult<Page<customer::Model>> {
    let mut query = customer::Entity::find().filter(customer::Column::OrgId.eq(org_id));
    if let Some(email) = &filter.email {
        query = query.filter(Expr::cust_with_values(
            "lower(email) = lower($1)",
            [email.clone()],
        ));
    }
    if let Some(name) = &filter.name {
        query = query.filter(Expr::cust_with_values(
            "lower(name) = lower($1)",
            [name.clone()],
        ));
    }
    if let Some(after) = crate::page::after_cursor(page.after) {
        query = query.filter(after);
    }
    let limit = page.limit();
    let rows = query
        .order_by_desc(customer::Column::CreatedAt)
        .order_by_desc(customer::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, limit, |c| Cursor {
        created_at: c.created_at,
        id: c.id,
    }))
}

pub async fn customer<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    id: Uuid,
) -> DomainResult<customer::Model> {
    customer::Entity::find_by_id(id)
        .filter(customer::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound { entity: "customer" })
}
