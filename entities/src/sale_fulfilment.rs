use sea_orm::entity::prelude::*;

use crate::enums::StageStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sale_fulfilments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sale_id: Uuid,
    pub number: i32,
    pub pick_status: StageStatus,
    pub pack_status: StageStatus,
    pub ship_status: StageStatus,
    pub carrier_id: Option<Uuid>,
    pub carrier_name: Option<String>,
    pub tracking_numbers: Json,
    pub picked_at: Option<DateTimeUtc>,
    pub packed_at: Option<DateTimeUtc>,
    pub shipped_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
