//! Catalog products (`GET /V1/products/{sku}`, `GET /V1/products?searchCriteria…`,
//! `GET /V1/configurable-products/{sku}/children`), schema
//! `catalog-data-product-interface`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::attribute::{self, AttributeValue, CustomAttribute};
use super::inventory::StockItem;
use super::{
    bool_lenient, coded_or_default, decimal_or_zero, i64_or_zero, id_from_str_or_num,
    object_or_default, opt_bool_lenient, opt_coded, opt_datetime_lenient,
    opt_decimal_from_str_or_num, opt_id_from_str_or_num, opt_object, opt_string_lenient,
    string_lenient, vec_ids_lenient, vec_lenient, vec_strings_lenient,
};

str_coded_enum! {
    /// `type_id` of a product, `product_type` of an order row. `giftcard` exists on Adobe
    /// Commerce only; anything else (a third-party type) is `Other`.
    ProductType, "a product type" {
        Simple = "simple",
        Virtual = "virtual",
        Downloadable = "downloadable",
        Configurable = "configurable",
        Bundle = "bundle",
        Grouped = "grouped",
        GiftCard = "giftcard",
    }
}

impl ProductType {
    /// Types whose own product has a stock item that orders deduct from: simple, virtual
    /// and downloadable. Composite types (configurable, bundle, grouped) deduct through
    /// their children; gift cards and unknown types are not counted. (An order row typed
    /// `grouped` is really a member product; [`crate::dto::Order::fulfilment_items`] knows.)
    pub fn carries_stock(&self) -> bool {
        matches!(self, Self::Simple | Self::Virtual | Self::Downloadable)
    }

    /// Types made of other products: configurable, bundle and grouped.
    pub fn is_composite(&self) -> bool {
        matches!(self, Self::Configurable | Self::Bundle | Self::Grouped)
    }
}

/// An absent `type_id` reads as `Other("")` rather than guessing a type.
impl Default for ProductType {
    fn default() -> Self {
        Self::Other(String::new())
    }
}

int_coded_enum! {
    /// `status`: 1 enabled, 2 disabled.
    ProductStatus, "a product status" {
        Enabled = 1,
        Disabled = 2,
    }
}

