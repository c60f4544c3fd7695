//! Download → Products: a Magento store's catalog into the ledger, each product linked
//! to its Magento product by a listing (MAPPINGS "Products (Magento → Stockbridge)",
//! spec "Downloading Products").
//!
//! The catalog is read twice, page by page in `entity_id` order, and never held whole:
//! a light scan (ids, SKUs, types, child links) fixes every product's item index, which
//! child belongs to which configurable and which SKUs repeat; then the full products are
//! read page by page, mapped, and each page is written with a handful of statements.
//! A configurable becomes a family whose variants are its children (read from the page,
//! or fetched by `entity_id in` when they sit on another page); a child is handled with
//! its parent, wherever it comes in the catalog.
//!
//! Every Magento product is one job item (key: its SKU) at its scan position, so a
//! retried attempt records the same items under the same indexes, and pages whose items
//! an earlier attempt recorded are not read again. Products are matched by SKU (ignoring
//! case) and families by SKU; a product or family already as Magento has it is not
//! written (no `updated_at` bump), a listing already as it should be neither.
//!
//! Choices where the spec is silent:
//! - an existing product keeps its status ("List products as Draft" applies to products
//!   the download creates) and, with "Use Magento as Master source" off, its category
//!   (and a family's); new ones take Magento's;
//! - a child linked to two configurables belongs to the first (lowest id); the second
//!   family goes on without it;
//! - of two Magento products with the same SKU (ignoring case) the first is downloaded,
//!   the other is a failed item `DUPLICATE_SKU`;
//! - a variant whose option value has no label in the attribute's options fails
//!   (`OPTION_VALUES_MISSING`); its family and siblings go on;
//! - when a configurable cannot be downloaded its children fail with `PARENT_FAILED`.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Set,
    Statement, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use entities::enums::ListingStatus;
use entities::{job, listing, magento_store, product_family, tax_rule};
use magento::MagentoClient;
use magento::dto::{Product, ProductAttribute, ProductType};
use magento::search::SearchCriteria;

use super::mapping::{
    CategoryNode, ListingFields, MappedFamily, MappedItem, MappedProduct, MappingContext,
    MappingError, map_product, map_variant,
};
use crate::Services;
use crate::auth::Principal;
use crate::error::{DomainError, DomainResult, FieldError};
use crate::events;
use crate::jobs::{JobContext, JobFailure, JobKind};
use crate::products::{self, FamilyMembership, ProductDraft, bulk};
use crate::stores;

/// Magento's largest accepted page; fewer round trips for a large catalog.
const PAGE_SIZE: u32 = 300;
/// Ids per `entity_id in` search, well inside URL length limits.
const CHILD_CHUNK: usize = 100;

/// Starts a `PRODUCTS_DOWNLOAD` job for a store of the caller's organisation.
pub async fn start_download(
    services: &Services,
    principal: &Principal,
    store_id: Uuid,
) -> DomainResult<job::Model> {
    stores::start_store_job(services, principal, store_id, JobKind::ProductsDownload).await
}

/// Why one Magento product did not arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError {
    pub code: &'static str,
    pub message: String,
}

impl ItemError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    fn refused(errors: &[FieldError]) -> Self {
        Self {
            code: errors.first().map_or("INVALID", |e| e.code.as_str()),
            message: errors
                .iter()
                .map(|e| format!("{}: {}", e.field.join("."), e.message))
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}

impl From<MappingError> for ItemError {
    fn from(err: MappingError) -> Self {
        let code = match &err {
            MappingError::MissingSku { .. } => "SKU_MISSING",
            MappingError::MissingName { .. } => "NAME_MISSING",
            MappingError::UnsupportedType { .. } => "UNSUPPORTED_TYPE",
            MappingError::Negative { .. } | MappingError::InvalidTier { .. } => "OUT_OF_RANGE",
            MappingError::OptionCount { .. } => "OPTIONS_UNSUPPORTED",
            MappingError::OptionValues { .. } => "OPTION_VALUES_MISSING",
            MappingError::VariantType { .. } => "VARIANT_NOT_SIMPLE",
        };
        Self::new(code, err.to_string())
    }
}

/// What the light first pass learnt about the catalog.
#[derive(Debug, Default)]
struct Scan {
    /// The ids of each page, in order.
    pages: Vec<Vec<i64>>,
    /// Item index (scan position) and SKU of every product.
    products: HashMap<i64, (i32, String)>,
    /// Child id → the configurable it belongs to (the first one linking it).
    parent_of: HashMap<i64, i64>,
    /// Lower-cased SKU → the first product id carrying it.
    sku_owner: HashMap<String, i64>,
}

impl Scan {
    fn total(&self) -> i32 {
        i32::try_from(self.products.len()).unwrap_or(i32::MAX)
    }

