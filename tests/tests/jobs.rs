//! Jobs on Postgres + Redis: progress watched live across processes, replay by cursor,
//! cancel, and the reaper healing a job Redis lost.

use std::time::Duration;

use serde_json::{Value, json};
use tests::{Env, Server, WorkerProcess, WsClient, connect_store, finished_job, start_sandbox};

const PROGRESS: &str = r#"subscription($id: ID!, $after: String) {
  jobProgress(jobId: $id, after: $after) { cursor state phase totalCount processedCount failedCount }
}"#;

fn terminal(state: &Value) -> bool {
    ["SUCCEEDED", "PARTIALLY_SUCCEEDED", "FAILED", "CANCELLED"]
        .contains(&state.as_str().unwrap_or_default())
}

async fn progress(ws: &mut WsClient, job_id: &str, after: Option<&str>) -> Vec<Value> {
    let id = ws
        .subscribe(PROGRESS, json!({ "id": job_id, "after": after }))
        .await;
    let messages = ws
        .collect(&id, |payload| {
            !terminal(&payload["data"]["jobProgress"]["state"])
        })
        .await;
    messages
        .iter()
        .filter(|m| m["type"] == "next")
        .map(|m| {
            assert!(m["payload"]["errors"].is_null(), "{m}");
            m["payload"]["data"]["jobProgress"].clone()
        })
        .collect()
}

#[tokio::test]
async fn progress_written_by_a_separate_worker_reaches_a_subscriber_of_the_api() {
    let env = Env::new("jobs_live").await;
    let admin = env.api_key("Acme", "admin").await;
    // The API runs no workers: every event below is written by the worker process.
    let api = Server::start(&env, &["--no-workers"]).await;
    let gql = api.gql(Some(&admin));
    let sandbox = start_sandbox().await;
    let job_id = connect_store(&gql, &sandbox, "Main shop").await["job"]["id"]
        .as_str()
        .expect("job")
        .to_owned();

    let mut ws = WsClient::connect(&api.ws_url(), Some(&admin)).await;
    let subscription = ws.subscribe(PROGRESS, json!({ "id": job_id })).await;
    let first = ws.receive().await.expect("the snapshot");
    assert_eq!(first["id"], subscription.as_str());
    assert_eq!(
        first["payload"]["data"]["jobProgress"]["state"], "QUEUED",
        "{first}"
    );

    let _worker = WorkerProcess::start(&env, &[]).await;
    let mut events = vec![first["payload"]["data"]["jobProgress"].clone()];
    let rest = ws
        .collect(&subscription, |p| {
            !terminal(&p["data"]["jobProgress"]["state"])
        })
        .await;
    events.extend(
        rest.iter()
            .filter(|m| m["type"] == "next")
            .map(|m| m["payload"]["data"]["jobProgress"].clone()),
    );

    let last = events.last().expect("events");
    assert_eq!(last["state"], "SUCCEEDED", "{events:?}");
    assert_eq!(last["processedCount"], last["totalCount"]);
    assert!(events.iter().any(|e| e["state"] == "RUNNING"), "{events:?}");
    let cursors: Vec<i64> = events
        .iter()
        .map(|e| {
            e["cursor"]
                .as_str()
                .expect("cursor")
                .parse()
                .expect("number")
        })
        .collect();
    assert!(
        cursors.windows(2).all(|w| w[0] < w[1]),
        "cursors strictly increase: {cursors:?}"
    );
    let processed: Vec<i64> = events
        .iter()
        .map(|e| e["processedCount"].as_i64().expect("count"))
        .collect();
    assert!(
        processed.windows(2).all(|w| w[0] <= w[1]),
        "counts never go backwards: {processed:?}"
    );
}

#[tokio::test]
async fn resuming_after_a_cursor_replays_the_rest_without_gap_or_duplicate() {
    let env = Env::new("jobs_replay").await;
    let admin = env.api_key("Acme", "admin").await;
    let server = Server::start(&env, &[]).await;
    let gql = server.gql(Some(&admin));
    let sandbox = start_sandbox().await;
    let job_id = connect_store(&gql, &sandbox, "Main shop").await["job"]["id"]
        .as_str()
        .expect("job")
        .to_owned();
    finished_job(&gql, &job_id).await;

    let mut ws = WsClient::connect(&server.ws_url(), Some(&admin)).await;
    let all = progress(&mut ws, &job_id, Some("0")).await;
    assert!(
        all.len() >= 4,
        "queued, running, items and the end: {all:?}"
    );
    let middle = all[1]["cursor"].as_str().expect("cursor");
    let resumed = progress(&mut ws, &job_id, Some(middle)).await;
    assert_eq!(resumed, all[2..].to_vec());
    // Without a cursor a finished job answers with its snapshot and ends.
    let snapshot = progress(&mut ws, &job_id, None).await;
    assert_eq!(snapshot.len(), 1);
    assert_eq!(snapshot[0]["state"], "SUCCEEDED");
    assert_eq!(snapshot[0]["cursor"], all.last().expect("last")["cursor"]);
}

