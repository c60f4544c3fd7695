//! The stock push through GraphQL, with the real binary running its workers: a stock
//! adjustment reaches Magento's source item within seconds, "Update Quantities"
//! (`stockPush`) pushes with the buffer taken off, legacy stock items, Update Is In
//! Stock and Update Manage Stock, a listing with stock sync off, a store with Update
//! Stock Levels off, and a store that answers 503 until it heals. The catalogue shows
//! what was pushed and when.

use std::time::Duration;

use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use magento::search::SearchCriteria;
use magento::{ClientOptions, MagentoClient};
use tests::{Env, Gql, Server, connect_store, eventually, finished_job};

const STOCK_PUSH: &str = r#"
mutation($store: ID!, $skus: [String!]) {
  stockPush(storeId: $store, skus: $skus) {
    job { id kind state }
    userErrors { field message code }
  }
}"#;

const SETTINGS: &str = r#"
mutation($store: ID!, $input: StoreSettingsInput!) {
  storeUpdateSettings(storeId: $store, input: $input) { userErrors { field message code } }
}"#;

const CATALOG: &str = "query($id: ID!) { store(id: $id) { catalog { nodes {
    product { sku } lastPushedQuantity lastPushedAt } } } }";

struct Shop {
    _env: Env,
    _server: Server,
    sandbox: sandbox::RunningSandbox,
    admin: Gql,
    operator: Gql,
    db: DatabaseConnection,
    store: String,
    store_id: Uuid,
    location: String,
    magento: MagentoClient,
}

async fn shop(label: &str, msi: bool) -> Shop {
    let env = Env::new(label).await;
    let admin_key = env.api_key("Acme", "admin").await;
    let operator_key = env.api_key("Acme", "operator").await;
    let server = Server::start(&env, &[]).await;
    let admin = server.gql(Some(&admin_key));
    let operator = server.gql(Some(&operator_key));
    let sandbox = sandbox::start(
        ([127, 0, 0, 1], 0).into(),
        sandbox::SandboxOptions {
            msi,
            ..sandbox::SandboxOptions::default()
        },
    )
    .await
    .expect("sandbox starts");
    let connected = connect_store(&admin, &sandbox, "Main shop").await;
    assert_eq!(connected["userErrors"], json!([]), "{connected}");
    let refresh = finished_job(&admin, connected["job"]["id"].as_str().expect("job")).await;
    assert_eq!(refresh["state"], "SUCCEEDED", "{refresh}");
    let store = connected["store"]["id"].as_str().expect("store").to_owned();
    let db = env.db().await;
    let store_id = store_uuid(&db, "Main shop").await;
    let location = admin.data("{ locations { id } }", json!({})).await["locations"][0]["id"]
        .as_str()
        .expect("location")
        .to_owned();
    let magento = MagentoClient::new(
        &sandbox.base_url,
        sandbox.credentials.clone(),
        ClientOptions::default(),
    )
    .expect("client");
    Shop {
        _env: env,
        _server: server,
        sandbox,
        admin,
        operator,
        db,
        store,
        store_id,
        location,
        magento,
    }
}

async fn store_uuid(db: &DatabaseConnection, name: &str) -> Uuid {
    db.query_one_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT id FROM magento_stores WHERE name = $1",
        [name.into()],
    ))
    .await
    .expect("read")
    .expect("store")
    .try_get("", "id")
    .expect("id")
}

