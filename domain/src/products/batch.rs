//! Many products at once, for a catalog download: a draft applied in memory (the checks
//! that need no database), the products and families of one page looked up by SKU in one
//! query each, and new products, their prices and new families inserted in one statement
//! each. Updates of existing products go through [`super::update_product`], which keeps
//! every rule (and writes nothing when nothing changed).

use std::collections::HashMap;

use chrono::Utc;
use rust_decimal::Decimal;
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, EntityTrait, Statement};
use serde_json::json;
use uuid::Uuid;

use entities::enums::{ProductKind, ProductStatus};
use entities::{product, product_family, product_price};

use super::ProductDraft;
use super::write::{apply_plain_fields, check_prices};
use crate::error::{DomainResult, ErrorCode, FieldError};
use crate::rows::{Column, insert_rows};

/// A product row ready to insert, with its prices.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProduct {
    pub row: product::Model,
    pub prices: Vec<(i16, Decimal)>,
}

/// A product row with a draft applied, and the prices to set (`None` removes a tier's
/// price).
pub type Applied = (product::Model, Vec<(i16, Option<Decimal>)>);

/// What `draft` makes of `row` (a blank row for a new product), checked as far as that
/// is possible without the database: SKU and name, measures, prices, and the family's
/// option values against `family` (the family `draft.family` names, which the caller
/// has loaded). The location and tax rule the draft names are taken as they are: the
/// caller vouches that they belong to the organisation. Returns the row and the prices
/// to set (`None` removes a tier's price).
pub fn apply_draft(
    mut row: product::Model,
    draft: &ProductDraft,
    family: Option<&product_family::Model>,
) -> Result<Applied, Vec<FieldError>> {
    let mut errors = Vec::new();
    apply_plain_fields(&mut row, draft, &mut errors);
    if let Some(location_id) = draft.default_location_id {
        row.default_location_id = location_id;
    }
    if let Some(rule_id) = draft.sale_tax_rule_id {
        row.sale_tax_rule_id = rule_id;
    }
    match &draft.family {
        None => {}
        Some(None) => {
            row.family_id = None;
            (row.option1_value, row.option2_value, row.option3_value) = (None, None, None);
        }
        Some(Some(membership)) => match family.filter(|f| f.id == membership.family_id) {
            None => errors.push(FieldError::new(
                &["family", "familyId"],
                ErrorCode::NotFound,
                "no such family",
            )),
            Some(family) => {
                let names = [
                    &family.option1_name,
                    &family.option2_name,
                    &family.option3_name,
                ]
                .into_iter()
                .flatten()
                .count();
                let values: Vec<String> = membership
                    .option_values
                    .iter()
                    .map(|v| v.trim().to_owned())
                    .collect();
                if values.len() != names || values.iter().any(String::is_empty) {
                    errors.push(FieldError::new(
                        &["family", "optionValues"],
                        ErrorCode::InvalidCombination,
                        format!(
                            "family {} has {names} option(s); give one non-empty value for each",
                            family.sku
                        ),
                    ));
                } else {
                    let mut values = values.into_iter();
                    row.family_id = Some(family.id);
                    row.option1_value = values.next();
                    row.option2_value = values.next();
                    row.option3_value = values.next();
                }
            }
        },
    }
    if draft.components.as_ref().is_some_and(|c| !c.is_empty()) {
        errors.push(FieldError::new(
            &["components"],
            ErrorCode::InvalidCombination,
            "a bill of materials is not set in bulk",
        ));
    }
    // Only a draft turning it on is refused: a product that has it already has its bill
    // of materials, which the bulk path leaves alone.
    if draft.auto_assembly == Some(true) {
        errors.push(FieldError::new(
            &["autoAssembly"],
            ErrorCode::RequiresSetting,
            "auto-assembly needs a bill of materials, which is not set in bulk",
        ));
    }
    let prices = match &draft.prices {
        Some(prices) => check_prices(prices, &mut errors),
        None => Vec::new(),
    };
    if errors.is_empty() {
        Ok((row, prices))
    } else {
        Err(errors)
    }
}