#[tokio::test]
async fn a_queued_job_is_cancelled_at_once_and_never_runs() {
    let env = Env::new("jobs_cancel").await;
    let admin = env.api_key("Acme", "admin").await;
    let api = Server::start(&env, &["--no-workers"]).await;
    let gql = api.gql(Some(&admin));
    let sandbox = start_sandbox().await;
    let job_id = connect_store(&gql, &sandbox, "Main shop").await["job"]["id"]
        .as_str()
        .expect("job")
        .to_owned();
    let cancelled = gql
        .data(
            "mutation($id: ID!) { jobCancel(jobId: $id) { job { state } userErrors { code } } }",
            json!({ "id": job_id }),
        )
        .await;
    assert_eq!(
        cancelled["jobCancel"]["job"]["state"], "CANCELLED",
        "{cancelled}"
    );

    let _worker = WorkerProcess::start(&env, &[]).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let job = gql.data(tests::JOB, json!({ "id": job_id })).await["job"].clone();
    assert_eq!(job["state"], "CANCELLED");
    assert_eq!(job["attempts"], 0, "a cancelled job is never run");
    let again = gql
        .data(
            "mutation($id: ID!) { jobCancel(jobId: $id) { job { state } userErrors { code } } }",
            json!({ "id": job_id }),
        )
        .await;
    assert_eq!(
        again["jobCancel"]["userErrors"][0]["code"],
        "INVALID_COMBINATION"
    );
}

#[tokio::test]
async fn a_running_job_stops_at_its_next_check_when_cancelled() {
    let env = Env::new("jobs_cancel_running").await;
    let admin = env.api_key("Acme", "admin").await;
    let server = Server::start(&env, &[]).await;
    let gql = server.gql(Some(&admin));
    // A slow shop: each metadata step takes long enough to cancel in between.
    let options = sandbox::SandboxOptions {
        latency: Duration::from_millis(400),
        ..Default::default()
    };
    let slow = sandbox::start(([127, 0, 0, 1], 0).into(), options)
        .await
        .expect("sandbox");
    let job_id = connect_store(&gql, &slow, "Slow shop").await["job"]["id"]
        .as_str()
        .expect("job")
        .to_owned();
    tests::eventually("the job to run", Duration::from_secs(20), || async {
        let job = gql.data(tests::JOB, json!({ "id": job_id })).await["job"].clone();
        (job["state"] == "RUNNING").then_some(())
    })
    .await;
    let cancel = gql
        .data(
            "mutation($id: ID!) { jobCancel(jobId: $id) { job { state cancelRequested } } }",
            json!({ "id": job_id }),
        )
        .await;
    assert_eq!(
        cancel["jobCancel"]["job"]["cancelRequested"], true,
        "{cancel}"
    );
    let job = finished_job(&gql, &job_id).await;
    assert_eq!(job["state"], "CANCELLED", "{job}");
    let processed = job["processedCount"].as_i64().expect("count");
    assert!(
        processed < job["totalCount"].as_i64().expect("total"),
        "it stopped early: {job}"
    );
}

