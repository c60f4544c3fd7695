//! The stock push against the sandbox: what Magento shows after "Update Quantities", a
//! listing update and a stock change (sync quantity, buffer, MSI source items and
//! legacy stock items, Update Is In Stock, Update Manage Stock, stock sync off), and the
//! automatic watcher (within seconds, only stores with Update Stock Levels on, a store
//! that answers 503 until it heals, a restart).

mod common;

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbBackend, EntityTrait, Statement, TransactionTrait,
};
use uuid::Uuid;

use common::{TestDb, qty};
use domain::Services;
use domain::auth::{Principal, Role};
use domain::channel::magento::catalog::CatalogEntry;
use domain::channel::magento::export::publish::{BufferChange, ListingSettings, save_settings};
use domain::channel::magento::export::stock_push::{
    PushReport, PushScope, PushTrigger, StockWatchConfig, push_products_everywhere, push_store,
    run_stock_watch, start_push,
};
use domain::channel::magento::settings::SettingsPatch;
use domain::channel::magento::stores::{self, ConnectInput};
use domain::entities::enums::StockMode;
use domain::entities::magento_store;
use domain::jobs::{self, JobTransport, Ticket, TransportError};
use domain::secrets::SecretBox;
use magento::search::SearchCriteria;
use magento::{MagentoClient, dto};

/// Jobs are run by hand in these tests; the queue only has to accept them.
struct NoQueue;

impl JobTransport for NoQueue {
    fn new_task_id(&self) -> String {
        Uuid::new_v4().to_string()
    }
    fn push(&self, _ticket: Ticket) -> BoxFuture<'_, Result<(), TransportError>> {
        Box::pin(async { Ok(()) })
    }
    fn task_exists(&self, _task_id: &str) -> BoxFuture<'_, Result<bool, TransportError>> {
        Box::pin(async { Ok(true) })
    }
}

struct Shop {
    db: TestDb,
    services: Services,
    principal: Principal,
    sandbox: sandbox::RunningSandbox,
    store: magento_store::Model,
    client: MagentoClient,
    warehouse: Uuid,
    next_magento_id: std::sync::atomic::AtomicI64,
}

