//! SeaORM entities: one module per table, ActiveEnums for the closed sets. They only
//! describe data; the rules live in `domain`.

pub mod account;
pub mod api_key;
pub mod bill_of_materials;
pub mod customer;
pub mod enums;
pub mod event;
pub mod job;
pub mod job_item;
pub mod location;
pub mod magento_setting;
pub mod magento_store;
pub mod organization;
pub mod payment_account_mapping;
pub mod price_tier;
pub mod product;
pub mod product_family;
pub mod product_price;
pub mod stock_level;
pub mod stock_movement;
pub mod tax_rule;
pub mod tax_rule_mapping;
