//! An in-memory Magento 2.4.7 admin REST API for development, demos and tests.
//!
//! It verifies OAuth 1.0a HMAC-SHA256 signatures the way Magento does and answers from a
//! small fixed catalogue of store metadata and orders. It knows nothing of Stockbridge.

mod attributes;
mod auth;
mod catalog;
mod control;
pub mod faults;
mod generate;
mod media;
mod notify;
mod orders;
mod packed;
mod query;
mod response;
mod routes;
mod sales;
mod search;
mod seed;
mod shop;
mod stock_items;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use magento::Credentials;
use rand::Rng as _;
use tokio::task::JoinHandle;

pub struct SandboxOptions {
    /// `None`: random Magento-like tokens (32 characters of `[0-9a-z]`).
    pub credentials: Option<Credentials>,
    /// `true`: the MSI modules are installed and `/V1/inventory/sources` exists; `false`:
    /// it answers 404 like a store running legacy stock.
    pub msi: bool,
    /// Added before every REST answer, like a slow shop (a store under load, a far
    /// region); zero by default.
    pub latency: std::time::Duration,
    /// Deterministic bulk data (products, customers, orders) added to the seeded shop at
    /// start; `None` by default.
    pub generate: Option<GenerateSpec>,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            credentials: None,
            msi: true,
            latency: std::time::Duration::ZERO,
            generate: None,
        }
    }
}

pub use faults::{FaultKind, FaultSpec};
pub use generate::{GenerateError, GenerateSpec, Generated};
pub use media::{MEDIA_LIBRARY, PRODUCT_MEDIA_PATH, solid_png};

pub(crate) struct State {
    pub faults: faults::Faults,
    pub stats: faults::Stats,
    pub msi: bool,
    pub latency: std::time::Duration,
    pub verifier: auth::Verifier,
    /// Store metadata (websites, store views, attribute sets, tax, sources): fixed.
    pub seed: seed::Seed,
    /// Everything the write routes and the control API change. Never held across an await.
    pub shop: std::sync::RwLock<shop::Shop>,
    /// Woken after an operation appended to `shop.events` and released the lock.
    pub events_recorded: tokio::sync::Notify,
    pub notifier: notify::Notifier,
    /// `webapi/validation/complex_array_limit`, set through the control API.
    pub input_limits: control::InputLimits,
}

pub struct RunningSandbox {
    /// `http://127.0.0.1:PORT`, the shop URL to give a client.
    pub base_url: String,
    pub credentials: Credentials,
    handle: Option<ServerHandle>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    notifier: JoinHandle<()>,
}

impl std::fmt::Debug for RunningSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSandbox")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl RunningSandbox {
    /// The URL the shop serves a product image at, by its gallery `file` path (as in
    /// [`MEDIA_LIBRARY`] or a product's `media_gallery_entries`).
    pub fn media_url(&self, file: &str) -> String {
        format!("{}{PRODUCT_MEDIA_PATH}{file}", self.base_url)
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the
    /// server to end.
    pub async fn stop(mut self) {
        self.notifier.abort();
        if let Some(handle) = self.handle.take() {
            handle.stop(true).await;
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSandbox {
    /// A sandbox dropped without `stop` (a failing test) still releases its port and worker.
    fn drop(&mut self) {
        self.notifier.abort();
        if let Some(handle) = self.handle.take() {
            // The stop command is sent when `stop` is called; the returned future only
            // waits for completion, which a destructor cannot do.
            drop(handle.stop(false));
        }
    }
}

fn random_token() -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    (0..32)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

fn random_credentials() -> Credentials {
    Credentials {
        consumer_key: random_token(),
        consumer_secret: random_token(),
        access_token: random_token(),
        access_token_secret: random_token(),
    }
}

/// Binds `bind` (port 0 picks a free port, reported in `base_url`), spawns the server on
/// the current tokio runtime and returns at once.
pub async fn start(bind: SocketAddr, options: SandboxOptions) -> std::io::Result<RunningSandbox> {
    let listener = std::net::TcpListener::bind(bind)?;
    let local = listener.local_addr()?;
    // A wildcard bind is reached through loopback; the URL must name a host clients can sign.
    let host = match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let base_url = format!("http://{}", SocketAddr::new(host, local.port()));
    let credentials = options.credentials.unwrap_or_else(random_credentials);
    let mut seed = seed::seed(&base_url, chrono::Utc::now());
    let mut shop = shop::Shop::from_seed(&mut seed);
    // Before the server starts, so no request sees a half-filled shop; it blocks this
    // task for the generation's few seconds.
    if let Some(spec) = &options.generate {
        let started = std::time::Instant::now();
        let generated = generate::generate(&mut shop, spec).map_err(std::io::Error::other)?;
        tracing::info!(?generated, elapsed = ?started.elapsed(), "sandbox data generated");
    }
    let state = web::Data::new(State {
        faults: faults::Faults::default(),
        stats: faults::Stats::default(),
        msi: options.msi,
        latency: options.latency,
        verifier: auth::Verifier::new(credentials.clone()),
        seed,
        shop: std::sync::RwLock::new(shop),
        events_recorded: tokio::sync::Notify::new(),
        notifier: notify::Notifier::new(),
        input_limits: control::InputLimits::default(),
    });

    let notifier = tokio::spawn(notify::run(state.clone()));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .default_service(web::to(routes::dispatch))
    })
    .workers(1)
    // The host process owns Ctrl-C; the sandbox stops when told to.
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?
    .run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    tracing::info!(%base_url, msi = options.msi, "Magento sandbox listening");
    Ok(RunningSandbox {
        base_url,
        credentials,
        handle: Some(handle),
        task: Some(task),
        notifier,
    })
}