#[tokio::test]
async fn a_transient_failure_is_retried_with_backoff_by_our_own_attempt_count() {
    let env = Env::new("jobs_retry").await;
    let admin = env.api_key("Acme", "admin").await;
    let api = Server::start(&env, &["--no-workers"]).await;
    let gql = api.gql(Some(&admin));
    let shop = start_sandbox().await;
    let (base_url, credentials) = (shop.base_url.clone(), shop.credentials.clone());
    let job_id = connect_store(&gql, &shop, "Flaky shop").await["job"]["id"]
        .as_str()
        .expect("job")
        .to_owned();
    // The shop goes down between connecting and the metadata refresh.
    shop.stop().await;
    let _worker = WorkerProcess::start(&env, &[]).await;
    let retrying = tests::eventually(
        "a failed first attempt",
        Duration::from_secs(20),
        || async {
            let job = gql.data(tests::JOB, json!({ "id": job_id })).await["job"].clone();
            (job["attempts"] == 1 && job["state"] == "QUEUED").then_some(job)
        },
    )
    .await;
    assert!(
        retrying["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("store_configs")),
        "{retrying}"
    );

    // Back up on the same address with the same integration: the retry succeeds.
    let port: u16 = base_url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let options = sandbox::SandboxOptions {
        credentials: Some(credentials),
        ..Default::default()
    };
    let _back = sandbox::start(([127, 0, 0, 1], port).into(), options)
        .await
        .expect("sandbox restarts");
    let job = finished_job(&gql, &job_id).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert_eq!(job["attempts"], 2);
    assert_eq!(
        job["processedCount"], job["totalCount"],
        "items of the failed attempt are not counted twice"
    );
}

#[tokio::test]
async fn a_job_whose_redis_task_was_lost_still_runs_exactly_once() {
    let env = Env::new("jobs_reaper").await;
    let admin = env.api_key("Acme", "admin").await;
    let api = Server::start(&env, &["--no-workers"]).await;
    let gql = api.gql(Some(&admin));
    let sandbox = start_sandbox().await;
    let job_id = connect_store(&gql, &sandbox, "Main shop").await["job"]["id"]
        .as_str()
        .expect("job")
        .to_owned();

    env.flush_redis_namespace().await;
    let _worker = WorkerProcess::start(
        &env,
        &[
            ("STOCKBRIDGE_REAPER_QUEUED_AFTER_SECS", "1"),
            ("STOCKBRIDGE_REAPER_INTERVAL_SECS", "1"),
        ],
    )
    .await;
    let job = finished_job(&gql, &job_id).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    assert_eq!(job["attempts"], 1, "healed once, run once");
    let keys: Vec<Value> = job["results"]["nodes"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["key"].clone())
        .collect();
    let mut unique = keys.clone();
    unique.dedup();
    assert_eq!(keys, unique, "no item recorded twice");
    assert_eq!(job["processedCount"], job["totalCount"]);
    assert_eq!(job["results"]["totalCount"], json!(keys.len()));
}

#[tokio::test]
async fn jobs_are_listed_newest_first_and_filtered_by_kind_state_and_store() {
    let env = Env::new("jobs_list").await;
    let admin = env.api_key("Acme", "admin").await;
    let server = Server::start(&env, &[]).await;
    let gql = server.gql(Some(&admin));
    let sandbox = start_sandbox().await;
    let first = connect_store(&gql, &sandbox, "First").await;
    let second = connect_store(&gql, &sandbox, "Second").await;
    for payload in [&first, &second] {
        finished_job(&gql, payload["job"]["id"].as_str().expect("job")).await;
    }
    const LIST: &str = r#"query($filter: JobFilter, $first: Int, $after: String) {
        jobs(filter: $filter, first: $first, after: $after) { totalCount nodes { id kind state } pageInfo { hasNextPage endCursor } } }"#;
    let page = gql.data(LIST, json!({ "first": 1 })).await["jobs"].clone();
    assert_eq!(page["nodes"][0]["id"], second["job"]["id"], "newest first");
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    assert_eq!(
        page["totalCount"], 2,
        "both jobs, though one page shows one"
    );
    let next = gql
        .data(
            LIST,
            json!({ "first": 1, "after": page["pageInfo"]["endCursor"] }),
        )
        .await["jobs"]
        .clone();
    assert_eq!(next["nodes"][0]["id"], first["job"]["id"]);

    let by_store = gql
        .data(
            LIST,
            json!({ "filter": { "storeId": first["store"]["id"] } }),
        )
        .await;
    assert_eq!(by_store["jobs"]["nodes"].as_array().map(Vec::len), Some(1));
    let by_kind = gql
        .data(
            LIST,
            json!({ "filter": { "kind": "STORE_METADATA_REFRESH", "state": "SUCCEEDED" } }),
        )
        .await;
    assert_eq!(by_kind["jobs"]["nodes"].as_array().map(Vec::len), Some(2));
    let none = gql
        .data(LIST, json!({ "filter": { "state": "FAILED" } }))
        .await;
    assert_eq!(none["jobs"]["nodes"], json!([]));
    assert_eq!(none["jobs"]["totalCount"], 0);
}

#[tokio::test]
async fn a_running_server_stops_gracefully_on_sigterm() {
    let env = Env::new("graceful").await;
    let server = Server::start(&env, &[]).await;
    let status = server.terminate().await;
    assert!(status.success(), "exit status {status:?}");
}