    fn index_of(&self, id: i64) -> Option<i32> {
        self.products.get(&id).map(|(index, _)| *index)
    }

    fn key_of(&self, id: i64) -> String {
        match self.products.get(&id) {
            Some((_, sku)) if !sku.trim().is_empty() => sku.trim().to_owned(),
            _ => format!("product {id}"),
        }
    }

    /// The product that owns this SKU when `id` repeats an earlier product's SKU.
    fn duplicate_of(&self, id: i64, sku: &str) -> Option<i64> {
        let sku = sku.trim().to_lowercase();
        if sku.is_empty() {
            return None;
        }
        self.sku_owner
            .get(&sku)
            .copied()
            .filter(|owner| *owner != id)
    }
}

fn criteria() -> SearchCriteria {
    SearchCriteria::new().sort("entity_id", true)
}

async fn scan(client: &MagentoClient) -> DomainResult<Scan> {
    let light = criteria().fields(
        "items[id,sku,type_id,extension_attributes[configurable_product_links]],total_count",
    );
    let mut scan = Scan::default();
    let mut page = 1;
    loop {
        let (items, total) = client.products_page(light.clone(), page).await?;
        let mut ids = Vec::with_capacity(items.len());
        for product in items {
            if scan.products.contains_key(&product.id) {
                continue;
            }
            let index = scan.total();
            ids.push(product.id);
            let sku = product.sku.trim().to_lowercase();
            if !sku.is_empty() {
                scan.sku_owner.entry(sku).or_insert(product.id);
            }
            if product.type_id == ProductType::Configurable {
                for child in product.configurable_child_ids() {
                    scan.parent_of.entry(*child).or_insert(product.id);
                }
            }
            scan.products.insert(product.id, (index, product.sku));
        }
        scan.pages.push(ids);
        if u64::from(page) * u64::from(client.page_size()) >= total {
            break;
        }
        page += 1;
    }
    // A configurable linking itself is ignored; one that is itself a child fails as a
    // variant of its parent, so its own children are downloaded as products of their own.
    scan.parent_of.retain(|child, parent| child != parent);
    let nested: HashSet<i64> = scan
        .parent_of
        .values()
        .filter(|parent| scan.parent_of.contains_key(parent))
        .copied()
        .collect();
    scan.parent_of.retain(|_, parent| !nested.contains(parent));
    Ok(scan)
}

/// What every page needs, looked up once per job.
struct Context {
    org_id: Uuid,
    store_id: Uuid,
    mapping: MappingContext,
    magento_is_master: bool,
    /// Attribute id → the attribute with its options; read on first use.
    attributes: HashMap<i64, Result<ProductAttribute, String>>,
}

async fn context(
    ctx: &JobContext,
    store: &magento_store::Model,
    client: &MagentoClient,
) -> DomainResult<Context> {
    let db = &ctx.services.db;
    let settings = stores::settings_of(db, ctx.org_id(), store.id).await?;
    let metadata = stores::metadata_of(store);
    let store_configs = if metadata.store_configs.is_empty() {
        client.store_configs().await?
    } else {
        metadata.store_configs
    };
    let attribute_sets = if metadata.attribute_sets.is_empty() {
        client.attribute_sets().await?
    } else {
        metadata.attribute_sets
    };
    let tax_classes = if metadata.tax_classes.is_empty() {
        client.tax_classes().await?
    } else {
        metadata.tax_classes
    };
    let media_url = store_configs
        .iter()
        .find(|c| c.code == "default")
        .or_else(|| store_configs.first())
        .and_then(|c| c.base_media_url.clone())
        .unwrap_or_default();
    let tree = client.category_tree().await?;
    let categories = tree
        .flatten()
        .into_iter()
        .map(|c| {
            (
                c.id,
                CategoryNode {
                    name: c.name.clone(),
                    level: c.level,
                },
            )
        })
        .collect();
    let rules: HashMap<String, Uuid> = tax_rule::Entity::find()
        .filter(tax_rule::Column::OrgId.eq(ctx.org_id()))
        .all(db)
        .await?
        .into_iter()
        .map(|rule| (rule.name.trim().to_lowercase(), rule.id))
        .collect();
    let tax_rules = tax_classes
        .iter()
        .filter(|c| !c.class_type.eq_ignore_ascii_case("CUSTOMER"))
        .filter_map(|c| {
            rules
                .get(&c.class_name.trim().to_lowercase())
                .map(|id| (c.class_id, *id))
        })
        .collect();
    let attribute_sets = attribute_sets
        .into_iter()
        .filter(|s| s.entity_type_id.is_none_or(|t| t == 4))
        .map(|s| (s.attribute_set_id, s.attribute_set_name))
        .collect();
    Ok(Context {
        org_id: ctx.org_id(),
        store_id: store.id,
        mapping: MappingContext {
            price_tier: i32::from(settings.price_tier),
            sale_price_tier: i32::from(settings.sale_price_tier),
            media_url,
            categories,
            attribute_sets,
            tax_rules,
            list_as_draft: settings.list_products_as_draft,
        },
        magento_is_master: settings.magento_is_master,
        attributes: HashMap::new(),
    })
}

impl Context {
    /// The option labels of `child` for the family's options, in order.
    async fn option_values(
        &mut self,
        client: &MagentoClient,
        family: &MappedFamily,
        child: &Product,
    ) -> DomainResult<Result<Vec<String>, ItemError>> {
        let mut values = Vec::with_capacity(family.options.len());
        for option in &family.options {
            if let std::collections::hash_map::Entry::Vacant(slot) =
                self.attributes.entry(option.attribute_id)
            {
                let read = match client
                    .product_attribute(&option.attribute_id.to_string())
                    .await
                {
                    Ok(attribute) => Ok(attribute),
                    Err(magento::MagentoError::NotFound { message }) => Err(message),
                    Err(other) => return Err(other.into()),
                };
                slot.insert(read);
            }
            let attribute = match &self.attributes[&option.attribute_id] {
                Ok(attribute) => attribute,
                Err(why) => {
                    return Ok(Err(ItemError::new(
                        "OPTION_VALUES_MISSING",
                        format!(
                            "the attribute {} ({}) of option {} could not be read: {why}",
                            option.attribute_id, option.label, option.label
                        ),
                    )));
                }
            };
            let raw = child
                .text_attribute(&attribute.attribute_code)
                .map(str::trim)
                .unwrap_or("");
            match attribute.option_label(raw).map(str::trim) {
                Some(label) if !label.is_empty() => values.push(label.to_owned()),
                _ => {
                    return Ok(Err(ItemError::new(
                        "OPTION_VALUES_MISSING",
                        format!(
                            "Magento product {} (id {}): no {} value with a label (`{}` = \"{raw}\")",
                            child.sku.trim(),
                            child.id,
                            option.label,
                            attribute.attribute_code
                        ),
                    )));
                }
            }
        }
        Ok(Ok(values))
    }
}

/// One Magento product's outcome, at its item index.
struct Outcome {
    index: i32,
    key: String,
    error: Option<ItemError>,
}

/// A product to save with its listing.
struct Planned {
    index: i32,
    key: String,
    magento_sku: String,
    item: MappedItem,
    /// For a variant: its family (by lower-cased family SKU) and option values, and the
    /// parent's Magento id.
    variant: Option<(String, Vec<String>, i64)>,
}

/// A configurable to save as a family.
struct PlannedFamily {
    index: i32,
    key: String,
    family: MappedFamily,
}

#[derive(Default)]
struct PagePlan {
    families: Vec<PlannedFamily>,
    products: Vec<Planned>,
    outcomes: Vec<Outcome>,
}

/// Maps one page of full products (children fetched as needed) into what to write.
async fn plan_page(
    ctx: &mut Context,
    client: &MagentoClient,
    scan: &Scan,
    items: &[Product],
    neighbours: &[&[Product]],
    done: &HashSet<i32>,
) -> DomainResult<PagePlan> {
    let mut plan = PagePlan::default();
    // Children are usually next to their configurable (just before or after it), so
    // the pages read before and after this one hold most of those this page lacks.
    let page: HashMap<i64, &Product> = neighbours
        .iter()
        .flat_map(|products| products.iter())
        .chain(items)
        .map(|p| (p.id, p))
        .collect();
    // Children of this page's configurables that sit on pages not at hand.
    let mut missing: Vec<i64> = items
        .iter()
        .filter(|p| p.type_id == ProductType::Configurable && !scan.parent_of.contains_key(&p.id))
        .flat_map(|p| p.configurable_child_ids().iter().copied())
        .filter(|id| !page.contains_key(id) && scan.index_of(*id).is_some())
        .collect();
    missing.sort_unstable();
    missing.dedup();
    let mut fetched: HashMap<i64, Product> = HashMap::new();
    for chunk in missing.chunks(CHILD_CHUNK) {
        let ids = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let found = client
            .products(SearchCriteria::new().filter("entity_id", &ids, "in"))
            .await?;
        fetched.extend(found.into_iter().map(|p| (p.id, p)));
    }

    for product in items {
        let Some(index) = scan.index_of(product.id) else {
            // Created since the scan: the next download takes it.
            continue;
        };
        if scan.parent_of.contains_key(&product.id) || done.contains(&index) {
            continue;
        }
        let key = scan.key_of(product.id);
        let mapped = match scan.duplicate_of(product.id, &product.sku) {
            Some(owner) => Err(duplicate(product, owner)),
            None => map_product(product, &ctx.mapping).map_err(ItemError::from),
        };
        match mapped {
            Err(err) => {
                if product.type_id == ProductType::Configurable {
                    for child in product.configurable_child_ids() {
                        if scan.parent_of.get(child) == Some(&product.id)
                            && let Some(child_index) = scan.index_of(*child)
                        {
                            plan.outcomes.push(Outcome {
                                index: child_index,
                                key: scan.key_of(*child),
                                error: Some(ItemError::new(
                                    "PARENT_FAILED",
                                    format!(
                                        "its configurable {} could not be downloaded: {}",
                                        key, err.message
                                    ),
                                )),
                            });
                        }
                    }
                }
                plan.outcomes.push(Outcome {
                    index,
                    key,
                    error: Some(err),
                });
            }
            Ok(MappedProduct::Product(item)) => plan.products.push(Planned {
                index,
                key,
                magento_sku: product.sku.trim().to_owned(),
                item,
                variant: None,
            }),
            Ok(MappedProduct::Family(family)) => {
                let family_key = family.family.sku.to_lowercase();
                for child_id in &family.child_ids {
                    if scan.parent_of.get(child_id) != Some(&product.id) {
                        continue;
                    }
                    let Some(child_index) = scan.index_of(*child_id) else {
                        continue;
                    };
                    let child_key = scan.key_of(*child_id);
                    let Some(child) = page
                        .get(child_id)
                        .copied()
                        .or_else(|| fetched.get(child_id))
                    else {
                        plan.outcomes.push(Outcome {
                            index: child_index,
                            key: child_key,
                            error: Some(ItemError::new(
                                "NOT_FOUND",
                                format!(
                                    "Magento product id {child_id} was not found in the catalog"
                                ),
                            )),
                        });
                        continue;
                    };
                    if let Some(owner) = scan.duplicate_of(child.id, &child.sku) {
                        plan.outcomes.push(Outcome {
                            index: child_index,
                            key: child_key,
                            error: Some(duplicate(child, owner)),
                        });
                        continue;
                    }
                    let values = match ctx.option_values(client, &family, child).await? {
                        Ok(values) => values,
                        Err(err) => {
                            plan.outcomes.push(Outcome {
                                index: child_index,
                                key: child_key,
                                error: Some(err),
                            });
                            continue;
                        }
                    };
                    match map_variant(child, &family, values, &ctx.mapping) {
                        Err(err) => plan.outcomes.push(Outcome {
                            index: child_index,
                            key: child_key,
                            error: Some(err.into()),
                        }),
                        Ok(variant) => plan.products.push(Planned {
                            index: child_index,
                            key: child_key,
                            magento_sku: child.sku.trim().to_owned(),
                            item: variant.item,
                            variant: Some((
                                family_key.clone(),
                                variant.option_values,
                                variant.parent_id,
                            )),
                        }),
                    }
                }
                plan.families.push(PlannedFamily { index, key, family });
            }
        }
    }
    Ok(plan)
}

fn duplicate(product: &Product, owner: i64) -> ItemError {
    ItemError::new(
        "DUPLICATE_SKU",
        format!(
            "Magento product id {} has the SKU {} of Magento product id {owner} (SKUs are compared without regard to case)",
            product.id,
            product.sku.trim()
        ),
    )
}

/// A product saved (or found unchanged), waiting for its listing.
struct Saved {
    index: i32,
    key: String,
    product_id: Uuid,
    magento_sku: String,
    listing: ListingFields,
    parent_id: Option<i64>,
}

/// Writes one page's plan: families, products (new ones in one statement, changed ones
/// one by one), listings, and records every item's outcome.
async fn write_page(
    db: &sea_orm::DatabaseConnection,
    ctx: &Context,
    job: &job::Model,
    plan: PagePlan,
) -> DomainResult<()> {
    let PagePlan {
        families,
        products,
        mut outcomes,
    } = plan;
    let org_id = ctx.org_id;
    let mut skus: Vec<String> = products
        .iter()
        .filter_map(|p| p.item.draft.sku.clone())
        .collect();
    skus.extend(families.iter().map(|f| f.family.family.sku.clone()));
    let existing = bulk::products_by_skus(db, org_id, &skus).await?;
    let existing_families = bulk::families_by_skus(db, org_id, &skus).await?;

    // Families first: the variants need their ids.
    let mut resolved: HashMap<String, product_family::Model> = HashMap::new();
    let mut new_families = Vec::new();
    let mut failed_families: HashMap<String, ItemError> = HashMap::new();
    for planned in &families {
        let sku_key = planned.family.family.sku.to_lowercase();
        let mut draft = planned.family.family.clone();
        if existing.contains_key(&sku_key) {
            failed_families.insert(
                sku_key,
                ItemError::new(
                    "ALREADY_EXISTS",
                    format!("a product (not a family) has the SKU {}", draft.sku),
                ),
            );
            continue;
        }
        let current = existing_families.get(&sku_key);
        if let Some(current) = current
            && !ctx.magento_is_master
        {
            draft.category = current.category.clone();
        }
        match products::family_row(org_id, current, &draft) {
            Err(errors) => {
                failed_families.insert(sku_key, ItemError::refused(&errors));
            }
            Ok(row) => match current {
                Some(current) => match products::update_family_row(db, current, row).await {
                    Ok(saved) => {
                        resolved.insert(sku_key, saved);
                    }
                    Err(DomainError::Invalid(errors)) => {
                        failed_families.insert(sku_key, ItemError::refused(&errors));
                    }
                    Err(other) => return Err(other),
                },
                None => {
                    new_families.push(row.clone());
                    resolved.insert(sku_key, row);
                }
            },
        }
    }
    for planned in &families {
        let error = failed_families
            .get(&planned.family.family.sku.to_lowercase())
            .cloned();
        outcomes.push(Outcome {
            index: planned.index,
            key: planned.key.clone(),
            error,
        });
    }

    // Products: what to insert, what to update, what is as Magento has it.
    let mut inserts: Vec<(usize, bulk::NewProduct)> = Vec::new();
    let mut updates: Vec<(usize, Uuid, ProductDraft)> = Vec::new();
    let mut saved: Vec<Saved> = Vec::new();
    let mut variant_values: HashSet<(String, Vec<String>)> = HashSet::new();
    let mut failures: Vec<(usize, ItemError)> = Vec::new();
    for (at, planned) in products.iter().enumerate() {
        let mut draft = planned.item.draft.clone();
        let sku_key = draft.sku.as_deref().unwrap_or_default().to_lowercase();
        if existing_families.contains_key(&sku_key) || resolved.contains_key(&sku_key) {
            failures.push((
                at,
                ItemError::new(
                    "ALREADY_EXISTS",
                    format!("a family has the SKU {}", planned.magento_sku),
                ),
            ));
            continue;
        }
        let mut family = None;
        if let Some((family_key, values, _)) = &planned.variant {
            if let Some(err) = failed_families.get(family_key) {
                failures.push((
                    at,
                    ItemError::new(
                        "PARENT_FAILED",
                        format!("its family could not be saved: {}", err.message),
                    ),
                ));
                continue;
            }
            let Some(found) = resolved.get(family_key) else {
                failures.push((
                    at,
                    ItemError::new("PARENT_FAILED", "its family could not be saved"),
                ));
                continue;
            };
            if !variant_values.insert((family_key.clone(), values.clone())) {
                failures.push((
                    at,
                    ItemError::new(
                        "INVALID_COMBINATION",
                        format!(
                            "another variant of {} has the option values {}",
                            found.sku,
                            values.join(" / ")
                        ),
                    ),
                ));
                continue;
            }
            draft.family = Some(Some(FamilyMembership {
                family_id: found.id,
                option_values: values.clone(),
            }));
            family = Some(found);
        }
        match existing.get(&sku_key) {
            None => match bulk::new_product(org_id, &draft, family) {
                Ok(new) => inserts.push((at, new)),
                Err(errors) => failures.push((at, ItemError::refused(&errors))),
            },
            Some((current, prices)) => {
                // Status is chosen when a product is created; the category follows
                // Magento only when Magento is the master.
                draft.status = None;
                if !ctx.magento_is_master {
                    draft.category = None;
                }
                match bulk::apply_draft(current.clone(), &draft, family) {
                    Err(errors) => failures.push((at, ItemError::refused(&errors))),
                    Ok(applied) if bulk::would_change(current, prices, &applied) => {
                        updates.push((at, current.id, draft));
                    }
                    Ok(_) => saved.push(saved_of(planned, current.id)),
                }
            }
        }
    }

    // Changed products one by one, through every rule of an update.
    for (at, id, draft) in updates {
        match products::update_product(db, org_id, id, draft).await {
            Ok(_) => saved.push(saved_of(&products[at], id)),
            Err(DomainError::Invalid(errors)) => failures.push((at, ItemError::refused(&errors))),
            Err(other) => return Err(other),
        }
    }

    // New families and products, listings and the page's job items in one transaction:
    // a page is recorded done exactly when its writes are. That is also why the commit
    // need not wait for the disk: a crash loses the page and its items together, and
    // the retried job redoes it. Should a SKU have been taken meanwhile, each new one
    // is saved on its own instead, through every rule.
    let begin = || async {
        let txn = db.begin().await?;
        txn.execute_unprepared("SET LOCAL synchronous_commit TO OFF")
            .await?;
        DomainResult::Ok(txn)
    };
    let txn = begin().await?;
    let batch = async {
        products::insert_families(&txn, &new_families).await?;
        let rows: Vec<bulk::NewProduct> = inserts.iter().map(|(_, n)| n.clone()).collect();
        bulk::insert_products(&txn, &rows).await
    }
    .await;
    let txn = match batch {
        Ok(()) => {
            saved.extend(
                inserts
                    .iter()
                    .map(|(at, new)| saved_of(&products[*at], new.row.id)),
            );
            txn
        }
        Err(DomainError::Db(err)) => {
            txn.rollback().await?;
            tracing::info!(error = %err, "a page's batch insert failed; saving one by one");
            for row in &new_families {
                let draft = products::FamilyDraft {
                    sku: row.sku.clone(),
                    name: row.name.clone(),
                    description: row.description.clone(),
                    category: row.category.clone(),
                    brand: row.brand.clone(),
                    option_names: [&row.option1_name, &row.option2_name, &row.option3_name]
                        .into_iter()
                        .flatten()
                        .cloned()
                        .collect(),
                };
                let key = row.sku.to_lowercase();
                match products::create_family(db, org_id, draft).await {
                    Ok(created) => {
                        resolved.insert(key, created);
                    }
                    Err(DomainError::Invalid(errors)) => {
                        resolved.remove(&key);
                        failed_families.insert(key, ItemError::refused(&errors));
                    }
                    Err(other) => return Err(other),
                }
            }
            for planned in &families {
                if let Some(err) = failed_families.get(&planned.family.family.sku.to_lowercase())
                    && let Some(outcome) = outcomes.iter_mut().find(|o| o.index == planned.index)
                {
                    outcome.error = Some(err.clone());
                }
            }
            for (at, _) in &inserts {
                let planned = &products[*at];
                let mut draft = planned.item.draft.clone();
                if let Some((family_key, values, _)) = &planned.variant {
                    match resolved.get(family_key) {
                        Some(found) => {
                            draft.family = Some(Some(FamilyMembership {
                                family_id: found.id,
                                option_values: values.clone(),
                            }));
                        }
                        None => {
                            failures.push((
                                *at,
                                ItemError::new("PARENT_FAILED", "its family could not be saved"),
                            ));
                            continue;
                        }
                    }
                }
                match products::create_product(db, org_id, draft).await {
                    Ok(record) => saved.push(saved_of(planned, record.product.id)),
                    Err(DomainError::Invalid(errors)) => {
                        failures.push((*at, ItemError::refused(&errors)));
                    }
                    Err(other) => return Err(other),
                }
            }
            begin().await?
        }
        Err(other) => return Err(other),
    };
    for (at, error) in failures {
        outcomes.push(Outcome {
            index: products[at].index,
            key: products[at].key.clone(),
            error: Some(error),
        });
    }
    outcomes.extend(link_listings(&txn, ctx, saved).await?);
    record_items(&txn, job, &outcomes).await?;
    txn.commit().await?;
    Ok(())
}

fn saved_of(planned: &Planned, product_id: Uuid) -> Saved {
    Saved {
        index: planned.index,
        key: planned.key.clone(),
        product_id,
        magento_sku: planned.magento_sku.clone(),
        listing: planned.item.listing.clone(),
        parent_id: planned.variant.as_ref().map(|(_, _, parent)| *parent),
    }
}

/// Lists each saved product in the store: one lookup, new listings in one statement,
/// changed ones one by one, unchanged ones not at all.
async fn link_listings<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    saved: Vec<Saved>,
) -> DomainResult<Vec<Outcome>> {
    if saved.is_empty() {
        return Ok(Vec::new());
    }
    let product_ids: Vec<Uuid> = saved.iter().map(|s| s.product_id).collect();
    let magento_ids: Vec<i64> = saved.iter().map(|s| s.listing.magento_id).collect();
    // One index lookup per id (see `products::bulk` on why not `= ANY`).
    let current = listing::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT l.* FROM unnest($2::uuid[]) AS k(id) JOIN LATERAL \
               (SELECT * FROM listings WHERE store_id = $1 AND product_id = k.id) l ON true \
             UNION \
             SELECT l.* FROM unnest($3::bigint[]) AS k(id) JOIN LATERAL \
               (SELECT * FROM listings WHERE store_id = $1 AND magento_product_id = k.id) l ON true",
            [ctx.store_id.into(), product_ids.into(), magento_ids.into()],
        ))
        .all(db)
        .await?;
    let by_product: HashMap<Uuid, &listing::Model> =
        current.iter().map(|l| (l.product_id, l)).collect();
    let by_magento: HashMap<i64, &listing::Model> = current
        .iter()
        .filter_map(|l| l.magento_product_id.map(|m| (m, l)))
        .collect();
    let now = Utc::now();
    let mut outcomes = Vec::with_capacity(saved.len());
    let mut inserts = Vec::new();
    for item in saved {
        let magento_id = item.listing.magento_id;
        let error = match (
            by_product.get(&item.product_id),
            by_magento.get(&magento_id),
        ) {
            (Some(found), _) if found.magento_product_id.is_some_and(|m| m != magento_id) => {
                Some(ItemError::new(
                    "ALREADY_LISTED",
                    format!(
                        "the product {} is already listed in this store as Magento product id {}",
                        item.key,
                        found.magento_product_id.unwrap_or_default()
                    ),
                ))
            }
            (_, Some(other)) if other.product_id != item.product_id => Some(ItemError::new(
                "ALREADY_LISTED",
                format!("Magento product id {magento_id} is already linked to another product"),
            )),
            (Some(found), _) => {
                let wanted = listing::Model {
                    status: ListingStatus::Listed,
                    magento_product_id: Some(magento_id),
                    magento_parent_id: item.parent_id,
                    magento_sku: Some(item.magento_sku.clone()),
                    magento_type: Some(item.listing.type_id.code().to_owned()),
                    attribute_set: item.listing.attribute_set.clone(),
                    ..(*found).clone()
                };
                if wanted != **found {
                    let mut active: listing::ActiveModel = wanted.into();
                    active = active.reset_all();
                    active.updated_at = Set(now);
                    active.update(db).await?;
                }
                None
            }
            (None, _) => {
                inserts.push(listing::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    org_id: Set(ctx.org_id),
                    store_id: Set(ctx.store_id),
                    product_id: Set(item.product_id),
                    status: Set(ListingStatus::Listed),
                    magento_product_id: Set(Some(magento_id)),
                    magento_parent_id: Set(item.parent_id),
                    magento_sku: Set(Some(item.magento_sku.clone())),
                    magento_type: Set(Some(item.listing.type_id.code().to_owned())),
                    attribute_set: Set(item.listing.attribute_set.clone()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                });
                None
            }
        };
        outcomes.push(Outcome {
            index: item.index,
            key: item.key,
            error,
        });
    }
    if !inserts.is_empty() {
        listing::Entity::insert_many(inserts).exec(db).await?;
    }
    Ok(outcomes)
}