impl Shop {
    /// A product with `on_hand` units (a negative number: a backorder of that many),
    /// listed in the store (the listing row is written
    /// directly: listing through Magento is not what is under test here). Returns its ID.
    async fn listed(&self, sku: &str, on_hand: i64) -> String {
        let created = self
            .operator
            .data(
                "mutation($input: ProductCreateInput!) { productCreate(input: $input) {
                    product { id } userErrors { field message code } } }",
                json!({ "input": { "sku": sku, "name": sku } }),
            )
            .await["productCreate"]
            .clone();
        assert_eq!(created["userErrors"], json!([]), "{created}");
        let id = created["product"]["id"].as_str().expect("id").to_owned();
        self.list(sku, self.store_id).await;
        if on_hand > 0 {
            self.adjust(&id, on_hand).await;
        } else if on_hand < 0 {
            self.backorder(sku, -on_hand).await;
        }
        id
    }

    /// `units` allocated beyond what is on hand, as an authorised order does: available
    /// goes negative while on hand stays at zero.
    async fn backorder(&self, sku: &str, units: i64) {
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT p.org_id, p.id AS product_id, \
                        (SELECT id FROM locations l WHERE l.org_id = p.org_id AND l.is_default) AS location_id \
                 FROM products p WHERE p.sku = $1",
                [sku.into()],
            ))
            .await
            .expect("read")
            .expect("the product");
        let txn = self.db.begin().await.expect("txn");
        domain::stock::apply(
            &txn,
            row.try_get("", "org_id").expect("org"),
            &[domain::stock::Movement {
                product_id: row.try_get("", "product_id").expect("product"),
                location_id: row.try_get("", "location_id").expect("location"),
                kind: domain::entities::enums::MovementKind::Allocation,
                on_hand_delta: Decimal::ZERO,
                allocated_delta: Decimal::from(units),
            }],
            &domain::stock::Cause::default(),
        )
        .await
        .expect("allocated");
        txn.commit().await.expect("commit");
    }

    async fn list(&self, sku: &str, store_id: Uuid) {
        self.db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "WITH l AS (INSERT INTO listings (id, org_id, store_id, product_id, status, magento_product_id, magento_type) \
                 SELECT $1, p.org_id, $2, p.id, 'listed', \
                        (SELECT count(*) + 1000 FROM listings), 'simple' \
                 FROM products p WHERE p.sku = $3 RETURNING store_id, org_id, product_id, magento_product_id) \
                 INSERT INTO magento_links (store_id, kind, external_id, org_id, record_id) \
                 SELECT store_id, 'product', magento_product_id, org_id, product_id FROM l",
                [Uuid::new_v4().into(), store_id.into(), sku.into()],
            ))
            .await
            .expect("listing");
    }

    async fn set_listing(&self, sku: &str, assignment: &str) {
        self.db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!(
                    "UPDATE listings SET {assignment} \
                     WHERE product_id = (SELECT id FROM products WHERE sku = $1)"
                ),
                [sku.into()],
            ))
            .await
            .expect("listing updated");
    }

    async fn adjust(&self, product: &str, delta: i64) {
        let adjusted = self
            .operator
            .data(
                "mutation($input: StockAdjustInput!) { stockAdjust(input: $input) {
                    userErrors { field message code } } }",
                json!({ "input": { "productId": product, "locationId": self.location,
                                   "quantity": delta.to_string(), "reason": "count" } }),
            )
            .await["stockAdjust"]
            .clone();
        assert_eq!(adjusted["userErrors"], json!([]), "{adjusted}");
    }

    async fn settings(&self, store: &str, input: Value) {
        let saved = self
            .admin
            .data(SETTINGS, json!({ "store": store, "input": input }))
            .await["storeUpdateSettings"]
            .clone();
        assert_eq!(saved["userErrors"], json!([]), "{saved}");
    }

    /// Runs "Update Quantities" to its end; returns the finished job.
    async fn update_quantities(&self, skus: Option<Vec<&str>>) -> Value {
        let payload = self
            .operator
            .data(STOCK_PUSH, json!({ "store": self.store, "skus": skus }))
            .await["stockPush"]
            .clone();
        assert_eq!(payload["userErrors"], json!([]), "{payload}");
        assert_eq!(payload["job"]["kind"], "STOCK_PUSH");
        finished_job(
            &self.operator,
            payload["job"]["id"].as_str().expect("job id"),
        )
        .await
    }

    /// The default source's (quantity, in stock) of `sku`.
    async fn source_item(&self, sku: &str) -> Option<(Decimal, bool)> {
        source_item(&self.magento, sku).await
    }

    /// Waits until the stock watcher has pushed `quantity` of `sku` to the default
    /// source and the catalogue shows that push.
    async fn pushed(&self, sku: &str, quantity: Decimal) {
        eventually(
            &format!("{quantity} of {sku} in Magento"),
            Duration::from_secs(10),
            || async { (self.source_item(sku).await == Some((quantity, true))).then_some(()) },
        )
        .await;
        eventually(
            &format!("the push of {sku} in the catalogue"),
            Duration::from_secs(5),
            || async {
                let entry = self.catalog_entry(sku).await;
                (entry["lastPushedQuantity"] == quantity.to_string()).then_some(())
            },
        )
        .await;
    }

    async fn catalog_entry(&self, sku: &str) -> Value {
        let nodes = self
            .operator
            .data(CATALOG, json!({ "id": self.store }))
            .await["store"]["catalog"]["nodes"]
            .clone();
        nodes
            .as_array()
            .expect("nodes")
            .iter()
            .find(|n| n["product"]["sku"] == sku)
            .cloned()
            .unwrap_or_else(|| panic!("{sku} is not in the catalogue: {nodes}"))
    }
}

