use sea_orm::entity::prelude::*;

use crate::enums::LinkKind;

/// The binder's row: Magento entity `external_id` of `kind` in the store is our record
/// `record_id` (a product, family, customer, sale, credit note or fulfilment).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "magento_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub store_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: LinkKind,
    #[sea_orm(primary_key, auto_increment = false)]
    pub external_id: i64,
    pub org_id: Uuid,
    pub record_id: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
