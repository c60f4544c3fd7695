//! Generated shop data served through the REST API: paging a large catalogue through the
//! client, repeatability from the seed, and generated orders in the order search.

mod common;

use std::collections::{BTreeSet, HashSet};

use magento::search::SearchCriteria;
use magento::{ClientOptions, MagentoClient, StoreLimits};
use sandbox::{GenerateSpec, RunningSandbox, SandboxOptions};
use serde_json::Value;

/// The seeded shop: 10 products, 2 customers, 3 orders.
const SEEDED_PRODUCTS: usize = 10;
const SEEDED_ORDERS: usize = 3;

async fn start(products: usize, orders: usize, seed: u64) -> RunningSandbox {
    let options = SandboxOptions {
        generate: Some(GenerateSpec {
            products,
            orders,
            seed,
        }),
        ..SandboxOptions::default()
    };
    common::start_with(options).await
}

/// The client with its default page size, unthrottled so the test stays fast.
fn client(sandbox: &RunningSandbox) -> MagentoClient {
    let options = ClientOptions {
        store_label: "generate-test".to_owned(),
        limits: StoreLimits {
            max_concurrent: 4,
            requests_per_second: 0,
        },
        ..ClientOptions::default()
    };
    common::connect(sandbox, options)
}

fn query(list: &[(&str, &str)]) -> Vec<(String, String)> {
    common::pairs(list)
}

