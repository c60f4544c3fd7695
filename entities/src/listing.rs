use sea_orm::entity::prelude::*;

use crate::enums::ListingStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "listings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub store_id: Uuid,
    pub product_id: Uuid,
    pub status: ListingStatus,
    pub magento_product_id: Option<i64>,
    pub magento_parent_id: Option<i64>,
    pub magento_sku: Option<String>,
    pub magento_type: Option<String>,
    pub attribute_set: Option<String>,
    pub stock_sync: bool,
    pub product_buffer_enabled: bool,
    pub product_buffer: i32,
    pub last_pushed_quantity: Option<Decimal>,
    pub last_pushed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
