//! The field mapping of "Download → Products" (`docs/mappings.md#product-download`, "Products (Magento →
//! Stockbridge)"): a Magento product, plus what the download job looked up beforehand
//! ([`MappingContext`]), becomes a [`ProductDraft`] with its listing fields, or a family
//! description for a configurable. Pure: no database, no HTTP.
//!
//! Choices where the mapping table is silent:
//! - `simple` → stock; `virtual` and `downloadable` → service; `giftcard` → gift card;
//!   `bundle` → a stock product (its lines are expanded on orders, not here);
//!   `configurable` → a family ([`MappedProduct::Family`]); `grouped` and anything else
//!   → [`MappingError::UnsupportedType`].
//! - Magento is the source of the mapped fields: an absent description, category,
//!   dimension, weight or attribute set clears ours (`Some(None)`); only the special price
//!   is "only when present" — absent, the sale tier's price is left as it is.
//! - An absent `price` (dynamic bundles) leaves the price tier as it is.
//! - When the Price Tier and the Sale Price Tier are the same tier (both default to 1),
//!   it receives `price`; `special_price` goes there only when there is no `price`.
//! - Category: the known id with the highest level wins; on a tie, the first listed;
//!   ids missing from the tree are skipped.
//! - Images: entries with an empty `file` or of media type `external-video` are skipped
//!   besides disabled ones; equal positions keep Magento's order. A configurable's images
//!   are its family's, which its variants without images of their own are listed with.
//! - Default location: the one [`MappingContext`] names, for the job to keep on products
//!   it creates (and on matched ones that have none); Magento has no such field.
//! - Variants: [`FamilyMembership`] needs the ledger family id, which exists only once the
//!   job has created or found the family, so [`MappedVariant`] carries the option values
//!   and leaves `draft.family` unset for the job to fill.

use std::collections::HashMap;

use rust_decimal::Decimal;
use uuid::Uuid;

use entities::enums::{ProductKind, ProductStatus};
use magento::dto::{Product, ProductType};

use crate::products::{FamilyDraft, ProductDraft};

/// Price tiers run from 1 to 10.
const TIERS: std::ops::RangeInclusive<i32> = 1..=10;

/// A family has one to three options.
const MAX_OPTIONS: usize = 3;

/// What the download job looked up before mapping.
#[derive(Debug, Clone, Default)]
pub struct MappingContext {
    /// The Price Tier (setting 8), 1–10: receives `price`.
    pub price_tier: i32,
    /// The Sale Price Tier (setting 9), 1–10: receives `special_price`.
    pub sale_price_tier: i32,
    /// The store's base media URL, e.g. `https://shop.example/media/`.
    pub media_url: String,
    /// The category tree, flattened: id → name and level.
    pub categories: HashMap<i64, CategoryNode>,
    /// Attribute set id → name.
    pub attribute_sets: HashMap<i64, String>,
    /// Magento tax class id → the ledger tax rule with that class's name.
    pub tax_rules: HashMap<i64, Uuid>,
    /// "List products as Draft".
    pub list_as_draft: bool,
    /// The default location of a product the download creates: the store's linked
    /// location, else the organisation's default location.
    pub default_location_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryNode {
    pub name: String,
    pub level: i64,
}

/// What goes on the listing besides the product itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingFields {
    pub magento_id: i64,
    pub type_id: ProductType,
    pub attribute_set: Option<String>,
}

/// A product (or variant) ready to match by SKU and create or update.
#[derive(Debug, Clone)]
pub struct MappedItem {
    pub draft: ProductDraft,
    pub listing: ListingFields,
}

/// One option of a configurable: the EAV attribute (whose option labels the job looks
/// up for the children) and its label, which becomes the family's option name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyOption {
    pub attribute_id: i64,
    pub label: String,
}

/// A configurable parent: the family to create or update, and its children's ids.
#[derive(Debug, Clone)]
pub struct MappedFamily {
    pub family: FamilyDraft,
    /// In `position` order; `family.option_names` follows the same order.
    pub options: Vec<FamilyOption>,
    /// `configurable_product_links`: the ids of the children to fetch and map with
    /// [`map_variant`].
    pub child_ids: Vec<i64>,
    pub listing: ListingFields,
}

