//! The opening balance from Magento against the sandbox: MSI quantities at their mapped
//! locations, the push's source at the linked location, legacy stock items, products
//! with movements left alone unless overwritten, a repeated import, unmapped sources,
//! negative and fractional quantities, composites and services, a retried attempt, a
//! store that stops answering; and the warning when turning Update Stock Levels in
//! Magento on.

mod common;

use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

use common::{TestDb, qty, sandbox_control, sandbox_requests, user_errors};
use domain::Services;
use domain::auth::Principal;
use domain::channel::magento::import::stock::{WarningCode, start_import};
use domain::channel::magento::settings::SettingsPatch;
use domain::channel::magento::stores::{self, LocationMapping};
use domain::entities::enums::{JobItemOutcome, JobState, ProductKind};
use domain::entities::{job_item, magento_store};
use domain::jobs::{self, JobContext, JobFailure, RunOutcome};
use domain::{ErrorCode, stock};
use magento::{MagentoClient, dto};

struct Shop {
    db: TestDb,
    services: Services,
    principal: Principal,
    sandbox: sandbox::RunningSandbox,
    store: magento_store::Model,
    client: MagentoClient,
    /// The organisation's default location.
    home: Uuid,
    warehouse: Uuid,
}

/// A ledger connected to a fresh sandbox (MSI or legacy), with a second location.
async fn shop(label: &str, msi: bool) -> Shop {
    let db = TestDb::new(label).await;
    let services = db.services();
    let principal = db.operator().await;
    let sandbox = sandbox::start(
        ([127, 0, 0, 1], 0).into(),
        sandbox::SandboxOptions {
            msi,
            ..sandbox::SandboxOptions::default()
        },
    )
    .await
    .expect("sandbox");
    let store = db.connect_sandbox(&services, &principal, &sandbox).await;
    let client = stores::client_for(&services, &store).expect("client");
    let home = domain::reference::default_location(&db.db, db.org_id)
        .await
        .expect("default location")
        .id;
    let warehouse = db.location("Warehouse").await;
    Shop {
        db,
        services,
        principal,
        sandbox,
        store,
        client,
        home,
        warehouse,
    }
}

impl Shop {
    async fn stop(self) {
        self.sandbox.stop().await;
        self.db.drop().await;
    }

    /// A product listed in the store as the sandbox's product `magento_id`.
    async fn listed(&self, sku: &str, magento_id: i64) -> Uuid {
        self.listed_as(sku, magento_id, ProductKind::Stock, "simple")
            .await
    }

