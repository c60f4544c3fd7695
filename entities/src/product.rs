use sea_orm::entity::prelude::*;

use crate::enums::{ProductKind, ProductStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: Option<String>,
    pub kind: ProductKind,
    pub status: ProductStatus,
    pub category: Option<String>,
    pub brand: Option<String>,
    /// A JSON array of strings.
    pub tags: Json,
    pub attribute_set: Option<String>,
    pub family_id: Option<Uuid>,
    pub option1_value: Option<String>,
    pub option2_value: Option<String>,
    pub option3_value: Option<String>,
    pub length: Option<Decimal>,
    pub width: Option<Decimal>,
    pub height: Option<Decimal>,
    pub weight: Option<Decimal>,
    /// A JSON array of image URLs, the main image first.
    pub images: Json,
    pub default_location_id: Option<Uuid>,
    pub sale_tax_rule_id: Option<Uuid>,
    pub auto_assembly: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
