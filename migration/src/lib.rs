//! Stockbridge's schema, as sea-orm-migration migrations, and the helpers that create
//! a database when it is missing (at start) or clone a migrated template (in tests).

pub mod database;
mod m20261127_000001_foundation;
mod m20261127_000002_catalog_and_stock;

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_foundation::Migration),
            Box::new(m20261127_000002_catalog_and_stock::Migration),
        ]
    }
}

/// The SQL of every migration, in order: tests name their template database after
/// its hash so a schema change never reuses a stale template.
pub fn schema_fingerprint_source() -> impl Iterator<Item = &'static str> {
    [
        m20261127_000001_foundation::SQL,
        m20261127_000002_catalog_and_stock::SQL,
    ]
    .into_iter()
}
