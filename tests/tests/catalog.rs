//! A store's catalogue view: products with their listing status, stock and — while
//! buffers are in force — buffer and sync quantity.

use serde_json::{Value, json};
use tests::{Env, Gql, Server, connect_store, finished_job, start_sandbox};

const CATALOG: &str = "query($id: ID!) { store(id: $id) { catalog { nodes {
    product { sku } status magentoProductId stockSync productBufferEnabled productBuffer
    availability { onHand available } buffer syncQuantity lastPushedQuantity } } } }";

async fn catalog(gql: &Gql, store: &str) -> Vec<Value> {
    let mut nodes = gql.data(CATALOG, json!({ "id": store })).await["store"]["catalog"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    nodes.sort_by_key(|n| n["product"]["sku"].as_str().unwrap_or_default().to_owned());
    nodes
}

#[tokio::test]
async fn the_catalog_shows_each_product_unlisted_with_stock_and_buffers_only_when_in_force() {
    let env = Env::new("catalog_view").await;
    let admin = env.api_key("Acme", "admin").await;
    let server = Server::start(&env, &[]).await;
    let gql = server.gql(Some(&admin));
    let sandbox = start_sandbox().await;
    let connected = connect_store(&gql, &sandbox, "Main shop").await;
    finished_job(&gql, connected["job"]["id"].as_str().expect("job")).await;
    let store = connected["store"]["id"].as_str().expect("store").to_owned();
    let location = gql.data("{ locations { id } }", json!({})).await["locations"][0]["id"]
        .as_str()
        .expect("location")
        .to_owned();
    for (sku, on_hand) in [("BOLT", "10"), ("NUT", "1")] {
        let created = gql
            .data(
                "mutation($input: ProductCreateInput!) { productCreate(input: $input) { product { id } } }",
                json!({ "input": { "sku": sku, "name": sku } }),
            )
            .await;
        let id = created["productCreate"]["product"]["id"]
            .as_str()
            .expect("id");
        gql.data(
            "mutation($input: StockAdjustInput!) { stockAdjust(input: $input) { userErrors { code } } }",
            json!({ "input": { "productId": id, "locationId": location, "quantity": on_hand, "reason": "count" } }),
        )
        .await;
    }

    let before = catalog(&gql, &store).await;
    assert_eq!(before.len(), 2);
    assert_eq!(before[0]["status"], "NOT_LISTED");
    assert_eq!(before[0]["stockSync"], true);
    assert_eq!(before[0]["availability"]["available"], "10");
    assert_eq!(
        before[0]["buffer"],
        Value::Null,
        "buffers are off by default"
    );
    assert_eq!(before[0]["syncQuantity"], Value::Null);

    let updated = gql
        .data(
            "mutation($id: ID!) { storeUpdateSettings(storeId: $id, input: {
                updateStockLevels: true, useBufferInventory: true, bufferInventory: 2 }) { userErrors { field } } }",
            json!({ "id": store }),
        )
        .await;
    assert_eq!(updated["storeUpdateSettings"]["userErrors"], json!([]));
    let after = catalog(&gql, &store).await;
    assert_eq!(
        (&after[0]["buffer"], &after[0]["syncQuantity"]),
        (&json!("2"), &json!("8"))
    );
    assert_eq!(
        (&after[1]["buffer"], &after[1]["syncQuantity"]),
        (&json!("2"), &json!("-1")),
        "available less buffer, as the spec states it"
    );
}