/// A ledger with one location, connected to a fresh sandbox (MSI or legacy) whose
/// metadata was read.
async fn shop(label: &str, msi: bool) -> Shop {
    let db = TestDb::new(label).await;
    let services = Services {
        db: db.db.clone(),
        secrets: Arc::new(
            SecretBox::from_config("k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
                .expect("secret key"),
        ),
        queue: Arc::new(NoQueue),
        magento_timeout: Duration::from_secs(10),
    };
    let key = domain::auth::create_api_key(&db.db, "Test Org", Role::Operator)
        .await
        .expect("api key");
    assert_eq!(key.org_id, db.org_id);
    let principal = Principal {
        org_id: key.org_id,
        api_key_id: key.api_key_id,
        role: Role::Operator,
    };
    let sandbox = sandbox::start(
        ([127, 0, 0, 1], 0).into(),
        sandbox::SandboxOptions {
            msi,
            ..sandbox::SandboxOptions::default()
        },
    )
    .await
    .expect("sandbox");
    let store = connect(&services, &principal, &sandbox, "Main").await;
    let client = stores::client_for(&services, &store).expect("client");
    let warehouse = db.location("Warehouse").await;
    Shop {
        db,
        services,
        principal,
        sandbox,
        store,
        client,
        warehouse,
        next_magento_id: std::sync::atomic::AtomicI64::new(1000),
    }
}

async fn connect(
    services: &Services,
    principal: &Principal,
    sandbox: &sandbox::RunningSandbox,
    name: &str,
) -> magento_store::Model {
    let (store, refresh) = stores::connect(
        services,
        principal,
        ConnectInput {
            name: name.to_owned(),
            base_url: sandbox.base_url.clone(),
            credentials: sandbox.credentials.clone(),
        },
    )
    .await
    .expect("connected");
    jobs::run_job(services, refresh.id)
        .await
        .expect("metadata read");
    magento_store::Entity::find_by_id(store.id)
        .one(&services.db)
        .await
        .expect("read")
        .expect("store")
}

impl Shop {
    /// Another connected store, on a sandbox of its own.
    async fn second_store(&self) -> (sandbox::RunningSandbox, magento_store::Model, MagentoClient) {
        let other_sandbox = sandbox::start(([127, 0, 0, 1], 0).into(), Default::default())
            .await
            .expect("sandbox");
        let other = connect(&self.services, &self.principal, &other_sandbox, "Other").await;
        let client = stores::client_for(&self.services, &other).expect("client");
        (other_sandbox, other, client)
    }

    async fn stop(self) {
        self.sandbox.stop().await;
        self.db.drop().await;
    }

    /// A stock product listed in the store under its own SKU, with `on_hand` units at
    /// the warehouse.
    async fn listed(&self, sku: &str, on_hand: i64) -> Uuid {
        let product = self.db.product(sku).await;
        self.list(self.store.id, product, None, "simple").await;
        if on_hand > 0 {
            self.adjust(product, on_hand).await;
        } else if on_hand < 0 {
            self.backorder(product, -on_hand).await;
        }
        product
    }

    /// `units` allocated beyond what is on hand, as an authorised order does: available
    /// goes negative while on hand stays at zero.
    async fn backorder(&self, product: Uuid, units: i64) {
        let txn = self.db.db.begin().await.expect("txn");
        domain::stock::apply(
            &txn,
            self.db.org_id,
            &[domain::stock::Movement {
                product_id: product,
                location_id: self.warehouse,
                kind: domain::entities::enums::MovementKind::Allocation,
                on_hand_delta: Decimal::ZERO,
                allocated_delta: qty(units),
            }],
            &domain::stock::Cause::default(),
        )
        .await
        .expect("allocated");
        txn.commit().await.expect("commit");
    }

    async fn list(
        &self,
        store_id: Uuid,
        product: Uuid,
        magento_sku: Option<&str>,
        magento_type: &str,
    ) -> Uuid {
        let id = Uuid::new_v4();
        let magento_id = self
            .next_magento_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.db
            .db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "WITH l AS (INSERT INTO listings (id, org_id, store_id, product_id, status, \
                 magento_product_id, magento_sku, magento_type) \
                 VALUES ($1, $2, $3, $4, 'listed', $5, $6, $7) RETURNING store_id, org_id, product_id, magento_product_id) \
                 INSERT INTO magento_links (store_id, kind, external_id, org_id, record_id) \
                 SELECT store_id, 'product', magento_product_id, org_id, product_id FROM l",
                [
                    id.into(),
                    self.db.org_id.into(),
                    store_id.into(),
                    product.into(),
                    magento_id.into(),
                    magento_sku.map(str::to_owned).into(),
                    magento_type.into(),
                ],
            ))
            .await
            .expect("listing");
        id
    }

    async fn set_listing(&self, product: Uuid, column: &str, value: sea_orm::Value) {
        self.db
            .db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!("UPDATE listings SET {column} = $1 WHERE product_id = $2"),
                [value, product.into()],
            ))
            .await
            .expect("listing updated");
    }

    async fn adjust(&self, product: Uuid, delta: i64) {
        domain::stock::adjust(
            &self.db.db,
            self.db.org_id,
            product,
            self.warehouse,
            qty(delta),
            "counted",
        )
        .await
        .expect("adjusted");
    }

    async fn settings(&self, store_id: Uuid, patch: SettingsPatch) {
        stores::update_settings(&self.services, self.db.org_id, store_id, patch)
            .await
            .expect("settings saved");
    }

    async fn push(&self, trigger: PushTrigger) -> PushReport {
        push_store(
            &self.db.db,
            &self.store,
            &self.client,
            PushScope::All,
            trigger,
        )
        .await
        .expect("pushed")
    }

    async fn last_pushed(&self, product: Uuid) -> Option<Decimal> {
        let row = self
            .db
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT last_pushed_quantity FROM listings WHERE product_id = $1 AND store_id = $2",
                [product.into(), self.store.id.into()],
            ))
            .await
            .expect("read")
            .expect("listing");
        row.try_get::<Option<Decimal>>("", "last_pushed_quantity")
            .expect("column")
            .map(|q| q.normalize())
    }

    /// Runs "Download → Products" to its end.
    async fn download(&self) {
        let job = domain::channel::magento::import::products::start_download(
            &self.services,
            &self.principal,
            self.store.id,
        )
        .await
        .expect("started");
        jobs::run_job(&self.services, job.id).await.expect("ran");
    }

    async fn product_id(&self, sku: &str) -> Uuid {
        domain::products::product_by_sku(&self.db.db, self.db.org_id, sku)
            .await
            .expect("the product")
            .product
            .id
    }

    /// "Save and Close" with a product-level buffer.
    async fn save_buffer(&self, product: Uuid, units: i32) -> CatalogEntry {
        save_settings(
            &self.db.db,
            self.db.org_id,
            self.store.id,
            product,
            ListingSettings {
                stock_sync: None,
                buffer: BufferChange::Set(units),
            },
        )
        .await
        .expect("saved")
    }

    fn watch(&self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(run_stock_watch(self.services.clone(), fast_watch()))
    }
}

fn fast_watch() -> StockWatchConfig {
    StockWatchConfig {
        poll_interval: Duration::from_millis(100),
        lease: Duration::from_secs(3),
        retry_base: Duration::from_millis(200),
        retry_max: Duration::from_secs(1),
        ..StockWatchConfig::default()
    }
}

