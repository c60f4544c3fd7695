//! Download → Products through GraphQL against the sandbox: the catalog arrives as
//! products, a family and listings, a second run changes nothing, a store that stops
//! answering is retried by the job, and who may start it.

use serde_json::{Value, json};
use tests::{Env, Gql, Server, connect_store, finished_job, graphql::error_code, start_sandbox};

const DOWNLOAD: &str = r#"
mutation($store: ID!) {
  catalogDownloadProducts(storeId: $store) {
    job { id kind state }
    userErrors { field message code }
  }
}"#;

const CATALOG: &str = r#"
query($store: ID!) {
  store(id: $store) {
    catalog(first: 100) {
      nodes {
        status magentoProductId magentoParentId magentoSku attributeSet
        product {
          id sku name kind status category optionValues images updatedAt
          family { sku name optionNames }
        }
      }
    }
  }
}"#;

struct Shop {
    env: Env,
    server: Server,
    sandbox: sandbox::RunningSandbox,
    operator: Gql,
    store_id: String,
}

async fn shop(label: &str) -> Shop {
    let env = Env::new(label).await;
    let admin = env.api_key("Acme", "admin").await;
    let operator = env.api_key("Acme", "operator").await;
    let server = Server::start(&env, &[]).await;
    let sandbox = start_sandbox().await;
    let payload = connect_store(&server.gql(Some(&admin)), &sandbox, "Main shop").await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    let store_id = payload["store"]["id"]
        .as_str()
        .expect("store id")
        .to_owned();
    let operator = server.gql(Some(&operator));
    // The metadata refresh reads `products/attribute-sets/…`, which a fault on
    // `products` would also strike.
    let refresh = finished_job(
        &operator,
        payload["job"]["id"].as_str().expect("refresh job id"),
    )
    .await;
    assert_eq!(refresh["state"], "SUCCEEDED", "{refresh}");
    Shop {
        env,
        server,
        sandbox,
        operator,
        store_id,
    }
}

/// Runs a download to its end; returns the finished job.
async fn download(shop: &Shop) -> Value {
    let payload = shop
        .operator
        .data(DOWNLOAD, json!({ "store": shop.store_id }))
        .await["catalogDownloadProducts"]
        .clone();
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    assert_eq!(payload["job"]["kind"], "PRODUCTS_DOWNLOAD");
    finished_job(
        &shop.operator,
        payload["job"]["id"].as_str().expect("job id"),
    )
    .await
}

/// The store's catalog entries, by SKU.
async fn catalog(shop: &Shop) -> Vec<Value> {
    let mut nodes = shop
        .operator
        .data(CATALOG, json!({ "store": shop.store_id }))
        .await["store"]["catalog"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    nodes.sort_by(|a, b| {
        a["product"]["sku"]
            .as_str()
            .cmp(&b["product"]["sku"].as_str())
    });
    nodes
}

fn entry<'a>(all: &'a [Value], sku: &str) -> &'a Value {
    all.iter()
        .find(|e| e["product"]["sku"] == sku)
        .unwrap_or_else(|| panic!("no {sku} in {all:?}"))
}

