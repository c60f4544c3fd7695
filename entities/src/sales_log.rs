use sea_orm::entity::prelude::*;

use crate::enums::LogStatus;

/// One entry per captured Magento order (the binder's `order` link names it) and the
/// sale it became.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sales_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub store_id: Uuid,
    pub magento_order_id: i64,
    pub increment_id: String,
    pub status: LogStatus,
    pub sale_id: Option<Uuid>,
    pub original_id: Option<Uuid>,
    pub relation_parent_id: Option<i64>,
    pub grand_total: Decimal,
    pub currency: String,
    pub magento_created_at: Option<DateTimeUtc>,
    /// When the order was captured.
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
