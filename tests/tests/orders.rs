//! Orders in through the public interfaces: the sandbox's signed notifications reach
//! `POST /webhooks/magento/{storeId}` and become pending orders with their stock
//! allocated; the webhook's refusals; the poller alone (notifications off); "Load
//! Orders", the log and deleting an entry over GraphQL; `logEvents` live.

use std::time::Duration;

use futures_util::StreamExt as _;

use serde_json::{Value, json};

use tests::WorkerProcess;
use tests::shop::{Shop, shop, shop_with_env, shop_without_workers};
use tests::{WsClient, eventually, finished_job};

const PENDING: &str = r#"
query($id: ID!) {
  store(id: $id) {
    pendingOrders(first: 50) { nodes { id incrementId magentoOrderId state processingState reasonCode reason } }
    log(first: 50) { nodes { id incrementId magentoOrderId status capturedAt pendingOrder { id } } }
  }
}"#;

const STOCK: &str = r#"
query($id: ID!) { product(id: $id) { stockLevels { onHand allocated available } } }"#;

/// A product in Magento (10 units) and in the ledger that none of the sandbox's seeded
/// orders holds (the first poll may capture those); its ledger id.
async fn fresh_product(shop: &Shop, sku: &str) -> String {
    fresh_product_with(shop, sku, 10).await
}

async fn fresh_product_with(shop: &Shop, sku: &str, units: u32) -> String {
    let created = reqwest::Client::new()
        .post(format!("{}/sandbox/products", shop.sandbox.base_url))
        .json(&json!({ "sku": sku, "qty": units }))
        .send()
        .await
        .expect("product created");
    assert!(created.status().is_success());
    shop.product(sku, json!({})).await
}

/// Loads every store view's orders.
async fn loading(shop: &Shop) {
    shop.settings(json!({ "salesStoreScope": "ALL_STORES" }))
        .await;
}

async fn place(shop: &Shop, sku: &str, qty: u32) -> Value {
    let placed: Value = reqwest::Client::new()
        .post(format!("{}/sandbox/orders", shop.sandbox.base_url))
        .json(&json!({ "items": [{ "sku": sku, "qty": qty }] }))
        .send()
        .await
        .expect("order placed")
        .json()
        .await
        .expect("JSON");
    assert!(placed["entity_id"].is_i64(), "{placed}");
    placed
}

async fn pending(shop: &Shop) -> Value {
    shop.gql.data(PENDING, json!({ "id": shop.store })).await["store"].clone()
}

async fn allocated(shop: &Shop, product: &str) -> String {
    let stock = shop.gql.data(STOCK, json!({ "id": product })).await;
    stock["product"]["stockLevels"][0]["allocated"]
        .as_str()
        .unwrap_or("0")
        .to_owned()
}

async fn rotate_secret(shop: &Shop) -> (String, String) {
    let rotated = shop
        .admin
        .data(
            "mutation($id: ID!) { storeRotateWebhookSecret(storeId: $id) { webhookSecret webhookUrl userErrors { message } } }",
            json!({ "id": shop.store }),
        )
        .await;
    let payload = &rotated["storeRotateWebhookSecret"];
    assert_eq!(payload["userErrors"], json!([]), "{rotated}");
    (
        payload["webhookSecret"]
            .as_str()
            .expect("secret")
            .to_owned(),
        payload["webhookUrl"].as_str().expect("url").to_owned(),
    )
}

