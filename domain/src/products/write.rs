//! Creating and updating a product: the draft is applied to the current row, every
//! field checked (all problems reported together), then the row, its prices and its
//! bill of materials written in one transaction.

use std::collections::BTreeSet;

use chrono::Utc;
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    IntoActiveModel, QueryFilter, QuerySelect, Set, Statement, TransactionTrait,
};
use uuid::Uuid;

use entities::enums::ProductKind;
use entities::{bill_of_materials, location, product, product_family, product_price, tax_rule};

use super::{ComponentLine, FamilyMembership, ProductDraft, ProductRecord, query};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::reference::unique_violation;

/// Magento's SKU column is 64 characters; a longer SKU could never be listed.
pub const MAX_SKU_LENGTH: usize = 64;
const MAX_NAME_LENGTH: usize = 255;

pub async fn create_product(
    db: &DatabaseConnection,
    org_id: Uuid,
    draft: ProductDraft,
) -> DomainResult<ProductRecord> {
    let blank = super::batch::blank_product(org_id);
    let mut errors = Vec::new();
    if draft.sku.is_none() {
        errors.push(FieldError::new(
            &["sku"],
            ErrorCode::Invalid,
            "a product needs a SKU",
        ));
    }
    if draft.name.is_none() {
        errors.push(FieldError::new(
            &["name"],
            ErrorCode::Invalid,
            "a product needs a name",
        ));
    }
    let txn = db.begin().await?;
    let record = save(&txn, org_id, blank, None, draft, errors).await?;
    txn.commit().await?;
    Ok(record)
}

pub async fn update_product(
    db: &DatabaseConnection,
    org_id: Uuid,
    id: Uuid,
    draft: ProductDraft,
) -> DomainResult<ProductRecord> {
    let txn = db.begin().await?;
    let current = product::Entity::find_by_id(id)
        .filter(product::Column::OrgId.eq(org_id))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound { entity: "product" })?;
    let record = save(
        &txn,
        org_id,
        current.clone(),
        Some(current),
        draft,
        Vec::new(),
    )
    .await?;
    txn.commit().await?;
    Ok(record)
}

/// The fields a draft sets without looking anything up (text, measures, kind, status,
/// tags, images, auto-assembly): shared by the one-product writer and the bulk path.
pub(super) fn apply_plain_fields(
    row: &mut product::Model,
    draft: &ProductDraft,
    errors: &mut Vec<FieldError>,
) {
    apply_text_fields(row, draft, errors);
    apply_measures(row, draft, errors);
    if let Some(kind) = draft.kind {
        row.kind = kind;
    }
    if let Some(status) = draft.status {
        row.status = status;
    }
    if let Some(tags) = &draft.tags {
        row.tags = serde_json::json!(distinct_non_empty(tags));
    }
    if let Some(images) = &draft.images {
        row.images = serde_json::json!(distinct_non_empty(images));
    }
    if let Some(auto_assembly) = draft.auto_assembly {
        row.auto_assembly = auto_assembly;
    }
}

async fn save<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    mut row: product::Model,
    current: Option<product::Model>,
    draft: ProductDraft,
    mut errors: Vec<FieldError>,
) -> DomainResult<ProductRecord> {
    apply_plain_fields(&mut row, &draft, &mut errors);
    if let Some(location_id) = draft.default_location_id {
        row.default_location_id = location_id;
        if let Some(id) = location_id
            && !owns::<location::Entity, _>(db, org_id, id, location::Column::OrgId).await?
        {
            errors.push(FieldError::new(
                &["defaultLocationId"],
                ErrorCode::NotFound,
                "no such location",
            ));
        }
    }
    if let Some(rule_id) = draft.sale_tax_rule_id {
        row.sale_tax_rule_id = rule_id;
        if let Some(id) = rule_id
            && !owns::<tax_rule::Entity, _>(db, org_id, id, tax_rule::Column::OrgId).await?
        {
            errors.push(FieldError::new(
                &["saleTaxRuleId"],
                ErrorCode::NotFound,
                "no such tax rule",
            ));
        }
    }
    if let Some(membership) = &draft.family {
        apply_family(db, org_id, &mut row, membership.as_ref(), &mut errors).await?;
    }
    let prices = match &draft.prices {
        Some(prices) => check_prices(prices, &mut errors),
        None => Vec::new(),
    };
    let components = match &draft.components {
        Some(lines) => Some(check_components(db, org_id, &row, lines, &mut errors).await?),
        None => None,
    };
    check_composition(
        db,
        &row,
        current.as_ref(),
        components.as_deref(),
        &mut errors,
    )
    .await?;
    if !row.sku.is_empty() {
        check_sku_free(db, org_id, &row, &mut errors).await?;
    }
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors));
    }
    // An update that changes nothing writes nothing, so `updated_at` keeps saying when
    // the product last changed (a re-run download must not touch it).
    if let Some(current) = &current
        && row == *current
        && prices_unchanged(db, row.id, &prices).await?
        && match &components {
            None => true,
            Some(lines) => components_unchanged(db, row.id, lines).await?,
        }
    {
        return query::record(db, org_id, row.id).await;
    }

    row.updated_at = Utc::now();
    let id = row.id;
    let written = match current {
        None => row.into_active_model().reset_all().insert(db).await,
        Some(_) => row.into_active_model().reset_all().update(db).await,
    };
    match written {
        Err(err) if unique_violation(&err) => {
            return Err(DomainError::invalid(
                &["sku"],
                ErrorCode::AlreadyExists,
                "another product or family has this SKU (or these option values)",
            ));
        }
        other => other?,
    };
    write_prices(db, id, &prices).await?;
    if let Some(components) = components {
        write_components(db, id, &components).await?;
    }
    query::record(db, org_id, id).await
}