/// Records a page's items in one statement and bumps the job's counts by those not
/// recorded before (a retried attempt re-records nothing), with one progress event.
async fn record_items<C: ConnectionTrait>(
    txn: &C,
    job: &job::Model,
    outcomes: &[Outcome],
) -> DomainResult<()> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let indexes: Vec<i32> = outcomes.iter().map(|o| o.index).collect();
    let keys: Vec<String> = outcomes.iter().map(|o| o.key.clone()).collect();
    let results: Vec<String> = outcomes
        .iter()
        .map(|o| {
            if o.error.is_some() {
                "failed"
            } else {
                "succeeded"
            }
            .to_owned()
        })
        .collect();
    // Blank for a success; stored as NULL.
    let codes: Vec<String> = outcomes
        .iter()
        .map(|o| {
            o.error
                .as_ref()
                .map_or_else(String::new, |e| e.code.to_owned())
        })
        .collect();
    let messages: Vec<String> = outcomes
        .iter()
        .map(|o| {
            o.error
                .as_ref()
                .map_or_else(String::new, |e| truncate(&e.message, 2000))
        })
        .collect();
    let inserted = txn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO job_items (job_id, item_index, item_key, outcome, error_code, error_message) \
             SELECT $1, i, k, o, NULLIF(c, ''), NULLIF(m, '') \
             FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[]) AS t(i, k, o, c, m) \
             ON CONFLICT (job_id, item_index) DO NOTHING RETURNING outcome",
            [
                job.id.into(),
                indexes.into(),
                keys.into(),
                results.into(),
                codes.into(),
                messages.into(),
            ],
        ))
        .await?;
    let processed = i32::try_from(inserted.len()).unwrap_or(i32::MAX);
    let mut failed = 0;
    for row in &inserted {
        if row.try_get::<String>("", "outcome")? == "failed" {
            failed += 1;
        }
    }
    if processed > 0 {
        let updated = job::Entity::update_many()
            .col_expr(
                job::Column::ProcessedCount,
                Expr::col(job::Column::ProcessedCount).add(processed),
            )
            .col_expr(
                job::Column::FailedCount,
                Expr::col(job::Column::FailedCount).add(failed),
            )
            .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
            .col_expr(job::Column::HeartbeatAt, Expr::value(Utc::now()))
            .filter(job::Column::Id.eq(job.id))
            .exec_with_returning(txn)
            .await?;
        if let Some(job) = updated.first() {
            events::append(
                txn,
                job.org_id,
                job.store_id,
                Some(job.id),
                "job.progress",
                json!({
                    "state": job.state,
                    "phase": job.phase,
                    "totalCount": job.total_count,
                    "processedCount": job.processed_count,
                    "failedCount": job.failed_count,
                }),
            )
            .await?;
        }
    }
    Ok(())
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// The item indexes an earlier attempt of this job recorded.
async fn recorded_indexes(ctx: &JobContext) -> DomainResult<HashSet<i32>> {
    if ctx.job.attempts <= 1 {
        return Ok(HashSet::new());
    }
    let rows = ctx
        .services
        .db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT item_index FROM job_items WHERE job_id = $1",
            [ctx.job.id.into()],
        ))
        .await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<i32>("", "item_index")?))
        .collect()
}

