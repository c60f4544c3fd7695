//! The catalogue against a generated shop of 100,000 products served by a separate
//! `stockbridge sandbox` process: the download (wall time, and the peak memory of the
//! `serve` process doing it), a full push of every listing, and how soon a stock change
//! reaches Magento's source item with 50 changes arriving per second.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use tests::{Env, Gql, Server};

use super::Figure;
use super::shop::{SandboxProcess, connect, job_id, job_until_done, start_sandbox};

const PRODUCTS: usize = 100_000;
const CHANGES_PER_SECOND: u64 = 50;
const CHANGES: usize = 500;

const DOWNLOAD: &str = r#"mutation($id: ID!) {
  catalogDownloadProducts(storeId: $id) { job { id } userErrors { message } } }"#;
const PUSH: &str = r#"mutation($id: ID!) {
  stockPush(storeId: $id) { job { id } userErrors { message } } }"#;
const SETTINGS: &str = r#"mutation($id: ID!, $input: StoreSettingsInput!) {
  storeUpdateSettings(storeId: $id, input: $input) { userErrors { message } } }"#;
const ADJUST: &str = r#"mutation($input: StockAdjustInput!) {
  stockAdjust(input: $input) { userErrors { message } } }"#;
const LOCATIONS: &str = "{ locations { id } }";
const CATALOG: &str = r#"query($id: ID!, $after: String) {
  store(id: $id) { catalog(filter: { listingStatus: LISTED, kind: STOCK }, first: 250, after: $after) {
    pageInfo { endCursor hasNextPage } nodes { product { id sku } } } } }"#;

