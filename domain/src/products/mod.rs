//! The ledger's products: SKU unique per organisation (case-insensitively, as Magento
//! compares SKUs), kind and status, descriptive fields the catalogue and listings use,
//! a price per tier, family membership with option values, and a bill of materials.
//! A create or an update is validated as a whole and written in one transaction.

pub mod batch;
mod families;
mod query;
mod write;

pub use families::{
    FamilyDraft, create_family, families, family, family_images, family_row, insert_families,
    update_family_row,
};
pub(crate) use query::with_details;
pub use query::{ProductFilter, product, product_by_sku, product_keys, products, products_by_ids};
pub use write::{create_product, update_product};

use rust_decimal::Decimal;
use uuid::Uuid;

use entities::enums::{ProductKind, ProductStatus};
use entities::{bill_of_materials, product, product_price};

/// A product with what belongs to it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductRecord {
    pub product: product::Model,
    /// By tier, ascending; tiers without a price are absent.
    pub prices: Vec<product_price::Model>,
    pub components: Vec<bill_of_materials::Model>,
}

impl ProductRecord {
    pub fn price(&self, tier: i16) -> Option<Decimal> {
        self.prices.iter().find(|p| p.tier == tier).map(|p| p.price)
    }

    pub fn tags(&self) -> Vec<String> {
        string_list(&self.product.tags)
    }

    pub fn images(&self) -> Vec<String> {
        string_list(&self.product.images)
    }

    /// Option values in the family's option order (absent values skipped).
    pub fn option_values(&self) -> Vec<String> {
        [
            &self.product.option1_value,
            &self.product.option2_value,
            &self.product.option3_value,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
    }
}

fn string_list(json: &serde_json::Value) -> Vec<String> {
    json.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The fields of a create or an update. `None` leaves a field as it is (on create: its
/// default); for nullable fields `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ProductDraft {
    pub sku: Option<String>,
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub kind: Option<ProductKind>,
    pub status: Option<ProductStatus>,
    pub category: Option<Option<String>>,
    pub brand: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub attribute_set: Option<Option<String>>,
    /// The family and this variant's option values, in the family's option order.
    pub family: Option<Option<FamilyMembership>>,
    pub length: Option<Option<Decimal>>,
    pub width: Option<Option<Decimal>>,
    pub height: Option<Option<Decimal>>,
    pub weight: Option<Option<Decimal>>,
    pub images: Option<Vec<String>>,
    pub default_location_id: Option<Option<Uuid>>,
    pub sale_tax_rule_id: Option<Option<Uuid>>,
    pub auto_assembly: Option<bool>,
    /// Prices to set per tier; `None` as a price removes that tier's price. Tiers not
    /// named keep theirs.
    pub prices: Option<Vec<(i32, Option<Decimal>)>>,
    /// The whole bill of materials, replacing the current one; empty removes it.
    pub components: Option<Vec<ComponentLine>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyMembership {
    pub family_id: Uuid,
    pub option_values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentLine {
    pub component_id: Uuid,
    pub quantity: Decimal,
}
