//! The in-process store: the default, and the fallback while a shared
//! store is unreachable.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{
    Allowance, ForceRefreshLimits, Lease, NonceStore, RateLimit, RateLimitStore, StoreError, StoredToken, TokenStore, day, now_ms, window,
};
use crate::Secret;
use crate::token::BoxFuture;

/// Tokens, leases and counters in this process only. Share one between
/// clients of the same app in a process to have them share a token;
/// across processes, use a shared store such as `RedisStore`.
#[derive(Debug, Default)]
pub struct MemoryStore {
    apps: Mutex<HashMap<String, AppState>>,
    /// Rate-limit counters: key → (window, calls counted in it).
    rates: Mutex<HashMap<String, (u64, u64)>>,
    /// Keys seen once, with when they may be forgotten.
    sightings: Mutex<HashMap<String, Instant>>,
}

#[derive(Debug, Default)]
struct AppState {
    token: Option<StoredToken>,
    /// The latest tokens reported as rejected, newest last.
    rejected: VecDeque<Secret>,
    lease: Option<(String, Instant)>,
    last_force: Option<Instant>,
    /// Forced refreshes so far on a Beijing day: (day, count).
    forced_on: (u64, u32),
}

/// Rejected tokens remembered per app: far more than can be current at once.
const REJECTED_KEPT: usize = 16;

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn with_app<T>(&self, app_id: &str, f: impl FnOnce(&mut AppState) -> T) -> T {
        let mut apps = lock(&self.apps);
        f(apps.entry(app_id.to_owned()).or_default())
    }

    pub(crate) fn load_now(&self, app_id: &str) -> Option<StoredToken> {
        let now = now_ms();
        self.with_app(app_id, |app| app.token.clone().filter(|t| now < t.expires_at_ms))
    }

    pub(crate) fn save_now(&self, app_id: &str, token: &StoredToken) {
        self.with_app(app_id, |app| app.token = Some(token.clone()));
    }

    pub(crate) fn invalidate_now(&self, app_id: &str, failed: &Secret) {
        self.with_app(app_id, |app| {
            if app.token.as_ref().is_some_and(|t| t.value == *failed) {
                app.token = None;
            }
            if !app.rejected.contains(failed) {
                if app.rejected.len() == REJECTED_KEPT {
                    app.rejected.pop_front();
                }
                app.rejected.push_back(failed.clone());
            }
        });
    }

    pub(crate) fn is_rejected_now(&self, app_id: &str, token: &Secret) -> bool {
        self.with_app(app_id, |app| app.rejected.contains(token))
    }

    pub(crate) fn try_lease_now(&self, app_id: &str, ttl: Duration) -> Option<Lease> {
        let now = Instant::now();
        self.with_app(app_id, |app| match &app.lease {
            Some((_, until)) if now < *until => None,
            _ => {
                let lease = Lease::unique();
                app.lease = Some((lease.0.clone(), now + ttl));
                Some(lease)
            }
        })
    }

    pub(crate) fn release_now(&self, app_id: &str, lease: &Lease) {
        self.with_app(app_id, |app| {
            if app.lease.as_ref().is_some_and(|(owner, _)| *owner == lease.0) {
                app.lease = None;
            }
        });
    }

    pub(crate) fn take_force_refresh_now(&self, app_id: &str, limits: ForceRefreshLimits) -> Allowance {
        let now = Instant::now();
        let (today, rest_of_day) = day(now_ms());
        self.with_app(app_id, |app| {
            if let Some(last) = app.last_force {
                let since = now.duration_since(last);
                if since < limits.min_interval {
                    return Allowance::Refused { retry_after: limits.min_interval - since };
                }
            }
            let used = if app.forced_on.0 == today { app.forced_on.1 } else { 0 };
            if used >= limits.per_day {
                return Allowance::Refused { retry_after: rest_of_day };
            }
            app.forced_on = (today, used + 1);
            app.last_force = Some(now);
            Allowance::Granted
        })
    }

    pub(crate) fn acquire_now(&self, key: &str, limit: RateLimit) -> Allowance {
        let (current, until_next) = window(now_ms(), limit.period);
        let mut rates = lock(&self.rates);
        let entry = rates.entry(key.to_owned()).or_insert((current, 0));
        if entry.0 != current {
            *entry = (current, 0);
        }
        if entry.1 >= limit.calls {
            return Allowance::Refused { retry_after: until_next };
        }
        entry.1 += 1;
        Allowance::Granted
    }
}

fn ready<'a, T: Send + 'a>(value: T) -> BoxFuture<'a, Result<T, StoreError>> {
    Box::pin(std::future::ready(Ok(value)))
}

impl TokenStore for MemoryStore {
    fn load<'a>(&'a self, app_id: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>> {
        ready(self.load_now(app_id))
    }

    fn save<'a>(&'a self, app_id: &'a str, token: &'a StoredToken) -> BoxFuture<'a, Result<(), StoreError>> {
        self.save_now(app_id, token);
        ready(())
    }

    fn invalidate<'a>(&'a self, app_id: &'a str, failed: &'a Secret) -> BoxFuture<'a, Result<(), StoreError>> {
        self.invalidate_now(app_id, failed);
        ready(())
    }

    fn is_rejected<'a>(&'a self, app_id: &'a str, token: &'a Secret) -> BoxFuture<'a, Result<bool, StoreError>> {
        ready(self.is_rejected_now(app_id, token))
    }

    fn try_lease<'a>(&'a self, app_id: &'a str, ttl: Duration) -> BoxFuture<'a, Result<Option<Lease>, StoreError>> {
        ready(self.try_lease_now(app_id, ttl))
    }

    fn release<'a>(&'a self, app_id: &'a str, lease: &'a Lease) -> BoxFuture<'a, Result<(), StoreError>> {
        self.release_now(app_id, lease);
        ready(())
    }

    fn take_force_refresh<'a>(&'a self, app_id: &'a str, limits: ForceRefreshLimits) -> BoxFuture<'a, Result<Allowance, StoreError>> {
        ready(self.take_force_refresh_now(app_id, limits))
    }
}