/// The source item of `sku` at `source` as the sandbox keeps it.
async fn source_item(client: &MagentoClient, sku: &str, source: &str) -> Option<dto::SourceItem> {
    client
        .source_items(SearchCriteria::new().filter("sku", sku, "eq"))
        .await
        .expect("source items")
        .into_iter()
        .find(|item| item.source_code == source)
}

async fn default_source(client: &MagentoClient, sku: &str) -> Option<(Decimal, bool)> {
    source_item(client, sku, "default")
        .await
        .map(|item| (item.quantity.normalize(), item.is_in_stock()))
}

async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn channel_buffer(units: i64) -> SettingsPatch {
    SettingsPatch {
        update_stock_levels: Some(true),
        use_buffer_inventory: Some(true),
        buffer_inventory: Some(qty(units)),
        ..SettingsPatch::default()
    }
}

fn update_stock_levels(on: bool) -> SettingsPatch {
    SettingsPatch {
        update_stock_levels: Some(on),
        ..SettingsPatch::default()
    }
}

#[tokio::test]
async fn update_quantities_sends_the_available_stock_to_the_default_source_and_records_it() {
    let shop = shop("push_msi", true).await;
    let bag = shop.listed("24-MB01", 12).await;
    let bottle = shop.listed("24-UG06", 3).await;

    let report = shop.push(PushTrigger::Requested).await;

    assert_eq!(report.pushed, 2);
    assert!(report.failed.is_empty());
    assert_eq!(
        default_source(&shop.client, "24-MB01").await,
        Some((qty(12), true))
    );
    assert_eq!(
        default_source(&shop.client, "24-UG06").await,
        Some((qty(3), true))
    );
    assert_eq!(shop.last_pushed(bag).await, Some(qty(12)));
    assert_eq!(shop.last_pushed(bottle).await, Some(qty(3)));
    shop.stop().await;
}

#[tokio::test]
async fn allocated_stock_is_not_offered_for_sale() {
    let shop = shop("push_allocated", true).await;
    let bag = shop.listed("24-MB01", 10).await;
    domain::stock::apply(
        &shop.db.db,
        shop.db.org_id,
        &[domain::stock::Movement {
            product_id: bag,
            location_id: shop.warehouse,
            kind: domain::entities::enums::MovementKind::Allocation,
            on_hand_delta: Decimal::ZERO,
            allocated_delta: qty(4),
        }],
        &domain::stock::Cause::default(),
    )
    .await
    .expect("allocated");

    shop.push(PushTrigger::Requested).await;

    assert_eq!(
        default_source(&shop.client, "24-MB01").await,
        Some((qty(6), true))
    );
    shop.stop().await;
}

#[tokio::test]
async fn the_buffer_is_taken_off_with_update_stock_levels_and_use_buffer_on() {
    let shop = shop("push_buffer", true).await;
    shop.listed("24-MB01", 12).await;
    let bottle = shop.listed("24-UG06", 12).await;
    shop.set_listing(bottle, "product_buffer_enabled", true.into())
        .await;
    shop.set_listing(bottle, "product_buffer", 5.into()).await;
    shop.settings(shop.store.id, channel_buffer(2)).await;

    shop.push(PushTrigger::Requested).await;

    assert_eq!(
        default_source(&shop.client, "24-MB01").await,
        Some((qty(10), true))
    );
    assert_eq!(
        default_source(&shop.client, "24-UG06").await,
        Some((qty(7), true))
    );
    shop.stop().await;
}

#[tokio::test]
async fn only_the_linked_locations_stock_is_pushed_to_the_source_mapped_to_it() {
    let shop = shop("push_location", true).await;
    let bag = shop.listed("24-MB01", 5).await;
    let shopfront = shop.db.location("Shopfront").await;
    domain::stock::adjust(
        &shop.db.db,
        shop.db.org_id,
        bag,
        shopfront,
        qty(7),
        "counted",
    )
    .await
    .expect("adjusted");
    shop.push(PushTrigger::Requested).await;
    assert_eq!(
        default_source(&shop.client, "24-MB01").await,
        Some((qty(12), true)),
        "all locations by default"
    );

    shop.settings(
        shop.store.id,
        SettingsPatch {
            location_id: Some(Some(shopfront)),
            ..SettingsPatch::default()
        },
    )
    .await;
    shop.push(PushTrigger::Requested).await;
    assert_eq!(
        default_source(&shop.client, "24-MB01").await,
        Some((qty(7), true)),
        "the linked location's stock, to `default` while it maps to no source"
    );

    shop.db
        .db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO location_mappings (store_id, source_code, org_id, location_id) \
             VALUES ($1, 'ne_wh', $2, $3)",
            [
                shop.store.id.into(),
                shop.db.org_id.into(),
                shopfront.into(),
            ],
        ))
        .await
        .expect("mapping");
    shop.push(PushTrigger::Requested).await;

    let ne = source_item(&shop.client, "24-MB01", "ne_wh")
        .await
        .expect("ne source item");
    assert_eq!(ne.quantity.normalize(), qty(7));
    assert_eq!(
        default_source(&shop.client, "24-MB01").await,
        Some((qty(7), true)),
        "the default source is left alone"
    );
    shop.stop().await;
}

