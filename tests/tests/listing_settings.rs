//! The product pop-up's "Save and Close" through GraphQL (`listingSaveSettings`): a
//! listed or not-listed product's stock sync and product-level buffer are kept without
//! a request to Magento, the catalogue shows the new buffer and sync quantity at once,
//! and the next push, list or update sends them.

use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use tests::eventually;
use tests::shop::{Shop, shop};

fn units(n: i64) -> Decimal {
    Decimal::from(n)
}

async fn channel_buffer(shop: &Shop, units: i64) {
    shop.settings(json!({
        "updateStockLevels": true, "useBufferInventory": true, "bufferInventory": units,
    }))
    .await;
}

/// Runs "Update Quantities" for these SKUs to its end.
async fn stock_push(shop: &Shop, skus: &[&str]) -> Value {
    let started = shop
        .gql
        .data(
            "mutation($store: ID!, $skus: [String!]) { stockPush(storeId: $store, skus: $skus) {
                job { id } userErrors { field message code } } }",
            json!({ "store": shop.store, "skus": skus }),
        )
        .await["stockPush"]
        .clone();
    assert_eq!(started["userErrors"], json!([]), "{started}");
    tests::finished_job(&shop.gql, started["job"]["id"].as_str().expect("job")).await
}

async fn in_magento_soon(shop: &Shop, sku: &str, quantity: Decimal) {
    eventually(
        &format!("{sku} at {quantity} in Magento"),
        Duration::from_secs(15),
        || async { (shop.quantity_in_magento(sku).await == quantity).then_some(()) },
    )
    .await;
}

#[tokio::test]
async fn a_product_buffer_of_zero_on_a_downloaded_variant_reaches_the_sandboxs_source_item() {
    let shop = shop("settings_downloaded_variant").await;
    channel_buffer(&shop, 2).await;
    let download = shop.download_products().await;
    assert_eq!(download["state"], "SUCCEEDED", "{download}");
    let small = shop.product_id("HT-TEE-S-Sand").await;
    shop.adjust(&small, "6").await;
    // The watcher pushes the change with the channel buffer taken off.
    in_magento_soon(&shop, "HT-TEE-S-Sand", units(6 - 2)).await;
    let before = shop.sandbox_requests().await;

    let saved = shop
        .save_settings(
            &small,
            json!({ "productBuffer": { "mode": "SET", "value": 0 } }),
        )
        .await;

    assert_eq!(saved["userErrors"], json!([]), "{saved}");
    let listing = &saved["listing"];
    assert_eq!(listing["status"], "LISTED");
    assert_eq!(listing["productBufferEnabled"], true);
    assert_eq!(listing["productBuffer"], 0);
    assert_eq!(listing["buffer"], "0", "the catalogue shows it at once");
    assert_eq!(listing["syncQuantity"], "6");
    assert_eq!(
        shop.sandbox_requests().await,
        before,
        "no request to Magento"
    );

    let job = stock_push(&shop, &["HT-TEE-S-Sand"]).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert_eq!(
        shop.quantity_in_magento("HT-TEE-S-Sand").await,
        units(6),
        "available − 0"
    );
}

#[tokio::test]
async fn a_not_listed_product_keeps_its_saved_settings_and_listing_list_uses_them() {
    let shop = shop("settings_not_listed").await;
    channel_buffer(&shop, 0).await;
    let bolt = shop.product("BOLT", json!({})).await;
    shop.adjust(&bolt, "10").await;
    let before = shop.sandbox_requests().await;

    let saved = shop
        .save_settings(
            &bolt,
            json!({ "productBuffer": { "mode": "SET", "value": 3 } }),
        )
        .await;

    assert_eq!(saved["userErrors"], json!([]), "{saved}");
    assert_eq!(saved["listing"]["status"], "NOT_LISTED");
    assert_eq!(saved["listing"]["syncQuantity"], "7");
    assert_eq!(shop.sandbox_requests().await, before);

    let listed = shop.listed(&bolt, json!({ "createEnabled": true })).await;
    assert_eq!(listed["productBufferEnabled"], true);
    assert_eq!(listed["productBuffer"], 3);
    assert_eq!(listed["lastPushedQuantity"], "7");
    assert_eq!(shop.quantity_in_magento("BOLT").await, units(7));
}

#[tokio::test]
async fn stock_sync_saved_off_keeps_a_listed_product_out_of_the_push() {
    let shop = shop("settings_stock_sync").await;
    let bolt = shop.product("BOLT", json!({})).await;
    shop.adjust(&bolt, "5").await;
    shop.listed(&bolt, json!({})).await;

    let saved = shop
        .save_settings(&bolt, json!({ "stockSync": false }))
        .await;

    assert_eq!(saved["userErrors"], json!([]), "{saved}");
    assert_eq!(saved["listing"]["stockSync"], false);
    assert_eq!(saved["listing"]["productBufferEnabled"], false, "kept");
    shop.adjust(&bolt, "4").await;
    stock_push(&shop, &["BOLT"]).await;
    assert_eq!(
        shop.quantity_in_magento("BOLT").await,
        units(5),
        "the push leaves it alone"
    );
}

#[tokio::test]
async fn unknown_ids_and_bad_buffers_come_back_as_user_errors() {
    let shop = shop("settings_refused").await;
    let bolt = shop.product("BOLT", json!({})).await;
    let refused = |payload: &Value| -> (Value, Value) {
        assert_eq!(payload["listing"], Value::Null, "{payload}");
        let error = &payload["userErrors"][0];
        (error["field"].clone(), error["code"].clone())
    };

    let unknown_store = shop
        .gql
        .data(
            tests::shop::SAVE_SETTINGS,
            json!({ "input": { "storeId": bolt, "productId": bolt, "stockSync": false } }),
        )
        .await["listingSaveSettings"]
        .clone();
    assert_eq!(
        refused(&unknown_store),
        (json!(["input", "storeId"]), json!("NOT_FOUND"))
    );
    let unknown_product = shop
        .save_settings(&shop.store.clone(), json!({ "stockSync": false }))
        .await;
    assert_eq!(
        refused(&unknown_product),
        (json!(["input", "productId"]), json!("NOT_FOUND"))
    );
    for buffer in [
        json!({ "mode": "SET", "value": -1 }),
        json!({ "mode": "SET" }),
    ] {
        let bad = shop
            .save_settings(&bolt, json!({ "productBuffer": buffer }))
            .await;
        assert_eq!(
            refused(&bad),
            (
                json!(["input", "productBuffer", "value"]),
                json!("OUT_OF_RANGE")
            )
        );
    }
    let catalog = shop
        .gql
        .data(
            "query($id: ID!) { store(id: $id) { catalog { nodes { listingId product { sku } } } } }",
            json!({ "id": shop.store }),
        )
        .await;
    assert_eq!(
        catalog["store"]["catalog"]["nodes"][0]["listingId"],
        Value::Null,
        "nothing saved: {catalog}"
    );
}
