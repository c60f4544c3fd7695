use sea_orm::entity::prelude::*;

use crate::enums::{StockMode, StoreStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "magento_stores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub base_url: String,
    pub status: StoreStatus,
    pub connected_at: DateTimeUtc,
    pub secret_key_id: String,
    pub consumer_key_enc: Vec<u8>,
    pub consumer_secret_enc: Vec<u8>,
    pub access_token_enc: Vec<u8>,
    pub access_token_secret_enc: Vec<u8>,
    pub consumer_key_last4: String,
    pub stock_mode: StockMode,
    pub metadata: Json,
    pub metadata_refreshed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
