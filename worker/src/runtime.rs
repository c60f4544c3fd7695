use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::{BackendExt, BoxDynError, Data, Monitor, WorkerBuilder, WorkerBuilderExt};

use domain::Services;
use domain::channel::magento::export::stock_push::{StockWatchConfig, run_stock_watch};
use domain::channel::magento::import::orders::poll::{OrderPollConfig, run_order_poller};
use domain::jobs::{ReaperConfig, RunOutcome, run_job, run_reaper};

use crate::transport::{JobMessage, RedisTransport};

#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Jobs one process runs at once.
    pub concurrency: usize,
    /// How often an idle worker asks Redis for work. apalis-redis parks idle workers
    /// until their next heartbeat (30 s) otherwise.
    pub poll_interval: Duration,
    pub reaper: ReaperConfig,
    /// The automatic stock push (one process at a time reads the log; see its docs).
    pub stock_watch: StockWatchConfig,
    /// The always-on order poller (`STOCKBRIDGE_ORDER_POLL_SECS`).
    pub order_poll: OrderPollConfig,
    /// How long in-flight jobs may take to finish on shutdown; what is still running
    /// then is taken back by a reaper once its heartbeat is stale.
    pub shutdown_timeout: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            poll_interval: Duration::from_millis(200),
            reaper: ReaperConfig::default(),
            stock_watch: StockWatchConfig::default(),
            order_poll: OrderPollConfig::default(),
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

async fn handle(message: JobMessage, services: Data<Arc<Services>>) -> Result<(), BoxDynError> {
    match run_job(&services, message.job_id).await {
        Ok(RunOutcome::Skipped) => tracing::debug!(job_id = %message.job_id, "delivery skipped"),
        Ok(outcome) => tracing::info!(job_id = %message.job_id, ?outcome, "job delivery finished"),
        // The row stays as it was; the reaper hands the job out again.
        Err(err) => tracing::error!(job_id = %message.job_id, %err, "job delivery failed"),
    }
    Ok(())
}

/// Runs the worker pool and the reaper until `shutdown` resolves, then lets in-flight
/// jobs finish (up to the timeout).
pub async fn run_workers(
    services: Services,
    transport: RedisTransport,
    options: WorkerOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), BoxDynError> {
    let reaper = tokio::spawn(run_reaper(services.clone(), options.reaper));
    let stock_watch = tokio::spawn(run_stock_watch(services.clone(), options.stock_watch));
    let order_poller = tokio::spawn(run_order_poller(services.clone(), options.order_poll));
    let services = Arc::new(services);
    // Unique per process: a restarted process must not collide with its own
    // still-registered predecessor.
    let name = format!(
        "stockbridge-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    );
    let concurrency = options.concurrency.max(1);
    let poll = options.poll_interval;
    let monitor = Monitor::new()
        .register(move |_restarts| {
            WorkerBuilder::new(name.as_str())
                .backend(transport.storage().poll_with_interval(poll))
                .concurrency(concurrency)
                .enable_tracing()
                .data(services.clone())
                .build(handle)
        })
        .shutdown_timeout(options.shutdown_timeout);
    let result = monitor
        .run_with_signal(async move {
            shutdown.await;
            Ok(())
        })
        .await;
    reaper.abort();
    stock_watch.abort();
    order_poller.abort();
    result.map_err(Into::into)
}
