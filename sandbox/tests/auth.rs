//! The sandbox verifies requests as Magento 2.4.7 does and answers with Magento's bodies.

mod common;

use magento::{ClientOptions, Credentials, MagentoClient, MagentoError};
use sandbox::{RunningSandbox, SandboxOptions};
use serde_json::json;

use common::{get, now, oauth_header, pairs, start};

fn websites_url(sandbox: &RunningSandbox) -> String {
    format!("{}/rest/V1/store/websites", sandbox.base_url)
}

#[tokio::test]
async fn random_credentials_look_like_magentos_and_given_ones_are_used() {
    let sandbox = start().await;
    let c = &sandbox.credentials;
    for value in [
        &c.consumer_key,
        &c.consumer_secret,
        &c.access_token,
        &c.access_token_secret,
    ] {
        assert_eq!(value.len(), 32);
        assert!(
            value
                .chars()
                .all(|ch| ch.is_ascii_digit() || ch.is_ascii_lowercase()),
            "{value}"
        );
    }
    assert!(!format!("{sandbox:?}").contains(&c.consumer_secret));
    sandbox.stop().await;

    let fixed = Credentials {
        consumer_key: "k".repeat(32),
        consumer_secret: "s".repeat(32),
        access_token: "t".repeat(32),
        access_token_secret: "u".repeat(32),
    };
    let sandbox = common::start_with(SandboxOptions {
        credentials: Some(fixed.clone()),
        ..SandboxOptions::default()
    })
    .await;
    assert_eq!(sandbox.credentials, fixed);
    let client =
        MagentoClient::new(&sandbox.base_url, fixed, ClientOptions::default()).expect("client");
    assert_eq!(client.websites().await.expect("accepted").len(), 1);
    sandbox.stop().await;
}

#[tokio::test]
async fn bad_signature_is_refused_with_magentos_401_body() {
    let sandbox = start().await;
    let wrong = Credentials {
        consumer_secret: "x".repeat(32),
        ..sandbox.credentials.clone()
    };
    let client = MagentoClient::new(&sandbox.base_url, wrong.clone(), ClientOptions::default())
        .expect("client");
    let err = client.store_configs().await.expect_err("wrong secret");
    match &err {
        MagentoError::InvalidCredentials { message } => {
            assert_eq!(message, "The signature is invalid. Verify and try again.")
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
    assert!(!format!("{err} {err:?}").contains(&wrong.consumer_secret));

    let url = websites_url(&sandbox);
    let header = oauth_header(
        &wrong,
        &url,
        &[],
        "HMAC-SHA256",
        "nonce-bad-signature",
        now(),
    );
    let (status, body) = get(&url, &[], Some(&header)).await;
    assert_eq!(
        (status, body),
        (
            401,
            json!({"message": "The signature is invalid. Verify and try again."})
        )
    );

    // A query parameter the signature did not cover is a bad signature too.
    let signed_without = oauth_header(
        &sandbox.credentials,
        &url,
        &[],
        "HMAC-SHA256",
        "nonce-unsigned-query",
        now(),
    );
    let (status, _) = get(&url, &pairs(&[("fields", "id")]), Some(&signed_without)).await;
    assert_eq!(status, 401);
    sandbox.stop().await;
}

#[tokio::test]
async fn unknown_consumer_key_or_token_is_refused_as_a_bad_signature() {
    let sandbox = start().await;
    let url = websites_url(&sandbox);
    let other_key = Credentials {
        consumer_key: "0".repeat(32),
        ..sandbox.credentials.clone()
    };
    let other_token = Credentials {
        access_token: "0".repeat(32),
        ..sandbox.credentials.clone()
    };
    for (i, creds) in [other_key, other_token].iter().enumerate() {
        let header = oauth_header(
            creds,
            &url,
            &[],
            "HMAC-SHA256",
            &format!("nonce-unknown-{i}"),
            now(),
        );
        let (status, body) = get(&url, &[], Some(&header)).await;
        assert_eq!(
            (status, body),
            (
                401,
                json!({"message": "The signature is invalid. Verify and try again."})
            )
        );
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn hmac_sha1_is_refused_with_magentos_400_body() {
    let sandbox = start().await;
    let url = websites_url(&sandbox);
    // Magento refuses on the method name before it looks at the signature value.
    let header = oauth_header(
        &sandbox.credentials,
        &url,
        &[],
        "HMAC-SHA1",
        "nonce-sha1",
        now(),
    );
    let (status, body) = get(&url, &[], Some(&header)).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"message": "Signature method %1 is not supported", "parameters": ["HMAC-SHA1"]})
    );
    let err = MagentoError::from_response(status, None, &body.to_string());
    assert!(
        matches!(err, MagentoError::SignatureMethodRejected { .. }),
        "{err:?}"
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn replayed_nonce_is_refused_with_magentos_401_body() {
    let sandbox = start().await;
    let url = format!("{}/rest/V1/taxClasses/search", sandbox.base_url);
    let query = pairs(&[
        ("searchCriteria[pageSize]", "10"),
        ("searchCriteria[currentPage]", "1"),
    ]);
    let header = oauth_header(
        &sandbox.credentials,
        &url,
        &query,
        "HMAC-SHA256",
        "nonce-replayed",
        now(),
    );

    let (status, first) = get(&url, &query, Some(&header)).await;
    assert_eq!(status, 200, "{first}");
    let (status, body) = get(&url, &query, Some(&header)).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"message": "The nonce is already being used by the consumer with ID %1", "parameters": ["1"]})
    );
    let err = MagentoError::from_response(status, None, &body.to_string());
    assert!(
        matches!(&err, MagentoError::InvalidCredentials { message } if message.ends_with("consumer with ID 1"))
    );
    assert!(err.is_retryable(), "a fresh nonce fixes it");
    sandbox.stop().await;
}