#[tokio::test]
async fn with_update_is_in_stock_off_negative_stock_stays_in_stock_for_backorders() {
    let shop = shop("push_backorder", true).await;
    shop.listed("24-MB01", -2).await;

    shop.push(PushTrigger::Requested).await;

    assert_eq!(
        default_source(&shop.client, "24-MB01").await,
        Some((qty(-2), true))
    );
    shop.stop().await;
}

#[tokio::test]
async fn with_update_is_in_stock_on_nothing_to_sell_is_out_of_stock() {
    let shop = shop("push_out_of_stock", true).await;
    shop.listed("24-MB01", -2).await;
    shop.listed("24-UG06", 4).await;
    shop.settings(
        shop.store.id,
        SettingsPatch {
            update_is_in_stock: Some(true),
            ..SettingsPatch::default()
        },
    )
    .await;

    shop.push(PushTrigger::Requested).await;

    assert_eq!(
        default_source(&shop.client, "24-MB01").await,
        Some((qty(-2), false))
    );
    assert_eq!(
        default_source(&shop.client, "24-UG06").await,
        Some((qty(4), true))
    );
    shop.stop().await;
}

#[tokio::test]
async fn update_manage_stock_turns_manage_stock_on_once_for_an_msi_store() {
    let shop = shop("push_manage_msi", true).await;
    shop.listed("24-MB01", 8).await;
    shop.settings(
        shop.store.id,
        SettingsPatch {
            update_manage_stock: Some(true),
            ..SettingsPatch::default()
        },
    )
    .await;

    shop.push(PushTrigger::Requested).await;

    let item = shop.client.stock_item("24-MB01").await.expect("stock item");
    assert_eq!(item.manage_stock, Some(true));
    assert_eq!(item.use_config_manage_stock, Some(false));
    assert_eq!(
        default_source(&shop.client, "24-MB01").await,
        Some((qty(8), true))
    );
    shop.stop().await;
}

#[tokio::test]
async fn manage_stock_refused_once_is_set_by_the_next_automatic_push() {
    let shop = shop("push_manage_retry", true).await;
    shop.listed("24-MB01", 8).await;
    shop.settings(
        shop.store.id,
        SettingsPatch {
            update_manage_stock: Some(true),
            update_stock_levels: Some(true),
            ..SettingsPatch::default()
        },
    )
    .await;
    let answer = common::sandbox_control(
        &shop.sandbox,
        "POST",
        "faults",
        serde_json::json!({"endpoint": "stockItems", "kind": "status", "status": 400, "count": 1}),
    )
    .await;
    assert!(answer.contains("201"), "fault refused: {answer}");

    let first = shop.push(PushTrigger::Requested).await;
    assert_eq!(first.pushed, 1, "the quantity went");
    assert_eq!(first.failed.len(), 1, "{first:?}");

    // The quantity is unchanged, yet the missing Manage Stock makes it due again.
    let second = shop.push(PushTrigger::StockChanged).await;
    assert_eq!((second.pushed, second.failed.len()), (1, 0), "{second:?}");
    let item = shop.client.stock_item("24-MB01").await.expect("stock item");
    assert_eq!(item.manage_stock, Some(true));
    assert_eq!(item.use_config_manage_stock, Some(false), "set by the push");
    let third = shop.push(PushTrigger::StockChanged).await;
    assert_eq!(
        (third.pushed, third.unchanged),
        (0, 1),
        "now it is unchanged"
    );
    shop.stop().await;
}

#[tokio::test]
async fn a_legacy_store_gets_quantity_status_and_manage_stock_on_its_stock_items() {
    let shop = shop("push_legacy", false).await;
    let bag = shop.listed("24-MB01", 9).await;
    shop.listed("24-UG06", 0).await;
    shop.settings(
        shop.store.id,
        SettingsPatch {
            update_is_in_stock: Some(true),
            update_manage_stock: Some(true),
            ..SettingsPatch::default()
        },
    )
    .await;

    let report = shop.push(PushTrigger::Requested).await;

    assert_eq!(report.pushed, 2);
    let bag_item = shop.client.stock_item("24-MB01").await.expect("stock item");
    assert_eq!(bag_item.qty.map(|q| q.normalize()), Some(qty(9)));
    assert_eq!(bag_item.is_in_stock, Some(true));
    assert_eq!(bag_item.manage_stock, Some(true));
    let bottle_item = shop.client.stock_item("24-UG06").await.expect("stock item");
    assert_eq!(bottle_item.qty.map(|q| q.normalize()), Some(qty(0)));
    assert_eq!(bottle_item.is_in_stock, Some(false));
    assert_eq!(shop.last_pushed(bag).await, Some(qty(9)));
    let remembered = shop
        .db
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM listing_stock_items",
        ))
        .await
        .expect("read")
        .expect("row")
        .try_get::<i64>("", "n")
        .expect("count");
    assert_eq!(remembered, 2, "item ids are read once and remembered");
    shop.stop().await;
}