/// A product row with every field at its default, before a draft is applied.
pub(super) fn blank_product(org_id: Uuid) -> product::Model {
    let now = Utc::now();
    product::Model {
        id: Uuid::new_v4(),
        org_id,
        sku: String::new(),
        name: String::new(),
        description: None,
        kind: ProductKind::Stock,
        status: ProductStatus::Active,
        category: None,
        brand: None,
        tags: serde_json::json!([]),
        attribute_set: None,
        family_id: None,
        option1_value: None,
        option2_value: None,
        option3_value: None,
        length: None,
        width: None,
        height: None,
        weight: None,
        images: serde_json::json!([]),
        default_location_id: None,
        sale_tax_rule_id: None,
        auto_assembly: false,
        created_at: now,
        updated_at: now,
    }
}

/// A new product of `org_id` built from `draft` (which must name a SKU and a name).
pub fn new_product(
    org_id: Uuid,
    draft: &ProductDraft,
    family: Option<&product_family::Model>,
) -> Result<NewProduct, Vec<FieldError>> {
    let blank = blank_product(org_id);
    let mut missing = Vec::new();
    if draft.sku.is_none() {
        missing.push(FieldError::new(
            &["sku"],
            ErrorCode::Invalid,
            "a product needs a SKU",
        ));
    }
    if draft.name.is_none() {
        missing.push(FieldError::new(
            &["name"],
            ErrorCode::Invalid,
            "a product needs a name",
        ));
    }
    let applied = apply_draft(blank, draft, family);
    match applied {
        Ok((row, prices)) if missing.is_empty() => Ok(NewProduct {
            row,
            prices: prices
                .into_iter()
                .filter_map(|(tier, price)| price.map(|p| (tier, p)))
                .collect(),
        }),
        Ok(_) => Err(missing),
        Err(mut errors) => {
            missing.append(&mut errors);
            Err(missing)
        }
    }
}

/// Whether applying `draft` to `current` (with `prices` its stored prices) would change
/// anything: the row (its `updated_at` aside) or a price.
pub fn would_change(
    current: &product::Model,
    prices: &[product_price::Model],
    applied: &Applied,
) -> bool {
    let (row, new_prices) = applied;
    let mut row = row.clone();
    row.updated_at = current.updated_at;
    row != *current
        || new_prices
            .iter()
            .any(|(tier, price)| prices.iter().find(|p| p.tier == *tier).map(|p| p.price) != *price)
}

/// Inserts new products and their prices, one statement each. A SKU taken meanwhile
/// fails the whole statement (the unique index), so callers run it in a transaction
/// and fall back to one product at a time.
pub async fn insert_products<C: ConnectionTrait>(
    db: &C,
    products: &[NewProduct],
) -> DomainResult<()> {
    if products.is_empty() {
        return Ok(());
    }
    let rows = products.iter().map(|p| product_json(&p.row)).collect();
    db.execute_raw(insert_rows("products", PRODUCT_COLUMNS, rows))
        .await?;
    let prices: Vec<serde_json::Value> = products
        .iter()
        .flat_map(|p| {
            p.prices.iter().map(|(tier, price)| {
                json!({ "product_id": p.row.id.to_string(), "tier": tier, "price": price.to_string() })
            })
        })
        .collect();
    if !prices.is_empty() {
        db.execute_raw(insert_rows(
            "product_prices",
            &[
                ("product_id", "uuid"),
                ("tier", "smallint"),
                ("price", "numeric"),
            ],
            prices,
        ))
        .await?;
    }
    Ok(())
}

/// Gives `location_id` as default location to those of the products that have none,
/// in one statement (one index lookup per id, see [`by_lower_sku`]).
pub async fn fill_default_location<C: ConnectionTrait>(
    db: &C,
    product_ids: &[Uuid],
    location_id: Uuid,
) -> DomainResult<()> {
    if product_ids.is_empty() {
        return Ok(());
    }
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "UPDATE products p SET default_location_id = $1, updated_at = $2 \
         FROM unnest($3::uuid[]) AS k(id) \
         WHERE p.id = k.id AND p.default_location_id IS NULL",
        [
            location_id.into(),
            Utc::now().into(),
            product_ids.to_vec().into(),
        ],
    ))
    .await?;
    Ok(())
}

