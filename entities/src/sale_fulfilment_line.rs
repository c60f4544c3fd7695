use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sale_fulfilment_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub fulfilment_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub sale_line_id: Uuid,
    pub product_id: Uuid,
    pub location_id: Uuid,
    pub quantity: Decimal,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
