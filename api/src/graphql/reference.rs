//! Reference books: locations, price tiers, tax rules, accounts, customers.

use async_graphql::{Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use domain::entities::{account, customer, enums, location, price_tier, tax_rule};

use super::ids;

pub struct Location(pub location::Model);

#[Object]
impl Location {
    async fn id(&self) -> ID {
        ids::encode("Location", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Sales of stores linked to All Locations use the default location.
    async fn is_default(&self) -> bool {
        self.0.is_default
    }
}

pub struct PriceTier(pub price_tier::Model);

#[Object]
impl PriceTier {
    async fn tier(&self) -> i32 {
        i32::from(self.0.tier)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
}

pub struct TaxRule(pub tax_rule::Model);

#[Object]
impl TaxRule {
    async fn id(&self) -> ID {
        ids::encode("TaxRule", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// A percentage.
    async fn rate(&self) -> Decimal {
        self.0.rate
    }
    async fn is_tax_free(&self) -> bool {
        self.0.is_tax_free
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::AccountKind")]
pub enum AccountKind {
    Revenue,
    Expense,
    Asset,
    Liability,
    Equity,
    Bank,
}

pub struct Account(pub account::Model);

#[Object]
impl Account {
    async fn id(&self) -> ID {
        ids::encode("Account", self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> AccountKind {
        self.0.kind.into()
    }
    async fn can_receive_payments(&self) -> bool {
        self.0.can_receive_payments
    }
}

pub struct Customer(pub customer::Model);

#[Object]
impl Customer {
    async fn id(&self) -> ID {
        ids::encode("Customer", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject)]
pub struct LocationCreateInput {
    pub name: String,
    #[graphql(default)]
    pub is_default: bool,
}

#[derive(InputObject)]
pub struct TaxRuleCreateInput {
    pub name: String,
    /// A percentage, 0 to 100.
    pub rate: Decimal,
    #[graphql(default)]
    pub is_tax_free: bool,
}

#[derive(InputObject)]
pub struct AccountCreateInput {
    pub code: String,
    pub name: String,
    pub kind: AccountKind,
    #[graphql(default)]
    pub can_receive_payments: bool,
}

#[derive(InputObject)]
pub struct CustomerCreateInput {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(InputObject, Default)]
pub struct CustomerFilter {
    pub email: Option<String>,
    pub name: Option<String>,
}
