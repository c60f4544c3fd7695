//! `cargo run --release -p tests --bin bench [-- --only PREFIX]`: one line per figure,
//! `figure=NAME value=NUMBER unit=UNIT target=OPNUMBER`.

#[path = "bench/catalog.rs"]
mod catalog;
#[path = "bench/database.rs"]
mod database;
#[path = "bench/orders.rs"]
mod orders;
#[path = "bench/shop.rs"]
mod shop;
#[path = "bench/stock.rs"]
mod stock;

use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};

struct Figure {
    name: &'static str,
    value: f64,
    unit: &'static str,
    target: &'static str,
}

fn print(f: &Figure) {
    println!(
        "figure={} value={:.1} unit={} target={}",
        f.name, f.value, f.unit, f.target
    );
}

fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Starts `serve --demo` on a fresh database: time until it serves, then its idle memory.
async fn serve_demo() -> anyhow::Result<Vec<Figure>> {
    let env = tests::Env::new("bench_demo").await;
    let started = Instant::now();
    let mut child = env
        .command(&["serve", "--demo"])
        .env_remove("STOCKBRIDGE_SECRET_KEYS")
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    let mut ready = None;
    while let Some(line) =
        tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await??
    {
        if line.contains("\"listening\"") {
            ready = Some(started.elapsed());
            break;
        }
    }
    let ready = ready.ok_or_else(|| anyhow::anyhow!("serve --demo never announced itself"))?;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    // Let the metadata job finish and the process settle.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let pid = child.id().ok_or_else(|| anyhow::anyhow!("no pid"))?;
    let rss = rss_mib(pid).ok_or_else(|| anyhow::anyhow!("cannot read /proc/{pid}/status"))?;
    child.kill().await?;
    Ok(vec![
        Figure {
            name: "serve.demo_ready",
            value: ready.as_secs_f64() * 1000.0,
            unit: "ms",
            target: "<=5000",
        },
        Figure {
            name: "serve.idle_rss",
            value: rss,
            unit: "MiB",
            target: "<=100",
        },
    ])
}

/// Signed round trips per second through the client against the sandbox (8 concurrent
/// callers, no per-store rate limit), and pure signing throughput.
async fn signed_requests() -> anyhow::Result<Vec<Figure>> {
    let sandbox = tests::start_sandbox().await;
    let options = magento::ClientOptions {
        store_label: "bench".into(),
        limits: magento::StoreLimits {
            max_concurrent: 8,
            requests_per_second: 0,
        },
        ..Default::default()
    };
    let client =
        magento::MagentoClient::new(&sandbox.base_url, sandbox.credentials.clone(), options)?;
    let duration = Duration::from_secs(5);
    let started = Instant::now();
    let callers = (0..8).map(|_| {
        let client = client.clone();
        tokio::spawn(async move {
            let mut done = 0u64;
            while started.elapsed() < duration {
                client.store_views().await?;
                done += 1;
            }
            Ok::<u64, magento::MagentoError>(done)
        })
    });
    let mut total = 0;
    for caller in futures_util::future::join_all(callers).await {
        total += caller??;
    }
    let round_trips = total as f64 / started.elapsed().as_secs_f64();

    let query: Vec<(String, String)> = magento::search::SearchCriteria::new()
        .filter("updated_at", "2026-11-01 00:00:00", "gteq")
        .page(100, 3)
        .to_query()?;
    let url = format!("{}/rest/V1/orders", sandbox.base_url);
    let signing = Instant::now();
    let mut signed = 0u64;
    while signing.elapsed() < Duration::from_secs(2) {
        let params = magento::oauth::OAuthParams::fresh();
        std::hint::black_box(magento::oauth::authorization_header(
            &sandbox.credentials,
            "GET",
            &url,
            &query,
            &params,
        ));
        signed += 1;
    }
    let signatures = signed as f64 / signing.elapsed().as_secs_f64();
    sandbox.stop().await;
    Ok(vec![
        Figure {
            name: "magento.signed_round_trips",
            value: round_trips,
            unit: "req/s",
            target: ">=500",
        },
        Figure {
            name: "magento.signatures",
            value: signatures,
            unit: "sig/s",
            target: ">=20000",
        },
    ])
}

/// The process's peak resident memory (`VmHWM`), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Generates 100k products and 50k orders in-process: the time, and the bench process's
/// peak memory, which the generated shop dominates.
async fn sandbox_generation() -> anyhow::Result<Vec<Figure>> {
    let started = Instant::now();
    let sandbox = generated_sandbox(100_000, 50_000).await?;
    let generated = started.elapsed();
    let peak = peak_rss_mib().ok_or_else(|| anyhow::anyhow!("cannot read /proc/self/status"))?;
    sandbox.stop().await;
    Ok(vec![
        Figure {
            name: "sandbox.generate_100k_products_50k_orders",
            value: generated.as_secs_f64(),
            unit: "s",
            target: "<=5",
        },
        Figure {
            name: "sandbox.generate_100k_products_50k_orders_peak_rss",
            value: peak,
            unit: "MiB",
            target: "<=2048",
        },
    ])
}

