use sea_orm::entity::prelude::*;

use crate::enums::MovementKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_movements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: Uuid,
    pub product_id: Uuid,
    pub location_id: Uuid,
    pub on_hand_delta: Decimal,
    pub allocated_delta: Decimal,
    pub kind: MovementKind,
    pub reason: Option<String>,
    pub reference_type: Option<String>,
    pub reference_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