    async fn listed_as(
        &self,
        sku: &str,
        magento_id: i64,
        kind: ProductKind,
        magento_type: &str,
    ) -> Uuid {
        let product = self.db.product_of_kind(sku, kind).await;
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
                    Uuid::new_v4().into(),
                    self.db.org_id.into(),
                    self.store.id.into(),
                    product.into(),
                    magento_id.into(),
                    sku.into(),
                    magento_type.into(),
                ],
            ))
            .await
            .expect("listing");
        product
    }

    /// Sets Magento's quantity of `sku` at `source` (MSI).
    async fn in_magento(&self, sku: &str, source: &str, quantity: &str) {
        let quantity: Decimal = quantity.parse().expect("a quantity");
        self.client
            .save_source_items(&[dto::SourceItem {
                sku: sku.to_owned(),
                source_code: source.to_owned(),
                quantity,
                status: dto::SourceItem::STATUS_IN_STOCK,
            }])
            .await
            .expect("source item saved");
    }

    async fn link_location(&self, location: Uuid) {
        self.settings(SettingsPatch {
            location_id: Some(Some(location)),
            ..SettingsPatch::default()
        })
        .await;
    }

    async fn map(&self, source: &str, location: Uuid) {
        stores::set_location_mappings(
            &self.services,
            self.db.org_id,
            self.store.id,
            vec![LocationMapping {
                source_code: source.to_owned(),
                location_id: location,
            }],
        )
        .await
        .expect("mapped");
    }

    async fn settings(&self, patch: SettingsPatch) -> stores::SettingsSaved {
        stores::update_settings(&self.services, self.db.org_id, self.store.id, patch)
            .await
            .expect("settings saved")
    }

    async fn adjust(&self, product: Uuid, location: Uuid, delta: i64) {
        stock::adjust(
            &self.db.db,
            self.db.org_id,
            product,
            location,
            qty(delta),
            "counted",
        )
        .await
        .expect("adjusted");
    }

    async fn on_hand(&self, product: Uuid, location: Uuid) -> Decimal {
        stock::availability(&self.db.db, self.db.org_id, product, Some(location))
            .await
            .expect("availability")
            .on_hand
    }

    /// Starts an import and runs it to its end; returns the finished job.
    async fn import(
        &self,
        skus: Option<Vec<&str>>,
        overwrite: bool,
    ) -> domain::entities::job::Model {
        let started = start_import(
            &self.services,
            &self.principal,
            self.store.id,
            skus.map(|s| s.into_iter().map(str::to_owned).collect()),
            overwrite,
        )
        .await
        .expect("started");
        let outcome = jobs::run_job(&self.services, started.id)
            .await
            .expect("ran");
        assert!(matches!(outcome, RunOutcome::Finished(_)), "{outcome:?}");
        jobs::get(&self.db.db, self.db.org_id, started.id)
            .await
            .expect("job")
    }

    async fn items(&self, job: Uuid) -> Vec<job_item::Model> {
        jobs::item_results(&self.db.db, job, None, 100, None, false)
            .await
            .expect("items")
            .items
    }

    async fn item(&self, job: Uuid, sku: &str) -> job_item::Model {
        self.items(job)
            .await
            .into_iter()
            .find(|i| i.item_key == sku)
            .unwrap_or_else(|| panic!("no item for {sku}"))
    }

    /// `(location, on hand delta, reason)` of the product's movements, oldest first.
    async fn movements(&self, product: Uuid) -> Vec<(Uuid, Decimal, Option<String>)> {
        let rows = self
            .db
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT location_id, on_hand_delta, reason FROM stock_movements \
                 WHERE product_id = $1 ORDER BY created_at, location_id",
                [product.into()],
            ))
            .await
            .expect("movements");
        rows.iter()
            .map(|row| {
                (
                    row.try_get("", "location_id").expect("location"),
                    row.try_get::<Decimal>("", "on_hand_delta")
                        .expect("delta")
                        .normalize(),
                    row.try_get("", "reason").expect("reason"),
                )
            })
            .collect()
    }
}

fn update_stock_levels(on: bool) -> SettingsPatch {
    SettingsPatch {
        update_stock_levels: Some(on),
        ..SettingsPatch::default()
    }
}

// The sandbox's seeded stock: 24-MB01 (id 101) 40 at `default` and 12 at `ne_wh`;
// 24-WB04 (102) 18 and 0; MUG 11oz/BLK (104) 60 and 25.

#[tokio::test]
async fn msi_quantities_land_at_the_mapped_locations_with_a_reason_naming_magento_the_store_and_the_source()
 {
    let shop = shop("import_msi", true).await;
    let bag = shop.listed("24-MB01", 101).await;
    shop.map("ne_wh", shop.warehouse).await;

    let job = shop.import(None, false).await;

    assert_eq!(job.state, JobState::Succeeded);
    assert_eq!((job.total_count, job.processed_count), (Some(1), 1));
    assert_eq!(shop.on_hand(bag, shop.home).await, qty(40));
    assert_eq!(shop.on_hand(bag, shop.warehouse).await, qty(12));
    let mut movements = shop.movements(bag).await;
    movements.sort_by_key(|m| m.1);
    assert_eq!(
        movements,
        vec![
            (
                shop.warehouse,
                qty(12),
                Some("Opening balance from Magento (Main, source ne_wh)".to_owned())
            ),
            (
                shop.home,
                qty(40),
                Some("Opening balance from Magento (Main, source default)".to_owned())
            ),
        ]
    );
    let item = shop.item(job.id, "24-MB01").await;
    assert_eq!(
        (item.outcome, item.error_code),
        (JobItemOutcome::Succeeded, None)
    );
    shop.stop().await;
}