async fn source_item(client: &MagentoClient, sku: &str) -> Option<(Decimal, bool)> {
    client
        .source_items(SearchCriteria::new().filter("sku", sku, "eq"))
        .await
        .expect("source items")
        .into_iter()
        .find(|item| item.source_code == "default")
        .map(|item| (item.quantity.normalize(), item.is_in_stock()))
}

fn units(n: i64) -> Decimal {
    Decimal::from(n)
}

#[tokio::test]
async fn a_stock_adjustment_reaches_the_source_item_within_seconds() {
    let shop = shop("push_e2e_watch", true).await;
    let bag = shop.listed("24-MB01", 12).await;
    shop.settings(&shop.store, json!({ "updateStockLevels": true }))
        .await;

    shop.adjust(&bag, -5).await;

    // How soon is the benchmark's to measure; here only that it arrives unasked.
    eventually(
        "the new quantity in Magento",
        Duration::from_secs(10),
        || async { (shop.source_item("24-MB01").await == Some((units(7), true))).then_some(()) },
    )
    .await;
    let entry = eventually(
        "the push in the catalogue",
        Duration::from_secs(5),
        || async {
            let entry = shop.catalog_entry("24-MB01").await;
            (entry["lastPushedQuantity"] == "7").then_some(entry)
        },
    )
    .await;
    assert!(entry["lastPushedAt"].is_string(), "{entry}");
}

#[tokio::test]
async fn update_quantities_pushes_every_listing_less_its_buffer_and_the_catalogue_shows_it() {
    let shop = shop("push_e2e_job", true).await;
    shop.listed("24-MB01", 12).await;
    shop.listed("24-UG06", 9).await;
    shop.set_listing(
        "24-UG06",
        "product_buffer_enabled = true, product_buffer = 4",
    )
    .await;
    shop.settings(
        &shop.store,
        json!({ "updateStockLevels": true, "useBufferInventory": true, "bufferInventory": 2 }),
    )
    .await;

    let job = shop.update_quantities(None).await;

    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert_eq!(shop.source_item("24-MB01").await, Some((units(10), true)));
    assert_eq!(shop.source_item("24-UG06").await, Some((units(5), true)));
    let entry = shop.catalog_entry("24-MB01").await;
    assert_eq!(entry["lastPushedQuantity"], "10");
    assert!(entry["lastPushedAt"].is_string(), "{entry}");
}

#[tokio::test]
async fn update_quantities_runs_with_update_stock_levels_off_and_skips_stock_sync_off() {
    let shop = shop("push_e2e_sync_off", true).await;
    shop.listed("24-MB01", 12).await;
    shop.listed("24-UG06", 9).await;
    shop.set_listing("24-UG06", "stock_sync = false").await;

    let job = shop.update_quantities(None).await;

    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert_eq!(shop.source_item("24-MB01").await, Some((units(12), true)));
    assert_eq!(
        shop.source_item("24-UG06").await,
        Some((units(0), false)),
        "the seeded source item is left as it was"
    );
    assert_eq!(
        shop.catalog_entry("24-UG06").await["lastPushedQuantity"],
        Value::Null
    );
}

