//! Reading products: one by id or SKU, and filtered pages — the same filters bulk
//! listing selects by (category, brand, family, tag, attribute set, free text).

use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use entities::enums::{ProductKind, ProductStatus};
use entities::{bill_of_materials, product, product_price};

use super::ProductRecord;
use crate::error::{DomainError, DomainResult};
use crate::page::{Page, PageRequest};

#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    /// Exact, ignoring case.
    pub category: Option<String>,
    pub brand: Option<String>,
    pub family_id: Option<Uuid>,
    /// Products carrying this tag (exact).
    pub tag: Option<String>,
    pub attribute_set: Option<String>,
    /// Part of the SKU or the name, ignoring case.
    pub search: Option<String>,
    pub status: Option<ProductStatus>,
    pub kind: Option<ProductKind>,
    /// Exactly these SKUs (ignoring case).
    pub skus: Option<Vec<String>>,
    /// Listed in each of these stores (bulk listing's "Products Listed in …", and the
    /// catalogue's "Listed" status).
    pub listed_in: Vec<Uuid>,
    /// Listed in none of these stores (never linked, or linked but not listed).
    pub not_listed_in: Vec<Uuid>,
}

pub(crate) async fn record<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    id: Uuid,
) -> DomainResult<ProductRecord> {
    product(db, org_id, id).await
}

pub async fn product<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    id: Uuid,
) -> DomainResult<ProductRecord> {
    let row = product::Entity::find_by_id(id)
        .filter(product::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound { entity: "product" })?;
    Ok(with_details(db, vec![row]).await?.remove(0))
}

/// The organisation's products among `ids`, in one batch of queries (others' and
/// unknown ids are left out): what a page of sale lines resolves its products with.
pub async fn products_by_ids<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    ids: &[Uuid],
) -> DomainResult<Vec<ProductRecord>> {
    let rows = product::Entity::find()
        .filter(product::Column::OrgId.eq(org_id))
        .filter(product::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?;
    with_details(db, rows).await
}

pub async fn product_by_sku<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    sku: &str,
) -> DomainResult<ProductRecord> {
    let row = product::Entity::find()
        .filter(product::Column::OrgId.eq(org_id))
        .filter(Expr::cust_with_values(
            "lower(sku) = lower($1)",
            [sku.trim().to_owned()],
        ))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound { entity: "product" })?;
    Ok(with_details(db, vec![row]).await?.remove(0))
}

pub async fn products<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    filter: &ProductFilter,
    page: PageRequest,
) -> DomainResult<Page<ProductRecord>> {
    let page = crate::page::fetch(db, filtered(org_id, filter), page).await?;
    let rows = page.items.iter().map(|(_, p)| p.clone()).collect();
    let records = with_details(db, rows).await?;
    Ok(page.with_items(records))
}

/// The organisation's products matching `filter`, as a query to page or project.
fn filtered(org_id: Uuid, filter: &ProductFilter) -> Select<product::Entity> {
    let mut query = product::Entity::find().filter(product::Column::OrgId.eq(org_id));
    let ci_equal = |column: &str, value: &str| {
        Expr::cust_with_values(
            format!("lower({column}) = lower($1)"),
            [value.trim().to_owned()],
        )
    };
    if let Some(category) = &filter.category {
        query = query.filter(ci_equal("category", category));
    }
    if let Some(brand) = &filter.brand {
        query = query.filter(ci_equal("brand", brand));
    }
    if let Some(attribute_set) = &filter.attribute_set {
        query = query.filter(ci_equal("attribute_set", attribute_set));
    }
    if let Some(family_id) = filter.family_id {
        query = query.filter(product::Column::FamilyId.eq(family_id));
    }
    if let Some(tag) = &filter.tag {
        query = query.filter(Expr::cust_with_values(
            "tags @> $1",
            [serde_json::json!([tag.trim()])],
        ));
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let pattern = format!("%{}%", escape_like(search));
        query = query.filter(Expr::cust_with_values(
            "(sku ILIKE $1 OR name ILIKE $1)",
            [pattern],
        ));
    }
    if let Some(status) = filter.status {
        query = query.filter(product::Column::Status.eq(status));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(product::Column::Kind.eq(kind));
    }
    if let Some(skus) = &filter.skus {
        let lowered: Vec<String> = skus.iter().map(|s| s.trim().to_lowercase()).collect();
        query = query.filter(Expr::cust_with_values("lower(sku) = ANY($1)", [lowered]));
    }
    let listed = filter.listed_in.iter().map(|store| ("EXISTS", store));
    let not_listed = filter
        .not_listed_in
        .iter()
        .map(|store| ("NOT EXISTS", store));
    for (exists, store_id) in listed.chain(not_listed) {
        query = query.filter(Expr::cust_with_values(
            format!(
                "{exists} (SELECT 1 FROM listings l WHERE l.product_id = products.id \
                 AND l.store_id = $1 AND l.status = 'listed')"
            ),
            [*store_id],
        ));
    }
    query
}

/// The id and SKU of every product matching `filter`, oldest first: what a bulk job
/// fixes as its items when it starts.
pub async fn product_keys<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    filter: &ProductFilter,
) -> DomainResult<Vec<(Uuid, String)>> {
    Ok(filtered(org_id, filter)
        .select_only()
        .column(product::Column::Id)
        .column(product::Column::Sku)
        .order_by_asc(product::Column::CreatedAt)
        .order_by_asc(product::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}

/// `%` and `_` in a search are literal characters, not wildcards.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Prices and components of a batch of products, in two queries.
pub(crate) async fn with_details<C: ConnectionTrait>(
    db: &C,
    rows: Vec<product::Model>,
) -> DomainResult<Vec<ProductRecord>> {
    let ids: Vec<Uuid> = rows.iter().map(|p| p.id).collect();
    let mut prices: HashMap<Uuid, Vec<product_price::Model>> = HashMap::new();
    for price in product_price::Entity::find()
        .filter(product_price::Column::ProductId.is_in(ids.clone()))
        .order_by_asc(product_price::Column::Tier)
        .all(db)
        .await?
    {
        prices.entry(price.product_id).or_default().push(price);
    }
    let mut components: HashMap<Uuid, Vec<bill_of_materials::Model>> = HashMap::new();
    for line in bill_of_materials::Entity::find()
        .filter(bill_of_materials::Column::ProductId.is_in(ids))
        .all(db)
        .await?
    {
        components.entry(line.product_id).or_default().push(line);
    }
    // NUMERIC(19,4) reads back as 0.2500; callers see the number as it was written.
    let trim = |value: Option<rust_decimal::Decimal>| value.map(|v| v.normalize());
    Ok(rows
        .into_iter()
        .map(|mut product| {
            product.length = trim(product.length);
            product.width = trim(product.width);
            product.height = trim(product.height);
            product.weight = trim(product.weight);
            let mut prices = prices.remove(&product.id).unwrap_or_default();
            for price in &mut prices {
                price.price = price.price.normalize();
            }
            let mut components = components.remove(&product.id).unwrap_or_default();
            for line in &mut components {
                line.quantity = line.quantity.normalize();
            }
            ProductRecord {
                prices,
                components,
                product,
            }
        })
        .collect())
}