#[tokio::test]
async fn the_default_source_lands_at_the_linked_location_and_an_unmapped_other_source_is_not_imported()
 {
    let shop = shop("import_linked", true).await;
    let bag = shop.listed("24-MB01", 101).await;
    shop.link_location(shop.warehouse).await;

    let job = shop.import(None, false).await;

    assert_eq!(shop.on_hand(bag, shop.warehouse).await, qty(40));
    assert_eq!(shop.on_hand(bag, shop.home).await, qty(0));
    assert_eq!(shop.movements(bag).await.len(), 1);
    let item = shop.item(job.id, "24-MB01").await;
    assert_eq!(item.outcome, JobItemOutcome::Succeeded);
    assert_eq!(item.error_code.as_deref(), Some("SOURCE_NOT_MAPPED"));
    assert!(
        item.error_message
            .as_deref()
            .is_some_and(|m| m.contains("ne_wh (12)")),
        "{item:?}"
    );
    shop.stop().await;
}

#[tokio::test]
async fn the_default_source_is_not_imported_where_the_linked_location_takes_a_mapped_source() {
    let shop = shop("import_linked_mapped", true).await;
    let bag = shop.listed("24-MB01", 101).await;
    shop.link_location(shop.warehouse).await;
    shop.map("ne_wh", shop.warehouse).await;

    let job = shop.import(None, false).await;

    // The push sends the warehouse to ne_wh, never to default: so does the import.
    assert_eq!(shop.on_hand(bag, shop.warehouse).await, qty(12));
    assert_eq!(shop.on_hand(bag, shop.home).await, qty(0));
    let item = shop.item(job.id, "24-MB01").await;
    assert_eq!(item.error_code.as_deref(), Some("SOURCE_NOT_MAPPED"));
    shop.stop().await;
}

#[tokio::test]
async fn a_legacy_stock_item_lands_at_the_linked_location() {
    let shop = shop("import_legacy", false).await;
    let bag = shop.listed("24-MB01", 101).await;
    shop.link_location(shop.warehouse).await;

    let job = shop.import(None, false).await;

    assert_eq!(job.state, JobState::Succeeded);
    // Without MSI the stock item holds both seeded sources' 40 + 12.
    assert_eq!(shop.on_hand(bag, shop.warehouse).await, qty(52));
    assert_eq!(
        shop.movements(bag).await,
        vec![(
            shop.warehouse,
            qty(52),
            Some("Opening balance from Magento (Main, default stock)".to_owned())
        )]
    );
    shop.stop().await;
}

#[tokio::test]
async fn a_legacy_stock_item_lands_at_the_default_location_when_none_is_linked() {
    let shop = shop("import_legacy_home", false).await;
    let duffle = shop.listed("24-WB04", 102).await;

    shop.import(None, false).await;

    assert_eq!(shop.on_hand(duffle, shop.home).await, qty(18));
    shop.stop().await;
}

#[tokio::test]
async fn without_overwrite_a_product_with_stock_movements_is_skipped() {
    let shop = shop("import_keep", true).await;
    let bag = shop.listed("24-MB01", 101).await;
    let duffle = shop.listed("24-WB04", 102).await;
    shop.adjust(bag, shop.warehouse, 5).await;

    let job = shop.import(None, false).await;

    assert_eq!(job.state, JobState::Succeeded);
    assert_eq!(shop.on_hand(bag, shop.home).await, qty(0));
    assert_eq!(shop.on_hand(bag, shop.warehouse).await, qty(5));
    assert_eq!(shop.on_hand(duffle, shop.home).await, qty(18));
    let item = shop.item(job.id, "24-MB01").await;
    assert_eq!(item.outcome, JobItemOutcome::Skipped);
    assert_eq!(item.error_code.as_deref(), Some("HAS_STOCK_MOVEMENTS"));
    shop.stop().await;
}