#[tokio::test]
async fn a_sku_magento_does_not_know_fails_alone_and_is_not_recorded() {
    let shop = shop("push_unknown_sku", false).await;
    shop.listed("24-MB01", 4).await;
    let ghost = shop.listed("NOT-IN-MAGENTO", 4).await;

    let report = shop.push(PushTrigger::Requested).await;

    assert_eq!(report.pushed, 1);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].0, "NOT-IN-MAGENTO");
    assert_eq!(shop.last_pushed(ghost).await, None);
    shop.stop().await;
}

#[tokio::test]
async fn a_listing_with_stock_sync_off_is_not_pushed() {
    let shop = shop("push_sync_off", true).await;
    let bag = shop.listed("24-MB01", 12).await;
    shop.set_listing(bag, "stock_sync", false.into()).await;
    let before = default_source(&shop.client, "24-MB01").await;

    let report = shop.push(PushTrigger::Requested).await;

    assert_eq!(report, PushReport::default());
    assert_eq!(default_source(&shop.client, "24-MB01").await, before);
    assert_eq!(shop.last_pushed(bag).await, None);
    shop.stop().await;
}

#[tokio::test]
async fn an_unlinked_listing_is_not_pushed() {
    let shop = shop("push_unlinked", true).await;
    let bag = shop.listed("24-MB01", 12).await;
    shop.set_listing(bag, "status", "not_listed".into()).await;
    let before = default_source(&shop.client, "24-MB01").await;

    let report = shop.push(PushTrigger::Requested).await;

    assert_eq!(report, PushReport::default());
    assert_eq!(default_source(&shop.client, "24-MB01").await, before);
    shop.stop().await;
}

#[tokio::test]
async fn a_store_whose_stock_mode_is_unknown_is_asked_once_and_remembered() {
    let shop = shop("push_mode_unknown", true).await;
    shop.listed("24-MB01", 6).await;
    let mut store = shop.store.clone();
    store.stock_mode = StockMode::Unknown;
    store.metadata = serde_json::json!({});
    magento_store::ActiveModel::from(store.clone())
        .reset_all()
        .update(&shop.db.db)
        .await
        .expect("forgotten");

    let report = push_store(
        &shop.db.db,
        &store,
        &shop.client,
        PushScope::All,
        PushTrigger::Requested,
    )
    .await
    .expect("pushed");

    assert_eq!(report.pushed, 1);
    assert_eq!(
        default_source(&shop.client, "24-MB01").await,
        Some((qty(6), true))
    );
    let saved = magento_store::Entity::find_by_id(store.id)
        .one(&shop.db.db)
        .await
        .expect("read")
        .expect("store");
    assert_eq!(saved.stock_mode, StockMode::Msi);
    assert!(
        !stores::metadata_of(&saved).sources.is_empty(),
        "{:?}",
        saved.metadata
    );
    shop.stop().await;
}

#[tokio::test]
async fn a_configurable_parent_is_not_pushed_and_variants_go_by_their_magento_sku() {
    let shop = shop("push_family", true).await;
    let parent = shop.db.product("TEE").await;
    shop.list(shop.store.id, parent, Some("HT-TEE"), "configurable")
        .await;
    let variant = shop.db.product("TEE-S-SAND").await;
    shop.list(shop.store.id, variant, Some("HT-TEE-S-Sand"), "simple")
        .await;
    shop.adjust(parent, 50).await;
    shop.adjust(variant, 6).await;

    let report = shop.push(PushTrigger::Requested).await;

    assert_eq!(report.pushed, 1);
    assert_eq!(
        default_source(&shop.client, "HT-TEE-S-Sand").await,
        Some((qty(6), true))
    );
    assert_eq!(source_item(&shop.client, "HT-TEE", "default").await, None);
    shop.stop().await;
}

#[tokio::test]
async fn the_automatic_push_needs_update_stock_levels_but_a_listing_update_does_not() {
    let shop = shop("push_triggers", true).await;
    let bag = shop.listed("24-MB01", 12).await;

    let automatic = shop.push(PushTrigger::StockChanged).await;
    assert_eq!(automatic, PushReport::default());
    assert_eq!(shop.last_pushed(bag).await, None);

    let listing_update = push_store(
        &shop.db.db,
        &shop.store,
        &shop.client,
        PushScope::Products(&[bag]),
        PushTrigger::ListingUpdate,
    )
    .await
    .expect("pushed");
    assert_eq!(listing_update.pushed, 1);
    assert_eq!(shop.last_pushed(bag).await, Some(qty(12)));
    shop.stop().await;
}

