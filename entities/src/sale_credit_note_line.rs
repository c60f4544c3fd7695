use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sale_credit_note_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub credit_note_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    pub sale_line_id: Option<Uuid>,
    pub description: String,
    pub quantity: Decimal,
    pub price: Decimal,
    pub tax_amount: Decimal,
    pub total: Decimal,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