const PRODUCT_COLUMNS: &[Column] = &[
    ("id", "uuid"),
    ("org_id", "uuid"),
    ("sku", "text"),
    ("name", "text"),
    ("description", "text"),
    ("kind", "text"),
    ("status", "text"),
    ("category", "text"),
    ("brand", "text"),
    ("tags", "jsonb"),
    ("attribute_set", "text"),
    ("family_id", "uuid"),
    ("option1_value", "text"),
    ("option2_value", "text"),
    ("option3_value", "text"),
    ("length", "numeric"),
    ("width", "numeric"),
    ("height", "numeric"),
    ("weight", "numeric"),
    ("images", "jsonb"),
    ("default_location_id", "uuid"),
    ("sale_tax_rule_id", "uuid"),
    ("auto_assembly", "boolean"),
    ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
];

fn product_json(row: &product::Model) -> serde_json::Value {
    let decimal = |d: Option<Decimal>| d.map(|d| d.to_string());
    let uuid = |u: Option<Uuid>| u.map(|u| u.to_string());
    json!({
        "id": row.id.to_string(),
        "org_id": row.org_id.to_string(),
        "sku": row.sku,
        "name": row.name,
        "description": row.description,
        "kind": row.kind.to_value(),
        "status": row.status.to_value(),
        "category": row.category,
        "brand": row.brand,
        "tags": row.tags,
        "attribute_set": row.attribute_set,
        "family_id": uuid(row.family_id),
        "option1_value": row.option1_value,
        "option2_value": row.option2_value,
        "option3_value": row.option3_value,
        "length": decimal(row.length),
        "width": decimal(row.width),
        "height": decimal(row.height),
        "weight": decimal(row.weight),
        "images": row.images,
        "default_location_id": uuid(row.default_location_id),
        "sale_tax_rule_id": uuid(row.sale_tax_rule_id),
        "auto_assembly": row.auto_assembly,
        "created_at": crate::rows::instant(row.created_at),
        "updated_at": crate::rows::instant(row.updated_at),
    })
}

/// The rows of `table` (products or families) with any of `skus`, ignoring case. One
/// index lookup per SKU: as `lower(sku) = ANY($2)` the planner, without statistics on
/// the expression (a table a download is filling), takes every row to match and scans
/// the whole table for each page.
fn by_lower_sku(table: &'static str, org_id: Uuid, skus: &[String]) -> Statement {
    let mut lowered: Vec<String> = skus.iter().map(|s| s.to_lowercase()).collect();
    lowered.sort_unstable();
    lowered.dedup();
    Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "SELECT t.* FROM unnest($2::text[]) AS k(sku) \
             JOIN LATERAL (SELECT * FROM {table} WHERE org_id = $1 AND lower(sku) = k.sku) t ON true"
        ),
        [org_id.into(), lowered.into()],
    )
}

/// The organisation's products with any of `skus` (compared ignoring case), keyed by
/// lower-cased SKU.
pub async fn products_with_skus<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    skus: &[String],
) -> DomainResult<HashMap<String, product::Model>> {
    if skus.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(product::Entity::find()
        .from_raw_sql(by_lower_sku("products", org_id, skus))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.sku.to_lowercase(), row))
        .collect())
}

/// The organisation's products with any of `skus` (compared ignoring case), keyed by
/// lower-cased SKU, with their prices.
pub async fn products_by_skus<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    skus: &[String],
) -> DomainResult<HashMap<String, (product::Model, Vec<product_price::Model>)>> {
    let rows: Vec<product::Model> = products_with_skus(db, org_id, skus)
        .await?
        .into_values()
        .collect();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut prices: HashMap<Uuid, Vec<product_price::Model>> = HashMap::new();
    if !ids.is_empty() {
        for price in product_price::Entity::find()
            .from_raw_sql(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pp.* FROM unnest($1::uuid[]) AS k(id) \
                 JOIN LATERAL (SELECT * FROM product_prices WHERE product_id = k.id) pp ON true",
                [ids.into()],
            ))
            .all(db)
            .await?
        {
            prices.entry(price.product_id).or_default().push(price);
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let own = prices.remove(&row.id).unwrap_or_default();
            (row.sku.to_lowercase(), (row, own))
        })
        .collect())
}

/// The organisation's families with any of `skus` (compared ignoring case), keyed by
/// lower-cased SKU.
pub async fn families_by_skus<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    skus: &[String],
) -> DomainResult<HashMap<String, product_family::Model>> {
    if skus.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(product_family::Entity::find()
        .from_raw_sql(by_lower_sku("product_families", org_id, skus))
        .all(db)
        .await?
        .into_iter()
        .map(|family| (family.sku.to_lowercase(), family))
        .collect())
}
