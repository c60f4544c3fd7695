use sea_orm::entity::prelude::*;

use crate::enums::OrderStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sales")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub number: String,
    pub customer_id: Uuid,
    pub location_id: Uuid,
    pub currency: String,
    pub tax_inclusive: bool,
    pub order_status: OrderStatus,
    pub contact: Json,
    pub billing_address: Json,
    pub shipping_address: Json,
    pub customer_reference: Option<String>,
    pub sales_rep: Option<String>,
    pub notes: Option<String>,
    pub source_channel: String,
    pub external_id: Option<String>,
    pub external_reference: Option<String>,
    pub subtotal: Decimal,
    pub tax_total: Decimal,
    pub charges_total: Decimal,
    pub total: Decimal,
    pub authorised_at: Option<DateTimeUtc>,
    pub voided_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