#[tokio::test]
async fn update_quantities_on_a_legacy_store_sets_stock_items_with_is_in_stock_and_manage_stock() {
    let shop = shop("push_e2e_legacy", false).await;
    shop.listed("24-MB01", 6).await;
    shop.listed("24-UG06", -1).await;
    shop.settings(
        &shop.store,
        json!({ "updateIsInStock": true, "updateManageStock": true }),
    )
    .await;

    let job = shop
        .update_quantities(Some(vec!["24-MB01", "24-UG06"]))
        .await;

    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    let bag = shop.magento.stock_item("24-MB01").await.expect("bag");
    assert_eq!(
        (
            bag.qty.map(|q| q.normalize()),
            bag.is_in_stock,
            bag.manage_stock
        ),
        (Some(units(6)), Some(true), Some(true))
    );
    let bottle = shop.magento.stock_item("24-UG06").await.expect("bottle");
    assert_eq!(
        (bottle.qty.map(|q| q.normalize()), bottle.is_in_stock),
        (Some(units(-1)), Some(false)),
        "Update Is In Stock on: nothing to sell is out of stock"
    );
}

#[tokio::test]
async fn with_update_is_in_stock_off_a_backorder_stays_in_stock() {
    let shop = shop("push_e2e_backorder", true).await;
    shop.listed("24-MB01", -3).await;

    let job = shop.update_quantities(Some(vec!["24-MB01"])).await;

    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert_eq!(shop.source_item("24-MB01").await, Some((units(-3), true)));
}