/// One raw page of `GET /V1/{path}`.
async fn page(sandbox: &RunningSandbox, path: &str, list: &[(&str, &str)]) -> Value {
    let url = format!("{}/rest/V1/{path}", sandbox.base_url);
    let (status, body) = common::signed_get(&sandbox.credentials, &url, &query(list)).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn paging_a_generated_catalogue_through_the_client_returns_each_sku_once() {
    let sandbox = start(2_000, 0, 42).await;
    let products = client(&sandbox)
        .products(SearchCriteria::new())
        .await
        .expect("products");
    assert_eq!(products.len(), SEEDED_PRODUCTS + 2_000);
    let skus: HashSet<&str> = products.iter().map(|p| p.sku.as_str()).collect();
    assert_eq!(skus.len(), products.len(), "a SKU came twice");
    // Entity order, as Magento's default.
    assert!(products.windows(2).all(|w| w[0].id < w[1].id));
    assert!(products.iter().all(|p| p.stock_item().is_none()));
    sandbox.stop().await;
}

#[tokio::test]
async fn the_same_seed_serves_the_same_catalogue_and_another_seed_another() {
    // Page 2 of 50 holds generated rows only (the seeded ones date from `now`).
    let criteria = [
        ("searchCriteria[pageSize]", "50"),
        ("searchCriteria[currentPage]", "2"),
    ];
    let mut pages = Vec::new();
    for seed in [9, 9, 10] {
        let sandbox = start(300, 0, seed).await;
        pages.push(page(&sandbox, "products", &criteria).await);
        sandbox.stop().await;
    }
    assert_eq!(pages[0], pages[1]);
    assert_ne!(pages[0]["items"], pages[2]["items"]);
    assert_eq!(pages[0]["total_count"], 310);
}

#[tokio::test]
async fn searches_over_a_generated_catalogue_keep_magentos_paging_filters_and_sorting() {
    let sandbox = start(1_000, 0, 5).await;
    // Past the end: the last page again, with the real total.
    let last = page(
        &sandbox,
        "products",
        &[
            ("searchCriteria[pageSize]", "300"),
            ("searchCriteria[currentPage]", "4"),
        ],
    )
    .await;
    let beyond = page(
        &sandbox,
        "products",
        &[
            ("searchCriteria[pageSize]", "300"),
            ("searchCriteria[currentPage]", "99"),
        ],
    )
    .await;
    assert_eq!(last["total_count"], 1_010);
    assert_eq!(last["items"].as_array().map(Vec::len), Some(110));
    assert_eq!(last["items"], beyond["items"]);

    let configurables = page(
        &sandbox,
        "products",
        &[
            (
                "searchCriteria[filter_groups][0][filters][0][field]",
                "type_id",
            ),
            (
                "searchCriteria[filter_groups][0][filters][0][value]",
                "configurable",
            ),
            ("searchCriteria[sortOrders][0][field]", "price"),
            ("searchCriteria[sortOrders][0][direction]", "DESC"),
            ("searchCriteria[pageSize]", "1000"),
            ("fields", "items[sku,type_id],total_count"),
        ],
    )
    .await;
    let items = configurables["items"].as_array().expect("items");
    assert_eq!(
        configurables["total_count"].as_u64(),
        Some(items.len() as u64)
    );
    assert!(items.len() > 50, "{} configurables", items.len());
    assert!(
        items
            .iter()
            .all(|p| p["type_id"] == "configurable" && p.get("price").is_none())
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn generated_orders_appear_in_the_order_search_with_their_total_count() {
    let sandbox = start(400, 60, 3).await;
    let first = page(
        &sandbox,
        "orders",
        &[
            ("searchCriteria[pageSize]", "25"),
            ("searchCriteria[currentPage]", "1"),
        ],
    )
    .await;
    assert_eq!(first["total_count"], SEEDED_ORDERS + 60);
    let orders = client(&sandbox)
        .orders(SearchCriteria::new())
        .await
        .expect("orders");
    assert_eq!(orders.len(), SEEDED_ORDERS + 60);
    let ids: BTreeSet<i64> = orders.iter().map(|o| o.entity_id).collect();
    assert_eq!(ids.len(), orders.len());
    let generated = &orders[SEEDED_ORDERS..];
    let guests = generated
        .iter()
        .filter(|o| o.customer_is_guest == Some(true))
        .count();
    assert!((5..=35).contains(&guests), "{guests} guest orders of 60");
    assert!(generated.iter().any(|o| o.customer_id.is_some()));
    let stores: BTreeSet<Option<i64>> = generated.iter().map(|o| o.store_id).collect();
    assert_eq!(stores, BTreeSet::from([Some(1), Some(2)]));
    sandbox.stop().await;
}

#[tokio::test]
async fn an_updated_at_window_pages_changed_orders_in_update_order_and_an_id_list_finds_them() {
    let sandbox = start(600, 150, 8).await;
    // A comment changes an order's `updated_at` to now: it leaves its place among the
    // generated orders (all from 2025 or before) for the end of the update order.
    for id in [40, 12, 77] {
        let url = format!("{}/rest/V1/orders/{id}/comments", sandbox.base_url);
        let body = serde_json::json!({"statusHistory": {"comment": "checked"}});
        let (status, answer) = common::signed(
            &sandbox.credentials,
            reqwest::Method::POST,
            &url,
            Some(body),
        )
        .await;
        assert_eq!((status, answer), (200, Value::Bool(true)));
    }
    let everything = page(&sandbox, "orders", &[("searchCriteria[pageSize]", "0")]).await;
    let mut expected: Vec<(String, i64)> = everything["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|o| {
            Some((
                o["updated_at"].as_str()?.to_owned(),
                o["entity_id"].as_i64()?,
            ))
        })
        .filter(|(at, _)| at.as_str() >= "2024-01-01 00:00:00")
        .collect();
    expected.sort();
    let window = SearchCriteria::new()
        .filter("updated_at", "2024-01-01 00:00:00", "gteq")
        .filter("updated_at", "2999-01-01 00:00:00", "lt")
        .sort("updated_at", true)
        .sort("entity_id", true);
    let client = client(&sandbox).with_page_size(40);
    let versions = |orders: &[Value]| -> Vec<(String, i64)> {
        orders
            .iter()
            .filter_map(|o| {
                Some((
                    o["updated_at"].as_str()?.to_owned(),
                    o["entity_id"].as_i64()?,
                ))
            })
            .collect()
    };
    let mut pages = Vec::new();
    for n in 1..=5 {
        let (orders, count) = client
            .orders_page_raw(window.clone(), n)
            .await
            .expect("page");
        assert_eq!(count, expected.len() as u64, "the total on page {n}");
        pages.push(versions(&orders));
    }
    // 153 orders (150 generated, 3 seeded): four pages, then the last one again.
    assert_eq!(pages[4], pages[3]);
    let paged: Vec<(String, i64)> = pages[..4].concat();
    assert_eq!(paged, expected);
    let mut changed: Vec<i64> = paged[paged.len() - 3..].iter().map(|(_, id)| *id).collect();
    changed.sort_unstable();
    assert_eq!(changed, [12, 40, 77], "the changed orders come last");

    let retry = window.filter("entity_id", "77,12,999999", "in");
    let (orders, count) = client.orders_page_raw(retry, 1).await.expect("retry");
    let ids: Vec<i64> = orders
        .iter()
        .filter_map(|o| o["entity_id"].as_i64())
        .collect();
    assert_eq!((ids, count), (vec![12, 77], 2));
    sandbox.stop().await;
}
