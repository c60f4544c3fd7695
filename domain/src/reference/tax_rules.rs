//! Tax rules: a name and a rate in percent; a tax-free rule has rate 0 (Magento lines
//! without tax map to one).

use chrono::Utc;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, TransactionTrait,
};
use uuid::Uuid;

use entities::tax_rule;

use super::{check_free, checked_name, locked, none_or_invalid, unique_violation};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};

/// `None` leaves a field as it is (on create: name required, rate 0, taxed).
#[derive(Debug, Clone, Default)]
pub struct TaxRuleDraft {
    pub name: Option<String>,
    /// A percentage, 0 to 100.
    pub rate: Option<Decimal>,
    pub is_tax_free: Option<bool>,
}

pub async fn create_tax_rule(
    db: &DatabaseConnection,
    org_id: Uuid,
    draft: TaxRuleDraft,
) -> DomainResult<tax_rule::Model> {
    let blank = tax_rule::Model {
        id: Uuid::new_v4(),
        org_id,
        name: String::new(),
        rate: Decimal::ZERO,
        is_tax_free: false,
        created_at: Utc::now(),
    };
    let mut errors = Vec::new();
    if draft.name.is_none() {
        errors.push(FieldError::new(
            &["name"],
            ErrorCode::Invalid,
            "a tax rule needs a name",
        ));
    }
    if draft.rate.is_none() {
        errors.push(FieldError::new(
            &["rate"],
            ErrorCode::Invalid,
            "a tax rule needs a rate",
        ));
    }
    let txn = db.begin().await?;
    let saved = save(&txn, blank, false, draft, errors).await?;
    txn.commit().await?;
    Ok(saved)
}

pub async fn update_tax_rule(
    db: &DatabaseConnection,
    org_id: Uuid,
    id: Uuid,
    draft: TaxRuleDraft,
) -> DomainResult<tax_rule::Model> {
    let txn = db.begin().await?;
    let current =
        locked::<tax_rule::Entity, _>(&txn, org_id, id, tax_rule::Column::OrgId, "tax rule")
            .await?;
    let saved = save(&txn, current, true, draft, Vec::new()).await?;
    txn.commit().await?;
    Ok(saved)
}

async fn save<C: ConnectionTrait>(
    db: &C,
    mut row: tax_rule::Model,
    exists: bool,
    draft: TaxRuleDraft,
    mut errors: Vec<FieldError>,
) -> DomainResult<tax_rule::Model> {
    if let Some(name) = &draft.name
        && let Some(name) = checked_name(&["name"], name, "name", &mut errors)
    {
        check_free(
            db,
            "tax_rules",
            "name",
            row.org_id,
            &name,
            Some(row.id),
            &["name"],
            format!("a tax rule named {name} exists"),
            &mut errors,
        )
        .await?;
        row.name = name;
    }
    let mut rate_ok = true;
    if let Some(rate) = draft.rate {
        if rate < Decimal::ZERO || rate > Decimal::ONE_HUNDRED {
            rate_ok = false;
            errors.push(FieldError::new(
                &["rate"],
                ErrorCode::OutOfRange,
                "a rate is a percentage from 0 to 100",
            ));
        }
        row.rate = rate;
    }
    if let Some(is_tax_free) = draft.is_tax_free {
        row.is_tax_free = is_tax_free;
    }
    if rate_ok && row.is_tax_free && !row.rate.is_zero() {
        // Name the field the caller changed; when both changed, the rate.
        let field = if draft.rate.is_some() || draft.is_tax_free.is_none() {
            "rate"
        } else {
            "isTaxFree"
        };
        errors.push(FieldError::new(
            &[field],
            ErrorCode::InvalidCombination,
            "a tax-free rule has rate 0",
        ));
    }
    none_or_invalid(errors)?;
    let written = if exists {
        row.into_active_model().reset_all().update(db).await
    } else {
        row.into_active_model().reset_all().insert(db).await
    };
    match written {
        Err(err) if unique_violation(&err) => Err(DomainError::invalid(
            &["name"],
            ErrorCode::AlreadyExists,
            "a tax rule with this name exists",
        )),
        other => Ok(other?),
    }
}

pub async fn tax_rules<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
) -> DomainResult<Vec<tax_rule::Model>> {
    Ok(tax_rule::Entity::find()
        .filter(tax_rule::Column::OrgId.eq(org_id))
        .order_by_asc(tax_rule::Column::Name)
        .all(db)
        .await?)
}

pub async fn tax_rule<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    id: Uuid,
) -> DomainResult<tax_rule::Model> {
    tax_rule::Entity::find_by_id(id)
        .filter(tax_rule::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound { entity: "tax rule" })
}