/// Pages a generated catalogue of 100k products through the client at its default page
/// size, without a per-store rate limit (as a bulk download would be configured).
async fn sandbox_products_served() -> anyhow::Result<Vec<Figure>> {
    let sandbox = generated_sandbox(100_000, 0).await?;
    let options = magento::ClientOptions {
        store_label: "bench-products".into(),
        limits: magento::StoreLimits {
            max_concurrent: 4,
            requests_per_second: 0,
        },
        ..Default::default()
    };
    let client =
        magento::MagentoClient::new(&sandbox.base_url, sandbox.credentials.clone(), options)?;
    let started = Instant::now();
    let products = client
        .products(magento::search::SearchCriteria::new())
        .await?;
    let served = products.len() as f64 / started.elapsed().as_secs_f64();
    anyhow::ensure!(
        products.len() >= 100_000,
        "paged {} products, expected every one of the 100k generated",
        products.len()
    );
    sandbox.stop().await;
    Ok(vec![Figure {
        name: "sandbox.products_served_per_s",
        value: served,
        unit: "products/s",
        target: ">=20000",
    }])
}

/// Pages the 50k generated orders by an `updated_at` window sorted by `updated_at` then
/// `entity_id` (the poller's criteria), 300 a page, four pages in flight. An order is
/// ~10 KB of JSON; the target is what keeps the sandbox from being what "Load Orders"
/// (≥ 500 orders/s) measures, five times over.
async fn sandbox_orders_served() -> anyhow::Result<Vec<Figure>> {
    use futures_util::StreamExt as _;
    let sandbox = generated_sandbox(100_000, 50_000).await?;
    let options = magento::ClientOptions {
        store_label: "bench-orders".into(),
        limits: magento::StoreLimits {
            max_concurrent: 4,
            requests_per_second: 0,
        },
        ..Default::default()
    };
    let client =
        magento::MagentoClient::new(&sandbox.base_url, sandbox.credentials.clone(), options)?
            .with_page_size(300);
    // Every order: the generated ones date from 2024 and 2025, the seeded ones from now.
    let criteria = magento::search::SearchCriteria::new()
        .filter("updated_at", "2000-01-01 00:00:00", "gteq")
        .filter("updated_at", "2100-01-01 00:00:00", "lt")
        .sort("updated_at", true)
        .sort("entity_id", true);
    let started = Instant::now();
    let (first, total) = client.orders_page_raw(criteria.clone(), 1).await?;
    let mut served = first.len();
    let mut pages = futures_util::stream::iter(2..=client.last_page(total))
        .map(|page| client.orders_page_raw(criteria.clone(), page))
        .buffer_unordered(4);
    while let Some(page) = pages.next().await {
        served += page?.0.len();
    }
    let per_s = served as f64 / started.elapsed().as_secs_f64();
    drop(pages);
    anyhow::ensure!(
        served as u64 == total && total >= 50_000,
        "paged {served} orders of {total}, expected every one of the 50k generated"
    );
    sandbox.stop().await;
    Ok(vec![Figure {
        name: "sandbox.orders_served_per_s",
        value: per_s,
        unit: "orders/s",
        target: ">=2500",
    }])
}

async fn generated_sandbox(
    products: usize,
    orders: usize,
) -> anyhow::Result<sandbox::RunningSandbox> {
    let options = sandbox::SandboxOptions {
        generate: Some(sandbox::GenerateSpec {
            products,
            orders,
            seed: 1,
        }),
        ..Default::default()
    };
    Ok(sandbox::start(([127, 0, 0, 1], 0).into(), options).await?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let wanted = |name: &str| {
        only.as_deref()
            .is_none_or(|prefix| name.starts_with(prefix))
    };
    if wanted("serve.") {
        for figure in serve_demo().await? {
            print(&figure);
        }
    }
    if wanted("database.") {
        for figure in database::large_statement().await? {
            print(&figure);
        }
    }
    if wanted("magento.") {
        for figure in signed_requests().await? {
            print(&figure);
        }
    }
    // A prefix naming one figure of a group still runs the group.
    let wanted_group = |group: &str| {
        only.as_deref()
            .is_none_or(|prefix| group.starts_with(prefix) || prefix.starts_with(group))
    };
    // Serving first: after the generation's memory is freed, the allocator of this
    // process served a third as fast (8,400 against 35,000 products/s), which a sandbox
    // in its own process never sees. The generation's peak memory (VmHWM) stays the
    // process's, since the served shop is smaller.
    if wanted("sandbox.products_served_per_s") {
        for figure in sandbox_products_served().await? {
            print(&figure);
        }
    }
    if wanted_group("sandbox.generate_100k_products_50k_orders") {
        for figure in sandbox_generation().await? {
            if wanted(figure.name) {
                print(&figure);
            }
        }
    }
    // After the generation figures: its own shop must not count in their peak memory.
    if wanted("sandbox.orders_served_per_s") {
        for figure in sandbox_orders_served().await? {
            print(&figure);
        }
    }
    if wanted_group("catalog.") {
        for figure in catalog::catalog_figures().await? {
            if wanted(figure.name) {
                print(&figure);
            }
        }
    }
    if wanted_group("orders.") {
        for figure in orders::order_figures().await? {
            if wanted(figure.name) {
                print(&figure);
            }
        }
    }
    if wanted_group("ledger.stock") {
        for figure in stock::stock_movements().await? {
            if wanted(figure.name) {
                print(&figure);
            }
        }
    }
    Ok(())
}
