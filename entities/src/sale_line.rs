use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sale_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sale_id: Uuid,
    pub position: i32,
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub quantity: Decimal,
    pub price: Decimal,
    pub discount: Decimal,
    pub tax_rule_id: Option<Uuid>,
    pub tax_amount: Decimal,
    pub total: Decimal,
    pub external_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
