//! The job transport and the worker runtime: apalis on Redis carries job ids; the
//! handler decodes one, asks the domain to run it, and reports nothing back to apalis
//! but success, because our own rows hold the outcome, the attempt count and the
//! retry schedule (apalis-redis would otherwise retry 25 times on its own terms).

mod runtime;
mod transport;

pub use runtime::{WorkerOptions, run_workers};
pub use transport::{JobMessage, RedisTransport, TransportConfig};
