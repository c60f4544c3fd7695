//! Wiring the processes: `serve` (API, and workers unless `--no-workers`) and
//! `worker` (workers only). Both stop gracefully on SIGINT/SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpServer, middleware, web};
use anyhow::Context as _;
use tokio::sync::watch;

use domain::Services;
use domain::channel::magento::import::orders::poll::OrderPollConfig;
use domain::events::EventHub;
use domain::jobs::ReaperConfig;
use domain::secrets::SecretBox;
use worker::{RedisTransport, TransportConfig, WorkerOptions};

use crate::config::Config;
use crate::graphql::{AppState, build_schema};
use crate::http::{HttpState, count_requests, routes};

/// A fixed key for `serve --demo` only, so a demo database survives restarts.
const DEMO_SECRET_KEYS: &str = "demo:c3RvY2ticmlkZ2UtZGVtby1rZXktbm90LWZvci1wcmQ=";

pub struct Stack {
    pub services: Services,
    pub transport: RedisTransport,
}

pub fn secret_box(config: &Config, demo: bool) -> anyhow::Result<SecretBox> {
    match (&config.secret_keys, demo) {
        (Some(spec), _) => Ok(SecretBox::from_config(spec)?),
        (None, true) => {
            tracing::warn!(
                "STOCKBRIDGE_SECRET_KEYS is not set: using the built-in DEMO key. Never use it for real stores."
            );
            Ok(SecretBox::from_config(DEMO_SECRET_KEYS)?)
        }
        (None, false) => anyhow::bail!(
            "STOCKBRIDGE_SECRET_KEYS is not set; generate one with `stockbridge secret-key` (or run `serve --demo`)"
        ),
    }
}

pub async fn stack(config: &Config, secrets: SecretBox) -> anyhow::Result<Stack> {
    let mut db = migration::database::prepare(&config.database_url, config.db_pool)
        .await
        .context("preparing the database")?;
    crate::metrics::count_statements(&mut db);
    let transport = RedisTransport::connect(&TransportConfig {
        redis_url: config.redis_url.clone(),
        namespace: config.redis_namespace.clone(),
    })
    .await
    .context("connecting to Redis")?;
    let services = Services {
        db,
        secrets: Arc::new(secrets),
        queue: Arc::new(transport.clone()),
        magento_timeout: config.magento_timeout(),
    };
    Ok(Stack {
        services,
        transport,
    })
}

/// Resolves on the first SIGINT or SIGTERM.
pub fn shutdown_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {},
            _ = term => {},
        }
        tracing::info!("shutdown requested");
        let _ = tx.send(true);
    });
    rx
}

pub async fn stopped(mut rx: watch::Receiver<bool>) {
    while !*rx.borrow() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

fn worker_options(config: &Config) -> WorkerOptions {
    WorkerOptions {
        concurrency: config.worker_concurrency,
        reaper: ReaperConfig {
            queued_after: Duration::from_secs(config.reaper_queued_after_secs),
            running_after: Duration::from_secs(config.reaper_running_after_secs.max(1)),
            interval: Duration::from_secs(config.reaper_interval_secs.max(1)),
        },
        order_poll: OrderPollConfig {
            interval: Duration::from_secs(config.order_poll_secs.max(1)),
            ..OrderPollConfig::default()
        },
        ..WorkerOptions::default()
    }
}

/// One JSON line on stdout, for scripts and tests.
pub fn announce(value: serde_json::Value) {
    println!("{value}");
}

pub async fn serve(config: Config, demo: bool, with_workers: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let shutdown = shutdown_signal();
    let Stack {
        services,
        transport,
    } = stack(&config, secret_box(&config, demo)?).await?;
    let listener = std::net::TcpListener::bind(config.bind)
        .with_context(|| format!("binding {}", config.bind))?;
    let address = listener.local_addr()?;
    let hub = EventHub::start(config.database_url.clone());
    let app = AppState {
        services: services.clone(),
        hub,
        public_url: config.public_url(address),
    };
    let state = HttpState {
        schema: build_schema(Some(app.clone())),
        app: app.clone(),
        redis: transport.connection(),
    };
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .wrap(middleware::from_fn(count_requests))
            .configure(routes)
    })
    .disable_signals()
    .workers(2)
    .listen(listener)?
    .run();
    let handle = server.handle();
    let server_task = tokio::spawn(server);

    let workers = with_workers.then(|| {
        let rx = shutdown.clone();
        tokio::spawn(worker::run_workers(
            services.clone(),
            transport.clone(),
            worker_options(&config),
            stopped(rx),
        ))
    });

    let mut demo_sandbox = None;
    if demo {
        demo_sandbox = Some(crate::demo::start(&services, &app.public_url).await?);
    }
    announce(serde_json::json!({
        "event": "listening",
        "address": address.to_string(),
        "graphql": format!("http://{address}/graphql"),
        "ready_after_ms": started.elapsed().as_millis() as u64,
    }));
    tracing::info!(%address, "Stockbridge is serving GraphQL at http://{address}/graphql");

    stopped(shutdown).await;
    handle.stop(true).await;
    let _ = server_task.await;
    if let Some(workers) = workers {
        match workers.await {
            Ok(Err(err)) => tracing::warn!(%err, "workers stopped with an error"),
            Err(err) => tracing::warn!(%err, "worker task panicked"),
            Ok(Ok(())) => {}
        }
    }
    if let Some(sandbox) = demo_sandbox {
        sandbox.stop().await;
    }
    Ok(())
}

pub async fn work(config: Config) -> anyhow::Result<()> {
    let shutdown = shutdown_signal();
    let Stack {
        services,
        transport,
    } = stack(&config, secret_box(&config, false)?).await?;
    announce(serde_json::json!({ "event": "worker_started" }));
    worker::run_workers(
        services,
        transport,
        worker_options(&config),
        stopped(shutdown),
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_built_in_demo_key_is_a_valid_key() {
        assert!(domain::secrets::SecretBox::from_config(super::DEMO_SECRET_KEYS).is_ok());
    }
}
