//! Fault injection, like a real shop's bad days: latency, 429 with Retry-After,
//! 5xx from PHP or a gateway, dropped connections, hung requests, malformed JSON. Faults
//! match REST endpoints by service path prefix and fire for a number of requests or at
//! a rate (deterministic, so a test run repeats itself).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer normally after `latency_ms`.
    Latency,
    /// 429 Too Many Requests with `Retry-After: retry_after` seconds.
    Throttle,
    /// `status` (500, 502, 503, 504…) with the body a PHP error or a gateway renders.
    Status,
    /// Close the connection without a complete answer.
    Drop,
    /// Never answer in time (hang for `latency_ms`, default two minutes).
    Timeout,
    /// 200 with a body that is not valid JSON.
    MalformedJson,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultSpec {
    /// A service path prefix after `V1/` (`taxRates/search`, `store/`), with or without
    /// the leading `/V1/`; `*` matches every endpoint.
    pub endpoint: String,
    pub kind: FaultKind,
    /// Fire for this many matching requests, then stop.
    #[serde(default)]
    pub count: Option<u32>,
    /// Fire for this share of matching requests (0–1); with `count`, both apply.
    #[serde(default)]
    pub rate: Option<f64>,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub retry_after: Option<u64>,
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// Strike after the service ran: a write is applied, then its answer is lost (the
    /// case a client must check before repeating a write). Off: the request never runs.
    #[serde(default)]
    pub after_processing: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct FaultState {
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// How many requests it fired for so far.
    pub fired: u32,
}

/// What the router does with a request a fault caught.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Delay(Duration),
    Respond {
        status: u16,
        retry_after: Option<u64>,
    },
    Drop,
    Hang(Duration),
    Malformed,
}

#[derive(Default)]
pub struct Faults {
    active: Mutex<Vec<FaultState>>,
    rng: AtomicU64,
}

fn normalise(endpoint: &str) -> String {
    endpoint
        .trim()
        .trim_start_matches('/')
        .trim_start_matches("V1/")
        .to_owned()
}

impl Faults {
    pub fn add(&self, mut spec: FaultSpec) -> Result<(), String> {
        if spec.rate.is_some_and(|r| !(0.0..=1.0).contains(&r)) {
            return Err("rate is a share from 0 to 1".into());
        }
        if spec.kind == FaultKind::Status && !spec.status.is_some_and(|s| (400..600).contains(&s)) {
            return Err("a status fault needs a status from 400 to 599".into());
        }
        spec.endpoint = normalise(&spec.endpoint);
        self.lock().push(FaultState { spec, fired: 0 });
        Ok(())
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    pub fn list(&self) -> Vec<FaultState> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultState>> {
        match self.active.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// xorshift64*: enough to spread rate faults, and reproducible from run to run.
    fn next_unit(&self) -> f64 {
        let mut x = self.rng.load(Ordering::Relaxed);
        if x == 0 {
            x = 0x9E37_79B9_7F4A_7C15;
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.store(x, Ordering::Relaxed);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The first matching fault that fires for this request, if any, and whether it
    /// strikes after the service ran.
    pub fn take(&self, service_path: &str) -> Option<(Action, bool)> {
        let mut active = self.lock();
        for fault in active.iter_mut() {
            let spec = &fault.spec;
            let matches = spec.endpoint == "*" || service_path.starts_with(&spec.endpoint);
            if !matches || spec.count.is_some_and(|c| fault.fired >= c) {
                continue;
            }
            if let Some(rate) = spec.rate
                && self.next_unit() >= rate
            {
                continue;
            }
            fault.fired += 1;
            let latency = spec.latency_ms.map(Duration::from_millis);
            let action = match spec.kind {
                FaultKind::Latency => Action::Delay(latency.unwrap_or(Duration::from_millis(500))),
                FaultKind::Throttle => Action::Respond {
                    status: 429,
                    retry_after: Some(spec.retry_after.unwrap_or(1)),
                },
                FaultKind::Status => Action::Respond {
                    status: spec.status.unwrap_or(503),
                    retry_after: spec.retry_after,
                },
                FaultKind::Drop => Action::Drop,
                FaultKind::Timeout => Action::Hang(latency.unwrap_or(Duration::from_secs(120))),
                FaultKind::MalformedJson => Action::Malformed,
            };
            return Some((action, spec.after_processing));
        }
        None
    }
}

/// Requests served and the most that were in flight at once.
#[derive(Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
}

pub struct InFlight<'a>(&'a Stats);

impl Stats {
    pub fn enter(&self) -> InFlight<'_> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(self)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(endpoint: &str, kind: FaultKind, count: Option<u32>) -> FaultSpec {
        FaultSpec {
            endpoint: endpoint.into(),
            kind,
            count,
            rate: None,
            status: Some(503),
            retry_after: None,
            latency_ms: None,
            after_processing: false,
        }
    }

    #[test]
    fn a_counted_fault_fires_that_many_times_on_matching_endpoints_only() {
        let faults = Faults::default();
        faults
            .add(spec("/V1/taxRates/search", FaultKind::Status, Some(2)))
            .expect("valid");
        assert_eq!(faults.take("store/websites"), None);
        let fired = Action::Respond {
            status: 503,
            retry_after: None,
        };
        assert_eq!(faults.take("taxRates/search"), Some((fired.clone(), false)));
        assert_eq!(faults.take("taxRates/search"), Some((fired, false)));
        assert_eq!(faults.take("taxRates/search"), None);
        assert_eq!(faults.list()[0].fired, 2);
    }

    #[test]
    fn a_rate_fault_fires_for_about_that_share_and_repeats_from_run_to_run() {
        let run = || {
            let faults = Faults::default();
            faults
                .add(FaultSpec {
                    rate: Some(0.3),
                    ..spec("*", FaultKind::Drop, None)
                })
                .expect("valid");
            (0..1000)
                .filter(|_| faults.take("orders").is_some())
                .count()
        };
        let fired = run();
        assert!((250..350).contains(&fired), "{fired}");
        assert_eq!(fired, run());
    }

    #[test]
    fn nonsense_faults_are_refused() {
        let faults = Faults::default();
        assert!(
            faults
                .add(FaultSpec {
                    rate: Some(2.0),
                    ..spec("*", FaultKind::Drop, None)
                })
                .is_err()
        );
        assert!(
            faults
                .add(FaultSpec {
                    status: Some(200),
                    ..spec("*", FaultKind::Status, None)
                })
                .is_err()
        );
    }
}