#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "one short-lived value per downloaded product; boxing only burdens the caller"
)]
pub enum MappedProduct {
    Product(MappedItem),
    Family(MappedFamily),
}

/// A configurable's child: the product, and its option values in the family's option
/// order (for the job's [`FamilyMembership`](crate::products::FamilyMembership)).
#[derive(Debug, Clone)]
pub struct MappedVariant {
    pub item: MappedItem,
    pub option_values: Vec<String>,
    /// The Magento id of the configurable parent (the listing's external family id).
    pub parent_id: i64,
}

/// A product that cannot be mapped; the item error names it and the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MappingError {
    #[error("Magento product id {id}: no SKU")]
    MissingSku { id: i64 },
    #[error("Magento product {sku} (id {id}): no name")]
    MissingName { id: i64, sku: String },
    #[error("Magento product {sku} (id {id}): type_id `{type_id}` cannot be downloaded")]
    UnsupportedType {
        id: i64,
        sku: String,
        type_id: String,
    },
    #[error("Magento product {sku} (id {id}): {field} is negative ({value})")]
    Negative {
        id: i64,
        sku: String,
        field: &'static str,
        value: Decimal,
    },
    #[error("Magento product {sku} (id {id}): {field} tier {tier} is outside 1–10")]
    InvalidTier {
        id: i64,
        sku: String,
        field: &'static str,
        tier: i32,
    },
    #[error(
        "Magento product {sku} (id {id}): configurable_product_options has {count} options, \
         a family takes 1 to 3"
    )]
    OptionCount { id: i64, sku: String, count: usize },
    #[error(
        "Magento product {sku} (id {id}): {given} option values for a family of {expected} options"
    )]
    OptionValues {
        id: i64,
        sku: String,
        expected: usize,
        given: usize,
    },
    #[error(
        "Magento product {sku} (id {id}): a variant must be simple, virtual or downloadable, not `{type_id}`"
    )]
    VariantType {
        id: i64,
        sku: String,
        type_id: String,
    },
}

/// Maps one Magento product: a configurable to a family, anything else to a product.
pub fn map_product(product: &Product, ctx: &MappingContext) -> Result<MappedProduct, MappingError> {
    let (sku, name) = identity(product)?;
    if product.type_id == ProductType::Configurable {
        return map_family(product, sku, name, ctx).map(MappedProduct::Family);
    }
    map_item(product, sku, name, ctx).map(MappedProduct::Product)
}

/// Maps a configurable's child with its option values (labels the job looked up for the
/// family's option attributes, in the family's option order).
pub fn map_variant(
    child: &Product,
    family: &MappedFamily,
    option_values: Vec<String>,
    ctx: &MappingContext,
) -> Result<MappedVariant, MappingError> {
    let (sku, name) = identity(child)?;
    if !matches!(
        child.type_id,
        ProductType::Simple | ProductType::Virtual | ProductType::Downloadable
    ) {
        return Err(MappingError::VariantType {
            id: child.id,
            sku,
            type_id: child.type_id.code().to_owned(),
        });
    }
    if option_values.len() != family.options.len() {
        return Err(MappingError::OptionValues {
            id: child.id,
            sku,
            expected: family.options.len(),
            given: option_values.len(),
        });
    }
    let item = map_item(child, sku, name, ctx)?;
    Ok(MappedVariant {
        item,
        option_values,
        parent_id: family.listing.magento_id,
    })
}

/// The trimmed SKU and name, both required.
fn identity(product: &Product) -> Result<(String, String), MappingError> {
    let sku = product.sku.trim();
    if sku.is_empty() {
        return Err(MappingError::MissingSku { id: product.id });
    }
    let name = product.name.trim();
    if name.is_empty() {
        return Err(MappingError::MissingName {
            id: product.id,
            sku: sku.to_owned(),
        });
    }
    Ok((sku.to_owned(), name.to_owned()))
}

