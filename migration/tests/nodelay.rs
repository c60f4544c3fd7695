//! The pool's TCP connections to PostgreSQL carry TCP_NODELAY (see `migration::nodelay`).
#![cfg(target_os = "linux")]

use migration::database::{drop_test_database, fresh_test_database, prepare};
use sea_orm::ConnectionTrait;

#[tokio::test]
async fn every_pooled_tcp_connection_has_nodelay() {
    let server = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let url = fresh_test_database(&server, "nodelay")
        .await
        .expect("a fresh database");
    let port = url::Url::parse(&url).expect("url").port().unwrap_or(5432);
    let db = prepare(&url, 4).await.expect("pool");
    // Four statements at once make the pool open all four connections.
    let sleeps = (0..4).map(|_| db.execute_unprepared("SELECT pg_sleep(0.2)"));
    for slept in futures_util::future::join_all(sleeps).await {
        slept.expect("statement");
    }

    let nodelay = migration::nodelay::nodelay_of_sockets_to(port).expect("sockets");
    assert!(nodelay.len() >= 4, "{nodelay:?}");
    assert!(nodelay.iter().all(|on| *on), "{nodelay:?}");

    db.close().await.expect("closed");
    drop_test_database(&url).await.expect("dropped");
}
