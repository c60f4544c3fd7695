//! The binary's HTTP surface and commands.

use serde_json::{Value, json};
use tests::{Env, Server, finished_job};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test]
async fn health_readiness_metrics_and_graphiql_answer() {
    let env = Env::new("http").await;
    let admin = env.api_key("Acme", "admin").await;
    let server = Server::start(&env, &["--no-workers"]).await;
    server
        .gql(Some(&admin))
        .data("{ stores { id } }", json!({}))
        .await;
    let http = reqwest::Client::new();

    let health = http
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let ready = http
        .get(server.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<Value>().await.expect("json"),
        json!({ "postgres": "ok", "redis": "ok" })
    );

    let metrics = http
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(
            "stockbridge_http_requests_total{method=\"POST\",route=\"/graphql\",status=\"200\"}"
        ),
        "{metrics}"
    );

    let graphiql = http
        .get(server.url("/graphql"))
        .send()
        .await
        .expect("graphiql");
    assert_eq!(graphiql.status(), 200);
    assert!(graphiql.text().await.expect("html").contains("graphiql"));
}

/// A TCP proxy to the real Redis that the test can cut.
async fn redis_proxy() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let task = tokio::spawn(async move {
        // Dropping the set (when this task is aborted) cuts every open connection.
        let mut connections = tokio::task::JoinSet::new();
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            connections.spawn(async move {
                if let Ok(mut redis) = tokio::net::TcpStream::connect("127.0.0.1:6379").await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut redis).await;
                }
            });
        }
    });
    (format!("redis://127.0.0.1:{port}"), task)
}

#[tokio::test]
async fn readiness_is_503_naming_redis_when_redis_goes_away() {
    let env = Env::new("ready503").await;
    let (url, proxy) = redis_proxy().await;
    let server = Server::start_with(&env, &["--no-workers"], &[("REDIS_URL", url.as_str())]).await;
    assert_eq!(
        reqwest::get(server.url("/readyz"))
            .await
            .expect("readyz")
            .status(),
        200
    );
    proxy.abort();
    let _ = proxy.await;
    let ready = reqwest::get(server.url("/readyz")).await.expect("readyz");
    assert_eq!(ready.status(), 503);
    assert_eq!(
        ready.json::<Value>().await.expect("json"),
        json!({ "postgres": "ok", "redis": "unreachable" })
    );
}

#[tokio::test]
async fn serve_refuses_to_start_without_redis() {
    let env = Env::new("noredis").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let dead = format!("redis://127.0.0.1:{port}");
    let output = env
        .command(&["serve", "--no-workers"])
        .env("REDIS_URL", &dead)
        .output()
        .await
        .expect("runs");
    assert!(
        !output.status.success(),
        "serve must not start without Redis"
    );
}

#[tokio::test]
async fn api_key_create_prints_the_key_alone_on_the_last_line_and_reuses_the_organisation() {
    let env = Env::new("apikey").await;
    let first = env.api_key("Acme", "admin").await;
    let second = env.api_key("Acme", "viewer").await;
    assert!(first.starts_with("sbk_") && second.starts_with("sbk_") && first != second);
    let server = Server::start(&env, &["--no-workers"]).await;
    let a = server
        .gql(Some(&first))
        .data("{ viewer { organizationId role } }", json!({}))
        .await;
    let b = server
        .gql(Some(&second))
        .data("{ viewer { organizationId role } }", json!({}))
        .await;
    assert_eq!(a["viewer"]["organizationId"], b["viewer"]["organizationId"]);
    assert_eq!(a["viewer"]["role"], "ADMIN");
    assert_eq!(b["viewer"]["role"], "VIEWER");
}

