//! Download → Products: a Magento store's catalog into the ledger, each product linked
//! to its Magento product by the binder and a listing (`docs/mappings.md#product-download`).
//!
//! The catalog is read once, page by page in `entity_id` order, and never held whole.
//! A light search over the configurables alone first tells which child belongs to
//! which configurable; a configurable becomes a family whose variants are its children
//! (read from the pages at hand, or fetched by `entity_id in` when they sit elsewhere),
//! and a child is handled with its parent, wherever it comes in the catalog. Each page
//! is mapped and written with a handful of statements while the next one is read.
//!
//! Every Magento product is one job item, indexed by its `entity_id` and keyed by its
//! SKU, so a retried attempt records the same items under the same indexes and skips
//! those an earlier attempt recorded. Products are matched by SKU (ignoring case) and
//! families by SKU; a product or family already as Magento has it is not written (no
//! `updated_at` bump), a listing already as it should be neither.
//!
//! Choices where the spec is silent:
//! - an existing product keeps its status ("List products as Draft" applies to products
//!   the download creates) and, with "Use Magento as Master source" off, its category
//!   (and a family's); new ones take Magento's;
//! - a product the download creates gets a default location (listing needs one): the
//!   store's linked location ("Link Magento sales to Location"), else the organisation's
//!   default location; an existing product keeps its own, and one without gets it too;
//! - a configurable's images are kept on its family, whatever "Use Magento as Master
//!   source" says (as a product's images are);
//! - a child linked to two configurables belongs to the first (lowest id); the second
//!   family goes on without it;
//! - of two Magento products with the same SKU (ignoring case) the first one met is
//!   downloaded (catalog order, a configurable's children with their configurable), the
//!   other is a failed item `DUPLICATE_SKU`;
//! - a configurable created while the download runs becomes a family without variants;
//!   the next download moves its children into it;
//! - a variant whose option value has no label in the attribute's options fails
//!   (`OPTION_VALUES_MISSING`); its family and siblings go on;
//! - when a configurable cannot be downloaded its children fail with `PARENT_FAILED`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use entities::{job, magento_store, product_family, tax_rule};
use magento::MagentoClient;
use magento::dto::{Product, ProductAttribute, ProductType};
use magento::search::SearchCriteria;

use crate::Services;
use crate::auth::Principal;
use crate::channel::magento::link::{self, LinkWriter, ProductLink};
use crate::channel::magento::mappers::products::{
    CategoryNode, ListingFields, MappedFamily, MappedItem, MappedProduct, MappingContext,
    MappingError, map_product, map_variant,
};
use crate::channel::magento::stores;
use crate::channel::magento::{BindRefused, Binder};
use crate::error::{DomainError, DomainResult};
use crate::jobs::{
    self, Earlier, ItemError, ItemErrorCode, ItemRecord, Job, JobContext, JobFailure, JobKind,
    RecordedItem, Requested,
};
use crate::products::{self, FamilyMembership, ProductDraft, batch};

/// Magento's largest accepted page; fewer round trips for a large catalog.
const PAGE_SIZE: u32 = 300;
/// Pages read in the background while one is written.
const READ_AHEAD: u32 = 3;
/// Ids per `entity_id in` search, well inside URL length limits.
const CHILD_CHUNK: usize = 100;

/// Starts a `PRODUCTS_DOWNLOAD` job for a store of the caller's organisation.
pub async fn start_download(
    services: &Services,
    principal: &Principal,
    store_id: Uuid,
) -> DomainResult<job::Model> {
    stores::get(&services.db, principal.org_id, store_id).await?;
    jobs::enqueue_job(
        services,
        Requested::by(principal),
        &ProductsDownload {
            store_id,
            product_ids: None,
        },
    )
    .await
}

/// Download → Products of one store.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductsDownload {
    pub store_id: Uuid,
    /// Only these Magento products (a retry of the failed ones); all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_ids: Option<Vec<i64>>,
}

impl Job for ProductsDownload {
    const KIND: JobKind = JobKind::ProductsDownload;
    // Matched by SKU and written only when changed: a retry redoes nothing.
    const MAX_ATTEMPTS: i32 = 5;

    fn store_id(&self) -> Option<Uuid> {
        Some(self.store_id)
    }

    async fn run(self, ctx: &JobContext) -> Result<(), JobFailure> {
        download_products(ctx, self.product_ids.as_deref()).await
    }

