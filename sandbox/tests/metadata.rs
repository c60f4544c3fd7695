//! The client reading a sandbox store's metadata, and the sandbox's search semantics.

mod common;

use chrono::{Duration, Utc};
use magento::{ClientOptions, MagentoClient, MagentoError};
use rust_decimal::dec;
use sandbox::{RunningSandbox, SandboxOptions};
use serde_json::json;

use common::{connect, pairs, signed_get};

async fn start(msi: bool) -> RunningSandbox {
    common::start_with(SandboxOptions {
        msi,
        ..SandboxOptions::default()
    })
    .await
}

fn client(sandbox: &RunningSandbox, label: &str) -> MagentoClient {
    let options = ClientOptions {
        store_label: label.to_owned(),
        ..ClientOptions::default()
    };
    connect(sandbox, options)
}

#[tokio::test]
async fn client_reads_every_metadata_endpoint() {
    let sandbox = start(true).await;
    let client = client(&sandbox, "metadata-test");

    let configs = client.store_configs().await.expect("store configs");
    assert_eq!(
        configs.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(),
        ["default", "fr"]
    );
    let default = &configs[0];
    assert_eq!(
        default.base_url.as_deref(),
        Some(format!("{}/", sandbox.base_url).as_str())
    );
    assert_eq!(
        default.base_media_url.as_deref(),
        Some(format!("{}/media/", sandbox.base_url).as_str())
    );
    assert_eq!(default.base_currency_code.as_deref(), Some("USD"));
    assert_eq!(default.timezone.as_deref(), Some("America/Los_Angeles"));
    assert_eq!(default.weight_unit.as_deref(), Some("lbs"));
    assert_eq!(configs[1].locale.as_deref(), Some("fr_FR"));

    let websites = client.websites().await.expect("websites");
    assert_eq!(websites.len(), 1, "admin website dropped: {websites:?}");
    assert_eq!(
        (
            websites[0].id,
            websites[0].code.as_str(),
            websites[0].name.as_str()
        ),
        (1, "base", "Main Website")
    );

    let views = client.store_views().await.expect("store views");
    assert_eq!(
        views
            .iter()
            .map(|v| (v.id, v.code.as_str()))
            .collect::<Vec<_>>(),
        [(1, "default"), (2, "fr")]
    );
    assert!(
        views
            .iter()
            .all(|v| v.is_active == Some(true) && v.website_id == 1)
    );

    let sets = client.attribute_sets().await.expect("attribute sets");
    assert_eq!(
        sets.iter().map(|s| s.attribute_set_id).collect::<Vec<_>>(),
        [1, 4, 9, 15, 16]
    );
    assert_eq!(
        sets.iter().filter(|s| s.entity_type_id == Some(4)).count(),
        4
    );

    let classes = client.tax_classes().await.expect("tax classes");
    assert_eq!(
        classes
            .iter()
            .map(|c| (c.class_id, c.class_name.as_str(), c.class_type.as_str()))
            .collect::<Vec<_>>(),
        [
            (2, "Taxable Goods", "PRODUCT"),
            (3, "Retail Customer", "CUSTOMER"),
            (4, "Wholesale", "PRODUCT")
        ]
    );

    let rates = client.tax_rates().await.expect("tax rates");
    assert_eq!(rates.len(), 2);
    assert_eq!(
        (
            rates[0].code.as_str(),
            rates[0].tax_region_id,
            rates[0].rate
        ),
        ("US-CA-*-Rate 1", Some(12), dec!(8.25))
    );
    assert_eq!(
        (
            rates[1].code.as_str(),
            rates[1].tax_region_id,
            rates[1].rate
        ),
        ("US-NY-*-Rate 1", Some(43), dec!(8.375))
    );
    assert_eq!(rates[1].tax_postcode.as_deref(), Some("*"));

    let sources = client
        .inventory_sources()
        .await
        .expect("sources")
        .expect("MSI present");
    assert_eq!(
        sources
            .iter()
            .map(|s| (s.source_code.as_str(), s.name.as_str(), s.enabled))
            .collect::<Vec<_>>(),
        [
            ("default", "Default Source", true),
            ("ne_wh", "North-East Warehouse", true)
        ]
    );

    let methods = client
        .payment_methods_seen(Utc::now() - Duration::days(30))
        .await
        .expect("payment methods");
    assert_eq!(methods.len(), 2);

    sandbox.stop().await;
}

