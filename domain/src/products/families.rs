//! Product families: a SKU and up to three options (Size, Colour, …); their variants
//! are products that name the family and one value per option.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use uuid::Uuid;

use entities::{product, product_family};

use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::reference::unique_violation;

#[derive(Debug, Clone, Default)]
pub struct FamilyDraft {
    pub sku: String,
    pub name: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub brand: Option<String>,
    /// One to three option names, in order.
    pub option_names: Vec<String>,
}

pub async fn create_family(
    db: &DatabaseConnection,
    org_id: Uuid,
    draft: FamilyDraft,
) -> DomainResult<product_family::Model> {
    let mut errors = Vec::new();
    let sku = draft.sku.trim().to_owned();
    let name = draft.name.trim().to_owned();
    if sku.is_empty() {
        errors.push(FieldError::new(
            &["input", "sku"],
            ErrorCode::Invalid,
            "a family needs a SKU",
        ));
    }
    if name.is_empty() {
        errors.push(FieldError::new(
            &["input", "name"],
            ErrorCode::Invalid,
            "a family needs a name",
        ));
    }
    let options: Vec<String> = draft
        .option_names
        .iter()
        .map(|o| o.trim().to_owned())
        .collect();
    if options.is_empty() || options.len() > 3 || options.iter().any(String::is_empty) {
        errors.push(FieldError::new(
            &["input", "optionNames"],
            ErrorCode::OutOfRange,
            "a family has one to three named options",
        ));
    }
    let txn = db.begin().await?;
    if !sku.is_empty() {
        let taken = product::Entity::find()
            .filter(product::Column::OrgId.eq(org_id))
            .filter(Expr::cust_with_values(
                "lower(sku) = lower($1)",
                [sku.clone()],
            ))
            .one(&txn)
            .await?
            .is_some();
        if taken {
            errors.push(FieldError::new(
                &["input", "sku"],
                ErrorCode::AlreadyExists,
                "a product has this SKU",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors));
    }
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let now = Utc::now();
    let mut names = options.into_iter();
    let created = product_family::ActiveModel {
        id: Set(Uuid::new_v4()),
        org_id: Set(org_id),
        sku: Set(sku),
        name: Set(name),
        description: Set(text(&draft.description)),
        category: Set(text(&draft.category)),
        brand: Set(text(&draft.brand)),
        option1_name: Set(names.next()),
        option2_name: Set(names.next()),
        option3_name: Set(names.next()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await;
    let created = match created {
        Err(err) if unique_violation(&err) => {
            return Err(DomainError::invalid(
                &["input", "sku"],
                ErrorCode::AlreadyExists,
                "a family has this SKU",
            ));
        }
        other => other?,
    };
    txn.commit().await?;
    Ok(created)
}

pub async fn family(
    db: &DatabaseConnection,
    org_id: Uuid,
    id: Uuid,
) -> DomainResult<product_family::Model> {
    product_family::Entity::find_by_id(id)
        .filter(product_family::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound { entity: "family" })
}

pub async fn families(
    db: &DatabaseConnection,
    org_id: Uuid,
) -> DomainResult<Vec<product_family::Model>> {
    Ok(product_family::Entity::find()
        .filter(product_family::Column::OrgId.eq(org_id))
        .order_by_asc(product_family::Column::Sku)
        .all(db)
        .await?)
}
