//! The pool's TCP connections to PostgreSQL carry TCP_NODELAY. sqlx sets it itself from
//! 0.9.1 on; 0.9.0 did not, and Nagle's algorithm with the server's delayed ACK then
//! added ~40 ms to every statement larger than one TCP segment (a catalogue download
//! ran twice as long). This test keeps a downgrade, or a pool built some other way, from
//! bringing that back unseen.
#![cfg(target_os = "linux")]

use std::net::SocketAddr;
use std::os::fd::OwnedFd;

use migration::database::{drop_test_database, fresh_test_database, prepare};
use rustix::net::{SocketType, getpeername, sockopt};
use rustix::process::{PidfdFlags, PidfdGetfdFlags, getpid, pidfd_getfd, pidfd_open};
use sea_orm::ConnectionTrait;

/// Duplicates of this process's TCP sockets whose peer port is `port`: sqlx does not
/// hand out its sockets, so they are found in `/proc/self/fd` and reached through
/// `pidfd_getfd`, in safe code.
fn sockets_to(port: u16) -> Vec<OwnedFd> {
    let me = pidfd_open(getpid(), PidfdFlags::empty()).expect("pidfd_open");
    let mut sockets = Vec::new();
    for entry in std::fs::read_dir("/proc/self/fd").expect("/proc/self/fd") {
        let Ok(entry) = entry else { continue };
        let Ok(target) = std::fs::read_link(entry.path()) else {
            continue;
        };
        if !target.to_string_lossy().starts_with("socket:") {
            continue;
        }
        let Some(raw) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let Ok(socket) = pidfd_getfd(&me, raw, PidfdGetfdFlags::empty()) else {
            continue;
        };
        let to_port = sockopt::socket_type(&socket).is_ok_and(|t| t == SocketType::STREAM)
            && getpeername(&socket)
                .ok()
                .flatten()
                .and_then(|peer| SocketAddr::try_from(peer).ok())
                .is_some_and(|peer| peer.port() == port);
        if to_port {
            sockets.push(socket);
        }
    }
    sockets
}

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

    let nodelay: Vec<bool> = sockets_to(port)
        .iter()
        .map(|socket| sockopt::tcp_nodelay(socket).expect("getsockopt"))
        .collect();
    assert!(nodelay.len() >= 4, "{nodelay:?}");
    assert!(nodelay.iter().all(|on| *on), "{nodelay:?}");

    db.close().await.expect("closed");
    drop_test_database(&url).await.expect("dropped");
}
