//! Bulk listing through GraphQL against the sandbox: the selections (filters, listing
//! status, listed in another store, explicit SKUs), the three actions, the "create
//! enabled" flag, the attribute set and the buffer options; one job item per product
//! with its outcome and error code, and `jobRetryFailed` for just the failed ones.

use serde_json::{Value, json};
use tests::shop::{Shop, shop, shop_without_workers};
use tests::{WorkerProcess, finished_job};

const BULK: &str = r#"
mutation($input: ListingBulkApplyInput!) {
  listingBulkApply(input: $input) {
    job { id kind state totalCount }
    userErrors { field message code }
  }
}"#;

const RETRY: &str = r#"
mutation($id: ID!) { jobRetryFailed(jobId: $id) { job { id retryOf } userErrors { field message code } } }"#;

const CATALOG: &str = r#"
query($id: ID!, $filter: CatalogFilter) { store(id: $id) { catalog(filter: $filter) { nodes {
    product { sku } status magentoProductId attributeSet productBufferEnabled productBuffer } } } }"#;

async fn bulk_in(shop: &Shop, store: &str, input: Value) -> Value {
    let mut full = json!({ "storeId": store });
    for (key, value) in input.as_object().into_iter().flatten() {
        full[key] = value.clone();
    }
    shop.gql.data(BULK, json!({ "input": full })).await["listingBulkApply"].clone()
}

async fn bulk(shop: &Shop, input: Value) -> Value {
    bulk_in(shop, &shop.store, input).await
}

/// Starts a bulk job in `store` and waits for it; returns the finished job.
async fn bulk_job_in(shop: &Shop, store: &str, input: Value) -> Value {
    let started = bulk_in(shop, store, input).await;
    assert_eq!(started["userErrors"], json!([]), "{started}");
    finished_job(&shop.gql, started["job"]["id"].as_str().expect("job")).await
}

async fn bulk_job(shop: &Shop, input: Value) -> Value {
    bulk_job_in(shop, &shop.store, input).await
}

