//! Surviving a store's bad moments: retries with exponential backoff and jitter (or the
//! store's own Retry-After), and per-store limits on concurrent requests and request
//! rate, shared by every client of that store in this process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// How often and how patiently a failed request is tried again. Only failures that
/// may heal by themselves are retried (see `MagentoError::is_retryable`), each attempt
/// signed afresh.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Delay after the first failure; doubled after each further one.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A store asking for more than this with Retry-After gets this.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The pause after failed attempt `attempt` (1-based). `jitter` in `[0, 1)` spreads
    /// retries of many workers over the upper half of the backoff window, so they do not
    /// hit a recovering store in lockstep.
    pub fn delay(&self, attempt: u32, retry_after_seconds: Option<u64>, jitter: f64) -> Duration {
        if let Some(seconds) = retry_after_seconds {
            return Duration::from_secs(seconds).min(self.max_retry_after);
        }
        let doubling = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        let backoff = self.base_delay.saturating_mul(doubling).min(self.max_delay);
        backoff.mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
    }
}

/// Per-store request limits. They hold per process: several worker processes each
/// apply them on their own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreLimits {
    /// Requests in flight at once.
    pub max_concurrent: usize,
    /// Requests started per second; 0 means no limit.
    pub requests_per_second: u32,
}

impl Default for StoreLimits {
    fn default() -> Self {
        Self {
            max_concurrent: 4,
            requests_per_second: 20,
        }
    }
}

/// Reserves the next start slot: requests start at least `spacing` apart. Returns how
/// long the caller waits for its slot.
fn reserve(next_free: &mut Instant, now: Instant, spacing: Duration) -> Duration {
    let slot = (*next_free).max(now);
    *next_free = slot + spacing;
    slot - now
}

pub(crate) struct Limiter {
    limits: StoreLimits,
    in_flight: Arc<Semaphore>,
    next_free: Mutex<Instant>,
}

impl Limiter {
    fn new(limits: StoreLimits) -> Self {
        Self {
            in_flight: Arc::new(Semaphore::new(limits.max_concurrent.max(1))),
            next_free: Mutex::new(Instant::now()),
            limits,
        }
    }

    /// Waits for a free request slot and the next start time; the permit frees the slot
    /// when dropped.
    pub(crate) async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        let permit = self.in_flight.clone().acquire_owned().await.ok();
        if self.limits.requests_per_second > 0 {
            let spacing = Duration::from_secs(1) / self.limits.requests_per_second;
            let wait = match self.next_free.lock() {
                Ok(mut next) => reserve(&mut next, Instant::now(), spacing),
                Err(poisoned) => reserve(&mut poisoned.into_inner(), Instant::now(), spacing),
            };
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        permit
    }
}

/// The limiter of a store, shared by every client built for it in this process (jobs
/// build their own clients, the limits must still hold across them).
pub(crate) fn limiter_for(store: &str, limits: &StoreLimits) -> Arc<Limiter> {
    static LIMITERS: OnceLock<Mutex<HashMap<String, Arc<Limiter>>>> = OnceLock::new();
    let registry = LIMITERS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = match registry.lock() {
        Ok(map) => map,
        Err(poisoned) => poisoned.into_inner(),
    };
    match map.get(store) {
        Some(existing) if existing.limits == *limits => existing.clone(),
        // New store, or its limits were reconfigured.
        _ => {
            let limiter = Arc::new(Limiter::new(limits.clone()));
            map.insert(store.to_owned(), limiter.clone());
            limiter
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_its_jitter_window_and_is_capped() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(1, None, 0.0), Duration::from_millis(125));
        assert_eq!(policy.delay(1, None, 0.999_999).as_millis(), 249);
        assert_eq!(policy.delay(3, None, 0.0), Duration::from_millis(500));
        assert_eq!(policy.delay(30, None, 0.0), Duration::from_secs(4));
        assert!(policy.delay(30, None, 0.999) <= Duration::from_secs(8));
    }

    #[test]
    fn retry_after_wins_over_backoff_up_to_its_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(1, Some(7), 0.5), Duration::from_secs(7));
        assert_eq!(policy.delay(1, Some(3600), 0.5), Duration::from_secs(60));
    }

    #[test]
    fn request_starts_are_spaced_by_the_rate() {
        let start = Instant::now();
        let mut next = start;
        let spacing = Duration::from_millis(100);
        let waits: Vec<Duration> = (0..4).map(|_| reserve(&mut next, start, spacing)).collect();
        assert_eq!(waits, [0, 100, 200, 300].map(Duration::from_millis));
        // After a quiet spell, the next request starts at once.
        let later = start + Duration::from_secs(5);
        assert_eq!(reserve(&mut next, later, spacing), Duration::ZERO);
    }

    #[test]
    fn clients_of_one_store_share_a_limiter_until_its_limits_change() {
        let limits = StoreLimits {
            max_concurrent: 2,
            requests_per_second: 0,
        };
        let a = limiter_for("store-shared-test", &limits);
        let b = limiter_for("store-shared-test", &limits);
        assert!(Arc::ptr_eq(&a, &b));
        let other = limiter_for(
            "store-shared-test",
            &StoreLimits {
                max_concurrent: 3,
                requests_per_second: 0,
            },
        );
        assert!(!Arc::ptr_eq(&a, &other));
    }
}
