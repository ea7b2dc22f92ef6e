//! Shared state of a fleet: the app's access token, the lease that lets one
//! instance refresh it, the forced-refresh budget and rate-limit counters.
//!
//! [`MemoryStore`] keeps them in the process (the default, nothing to set
//! up); [`RedisStore`] (feature `redis`) shares them among every instance
//! of the app. Everything is keyed by app id, never by secret, so one store
//! serves several apps.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::Secret;
use crate::token::BoxFuture;

mod memory;
#[cfg(feature = "redis")]
mod redis;

pub use memory::MemoryStore;
#[cfg(feature = "redis")]
pub use redis::{RedisOptions, RedisStore};

/// An access token as a store keeps it. Times are Unix milliseconds, so
/// every instance reading it agrees on when it is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// The token.
    pub value: Secret,
    /// From then on the token is refreshed (it is still valid until `expires_at_ms`).
    pub refresh_at_ms: u64,
    /// When WeChat stops accepting it.
    pub expires_at_ms: u64,
}

/// Proof of holding an app's refresh lease; hand it back to release it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease(pub(crate) String);

impl Lease {
    /// A lease with an owner string unique to this process and moment.
    pub(crate) fn unique() -> Lease {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Lease(format!("{}-{}-{}", std::process::id(), now_ms(), NEXT.fetch_add(1, Ordering::Relaxed)))
    }

    /// The owner string, as kept in the store.
    pub fn owner(&self) -> &str {
        &self.0
    }
}

/// Whether a limited action may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowance {
    /// Yes; it has been counted.
    Granted,
    /// No; the limit allows it again after this long.
    Refused {
        /// Time until the limit allows it.
        retry_after: Duration,
    },
}

/// How often the token may be force-refreshed, for the whole app.
///
/// WeChat's stable-token endpoint documents at most 20 forced refreshes a
/// day, at least 30 s apart; those are the defaults. Days are counted in
/// Beijing time (UTC+8), as WeChat's daily quotas are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForceRefreshLimits {
    /// Forced refreshes per day.
    pub per_day: u32,
    /// The least time between two forced refreshes.
    pub min_interval: Duration,
}

impl Default for ForceRefreshLimits {
    fn default() -> Self {
        ForceRefreshLimits { per_day: 20, min_interval: Duration::from_secs(30) }
    }
}

/// A documented call limit: `calls` per `period`, counted in windows
/// aligned to Beijing time (whole minutes, hours or days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateLimit {
    /// Calls allowed per window.
    pub calls: u64,
    /// The window length.
    pub period: Duration,
}

impl RateLimit {
    /// `calls` per `seconds`.
    pub const fn per_seconds(calls: u64, seconds: u64) -> RateLimit {
        RateLimit { calls, period: Duration::from_secs(seconds) }
    }
}

/// A store that could not be reached or answered nonsense.
#[derive(Debug, Clone)]
pub struct StoreError {
    message: String,
}

impl StoreError {
    /// A store failure, described without secrets.
    pub fn new(message: impl Into<String>) -> StoreError {
        StoreError { message: message.into() }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the shared store failed: {}", self.message)
    }
}

impl std::error::Error for StoreError {}

/// Where a fleet keeps an app's access token and refresh coordination.
///
/// The client keeps its own copy of the token in the process and goes to
/// the store only to refresh it, so a store round trip is not on the path
/// of every call. When the store fails, the client carries on with an
/// in-process store and warns; it tries the store again a second later.
pub trait TokenStore: Send + Sync + 'static {
    /// The app's token, if one is stored and not yet expired.
    fn load<'a>(&'a self, app_id: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>>;

    /// Stores a freshly fetched token (done only by the lease holder).
    fn save<'a>(&'a self, app_id: &'a str, token: &'a StoredToken) -> BoxFuture<'a, Result<(), StoreError>>;

    /// WeChat rejected `failed`: drop it if it is still the stored token
    /// (another instance may have replaced it already, and that one must
    /// stay), and remember it among the rejected ones.
    fn invalidate<'a>(&'a self, app_id: &'a str, failed: &'a Secret) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Whether `token` was reported rejected by any instance.
    fn is_rejected<'a>(&'a self, app_id: &'a str, token: &'a Secret) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Takes the app's refresh lease for `ttl` if no one holds it.
    fn try_lease<'a>(&'a self, app_id: &'a str, ttl: Duration) -> BoxFuture<'a, Result<Option<Lease>, StoreError>>;

    /// Gives the lease back, if it is still ours (it may have lapsed).
    fn release<'a>(&'a self, app_id: &'a str, lease: &'a Lease) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Counts one forced refresh against the app's budget, or says when
    /// the budget allows the next.
    fn take_force_refresh<'a>(&'a self, app_id: &'a str, limits: ForceRefreshLimits) -> BoxFuture<'a, Result<Allowance, StoreError>>;
}