/// The catalogue by SKU, optionally filtered.
async fn catalog(shop: &Shop, filter: Value) -> Vec<Value> {
    let mut nodes = shop
        .gql
        .data(CATALOG, json!({ "id": shop.store, "filter": filter }))
        .await["store"]["catalog"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    nodes.sort_by_key(|n| n["product"]["sku"].as_str().unwrap_or_default().to_owned());
    nodes
}

async fn status_of(shop: &Shop, sku: &str) -> String {
    let nodes = catalog(shop, json!({ "skus": [sku] })).await;
    nodes[0]["status"].as_str().expect("status").to_owned()
}

/// `(key, outcome, errorCode)` of each item, by key.
fn items(job: &Value) -> Vec<(String, String, Option<String>)> {
    let mut items: Vec<_> = job["results"]["nodes"]
        .as_array()
        .expect("results")
        .iter()
        .map(|n| {
            (
                n["key"].as_str().expect("key").to_owned(),
                n["outcome"].as_str().expect("outcome").to_owned(),
                n["errorCode"].as_str().map(str::to_owned),
            )
        })
        .collect();
    items.sort();
    items
}

fn item(key: &str, outcome: &str, code: Option<&str>) -> (String, String, Option<String>) {
    (key.to_owned(), outcome.to_owned(), code.map(str::to_owned))
}

#[tokio::test]
async fn bulk_listing_lists_the_selection_and_reports_a_missing_prerequisite_per_item() {
    let shop = shop("bulk_list_filter").await;
    shop.product("BAG-1", json!({ "category": "Bags" })).await;
    shop.product("BAG-2", json!({ "category": "Bags", "description": null }))
        .await;
    shop.product("HAT-1", json!({ "category": "Hats" })).await;

    let job = bulk_job(
        &shop,
        json!({ "action": "LIST", "filter": { "category": "Bags" } }),
    )
    .await;

    assert_eq!(job["kind"], "LISTING_BULK_APPLY");
    assert_eq!(job["state"], "PARTIALLY_SUCCEEDED");
    assert_eq!(
        items(&job),
        [
            item("BAG-1", "SUCCEEDED", None),
            item("BAG-2", "FAILED", Some("DESCRIPTION_MISSING")),
        ]
    );
    assert_eq!(status_of(&shop, "BAG-1").await, "LISTED");
    assert_eq!(status_of(&shop, "BAG-2").await, "NOT_LISTED");
    assert_eq!(
        status_of(&shop, "HAT-1").await,
        "NOT_LISTED",
        "not selected"
    );
    assert_eq!(shop.in_magento("BAG-1").await.sku, "BAG-1");
}

#[tokio::test]
async fn bulk_list_updates_products_already_listed_and_pushes_their_stock() {
    let shop = shop("bulk_updates_listed").await;
    let bag = shop.product("BAG-1", json!({ "category": "Bags" })).await;
    let first = shop.listed(&bag, json!({})).await;
    shop.edit(&bag, json!({ "name": "Bag, renamed" })).await;
    shop.adjust(&bag, "4").await;

    let job = bulk_job(&shop, json!({ "action": "LIST", "skus": ["BAG-1"] })).await;

    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    let nodes = catalog(&shop, json!({ "skus": ["BAG-1"] })).await;
    assert_eq!(nodes[0]["magentoProductId"], first["magentoProductId"]);
    let found = shop
        .magento
        .products(magento::search::SearchCriteria::new().filter("sku", "BAG-1", "eq"))
        .await
        .expect("search");
    assert_eq!(found.len(), 1, "updated, not created twice");
    assert_eq!(found[0].name, "Bag, renamed");
    assert_eq!(shop.quantity_in_magento("BAG-1").await, 4.into());
}

#[tokio::test]
async fn job_retry_failed_runs_just_the_failed_items_again() {
    let shop = shop("bulk_retry_failed").await;
    shop.product("BAG-1", json!({ "category": "Bags" })).await;
    let bare = shop
        .product("BAG-2", json!({ "category": "Bags", "description": null }))
        .await;
    let first = bulk_job(
        &shop,
        json!({ "action": "LIST", "filter": { "category": "Bags" } }),
    )
    .await;
    assert_eq!(first["failedCount"], 1);

    shop.edit(&bare, json!({ "description": "<p>Now described.</p>" }))
        .await;
    let retried =
        shop.gql.data(RETRY, json!({ "id": first["id"] })).await["jobRetryFailed"].clone();
    assert_eq!(retried["userErrors"], json!([]), "{retried}");
    assert_eq!(
        retried["job"]["retryOf"], first["id"],
        "the retry names the job it redoes"
    );
    let second = finished_job(&shop.gql, retried["job"]["id"].as_str().expect("job")).await;

    assert_eq!(second["state"], "SUCCEEDED");
    assert_eq!(second["totalCount"], 1, "only the failed item runs again");
    assert_eq!(items(&second), [item("BAG-2", "SUCCEEDED", None)]);
    assert_eq!(status_of(&shop, "BAG-2").await, "LISTED");
}

#[tokio::test]
async fn explicit_skus_select_exactly_those_products_and_unknown_ones_are_refused() {
    let shop = shop("bulk_skus").await;
    shop.product("PEN-1", json!({})).await;
    shop.product("PEN-2", json!({})).await;

    let refused = bulk(
        &shop,
        json!({ "action": "LIST", "skus": ["PEN-1", "NOPE"] }),
    )
    .await;
    assert_eq!(refused["job"], Value::Null);
    assert_eq!(refused["userErrors"][0]["code"], "NOT_FOUND");
    assert_eq!(refused["userErrors"][0]["field"], json!(["input", "skus"]));
    assert!(
        refused["userErrors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("NOPE")
    );

    let both = bulk(
        &shop,
        json!({ "action": "LIST", "skus": ["pen-1"], "filter": { "category": "x" } }),
    )
    .await;
    assert_eq!(both["userErrors"][0]["code"], "INVALID_COMBINATION");

    let job = bulk_job(&shop, json!({ "action": "LIST", "skus": ["pen-1"] })).await;
    assert_eq!(items(&job), [item("PEN-1", "SUCCEEDED", None)]);
    assert_eq!(status_of(&shop, "PEN-2").await, "NOT_LISTED");
}

#[tokio::test]
async fn the_selection_is_fixed_when_the_job_starts() {
    let shop = shop_without_workers("bulk_fixed_selection").await;
    shop.product("CUP-1", json!({ "category": "Cups" })).await;
    let started = bulk(
        &shop,
        json!({ "action": "LIST", "filter": { "category": "Cups" } }),
    )
    .await;
    assert_eq!(started["userErrors"], json!([]), "{started}");
    // A product matching the filter arrives before any worker picks the job up.
    shop.product("CUP-2", json!({ "category": "Cups" })).await;
    let _worker = WorkerProcess::start(&shop.env, &[]).await;

    let job = finished_job(&shop.gql, started["job"]["id"].as_str().expect("job")).await;
    assert_eq!(items(&job), [item("CUP-1", "SUCCEEDED", None)]);
    assert_eq!(status_of(&shop, "CUP-2").await, "NOT_LISTED");
}

#[tokio::test]
async fn the_listing_status_filter_selects_listed_or_not_listed_products() {
    let shop = shop("bulk_status_filter").await;
    let listed = shop.product("MUG-1", json!({})).await;
    shop.product("MUG-2", json!({})).await;
    shop.listed(&listed, json!({})).await;

    let not_listed = catalog(&shop, json!({ "listingStatus": "NOT_LISTED" })).await;
    let skus: Vec<&str> = not_listed
        .iter()
        .map(|n| n["product"]["sku"].as_str().expect("sku"))
        .collect();
    assert_eq!(skus, ["MUG-2"]);

    let job = bulk_job(
        &shop,
        json!({ "action": "LIST", "filter": { "listingStatus": "NOT_LISTED" } }),
    )
    .await;
    assert_eq!(items(&job), [item("MUG-2", "SUCCEEDED", None)]);
}

#[tokio::test]
async fn products_listed_in_another_connected_store_can_be_selected() {
    let shop = shop("bulk_other_store").await;
    let first = shop.product("CAP-1", json!({})).await;
    shop.product("CAP-2", json!({})).await;
    shop.listed(&first, json!({})).await;
    let (other, _other_sandbox) = shop.second_store("Outlet").await;

    let job = bulk_job_in(
        &shop,
        &other,
        json!({ "action": "LIST", "filter": { "listedInStoreId": shop.store } }),
    )
    .await;

    assert_eq!(items(&job), [item("CAP-1", "SUCCEEDED", None)]);
}

#[tokio::test]
async fn create_enabled_and_the_attribute_set_apply_to_products_created_in_magento() {
    let shop = shop("bulk_create_enabled").await;
    shop.product("BOX-1", json!({})).await;

    let job = bulk_job(&shop, json!({ "action": "LIST", "skus": ["BOX-1"], "createEnabled": true, "attributeSet": "Bag" }))
        .await;

    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    let created = shop.in_magento("BOX-1").await;
    assert_eq!(created.status, Some(magento::dto::ProductStatus::Enabled));
    assert_eq!(created.attribute_set_id, Some(15), "the Bag attribute set");
    assert_eq!(
        catalog(&shop, json!({ "skus": ["BOX-1"] })).await[0]["attributeSet"],
        "Bag"
    );
}

#[tokio::test]
async fn the_buffer_options_turn_on_keep_or_remove_the_product_level_buffer() {
    let shop = shop("bulk_buffer").await;
    shop.product("INK-1", json!({})).await;
    let buffer_of = |nodes: Vec<Value>| {
        (
            nodes[0]["productBufferEnabled"].clone(),
            nodes[0]["productBuffer"].clone(),
        )
    };

    bulk_job(&shop, json!({ "action": "LIST", "skus": ["INK-1"], "productBuffer": { "mode": "SET", "value": 3 } }))
        .await;
    assert_eq!(
        buffer_of(catalog(&shop, json!({})).await),
        (json!(true), json!(3))
    );

    bulk_job(
        &shop,
        json!({ "action": "LIST", "skus": ["INK-1"], "productBuffer": { "mode": "KEEP" } }),
    )
    .await;
    assert_eq!(
        buffer_of(catalog(&shop, json!({})).await),
        (json!(true), json!(3)),
        "don't update existing setting"
    );

    bulk_job(
        &shop,
        json!({ "action": "LIST", "skus": ["INK-1"], "productBuffer": { "mode": "REMOVE" } }),
    )
    .await;
    assert_eq!(
        buffer_of(catalog(&shop, json!({})).await),
        (json!(false), Value::Null)
    );

    let negative = bulk(&shop, json!({ "action": "LIST", "skus": ["INK-1"], "productBuffer": { "mode": "SET", "value": -1 } }))
        .await;
    assert_eq!(negative["userErrors"][0]["code"], "OUT_OF_RANGE");
}

#[tokio::test]
async fn bulk_unlink_keeps_both_products_and_unlist_removes_them_from_magento() {
    let shop = shop("bulk_unlink_unlist").await;
    for sku in ["TAG-1", "TAG-2"] {
        let id = shop.product(sku, json!({})).await;
        shop.listed(&id, json!({})).await;
    }
    shop.product("TAG-3", json!({})).await;

    let unlinked = bulk_job(
        &shop,
        json!({ "action": "UNLINK", "skus": ["TAG-1", "TAG-3"] }),
    )
    .await;
    assert_eq!(
        items(&unlinked),
        [
            item("TAG-1", "SUCCEEDED", None),
            item("TAG-3", "SKIPPED", Some("NOT_LISTED")),
        ]
    );
    assert_eq!(status_of(&shop, "TAG-1").await, "NOT_LISTED");
    assert_eq!(
        shop.in_magento("TAG-1").await.sku,
        "TAG-1",
        "kept in Magento"
    );

    let unlisted = bulk_job(&shop, json!({ "action": "UNLIST", "skus": ["TAG-2"] })).await;
    assert_eq!(items(&unlisted), [item("TAG-2", "SUCCEEDED", None)]);
    assert_eq!(status_of(&shop, "TAG-2").await, "NOT_LISTED");
    assert!(
        shop.magento.product("TAG-2").await.is_err(),
        "removed from Magento"
    );
}
