//! Stockbridge's schema, as sea-orm-migration migrations, and the helpers that create
//! a database when it is missing (at start) or clone a migrated template (in tests).

pub mod database;
mod m20261127_000001_foundation;
mod m20261127_000002_catalog_and_stock;
mod m20261127_000003_reference_and_customers;
mod m20261127_000004_sales;
mod m20261127_000005_listings;
mod m20261127_000006_stock_sync;
mod m20261127_000007_family_images;

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_foundation::Migration),
            Box::new(m20261127_000002_catalog_and_stock::Migration),
            Box::new(m20261127_000003_reference_and_customers::Migration),
            Box::new(m20261127_000004_sales::Migration),
            Box::new(m20261127_000005_listings::Migration),
            Box::new(m20261127_000006_stock_sync::Migration),
            Box::new(m20261127_000007_family_images::Migration),
        ]
    }
}

/// The SQL of every migration, in order: tests name their template database after
/// its hash so a schema change never reuses a stale template.
pub fn schema_fingerprint_source() -> impl Iterator<Item = &'static str> {
    [
        m20261127_000001_foundation::SQL,
        m20261127_000002_catalog_and_stock::SQL,
        m20261127_000003_reference_and_customers::SQL,
        m20261127_000004_sales::SQL,
        m20261127_000005_listings::SQL,
        m20261127_000006_stock_sync::SQL,
        m20261127_000007_family_images::SQL,
    ]
    .into_iter()
}