/// Where call counters for rate limits are kept.
pub trait RateLimitStore: Send + Sync + 'static {
    /// Counts one call under `key` against `limit` in the current window,
    /// or says when the next window opens.
    fn acquire<'a>(&'a self, key: &'a str, limit: RateLimit) -> BoxFuture<'a, Result<Allowance, StoreError>>;
}

/// Where a fleet remembers what it has seen once, so that each instance
/// refuses what another one already took: the nonces of pushes
/// ([`PushReceiver::nonce_store`](crate::receive::PushReceiver::nonce_store)).
pub trait NonceStore: Send + Sync + 'static {
    /// Records `key` for `ttl`: `true` when it was not recorded already.
    fn first_sighting<'a>(&'a self, key: &'a str, ttl: Duration) -> BoxFuture<'a, Result<bool, StoreError>>;
}

/// Whether a shared store is answering: after a failure it is left alone
/// for a second (calls carry on in the process), then tried again. Logs
/// one warning when it goes away and one when it is back.
pub(crate) struct StoreHealth {
    what: &'static str,
    down_until: Mutex<Option<Instant>>,
}

/// After a store failure, how long it is left alone.
const STORE_RETRY_AFTER: Duration = Duration::from_secs(1);

impl StoreHealth {
    /// Health of the store used for `what` (e.g. "token").
    pub fn new(what: &'static str) -> StoreHealth {
        StoreHealth { what, down_until: Mutex::new(None) }
    }

    fn down_until(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.down_until.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether to ask the store now.
    fn usable(&self) -> bool {
        !matches!(*self.down_until(), Some(until) if Instant::now() < until)
    }

    /// Asks the shared store (`ask`) unless it failed a moment ago, and
    /// answers from in-process state (`fallback`) when it cannot.
    pub async fn ask<T, F>(&self, ask: impl FnOnce() -> F, fallback: impl FnOnce() -> T) -> T
    where
        F: std::future::Future<Output = Result<T, StoreError>>,
    {
        if self.usable() {
            match ask().await {
                Ok(value) => {
                    self.answered();
                    return value;
                }
                Err(error) => self.failed(&error),
            }
        }
        fallback()
    }

    /// The store failed.
    fn failed(&self, error: &StoreError) {
        let mut down = self.down_until();
        if down.is_none() {
            tracing::warn!(store = self.what, %error, "the shared store is unreachable; carrying on with in-process state");
        } else {
            tracing::debug!(store = self.what, %error, "the shared store is still unreachable");
        }
        *down = Some(Instant::now() + STORE_RETRY_AFTER);
    }

    /// The store answered.
    fn answered(&self) {
        if self.down_until().take().is_some() {
            tracing::warn!(store = self.what, "the shared store is reachable again");
        }
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Seconds since the Unix epoch (WeChat's timestamps).
pub(crate) fn now_secs() -> u64 {
    now_ms() / 1000
}

/// Beijing time's offset from UTC: WeChat's days and minutes.
const BEIJING_OFFSET_MS: u64 = 8 * 3600 * 1000;

/// The window `at_ms` falls in, for windows of `period` aligned to
/// Beijing time, and the time left until the next one.
pub(crate) fn window(at_ms: u64, period: Duration) -> (u64, Duration) {
    let period_ms = (period.as_millis() as u64).max(1);
    let local = at_ms + BEIJING_OFFSET_MS;
    let index = local / period_ms;
    (index, Duration::from_millis((index + 1) * period_ms - local))
}

const DAY: Duration = Duration::from_secs(86_400);

/// The Beijing day of `at_ms` and the time left in it.
pub(crate) fn day(at_ms: u64) -> (u64, Duration) {
    window(at_ms, DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_aligned_to_beijing_time() {
        // 2026-11-29 15:59:59.500 UTC is 23:59:59.500 in Beijing.
        let at = 1_795_967_999_500;
        let (today, left) = day(at);
        assert_eq!(left, Duration::from_millis(500));
        let (tomorrow, left) = day(at + 500);
        assert_eq!(tomorrow, today + 1);
        assert_eq!(left, DAY);
        let (minute, left) = window(at, Duration::from_secs(60));
        assert_eq!(left, Duration::from_millis(500));
        assert_eq!(window(at + 499, Duration::from_secs(60)).0, minute);
        assert_eq!(window(at + 500, Duration::from_secs(60)).0, minute + 1);
    }
}
