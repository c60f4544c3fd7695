//! Raw signed requests, for the cases `MagentoClient` deliberately cannot produce
//! (replays, other signature methods, missing parameters).

#![allow(dead_code)]

use magento::Credentials;
use magento::oauth::{base_string, encode_query, hmac_sha256_signature, percent_encode};
use serde_json::Value;

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