fn map_family(
    product: &Product,
    sku: String,
    name: String,
    ctx: &MappingContext,
) -> Result<MappedFamily, MappingError> {
    let mut configurable = product
        .extension_attributes
        .configurable_product_options
        .iter()
        .collect::<Vec<_>>();
    configurable.sort_by_key(|option| option.position);
    let count = configurable.len();
    if count == 0 || count > MAX_OPTIONS {
        return Err(MappingError::OptionCount {
            id: product.id,
            sku,
            count,
        });
    }
    let options = configurable
        .into_iter()
        .map(|option| FamilyOption {
            attribute_id: option.attribute_id,
            label: option.label.trim().to_owned(),
        })
        .collect::<Vec<_>>();
    Ok(MappedFamily {
        family: FamilyDraft {
            sku,
            name,
            description: description(product),
            category: category(product, ctx),
            brand: None,
            option_names: options.iter().map(|option| option.label.clone()).collect(),
            images: Some(images(product, &ctx.media_url)),
        },
        options,
        child_ids: product.configurable_child_ids().to_vec(),
        listing: listing(product, ctx),
    })
}

fn map_item(
    product: &Product,
    sku: String,
    name: String,
    ctx: &MappingContext,
) -> Result<MappedItem, MappingError> {
    let kind = match &product.type_id {
        ProductType::Simple | ProductType::Bundle => ProductKind::Stock,
        ProductType::Virtual | ProductType::Downloadable => ProductKind::Service,
        ProductType::GiftCard => ProductKind::GiftCard,
        other => {
            return Err(MappingError::UnsupportedType {
                id: product.id,
                sku,
                type_id: other.code().to_owned(),
            });
        }
    };
    let check = |field: &'static str, value: Option<Decimal>| match value {
        Some(v) if v.is_sign_negative() && !v.is_zero() => Err(MappingError::Negative {
            id: product.id,
            sku: sku.clone(),
            field,
            value: v,
        }),
        _ => Ok(value),
    };
    let length = check("length", dimension(product, "length"))?;
    let width = check("width", dimension(product, "width"))?;
    let height = check("height", dimension(product, "height"))?;
    let weight = check("weight", product.weight)?;
    let price = check("price", product.price)?;
    let special_price = check("special_price", product.decimal_attribute("special_price"))?;

    let mut prices = Vec::new();
    if let Some(price) = price {
        prices.push((tier(product, &sku, "price", ctx.price_tier)?, Some(price)));
    }
    // With both settings on one tier (their default), that tier is the regular price:
    // a special price is temporary in Magento (it has from/to dates).
    if let Some(special) = special_price
        && (ctx.sale_price_tier != ctx.price_tier || price.is_none())
    {
        prices.push((
            tier(product, &sku, "special_price", ctx.sale_price_tier)?,
            Some(special),
        ));
    }

    let listing = listing(product, ctx);
    let draft = ProductDraft {
        sku: Some(sku),
        name: Some(name),
        description: Some(description(product)),
        kind: Some(kind),
        status: Some(if ctx.list_as_draft {
            ProductStatus::Draft
        } else {
            ProductStatus::Active
        }),
        category: Some(category(product, ctx)),
        attribute_set: Some(listing.attribute_set.clone()),
        length: Some(length),
        width: Some(width),
        height: Some(height),
        weight: Some(weight),
        images: Some(images(product, &ctx.media_url)),
        default_location_id: Some(ctx.default_location_id),
        sale_tax_rule_id: Some(tax_rule(product, ctx)),
        prices: Some(prices),
        ..ProductDraft::default()
    };
    Ok(MappedItem { draft, listing })
}

fn tier(product: &Product, sku: &str, field: &'static str, tier: i32) -> Result<i32, MappingError> {
    if TIERS.contains(&tier) {
        Ok(tier)
    } else {
        Err(MappingError::InvalidTier {
            id: product.id,
            sku: sku.to_owned(),
            field,
            tier,
        })
    }
}

