//! Price tiers: always the ten of them (seeded with the organisation), so they are
//! renamed, never created or removed.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, Statement, TransactionTrait,
};
use uuid::Uuid;

use entities::price_tier;

use super::{checked_name, none_or_invalid, unique_violation};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};

pub async fn price_tiers<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
) -> DomainResult<Vec<price_tier::Model>> {
    Ok(price_tier::Entity::find()
        .filter(price_tier::Column::OrgId.eq(org_id))
        .order_by_asc(price_tier::Column::Tier)
        .all(db)
        .await?)
}

/// Paths are the mutation's arguments (`tier`, `name`).
pub async fn rename_price_tier(
    db: &DatabaseConnection,
    org_id: Uuid,
    tier: i32,
    name: &str,
) -> DomainResult<price_tier::Model> {
    let mut errors = Vec::new();
    if !(1..=10).contains(&tier) {
        errors.push(FieldError::new(
            &["tier"],
            ErrorCode::OutOfRange,
            "price tiers are 1 to 10",
        ));
    }
    let name = checked_name(&["name"], name, "name", &mut errors);
    let txn = db.begin().await?;
    if let Some(name) = &name {
        let clash = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT EXISTS (SELECT 1 FROM price_tiers WHERE org_id = $1 \
                 AND lower(name) = lower($2) AND tier <> $3) AS taken",
                [org_id.into(), name.as_str().into(), (tier as i16).into()],
            ))
            .await?
            .map(|row| row.try_get::<bool>("", "taken"))
            .transpose()?
            .unwrap_or(false);
        if clash {
            errors.push(FieldError::new(
                &["name"],
                ErrorCode::AlreadyExists,
                format!("another price tier is named {name}"),
            ));
        }
    }
    none_or_invalid(errors)?;
    let name = name.unwrap_or_default();
    let updated = price_tier::Entity::update_many()
        .col_expr(price_tier::Column::Name, Expr::value(name.clone()))
        .filter(price_tier::Column::OrgId.eq(org_id))
        .filter(price_tier::Column::Tier.eq(tier as i16))
        .exec(&txn)
        .await;
    match updated {
        Err(err) if unique_violation(&err) => {
            return Err(DomainError::invalid(
                &["name"],
                ErrorCode::AlreadyExists,
                format!("another price tier is named {name}"),
            ));
        }
        Err(err) => return Err(err.into()),
        Ok(result) if result.rows_affected == 0 => {
            return Err(DomainError::NotFound {
                entity: "price tier",
            });
        }
        Ok(_) => {}
    }
    txn.commit().await?;
    Ok(price_tier::Model {
        org_id,
        tier: tier as i16,
        name,
    })
}