/// A page being read in the background; dropped unread (the job stopped), it is
/// abandoned.
struct Prefetch(tokio::task::JoinHandle<Result<(Vec<Product>, u64), magento::MagentoError>>);

impl Prefetch {
    async fn wait(mut self) -> Result<(Vec<Product>, u64), JobFailure> {
        match (&mut self.0).await {
            Ok(read) => Ok(read.map_err(DomainError::from)?),
            Err(err) => Err(JobFailure::Transient(format!(
                "reading a page stopped: {err}"
            ))),
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The `PRODUCTS_DOWNLOAD` handler. Reads are retried by the client, then by the job (a
/// transient failure); a retried attempt skips pages whose items are all recorded and
/// finds everything else already saved, so it writes nothing twice.
pub async fn download_products(ctx: &JobContext) -> Result<(), JobFailure> {
    let (store, client) = stores::store_of_job(ctx).await?;
    let client = client.with_page_size(PAGE_SIZE);
    ctx.set_phase("reading the store's categories and settings", None)
        .await?;
    let mut context = context(ctx, &store, &client).await?;
    ctx.set_phase("scanning the catalog", None).await?;
    let scan = scan(&client).await?;
    ctx.set_phase("downloading products", Some(scan.total()))
        .await?;
    let done = recorded_indexes(ctx).await?;
    // A page of children only (or of items recorded by an earlier attempt) has nothing
    // left to do: children come with their configurable.
    let pages: Vec<u32> = scan
        .pages
        .iter()
        .enumerate()
        .filter(|(_, ids)| {
            !ids.iter().all(|id| {
                scan.index_of(*id)
                    .is_some_and(|index| done.contains(&index))
                    || scan.parent_of.contains_key(id)
            })
        })
        .map(|(at, _)| u32::try_from(at + 1).unwrap_or(u32::MAX))
        .collect();
    let full = criteria();
    let fetch = |page: u32| {
        let (client, criteria) = (client.clone(), full.clone());
        Prefetch(tokio::spawn(async move {
            client.products_page(criteria, page).await
        }))
    };
    // A window of three pages: the one written, the one before (read already) and the
    // one after (read already, while the one before was written); the page after that
    // is read while this one is written.
    let read = |page: Option<&u32>| page.map(|page| fetch(*page));
    let mut previous: Vec<Product> = Vec::new();
    let mut current = match read(pages.first()) {
        Some(first) => first.wait().await?.0,
        None => Vec::new(),
    };
    let mut following = match read(pages.get(1)) {
        Some(second) => second.wait().await?.0,
        None => Vec::new(),
    };
    for (at, _) in pages.iter().enumerate() {
        ctx.check_cancelled().await?;
        let ahead = read(pages.get(at + 2));
        let plan = plan_page(
            &mut context,
            &client,
            &scan,
            &current,
            &[&previous, &following],
            &done,
        )
        .await?;
        write_page(&ctx.services.db, &context, &ctx.job, plan).await?;
        previous = std::mem::replace(&mut current, following);
        following = match ahead {
            Some(page) => page.wait().await?.0,
            None => Vec::new(),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_errors_become_item_errors_with_a_code() {
        let err = ItemError::from(MappingError::UnsupportedType {
            id: 9,
            sku: "G-1".into(),
            type_id: "grouped".into(),
        });
        assert_eq!(err.code, "UNSUPPORTED_TYPE");
        assert!(err.message.contains("grouped"), "{}", err.message);
        assert_eq!(
            ItemError::from(MappingError::MissingSku { id: 3 }).code,
            "SKU_MISSING"
        );
    }

    #[test]
    fn a_repeated_sku_points_at_its_first_owner() {
        let scan = Scan {
            sku_owner: HashMap::from([("tee-s".to_owned(), 5)]),
            ..Scan::default()
        };
        assert_eq!(scan.duplicate_of(9, " TEE-S "), Some(5));
        assert_eq!(scan.duplicate_of(5, "tee-s"), None);
        assert_eq!(scan.duplicate_of(9, ""), None);
    }

    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        let cut = truncate("ééé", 3);
        assert_eq!(cut, "é…");
    }
}