#[tokio::test]
async fn a_timestamp_far_in_the_future_is_refused() {
    let sandbox = start().await;
    let url = websites_url(&sandbox);
    let header = oauth_header(
        &sandbox.credentials,
        &url,
        &[],
        "HMAC-SHA256",
        "nonce-future",
        now() + 3600,
    );
    let (status, body) = get(&url, &[], Some(&header)).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"message": "Incorrect timestamp value in the oauth_timestamp parameter"})
    );

    // Five minutes of clock skew is within Magento's tolerance; old timestamps are fine.
    for (nonce, offset) in [("nonce-skew", 300), ("nonce-old", -86_400)] {
        let header = oauth_header(
            &sandbox.credentials,
            &url,
            &[],
            "HMAC-SHA256",
            nonce,
            now() + offset,
        );
        assert_eq!(get(&url, &[], Some(&header)).await.0, 200);
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn missing_oauth_parameters_are_reported_together() {
    let sandbox = start().await;
    let url = websites_url(&sandbox);
    let header = format!(
        "OAuth oauth_consumer_key=\"{}\",oauth_token=\"{}\",oauth_version=\"1.0\"",
        sandbox.credentials.consumer_key, sandbox.credentials.access_token
    );
    let (status, body) = get(&url, &[], Some(&header)).await;
    assert_eq!(status, 400);
    let required = |field: &str| json!({"message": "\"%fieldName\" is required. Enter and try again.", "parameters": {"fieldName": field}});
    assert_eq!(
        body,
        json!({"message": "One or more input exceptions have occurred.", "errors": [
            required("oauth_signature"), required("oauth_signature_method"), required("oauth_nonce"), required("oauth_timestamp")
        ]})
    );
    let err = MagentoError::from_response(status, None, &body.to_string());
    assert!(
        matches!(&err, MagentoError::Validation { message, .. } if message.contains("\"oauth_nonce\" is required"))
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn a_bearer_token_fails_the_acl_check_as_when_bearer_mode_is_off() {
    let sandbox = start().await;
    let url = format!("{}/rest/V1/orders", sandbox.base_url);
    let query = pairs(&[("searchCriteria[pageSize]", "1")]);
    let bearer = format!("Bearer {}", sandbox.credentials.access_token);
    for authorization in [Some(bearer.as_str()), None] {
        let (status, body) = get(&url, &query, authorization).await;
        assert_eq!(status, 401);
        assert_eq!(
            body,
            json!({"message": "The consumer isn't authorized to access %resources.", "parameters": {"resources": "Magento_Sales::actions_view"}})
        );
        match MagentoError::from_response(status, None, &body.to_string()) {
            MagentoError::AclDenied { resources, hint } => {
                assert_eq!(resources, "Magento_Sales::actions_view");
                assert!(hint.contains("Bearer"));
            }
            other => panic!("{other:?}"),
        }
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn an_unknown_route_is_a_404_before_any_authentication() {
    let sandbox = start().await;
    let (status, body) = get(
        &format!("{}/rest/V1/no/such/route", sandbox.base_url),
        &[],
        None,
    )
    .await;
    assert_eq!(
        (status, body),
        (404, json!({"message": "Request does not match any route."}))
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn a_wrong_length_token_is_refused_before_the_signature() {
    let sandbox = start().await;
    let url = websites_url(&sandbox);
    let short = Credentials {
        access_token: "short".into(),
        ..sandbox.credentials.clone()
    };
    let header = oauth_header(&short, &url, &[], "HMAC-SHA256", "nonce-short", now());
    let (status, body) = get(&url, &[], Some(&header)).await;
    assert_eq!(
        (status, body.clone()),
        (
            400,
            json!({"message": "The token length is invalid. Check the length and try again."})
        )
    );
    let err = MagentoError::from_response(status, None, &body.to_string());
    assert!(
        matches!(err, MagentoError::InvalidCredentials { .. }),
        "{err:?}"
    );
    sandbox.stop().await;
}
