//! Authentication, roles and tenancy, over HTTP and over the WebSocket.

use serde_json::json;
use tests::graphql::error_code;
use tests::{Env, Server, WsClient, connect_store, start_sandbox};

const STORES: &str = "{ stores { id name } }";

#[tokio::test]
async fn a_request_without_a_key_is_unauthenticated() {
    let env = Env::new("auth_none").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    let body = server.gql(None).raw(STORES, json!({})).await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    assert!(body["data"].is_null(), "{body}");
}

#[tokio::test]
async fn a_request_with_an_unknown_key_is_unauthenticated() {
    let env = Env::new("auth_bad").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    let forged = "sbk_0000000000000000000000000000000000000000";
    for key in [forged, "not-even-a-key"] {
        let body = server.gql(Some(key)).raw(STORES, json!({})).await;
        assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    }
}

#[tokio::test]
async fn a_viewer_may_read_but_not_connect_a_store() {
    let env = Env::new("auth_viewer").await;
    let viewer = env.api_key("Acme", "viewer").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    let gql = server.gql(Some(&viewer));
    assert_eq!(gql.data(STORES, json!({})).await["stores"], json!([]));
    let body = gql
        .raw(
            tests::CONNECT,
            json!({ "input": { "name": "x", "baseUrl": "http://127.0.0.1:9", "consumerKey": "a",
                "consumerSecret": "b", "accessToken": "c", "accessTokenSecret": "d" } }),
        )
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
}

#[tokio::test]
async fn an_operator_may_not_change_settings() {
    let env = Env::new("auth_operator").await;
    let operator = env.api_key("Acme", "operator").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    let body = server
        .gql(Some(&operator))
        .raw(
            "mutation($id: ID!) { storeUpdateSettings(storeId: $id, input: {priceTier: 2}) { userErrors { code } } }",
            json!({ "id": "U3RvcmU6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw" }),
        )
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
}

#[tokio::test]
async fn another_organisations_store_and_job_are_not_found() {
    let env = Env::new("auth_tenancy").await;
    let acme = env.api_key("Acme", "admin").await;
    let globex = env.api_key("Globex", "admin").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    let sandbox = start_sandbox().await;
    let connected = connect_store(&server.gql(Some(&acme)), &sandbox, "Acme shop").await;
    let store_id = connected["store"]["id"]
        .as_str()
        .expect("store id")
        .to_owned();
    let job_id = connected["job"]["id"].as_str().expect("job id").to_owned();

    let other = server.gql(Some(&globex));
    assert_eq!(other.data(STORES, json!({})).await["stores"], json!([]));
    let seen = other
        .data(
            "query($id: ID!) { store(id: $id) { id } }",
            json!({ "id": store_id }),
        )
        .await;
    assert!(
        seen["store"].is_null(),
        "another organisation's store must read as missing: {seen}"
    );
    let job = other
        .data(
            "query($id: ID!) { job(id: $id) { id } }",
            json!({ "id": job_id }),
        )
        .await;
    assert!(job["job"].is_null());
    let unknown = other
        .data(
            "query($id: ID!) { store(id: $id) { id } }",
            json!({ "id": "U3RvcmU6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw" }),
        )
        .await;
    assert_eq!(seen, unknown, "exactly as if it did not exist");

    let disconnect = other
        .data(
            "mutation($id: ID!) { storeDisconnect(storeId: $id) { disconnectedStoreId userErrors { field code } } }",
            json!({ "id": store_id }),
        )
        .await;
    assert_eq!(
        disconnect["storeDisconnect"]["userErrors"][0]["code"],
        "NOT_FOUND"
    );
    let still = server.gql(Some(&acme)).data(STORES, json!({})).await;
    assert_eq!(still["stores"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn over_the_websocket_a_missing_or_bad_key_is_unauthenticated() {
    let env = Env::new("auth_ws").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    for key in [None, Some("sbk_0000000000000000000000000000000000000000")] {
        let mut ws = WsClient::connect(&server.ws_url(), key).await;
        let id = ws.subscribe(STORES, json!({})).await;
        let messages = ws.collect(&id, |_| true).await;
        let first = &messages[0];
        let code = first["payload"]["errors"][0]["extensions"]["code"]
            .as_str()
            .or(first["payload"][0]["extensions"]["code"].as_str());
        assert_eq!(code, Some("UNAUTHENTICATED"), "{messages:?}");
    }
}

#[tokio::test]
async fn over_the_websocket_roles_and_tenancy_hold() {
    let env = Env::new("auth_ws_roles").await;
    let acme = env.api_key("Acme", "admin").await;
    let viewer = env.api_key("Acme", "viewer").await;
    let globex = env.api_key("Globex", "viewer").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    let sandbox = start_sandbox().await;
    let connected = connect_store(&server.gql(Some(&acme)), &sandbox, "Acme shop").await;
    let job_id = connected["job"]["id"].as_str().expect("job id").to_owned();

    let mut ws = WsClient::connect(&server.ws_url(), Some(&viewer)).await;
    let id = ws
        .subscribe(
            "mutation($id: ID!) { jobCancel(jobId: $id) { job { id } } }",
            json!({ "id": job_id }),
        )
        .await;
    let messages = ws.collect(&id, |_| true).await;
    assert_eq!(
        messages[0]["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{messages:?}"
    );

    let mut other = WsClient::connect(&server.ws_url(), Some(&globex)).await;
    let sub = "subscription($id: ID!) { jobProgress(jobId: $id) { state } }";
    let id = other.subscribe(sub, json!({ "id": job_id })).await;
    let messages = other.collect(&id, |_| true).await;
    let error = &messages[0];
    let text = error.to_string();
    assert!(
        text.contains("job not found"),
        "another organisation's job must be not found: {text}"
    );
}
