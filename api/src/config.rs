//! Configuration from the environment, with defaults that work against a local
//! PostgreSQL and Redis.

use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// PostgreSQL URL; the database is created when missing and migrated at start.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/stockbridge"
    )]
    pub database_url: String,
    /// Redis URL; a `/N` database index is honoured.
    #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,
    /// Prefix for every Redis key this deployment writes.
    #[arg(long, env = "STOCKBRIDGE_REDIS_NAMESPACE", default_value = "")]
    pub redis_namespace: String,
    /// Address the HTTP server binds (port 0 picks a free port; the chosen address is
    /// printed on stdout as JSON).
    #[arg(long, env = "STOCKBRIDGE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// `ID:BASE64KEY[,ID:BASE64KEY…]`, 32-byte keys; the first encrypts, all decrypt.
    #[arg(long, env = "STOCKBRIDGE_SECRET_KEYS", hide_env_values = true)]
    pub secret_keys: Option<String>,
    /// Database connections per process.
    #[arg(long, env = "STOCKBRIDGE_DB_POOL", default_value_t = 16)]
    pub db_pool: u32,
    /// Jobs one process runs at once.
    #[arg(long, env = "STOCKBRIDGE_WORKER_CONCURRENCY", default_value_t = 4)]
    pub worker_concurrency: usize,
    /// Seconds a queued job may wait before the reaper checks its queue entry.
    #[arg(
        long,
        env = "STOCKBRIDGE_REAPER_QUEUED_AFTER_SECS",
        default_value_t = 60
    )]
    pub reaper_queued_after_secs: u64,
    /// Seconds without a heartbeat after which a running job counts as abandoned (its
    /// worker died) and is handed out again.
    #[arg(
        long,
        env = "STOCKBRIDGE_REAPER_RUNNING_AFTER_SECS",
        default_value_t = 120
    )]
    pub reaper_running_after_secs: u64,
    /// Seconds between reaper passes.
    #[arg(long, env = "STOCKBRIDGE_REAPER_INTERVAL_SECS", default_value_t = 15)]
    pub reaper_interval_secs: u64,
    /// Seconds between two polls of each store's orders (the poller that captures every
    /// order even when no notification arrives).
    #[arg(long, env = "STOCKBRIDGE_ORDER_POLL_SECS", default_value_t = 30)]
    pub order_poll_secs: u64,
    /// Where Magento reaches this server, for the webhook URL a store shows (default:
    /// `http://` and the bind address).
    #[arg(long, env = "STOCKBRIDGE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Timeout of one Magento request, in seconds.
    #[arg(long, env = "STOCKBRIDGE_MAGENTO_TIMEOUT_SECS", default_value_t = 30)]
    pub magento_timeout_secs: u64,
}

impl Config {
    /// The base URL Magento posts notifications to, without a trailing slash.
    pub fn public_url(&self, bound: std::net::SocketAddr) -> String {
        match self
            .public_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{bound}"),
        }
    }

    pub fn magento_timeout(&self) -> Duration {
        Duration::from_secs(self.magento_timeout_secs.max(1))
    }
}