/// A quantity as its `numeric(19, 4)` column keeps it (Postgres rounds half away from
/// zero), so comparing a draft with the stored row compares what would be stored.
pub(crate) fn stored_decimal(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

async fn prices_unchanged<C: ConnectionTrait>(
    db: &C,
    product_id: Uuid,
    prices: &[(i16, Option<Decimal>)],
) -> DomainResult<bool> {
    if prices.is_empty() {
        return Ok(true);
    }
    let stored = product_price::Entity::find()
        .filter(product_price::Column::ProductId.eq(product_id))
        .all(db)
        .await?;
    Ok(prices
        .iter()
        .all(|(tier, price)| stored.iter().find(|p| p.tier == *tier).map(|p| p.price) == *price))
}

async fn components_unchanged<C: ConnectionTrait>(
    db: &C,
    product_id: Uuid,
    lines: &[ComponentLine],
) -> DomainResult<bool> {
    let stored = bill_of_materials::Entity::find()
        .filter(bill_of_materials::Column::ProductId.eq(product_id))
        .all(db)
        .await?;
    Ok(stored.len() == lines.len()
        && lines.iter().all(|line| {
            stored
                .iter()
                .any(|s| s.component_id == line.component_id && s.quantity == line.quantity)
        }))
}

fn trimmed(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn optional_text(value: &Option<String>) -> Option<String> {
    value.as_deref().and_then(trimmed)
}

pub(super) fn distinct_non_empty(values: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    values
        .iter()
        .filter_map(|v| trimmed(v))
        .filter(|v| seen.insert(v.clone()))
        .collect()
}

fn apply_text_fields(row: &mut product::Model, draft: &ProductDraft, errors: &mut Vec<FieldError>) {
    if let Some(sku) = &draft.sku {
        match trimmed(sku) {
            None => errors.push(FieldError::new(
                &["sku"],
                ErrorCode::Invalid,
                "the SKU must not be empty",
            )),
            Some(sku) if sku.chars().count() > MAX_SKU_LENGTH => errors.push(FieldError::new(
                &["sku"],
                ErrorCode::OutOfRange,
                format!("a SKU has at most {MAX_SKU_LENGTH} characters (Magento's limit)"),
            )),
            Some(sku) => row.sku = sku,
        }
    }
    if let Some(name) = &draft.name {
        match trimmed(name) {
            None => errors.push(FieldError::new(
                &["name"],
                ErrorCode::Invalid,
                "the name must not be empty",
            )),
            Some(name) if name.chars().count() > MAX_NAME_LENGTH => errors.push(FieldError::new(
                &["name"],
                ErrorCode::OutOfRange,
                format!("a name has at most {MAX_NAME_LENGTH} characters"),
            )),
            Some(name) => row.name = name,
        }
    }
    if let Some(value) = &draft.description {
        row.description = optional_text(value);
    }
    if let Some(value) = &draft.category {
        row.category = optional_text(value);
    }
    if let Some(value) = &draft.brand {
        row.brand = optional_text(value);
    }
    if let Some(value) = &draft.attribute_set {
        row.attribute_set = optional_text(value);
    }
}

fn apply_measures(row: &mut product::Model, draft: &ProductDraft, errors: &mut Vec<FieldError>) {
    let measures = [
        ("length", draft.length, &mut row.length),
        ("width", draft.width, &mut row.width),
        ("height", draft.height, &mut row.height),
        ("weight", draft.weight, &mut row.weight),
    ];
    for (field, given, target) in measures {
        match given {
            None => {}
            Some(Some(value)) if value < Decimal::ZERO => errors.push(FieldError::new(
                &[field],
                ErrorCode::OutOfRange,
                format!("the {field} cannot be negative"),
            )),
            Some(value) => *target = value.map(stored_decimal),
        }
    }
}

async fn owns<E, C>(db: &C, org_id: Uuid, id: Uuid, org_column: E::Column) -> DomainResult<bool>
where
    E: EntityTrait,
    C: ConnectionTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    Ok(E::find_by_id(id)
        .filter(org_column.eq(org_id))
        .one(db)
        .await?
        .is_some())
}

async fn apply_family<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    row: &mut product::Model,
    membership: Option<&FamilyMembership>,
    errors: &mut Vec<FieldError>,
) -> DomainResult<()> {
    let Some(membership) = membership else {
        row.family_id = None;
        (row.option1_value, row.option2_value, row.option3_value) = (None, None, None);
        return Ok(());
    };
    let Some(family) = product_family::Entity::find_by_id(membership.family_id)
        .filter(product_family::Column::OrgId.eq(org_id))
        .one(db)
        .await?
    else {
        errors.push(FieldError::new(
            &["family", "familyId"],
            ErrorCode::NotFound,
            "no such family",
        ));
        return Ok(());
    };
    let option_names: Vec<&String> = [
        &family.option1_name,
        &family.option2_name,
        &family.option3_name,
    ]
    .into_iter()
    .flatten()
    .collect();
    let values: Vec<Option<String>> = membership
        .option_values
        .iter()
        .map(|v| trimmed(v))
        .collect();
    if values.len() != option_names.len() || values.iter().any(Option::is_none) {
        errors.push(FieldError::new(
            &["family", "optionValues"],
            ErrorCode::InvalidCombination,
            format!(
                "family {} has {} option(s) ({}); give one non-empty value for each, in that order",
                family.sku,
                option_names.len(),
                option_names
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
        return Ok(());
    }
    let mut values = values.into_iter().flatten();
    row.family_id = Some(family.id);
    row.option1_value = values.next();
    row.option2_value = values.next();
    row.option3_value = values.next();
    Ok(())
}

pub(super) fn check_prices(
    prices: &[(i32, Option<Decimal>)],
    errors: &mut Vec<FieldError>,
) -> Vec<(i16, Option<Decimal>)> {
    let mut seen = BTreeSet::new();
    let mut checked = Vec::new();
    for (index, (tier, price)) in prices.iter().enumerate() {
        let index = index.to_string();
        let path = ["prices", index.as_str()];
        if !(1..=10).contains(tier) {
            errors.push(FieldError::new(
                &path,
                ErrorCode::OutOfRange,
                "price tiers are 1 to 10",
            ));
            continue;
        }
        if !seen.insert(*tier) {
            errors.push(FieldError::new(
                &path,
                ErrorCode::Invalid,
                format!("tier {tier} is priced twice"),
            ));
            continue;
        }
        if price.is_some_and(|p| p < Decimal::ZERO) {
            errors.push(FieldError::new(
                &path,
                ErrorCode::OutOfRange,
                "a price cannot be negative",
            ));
            continue;
        }
        checked.push((*tier as i16, price.map(stored_decimal)));
    }
    checked
}

async fn check_components<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    row: &product::Model,
    lines: &[ComponentLine],
    errors: &mut Vec<FieldError>,
) -> DomainResult<Vec<ComponentLine>> {
    let mut seen = BTreeSet::new();
    let mut checked = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let index = index.to_string();
        let path = ["components", index.as_str()];
        if line.quantity <= Decimal::ZERO {
            errors.push(FieldError::new(
                &path,
                ErrorCode::OutOfRange,
                "a component quantity must be positive",
            ));
            continue;
        }
        if let Some(error) = crate::stock::quantity_bound_error(&path, line.quantity) {
            errors.push(error);
            continue;
        }
        if line.component_id == row.id {
            errors.push(FieldError::new(
                &path,
                ErrorCode::InvalidCombination,
                "a product cannot be its own component",
            ));
            continue;
        }
        if !seen.insert(line.component_id) {
            errors.push(FieldError::new(
                &path,
                ErrorCode::Invalid,
                "this component is listed twice",
            ));
            continue;
        }
        let component = product::Entity::find_by_id(line.component_id)
            .filter(product::Column::OrgId.eq(org_id))
            .one(db)
            .await?;
        match component {
            None => errors.push(FieldError::new(
                &path,
                ErrorCode::NotFound,
                "no such component product",
            )),
            Some(c) if c.kind == ProductKind::GiftCard => errors.push(FieldError::new(
                &path,
                ErrorCode::InvalidCombination,
                format!("{} is a gift card and cannot be a component", c.sku),
            )),
            Some(_) => checked.push(line.clone()),
        }
    }
    if !checked.is_empty() && uses_transitively(db, &checked, row.id).await? {
        errors.push(FieldError::new(
            &["components"],
            ErrorCode::InvalidCombination,
            "a component is (directly or through its own components) made of this product",
        ));
    }
    Ok(checked)
}

/// Whether any of `components`, through the bills of materials, contains `product_id`.
async fn uses_transitively<C: ConnectionTrait>(
    db: &C,
    components: &[ComponentLine],
    product_id: Uuid,
) -> DomainResult<bool> {
    let ids: Vec<Uuid> = components.iter().map(|c| c.component_id).collect();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "WITH RECURSIVE reach(id) AS ( \
                 SELECT unnest($1::uuid[]) \
                 UNION \
                 SELECT b.component_id FROM bill_of_materials b JOIN reach r ON b.product_id = r.id \
                 WHERE b.product_id <> $2 \
             ) SELECT EXISTS (SELECT 1 FROM reach WHERE id = $2) AS cyclic",
            [ids.into(), product_id.into()],
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get("", "cyclic")?,
        None => false,
    })
}

