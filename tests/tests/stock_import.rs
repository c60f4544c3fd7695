//! The opening balance from Magento through GraphQL, with the real binary running its
//! workers: after Download → Products, turning Update Stock Levels in Magento on warns
//! that Magento's stock would be overwritten; `stockImportFromMagento` takes Magento's
//! quantities as on hand, after which the setting turns on without a warning.

use serde_json::{Value, json};
use tests::finished_job;
use tests::shop::{Shop, shop};

const DOWNLOAD: &str = r#"
mutation($store: ID!) {
  catalogDownloadProducts(storeId: $store) { job { id } userErrors { field message code } }
}"#;

const IMPORT: &str = r#"
mutation($store: ID!, $skus: [String!], $overwrite: Boolean) {
  stockImportFromMagento(storeId: $store, skus: $skus, overwrite: $overwrite) {
    job { id kind state }
    userErrors { field message code }
  }
}"#;

const SETTINGS: &str = r#"
mutation($store: ID!, $input: StoreSettingsInput!) {
  storeUpdateSettings(storeId: $store, input: $input) {
    settings { updateStockLevels }
    warnings { code message count }
    userErrors { field message code }
  }
}"#;

const ON_HAND: &str = "query($sku: String!) { product(sku: $sku) { availability { onHand } } }";

/// A product in Magento with `qty` units at the default source.
async fn in_magento(shop: &Shop, sku: &str, qty: i64) {
    let response = reqwest::Client::new()
        .post(format!("{}/sandbox/products", shop.sandbox.base_url))
        .json(&json!({ "sku": sku, "name": format!("Lamp {sku}"), "price": 20, "qty": qty }))
        .send()
        .await
        .expect("sandbox reachable");
    assert!(response.status().is_success(), "{}", response.status());
}

async fn download(shop: &Shop) {
    let payload = shop
        .gql
        .data(DOWNLOAD, json!({ "store": shop.store }))
        .await["catalogDownloadProducts"]
        .clone();
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    let job = finished_job(&shop.gql, payload["job"]["id"].as_str().expect("job")).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
}

/// Turns Update Stock Levels in Magento on or off; returns the warnings.
async fn update_stock_levels(shop: &Shop, on: bool) -> Value {
    let payload = shop
        .admin
        .data(
            SETTINGS,
            json!({ "store": shop.store, "input": { "updateStockLevels": on } }),
        )
        .await["storeUpdateSettings"]
        .clone();
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    assert_eq!(payload["settings"]["updateStockLevels"], on, "{payload}");
    payload["warnings"].clone()
}

async fn on_hand(shop: &Shop, sku: &str) -> Value {
    shop.gql.data(ON_HAND, json!({ "sku": sku })).await["product"]["availability"]["onHand"].clone()
}

#[tokio::test]
async fn after_a_download_the_import_takes_magentos_quantities_and_the_overwrite_warning_goes_away()
{
    let shop = shop("import_e2e").await;
    in_magento(&shop, "LAMP-1", 7).await;
    download(&shop).await;
    assert_eq!(on_hand(&shop, "LAMP-1").await, "0");

    let warnings = update_stock_levels(&shop, true).await;
    assert_eq!(warnings.as_array().map(Vec::len), Some(1), "{warnings}");
    assert_eq!(warnings[0]["code"], "STOCK_WOULD_OVERWRITE_MAGENTO");
    assert!(
        warnings[0]["count"].as_i64().is_some_and(|n| n > 0),
        "{warnings}"
    );
    assert!(
        warnings[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("stockImportFromMagento")),
        "{warnings}"
    );
    update_stock_levels(&shop, false).await;

    let payload =
        shop.gql.data(IMPORT, json!({ "store": shop.store })).await["stockImportFromMagento"]
            .clone();
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    assert_eq!(payload["job"]["kind"], "STOCK_IMPORT");
    let job = finished_job(&shop.gql, payload["job"]["id"].as_str().expect("job")).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert_eq!(job["processedCount"], job["totalCount"], "{job}");

    assert_eq!(on_hand(&shop, "LAMP-1").await, "7");
    // The seeded duffle bag: 40 at the default source (its 12 at ne_wh are unmapped).
    assert_eq!(on_hand(&shop, "24-MB01").await, "40");
    assert_eq!(update_stock_levels(&shop, true).await, json!([]));
}

#[tokio::test]
async fn an_unlisted_sku_is_refused_up_front_by_name() {
    let shop = shop("import_e2e_refused").await;
    download(&shop).await;

    let payload = shop
        .gql
        .data(
            IMPORT,
            json!({ "store": shop.store, "skus": ["24-MB01", "NO-SUCH-SKU"] }),
        )
        .await["stockImportFromMagento"]
        .clone();

    assert_eq!(payload["job"], Value::Null);
    assert_eq!(
        payload["userErrors"],
        json!([{ "field": ["skus", "1"], "message": "NO-SUCH-SKU is not listed in this store",
                 "code": "NOT_FOUND" }])
    );
}