/// Peak resident memory of a process (`VmHWM`), in MiB.
fn peak_rss_of(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

pub async fn catalog_figures() -> anyhow::Result<Vec<Figure>> {
    let env = Env::new("bench_catalog").await;
    let key = env.api_key("Bench", "admin").await;
    let sandbox = start_sandbox(&env, &["--products", &PRODUCTS.to_string()]).await?;
    let server = Server::start_with(&env, &[], &[("STOCKBRIDGE_DB_POOL", "10")]).await;
    let gql = server.gql(Some(&key));
    let store = connect(&gql, &sandbox).await?;

    let started = Instant::now();
    let download =
        gql.data(DOWNLOAD, json!({ "id": store })).await["catalogDownloadProducts"].clone();
    let downloaded = job_until_done(&gql, &job_id(&download)?).await?;
    let download_time = started.elapsed();
    let pid = server
        .child
        .id()
        .ok_or_else(|| anyhow::anyhow!("no server pid"))?;
    let download_peak = peak_rss_of(pid).ok_or_else(|| anyhow::anyhow!("no /proc status"))?;
    eprintln!(
        "download: {:.1} s, serve peak {download_peak:.1} MiB, job {downloaded}",
        download_time.as_secs_f64()
    );
    anyhow::ensure!(
        downloaded["processedCount"].as_i64().unwrap_or_default() >= PRODUCTS as i64 / 2,
        "the download did not reach the catalogue: {downloaded}"
    );

    let started = Instant::now();
    let push = gql.data(PUSH, json!({ "id": store })).await["stockPush"].clone();
    let pushed = job_until_done(&gql, &job_id(&push)?).await?;
    let push_time = started.elapsed();
    eprintln!("full push: {:.1} s, job {pushed}", push_time.as_secs_f64());
    anyhow::ensure!(
        pushed["state"] == "SUCCEEDED",
        "the full push did not succeed: {pushed}"
    );

    let latency = stock_change_latency(&gql, &store, &sandbox).await?;

    drop(server);
    drop(sandbox);
    Ok(vec![
        Figure {
            name: "catalog.download_100k_products",
            value: download_time.as_secs_f64(),
            unit: "s",
            target: "<=60",
        },
        Figure {
            name: "catalog.download_100k_products_peak_rss",
            value: download_peak,
            unit: "MiB",
            target: "<=300",
        },
        Figure {
            name: "catalog.full_push_100k_listings",
            value: push_time.as_secs_f64(),
            unit: "s",
            target: "<=30",
        },
        Figure {
            name: "catalog.stock_change_to_source_item_p95",
            value: latency,
            unit: "ms",
            target: "<=3000",
        },
    ])
}

/// Adjusts the stock of distinct listed products at 50 a second and watches Magento's
/// source items (one read of every pending SKU each 100 ms) until each shows its new
/// quantity; the p95 of adjust-committed → seen, in milliseconds.
async fn stock_change_latency(
    gql: &Gql,
    store: &str,
    sandbox: &SandboxProcess,
) -> anyhow::Result<f64> {
    let settings = gql
        .data(
            SETTINGS,
            json!({ "id": store, "input": { "updateStockLevels": true } }),
        )
        .await;
    anyhow::ensure!(
        settings["storeUpdateSettings"]["userErrors"] == json!([]),
        "could not turn on Update Stock Levels: {settings}"
    );
    let location = gql.data(LOCATIONS, json!({})).await["locations"][0]["id"].clone();
    let mut products = Vec::new();
    let mut after = Value::Null;
    while products.len() < CHANGES * 2 {
        let page = gql
            .data(CATALOG, json!({ "id": store, "after": after }))
            .await["store"]["catalog"]
            .clone();
        for node in page["nodes"].as_array().into_iter().flatten() {
            products.push((
                node["product"]["id"].clone(),
                node["product"]["sku"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ));
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    // Bundles are stock products too, but a composite has no source item of its own.
    let observer = sandbox.client()?;
    let skus = products
        .iter()
        .map(|(_, sku)| sku.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let simple: std::collections::HashSet<String> = observer
        .products(
            magento::search::SearchCriteria::new()
                .filter("sku", &skus, "in")
                .filter("type_id", "simple", "eq"),
        )
        .await?
        .into_iter()
        .map(|p| p.sku)
        .collect();
    products.retain(|(_, sku)| simple.contains(sku));
    anyhow::ensure!(
        products.len() >= CHANGES,
        "only {} listed simple products",
        products.len()
    );
    products.truncate(CHANGES);

    let (sent_tx, mut sent_rx) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
    let watcher = tokio::spawn(async move {
        let mut pending: HashMap<String, Instant> = HashMap::new();
        let mut latencies = Vec::with_capacity(CHANGES);
        let mut closed = false;
        while !(closed && pending.is_empty()) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            loop {
                match sent_rx.try_recv() {
                    Ok((sku, at)) => {
                        pending.insert(sku, at);
                    }
                    Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                    Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => {
                        closed = true;
                        break;
                    }
                }
            }
            if pending.is_empty() {
                continue;
            }
            let skus = pending.keys().cloned().collect::<Vec<_>>().join(",");
            let criteria = magento::search::SearchCriteria::new().filter("sku", &skus, "in");
            let Ok(items) = observer.source_items(criteria).await else {
                continue;
            };
            let seen = Instant::now();
            for item in items {
                if item.quantity == rust_decimal::Decimal::from(7)
                    && let Some(at) = pending.remove(&item.sku)
                {
                    latencies.push(seen.duration_since(at));
                }
            }
            if let Some(oldest) = pending.values().min()
                && oldest.elapsed() > Duration::from_secs(60)
            {
                anyhow::bail!("{} changes never reached Magento", pending.len());
            }
        }
        Ok(latencies)
    });

    let mut tick = tokio::time::interval(Duration::from_millis(1000 / CHANGES_PER_SECOND));
    for (product, sku) in products {
        tick.tick().await;
        let adjusted = gql
            .data(
                ADJUST,
                json!({ "input": { "productId": product, "locationId": location, "quantity": "7", "reason": "bench" } }),
            )
            .await;
        anyhow::ensure!(
            adjusted["stockAdjust"]["userErrors"] == json!([]),
            "adjust refused: {adjusted}"
        );
        let _ = sent_tx.send((sku, Instant::now()));
    }
    drop(sent_tx);
    let mut latencies = watcher.await??;
    latencies.sort();
    let index = (latencies.len() * 95).div_ceil(100).saturating_sub(1);
    let p95 = latencies
        .get(index)
        .ok_or_else(|| anyhow::anyhow!("no latencies"))?;
    Ok(p95.as_secs_f64() * 1000.0)
}