#[tokio::test]
async fn every_call_is_counted_by_store_endpoint_and_outcome() {
    let sandbox = start(true).await;
    client(&sandbox, "metrics-test")
        .tax_rates()
        .await
        .expect("tax rates");
    let families = prometheus::default_registry().gather();
    let family = families
        .iter()
        .find(|f| f.name() == "stockbridge_magento_requests_total")
        .expect("counter registered");
    let counted = family.get_metric().iter().any(|m| {
        let label = |name: &str| {
            m.get_label()
                .iter()
                .find(|l| l.name() == name)
                .map(|l| l.value().to_owned())
        };
        label("store").as_deref() == Some("metrics-test")
            && label("endpoint").as_deref() == Some("/V1/taxRates/search")
            && label("outcome").as_deref() == Some("200")
            && m.get_counter().get_value() >= 1.0
    });
    assert!(counted, "{family:?}");
    sandbox.stop().await;
}

#[tokio::test]
async fn paging_past_the_end_returns_the_last_page_again() {
    let sandbox = start(true).await;
    let url = format!(
        "{}/rest/V1/products/attribute-sets/sets/list",
        sandbox.base_url
    );
    let page = |n: &str| {
        pairs(&[
            ("searchCriteria[pageSize]", "2"),
            ("searchCriteria[currentPage]", n),
        ])
    };

    let (status, last) = signed_get(&sandbox.credentials, &url, &page("3")).await;
    assert_eq!(status, 200, "{last}");
    assert_eq!(last["total_count"], 5);
    assert_eq!(
        last["items"],
        json!([{"attribute_set_id": 16, "attribute_set_name": "Gear", "sort_order": 0, "entity_type_id": 4}])
    );
    let (_, beyond) = signed_get(&sandbox.credentials, &url, &page("7")).await;
    assert_eq!(beyond["items"], last["items"]);
    assert_eq!(beyond["search_criteria"]["current_page"], 7);

    // The client stops by total_count, so the repeated last page is never read twice.
    let sets = client(&sandbox, "paging-test")
        .with_page_size(2)
        .attribute_sets()
        .await
        .expect("attribute sets");
    assert_eq!(
        sets.iter().map(|s| s.attribute_set_id).collect::<Vec<_>>(),
        [1, 4, 9, 15, 16]
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn a_store_without_msi_has_no_inventory_sources() {
    let sandbox = start(false).await;
    let client = client(&sandbox, "legacy-test");
    assert_eq!(
        client
            .inventory_sources()
            .await
            .expect("a 404 is an answer"),
        None
    );

    let url = format!("{}/rest/V1/inventory/sources", sandbox.base_url);
    let (status, body) = signed_get(
        &sandbox.credentials,
        &url,
        &pairs(&[("searchCriteria[pageSize]", "10")]),
    )
    .await;
    assert_eq!(
        (status, body),
        (404, json!({"message": "Request does not match any route."}))
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn payment_methods_seen_lists_each_method_once_with_its_checkout_title() {
    let sandbox = start(true).await;
    let client = client(&sandbox, "payments-test").with_page_size(1);

    let methods = client
        .payment_methods_seen(Utc::now() - Duration::days(30))
        .await
        .expect("payment methods");
    let seen: Vec<(&str, &str)> = methods
        .iter()
        .map(|m| (m.code.as_str(), m.title.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("banktransfer", "Bank Transfer Payment"),
            ("checkmo", "Check / Money order")
        ]
    );

    // Orders 1 and 2 (checkmo) are older than five days; only order 3 is left.
    let recent = client
        .payment_methods_seen(Utc::now() - Duration::days(5))
        .await
        .expect("payment methods");
    assert_eq!(
        recent.iter().map(|m| m.code.as_str()).collect::<Vec<_>>(),
        ["banktransfer"]
    );

    let none = client
        .payment_methods_seen(Utc::now() + Duration::days(1))
        .await
        .expect("payment methods");
    assert!(none.is_empty());
    sandbox.stop().await;
}

#[tokio::test]
async fn fields_projection_trims_the_response_envelope() {
    let sandbox = start(true).await;
    let url = format!("{}/rest/default/V1/orders", sandbox.base_url);
    let query = pairs(&[
        (
            "searchCriteria[filter_groups][0][filters][0][field]",
            "increment_id",
        ),
        (
            "searchCriteria[filter_groups][0][filters][0][value]",
            "000000001,000000003",
        ),
        (
            "searchCriteria[filter_groups][0][filters][0][condition_type]",
            "in",
        ),
        ("searchCriteria[sortOrders][0][field]", "entity_id"),
        ("searchCriteria[sortOrders][0][direction]", "DESC"),
        ("fields", "items[increment_id,payment[method]],total_count"),
    ]);
    let (status, body) = signed_get(&sandbox.credentials, &url, &query).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"items": [
            {"increment_id": "000000003", "payment": {"method": "banktransfer"}},
            {"increment_id": "000000001", "payment": {"method": "checkmo"}}
        ], "total_count": 2})
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn a_search_without_search_criteria_is_a_400_naming_the_argument() {
    let sandbox = start(true).await;
    let url = format!("{}/rest/V1/taxRates/search", sandbox.base_url);
    let (status, body) = signed_get(&sandbox.credentials, &url, &[]).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"message": "\"%fieldName\" is required. Enter and try again.", "parameters": {"fieldName": "searchCriteria"}})
    );
    let err = MagentoError::from_response(status, None, &body.to_string());
    assert!(
        matches!(&err, MagentoError::Validation { message, .. } if message == "\"searchCriteria\" is required. Enter and try again.")
    );

    // An empty `searchCriteria=` is present and returns everything.
    let (status, body) = signed_get(
        &sandbox.credentials,
        &url,
        &pairs(&[("searchCriteria", "")]),
    )
    .await;
    assert_eq!((status, body["total_count"].clone()), (200, json!(2)));
    sandbox.stop().await;
}