fn listing(product: &Product, ctx: &MappingContext) -> ListingFields {
    ListingFields {
        magento_id: product.id,
        type_id: product.type_id.clone(),
        attribute_set: product
            .attribute_set_id
            .and_then(|id| ctx.attribute_sets.get(&id).cloned()),
    }
}

/// `custom_attributes.description` as is (HTML kept); blank reads as none.
fn description(product: &Product) -> Option<String> {
    product
        .text_attribute("description")
        .filter(|text| !text.trim().is_empty())
        .map(str::to_owned)
}

/// The name of the deepest known category; the first listed wins a tie.
fn category(product: &Product, ctx: &MappingContext) -> Option<String> {
    let mut best: Option<&CategoryNode> = None;
    for id in product.category_ids() {
        if let Some(node) = ctx.categories.get(&id)
            && best.is_none_or(|b| node.level > b.level)
        {
            best = Some(node);
        }
    }
    best.map(|node| node.name.clone())
}

/// `ts_dimensions_{axis}`, else `{axis}`.
fn dimension(product: &Product, axis: &str) -> Option<Decimal> {
    product
        .decimal_attribute(&format!("ts_dimensions_{axis}"))
        .or_else(|| product.decimal_attribute(axis))
}

/// Enabled image files made absolute, in `position` order.
fn images(product: &Product, media_url: &str) -> Vec<String> {
    let base = media_url.trim_end_matches('/');
    let mut entries = product
        .media_gallery_entries
        .iter()
        .filter(|entry| {
            !entry.disabled && !entry.file.trim().is_empty() && entry.media_type != "external-video"
        })
        .collect::<Vec<_>>();
    entries.sort_by_key(|entry| entry.position);
    entries
        .into_iter()
        .map(|entry| {
            let file = entry.file.trim();
            let sep = if file.starts_with('/') { "" } else { "/" };
            format!("{base}/catalog/product{sep}{file}")
        })
        .collect()
}

