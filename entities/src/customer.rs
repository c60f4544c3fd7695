use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Deprecated customers stay readable (old sales point at them) but are not offered
/// for new sales.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum CustomerStatus {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "deprecated")]
    Deprecated,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub status: CustomerStatus,
    /// 1 to 10: the tier a sale to this customer is priced at.
    pub price_tier: i16,
    pub payment_term_id: Option<Uuid>,
    pub tax_rule_id: Option<Uuid>,
    pub revenue_account_id: Option<Uuid>,
    /// ISO 4217 code.
    pub currency: String,
    pub notes: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