    fn retry(self, earlier: &Earlier) -> Self {
        Self {
            product_ids: jobs::retried_ids(earlier),
            ..self
        }
    }
}

impl From<MappingError> for ItemError {
    fn from(err: MappingError) -> Self {
        let code = match &err {
            MappingError::MissingSku { .. } => ItemErrorCode::SkuMissing,
            MappingError::MissingName { .. } => ItemErrorCode::NameMissing,
            MappingError::UnsupportedType { .. } => ItemErrorCode::UnsupportedType,
            MappingError::Negative { .. } | MappingError::InvalidTier { .. } => {
                ItemErrorCode::OutOfRange
            }
            MappingError::OptionCount { .. } => ItemErrorCode::OptionsUnsupported,
            MappingError::OptionValues { .. } => ItemErrorCode::OptionValuesMissing,
            MappingError::VariantType { .. } => ItemErrorCode::VariantNotSimple,
        };
        Self::new(code, err.to_string())
    }
}

/// Which configurable each child belongs to, read before the products come from the
/// configurables alone (a light search over a tenth of the catalog), so the catalog
/// itself is read once and a child is handled with its parent wherever it comes.
#[derive(Debug, Default)]
struct Links {
    /// Child id → the configurable it belongs to (the first one linking it).
    parent_of: HashMap<i64, i64>,
}

impl Links {
    fn is_child(&self, id: i64) -> bool {
        self.parent_of.contains_key(&id)
    }

    fn is_child_of(&self, child: i64, parent: i64) -> bool {
        self.parent_of.get(&child) == Some(&parent)
    }
}

fn criteria() -> SearchCriteria {
    SearchCriteria::new().sort("entity_id", true)
}

async fn configurable_links(client: &MagentoClient) -> DomainResult<Links> {
    let light = criteria()
        .filter("type_id", ProductType::Configurable.code(), "eq")
        .fields(
            "items[id,sku,type_id,extension_attributes[configurable_product_links]],total_count",
        );
    let mut links = Links::default();
    let mut page = 1;
    loop {
        let (items, total) = client.products_page(light.clone(), page).await?;
        for product in &items {
            for child in product.configurable_child_ids() {
                links.parent_of.entry(*child).or_insert(product.id);
            }
        }
        if items.is_empty() || page >= client.last_page(total) {
            break;
        }
        page += 1;
    }
    // A configurable linking itself is ignored; one that is itself a child fails as a
    // variant of its parent, so its own children are downloaded as products of their own.
    links.parent_of.retain(|child, parent| child != parent);
    let nested: HashSet<i64> = links
        .parent_of
        .values()
        .filter(|parent| links.parent_of.contains_key(parent))
        .copied()
        .collect();
    links.parent_of.retain(|_, parent| !nested.contains(parent));
    Ok(links)
}

fn item_index(id: i64) -> Result<i32, JobFailure> {
    jobs::item_index(id, "Magento product")
}

fn item_key(product: &Product) -> String {
    match product.sku.trim() {
        "" => format!("product {}", product.id),
        sku => sku.to_owned(),
    }
}

/// The first Magento product met with each SKU (compared without regard to case): a
/// later one with the same SKU fails instead of overwriting the first one's product.
#[derive(Debug, Default)]
struct SkuOwners(HashMap<String, i64>);

impl SkuOwners {
    /// What an earlier attempt recorded owns its SKUs still (but a duplicate owns none).
    fn recorded(items: &HashMap<i32, RecordedItem>) -> Self {
        let mut owners = Self::default();
        for (index, item) in items {
            if item.error_code != Some(ItemErrorCode::DuplicateSku) {
                owners.claim(i64::from(*index), &item.key);
            }
        }
        owners
    }