#[tokio::test]
async fn a_filter_on_an_unknown_column_fails_like_a_masked_sql_error() {
    let sandbox = start(true).await;
    let url = format!("{}/rest/V1/orders", sandbox.base_url);
    let query = pairs(&[
        (
            "searchCriteria[filter_groups][0][filters][0][field]",
            "no_such_column",
        ),
        ("searchCriteria[filter_groups][0][filters][0][value]", "1"),
    ]);
    let (status, body) = signed_get(&sandbox.credentials, &url, &query).await;
    assert_eq!(status, 500);
    let err = MagentoError::from_response(status, None, &body.to_string());
    assert!(
        matches!(&err, MagentoError::Server { message, .. } if message.contains("Report ID: webapi-")),
        "{err:?}"
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn store_codes_and_an_index_php_prefix_are_routed_and_signed() {
    let sandbox = start(true).await;
    let via_index = MagentoClient::new(
        &format!("{}/index.php/", sandbox.base_url),
        sandbox.credentials.clone(),
        ClientOptions::default(),
    )
    .expect("client");
    assert_eq!(
        via_index
            .store_views()
            .await
            .expect("signed over /index.php/rest/...")
            .len(),
        2
    );

    for (code, expected) in [
        ("fr", 200),
        ("all", 200),
        ("default", 200),
        ("admin", 404),
        ("nope", 404),
    ] {
        let url = format!("{}/rest/{code}/V1/store/websites", sandbox.base_url);
        let (status, body) = signed_get(&sandbox.credentials, &url, &[]).await;
        assert_eq!(status, expected, "{code}: {body}");
    }
    let (status, order) = signed_get(
        &sandbox.credentials,
        &format!("{}/rest/V1/orders/2", sandbox.base_url),
        &[],
    )
    .await;
    assert_eq!(
        (status, order["increment_id"].clone()),
        (200, json!("000000002"))
    );
    let (status, _) = signed_get(
        &sandbox.credentials,
        &format!("{}/rest/V1/orders/99", sandbox.base_url),
        &[],
    )
    .await;
    assert_eq!(status, 404);
    sandbox.stop().await;
}

#[tokio::test]
async fn a_stopped_sandbox_is_unreachable() {
    let sandbox = start(true).await;
    let client = client(&sandbox, "stopped-test");
    client.store_configs().await.expect("running");
    sandbox.stop().await;
    let err = client.store_configs().await.expect_err("stopped");
    assert_eq!(err.code(), "STORE_UNREACHABLE", "{err:?}");
}