int_coded_enum! {
    /// `visibility`: where the product is listed on its own.
    Visibility, "a visibility" {
        /// 1: only through a parent (configurable children).
        NotVisibleIndividually = 1,
        /// 2
        Catalog = 2,
        /// 3
        Search = 3,
        /// 4
        CatalogAndSearch = 4,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub id: i64,
    #[serde(deserialize_with = "string_lenient")]
    pub sku: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub name: String,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub attribute_set_id: Option<i64>,
    /// `0` on configurable parents; absent on some grouped and dynamic-price bundles.
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub price: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_coded")]
    pub status: Option<ProductStatus>,
    #[serde(default, deserialize_with = "opt_coded")]
    pub visibility: Option<Visibility>,
    #[serde(default, deserialize_with = "coded_or_default")]
    pub type_id: ProductType,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_datetime_lenient")]
    pub updated_at: Option<DateTime<Utc>>,
    /// In the store's weight unit (`storeConfigs[].weight_unit`).
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub weight: Option<Decimal>,
    #[serde(default, deserialize_with = "object_or_default")]
    pub extension_attributes: ProductExtension,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub product_links: Vec<ProductLink>,
    /// Custom options (the product's own, not configurable attributes).
    #[serde(default, deserialize_with = "vec_lenient")]
    pub options: Vec<ProductCustomOption>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub media_gallery_entries: Vec<MediaGalleryEntry>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub tier_prices: Vec<TierPrice>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub custom_attributes: Vec<CustomAttribute>,
}

impl Product {
    /// The value of a custom attribute.
    pub fn attribute(&self, code: &str) -> Option<&AttributeValue> {
        attribute::find(&self.custom_attributes, code)
    }

    /// The text of a scalar custom attribute (`url_key`, `tax_class_id`, a select's option
    /// id); `None` when absent or a list.
    pub fn text_attribute(&self, code: &str) -> Option<&str> {
        self.attribute(code)?.as_text()
    }

    /// A custom attribute read as a decimal (`special_price`, `cost`,
    /// `ts_dimensions_length`); `None` when absent, empty or not a number.
    pub fn decimal_attribute(&self, code: &str) -> Option<Decimal> {
        self.attribute(code)?.as_decimal()
    }

    /// The category ids: the `category_ids` custom attribute (an array of strings, or a
    /// comma-separated string), else `extension_attributes.category_links`. Entries that
    /// are not integers are skipped.
    pub fn category_ids(&self) -> Vec<i64> {
        match self.attribute("category_ids") {
            Some(value) => value
                .values()
                .into_iter()
                .filter_map(|id| id.parse().ok())
                .collect(),
            None => self
                .extension_attributes
                .category_links
                .iter()
                .map(|link| link.category_id)
                .collect(),
        }
    }

    pub fn website_ids(&self) -> &[i64] {
        &self.extension_attributes.website_ids
    }

    /// The legacy stock item; present on single-product reads, absent in lists.
    pub fn stock_item(&self) -> Option<&StockItem> {
        self.extension_attributes.stock_item.as_ref()
    }

    /// Product ids of a configurable's children.
    pub fn configurable_child_ids(&self) -> &[i64] {
        &self.extension_attributes.configurable_product_links
    }

    /// `product_links` of type `associated`: a grouped product's members.
    pub fn associated_links(&self) -> impl Iterator<Item = &ProductLink> {
        self.product_links
            .iter()
            .filter(|link| link.link_type == "associated")
    }

    pub fn is_enabled(&self) -> bool {
        self.status == Some(ProductStatus::Enabled)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductExtension {
    #[serde(default, deserialize_with = "vec_ids_lenient")]
    pub website_ids: Vec<i64>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub category_links: Vec<CategoryLink>,
    /// Legacy CatalogInventory stock item (single reads only).
    #[serde(default, deserialize_with = "opt_object")]
    pub stock_item: Option<StockItem>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub configurable_product_options: Vec<ConfigurableOption>,
    /// Product ids of the children.
    #[serde(default, deserialize_with = "vec_ids_lenient")]
    pub configurable_product_links: Vec<i64>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub bundle_product_options: Vec<BundleOption>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub downloadable_product_links: Vec<DownloadableLink>,
    /// Adobe Commerce gift cards: the fixed amounts offered.
    #[serde(default, deserialize_with = "vec_lenient")]
    pub giftcard_amounts: Vec<GiftCardAmount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryLink {
    #[serde(default, deserialize_with = "i64_or_zero")]
    pub position: i64,
    /// A string on the wire.
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub category_id: i64,
}

/// A configurable's super attribute (`GET /V1/configurable-products/{sku}/options/all`
/// answers the same shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigurableOption {
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub id: Option<i64>,
    /// The EAV attribute id (`"93"` for `color` on sample data); a string on the wire.
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub attribute_id: i64,
    #[serde(default, deserialize_with = "string_lenient")]
    pub label: String,
    #[serde(default, deserialize_with = "i64_or_zero")]
    pub position: i64,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub is_use_default: Option<bool>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub values: Vec<ConfigurableOptionValue>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub product_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigurableOptionValue {
    /// The attribute option id (what the child's custom attribute holds).
    #[serde(deserialize_with = "id_from_str_or_num")]
    pub value_index: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleOption {
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub option_id: Option<i64>,
    #[serde(default, deserialize_with = "string_lenient")]
    pub title: String,
    #[serde(default, deserialize_with = "bool_lenient")]
    pub required: bool,
    /// Input type: `select`, `radio`, `checkbox`, `multi`.
    #[serde(rename = "type", default, deserialize_with = "string_lenient")]
    pub input_type: String,
    #[serde(default, deserialize_with = "i64_or_zero")]
    pub position: i64,
    /// The bundle's own SKU.
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub sku: Option<String>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub product_links: Vec<BundleLink>,
}

/// One selection of a bundle option.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleLink {
    /// The selection id; a string in the schema.
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub id: Option<i64>,
    #[serde(deserialize_with = "string_lenient")]
    pub sku: String,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub option_id: Option<i64>,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub qty: Decimal,
    #[serde(default, deserialize_with = "i64_or_zero")]
    pub position: i64,
    #[serde(default, deserialize_with = "bool_lenient")]
    pub is_default: bool,
    /// Used by fixed-price bundles only.
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub price: Option<Decimal>,
    /// 0 fixed, 1 percent.
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub price_type: Option<i64>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    pub can_change_quantity: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownloadableLink {
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "string_lenient")]
    pub title: String,
    #[serde(default, deserialize_with = "i64_or_zero")]
    pub sort_order: i64,
    /// 0 no, 1 yes, 2 use config.
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub is_shareable: Option<i64>,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub price: Decimal,
    /// 0 is unlimited.
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub number_of_downloads: Option<i64>,
    /// `file` or `url`.
    #[serde(default, deserialize_with = "string_lenient")]
    pub link_type: String,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub link_file: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub link_url: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub sample_type: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub sample_file: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub sample_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GiftCardAmount {
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub attribute_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub website_id: Option<i64>,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub value: Decimal,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub website_value: Option<Decimal>,
}

/// A related/up-sell/cross-sell link, or a grouped product's `associated` member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductLink {
    #[serde(default, deserialize_with = "string_lenient")]
    pub sku: String,
    /// `related`, `upsell`, `crosssell`, `associated`.
    #[serde(default, deserialize_with = "string_lenient")]
    pub link_type: String,
    #[serde(deserialize_with = "string_lenient")]
    pub linked_product_sku: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub linked_product_type: String,
    #[serde(default, deserialize_with = "i64_or_zero")]
    pub position: i64,
    #[serde(default, deserialize_with = "object_or_default")]
    pub extension_attributes: ProductLinkExtension,
}

impl ProductLink {
    /// The default quantity of a grouped member.
    pub fn qty(&self) -> Option<Decimal> {
        self.extension_attributes.qty
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductLinkExtension {
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub qty: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaGalleryEntry {
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub id: Option<i64>,
    /// `image` or `external-video`.
    #[serde(default, deserialize_with = "string_lenient")]
    pub media_type: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub label: String,
    #[serde(default, deserialize_with = "i64_or_zero")]
    pub position: i64,
    #[serde(default, deserialize_with = "bool_lenient")]
    pub disabled: bool,
    /// Roles: `image`, `small_image`, `thumbnail`, `swatch_image`.
    #[serde(default, deserialize_with = "vec_strings_lenient")]
    pub types: Vec<String>,
    /// Relative to `<base_media_url>catalog/product`, e.g. `/a/b/ab-12_main.jpg`.
    #[serde(default, deserialize_with = "string_lenient")]
    pub file: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierPrice {
    /// 32000 is "all groups" on default installs.
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub customer_group_id: Option<i64>,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub qty: Decimal,
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub value: Decimal,
    #[serde(default, deserialize_with = "object_or_default")]
    pub extension_attributes: TierPriceExtension,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TierPriceExtension {
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub percentage_value: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub website_id: Option<i64>,
}

/// A custom option of the product itself (text field, drop-down, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductCustomOption {
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub option_id: Option<i64>,
    #[serde(default, deserialize_with = "string_lenient")]
    pub product_sku: String,
    #[serde(default, deserialize_with = "string_lenient")]
    pub title: String,
    /// `field`, `area`, `drop_down`, `radio`, `checkbox`, `multiple`, `date`, `file`, …
    #[serde(rename = "type", default, deserialize_with = "string_lenient")]
    pub option_type: String,
    #[serde(default, deserialize_with = "i64_or_zero")]
    pub sort_order: i64,
    #[serde(default, deserialize_with = "bool_lenient")]
    pub is_require: bool,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub price: Option<Decimal>,
    /// `fixed` or `percent`.
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub price_type: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub sku: Option<String>,
    #[serde(default, deserialize_with = "vec_lenient")]
    pub values: Vec<ProductCustomOptionValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductCustomOptionValue {
    #[serde(default, deserialize_with = "opt_id_from_str_or_num")]
    pub option_type_id: Option<i64>,
    #[serde(default, deserialize_with = "string_lenient")]
    pub title: String,
    #[serde(default, deserialize_with = "i64_or_zero")]
    pub sort_order: i64,
    #[serde(default, deserialize_with = "opt_decimal_from_str_or_num")]
    pub price: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub price_type: Option<String>,
    #[serde(default, deserialize_with = "opt_string_lenient")]
    pub sku: Option<String>,
}
