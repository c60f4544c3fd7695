use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// How an invoice's due date follows from its date; `days` says how many (or which).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum PaymentTermMethod {
    /// `days` (0–365) after the invoice date.
    #[sea_orm(string_value = "days_after_invoice")]
    DaysAfterInvoice,
    /// Day `days` (1–31, capped at the month's last day) of the month after the
    /// invoice's.
    #[sea_orm(string_value = "day_of_next_month")]
    DayOfNextMonth,
    /// Paid before the invoice is issued; no days.
    #[sea_orm(string_value = "prepaid")]
    Prepaid,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_terms")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub method: PaymentTermMethod,
    pub days: Option<i32>,
    pub is_default: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
