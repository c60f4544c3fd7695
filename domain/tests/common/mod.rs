//! A fresh migrated database per test (cloned from a template), an organisation with
//! its default reference books, and small builders for the rows a test needs.

#![allow(dead_code)]

use chrono::Utc;
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ConnectOptions, Database, DatabaseConnection, Set};
use uuid::Uuid;

use domain::entities::enums::{ProductKind, ProductStatus};
use domain::entities::{location, product};

pub struct TestDb {
    pub db: DatabaseConnection,
    pub org_id: Uuid,
    url: String,
}

fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl TestDb {
    pub async fn new(label: &str) -> Self {
        let url = migration::database::fresh_test_database(&server_url(), label)
            .await
            .expect("a fresh test database");
        let mut options = ConnectOptions::new(url.clone());
        options.max_connections(16).sqlx_logging(false);
        let db = Database::connect(options).await.expect("connect");
        let org = domain::auth::ensure_organization(&db, "Test Org")
            .await
            .expect("organisation");
        Self {
            db,
            org_id: org.id,
            url,
        }
    }

    /// Closes the pool and drops the database.
    pub async fn drop(self) {
        let _ = self.db.close().await;
        migration::database::drop_test_database(&self.url)
            .await
            .expect("drop test database");
    }

    pub async fn location(&self, name: &str) -> Uuid {
        location::ActiveModel {
            id: Set(Uuid::new_v4()),
            org_id: Set(self.org_id),
            name: Set(name.to_owned()),
            is_default: Set(false),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .expect("location")
        .id
    }

    pub async fn product(&self, sku: &str) -> Uuid {
        self.product_of_kind(sku, ProductKind::Stock).await
    }

    pub async fn product_of_kind(&self, sku: &str, kind: ProductKind) -> Uuid {
        let now = Utc::now();
        product::ActiveModel {
            id: Set(Uuid::new_v4()),
            org_id: Set(self.org_id),
            sku: Set(sku.to_owned()),
            name: Set(format!("Product {sku}")),
            description: Set(None),
            kind: Set(kind),
            status: Set(ProductStatus::Active),
            category: Set(None),
            brand: Set(None),
            tags: Set(serde_json::json!([])),
            attribute_set: Set(None),
            family_id: Set(None),
            option1_value: Set(None),
            option2_value: Set(None),
            option3_value: Set(None),
            length: Set(None),
            width: Set(None),
            height: Set(None),
            weight: Set(None),
            images: Set(serde_json::json!([])),
            default_location_id: Set(None),
            sale_tax_rule_id: Set(None),
            auto_assembly: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&self.db)
        .await
        .expect("product")
        .id
    }
}

pub fn qty(units: i64) -> Decimal {
    Decimal::from(units)
}

impl TestDb {
    /// A customer row with only a name (the ledger's customer book has more; sales need
    /// only its id).
    pub async fn customer(&self, name: &str) -> Uuid {
        use sea_orm::{ConnectionTrait, Statement};
        let id = Uuid::new_v4();
        self.db
            .execute_raw(Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "INSERT INTO customers (id, org_id, name) VALUES ($1, $2, $3)",
                [id.into(), self.org_id.into(), name.into()],
            ))
            .await
            .expect("customer");
        id
    }

    /// The organisation's account with this code (the defaults: 4000 Sales, 1200
    /// Checking Account, 2300 Gift Card Liability).
    pub async fn account(&self, code: &str) -> Uuid {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        domain::entities::account::Entity::find()
            .filter(domain::entities::account::Column::OrgId.eq(self.org_id))
            .filter(domain::entities::account::Column::Code.eq(code))
            .one(&self.db)
            .await
            .expect("read")
            .expect("account")
            .id
    }

    pub async fn tax_rule(&self, name: &str, rate: Decimal) -> Uuid {
        use sea_orm::{ConnectionTrait, Statement};
        let id = Uuid::new_v4();
        self.db
            .execute_raw(Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "INSERT INTO tax_rules (id, org_id, name, rate, is_tax_free) VALUES ($1, $2, $3, $4, false)",
                [id.into(), self.org_id.into(), name.into(), rate.into()],
            ))
            .await
            .expect("tax rule");
        id
    }
}

/// The user errors of a refused call as `(field path, code)`, sorted by field.
pub fn user_errors(err: domain::DomainError) -> Vec<(String, domain::ErrorCode)> {
    match err {
        domain::DomainError::Invalid(errors) => {
            let mut found: Vec<(String, domain::ErrorCode)> = errors
                .into_iter()
                .map(|e| (e.field.join("."), e.code))
                .collect();
            found.sort_by(|a, b| a.0.cmp(&b.0));
            found
        }
        other => panic!("expected user errors, got {other}"),
    }
}
