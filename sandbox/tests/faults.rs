//! Fault injection: the client retries what may heal to success, and fails with a typed
//! error after its limit or at once when retrying cannot help.

mod common;

use std::time::Duration;

use magento::{ClientOptions, MagentoClient, MagentoError, StoreLimits};
use sandbox::{RunningSandbox, SandboxOptions};
use serde_json::json;

use common::{fast_retry, fired, inject, stats};

async fn start(latency: Duration) -> RunningSandbox {
    let options = SandboxOptions {
        latency,
        ..SandboxOptions::default()
    };
    common::start_with(options).await
}

/// Fast retries so the tests stay quick; the policy's shape is what is under test.
fn options(label: &str) -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_millis(800),
        store_label: label.to_owned(),
        retry: fast_retry(4),
        ..ClientOptions::default()
    }
}

fn client(sandbox: &RunningSandbox, options: ClientOptions) -> MagentoClient {
    common::connect(sandbox, options)
}

#[tokio::test]
async fn a_503_twice_is_retried_to_success_with_a_fresh_signature_each_time() {
    let sandbox = start(Duration::ZERO).await;
    inject(
        &sandbox,
        json!({ "endpoint": "store/storeViews", "kind": "status", "status": 503, "count": 2 }),
    )
    .await;
    let views = client(&sandbox, options("faults-503"))
        .store_views()
        .await
        .expect("third attempt succeeds");
    assert!(!views.is_empty());
    assert_eq!(fired(&sandbox).await, 2);
    assert_eq!(stats(&sandbox).await["requests"], 3);
}

#[tokio::test]
async fn a_429_is_retried_after_the_stores_retry_after() {
    let sandbox = start(Duration::ZERO).await;
    inject(&sandbox, json!({ "endpoint": "/V1/taxRates/search", "kind": "throttle", "retry_after": 1, "count": 1 })).await;
    let rates = client(&sandbox, options("faults-429"))
        .tax_rates()
        .await
        .expect("succeeds after waiting");
    assert!(!rates.is_empty());
    assert_eq!(fired(&sandbox).await, 1);
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let sandbox = start(Duration::ZERO).await;
    inject(
        &sandbox,
        json!({ "endpoint": "store/", "kind": "drop", "count": 1 }),
    )
    .await;
    client(&sandbox, options("faults-drop"))
        .websites()
        .await
        .expect("second attempt succeeds");
    assert_eq!(fired(&sandbox).await, 1);
}

#[tokio::test]
async fn a_hung_request_times_out_and_is_retried() {
    let sandbox = start(Duration::ZERO).await;
    inject(
        &sandbox,
        json!({ "endpoint": "*", "kind": "timeout", "latency_ms": 3000, "count": 1 }),
    )
    .await;
    client(&sandbox, options("faults-timeout"))
        .store_configs()
        .await
        .expect("second attempt succeeds");
    assert_eq!(fired(&sandbox).await, 1);
}

#[tokio::test]
async fn a_store_that_keeps_failing_gives_a_typed_error_after_the_attempt_limit() {
    let sandbox = start(Duration::ZERO).await;
    inject(
        &sandbox,
        json!({ "endpoint": "*", "kind": "status", "status": 502, "count": 100 }),
    )
    .await;
    let err = client(&sandbox, options("faults-limit"))
        .store_views()
        .await
        .expect_err("gives up");
    assert!(
        matches!(err, MagentoError::Server { status: 502, .. }),
        "{err:?}"
    );
    assert_eq!(fired(&sandbox).await, 4, "exactly the attempt limit");
}

#[tokio::test]
async fn an_answer_that_retrying_cannot_change_is_not_retried() {
    let sandbox = start(Duration::ZERO).await;
    inject(
        &sandbox,
        json!({ "endpoint": "*", "kind": "status", "status": 404, "count": 100 }),
    )
    .await;
    let err = client(&sandbox, options("faults-404"))
        .store_views()
        .await
        .expect_err("fails");
    assert!(matches!(err, MagentoError::NotFound { .. }), "{err:?}");
    assert_eq!(fired(&sandbox).await, 1);

    let sandbox = start(Duration::ZERO).await;
    let mut wrong = sandbox.credentials.clone();
    wrong.consumer_secret = "0".repeat(32);
    let err = MagentoClient::new(&sandbox.base_url, wrong, options("faults-401"))
        .expect("client")
        .store_views()
        .await;
    assert!(
        matches!(err, Err(MagentoError::InvalidCredentials { .. })),
        "{err:?}"
    );
    assert_eq!(stats(&sandbox).await["requests"], 1);
}

#[tokio::test]
async fn malformed_json_is_a_decode_error_naming_the_entity() {
    let sandbox = start(Duration::ZERO).await;
    inject(
        &sandbox,
        json!({ "endpoint": "taxRates/search", "kind": "malformed_json", "count": 1 }),
    )
    .await;
    let err = client(&sandbox, options("faults-json"))
        .tax_rates()
        .await
        .expect_err("broken body");
    match err {
        MagentoError::Decode { entity, .. } => assert!(entity.contains("tax rate"), "{entity}"),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_per_store_concurrency_limit_holds_across_clients_of_that_store() {
    let sandbox = start(Duration::from_millis(150)).await;
    let limited = |label: &str, max_concurrent| ClientOptions {
        limits: StoreLimits {
            max_concurrent,
            requests_per_second: 0,
        },
        ..options(label)
    };
    // Two clients (two jobs, say) of one store: one request in flight at a time.
    let (a, b) = (
        client(&sandbox, limited("faults-one-at-a-time", 1)),
        client(&sandbox, limited("faults-one-at-a-time", 1)),
    );
    let calls = (0..3)
        .flat_map(|_| [a.clone(), b.clone()])
        .map(|c| tokio::spawn(async move { c.store_views().await }));
    for call in futures_util::future::join_all(calls).await {
        call.expect("task").expect("call");
    }
    assert_eq!(stats(&sandbox).await["max_in_flight"], 1);

    let wide = start(Duration::from_millis(150)).await;
    let c = client(&wide, limited("faults-three-at-a-time", 3));
    let calls = (0..6)
        .map(|_| c.clone())
        .map(|c| tokio::spawn(async move { c.store_views().await }));
    for call in futures_util::future::join_all(calls).await {
        call.expect("task").expect("call");
    }
    let max = stats(&wide).await["max_in_flight"]
        .as_u64()
        .expect("number");
    assert!(
        (2..=3).contains(&max),
        "at most three at once, and more than one: {max}"
    );
}
