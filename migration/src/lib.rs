//! Stockbridge's schema, as sea-orm-migration migrations, and the helpers that create
//! a database when it is missing (at start) or clone a migrated template (in tests).

pub mod database;

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

macro_rules! migration {
    ($name:literal) => {
        ($name, include_str!(concat!("sql/", $name, ".sql")))
    };
}
/// Every migration, in order: a name and its SQL (under `src/sql/`).
const MIGRATIONS: &[(&str, &str)] = &[
    migration!("m20261127_000001_foundation"),
    migration!("m20261127_000002_catalog_and_stock"),
    migration!("m20261127_000003_reference_and_customers"),
    migration!("m20261127_000004_sales"),
    migration!("m20261127_000005_listings"),
    migration!("m20261127_000006_stock_sync"),
    migration!("m20261127_000007_family_images"),
    migration!("m20261204_000008_channel_links"),
    migration!("m20261204_000009_order_capture"),
];

/// One migration: a file of SQL run as it is.
struct SqlMigration {
    name: &'static str,
    sql: &'static str,
}

impl MigrationName for SqlMigration {
    fn name(&self) -> &str {
        self.name
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for SqlMigration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(self.sql)
            .await?;
        Ok(())
    }
}

pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        MIGRATIONS
            .iter()
            .map(|&(name, sql)| Box::new(SqlMigration { name, sql }) as Box<dyn MigrationTrait>)
            .collect()
    }
}

/// The SQL of every migration, in order: tests name their template database after
/// its hash so a schema change never reuses a stale template.
pub fn schema_fingerprint_source() -> impl Iterator<Item = &'static str> {
    MIGRATIONS.iter().map(|(_, sql)| *sql)
}
