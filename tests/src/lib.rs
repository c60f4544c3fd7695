//! Test harness: each test gets its own database (cloned from a migrated template),
//! its own Redis namespace, and real `stockbridge` processes talking to them.

pub mod graphql;
pub mod process;
pub mod readme;
pub mod shop;
pub mod ws;

pub use graphql::Gql;
pub use process::{Env, Server, WorkerProcess};
pub use ws::WsClient;

/// Polls `check` until it returns `Some`, or panics with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: std::time::Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

use serde_json::{Value, json};

pub const CONNECT: &str = r#"
mutation($input: StoreConnectInput!) {
  storeConnect(input: $input) {
    store { id name baseUrl consumerKeyLast4 hasConsumerSecret }
    job { id kind state }
    userErrors { field message code }
  }
}"#;

pub const JOB: &str = r#"
query($id: ID!) {
  job(id: $id) {
    id kind state phase totalCount processedCount failedCount attempts lastError cancelRequested
    results { totalCount nodes { index key outcome errorCode } }
  }
}"#;

/// Connects the sandbox as a store; returns the payload of `storeConnect`.
pub async fn connect_store(gql: &Gql, sandbox: &sandbox::RunningSandbox, name: &str) -> Value {
    let c = &sandbox.credentials;
    let data = gql
        .data(
            CONNECT,
            json!({ "input": {
                "name": name,
                "baseUrl": sandbox.base_url,
                "consumerKey": c.consumer_key,
                "consumerSecret": c.consumer_secret,
                "accessToken": c.access_token,
                "accessTokenSecret": c.access_token_secret,
            }}),
        )
        .await;
    data["storeConnect"].clone()
}

/// Waits until the job reaches a terminal state; returns it.
pub async fn finished_job(gql: &Gql, job_id: &str) -> Value {
    eventually(
        "the job to finish",
        std::time::Duration::from_secs(30),
        || async {
            let job = gql.data(JOB, json!({ "id": job_id })).await["job"].clone();
            let done = ["SUCCEEDED", "PARTIALLY_SUCCEEDED", "FAILED", "CANCELLED"]
                .contains(&job["state"].as_str()?);
            done.then_some(job)
        },
    )
    .await
}

pub async fn start_sandbox() -> sandbox::RunningSandbox {
    sandbox::start(
        ([127, 0, 0, 1], 0).into(),
        sandbox::SandboxOptions::default(),
    )
    .await
    .expect("sandbox starts")
}