#[tokio::test]
async fn update_quantities_refuses_a_sku_the_store_does_not_list() {
    let shop = shop("push_e2e_unknown", true).await;
    shop.listed("24-MB01", 1).await;

    let payload = shop
        .operator
        .data(
            STOCK_PUSH,
            json!({ "store": shop.store, "skus": ["24-MB01", "NOPE"] }),
        )
        .await["stockPush"]
        .clone();

    assert_eq!(payload["job"], Value::Null);
    assert_eq!(
        payload["userErrors"][0]["field"],
        json!(["skus", "1"]),
        "{payload}"
    );
    assert_eq!(payload["userErrors"][0]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn a_change_of_the_channel_buffer_alone_is_not_pushed_until_the_stock_changes() {
    let shop = shop("push_e2e_buffer_change", true).await;
    shop.settings(&shop.store, json!({ "updateStockLevels": true }))
        .await;
    let bag = shop.listed("24-MB01", 12).await;
    let bottle = shop.listed("24-UG06", 9).await;
    shop.pushed("24-MB01", units(12)).await;
    shop.pushed("24-UG06", units(9)).await;

    shop.settings(
        &shop.store,
        json!({ "useBufferInventory": true, "bufferInventory": 3 }),
    )
    .await;
    // The watcher handles changes in order: once a later stock change of another
    // product is in Magento, a push set off by the buffer change would be too.
    shop.adjust(&bottle, 1).await;
    shop.pushed("24-UG06", units(10 - 3)).await;
    tokio::time::sleep(Duration::from_millis(700)).await;

    assert_eq!(
        shop.source_item("24-MB01").await,
        Some((units(12), true)),
        "the buffer change alone pushes nothing"
    );
    assert_eq!(
        shop.catalog_entry("24-MB01").await["lastPushedQuantity"],
        "12"
    );

    shop.adjust(&bag, -2).await;

    shop.pushed("24-MB01", units(10 - 3)).await;
}

#[tokio::test]
async fn a_store_with_update_stock_levels_off_is_not_pushed_automatically() {
    let shop = shop("push_e2e_two_stores", true).await;
    let other_sandbox = sandbox::start(([127, 0, 0, 1], 0).into(), Default::default())
        .await
        .expect("sandbox starts");
    let other = connect_store(&shop.admin, &other_sandbox, "Other shop").await;
    finished_job(&shop.admin, other["job"]["id"].as_str().expect("job")).await;
    let other_id = store_uuid(&shop.db, "Other shop").await;
    let other_magento = MagentoClient::new(
        &other_sandbox.base_url,
        other_sandbox.credentials.clone(),
        ClientOptions::default(),
    )
    .expect("client");
    let bag = shop.listed("24-MB01", 12).await;
    shop.list("24-MB01", other_id).await;
    shop.settings(&shop.store, json!({ "updateStockLevels": true }))
        .await;

    shop.adjust(&bag, 1).await;

    eventually(
        "the push to the store with the setting on",
        Duration::from_secs(10),
        || async { (shop.source_item("24-MB01").await == Some((units(13), true))).then_some(()) },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        source_item(&other_magento, "24-MB01").await,
        Some((units(40), true)),
        "the seeded quantity stays where Update Stock Levels is off"
    );
    other_sandbox.stop().await;
}

#[tokio::test]
async fn a_store_answering_503_gets_the_push_once_it_heals() {
    let shop = shop("push_e2e_503", true).await;
    let bag = shop.listed("24-MB01", 12).await;
    shop.settings(&shop.store, json!({ "updateStockLevels": true }))
        .await;
    let fault = reqwest::Client::new()
        .post(format!("{}/sandbox/faults", shop.sandbox.base_url))
        .json(
            &json!({ "endpoint": "inventory/source-items", "kind": "status",
                       "status": 503, "count": 6 }),
        )
        .send()
        .await
        .expect("fault added");
    assert!(fault.status().is_success());

    shop.adjust(&bag, 3).await;

    eventually(
        "the push after the store healed",
        Duration::from_secs(20),
        || async {
            let entry = shop.catalog_entry("24-MB01").await;
            (entry["lastPushedQuantity"] == "15").then_some(())
        },
    )
    .await;
    assert_eq!(shop.source_item("24-MB01").await, Some((units(15), true)));
}

const LOCATION_MAPPINGS: &str = r#"
mutation($input: StoreSetLocationMappingsInput!) {
  storeSetLocationMappings(input: $input) {
    store { locationMappings { sourceCode locationId } }
    userErrors { field message code }
  }
}"#;

#[tokio::test]
async fn the_linked_locations_stock_goes_to_the_msi_source_mapped_to_it() {
    let shop = shop("push_e2e_location_mapping", true).await;
    let warehouse = shop
        .admin
        .data(
            "mutation { locationCreate(input: { name: \"North-East\" }) { location { id } } }",
            json!({}),
        )
        .await["locationCreate"]["location"]["id"]
        .as_str()
        .expect("location")
        .to_owned();
    let mapped = shop
        .admin
        .data(
            LOCATION_MAPPINGS,
            json!({ "input": { "storeId": shop.store,
                               "mappings": [{ "sourceCode": "ne_wh", "locationId": warehouse }] } }),
        )
        .await["storeSetLocationMappings"]
        .clone();
    assert_eq!(mapped["userErrors"], json!([]), "{mapped}");
    assert_eq!(
        mapped["store"]["locationMappings"],
        json!([{ "sourceCode": "ne_wh", "locationId": warehouse }])
    );
    shop.settings(&shop.store, json!({ "locationId": warehouse }))
        .await;
    let bag = shop.listed("24-MB01", 12).await;
    let moved = shop
        .operator
        .data(
            "mutation($input: StockAdjustInput!) { stockAdjust(input: $input) { userErrors { code } } }",
            json!({ "input": { "productId": bag, "locationId": warehouse, "quantity": "4", "reason": "count" } }),
        )
        .await;
    assert_eq!(moved["stockAdjust"]["userErrors"], json!([]), "{moved}");

    let job = shop.update_quantities(Some(vec!["24-MB01"])).await;

    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    let items = shop
        .magento
        .source_items(SearchCriteria::new().filter("sku", "24-MB01", "eq"))
        .await
        .expect("source items");
    let north_east = items
        .iter()
        .find(|item| item.source_code == "ne_wh")
        .expect("an ne_wh source item");
    assert_eq!(
        north_east.quantity.normalize(),
        units(4),
        "the linked location's stock only"
    );
}

#[tokio::test]
async fn a_location_mapping_must_name_a_known_source_once() {
    let shop = shop("push_e2e_bad_mapping", true).await;
    let refused = shop
        .admin
        .data(
            LOCATION_MAPPINGS,
            json!({ "input": { "storeId": shop.store, "mappings": [
                { "sourceCode": "nowhere", "locationId": shop.location },
                { "sourceCode": "default", "locationId": shop.location },
            ] } }),
        )
        .await["storeSetLocationMappings"]
        .clone();
    let errors: Vec<(Value, Value)> = refused["userErrors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| (e["field"].clone(), e["code"].clone()))
        .collect();
    assert_eq!(
        errors,
        [
            (
                json!(["input", "mappings", "0", "sourceCode"]),
                json!("NOT_FOUND")
            ),
            (
                json!(["input", "mappings", "1", "locationId"]),
                json!("INVALID_COMBINATION")
            ),
        ]
    );
}