#[tokio::test]
async fn the_catalog_arrives_listed_with_the_configurable_as_a_family() {
    let shop = shop("products_seeded").await;
    let job = download(&shop).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert_eq!(job["totalCount"], 10);
    assert_eq!(job["processedCount"], 10);
    assert_eq!(job["failedCount"], 0);
    let keys: Vec<&str> = job["results"]["nodes"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["key"].as_str())
        .collect();
    assert!(
        keys.contains(&"HT-TEE") && keys.contains(&"HT-TEE-S-Sand"),
        "{keys:?}"
    );

    let all = catalog(&shop).await;
    assert_eq!(all.len(), 9, "{all:?}");
    assert!(all.iter().all(|e| e["status"] == "LISTED"), "{all:?}");
    let bag = entry(&all, "24-MB01");
    assert_eq!(bag["magentoProductId"], 101);
    assert_eq!(bag["magentoParentId"], Value::Null);
    assert_eq!(bag["attributeSet"], "Bag");
    assert_eq!(bag["product"]["name"], "Joust Duffle Bag");
    assert_eq!(bag["product"]["kind"], "STOCK");
    assert_eq!(bag["product"]["category"], "Gear");
    let variant = entry(&all, "HT-TEE-M-Slate");
    assert_eq!(variant["magentoProductId"], 113);
    assert_eq!(variant["magentoParentId"], 110);
    assert_eq!(variant["magentoSku"], "HT-TEE-M-Slate");
    assert_eq!(variant["product"]["optionValues"], json!(["M", "Slate"]));
    assert_eq!(
        variant["product"]["family"],
        json!({ "sku": "HT-TEE", "name": "Helios Tee", "optionNames": ["Size", "Color"] })
    );
    assert_eq!(entry(&all, "SB-ENGRAVE")["product"]["kind"], "SERVICE");
}

#[tokio::test]
async fn running_it_twice_changes_nothing() {
    let shop = shop("products_twice").await;
    assert_eq!(download(&shop).await["state"], "SUCCEEDED");
    let first = catalog(&shop).await;
    let again = download(&shop).await;
    assert_eq!(again["state"], "SUCCEEDED", "{again}");
    assert_eq!(
        catalog(&shop).await,
        first,
        "nothing changed, not even updatedAt"
    );
}

#[tokio::test]
async fn list_products_as_draft_gives_new_products_the_draft_status() {
    let shop = shop("products_draft").await;
    let admin = shop.env.api_key("Acme", "admin").await;
    let saved = shop
        .server
        .gql(Some(&admin))
        .data(
            "mutation($store: ID!, $input: StoreSettingsInput!) {
                storeUpdateSettings(storeId: $store, input: $input) {
                userErrors { field message code } } }",
            json!({ "store": shop.store_id, "input": { "listProductsAsDraft": true } }),
        )
        .await;
    assert_eq!(
        saved["storeUpdateSettings"]["userErrors"],
        json!([]),
        "{saved}"
    );
    assert_eq!(download(&shop).await["state"], "SUCCEEDED");
    let all = catalog(&shop).await;
    assert!(
        all.iter().all(|e| e["product"]["status"] == "DRAFT"),
        "{all:?}"
    );
}

#[tokio::test]
async fn a_store_that_stops_answering_is_retried_by_the_job() {
    let shop = shop("products_retry").await;
    // More failures than one attempt's client retries: the job itself must retry.
    let response = reqwest::Client::new()
        .post(format!("{}/sandbox/faults", shop.sandbox.base_url))
        .json(&json!({ "endpoint": "products", "kind": "status", "status": 503, "count": 5 }))
        .send()
        .await
        .expect("sandbox answers");
    assert!(response.status().is_success(), "{response:?}");
    let job = download(&shop).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert_eq!(job["attempts"], 2, "{job}");
    assert_eq!(job["processedCount"], 10);
    assert_eq!(catalog(&shop).await.len(), 9);
}

#[tokio::test]
async fn a_viewer_may_not_download_and_an_unknown_store_is_not_found() {
    let shop = shop("products_auth").await;
    let viewer = shop.env.api_key("Acme", "viewer").await;
    let body = shop
        .server
        .gql(Some(&viewer))
        .raw(DOWNLOAD, json!({ "store": shop.store_id }))
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");

    let unknown = shop
        .operator
        .data(
            DOWNLOAD,
            json!({ "store": "U3RvcmU6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw" }),
        )
        .await["catalogDownloadProducts"]
        .clone();
    assert_eq!(unknown["job"], Value::Null);
    assert_eq!(unknown["userErrors"][0]["code"], "NOT_FOUND", "{unknown}");
    assert_eq!(unknown["userErrors"][0]["field"], json!(["storeId"]));
}
