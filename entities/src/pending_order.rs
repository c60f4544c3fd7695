use sea_orm::entity::prelude::*;

use crate::enums::ProcessingState;

/// A captured Magento order waiting to become a sale; its id is its log entry's.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pending_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub store_id: Uuid,
    pub magento_order_id: i64,
    pub increment_id: String,
    pub magento_store_id: Option<i64>,
    pub store_view_code: Option<String>,
    pub state: String,
    pub status: String,
    pub magento_updated_at: Option<DateTimeUtc>,
    pub grand_total: Decimal,
    pub currency: String,
    pub location_id: Uuid,
    /// The order as Magento sent it.
    pub payload: Json,
    pub processing_state: ProcessingState,
    pub reason_code: Option<String>,
    pub reason: Option<String>,
    /// When the order was captured.
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
