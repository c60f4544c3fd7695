//! What the bench's scenarios share: a `stockbridge sandbox` process of its own, a store
//! connected to it, and waiting for jobs.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use tests::{Env, Gql};

/// The separate sandbox process, and what connecting to it takes.
pub struct SandboxProcess {
    /// Killed when dropped.
    _child: tokio::process::Child,
    pub announced: Value,
}

/// Starts `stockbridge sandbox --port 0` with `args` (`--products N`, `--orders N`).
pub async fn start_sandbox(env: &Env, args: &[&str]) -> anyhow::Result<SandboxProcess> {
    let mut command = vec!["sandbox", "--port", "0"];
    command.extend_from_slice(args);
    let mut child = env.command(&command).spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(300), lines.next_line())
        .await??
        .ok_or_else(|| anyhow::anyhow!("the sandbox exited before announcing itself"))?;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(SandboxProcess {
        _child: child,
        announced: serde_json::from_str(&first)?,
    })
}

impl SandboxProcess {
    pub fn client(&self) -> anyhow::Result<magento::MagentoClient> {
        let a = &self.announced;
        let text = |key: &str| a[key].as_str().unwrap_or_default().to_owned();
        let credentials = magento::oauth::Credentials {
            consumer_key: text("consumer_key"),
            consumer_secret: text("consumer_secret"),
            access_token: text("access_token"),
            access_token_secret: text("access_token_secret"),
        };
        // The observer must never be what delays a sighting: no per-store rate limit.
        let options = magento::ClientOptions {
            store_label: "bench-observer".into(),
            limits: magento::StoreLimits {
                max_concurrent: 4,
                requests_per_second: 0,
            },
            ..Default::default()
        };
        Ok(magento::MagentoClient::new(
            &text("base_url"),
            credentials,
            options,
        )?)
    }
}

pub async fn job_until_done(gql: &Gql, id: &str) -> anyhow::Result<Value> {
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        let job = gql.data(tests::JOB, json!({ "id": id })).await["job"].clone();
        let state = job["state"].as_str().unwrap_or_default();
        if ["SUCCEEDED", "PARTIALLY_SUCCEEDED", "FAILED", "CANCELLED"].contains(&state) {
            return Ok(job);
        }
        anyhow::ensure!(Instant::now() < deadline, "job {id} did not finish: {job}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn job_id(payload: &Value) -> anyhow::Result<String> {
    payload["job"]["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no job started: {payload}"))
}

/// Connects the sandbox as a store and waits for its metadata; the store's id.
pub async fn connect(gql: &Gql, sandbox: &SandboxProcess) -> anyhow::Result<String> {
    let a = &sandbox.announced;
    let connected = gql
        .data(
            tests::CONNECT,
            json!({ "input": {
                "name": "Bench shop",
                "baseUrl": a["base_url"],
                "consumerKey": a["consumer_key"],
                "consumerSecret": a["consumer_secret"],
                "accessToken": a["access_token"],
                "accessTokenSecret": a["access_token_secret"],
            }}),
        )
        .await["storeConnect"]
        .clone();
    let store = connected["store"]["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("store not connected: {connected}"))?
        .to_owned();
    job_until_done(gql, &job_id(&connected)?).await?;
    Ok(store)
}
