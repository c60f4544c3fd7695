//! TCP_NODELAY on the pool's connections.
//!
//! sqlx 0.9.0 opens its TCP connections without TCP_NODELAY (transact-rs/sqlx#4335; the
//! fix, #4336, is merged but not released as of 0.9.0). Nagle's algorithm then holds the
//! tail of any message larger than one segment until the server's delayed ACK — 40 ms on
//! Linux. Measured on a catalog download: writing a page of 300 products took ~150 ms
//! over TCP and ~25 ms over the Unix socket, and the whole download 50 s against 25 s.
//! Until sqlx sets it, each new pooled connection sets it on this process's sockets
//! connected to the database's port. Remove this module with the sqlx release that
//! sets it itself.
//!
//! sqlx does not hand out its socket, so the sockets are found in `/proc/self/fd` and
//! reached through `pidfd_getfd` (a duplicate of the same socket), all in safe code.
//! Where that is not allowed (a seccomp profile without it) the connection works as
//! before, only slower; that is logged once.

use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::net::{SocketType, getpeername, sockopt};
use rustix::process::{PidfdFlags, PidfdGetfdFlags, getpid, pidfd_getfd, pidfd_open};

/// Sets TCP_NODELAY on this process's TCP sockets whose peer port is `port` and that
/// lack it; returns how many it changed.
pub fn set_on_sockets_to(port: u16) -> std::io::Result<usize> {
    let mut changed = 0;
    for socket in sockets_to(port)? {
        if !sockopt::tcp_nodelay(&socket)? {
            sockopt::set_tcp_nodelay(&socket, true)?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Whether each of this process's TCP sockets whose peer port is `port` has TCP_NODELAY.
pub fn nodelay_of_sockets_to(port: u16) -> std::io::Result<Vec<bool>> {
    sockets_to(port)?
        .iter()
        .map(|socket| Ok(sockopt::tcp_nodelay(socket)?))
        .collect()
}

/// Duplicates of this process's TCP sockets whose peer port is `port`.
fn sockets_to(port: u16) -> std::io::Result<Vec<OwnedFd>> {
    let me = pidfd_open(getpid(), PidfdFlags::empty())?;
    let mut sockets = Vec::new();
    for entry in std::fs::read_dir("/proc/self/fd")? {
        let Ok(entry) = entry else { continue };
        // An fd closed since the directory was read is simply gone.
        let Ok(target) = std::fs::read_link(entry.path()) else {
            continue;
        };
        if !target.to_string_lossy().starts_with("socket:") {
            continue;
        }
        let Some(raw) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let socket = pidfd_getfd(&me, raw, PidfdGetfdFlags::empty())?;
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
    Ok(sockets)
}

/// [`set_on_sockets_to`], logging (once per process) when the system does not allow it.
pub fn after_connect(port: u16) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if let Err(err) = set_on_sockets_to(port)
        && !WARNED.swap(true, Ordering::Relaxed)
    {
        tracing::warn!(
            %err,
            "could not turn on TCP_NODELAY for the database connections; statements larger \
             than one TCP segment may wait ~40 ms each (a Unix socket DATABASE_URL avoids it)"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn a_connection_to_the_port_gets_nodelay_and_others_are_left_alone() {
        let database = TcpListener::bind("127.0.0.1:0").expect("listener");
        let other = TcpListener::bind("127.0.0.1:0").expect("listener");
        let port = database.local_addr().expect("addr").port();
        let to_database =
            TcpStream::connect(database.local_addr().expect("addr")).expect("connect");
        let to_other = TcpStream::connect(other.local_addr().expect("addr")).expect("connect");
        assert!(!to_database.nodelay().expect("nodelay"));

        assert!(set_on_sockets_to(port).expect("allowed here") >= 1);

        assert!(to_database.nodelay().expect("nodelay"));
        assert!(!to_other.nodelay().expect("nodelay"));
        assert_eq!(
            set_on_sockets_to(port).expect("allowed here"),
            0,
            "already set"
        );
    }
}