/// Rules that span fields: what a bill of materials and auto-assembly need, and that a
/// product with stock keeps being a stock product.
async fn check_composition<C: ConnectionTrait>(
    db: &C,
    row: &product::Model,
    current: Option<&product::Model>,
    new_components: Option<&[ComponentLine]>,
    errors: &mut Vec<FieldError>,
) -> DomainResult<()> {
    let has_components = match new_components {
        Some(lines) => !lines.is_empty(),
        None => match current {
            Some(_) => bill_of_materials::Entity::find()
                .filter(bill_of_materials::Column::ProductId.eq(row.id))
                .one(db)
                .await?
                .is_some(),
            None => false,
        },
    };
    if has_components && row.kind != ProductKind::Stock {
        errors.push(FieldError::new(
            &["components"],
            ErrorCode::InvalidCombination,
            "only stock products have a bill of materials",
        ));
    }
    if row.auto_assembly && !has_components {
        errors.push(FieldError::new(
            &["autoAssembly"],
            ErrorCode::RequiresSetting,
            "auto-assembly needs a bill of materials",
        ));
    }
    if let Some(current) = current
        && current.kind == ProductKind::Stock
        && row.kind != ProductKind::Stock
    {
        let holds_stock = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT EXISTS (SELECT 1 FROM stock_levels WHERE product_id = $1 \
                 AND (on_hand <> 0 OR allocated <> 0)) AS holds",
                [row.id.into()],
            ))
            .await?
            .map(|r| r.try_get::<bool>("", "holds"))
            .transpose()?
            .unwrap_or(false);
        if holds_stock {
            errors.push(FieldError::new(
                &["kind"],
                ErrorCode::InvalidCombination,
                "this product has stock or allocations; bring them to zero before changing its kind",
            ));
        }
    }
    Ok(())
}