/// The ledger tax rule for `tax_class_id`; none when no rule matches.
fn tax_rule(product: &Product, ctx: &MappingContext) -> Option<Uuid> {
    let class_id = product
        .text_attribute("tax_class_id")?
        .trim()
        .parse()
        .ok()?;
    ctx.tax_rules.get(&class_id).copied()
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use serde_json::{Value, json};

    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).expect("a decimal")
    }

    /// A simple product in Magento's shape, with `custom_attributes` given as pairs.
    fn product_json(type_id: &str, attributes: &[(&str, Value)]) -> Value {
        let custom = attributes
            .iter()
            .map(|(code, value)| json!({"attribute_code": code, "value": value}))
            .collect::<Vec<_>>();
        json!({
            "id": 71,
            "sku": "MUG-BLUE",
            "name": "Enamel Mug",
            "attribute_set_id": "4",
            "price": "12.500000",
            "status": 1,
            "visibility": 4,
            "type_id": type_id,
            "weight": "0.3500",
            "extension_attributes": {"website_ids": [1]},
            "media_gallery_entries": [],
            "custom_attributes": custom,
        })
    }

    fn build(value: Value) -> Product {
        serde_json::from_value(value).expect("a Magento product")
    }

    fn simple(attributes: &[(&str, Value)]) -> Product {
        build(product_json("simple", attributes))
    }

    fn with(mut value: Value, key: &str, field: Value) -> Product {
        value[key] = field;
        build(value)
    }

    fn ctx() -> MappingContext {
        MappingContext {
            price_tier: 1,
            sale_price_tier: 2,
            media_url: "https://shop.example/media/".to_owned(),
            categories: HashMap::from([
                (
                    2,
                    CategoryNode {
                        name: "Default Category".to_owned(),
                        level: 1,
                    },
                ),
                (
                    5,
                    CategoryNode {
                        name: "Kitchen".to_owned(),
                        level: 2,
                    },
                ),
                (
                    9,
                    CategoryNode {
                        name: "Mugs".to_owned(),
                        level: 3,
                    },
                ),
            ]),
            attribute_sets: HashMap::from([(4, "Default".to_owned())]),
            tax_rules: HashMap::from([(2, Uuid::from_u128(0x2))]),
            list_as_draft: false,
            default_location_id: Some(Uuid::from_u128(0x10c)),
        }
    }

    fn item(product: &Product, ctx: &MappingContext) -> MappedItem {
        match map_product(product, ctx).expect("maps") {
            MappedProduct::Product(item) => item,
            MappedProduct::Family(family) => panic!("a family: {family:?}"),
        }
    }

    fn kind_of(type_id: &str) -> Option<ProductKind> {
        item(&build(product_json(type_id, &[])), &ctx()).draft.kind
    }

    fn configurable() -> Value {
        let mut value = product_json("configurable", &[]);
        value["sku"] = json!("MUG");
        value["price"] = json!(0);
        value["extension_attributes"] = json!({
            "configurable_product_options": [
                {"id": 3, "attribute_id": "141", "label": "Size", "position": 1,
                 "values": [{"value_index": 167}, {"value_index": 168}], "product_id": 71},
                {"id": 2, "attribute_id": "93", "label": "Color", "position": 0,
                 "values": [{"value_index": 49}], "product_id": 71},
            ],
            "configurable_product_links": [72, "73"],
        });
        value
    }

    fn family() -> MappedFamily {
        match map_product(&build(configurable()), &ctx()).expect("maps") {
            MappedProduct::Family(family) => family,
            MappedProduct::Product(item) => panic!("a product: {item:?}"),
        }
    }

    #[test]
    fn deepest_category_wins() {
        let product = simple(&[("category_ids", json!(["2", "9", "5"]))]);
        assert_eq!(
            item(&product, &ctx()).draft.category,
            Some(Some("Mugs".to_owned()))
        );
    }

    #[test]
    fn unknown_category_ids_are_skipped() {
        let product = simple(&[("category_ids", json!(["404", "5"]))]);
        assert_eq!(
            item(&product, &ctx()).draft.category,
            Some(Some("Kitchen".to_owned()))
        );
    }

    #[test]
    fn ts_dimensions_take_precedence_over_length_width_height() {
        let product = simple(&[
            ("length", json!("10")),
            ("width", json!("8")),
            ("height", json!("6")),
            ("ts_dimensions_length", json!("12.5")),
            ("ts_dimensions_height", json!("7")),
        ]);
        let draft = item(&product, &ctx()).draft;
        assert_eq!(draft.length, Some(Some(dec("12.5"))));
        assert_eq!(draft.width, Some(Some(dec("8"))));
        assert_eq!(draft.height, Some(Some(dec("7"))));
    }

    #[test]
    fn special_price_goes_to_the_sale_tier_when_present() {
        let product = simple(&[("special_price", json!("9.990000"))]);
        assert_eq!(
            item(&product, &ctx()).draft.prices,
            Some(vec![(1, Some(dec("12.5"))), (2, Some(dec("9.99")))])
        );
    }

    #[test]
    fn on_a_shared_tier_the_regular_price_wins_over_the_special_price() {
        let ctx = MappingContext {
            sale_price_tier: 1,
            ..ctx()
        };
        let product = simple(&[("special_price", json!("9.990000"))]);
        assert_eq!(
            item(&product, &ctx).draft.prices,
            Some(vec![(1, Some(dec("12.5")))])
        );
    }

    #[test]
    fn no_special_price_leaves_the_sale_tier_alone() {
        let product = simple(&[]);
        assert_eq!(
            item(&product, &ctx()).draft.prices,
            Some(vec![(1, Some(dec("12.5")))])
        );
    }

    #[test]
    fn images_are_absolute_ordered_by_position_and_disabled_skipped() {
        let product = with(
            product_json("simple", &[]),
            "media_gallery_entries",
            json!([
                {"id": 1, "media_type": "image", "position": 3, "disabled": false,
                 "types": [], "file": "/m/u/mug-side.jpg"},
                {"id": 2, "media_type": "image", "position": 1, "disabled": false,
                 "types": ["image"], "file": "/m/u/mug-front.jpg"},
                {"id": 3, "media_type": "image", "position": 2, "disabled": true,
                 "types": [], "file": "/m/u/mug-old.jpg"},
            ]),
        );
        assert_eq!(
            item(&product, &ctx()).draft.images,
            Some(vec![
                "https://shop.example/media/catalog/product/m/u/mug-front.jpg".to_owned(),
                "https://shop.example/media/catalog/product/m/u/mug-side.jpg".to_owned(),
            ])
        );
    }

    #[test]
    fn a_configurables_images_become_its_familys() {
        let mut value = configurable();
        value["media_gallery_entries"] = json!([
            {"id": 21, "media_type": "image", "position": 1, "disabled": false,
             "types": ["image"], "file": "/m/u/mug-front.jpg"},
        ]);
        let MappedProduct::Family(family) = map_product(&build(value), &ctx()).expect("maps")
        else {
            panic!("a family");
        };
        assert_eq!(
            family.family.images,
            Some(vec![
                "https://shop.example/media/catalog/product/m/u/mug-front.jpg".to_owned()
            ])
        );
    }

    #[test]
    fn a_product_gets_the_contexts_default_location() {
        assert_eq!(
            item(&simple(&[]), &ctx()).draft.default_location_id,
            Some(Some(Uuid::from_u128(0x10c)))
        );
    }

    #[test]
    fn tax_class_with_a_matching_rule_sets_the_sale_tax_rule() {
        let product = simple(&[("tax_class_id", json!("2"))]);
        assert_eq!(
            item(&product, &ctx()).draft.sale_tax_rule_id,
            Some(Some(Uuid::from_u128(0x2)))
        );
    }

    #[test]
    fn tax_class_without_a_matching_rule_leaves_the_rule_blank() {
        let product = simple(&[("tax_class_id", json!("7"))]);
        assert_eq!(item(&product, &ctx()).draft.sale_tax_rule_id, Some(None));
    }

    #[test]
    fn list_as_draft_gives_draft() {
        let ctx = MappingContext {
            list_as_draft: true,
            ..ctx()
        };
        assert_eq!(
            item(&simple(&[]), &ctx).draft.status,
            Some(ProductStatus::Draft)
        );
    }

    #[test]
    fn list_as_draft_off_gives_active() {
        assert_eq!(
            item(&simple(&[]), &ctx()).draft.status,
            Some(ProductStatus::Active)
        );
    }

    #[test]
    fn html_description_is_kept_as_is() {
        let html = "<p>Holds <strong>350&nbsp;ml</strong></p>\n<ul><li>Enamel</li></ul>";
        let product = simple(&[("description", json!(html))]);
        assert_eq!(
            item(&product, &ctx()).draft.description,
            Some(Some(html.to_owned()))
        );
    }

    #[test]
    fn listing_fields_carry_id_type_and_attribute_set_name() {
        let listing = item(&simple(&[]), &ctx()).listing;
        assert_eq!(
            listing,
            ListingFields {
                magento_id: 71,
                type_id: ProductType::Simple,
                attribute_set: Some("Default".to_owned()),
            }
        );
    }

    #[test]
    fn an_attribute_set_the_store_no_longer_has_is_left_blank_and_the_product_arrives() {
        let gone = with(product_json("simple", &[]), "attribute_set_id", json!("99"));
        let mapped = item(&gone, &ctx());
        assert_eq!(mapped.listing.attribute_set, None);
        assert_eq!(mapped.draft.attribute_set, Some(None));
        assert_eq!(mapped.draft.sku.as_deref(), Some("MUG-BLUE"));
    }

    #[test]
    fn simple_is_a_stock_product() {
        assert_eq!(kind_of("simple"), Some(ProductKind::Stock));
    }

    #[test]
    fn virtual_is_a_service() {
        assert_eq!(kind_of("virtual"), Some(ProductKind::Service));
    }

    #[test]
    fn downloadable_is_a_service() {
        assert_eq!(kind_of("downloadable"), Some(ProductKind::Service));
    }

    #[test]
    fn giftcard_is_a_gift_card() {
        assert_eq!(kind_of("giftcard"), Some(ProductKind::GiftCard));
    }

    #[test]
    fn bundle_is_a_stock_product() {
        assert_eq!(kind_of("bundle"), Some(ProductKind::Stock));
    }

    #[test]
    fn configurable_gives_a_family_with_its_option_labels_in_position_order() {
        let family = family();
        assert_eq!(family.family.sku, "MUG");
        assert_eq!(family.family.name, "Enamel Mug");
        assert_eq!(family.family.option_names, vec!["Color", "Size"]);
        assert_eq!(
            family.options,
            vec![
                FamilyOption {
                    attribute_id: 93,
                    label: "Color".to_owned(),
                },
                FamilyOption {
                    attribute_id: 141,
                    label: "Size".to_owned(),
                },
            ]
        );
        assert_eq!(family.child_ids, vec![72, 73]);
    }

    #[test]
    fn child_maps_as_a_variant_with_the_given_option_values() {
        let family = family();
        let mut child = product_json("simple", &[]);
        child["id"] = json!(72);
        child["sku"] = json!("MUG-BLUE-L");
        let variant = map_variant(
            &build(child),
            &family,
            vec!["Blue".to_owned(), "L".to_owned()],
            &ctx(),
        )
        .expect("maps");
        assert_eq!(variant.item.draft.sku.as_deref(), Some("MUG-BLUE-L"));
        assert_eq!(variant.option_values, vec!["Blue", "L"]);
        assert_eq!(variant.parent_id, 71);
    }

    #[test]
    fn variant_with_the_wrong_number_of_option_values_is_an_error() {
        let err = map_variant(&simple(&[]), &family(), vec!["Blue".to_owned()], &ctx())
            .expect_err("fails");
        assert!(matches!(
            err,
            MappingError::OptionValues {
                expected: 2,
                given: 1,
                ..
            }
        ));
    }

    #[test]
    fn missing_sku_is_an_error_naming_the_product_id() {
        let product = with(product_json("simple", &[]), "sku", json!(""));
        let err = map_product(&product, &ctx()).expect_err("fails");
        assert_eq!(err, MappingError::MissingSku { id: 71 });
        assert!(err.to_string().contains("71"));
    }

    #[test]
    fn missing_name_is_an_error_naming_the_sku() {
        let product = with(product_json("simple", &[]), "name", json!(" "));
        let err = map_product(&product, &ctx()).expect_err("fails");
        assert!(err.to_string().contains("MUG-BLUE"));
        assert!(err.to_string().contains("no name"));
    }

    #[test]
    fn unknown_type_is_an_error_naming_the_product_and_type() {
        let err =
            map_product(&build(product_json("subscription", &[])), &ctx()).expect_err("fails");
        assert_eq!(
            err,
            MappingError::UnsupportedType {
                id: 71,
                sku: "MUG-BLUE".to_owned(),
                type_id: "subscription".to_owned(),
            }
        );
        assert!(err.to_string().contains("MUG-BLUE"));
    }

    #[test]
    fn negative_dimension_is_an_error_naming_the_field() {
        let product = simple(&[("ts_dimensions_width", json!("-3"))]);
        let err = map_product(&product, &ctx()).expect_err("fails");
        assert_eq!(
            err,
            MappingError::Negative {
                id: 71,
                sku: "MUG-BLUE".to_owned(),
                field: "width",
                value: dec("-3"),
            }
        );
    }

    #[test]
    fn price_tier_outside_one_to_ten_is_an_error() {
        let ctx = MappingContext {
            price_tier: 0,
            ..ctx()
        };
        let err = map_product(&simple(&[]), &ctx).expect_err("fails");
        assert!(matches!(
            err,
            MappingError::InvalidTier {
                field: "price",
                tier: 0,
                ..
            }
        ));
    }
}