    /// The product that owns this SKU when it is not `id`; else `id` owns it from now.
    fn claim(&mut self, id: i64, sku: &str) -> Option<i64> {
        let sku = sku.trim().to_lowercase();
        if sku.is_empty() {
            return None;
        }
        let owner = *self.0.entry(sku).or_insert(id);
        (owner != id).then_some(owner)
    }
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
    let default_location_id = match stores::sales_location(db, ctx.org_id(), &settings).await {
        Ok(location) => Some(location),
        Err(DomainError::NotFound { .. }) => None,
        Err(other) => return Err(other),
    };
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
            default_location_id,
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
                        ItemErrorCode::OptionValuesMissing,
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
                        ItemErrorCode::OptionValuesMissing,
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
    links: &Links,
    owners: &mut SkuOwners,
    items: &[Product],
    neighbours: &[&[Product]],
    done: &HashSet<i32>,
) -> Result<PagePlan, JobFailure> {
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
        .filter(|p| p.type_id == ProductType::Configurable && !links.is_child(p.id))
        .flat_map(|p| {
            p.configurable_child_ids()
                .iter()
                .copied()
                .filter(|child| links.is_child_of(*child, p.id))
        })
        .filter(|id| !page.contains_key(id))
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
            .await
            .map_err(DomainError::from)?;
        fetched.extend(found.into_iter().map(|p| (p.id, p)));
    }
    let child_of_page = |id: &i64| page.get(id).copied().or_else(|| fetched.get(id));

    for product in items {
        let index = item_index(product.id)?;
        if links.is_child(product.id) || done.contains(&index) {
            continue;
        }
        let key = item_key(product);
        let mapped = match owners.claim(product.id, &product.sku) {
            Some(owner) => Err(duplicate(product, owner)),
            None => map_product(product, &ctx.mapping).map_err(ItemError::from),
        };
        match mapped {
            Err(err) => {
                if product.type_id == ProductType::Configurable {
                    for child in product.configurable_child_ids() {
                        if links.is_child_of(*child, product.id) {
                            plan.outcomes.push(Outcome {
                                index: item_index(*child)?,
                                key: child_of_page(child)
                                    .map_or_else(|| format!("product {child}"), item_key),
                                error: Some(ItemError::new(
                                    ItemErrorCode::ParentFailed,
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
                    if !links.is_child_of(*child_id, product.id) {
                        continue;
                    }
                    let child_index = item_index(*child_id)?;
                    if done.contains(&child_index) {
                        continue;
                    }
                    let Some(child) = child_of_page(child_id) else {
                        plan.outcomes.push(Outcome {
                            index: child_index,
                            key: format!("product {child_id}"),
                            error: Some(ItemError::new(
                                ItemErrorCode::NotFound,
                                format!(
                                    "Magento product id {child_id} was not found in the catalog"
                                ),
                            )),
                        });
                        continue;
                    };
                    let child_key = item_key(child);
                    if let Some(owner) = owners.claim(child.id, &child.sku) {
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
        ItemErrorCode::DuplicateSku,
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
    /// A variant's family, by lower-cased family SKU.
    family_key: Option<String>,
}

/// Writes one page's plan: families, products (new ones in one statement, changed ones
/// one by one), listings, and records every item's outcome.
async fn write_page(job: &JobContext, ctx: &Context, plan: PagePlan) -> DomainResult<()> {
    let db = &job.services.db;
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
    let existing = batch::products_by_skus(db, org_id, &skus).await?;
    let existing_families = batch::families_by_skus(db, org_id, &skus).await?;

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
                    ItemErrorCode::AlreadyExists,
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
    let mut inserts: Vec<(usize, batch::NewProduct)> = Vec::new();
    let mut updates: Vec<(usize, Uuid, ProductDraft)> = Vec::new();
    let mut saved: Vec<Saved> = Vec::new();
    let mut variant_values: HashSet<(String, Vec<String>)> = HashSet::new();
    let mut failures: Vec<(usize, ItemError)> = Vec::new();
    // Matched products without a default location, given one in bulk once saved.
    let mut without_location: HashSet<Uuid> = HashSet::new();
    for (at, planned) in products.iter().enumerate() {
        let mut draft = planned.item.draft.clone();
        let sku_key = draft.sku.as_deref().unwrap_or_default().to_lowercase();
        if existing_families.contains_key(&sku_key) || resolved.contains_key(&sku_key) {
            failures.push((
                at,
                ItemError::new(
                    ItemErrorCode::AlreadyExists,
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
                        ItemErrorCode::ParentFailed,
                        format!("its family could not be saved: {}", err.message),
                    ),
                ));
                continue;
            }
            let Some(found) = resolved.get(family_key) else {
                failures.push((
                    at,
                    ItemError::new(ItemErrorCode::ParentFailed, "its family could not be saved"),
                ));
                continue;
            };
            if !variant_values.insert((family_key.clone(), values.clone())) {
                failures.push((
                    at,
                    ItemError::new(
                        ItemErrorCode::InvalidCombination,
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
            None => match batch::new_product(org_id, &draft, family) {
                Ok(new) => inserts.push((at, new)),
                Err(errors) => failures.push((at, ItemError::refused(&errors))),
            },
            Some((current, prices)) => {
                // Status and default location are chosen when a product is created
                // (one without a location gets it below, in bulk); the category follows
                // Magento only when Magento is the master.
                draft.status = None;
                draft.default_location_id = None;
                if current.default_location_id.is_none() {
                    without_location.insert(current.id);
                }
                if !ctx.magento_is_master {
                    draft.category = None;
                }
                match batch::apply_draft(current.clone(), &draft, family) {
                    Err(errors) => failures.push((at, ItemError::refused(&errors))),
                    Ok(applied) if batch::would_change(current, prices, &applied) => {
                        updates.push((at, current.id, draft));
                    }
                    Ok(_) => saved.push(saved_of(planned, current.id)),
                }
            }
        }
    }

    // New families first, committed on their own: a matched product that joins one is
    // saved through every rule of an update, which reads the family from the database.
    // A family SKU taken since the lookup fails the attempt; the retry finds the family
    // and updates it instead. Families written before a page fails are found the same way.
    products::insert_families(db, &new_families).await?;

    // Changed products one by one, through every rule of an update.
    for (at, id, draft) in updates {
        match products::update_product(db, org_id, id, draft).await {
            Ok(_) => saved.push(saved_of(&products[at], id)),
            Err(DomainError::Invalid(errors)) => failures.push((at, ItemError::refused(&errors))),
            Err(other) => return Err(other),
        }
    }

    // New products, listings and the page's job items in one transaction:
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
    let rows: Vec<batch::NewProduct> = inserts.iter().map(|(_, n)| n.clone()).collect();
    let batch = batch::insert_products(&txn, &rows).await;
    let txn = match batch {
        Ok(()) => {
            saved.extend(
                inserts
                    .iter()
                    .map(|(at, new)| saved_of(&products[*at], new.row.id)),
            );
            txn
        }
        // Only a SKU taken meanwhile; any other failure fails the attempt (retried).
        Err(DomainError::Db(err)) if crate::reference::unique_violation(&err) => {
            txn.rollback().await?;
            tracing::info!(error = %err, "a page's batch insert met a SKU taken meanwhile; saving one by one");
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
                                ItemError::new(
                                    ItemErrorCode::ParentFailed,
                                    "its family could not be saved",
                                ),
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
    if let Some(location_id) = ctx.mapping.default_location_id {
        let fill: Vec<Uuid> = saved
            .iter()
            .map(|s| s.product_id)
            .filter(|id| without_location.contains(id))
            .collect();
        batch::fill_default_location(&txn, &fill, location_id).await?;
    }
    outcomes.extend(link_listings(&txn, ctx, saved, &resolved).await?);
    let records: Vec<ItemRecord> = outcomes.into_iter().map(Outcome::into_record).collect();
    job.record_items(&txn, &records).await?;
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
        family_key: planned
            .variant
            .as_ref()
            .map(|(family, _, _)| family.clone()),
    }
}

/// Lists each saved product in the store through the one link writer; a product or a
/// Magento product linked to another is refused as `ALREADY_LISTED`.
async fn link_listings<C: ConnectionTrait>(
    db: &C,
    ctx: &Context,
    saved: Vec<Saved>,
    families: &HashMap<String, product_family::Model>,
) -> DomainResult<Vec<Outcome>> {
    let links: Vec<ProductLink> = saved
        .iter()
        .map(|item| ProductLink {
            product_id: item.product_id,
            magento_id: item.listing.magento_id,
            parent: item.parent_id.map(|parent| {
                let family = item
                    .family_key
                    .as_ref()
                    .and_then(|key| families.get(key))
                    .map(|f| f.id);
                (parent, family)
            }),
            sku: item.magento_sku.clone(),
            type_code: item.listing.type_id.code().to_owned(),
            attribute_set: item.listing.attribute_set.clone(),
        })
        .collect();
    let binder = Binder::new(ctx.org_id, ctx.store_id);
    let written = link::link_products(db, binder, &links, LinkWriter::Download).await?;
    Ok(saved
        .into_iter()
        .zip(written)
        .map(|(item, written)| {
            let error = written.err().map(|refused| match refused {
                BindRefused::RecordTaken { external_id, .. } => ItemError::new(ItemErrorCode::AlreadyListed,
                    format!(
                        "the product {} is already listed in this store as Magento product id {external_id}",
                        item.key
                    ),
                ),
                BindRefused::EntityTaken { external_id, .. } => ItemError::new(ItemErrorCode::AlreadyListed,
                    format!("Magento product id {external_id} is already linked to another product"),
                ),
            });
            Outcome {
                index: item.index,
                key: item.key,
                error,
            }
        })
        .collect())
}

impl Outcome {
    fn into_record(self) -> ItemRecord {
        ItemRecord::new(self.index, self.key, self.error)
    }
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
/// transient failure); a retried attempt skips the items already recorded and finds
/// everything else already saved, so it writes nothing twice.
async fn download_products(ctx: &JobContext, only: Option<&[i64]>) -> Result<(), JobFailure> {
    let (store, client) = stores::store_of_job(ctx).await?;
    let client = client.with_page_size(PAGE_SIZE);
    ctx.set_phase("reading the store's categories and settings", None)
        .await?;
    let mut context = context(ctx, &store, &client).await?;
    ctx.set_phase("reading the configurable products' children", None)
        .await?;
    let links = configurable_links(&client).await?;
    let recorded = ctx.recorded_items().await?;
    let mut owners = SkuOwners::recorded(&recorded);
    let done: HashSet<i32> = recorded.into_keys().collect();

    let full = jobs::only_ids(criteria(), only);
    let fetch = |page: u32| {
        let (client, criteria) = (client.clone(), full.clone());
        Prefetch(tokio::spawn(async move {
            client.products_page(criteria, page).await
        }))
    };
    let (mut current, total) = fetch(1).wait().await?;
    // Products created after this first page are for the next download.
    let pages = client.last_page(total);
    ctx.set_phase(
        "downloading products",
        Some(i32::try_from(total).unwrap_or(i32::MAX)),
    )
    .await?;
    // Around the page written, the one before and the one after are at hand (children
    // sit next to their configurable); the next few are read meanwhile, in parallel:
    // reading a page takes the store longer than writing one takes us.
    let read = |page: u32| (page <= pages).then(|| fetch(page));
    let mut ahead: VecDeque<Prefetch> = (2..=READ_AHEAD + 1).filter_map(read).collect();
    let mut previous: Vec<Product> = Vec::new();
    let mut following = next_page(&mut ahead).await?;
    for page in 1..=pages {
        ctx.check_cancelled().await?;
        ahead.extend(read(page + READ_AHEAD + 1));
        let started = Instant::now();
        let plan = plan_page(
            &mut context,
            &client,
            &links,
            &mut owners,
            &current,
            &[&previous, &following],
            &done,
        )
        .await?;
        let planned = started.elapsed();
        write_page(ctx, &context, plan).await?;
        let written = started.elapsed() - planned;
        previous = std::mem::replace(&mut current, following);
        following = next_page(&mut ahead).await?;
        tracing::debug!(
            page,
            plan_ms = planned.as_millis(),
            write_ms = written.as_millis(),
            read_wait_ms = (started.elapsed() - planned - written).as_millis(),
            "download page written"
        );
    }
    Ok(())
}

async fn next_page(ahead: &mut VecDeque<Prefetch>) -> Result<Vec<Product>, JobFailure> {
    match ahead.pop_front() {
        Some(page) => Ok(page.wait().await?.0),
        None => Ok(Vec::new()),
    }
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
        assert_eq!(err.code, ItemErrorCode::UnsupportedType);
        assert!(err.message.contains("grouped"), "{}", err.message);
        assert_eq!(
            ItemError::from(MappingError::MissingSku { id: 3 }).code,
            ItemErrorCode::SkuMissing
        );
    }

    #[test]
    fn a_repeated_sku_points_at_its_first_owner() {
        let mut owners = SkuOwners::default();
        assert_eq!(owners.claim(5, "Tee-S"), None);
        assert_eq!(owners.claim(9, " TEE-S "), Some(5));
        assert_eq!(owners.claim(5, "tee-s"), None, "the owner itself again");
        assert_eq!(owners.claim(9, ""), None, "no SKU, nothing to repeat");
    }

    #[test]
    fn an_earlier_attempts_items_keep_their_skus_but_a_duplicate_owns_none() {
        let recorded = HashMap::from([
            (
                5,
                RecordedItem {
                    key: "Tee-S".into(),
                    error_code: None,
                },
            ),
            (
                7,
                RecordedItem {
                    key: "Mug".into(),
                    error_code: Some(ItemErrorCode::DuplicateSku),
                },
            ),
        ]);
        let mut owners = SkuOwners::recorded(&recorded);
        assert_eq!(owners.claim(9, "tee-s"), Some(5));
        assert_eq!(owners.claim(11, "mug"), None);
    }
}