impl RateLimitStore for MemoryStore {
    fn acquire<'a>(&'a self, key: &'a str, limit: RateLimit) -> BoxFuture<'a, Result<Allowance, StoreError>> {
        ready(self.acquire_now(key, limit))
    }
}

impl MemoryStore {
    pub(crate) fn first_sighting_now(&self, key: &str, ttl: Duration) -> bool {
        let now = Instant::now();
        let mut sightings = lock(&self.sightings);
        // Forgetting the lapsed ones as new ones come keeps the map as
        // small as the keys live.
        sightings.retain(|_, until| now < *until);
        match sightings.entry(key.to_owned()) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(now + ttl);
                true
            }
        }
    }
}

impl NonceStore for MemoryStore {
    fn first_sighting<'a>(&'a self, key: &'a str, ttl: Duration) -> BoxFuture<'a, Result<bool, StoreError>> {
        ready(self.first_sighting_now(key, ttl))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(value: &str) -> StoredToken {
        StoredToken { value: Secret::new(value), refresh_at_ms: now_ms() + 60_000, expires_at_ms: now_ms() + 120_000 }
    }

    #[test]
    fn a_key_is_seen_first_once_until_it_lapses() {
        let store = MemoryStore::new();
        assert!(store.first_sighting_now("wxapp#push#1:2", Duration::from_millis(50)));
        assert!(!store.first_sighting_now("wxapp#push#1:2", Duration::from_millis(50)), "seen already");
        assert!(store.first_sighting_now("wxapp#push#1:3", Duration::from_millis(50)), "another key");
        std::thread::sleep(Duration::from_millis(60));
        assert!(store.first_sighting_now("wxapp#push#1:2", Duration::from_millis(50)), "lapsed");
        assert_eq!(lock(&store.sightings).len(), 1, "the lapsed ones are forgotten");
    }

    #[test]
    fn invalidation_drops_only_the_token_that_failed() {
        let store = MemoryStore::new();
        store.save_now("wxapp", &token("T2"));
        store.invalidate_now("wxapp", &Secret::new("T1"));
        assert_eq!(store.load_now("wxapp").map(|t| t.value), Some(Secret::new("T2")), "a newer token stays");
        assert!(store.is_rejected_now("wxapp", &Secret::new("T1")));
        store.invalidate_now("wxapp", &Secret::new("T2"));
        assert_eq!(store.load_now("wxapp"), None);
        assert!(store.is_rejected_now("wxapp", &Secret::new("T1")), "every rejected token is remembered");
        assert_eq!(store.load_now("other-app"), None, "apps are apart");
    }

    #[test]
    fn one_lease_at_a_time_until_released_or_lapsed() {
        let store = MemoryStore::new();
        let lease = store.try_lease_now("wxapp", Duration::from_secs(60)).expect("free");
        assert_eq!(store.try_lease_now("wxapp", Duration::from_secs(60)), None);
        assert!(store.try_lease_now("other-app", Duration::from_secs(60)).is_some(), "leases are per app");
        store.release_now("wxapp", &Lease("someone else".into()));
        assert_eq!(store.try_lease_now("wxapp", Duration::from_secs(60)), None, "only the holder releases");
        store.release_now("wxapp", &lease);
        let short = store.try_lease_now("wxapp", Duration::ZERO).expect("released");
        assert_ne!(short, lease);
        assert!(store.try_lease_now("wxapp", Duration::from_secs(60)).is_some(), "a lapsed lease is free");
    }

    #[test]
    fn forced_refreshes_keep_their_spacing_and_daily_budget() {
        let store = MemoryStore::new();
        let limits = ForceRefreshLimits { per_day: 2, min_interval: Duration::from_millis(50) };
        assert_eq!(store.take_force_refresh_now("wxapp", limits), Allowance::Granted);
        match store.take_force_refresh_now("wxapp", limits) {
            Allowance::Refused { retry_after } => assert!(retry_after <= Duration::from_millis(50)),
            Allowance::Granted => panic!("too soon"),
        }
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(store.take_force_refresh_now("wxapp", limits), Allowance::Granted);
        std::thread::sleep(Duration::from_millis(60));
        match store.take_force_refresh_now("wxapp", limits) {
            Allowance::Refused { retry_after } => assert!(retry_after > Duration::from_millis(50), "the rest of the day"),
            Allowance::Granted => panic!("over the daily budget"),
        }
    }

    #[test]
    fn rate_limit_counts_per_key_and_window() {
        let store = MemoryStore::new();
        let limit = RateLimit { calls: 3, period: Duration::from_secs(3600) };
        let (_, left) = window(now_ms(), limit.period);
        if left < Duration::from_secs(1) {
            std::thread::sleep(left);
        }
        for _ in 0..3 {
            assert_eq!(store.acquire_now("wxapp:qr", limit), Allowance::Granted);
        }
        assert!(matches!(store.acquire_now("wxapp:qr", limit), Allowance::Refused { retry_after } if retry_after <= limit.period));
        assert_eq!(store.acquire_now("wxapp:other", limit), Allowance::Granted);
    }
}
