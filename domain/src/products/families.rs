//! Product families: a SKU and up to three options (Size, Colour, …); their variants
//! are products that name the family and one value per option.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, TransactionTrait,
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
    /// The family's own image URLs, in order; `None` keeps them (none for a new family).
    pub images: Option<Vec<String>>,
}

/// The family's own image URLs, in order.
pub fn family_images(family: &product_family::Model) -> Vec<String> {
    super::string_list(&family.images)
}

pub async fn create_family(
    db: &DatabaseConnection,
    org_id: Uuid,
    draft: FamilyDraft,
) -> DomainResult<product_family::Model> {
    let checked = family_row(org_id, None, &draft);
    let mut errors = checked.as_ref().err().cloned().unwrap_or_default();
    let sku = draft.sku.trim().to_owned();
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
                &["sku"],
                ErrorCode::AlreadyExists,
                "a product has this SKU",
            ));
        }
    }
    let row = match checked {
        Ok(row) if errors.is_empty() => row,
        _ => return Err(DomainError::Invalid(errors)),
    };
    let created = row.into_active_model().insert(&txn).await;
    let created = match created {
        Err(err) if unique_violation(&err) => {
            return Err(DomainError::invalid(
                &["sku"],
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

/// The family row `draft` describes, checked without the database: `base` is the
/// stored family to update, or `None` for a new one. Blank texts read as none.
pub fn family_row(
    org_id: Uuid,
    base: Option<&product_family::Model>,
    draft: &FamilyDraft,
) -> Result<product_family::Model, Vec<FieldError>> {
    let mut errors = Vec::new();
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let sku = draft.sku.trim().to_owned();
    let name = draft.name.trim().to_owned();
    if sku.is_empty() {
        errors.push(FieldError::new(
            &["sku"],
            ErrorCode::Invalid,
            "a family needs a SKU",
        ));
    }
    if name.is_empty() {
        errors.push(FieldError::new(
            &["name"],
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
            &["optionNames"],
            ErrorCode::OutOfRange,
            "a family has one to three named options",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let now = Utc::now();
    let mut names = options.into_iter();
    Ok(product_family::Model {
        id: base.map_or_else(Uuid::new_v4, |b| b.id),
        org_id,
        sku,
        name,
        description: text(&draft.description),
        category: text(&draft.category),
        brand: text(&draft.brand),
        option1_name: names.next(),
        option2_name: names.next(),
        option3_name: names.next(),
        images: match &draft.images {
            Some(images) => serde_json::json!(super::write::distinct_non_empty(images)),
            None => base.map_or_else(|| serde_json::json!([]), |b| b.images.clone()),
        },
        created_at: base.map_or(now, |b| b.created_at),
        updated_at: base.map_or(now, |b| b.updated_at),
    })
}

/// Inserts new families in one statement (see [`family_row`]).
pub async fn insert_families<C: sea_orm::ConnectionTrait>(
    db: &C,
    rows: &[product_family::Model],
) -> DomainResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let models = rows
        .iter()
        .map(|row| ActiveModelTrait::reset_all(product_family::ActiveModel::from(row.clone())));
    product_family::Entity::insert_many(models).exec(db).await?;
    Ok(())
}

/// Writes `row` over the stored family unless they are equal (then nothing is written
/// and `updated_at` stays).
pub async fn update_family_row<C: sea_orm::ConnectionTrait>(
    db: &C,
    current: &product_family::Model,
    mut row: product_family::Model,
) -> DomainResult<product_family::Model> {
    row.updated_at = current.updated_at;
    if row == *current {
        return Ok(row);
    }
    row.updated_at = Utc::now();
    let saved = ActiveModelTrait::reset_all(product_family::ActiveModel::from(row))
        .update(db)
        .await;
    match saved {
        Err(err) if unique_violation(&err) => Err(DomainError::invalid(
            &["sku"],
            ErrorCode::AlreadyExists,
            "a family has this SKU",
        )),
        other => Ok(other?),
    }
}