#[tokio::test]
async fn a_notified_order_becomes_a_pending_order_with_its_stock_allocated() {
    let shop = shop("orders_notified").await;
    let product = fresh_product(&shop, "NOTIFIED-1").await;
    loading(&shop).await;
    let (secret, url) = rotate_secret(&shop).await;
    let store = shop
        .gql
        .data(
            "query($id: ID!) { store(id: $id) { webhookUrl hasWebhookSecret } }",
            json!({ "id": shop.store }),
        )
        .await;
    assert_eq!(store["store"]["webhookUrl"], json!(url));
    assert_eq!(store["store"]["hasWebhookSecret"], json!(true));
    let target = reqwest::Client::new()
        .post(format!("{}/sandbox/notifications", shop.sandbox.base_url))
        .json(&json!({ "url": url, "secret": secret }))
        .send()
        .await
        .expect("notifications on");
    assert!(target.status().is_success());
    let mut ws = WsClient::connect(&shop.server.ws_url(), Some(shop.gql.key())).await;
    ws.subscribe(
        "subscription($id: ID!) { logEvents(storeId: $id) { cursor kind incrementId status } }",
        json!({ "id": shop.store }),
    )
    .await;

    let placed = place(&shop, "NOTIFIED-1", 2).await;

    let increment = placed["increment_id"].as_str().expect("increment id");
    // The first poll may capture the sandbox's seeded orders meanwhile: find ours.
    let event = loop {
        let event = ws.receive().await.expect("a log event");
        let data = event["payload"]["data"]["logEvents"].clone();
        if data["incrementId"] == increment {
            break data;
        }
    };
    assert_eq!(event["kind"], "CAPTURED", "{event}");
    assert_eq!(event["status"], "PENDING", "{event}");
    let store = pending(&shop).await;
    let ours = |list: &str| {
        store[list]["nodes"]
            .as_array()
            .and_then(|nodes| nodes.iter().find(|n| n["incrementId"] == increment))
            .cloned()
            .unwrap_or_else(|| panic!("{increment} in {list}: {store}"))
    };
    assert_eq!(ours("pendingOrders")["processingState"], "READY");
    assert_eq!(ours("log")["status"], "PENDING");
    assert_eq!(allocated(&shop, &product).await, "2");
    let deliveries: Value =
        reqwest::get(format!("{}/sandbox/notifications", shop.sandbox.base_url))
            .await
            .expect("deliveries")
            .json()
            .await
            .expect("JSON");
    assert_eq!(
        deliveries["deliveries"][0]["outcome"], "delivered",
        "{deliveries}"
    );
}

async fn post_webhook(
    shop: &Shop,
    store: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(shop.server.url(&format!("/webhooks/magento/{store}")))
        .header("Content-Type", "application/json")
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.expect("answered");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

fn notification(event_id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "event_id": event_id, "event": "order.created", "entity_type": "order",
        "entity_id": 1, "increment_id": "000000001", "store_id": 1,
        "updated_at": "2026-12-04 10:00:00"
    }))
    .expect("body")
}

fn signed_headers(secret: &str, body: &[u8], at: i64) -> Vec<(&'static str, String)> {
    vec![
        ("X-Timestamp", at.to_string()),
        (
            "X-Signature",
            magento::notification::sign(secret.as_bytes(), at, body),
        ),
    ]
}

#[tokio::test]
async fn the_webhook_refuses_alike_what_it_cannot_verify_and_accepts_a_signed_one_once() {
    let shop = shop("orders_webhook").await;
    let (secret, url) = rotate_secret(&shop).await;
    let store_path = url.rsplit('/').next().expect("store in the url").to_owned();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let body = notification("evt-webhook-1");

    let unknown_store = post_webhook(
        &shop,
        "3b0d7a8e-0000-4000-8000-000000000000",
        &signed_headers(&secret, &body, now),
        body.clone(),
    )
    .await;
    let bad_signature = post_webhook(
        &shop,
        &store_path,
        &signed_headers("whsec_other", &body, now),
        body.clone(),
    )
    .await;
    let stale = post_webhook(
        &shop,
        &store_path,
        &signed_headers(&secret, &body, now - 3600),
        body.clone(),
    )
    .await;
    let unsigned = post_webhook(&shop, &store_path, &[], body.clone()).await;
    let not_an_id = post_webhook(
        &shop,
        "nope",
        &signed_headers(&secret, &body, now),
        body.clone(),
    )
    .await;
    for refused in [
        &unknown_store,
        &bad_signature,
        &stale,
        &unsigned,
        &not_an_id,
    ] {
        assert_eq!(refused.0, 401, "{refused:?}");
        assert_eq!(refused.1, unknown_store.1, "one body for every refusal");
    }
    let huge = vec![b' '; 64 * 1024 + 1];
    let too_large = post_webhook(
        &shop,
        &store_path,
        &signed_headers(&secret, &huge, now),
        huge,
    )
    .await;
    assert_eq!(too_large.0, 413, "{too_large:?}");

    let accepted = post_webhook(
        &shop,
        &store_path,
        &signed_headers(&secret, &body, now),
        body.clone(),
    )
    .await;
    let replayed = post_webhook(
        &shop,
        &store_path,
        &signed_headers(&secret, &body, now),
        body.clone(),
    )
    .await;
    assert_eq!(accepted.0, 202, "{accepted:?}");
    assert_eq!(replayed.0, 200, "{replayed:?}");
    let jobs = shop
        .gql
        .data(
            "{ jobs(filter: { kind: ORDER_CAPTURE }) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        jobs["jobs"]["edges"].as_array().map(Vec::len),
        Some(1),
        "{jobs}"
    );
}

