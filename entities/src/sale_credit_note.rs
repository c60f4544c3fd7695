use sea_orm::entity::prelude::*;

use crate::enums::CreditNoteStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sale_credit_notes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sale_id: Uuid,
    pub invoice_id: Uuid,
    pub number: String,
    pub status: CreditNoteStatus,
    pub credit_date: Date,
    pub total: Decimal,
    pub external_id: Option<String>,
    pub authorised_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
