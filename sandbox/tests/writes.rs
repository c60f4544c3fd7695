//! The client's stock writes against a sandbox store: MSI source items (chunked to the
//! store's input limit, retried as an idempotent upsert) and the legacy stock item, each
//! read back through the client's read methods.

mod common;

use magento::dto::SourceItem;
use magento::search::SearchCriteria;
use magento::{ClientOptions, MagentoClient, MagentoError};
use rust_decimal::{Decimal, dec};
use sandbox::{RunningSandbox, SandboxOptions};
use serde_json::{Value, json};

use common::{connect, control_ok, fast_retry, requests, start};

/// `label` keys the learnt chunk size, so each test uses its own.
fn client(sandbox: &RunningSandbox, label: &str) -> MagentoClient {
    let options = ClientOptions {
        store_label: label.to_owned(),
        retry: fast_retry(3),
        ..ClientOptions::default()
    };
    connect(sandbox, options)
}

fn item(sku: &str, source: &str, quantity: Decimal) -> SourceItem {
    SourceItem {
        sku: sku.to_owned(),
        source_code: source.to_owned(),
        quantity,
        status: i64::from(quantity > Decimal::ZERO),
    }
}

async fn rejected(sandbox: &RunningSandbox) -> u64 {
    control_ok(sandbox, reqwest::Method::GET, "input-limits", json!({})).await["rejected"]
        .as_u64()
        .expect("rejected")
}

