//! Orders in, against a separate `stockbridge sandbox` process: "Load Orders" of
//! 10,000 orders placed in it (the generated shop's orders date from 2025, beyond the
//! year "Load Orders" reaches back); notifications accepted at 200 a second; an
//! order placed in Magento to its pending order with 50 orders a second arriving by
//! notification; and the poller alone picking orders up (notifications off).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use tests::{Env, Gql, Server};

use super::Figure;
use super::shop::{connect, job_id, job_until_done, start_sandbox};

const ORDERS: usize = 10_000;
/// The poll interval the server runs with here (the default is 30 s).
const POLL_SECS: u64 = 5;
const NOTIFICATIONS_PER_SECOND: u64 = 200;
const NOTIFICATIONS: usize = 2_000;
const ORDERS_PER_SECOND: u64 = 50;
const NOTIFIED_ORDERS: usize = 500;
const POLLED_ORDERS: usize = 20;
/// The orders' products: a spread like a shop's, several orders to each SKU.
const SKUS: usize = 20;

fn sku(n: usize) -> String {
    format!("BENCH-ORDER-{:02}", n % SKUS)
}

fn p95(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[((values.len() as f64 * 0.95).ceil() as usize).clamp(1, values.len()) - 1]
}

pub async fn order_figures() -> anyhow::Result<Vec<Figure>> {
    let env = Env::new("bench_orders").await;
    let key = env.api_key("Bench", "admin").await;
    let sandbox = start_sandbox(
        &env,
        &["--products", "2000", "--orders", &ORDERS.to_string()],
    )
    .await?;
    let poll = POLL_SECS.to_string();
    let server =
        Server::start_with(&env, &[], &[("STOCKBRIDGE_ORDER_POLL_SECS", poll.as_str())]).await;
    let gql = server.gql(Some(&key));
    let store = connect(&gql, &sandbox).await?;
    let sandbox_url = sandbox.announced["base_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let http = reqwest::Client::new();
    // Products every order can take, in Magento and (by the download) in the ledger.
    for n in 0..SKUS {
        http.post(format!("{sandbox_url}/sandbox/products"))
            .json(&json!({ "sku": sku(n), "qty": 1_000_000 }))
            .send()
            .await?
            .error_for_status()?;
    }
    let download = gql
        .data(
            "mutation($id: ID!) { catalogDownloadProducts(storeId: $id) { job { id } } }",
            json!({ "id": store }),
        )
        .await["catalogDownloadProducts"]
        .clone();
    job_until_done(&gql, &job_id(&download)?).await?;
    let settings = gql
        .data(
            "mutation($id: ID!) { storeUpdateSettings(storeId: $id, input: { salesStoreScope: ALL_STORES }) { userErrors { message } } }",
            json!({ "id": store }),
        )
        .await;
    anyhow::ensure!(
        settings["storeUpdateSettings"]["userErrors"] == json!([]),
        "{settings}"
    );

    place_orders(&http, &sandbox_url, ORDERS).await?;
    let load_rate = load_orders(&gql, &store).await?;
    let (secret, url) = rotate(&gql, &store).await?;
    let accepted = notifications_accepted(&http, &url, &secret).await?;
    let db = env.db().await;
    drain_capture_jobs(&db).await?;
    http.post(format!("{sandbox_url}/sandbox/notifications"))
        .json(&json!({ "url": url, "secret": secret }))
        .send()
        .await?
        .error_for_status()?;
    let notified =
        placed_to_pending(&http, &db, &sandbox_url, NOTIFIED_ORDERS, ORDERS_PER_SECOND).await?;
    http.delete(format!("{sandbox_url}/sandbox/notifications"))
        .send()
        .await?
        .error_for_status()?;
    let polled = placed_to_pending(&http, &db, &sandbox_url, POLLED_ORDERS, 2).await?;
    drop(server);
    drop(sandbox);
    Ok(vec![
        Figure {
            name: "orders.load_10k_orders_per_s",
            value: load_rate,
            unit: "orders/s",
            target: ">=500",
        },
        Figure {
            name: "orders.notification_accepted_p95_at_200_per_s",
            value: accepted,
            unit: "ms",
            target: "<=20",
        },
        Figure {
            name: "orders.notification_to_pending_p95_at_50_per_s",
            value: notified * 1000.0,
            unit: "ms",
            target: "<=500",
        },
        Figure {
            name: "orders.poller_only_pickup_p95_at_5s_interval",
            value: polled,
            unit: "s",
            target: "<=7",
        },
    ])
}

/// Places `count` orders in Magento, eight at a time.
async fn place_orders(
    http: &reqwest::Client,
    sandbox_url: &str,
    count: usize,
) -> anyhow::Result<()> {
    use futures_util::StreamExt as _;
    let placed: Vec<anyhow::Result<()>> = futures_util::stream::iter(0..count)
        .map(|n| {
            let http = http.clone();
            let url = format!("{sandbox_url}/sandbox/orders");
            async move {
                let order = if n % 2 == 0 {
                    json!({ "items": [{ "sku": sku(n), "qty": 1 }] })
                } else {
                    json!({ "items": [{ "sku": sku(n), "qty": 2 }, { "sku": sku(n + 7), "qty": 1 }],
                            "paid": true })
                };
                http.post(url)
                    .json(&order)
                    .send()
                    .await?
                    .error_for_status()?;
                Ok(())
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    placed.into_iter().collect()
}

/// "Load Orders" of every order of the shop: orders/s.
async fn load_orders(gql: &Gql, store: &str) -> anyhow::Result<f64> {
    let since = (Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let started = Instant::now();
    let load = gql
        .data(
            "mutation($id: ID!, $since: DateTime!) { ordersLoad(storeId: $id, since: $since) { job { id } userErrors { message } } }",
            json!({ "id": store, "since": since }),
        )
        .await["ordersLoad"]
        .clone();
    let job = job_until_done(gql, &job_id(&load)?).await?;
    let elapsed = started.elapsed();
    let processed = job["processedCount"].as_f64().unwrap_or_default();
    eprintln!(
        "load: {processed} orders in {:.1} s, job {}",
        elapsed.as_secs_f64(),
        job["state"]
    );
    anyhow::ensure!(
        job["state"] == "SUCCEEDED" && processed >= ORDERS as f64,
        "the load did not capture every order: {job}"
    );
    Ok(processed / elapsed.as_secs_f64())
}

async fn rotate(gql: &Gql, store: &str) -> anyhow::Result<(String, String)> {
    let rotated = gql
        .data(
            "mutation($id: ID!) { storeRotateWebhookSecret(storeId: $id) { webhookSecret webhookUrl } }",
            json!({ "id": store }),
        )
        .await["storeRotateWebhookSecret"]
        .clone();
    let text = |key: &str| {
        rotated[key]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("no {key}: {rotated}"))
    };
    Ok((text("webhookSecret")?, text("webhookUrl")?))
}

/// Signed notifications naming orders already captured, 200 a second: the p95 of
/// their answers, in milliseconds. Each queues a capture job the workers run meanwhile.
async fn notifications_accepted(
    http: &reqwest::Client,
    url: &str,
    secret: &str,
) -> anyhow::Result<f64> {
    let interval = Duration::from_micros(1_000_000 / NOTIFICATIONS_PER_SECOND);
    let mut tick = tokio::time::interval(interval);
    let mut sent = Vec::with_capacity(NOTIFICATIONS);
    for n in 0..NOTIFICATIONS {
        tick.tick().await;
        let body = serde_json::to_vec(&json!({
            "event_id": format!("bench-{n}"), "event": "order.updated", "entity_type": "order",
            "entity_id": (n % ORDERS) + 1, "increment_id": format!("{:09}", (n % ORDERS) + 1),
            "store_id": 1, "updated_at": "2026-12-04 10:00:00"
        }))?;
        let now = Utc::now().timestamp();
        let signature = magento::notification::sign(secret.as_bytes(), now, &body);
        let request = http
            .post(url)
            .header("Content-Type", "application/json")
            .header("X-Timestamp", now.to_string())
            .header("X-Signature", signature)
            .body(body);
        sent.push(tokio::spawn(async move {
            let started = Instant::now();
            let answer = request.send().await?;
            let status = answer.status().as_u16();
            anyhow::ensure!(status == 202, "answered {status}");
            Ok::<f64, anyhow::Error>(started.elapsed().as_secs_f64() * 1000.0)
        }));
    }
    let mut latencies = Vec::with_capacity(sent.len());
    for task in sent {
        latencies.push(task.await??);
    }
    Ok(p95(latencies))
}

/// Waits until the capture jobs the notifications queued have run, so the next figure
/// does not measure their backlog.
async fn drain_capture_jobs(db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT count(*) AS n FROM jobs WHERE kind = 'ORDER_CAPTURE' AND state IN ('queued', 'running')",
            ))
            .await?
            .ok_or_else(|| anyhow::anyhow!("no count"))?;
        if row.try_get::<i64>("", "n")? == 0 {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "capture jobs still queued after 5 minutes"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Places `count` orders in Magento at `per_second` and waits until each is a pending
/// order: the p95 of placed → captured, in seconds (the capture's own commit time
/// against the moment the order was asked for).
async fn placed_to_pending(
    http: &reqwest::Client,
    db: &sea_orm::DatabaseConnection,
    sandbox_url: &str,
    count: usize,
    per_second: u64,
) -> anyhow::Result<f64> {
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / per_second));
    let mut placed: Vec<(String, DateTime<Utc>)> = Vec::with_capacity(count);
    for n in 0..count {
        tick.tick().await;
        let at = Utc::now();
        let answer: Value = http
            .post(format!("{sandbox_url}/sandbox/orders"))
            .json(&json!({ "items": [{ "sku": sku(n), "qty": 1 }] }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let increment = answer["increment_id"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("no increment id: {answer}"))?
            .to_owned();
        placed.push((increment, at));
    }
    let increments: Vec<String> = placed.iter().map(|(i, _)| i.clone()).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT increment_id, created_at FROM sales_log WHERE increment_id = ANY($1)",
                [increments.clone().into()],
            ))
            .await?;
        if rows.len() >= count {
            let captured: std::collections::HashMap<String, DateTime<Utc>> = rows
                .iter()
                .map(|r| Ok((r.try_get("", "increment_id")?, r.try_get("", "created_at")?)))
                .collect::<Result<_, sea_orm::DbErr>>()?;
            let latencies = placed
                .iter()
                .filter_map(|(increment, at)| {
                    captured
                        .get(increment)
                        .map(|c| (*c - *at).num_microseconds().unwrap_or_default() as f64 / 1e6)
                })
                .collect();
            return Ok(p95(latencies));
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {} of {count} orders were captured",
            rows.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
