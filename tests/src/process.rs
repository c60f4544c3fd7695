use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// One test's isolated world: a fresh database and a Redis namespace.
pub struct Env {
    pub database_url: String,
    pub redis_url: String,
    pub redis_namespace: String,
    pub secret_keys: String,
}

fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The `stockbridge` binary next to this test executable (README's test command
/// builds it first).
pub fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let mut dir = exe.parent().expect("target dir");
    // Test executables live in target/<profile>/deps, binaries in target/<profile>.
    if dir.ends_with("deps") {
        dir = dir.parent().expect("profile dir");
    }
    let path = dir.join("stockbridge");
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build -p api --bin stockbridge`",
        path.display()
    );
    path
}

impl Env {
    pub async fn new(label: &str) -> Self {
        let database_url = migration::database::fresh_test_database(&server_url(), label)
            .await
            .expect("a fresh test database");
        let id = uuid::Uuid::new_v4().simple().to_string();
        Self {
            database_url,
            redis_url: std::env::var("TEST_REDIS_URL")
                .unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
            redis_namespace: format!("sbtest:{}:", &id[..12]),
            secret_keys: domain::secrets::SecretBox::generate_config_entry("test"),
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(binary());
        cmd.args(args)
            .env("DATABASE_URL", &self.database_url)
            .env("REDIS_URL", &self.redis_url)
            .env("STOCKBRIDGE_REDIS_NAMESPACE", &self.redis_namespace)
            .env("STOCKBRIDGE_SECRET_KEYS", &self.secret_keys)
            .env("STOCKBRIDGE_BIND", "127.0.0.1:0")
            .env("STOCKBRIDGE_DB_POOL", "5")
            .env(
                "RUST_LOG",
                std::env::var("TEST_RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        cmd
    }

    /// `stockbridge api-key create`; returns the key (the last stdout line).
    pub async fn api_key(&self, org: &str, role: &str) -> String {
        let output = self
            .command(&["api-key", "create", "--org", org, "--role", role])
            .output()
            .await
            .expect("api-key create runs");
        assert!(output.status.success(), "api-key create failed");
        let stdout = String::from_utf8(output.stdout).expect("utf-8");
        stdout.lines().last().expect("a key").trim().to_owned()
    }

    /// Deletes every Redis key of this test's namespace, as if Redis lost them.
    pub async fn flush_redis_namespace(&self) {
        delete_namespace(&self.redis_url, &self.redis_namespace).await;
    }

    pub async fn db(&self) -> sea_orm::DatabaseConnection {
        sea_orm::Database::connect(&self.database_url)
            .await
            .expect("test database")
    }
}

async fn delete_namespace(redis_url: &str, namespace: &str) {
    let Ok(client) = redis::Client::open(redis_url) else {
        return;
    };
    let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
        return;
    };
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{namespace}*"))
        .query_async(&mut conn)
        .await
        .unwrap_or_default();
    if !keys.is_empty() {
        let _: Result<(), _> = redis::cmd("DEL").arg(keys).query_async(&mut conn).await;
    }
}

impl Drop for Env {
    /// Drops the test's database and Redis keys (processes still connected are cut off).
    fn drop(&mut self) {
        let database_url = self.database_url.clone();
        let redis_url = self.redis_url.clone();
        let namespace = self.redis_namespace.clone();
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Err(err) = migration::database::drop_test_database(&database_url).await {
                    eprintln!("could not drop {database_url}: {err}");
                }
                delete_namespace(&redis_url, &namespace).await;
            });
        });
        let _ = cleanup.join();
    }
}

/// Reads the child's stdout lines until one is a JSON object with `event == wanted`.
async fn wait_for_event(
    child: &mut Child,
    wanted: &str,
) -> (serde_json::Value, Vec<serde_json::Value>) {
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = Vec::new();
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("stdout") {
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(&line) {
                seen.push(value.clone());
                if value["event"] == wanted {
                    return Some(value);
                }
            }
        }
        None
    })
    .await
    .expect("the process announced itself in time")
    .unwrap_or_else(|| panic!("the process exited before announcing {wanted}"));
    // Keep draining so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (found, seen)
}

/// A running `stockbridge serve`.
pub struct Server {
    pub child: Child,
    pub address: String,
    pub announcements: Vec<serde_json::Value>,
}

impl Server {
    pub async fn start(env: &Env, extra_args: &[&str]) -> Self {
        Self::start_with(env, extra_args, &[]).await
    }

    pub async fn start_with(env: &Env, extra_args: &[&str], vars: &[(&str, &str)]) -> Self {
        let mut args = vec!["serve"];
        args.extend_from_slice(extra_args);
        let mut cmd = env.command(&args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        Self::spawn(cmd).await
    }

    /// Runs a prepared `serve` command until it announces its address.
    pub async fn spawn(mut cmd: tokio::process::Command) -> Self {
        let mut child = cmd.spawn().expect("serve starts");
        let (listening, seen) = wait_for_event(&mut child, "listening").await;
        let address = listening["address"].as_str().expect("address").to_owned();
        Self {
            child,
            address,
            announcements: seen,
        }
    }

    /// `serve --demo` as a newcomer runs it (no secret keys configured: the demo uses
    /// its built-in one); returns the server and its `demo_ready` announcement.
    pub async fn start_demo(env: &Env) -> (Self, serde_json::Value) {
        let mut command = env.command(&["serve", "--demo"]);
        command.env_remove("STOCKBRIDGE_SECRET_KEYS");
        let server = Self::spawn(command).await;
        let demo = server
            .announcements
            .iter()
            .find(|v| v["event"] == "demo_ready")
            .expect("demo_ready is announced before listening")
            .clone();
        (server, demo)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/graphql/ws", self.address)
    }

    pub fn gql(&self, key: Option<&str>) -> crate::Gql {
        crate::Gql::new(self.url("/graphql"), key.map(str::to_owned))
    }

    /// Sends SIGTERM and waits for a graceful exit.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        tokio::time::timeout(Duration::from_secs(40), self.child.wait())
            .await
            .expect("stopped within the shutdown timeout")
            .expect("exit status")
    }
}

/// A running `stockbridge worker` (a separate process from the API).
pub struct WorkerProcess {
    pub child: Child,
}

impl WorkerProcess {
    pub async fn start(env: &Env, vars: &[(&str, &str)]) -> Self {
        let mut cmd = env.command(&["worker"]);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("worker starts");
        wait_for_event(&mut child, "worker_started").await;
        Self { child }
    }
}