#[tokio::test]
async fn with_overwrite_a_product_with_stock_is_set_to_magentos_quantity() {
    let shop = shop("import_overwrite", true).await;
    let bag = shop.listed("24-MB01", 101).await;
    shop.adjust(bag, shop.home, 5).await;

    let job = shop.import(None, true).await;

    assert_eq!(job.state, JobState::Succeeded);
    assert_eq!(shop.on_hand(bag, shop.home).await, qty(40));
    let movements = shop.movements(bag).await;
    assert_eq!(movements.len(), 2);
    assert_eq!(movements[1].1, qty(35));
    shop.stop().await;
}

#[tokio::test]
async fn repeating_the_import_changes_nothing() {
    let shop = shop("import_repeat", true).await;
    let bag = shop.listed("24-MB01", 101).await;
    shop.import(None, true).await;
    let before = shop.movements(bag).await;

    let again = shop.import(None, true).await;

    assert_eq!(again.state, JobState::Succeeded);
    assert_eq!(shop.movements(bag).await, before);
    assert_eq!(shop.on_hand(bag, shop.home).await, qty(40));
    let item = shop.item(again.id, "24-MB01").await;
    assert_eq!(item.outcome, JobItemOutcome::Succeeded);
    shop.stop().await;
}

#[tokio::test]
async fn a_negative_magento_quantity_is_imported_as_zero_and_a_fraction_is_kept() {
    let shop = shop("import_negative", true).await;
    let bag = shop.listed("24-MB01", 101).await;
    let duffle = shop.listed("24-WB04", 102).await;
    shop.map("ne_wh", shop.warehouse).await;
    shop.in_magento("24-MB01", "default", "-3").await;
    shop.in_magento("24-WB04", "default", "2.5").await;

    let job = shop.import(None, false).await;

    assert_eq!(shop.on_hand(bag, shop.home).await, qty(0));
    assert_eq!(shop.on_hand(bag, shop.warehouse).await, qty(12));
    let item = shop.item(job.id, "24-MB01").await;
    assert_eq!(item.outcome, JobItemOutcome::Succeeded);
    assert_eq!(item.error_code.as_deref(), Some("NEGATIVE_IN_MAGENTO"));
    assert_eq!(
        shop.on_hand(duffle, shop.home).await,
        "2.5".parse::<Decimal>().expect("decimal")
    );
    shop.stop().await;
}

#[tokio::test]
async fn parents_services_and_skus_magento_has_no_stock_of_are_skipped() {
    let shop = shop("import_skipped", true).await;
    let tee = shop
        .listed_as("HT-TEE", 110, ProductKind::Stock, "configurable")
        .await;
    let engraving = shop
        .listed_as("SB-ENGRAVE", 120, ProductKind::Service, "virtual")
        .await;
    let unknown = shop.listed("NOT-IN-MAGENTO", 999).await;

    let job = shop.import(None, false).await;

    assert_eq!((job.total_count, job.processed_count), (Some(3), 3));
    for (sku, code) in [
        ("HT-TEE", "NO_STOCK_OF_ITS_OWN"),
        ("SB-ENGRAVE", "NOT_A_STOCK_PRODUCT"),
        ("NOT-IN-MAGENTO", "NO_MAGENTO_STOCK"),
    ] {
        let item = shop.item(job.id, sku).await;
        assert_eq!(item.outcome, JobItemOutcome::Skipped, "{sku}");
        assert_eq!(item.error_code.as_deref(), Some(code), "{sku}");
    }
    for product in [tee, engraving, unknown] {
        assert!(shop.movements(product).await.is_empty());
    }
    shop.stop().await;
}

#[tokio::test]
async fn named_skus_are_imported_alone_and_unlisted_ones_are_refused_up_front() {
    let shop = shop("import_named", true).await;
    let bag = shop.listed("24-MB01", 101).await;
    let duffle = shop.listed("24-WB04", 102).await;

    let refused = start_import(
        &shop.services,
        &shop.principal,
        shop.store.id,
        Some(vec!["24-MB01".to_owned(), "NOPE".to_owned()]),
        false,
    )
    .await
    .expect_err("refused");
    assert_eq!(
        user_errors(refused),
        vec![("skus.1".to_owned(), ErrorCode::NotFound)]
    );

    let job = shop.import(Some(vec!["24-wb04"]), false).await;

    assert_eq!((job.total_count, job.processed_count), (Some(1), 1));
    assert_eq!(shop.on_hand(duffle, shop.home).await, qty(18));
    assert_eq!(shop.on_hand(bag, shop.home).await, qty(0));
    shop.stop().await;
}