#[tokio::test]
async fn the_automatic_push_sends_only_quantities_that_changed() {
    let shop = shop("push_changed_only", true).await;
    shop.listed("24-MB01", 12).await;
    let bottle = shop.listed("24-UG06", 3).await;
    shop.settings(shop.store.id, update_stock_levels(true))
        .await;
    shop.push(PushTrigger::Requested).await;
    shop.adjust(bottle, 2).await;

    let report = shop.push(PushTrigger::StockChanged).await;

    assert_eq!((report.pushed, report.unchanged), (1, 1));
    assert_eq!(
        default_source(&shop.client, "24-UG06").await,
        Some((qty(5), true))
    );
    shop.stop().await;
}

#[tokio::test]
async fn update_quantities_is_a_job_over_the_named_skus() {
    let shop = shop("push_job", true).await;
    shop.listed("24-MB01", 12).await;
    let bottle = shop.listed("24-UG06", 3).await;

    let job = start_push(
        &shop.services,
        &shop.principal,
        shop.store.id,
        Some(vec!["24-ug06".into()]),
    )
    .await
    .expect("job");
    let outcome = jobs::run_job(&shop.services, job.id).await.expect("ran");

    assert_eq!(
        outcome,
        jobs::RunOutcome::Finished(jobs::JobState::Succeeded)
    );
    assert_eq!(shop.last_pushed(bottle).await, Some(qty(3)));
    assert_eq!(
        default_source(&shop.client, "24-MB01").await,
        Some((qty(40), true)),
        "the seeded quantity of the SKU not named is left alone"
    );
    shop.stop().await;
}

#[tokio::test]
async fn update_quantities_counts_listings_pushed_not_requests() {
    let shop = shop("push_job_counts", false).await;
    shop.listed("24-MB01", 12).await;
    shop.listed("24-UG06", 3).await;
    shop.listed("NOT-IN-MAGENTO", 1).await;

    let job = start_push(&shop.services, &shop.principal, shop.store.id, None)
        .await
        .expect("job");
    jobs::run_job(&shop.services, job.id).await.expect("ran");

    let done = jobs::get(&shop.services.db, shop.store.org_id, job.id)
        .await
        .expect("job");
    assert_eq!(
        (done.total_count, done.processed_count, done.failed_count),
        (Some(3), 3, 1),
        "three listings, each counted once; the one Magento refused is the failure"
    );
    shop.stop().await;
}

#[tokio::test]
async fn retrying_a_push_with_one_failed_sku_pushes_that_sku_alone() {
    let shop = shop("push_retry_failed", false).await;
    let bag = shop.listed("24-MB01", 12).await;
    shop.listed("NOT-IN-MAGENTO", 1).await;
    let first = start_push(&shop.services, &shop.principal, shop.store.id, None)
        .await
        .expect("job");
    jobs::run_job(&shop.services, first.id).await.expect("ran");
    let magento_qty = || async {
        let item = shop.client.stock_item("24-MB01").await.expect("stock item");
        item.qty
    };
    assert_eq!(magento_qty().await, Some(qty(12)));
    // Changed here since; only a push of the bag would tell Magento.
    shop.adjust(bag, 5).await;

    let retry = jobs::retry_failed(&shop.services, shop.store.org_id, first.id, None)
        .await
        .expect("retry");
    jobs::run_job(&shop.services, retry.id).await.expect("ran");

    let retried = jobs::get(&shop.services.db, shop.store.org_id, retry.id)
        .await
        .expect("job");
    assert_eq!(retried.retry_of, Some(first.id));
    assert_eq!(retried.args["skus"], serde_json::json!(["NOT-IN-MAGENTO"]));
    assert_eq!(
        (retried.total_count, retried.failed_count),
        (Some(1), 1),
        "the failed SKU alone, refused again"
    );
    assert_eq!(
        magento_qty().await,
        Some(qty(12)),
        "the SKU that was pushed is not pushed again"
    );
    shop.stop().await;
}

#[tokio::test]
async fn update_quantities_refuses_skus_the_store_does_not_list() {
    let shop = shop("push_job_unknown", true).await;
    shop.listed("24-MB01", 12).await;
    let bottle = shop.listed("24-UG06", 3).await;
    shop.set_listing(bottle, "status", "not_listed".into())
        .await;

    let err = start_push(
        &shop.services,
        &shop.principal,
        shop.store.id,
        Some(vec!["24-MB01".into(), "NOPE".into(), "24-UG06".into()]),
    )
    .await
    .expect_err("refused");

    assert_eq!(
        common::user_errors(err),
        vec![
            ("skus.1".to_owned(), domain::ErrorCode::NotFound),
            ("skus.2".to_owned(), domain::ErrorCode::NotFound),
        ],
        "unknown, and unlinked"
    );
    shop.stop().await;
}