#[tokio::test]
async fn without_notifications_the_poller_still_captures_every_order() {
    let shop = shop_with_env(
        "orders_poller_only",
        &[("STOCKBRIDGE_ORDER_POLL_SECS", "1")],
    )
    .await;
    let product = fresh_product(&shop, "POLLED-1").await;
    loading(&shop).await;
    // Let the first poll set the store's mark.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let placed = place(&shop, "POLLED-1", 1).await;

    let increment = placed["increment_id"]
        .as_str()
        .expect("increment id")
        .to_owned();
    eventually(
        "the poller captures the order",
        Duration::from_secs(30),
        || {
            let shop = &shop;
            let increment = increment.clone();
            async move {
                let store = pending(shop).await;
                let nodes = store["pendingOrders"]["nodes"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                nodes
                    .iter()
                    .any(|n| n["incrementId"] == increment.as_str())
                    .then_some(())
            }
        },
    )
    .await;
    assert_eq!(allocated(&shop, &product).await, "1");
}

#[tokio::test]
async fn load_orders_captures_history_and_a_deleted_log_entry_lets_an_order_in_again() {
    let shop = shop("orders_load_graphql").await;
    let product = fresh_product(&shop, "LOAD-1").await;
    loading(&shop).await;
    let placed = place(&shop, "LOAD-1", 3).await;
    let increment = placed["increment_id"]
        .as_str()
        .expect("increment id")
        .to_owned();
    let load = |since: String| {
        let shop = &shop;
        async move {
            shop.gql
                .data(
                    "mutation($id: ID!, $since: DateTime!) { ordersLoad(storeId: $id, since: $since) { job { id } userErrors { field code } } }",
                    json!({ "id": shop.store, "since": since }),
                )
                .await["ordersLoad"]
                .clone()
        }
    };
    let too_early = load("2020-01-01T00:00:00Z".to_owned()).await;
    assert_eq!(
        too_early["userErrors"],
        json!([{ "field": ["since"], "code": "OUT_OF_RANGE" }])
    );

    let since = "2026-01-01T00:00:00Z".to_owned();
    let started = load(since.clone()).await;
    let job = finished_job(&shop.gql, started["job"]["id"].as_str().expect("job")).await;

    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    let results = job["results"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        results
            .iter()
            .any(|r| r["key"] == increment.as_str() && r["errorCode"] == "CAPTURED"),
        "{job}"
    );
    assert_eq!(allocated(&shop, &product).await, "3");
    let store = pending(&shop).await;
    let entry = store["log"]["nodes"]
        .as_array()
        .and_then(|nodes| {
            nodes
                .iter()
                .find(|n| n["incrementId"] == increment.as_str())
        })
        .cloned()
        .expect("a log entry");

    let deleted = shop
        .gql
        .data(
            "mutation($id: ID!) { logEntryDelete(logEntryId: $id) { deletedLogEntryId userErrors { message } } }",
            json!({ "id": entry["id"] }),
        )
        .await;
    assert_eq!(
        deleted["logEntryDelete"]["deletedLogEntryId"], entry["id"],
        "{deleted}"
    );
    assert_eq!(allocated(&shop, &product).await, "0");

    let again = load(since).await;
    let job = finished_job(&shop.gql, again["job"]["id"].as_str().expect("job")).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert_eq!(allocated(&shop, &product).await, "3");
}

#[tokio::test]
async fn the_demo_places_orders_that_arrive_as_pending_orders_once_its_products_are_in() {
    let env = tests::Env::new("orders_demo").await;
    let (server, demo) = tests::Server::start_demo(&env).await;
    let gql = server.gql(Some(demo["api_key"].as_str().expect("api key")));
    let store = demo["store_id"].as_str().expect("store").to_owned();
    finished_job(&gql, demo["metadata_job_id"].as_str().expect("job")).await;
    let started = gql
        .data(
            "mutation($store: ID!) { catalogDownloadProducts(storeId: $store) { job { id } } }",
            json!({ "store": store }),
        )
        .await;
    let job = finished_job(
        &gql,
        started["catalogDownloadProducts"]["job"]["id"]
            .as_str()
            .expect("job"),
    )
    .await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");

    // The sandbox places one every 20 s; its notifications point at the demo server.
    let captured = eventually("a demo order arrives", Duration::from_secs(60), || {
        let (gql, store) = (&gql, &store);
        async move {
            let found = gql
                .data(
                    "query($id: ID!) { store(id: $id) { log(first: 50) { nodes { incrementId status } } } }",
                    json!({ "id": store }),
                )
                .await;
            let nodes = found["store"]["log"]["nodes"].as_array().cloned().unwrap_or_default();
            // The sandbox's three seeded orders may be captured by the first poll.
            nodes
                .iter()
                .any(|n| n["incrementId"].as_str().is_some_and(|id| id > "000000003"))
                .then_some(nodes)
        }
    })
    .await;
    assert!(
        captured.iter().all(|n| n["status"] == "PENDING"),
        "{captured:?}"
    );
}

#[tokio::test]
async fn a_worker_killed_in_the_middle_of_a_load_leaves_every_order_captured_once() {
    const ORDERS: usize = 1_200;
    let shop = shop_without_workers("orders_killed_worker").await;
    let product = fresh_product_with(&shop, "KILL-1", 100_000).await;
    loading(&shop).await;
    let http = reqwest::Client::new();
    let placing = futures_util::stream::iter(0..ORDERS)
        .map(|_| {
            let http = http.clone();
            let url = format!("{}/sandbox/orders", shop.sandbox.base_url);
            async move {
                let answer = http
                    .post(url)
                    .json(&json!({ "items": [{ "sku": "KILL-1", "qty": 1 }] }))
                    .send()
                    .await
                    .expect("placed");
                assert!(answer.status().is_success());
            }
        })
        .buffer_unordered(8);
    futures_util::StreamExt::collect::<Vec<()>>(placing).await;
    let started = shop
        .gql
        .data(
            "mutation($id: ID!, $since: DateTime!) { ordersLoad(storeId: $id, since: $since) { job { id } } }",
            json!({ "id": shop.store, "since": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339() }),
        )
        .await;
    let job_id = started["ordersLoad"]["job"]["id"]
        .as_str()
        .expect("job")
        .to_owned();
    let mut first = WorkerProcess::start(&shop.env, &[]).await;
    eventually("the load is under way", Duration::from_secs(60), || {
        let (gql, job_id) = (&shop.gql, &job_id);
        async move {
            let job = gql.data(tests::JOB, json!({ "id": job_id })).await;
            (job["job"]["processedCount"].as_i64().unwrap_or_default() > 0).then_some(())
        }
    })
    .await;

    first.child.start_kill().expect("SIGKILL");
    let _ = first.child.wait().await;
    let _second = WorkerProcess::start(
        &shop.env,
        &[
            ("STOCKBRIDGE_REAPER_RUNNING_AFTER_SECS", "12"),
            ("STOCKBRIDGE_REAPER_INTERVAL_SECS", "1"),
        ],
    )
    .await;

    // The reaper hands the job out again once its heartbeat (every 10 s) is 12 s old.
    let job = eventually("the load to finish", Duration::from_secs(120), || {
        let (gql, job_id) = (&shop.gql, &job_id);
        async move {
            let job = gql.data(tests::JOB, json!({ "id": job_id })).await["job"].clone();
            ["SUCCEEDED", "PARTIALLY_SUCCEEDED", "FAILED", "CANCELLED"]
                .contains(&job["state"].as_str()?)
                .then_some(job)
        }
    })
    .await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert!(job["attempts"].as_i64().unwrap_or_default() >= 2, "{job}");
    let db = shop.env.db().await;
    use sea_orm::ConnectionTrait;
    let counted = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*) AS entries, count(DISTINCT magento_order_id) AS orders FROM sales_log",
        ))
        .await
        .expect("counted")
        .expect("a row");
    let entries: i64 = counted.try_get("", "entries").expect("entries");
    let orders: i64 = counted.try_get("", "orders").expect("orders");
    assert_eq!(entries, orders, "one entry per order");
    assert!(entries >= ORDERS as i64, "{entries}");
    assert_eq!(allocated(&shop, &product).await, ORDERS.to_string());
}