#[tokio::test]
async fn a_retried_attempt_skips_the_items_an_earlier_attempt_recorded() {
    let shop = shop("import_retry", true).await;
    let bag = shop.listed("24-MB01", 101).await;
    let duffle = shop.listed("24-WB04", 102).await;
    let started = start_import(&shop.services, &shop.principal, shop.store.id, None, true)
        .await
        .expect("started");
    let mut ctx = JobContext {
        services: shop.services.clone(),
        job: jobs::get(&shop.db.db, shop.db.org_id, started.id)
            .await
            .expect("job"),
    };
    // The first attempt recorded the bag, then the store went away.
    ctx.job.attempts = 1;
    ctx.record_item(101, "24-MB01", JobItemOutcome::Succeeded, None)
        .await
        .expect("recorded");

    ctx.job.attempts = 2;
    jobs::run_handler(&ctx).await.expect("second attempt");

    assert_eq!(shop.on_hand(bag, shop.home).await, qty(0));
    assert_eq!(shop.on_hand(duffle, shop.home).await, qty(18));
    let job = jobs::get(&shop.db.db, shop.db.org_id, started.id)
        .await
        .expect("job");
    assert_eq!((job.total_count, job.processed_count), (Some(2), 2));
    shop.stop().await;
}

#[tokio::test]
async fn a_store_that_stops_answering_fails_the_attempt_transiently_and_the_retry_imports() {
    let shop = shop("import_outage", true).await;
    let bag = shop.listed("24-MB01", 101).await;
    let started = start_import(&shop.services, &shop.principal, shop.store.id, None, false)
        .await
        .expect("started");
    let mut ctx = JobContext {
        services: shop.services.clone(),
        job: jobs::get(&shop.db.db, shop.db.org_id, started.id)
            .await
            .expect("job"),
    };
    ctx.job.attempts = 1;
    let answer = sandbox_control(
        &shop.sandbox,
        "POST",
        "faults",
        serde_json::json!({"endpoint": "inventory/source-items", "kind": "status", "status": 503}),
    )
    .await;
    assert!(answer.contains("201"), "{answer}");

    let first = jobs::run_handler(&ctx).await;

    assert!(matches!(first, Err(JobFailure::Transient(_))), "{first:?}");
    assert!(shop.movements(bag).await.is_empty());
    sandbox_control(&shop.sandbox, "DELETE", "faults", serde_json::json!({})).await;
    ctx.job.attempts = 2;
    jobs::run_handler(&ctx).await.expect("second attempt");
    assert_eq!(shop.on_hand(bag, shop.home).await, qty(40));
    shop.stop().await;
}

#[tokio::test]
async fn turning_update_stock_levels_on_warns_when_magento_has_stock_of_products_at_zero_here() {
    let shop = shop("import_warning", true).await;
    let bag = shop.listed("24-MB01", 101).await;
    shop.listed("24-WB04", 102).await;
    // No stock in Magento's default source: nothing to overwrite.
    shop.listed("24-UG06", 103).await;
    let mug = shop.listed("MUG 11oz/BLK", 104).await;
    shop.adjust(mug, shop.home, 3).await;

    let saved = shop.settings(update_stock_levels(true)).await;

    assert!(saved.settings.update_stock_levels);
    assert_eq!(saved.warnings.len(), 1, "{:?}", saved.warnings);
    let warning = &saved.warnings[0];
    assert_eq!(warning.code, WarningCode::StockWouldOverwriteMagento);
    assert_eq!(warning.count, Some(2));
    assert!(warning.message.contains("stockImportFromMagento"));
    assert!(shop.movements(bag).await.is_empty());
    shop.stop().await;
}