async fn check_sku_free<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    row: &product::Model,
    errors: &mut Vec<FieldError>,
) -> DomainResult<()> {
    let product_clash = product::Entity::find()
        .filter(product::Column::OrgId.eq(org_id))
        .filter(product::Column::Id.ne(row.id))
        .filter(Expr::cust_with_values(
            "lower(sku) = lower($1)",
            [row.sku.clone()],
        ))
        .one(db)
        .await?;
    let family_clash = product_family::Entity::find()
        .filter(product_family::Column::OrgId.eq(org_id))
        .filter(Expr::cust_with_values(
            "lower(sku) = lower($1)",
            [row.sku.clone()],
        ))
        .one(db)
        .await?;
    if product_clash.is_some() || family_clash.is_some() {
        errors.push(FieldError::new(
            &["sku"],
            ErrorCode::AlreadyExists,
            format!(
                "SKU {} is taken (SKUs are compared without regard to case)",
                row.sku
            ),
        ));
    }
    Ok(())
}

async fn write_prices<C: ConnectionTrait>(
    db: &C,
    product_id: Uuid,
    prices: &[(i16, Option<Decimal>)],
) -> DomainResult<()> {
    for (tier, price) in prices {
        product_price::Entity::delete_many()
            .filter(product_price::Column::ProductId.eq(product_id))
            .filter(product_price::Column::Tier.eq(*tier))
            .exec(db)
            .await?;
        if let Some(price) = price {
            product_price::ActiveModel {
                product_id: Set(product_id),
                tier: Set(*tier),
                price: Set(*price),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

async fn write_components<C: ConnectionTrait>(
    db: &C,
    product_id: Uuid,
    components: &[ComponentLine],
) -> DomainResult<()> {
    bill_of_materials::Entity::delete_many()
        .filter(bill_of_materials::Column::ProductId.eq(product_id))
        .exec(db)
        .await?;
    for line in components {
        bill_of_materials::ActiveModel {
            product_id: Set(product_id),
            component_id: Set(line.component_id),
            quantity: Set(line.quantity),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}
