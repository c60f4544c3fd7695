use sea_orm::entity::prelude::*;

/// A store's webhook secret, sealed; one without `valid_until` is current.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "magento_webhook_secrets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub store_id: Uuid,
    pub secret_key_id: String,
    pub secret_enc: Vec<u8>,
    pub created_at: DateTimeUtc,
    pub valid_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