#[tokio::test]
async fn no_warning_after_the_import_or_when_the_setting_was_already_on() {
    let shop = shop("import_no_warning", true).await;
    shop.listed("24-MB01", 101).await;
    shop.import(None, false).await;

    let saved = shop.settings(update_stock_levels(true)).await;
    assert!(saved.warnings.is_empty(), "{:?}", saved.warnings);

    shop.listed("24-WB04", 102).await;
    let again = shop.settings(update_stock_levels(true)).await;
    assert!(again.warnings.is_empty(), "{:?}", again.warnings);
    shop.stop().await;
}

#[tokio::test]
async fn a_store_that_cannot_be_asked_still_saves_the_setting_with_a_warning_that_stock_was_not_compared()
 {
    let shop = shop("import_warning_down", true).await;
    shop.listed("24-MB01", 101).await;
    sandbox_control(
        &shop.sandbox,
        "POST",
        "faults",
        serde_json::json!({"endpoint": "inventory/source-items", "kind": "status", "status": 503}),
    )
    .await;

    let saved = shop.settings(update_stock_levels(true)).await;

    assert!(saved.settings.update_stock_levels);
    assert_eq!(saved.warnings.len(), 1, "{:?}", saved.warnings);
    assert_eq!(saved.warnings[0].code, WarningCode::MagentoStockNotCompared);
    assert_eq!(saved.warnings[0].count, Some(1));
    shop.stop().await;
}

#[tokio::test]
async fn a_legacy_store_is_compared_through_its_stock_items() {
    let shop = shop("import_warning_legacy", false).await;
    shop.listed("24-MB01", 101).await;
    shop.listed("24-UG06", 103).await;

    let saved = shop.settings(update_stock_levels(true)).await;

    assert_eq!(saved.warnings.len(), 1, "{:?}", saved.warnings);
    assert_eq!(
        saved.warnings[0].code,
        WarningCode::StockWouldOverwriteMagento
    );
    assert_eq!(saved.warnings[0].count, Some(1));
    shop.stop().await;
}

#[tokio::test]
async fn the_comparison_asks_magento_a_bounded_number_of_times_however_many_listings_are_at_zero() {
    let shop = shop("import_warning_bounded", true).await;
    shop.listed("24-MB01", 101).await;
    shop.listed("24-WB04", 102).await;
    // 1,200 more at 0 here that Magento does not know, sorting after the real ones.
    shop.db
        .db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "WITH p AS (INSERT INTO products (id, org_id, sku, name, kind, status) \
                        SELECT gen_random_uuid(), $1, 'ZZ-' || n, 'Filler ' || n, 'stock', 'active' \
                        FROM generate_series(1, 1200) AS n RETURNING id, sku) \
             , l AS (INSERT INTO listings (id, org_id, store_id, product_id, status, magento_product_id, magento_sku) \
             SELECT gen_random_uuid(), $1, $2, p.id, 'listed', 10000 + row_number() OVER (), p.sku FROM p RETURNING store_id, org_id, product_id, magento_product_id) \
                 INSERT INTO magento_links (store_id, kind, external_id, org_id, record_id) \
                 SELECT store_id, 'product', magento_product_id, org_id, product_id FROM l",
            [shop.db.org_id.into(), shop.store.id.into()],
        ))
        .await
        .expect("fillers");
    let before = sandbox_requests(&shop.sandbox).await;

    let saved = shop.settings(update_stock_levels(true)).await;

    let asked = sandbox_requests(&shop.sandbox).await - before;
    assert!(asked <= 5, "{asked} requests");
    assert_eq!(saved.warnings.len(), 1, "{:?}", saved.warnings);
    let warning = &saved.warnings[0];
    assert_eq!(warning.code, WarningCode::StockWouldOverwriteMagento);
    assert_eq!(warning.count, Some(2));
    assert!(
        warning
            .message
            .starts_with("At least 2 listed products (of 1202"),
        "{}",
        warning.message
    );
    shop.stop().await;
}
