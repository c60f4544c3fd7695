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

    /// The database's URL (for a LISTEN connection of its own).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A store row with no reachable Magento behind it (for what needs only its id).
    pub async fn offline_store(&self, name: &str) -> Uuid {
        use domain::entities::enums::{StockMode, StoreStatus};
        let now = Utc::now();
        let id = Uuid::new_v4();
        domain::entities::magento_store::ActiveModel {
            id: Set(id),
            org_id: Set(self.org_id),
            name: Set(name.to_owned()),
            base_url: Set(format!("https://{name}.invalid")),
            status: Set(StoreStatus::Connected),
            connected_at: Set(now),
            secret_key_id: Set("test".into()),
            consumer_key_enc: Set(Vec::new()),
            consumer_secret_enc: Set(Vec::new()),
            access_token_enc: Set(Vec::new()),
            access_token_secret_enc: Set(Vec::new()),
            consumer_key_last4: Set("0000".into()),
            stock_mode: Set(StockMode::Unknown),
            metadata: Set(serde_json::json!({})),
            metadata_refreshed_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&self.db)
        .await
        .expect("store");
        id
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

/// A job transport for tests that run jobs by hand: it accepts every ticket.
pub struct AcceptingQueue;

impl domain::jobs::JobTransport for AcceptingQueue {
    fn new_task_id(&self) -> String {
        Uuid::new_v4().to_string()
    }
    fn push(
        &self,
        _ticket: domain::jobs::Ticket,
    ) -> futures_util::future::BoxFuture<'_, Result<(), domain::jobs::TransportError>> {
        Box::pin(async { Ok(()) })
    }
    fn task_exists(
        &self,
        _task_id: &str,
    ) -> futures_util::future::BoxFuture<'_, Result<bool, domain::jobs::TransportError>> {
        Box::pin(async { Ok(true) })
    }
}

impl TestDb {
    /// Services over this database whose jobs are run by hand ([`AcceptingQueue`]).
    pub fn services(&self) -> domain::Services {
        domain::Services {
            db: self.db.clone(),
            secrets: std::sync::Arc::new(
                domain::secrets::SecretBox::from_config(
                    "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                )
                .expect("secret key"),
            ),
            queue: std::sync::Arc::new(AcceptingQueue),
            magento_timeout: std::time::Duration::from_secs(10),
        }
    }

    /// An operator of this organisation.
    pub async fn operator(&self) -> domain::auth::Principal {
        let key = domain::auth::create_api_key(&self.db, "Test Org", domain::auth::Role::Operator)
            .await
            .expect("api key");
        domain::auth::Principal {
            org_id: key.org_id,
            api_key_id: key.api_key_id,
            role: domain::auth::Role::Operator,
        }
    }

    /// Connects `sandbox` as a store and runs its metadata refresh.
    pub async fn connect_sandbox(
        &self,
        services: &domain::Services,
        principal: &domain::auth::Principal,
        sandbox: &sandbox::RunningSandbox,
    ) -> domain::entities::magento_store::Model {
        use sea_orm::EntityTrait;
        let (store, refresh) = domain::channel::magento::stores::connect(
            services,
            principal,
            domain::channel::magento::stores::ConnectInput {
                name: "Main".to_owned(),
                base_url: sandbox.base_url.clone(),
                credentials: sandbox.credentials.clone(),
            },
        )
        .await
        .expect("connected");
        domain::jobs::run_job(services, refresh.id)
            .await
            .expect("metadata read");
        domain::entities::magento_store::Entity::find_by_id(store.id)
            .one(&self.db)
            .await
            .expect("read")
            .expect("store")
    }
}

/// A call to the sandbox's control API (`/sandbox/{path}`) over a bare connection;
/// returns the answer's status line.
pub async fn sandbox_control(
    sandbox: &sandbox::RunningSandbox,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> String {
    let answer = sandbox_exchange(sandbox, method, path, body).await;
    answer.lines().next().unwrap_or_default().to_owned()
}

/// A call to the sandbox's control API that answers JSON; returns the body.
pub async fn sandbox_json(
    sandbox: &sandbox::RunningSandbox,
    method: &str,
    path: &str,
) -> serde_json::Value {
    let answer = sandbox_exchange(sandbox, method, path, serde_json::json!({})).await;
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    serde_json::from_str(body).expect("a JSON body")
}

/// How many REST requests the sandbox has served (`GET /sandbox/stats`).
pub async fn sandbox_requests(sandbox: &sandbox::RunningSandbox) -> u64 {
    sandbox_json(sandbox, "GET", "stats").await["requests"]
        .as_u64()
        .expect("a request count")
}

async fn sandbox_exchange(
    sandbox: &sandbox::RunningSandbox,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = sandbox.base_url.trim_start_matches("http://");
    let body = body.to_string();
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .expect("sandbox reachable");
    let request = format!(
        "{method} /sandbox/{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request sent");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .await
        .expect("answer read");
    answer
}

/// A `POST` to the sandbox's control API; the status line and the JSON answer.
pub async fn sandbox_post(
    sandbox: &sandbox::RunningSandbox,
    path: &str,
    body: serde_json::Value,
) -> (String, serde_json::Value) {
    let answer = sandbox_exchange(sandbox, "POST", path, body).await;
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head.lines().next().unwrap_or_default().to_owned();
    (
        status,
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    )
}