/// Source items of `skus` as (sku, source, quantity, in stock), sorted.
async fn read_back(
    client: &MagentoClient,
    skus: &[String],
) -> Vec<(String, String, Decimal, bool)> {
    let items = client
        .source_items(SearchCriteria::new().filter("sku", &skus.join(","), "in"))
        .await
        .expect("source items");
    let mut rows: Vec<_> = items
        .into_iter()
        .map(|i| {
            let in_stock = i.is_in_stock();
            (i.sku, i.source_code, i.quantity, in_stock)
        })
        .collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn saved_source_items_are_read_back_with_their_new_quantities() {
    let sandbox = start().await;
    let client = client(&sandbox, "writes-save");
    client
        .save_source_items(&[
            item("HT-TEE-M-Slate", "ne_wh", dec!(42)),
            item("HT-TEE-M-Slate", "default", dec!(0)),
            item("24-UG06", "default", dec!(7.5)),
        ])
        .await
        .expect("saved");
    let rows = read_back(&client, &["HT-TEE-M-Slate".into(), "24-UG06".into()]).await;
    assert_eq!(
        rows,
        [
            ("24-UG06".into(), "default".into(), dec!(7.5), true),
            ("24-UG06".into(), "ne_wh".into(), dec!(0), false),
            ("HT-TEE-M-Slate".into(), "default".into(), dec!(0), false),
            ("HT-TEE-M-Slate".into(), "ne_wh".into(), dec!(42), true),
        ]
    );
}

#[tokio::test]
async fn forty_five_items_under_a_limit_of_twenty_all_land_and_the_next_save_starts_at_twenty() {
    let sandbox = start().await;
    control_ok(
        &sandbox,
        reqwest::Method::POST,
        "input-limits",
        json!({ "complex_array_limit": 20 }),
    )
    .await;
    let client = client(&sandbox, "writes-limit-20");
    let skus: Vec<String> = (1..=45).map(|n| format!("BULK-{n:02}")).collect();
    let first: Vec<SourceItem> = skus
        .iter()
        .map(|sku| item(sku, "default", dec!(3)))
        .collect();

    let before = requests(&sandbox).await;
    client.save_source_items(&first).await.expect("first save");
    // One refused chunk of 45, then 20 + 20 + 5.
    assert_eq!(requests(&sandbox).await - before, 4);
    assert_eq!(rejected(&sandbox).await, 1);
    assert_eq!(magento::chunking::chunk_size_for("writes-limit-20"), 20);
    let rows = read_back(&client, &skus).await;
    assert_eq!(rows.len(), 45);
    assert!(rows.iter().all(|(_, _, qty, _)| *qty == dec!(3)));

    let second: Vec<SourceItem> = skus
        .iter()
        .map(|sku| item(sku, "default", dec!(8)))
        .collect();
    let before = requests(&sandbox).await;
    client
        .save_source_items(&second)
        .await
        .expect("second save");
    assert_eq!(
        requests(&sandbox).await - before,
        3,
        "20 + 20 + 5, no refusal"
    );
    assert_eq!(rejected(&sandbox).await, 1);
    let rows = read_back(&client, &skus).await;
    assert_eq!(rows.len(), 45);
    assert!(rows.iter().all(|(_, _, qty, _)| *qty == dec!(8)));
}

#[tokio::test]
async fn a_store_limit_of_one_still_saves_every_item() {
    let sandbox = start().await;
    control_ok(
        &sandbox,
        reqwest::Method::POST,
        "input-limits",
        json!({ "complex_array_limit": 1 }),
    )
    .await;
    let client = client(&sandbox, "writes-limit-1");
    let skus: Vec<String> = (1..=3).map(|n| format!("ONE-{n}")).collect();
    let items: Vec<SourceItem> = skus.iter().map(|s| item(s, "ne_wh", dec!(2))).collect();
    client
        .save_source_items(&items)
        .await
        .expect("saved one by one");
    assert_eq!(read_back(&client, &skus).await.len(), 3);
    assert_eq!(magento::chunking::chunk_size_for("writes-limit-1"), 1);
}

#[tokio::test]
async fn an_unknown_source_code_is_a_typed_validation_error_and_saves_nothing() {
    let sandbox = start().await;
    let client = client(&sandbox, "writes-unknown-source");
    let err = client
        .save_source_items(&[
            item("24-UG06", "default", dec!(5)),
            item("24-UG06", "no_such_source", dec!(5)),
        ])
        .await
        .expect_err("unknown source");
    match &err {
        MagentoError::Validation {
            status, message, ..
        } => {
            assert_eq!(*status, 400);
            assert!(message.contains("no_such_source"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
    let rows = read_back(&client, &["24-UG06".into()]).await;
    assert!(
        rows.iter().all(|(_, _, qty, _)| *qty == dec!(0)),
        "{rows:?}"
    );
}

#[tokio::test]
async fn a_503_on_the_write_is_retried_and_the_quantity_is_set_not_added() {
    let sandbox = start().await;
    let client = client(&sandbox, "writes-503");
    client
        .save_source_items(&[item("HT-TEE-S-Sand", "ne_wh", dec!(5))])
        .await
        .expect("first save");
    let response = reqwest::Client::new()
        .post(format!("{}/sandbox/faults", sandbox.base_url))
        .json(&json!({ "endpoint": "inventory/source-items", "kind": "status", "status": 503, "count": 1 }))
        .send()
        .await
        .expect("control API");
    assert_eq!(response.status(), 201);

    let before = requests(&sandbox).await;
    client
        .save_source_items(&[item("HT-TEE-S-Sand", "ne_wh", dec!(5))])
        .await
        .expect("retried to success");
    assert_eq!(requests(&sandbox).await - before, 2, "one 503, one success");
    let faults = control_ok(&sandbox, reqwest::Method::GET, "faults", json!({})).await;
    assert_eq!(faults["faults"][0]["fired"], 1);
    let rows = read_back(&client, &["HT-TEE-S-Sand".into()]).await;
    let ne = rows
        .iter()
        .find(|(_, source, _, _)| source == "ne_wh")
        .expect("ne_wh row");
    assert_eq!(ne.2, dec!(5));
}

#[tokio::test]
async fn a_legacy_stock_item_put_updates_qty_and_returns_the_item_id() {
    let sandbox = start().await;
    let client = client(&sandbox, "writes-legacy");
    let before = client
        .stock_item("HT-TEE-S-Sand")
        .await
        .expect("stock item");
    let item_id = before.item_id.expect("item id");
    let returned = client
        .update_legacy_stock_item("HT-TEE-S-Sand", item_id, dec!(30), false, Some(true))
        .await
        .expect("updated");
    assert_eq!(returned, item_id);
    let after = client
        .stock_item("HT-TEE-S-Sand")
        .await
        .expect("stock item");
    assert_eq!(after.qty, Some(dec!(30)));
    assert_eq!(after.is_in_stock, Some(false));
    assert_eq!(after.manage_stock, Some(true));
    assert_eq!(after.use_config_manage_stock, Some(false));
    let product = client.product("HT-TEE-S-Sand").await.expect("product");
    assert_eq!(product.stock_item().and_then(|s| s.qty), Some(dec!(30)));
}

#[tokio::test]
async fn a_legacy_stock_item_put_on_an_unknown_sku_is_not_found() {
    let sandbox = start().await;
    let err = client(&sandbox, "writes-legacy-404")
        .update_legacy_stock_item("NO-SUCH-SKU", 1, dec!(1), true, None)
        .await
        .expect_err("unknown");
    assert!(matches!(err, MagentoError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn a_write_with_a_bad_signature_is_refused_401() {
    let sandbox = start().await;
    let mut credentials = sandbox.credentials.clone();
    credentials.consumer_secret = "wrongsecret00000000000000000000x".into();
    let bad = MagentoClient::new(
        &sandbox.base_url,
        credentials,
        ClientOptions {
            store_label: "writes-bad-signature".into(),
            ..ClientOptions::default()
        },
    )
    .expect("client");
    let err = bad
        .save_source_items(&[item("24-UG06", "default", dec!(99))])
        .await
        .expect_err("bad signature");
    assert!(
        matches!(&err, MagentoError::InvalidCredentials { message } if message.contains("signature is invalid")),
        "{err:?}"
    );
    let err = bad
        .update_legacy_stock_item("HT-TEE-S-Sand", 111, dec!(1), true, None)
        .await
        .expect_err("bad signature");
    assert!(
        matches!(err, MagentoError::InvalidCredentials { .. }),
        "{err:?}"
    );
    let rows = read_back(
        &client(&sandbox, "writes-bad-signature-read"),
        &["24-UG06".into()],
    )
    .await;
    assert!(rows.iter().all(|(_, _, qty, _)| *qty == dec!(0)));
}

#[tokio::test]
async fn a_signed_write_without_msi_does_not_match_any_route() {
    let sandbox = sandbox::start(
        ([127, 0, 0, 1], 0).into(),
        SandboxOptions {
            msi: false,
            ..SandboxOptions::default()
        },
    )
    .await
    .expect("sandbox starts");
    let err = client(&sandbox, "writes-no-msi")
        .save_source_items(&[item("24-UG06", "default", dec!(1))])
        .await
        .expect_err("no MSI");
    assert!(matches!(err, MagentoError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn a_write_without_a_json_content_type_is_refused_after_authentication() {
    let sandbox = start().await;
    let url = format!("{}/rest/V1/inventory/source-items", sandbox.base_url);
    let params = magento::oauth::OAuthParams::fresh();
    // Correctly signed (method, URL and OAuth parameters; the body is never signed), so
    // the 400 comes from the missing Content-Type, not from authentication.
    let protocol = [
        (
            "oauth_consumer_key",
            sandbox.credentials.consumer_key.clone(),
        ),
        ("oauth_nonce", params.nonce.clone()),
        ("oauth_signature_method", "HMAC-SHA256".to_owned()),
        ("oauth_timestamp", params.timestamp.to_string()),
        ("oauth_token", sandbox.credentials.access_token.clone()),
        ("oauth_version", "1.0".to_owned()),
    ];
    let pairs: Vec<(String, String)> = protocol
        .iter()
        .map(|(n, v)| ((*n).to_owned(), v.clone()))
        .collect();
    let signature = magento::oauth::hmac_sha256_signature(
        &magento::oauth::base_string("POST", &url, &pairs),
        &sandbox.credentials.consumer_secret,
        &sandbox.credentials.access_token_secret,
    );
    let mut header = String::from("OAuth ");
    for (name, value) in &pairs {
        header.push_str(&format!(
            "{name}=\"{}\",",
            magento::oauth::percent_encode(value)
        ));
    }
    header.push_str(&format!(
        "oauth_signature=\"{}\"",
        magento::oauth::percent_encode(&signature)
    ));
    let response = reqwest::Client::new()
        .post(&url)
        .header("Authorization", header)
        .body(r#"{"sourceItems":[]}"#)
        .send()
        .await
        .expect("sandbox answers");
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["message"], "Content-Type header is empty.");
}
