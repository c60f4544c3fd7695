//! Helpers shared by the sandbox's integration tests: starting a sandbox, building a
//! client, the unsigned `/sandbox/...` control API, and raw signed requests for the
//! cases `MagentoClient` deliberately cannot produce (replays, other signature methods,
//! missing parameters).

#![allow(dead_code)]

use std::time::Duration;

use magento::oauth::{
    OAuthParams, authorization_header, base_string, encode_query, hmac_sha256_signature,
    percent_encode,
};
use magento::{ClientOptions, Credentials, MagentoClient, RetryPolicy};
use sandbox::{RunningSandbox, SandboxOptions};
use serde_json::{Value, json};

/// A sandbox with the default options on a free local port.
pub async fn start() -> RunningSandbox {
    start_with(SandboxOptions::default()).await
}

/// A sandbox with the given options on a free local port.
pub async fn start_with(options: SandboxOptions) -> RunningSandbox {
    sandbox::start(([127, 0, 0, 1], 0).into(), options)
        .await
        .expect("sandbox starts")
}

/// A client of `sandbox` with the given options.
pub fn connect(sandbox: &RunningSandbox, options: ClientOptions) -> MagentoClient {
    MagentoClient::new(&sandbox.base_url, sandbox.credentials.clone(), options).expect("client")
}

/// Fast retries (20 ms growing to 80 ms) so the tests stay quick.
pub fn fast_retry(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(80),
        ..RetryPolicy::default()
    }
}

async fn send_control(
    sandbox: &RunningSandbox,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> reqwest::Response {
    reqwest::Client::new()
        .request(method, format!("{}/sandbox/{path}", sandbox.base_url))
        .json(&body)
        .send()
        .await
        .expect("control API")
}

/// A control API call (`/sandbox/{path}`): `(status, body)`, the body `Null` when it is
/// not JSON.
pub async fn control(
    sandbox: &RunningSandbox,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let response = send_control(sandbox, method, path, body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A control API call that must succeed (any 2xx) with a JSON body.
pub async fn control_ok(
    sandbox: &RunningSandbox,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> Value {
    let response = send_control(sandbox, method, path, body).await;
    let status = response.status();
    let text = response.text().await.expect("body");
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).expect("json")
}

/// Injects a fault through the control API; it must be accepted (201).
pub async fn inject(sandbox: &RunningSandbox, fault: Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/sandbox/faults", sandbox.base_url))
        .json(&fault)
        .send()
        .await
        .expect("control API");
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
}

/// The injected faults, as `GET /sandbox/faults` lists them.
pub async fn faults(sandbox: &RunningSandbox) -> Value {
    control_ok(sandbox, reqwest::Method::GET, "faults", json!({})).await
}

/// How often the injected faults fired, all together.
pub async fn fired(sandbox: &RunningSandbox) -> u64 {
    faults(sandbox).await["faults"]
        .as_array()
        .expect("faults")
        .iter()
        .map(|f| f["fired"].as_u64().unwrap_or(0))
        .sum()
}

/// The sandbox's counters, as `GET /sandbox/stats` gives them.
pub async fn stats(sandbox: &RunningSandbox) -> Value {
    control_ok(sandbox, reqwest::Method::GET, "stats", json!({})).await
}

/// How many REST requests the sandbox has answered.
pub async fn requests(sandbox: &RunningSandbox) -> u64 {
    stats(sandbox).await["requests"].as_u64().expect("requests")
}

/// A signed request to `url` (no query) with any method and an optional JSON body (never
/// signed); returns status and body (JSON, or the text as a string).
pub async fn signed(
    credentials: &Credentials,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let header = authorization_header(
        credentials,
        method.as_str(),
        url,
        &[],
        &OAuthParams::fresh(),
    );
    let mut request = reqwest::Client::new()
        .request(method, url)
        .header("Authorization", header);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("sandbox answers");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// An `Authorization` header signed over `url` (no query) and `query`, with the given
/// signature method name (the signature itself is always HMAC-SHA256).
pub fn oauth_header(
    creds: &Credentials,
    url: &str,
    query: &[(String, String)],
    signature_method: &str,
    nonce: &str,
    timestamp: i64,
) -> String {
    let protocol = pairs(&[
        ("oauth_consumer_key", &creds.consumer_key),
        ("oauth_nonce", nonce),
        ("oauth_signature_method", signature_method),
        ("oauth_timestamp", &timestamp.to_string()),
        ("oauth_token", &creds.access_token),
        ("oauth_version", "1.0"),
    ]);
    let mut all = query.to_vec();
    all.extend(protocol.iter().cloned());
    let signature = hmac_sha256_signature(
        &base_string("GET", url, &all),
        &creds.consumer_secret,
        &creds.access_token_secret,
    );
    let mut header = String::from("OAuth ");
    for (name, value) in &protocol {
        header.push_str(&format!("{name}=\"{}\",", percent_encode(value)));
    }
    header.push_str(&format!(
        "oauth_signature=\"{}\"",
        percent_encode(&signature)
    ));
    header
}

/// GET `url?query` with an optional `Authorization` header; returns status and JSON body.
pub async fn get(
    url: &str,
    query: &[(String, String)],
    authorization: Option<&str>,
) -> (u16, Value) {
    let encoded = encode_query(query);
    let full = if encoded.is_empty() {
        url.to_owned()
    } else {
        format!("{url}?{encoded}")
    };
    let mut request = reqwest::Client::new().get(full);
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    let response = request.send().await.expect("sandbox answers");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// A correctly signed GET with a fresh nonce.
pub async fn signed_get(
    creds: &Credentials,
    url: &str,
    query: &[(String, String)],
) -> (u16, Value) {
    let params = magento::oauth::OAuthParams::fresh();
    let header = oauth_header(
        creds,
        url,
        query,
        "HMAC-SHA256",
        &params.nonce,
        params.timestamp,
    );
    get(url, query, Some(&header)).await
}
