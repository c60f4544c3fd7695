use sea_orm::entity::prelude::*;

use crate::enums::ChargeKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sale_charges")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sale_id: Uuid,
    pub position: i32,
    pub kind: ChargeKind,
    pub description: String,
    pub amount: Decimal,
    pub tax_rule_id: Option<Uuid>,
    pub tax_amount: Decimal,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