#[tokio::test]
async fn a_stock_change_reaches_magento_unasked() {
    let shop = shop("watch_change", true).await;
    let bag = shop.listed("24-MB01", 12).await;
    shop.settings(shop.store.id, update_stock_levels(true))
        .await;
    let watch = shop.watch();

    shop.adjust(bag, -5).await;

    // How soon is the benchmark's to measure (timings are never asserted here).
    eventually("the change in Magento", || async {
        (default_source(&shop.client, "24-MB01").await == Some((qty(7), true))).then_some(())
    })
    .await;
    eventually("the push recorded", || async {
        (shop.last_pushed(bag).await == Some(qty(7))).then_some(())
    })
    .await;
    watch.abort();
    shop.stop().await;
}

#[tokio::test]
async fn a_store_with_update_stock_levels_off_is_not_pushed_automatically() {
    let shop = shop("watch_two_stores", true).await;
    let (other_sandbox, other, other_client) = shop.second_store().await;
    let bag = shop.listed("24-MB01", 12).await;
    shop.list(other.id, bag, None, "simple").await;
    shop.settings(shop.store.id, update_stock_levels(true))
        .await;
    let watch = shop.watch();

    shop.adjust(bag, 1).await;

    eventually("the change in the store with the setting on", || async {
        (default_source(&shop.client, "24-MB01").await == Some((qty(13), true))).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        default_source(&other_client, "24-MB01").await,
        Some((qty(40), true)),
        "the seeded quantity stays in the store with the setting off"
    );
    watch.abort();
    other_sandbox.stop().await;
    shop.stop().await;
}

#[tokio::test]
async fn a_stopped_watch_stops_its_pushes_in_flight() {
    let shop = shop("watch_stopped", true).await;
    let bag = shop.listed("24-MB01", 12).await;
    shop.settings(shop.store.id, update_stock_levels(true))
        .await;
    let answer = common::sandbox_control(
        &shop.sandbox,
        "POST",
        "faults",
        serde_json::json!({"endpoint": "inventory/source-items", "kind": "latency",
                           "latency_ms": 2000, "count": 1}),
    )
    .await;
    assert!(answer.contains("201"), "fault refused: {answer}");
    let watch = shop.watch();
    shop.adjust(bag, 1).await;
    // The push is on its way (it waits two seconds for Magento) when the watch stops.
    tokio::time::sleep(Duration::from_millis(700)).await;

    watch.abort();
    tokio::time::sleep(Duration::from_millis(2500)).await;

    assert_eq!(
        shop.last_pushed(bag).await,
        None,
        "nothing recorded after the stop"
    );
    shop.stop().await;
}

#[tokio::test]
async fn a_store_answering_503_gets_the_push_once_it_heals() {
    let shop = shop("watch_503", true).await;
    let bag = shop.listed("24-MB01", 12).await;
    shop.settings(shop.store.id, update_stock_levels(true))
        .await;
    let answer = common::sandbox_control(
        &shop.sandbox,
        "POST",
        "faults",
        serde_json::json!({"endpoint": "inventory/source-items", "kind": "status",
                           "status": 503, "count": 6}),
    )
    .await;
    assert!(answer.contains("201"), "fault refused: {answer}");
    let watch = shop.watch();

    shop.adjust(bag, 3).await;

    eventually("the push after the store healed", || async {
        (shop.last_pushed(bag).await == Some(qty(15))).then_some(())
    })
    .await;
    assert_eq!(
        default_source(&shop.client, "24-MB01").await,
        Some((qty(15), true))
    );
    watch.abort();
    shop.stop().await;
}

#[tokio::test]
async fn a_restarted_watcher_picks_up_where_the_cursor_stands() {
    let shop = shop("watch_restart", true).await;
    let bag = shop.listed("24-MB01", 12).await;
    shop.settings(shop.store.id, update_stock_levels(true))
        .await;
    let first = shop.watch();
    shop.adjust(bag, 1).await;
    eventually("the first change pushed", || async {
        (shop.last_pushed(bag).await == Some(qty(13))).then_some(())
    })
    .await;
    first.abort();

    // Changed while no watcher runs; the next one (a new process, once the old
    // lease ran out) still sends it.
    shop.adjust(bag, 1).await;
    let second = shop.watch();

    eventually("the change made while stopped", || async {
        (shop.last_pushed(bag).await == Some(qty(14))).then_some(())
    })
    .await;
    assert_eq!(
        default_source(&shop.client, "24-MB01").await,
        Some((qty(14), true))
    );
    second.abort();
    shop.stop().await;
}

#[tokio::test]
async fn two_watchers_push_every_change_without_losing_one() {
    let shop = shop("watch_two", true).await;
    let bag = shop.listed("24-MB01", 0).await;
    let bottle = shop.listed("24-UG06", 0).await;
    shop.settings(shop.store.id, update_stock_levels(true))
        .await;
    let first = shop.watch();
    let second = shop.watch();

    for round in 1..=10 {
        shop.adjust(bag, 1).await;
        shop.adjust(bottle, 2).await;
        if round % 3 == 0 {
            tokio::time::sleep(Duration::from_millis(120)).await;
        }
    }

    eventually("the last quantities in Magento", || async {
        let bag_now = default_source(&shop.client, "24-MB01").await;
        let bottle_now = default_source(&shop.client, "24-UG06").await;
        (bag_now == Some((qty(10), true)) && bottle_now == Some((qty(20), true))).then_some(())
    })
    .await;
    first.abort();
    second.abort();
    shop.stop().await;
}

#[tokio::test]
async fn after_an_order_download_every_store_with_update_stock_levels_on_gets_the_change() {
    let shop = shop("push_everywhere", true).await;
    let (other_sandbox, other, other_client) = shop.second_store().await;
    let bag = shop.listed("24-MB01", 12).await;
    shop.list(other.id, bag, None, "simple").await;
    shop.settings(shop.store.id, update_stock_levels(true))
        .await;

    let results = push_products_everywhere(&shop.services, shop.db.org_id, &[bag])
        .await
        .expect("pushed");

    let pushed: Vec<(Uuid, usize)> = results
        .into_iter()
        .map(|(store, report)| (store, report.expect("store pushed").pushed))
        .collect();
    assert!(pushed.contains(&(shop.store.id, 1)), "{pushed:?}");
    assert!(pushed.contains(&(other.id, 0)), "{pushed:?}");
    assert_eq!(
        default_source(&shop.client, "24-MB01").await,
        Some((qty(12), true))
    );
    assert_eq!(
        default_source(&other_client, "24-MB01").await,
        Some((qty(40), true))
    );
    other_sandbox.stop().await;
    shop.stop().await;
}

#[tokio::test]
async fn a_product_buffer_of_zero_saved_on_a_downloaded_variant_reaches_its_source_item() {
    // The spec's recipe "buffer for all but a few products": a channel buffer, and a
    // product-level 0 on the few.
    let shop = shop("push_saved_zero_buffer", true).await;
    shop.settings(shop.store.id, channel_buffer(2)).await;
    shop.download().await;
    let small = shop.product_id("HT-TEE-S-Sand").await;
    let medium = shop.product_id("HT-TEE-M-Slate").await;
    shop.adjust(small, 6).await;
    shop.adjust(medium, 6).await;
    let before = common::sandbox_requests(&shop.sandbox).await;

    let entry = shop.save_buffer(small, 0).await;

    assert_eq!(
        common::sandbox_requests(&shop.sandbox).await,
        before,
        "saving asks nothing of Magento"
    );
    assert_eq!(
        (entry.buffer, entry.sync_quantity),
        (Some(qty(0)), Some(qty(6))),
        "the catalogue shows the new buffer at once"
    );
    shop.push(PushTrigger::Requested).await;
    assert_eq!(
        default_source(&shop.client, "HT-TEE-S-Sand").await,
        Some((qty(6), true)),
        "available − 0"
    );
    assert_eq!(
        default_source(&shop.client, "HT-TEE-M-Slate").await,
        Some((qty(4), true)),
        "the channel buffer for the rest"
    );
    shop.stop().await;
}

#[tokio::test]
async fn a_saved_product_buffer_alone_is_not_pushed_until_the_stock_changes() {
    let shop = shop("watch_saved_buffer", true).await;
    shop.settings(shop.store.id, channel_buffer(0)).await;
    let watch = shop.watch();
    let bag = shop.listed("24-MB01", 12).await;
    let bottle = shop.listed("24-UG06", 9).await;
    eventually("the first stock in Magento", || async {
        (default_source(&shop.client, "24-MB01").await == Some((qty(12), true))
            && default_source(&shop.client, "24-UG06").await == Some((qty(9), true)))
        .then_some(())
    })
    .await;

    shop.save_buffer(bag, 5).await;
    // The watcher handles changes in order: once a later stock change of another
    // product is in Magento, a push set off by the saved buffer would be too.
    shop.adjust(bottle, 1).await;
    eventually("the bottle's change in Magento", || async {
        (default_source(&shop.client, "24-UG06").await == Some((qty(10), true))).then_some(())
    })
    .await;
    assert_eq!(
        default_source(&shop.client, "24-MB01").await,
        Some((qty(12), true)),
        "the saved buffer alone pushes nothing"
    );

    shop.adjust(bag, -2).await;

    eventually("the bag's change with its buffer", || async {
        (default_source(&shop.client, "24-MB01").await == Some((qty(10 - 5), true))).then_some(())
    })
    .await;
    watch.abort();
    shop.stop().await;
}