#[tokio::test]
async fn the_sandbox_command_prints_its_url_and_credentials_as_one_json_line() {
    let env = Env::new("sandboxcmd").await;
    let mut child = env
        .command(&["sandbox", "--port", "0"])
        .spawn()
        .expect("sandbox runs");
    let stdout = child.stdout.take().expect("stdout");
    let line = BufReader::new(stdout)
        .lines()
        .next_line()
        .await
        .expect("read")
        .expect("a line");
    let value: Value = serde_json::from_str(&line).expect("one JSON line");
    for field in [
        "base_url",
        "consumer_key",
        "consumer_secret",
        "access_token",
        "access_token_secret",
    ] {
        assert!(
            value[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field} in {value}"
        );
    }
    let client = signed_client(value["base_url"].as_str().expect("url"), &value);
    assert!(
        !client
            .store_views()
            .await
            .expect("signed call accepted")
            .is_empty()
    );
}

/// A Magento client for `base_url` with the four tokens named in `tokens`.
fn signed_client(base_url: &str, tokens: &Value) -> magento::MagentoClient {
    let token = |name: &str| tokens[name].as_str().expect(name).to_owned();
    let creds = magento::Credentials {
        consumer_key: token("consumer_key"),
        consumer_secret: token("consumer_secret"),
        access_token: token("access_token"),
        access_token_secret: token("access_token_secret"),
    };
    magento::MagentoClient::new(base_url, creds, Default::default()).expect("client")
}

#[tokio::test]
async fn serve_demo_seeds_an_organisation_and_connects_the_sandbox() {
    let env = Env::new("demo").await;
    let (server, demo) = Server::start_demo(&env).await;
    let key = demo["api_key"].as_str().expect("api key");
    let gql = server.gql(Some(key));
    let job = finished_job(&gql, demo["metadata_job_id"].as_str().expect("job id")).await;
    assert_eq!(job["state"], "SUCCEEDED", "{job}");
    let stores = gql
        .data(
            "{ stores { name stockMode storeViews { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(stores["stores"][0]["name"], "Demo Sandbox");
    assert_eq!(stores["stores"][0]["stockMode"], "MSI");
    let sandbox = signed_client(
        demo["sandbox_url"].as_str().expect("sandbox url"),
        &demo["sandbox_credentials"],
    );
    assert!(
        !sandbox
            .store_views()
            .await
            .expect("the demo's tokens sign calls its sandbox accepts")
            .is_empty()
    );

    let metrics = reqwest::get(server.url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("stockbridge_jobs{kind=\"STORE_METADATA_REFRESH\",state=\"succeeded\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("stockbridge_magento_requests_total{")
                && l.contains("endpoint=\"/V1/taxRates/search\"")
                && l.contains("outcome=\"200\"")),
        "Magento calls are counted by store, endpoint and outcome: {metrics}"
    );
}

#[tokio::test]
async fn migrate_creates_a_missing_database_and_is_idempotent() {
    let env = Env::new("migrate").await;
    let missing = format!("{}_new", env.database_url);
    for _ in 0..2 {
        let output = env
            .command(&["migrate"])
            .env("DATABASE_URL", &missing)
            .output()
            .await
            .expect("runs");
        assert!(output.status.success(), "migrate failed");
    }
    let db = sea_orm::Database::connect(&missing)
        .await
        .expect("the database now exists");
    use sea_orm::ConnectionTrait;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) FROM seaql_migrations".to_owned(),
        ))
        .await
        .expect("query")
        .expect("row");
    let every_migration = <migration::Migrator as migration::MigratorTrait>::migrations().len();
    assert_eq!(
        row.try_get_by_index::<i64>(0).expect("count"),
        every_migration as i64,
        "each migration applied once"
    );
    db.close().await.expect("close");
    migration::database::drop_test_database(&missing)
        .await
        .expect("drop");
}

#[tokio::test]
async fn serve_refuses_to_start_without_secret_keys_outside_the_demo() {
    let env = Env::new("nokeys").await;
    let mut command = env.command(&["serve", "--no-workers"]);
    command
        .env_remove("STOCKBRIDGE_SECRET_KEYS")
        .stderr(std::process::Stdio::piped());
    let output = command.output().await.expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("STOCKBRIDGE_SECRET_KEYS is not set"),
        "{stderr}"
    );
}
