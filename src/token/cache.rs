//! The token cache: one token shared by all calls of a client, and through
//! its store by all instances of the app.
//!
//! The token belongs to the app, not to the process: every refresh may
//! invalidate the token other holders use. So
//! - calls read the token from the process (no store round trip per call);
//! - a refresh happens once for any number of concurrent callers in the
//!   process, and, through the store's lease, once for the whole fleet:
//!   the others wait for its result and pick it up from the store;
//! - after a token-invalid answer only the token that failed is dropped,
//!   here and in the store (another caller may have replaced it already);
//! - a forced refresh is asked for only when the source hands back the
//!   rejected token, and only within the app's forced-refresh limits;
//! - when the store fails, the cache goes on with an in-process store and
//!   warns, and goes back to the store once it answers again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::{AccessToken, TokenSource};
use crate::Secret;
use crate::error::{TokenError, TokenErrorKind};
use crate::store::{Allowance, ForceRefreshLimits, Lease, MemoryStore, StoreHealth, StoredToken, TokenStore, now_ms};

/// How the cache coordinates refreshes through its store.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenSettings {
    /// How long a refresh lease lasts if its holder never gives it back.
    pub lease_ttl: Duration,
    /// The longest a caller waits for another instance's refresh.
    pub lease_wait: Duration,
    /// How often a waiting caller looks for the other instance's result.
    pub poll: Duration,
    /// The app's forced-refresh budget.
    pub force_limits: ForceRefreshLimits,
}

impl Default for TokenSettings {
    fn default() -> Self {
        TokenSettings {
            lease_ttl: Duration::from_secs(10),
            lease_wait: Duration::from_secs(15),
            poll: Duration::from_millis(20),
            force_limits: ForceRefreshLimits::default(),
        }
    }
}

struct Cached {
    value: Secret,
    /// When the token stops being served as fresh: a margin before
    /// WeChat's expiry, so no call goes out with a token about to lapse.
    refresh_at: Instant,
    expires_at: Instant,
}

/// How long before expiry a token is refreshed: a tenth of the lifetime,
/// at most five minutes (WeChat keeps the old token valid that long).
fn refresh_margin(lifetime: Duration) -> Duration {
    (lifetime / 10).min(Duration::from_secs(300))
}

/// A fetched token as stored: due for refresh a tenth of its lifetime
/// (at most five minutes) before it expires. Its lifetime counts from
/// `asked_ms`, when it was asked for: WeChat's clock started no earlier,
/// so the token is never thought valid after WeChat stops accepting it
/// (counting from the answer's arrival would add the call's latency).
fn stored_from(token: AccessToken, asked_ms: u64) -> StoredToken {
    let now = asked_ms;
    let lifetime = token.expires_in.as_millis() as u64;
    let margin = refresh_margin(token.expires_in).as_millis() as u64;
    StoredToken { value: token.value, refresh_at_ms: now + lifetime - margin, expires_at_ms: now + lifetime }
}

/// One app's token, shared by all calls of a client.
pub(crate) struct TokenCache {
    source: Arc<dyn TokenSource>,
    store: Arc<dyn TokenStore>,
    /// Stands in for `store` while it fails.
    fallback: MemoryStore,
    health: StoreHealth,
    /// The store key: the app id.
    app: String,
    settings: TokenSettings,
    current: RwLock<Option<Cached>>,
    /// Held while refreshing, so only one caller in the process refreshes.
    /// A caller dropped mid-refresh releases it; the next waiter goes on.
    refresh: tokio::sync::Mutex<()>,
    /// Completed refreshes, successful or not: a waiter that sees it move
    /// shares that refresh's result instead of refreshing again.
    generation: AtomicU64,
    /// The error of the last refresh, if it failed.
    last_error: Mutex<Option<TokenError>>,
    /// The token last reported as rejected by WeChat in this process.
    rejected: Mutex<Option<Secret>>,
    /// After a forced refresh was refused: until when the token the source
    /// handed back is served again without asking the source.
    forced_blocked: Mutex<Option<(Instant, StoredToken)>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn instant_at(unix_ms: u64) -> Instant {
    let now = now_ms();
    let now_instant = Instant::now();
    if unix_ms >= now {
        now_instant + Duration::from_millis(unix_ms - now)
    } else {
        now_instant.checked_sub(Duration::from_millis(now - unix_ms)).unwrap_or(now_instant)
    }
}

/// A refresh lease and where it was taken.
enum Held {
    Shared(Arc<dyn TokenStore>, String, Lease),
    Local(Lease),
}

/// Gives the lease back even when the refreshing caller is dropped midway,
/// so the fleet does not wait out the lease.
struct LeaseGuard<'a> {
    cache: &'a TokenCache,
    held: Option<Held>,
}

impl LeaseGuard<'_> {
    async fn release(mut self) {
        match self.held.take() {
            Some(Held::Shared(store, app, lease)) => {
                if let Err(error) = store.release(&app, &lease).await {
                    tracing::debug!(%error, "could not release the token refresh lease; it lapses by itself");
                }
            }
            Some(Held::Local(lease)) => self.cache.fallback.release_now(&self.cache.app, &lease),
            None => {}
        }
    }
}

impl Drop for LeaseGuard<'_> {
    fn drop(&mut self) {
        match self.held.take() {
            Some(Held::Shared(store, app, lease)) => {
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(async move {
                        let _ = store.release(&app, &lease).await;
                    });
                }
            }
            Some(Held::Local(lease)) => self.cache.fallback.release_now(&self.cache.app, &lease),
            None => {}
        }
    }
}

impl TokenCache {
    pub fn new(source: Arc<dyn TokenSource>, store: Arc<dyn TokenStore>, app: String, settings: TokenSettings) -> TokenCache {
        TokenCache {
            source,
            store,
            fallback: MemoryStore::new(),
            health: StoreHealth::new("token"),
            app,
            settings,
            current: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
            last_error: Mutex::new(None),
            rejected: Mutex::new(None),
            forced_blocked: Mutex::new(None),
        }
    }

    /// The cached token if it is fresh; or, as the second value, if it is
    /// still valid but due for a refresh.
    fn cached(&self) -> (Option<Secret>, Option<Secret>) {
        let guard = self.current.read().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match &*guard {
            Some(c) if now < c.refresh_at => (Some(c.value.clone()), None),
            Some(c) if now < c.expires_at => (None, Some(c.value.clone())),
            _ => (None, None),
        }
    }

    /// The cached token while it needs no refresh: the common case, with
    /// no future to await.
    pub fn fresh(&self) -> Option<Secret> {
        self.cached().0
    }

    /// A valid token, refreshing if needed.
    pub async fn get(&self) -> Result<Secret, TokenError> {
        let (fresh, stale) = self.cached();
        if let Some(token) = fresh {
            return Ok(token);
        }
        if let Some(stale) = stale {
            // Still valid: one caller refreshes, the others keep going, and
            // if another instance is refreshing, so does the one.
            return match self.refresh.try_lock() {
                Ok(_guard) => Ok(self.refresh_locked(false).await.ok().flatten().unwrap_or(stale)),
                Err(_) => Ok(stale),
            };
        }
        let seen = self.generation.load(Ordering::Acquire);
        let _guard = self.refresh.lock().await;
        if self.generation.load(Ordering::Acquire) != seen {
            // Someone refreshed while we waited: share their result.
            if let (Some(token), _) = self.cached() {
                return Ok(token);
            }
            if let Some(error) = lock(&self.last_error).clone() {
                return Err(error);
            }
        }
        self.refresh_locked(true)
            .await?
            .ok_or_else(|| TokenError::of_kind(TokenErrorKind::LeaseWaitTimedOut, "no token came from the instance refreshing it"))
    }

    /// Refreshes; the caller holds `refresh`. With `wait` false it gives
    /// up (`None`) when another instance holds the lease.
    async fn refresh_locked(&self, wait: bool) -> Result<Option<Secret>, TokenError> {
        if let (Some(token), _) = self.cached() {
            return Ok(Some(token));
        }
        let deadline = Instant::now() + self.settings.lease_wait;
        let outcome = loop {
            // Another instance may have refreshed already.
            let shared = self.load_shared().await;
            if let Some(token) = shared.as_ref().filter(|t| now_ms() < t.refresh_at_ms) {
                break Ok(Some(self.adopt(token)));
            }
            let blocked = lock(&self.forced_blocked).clone();
            if let Some((until, token)) = blocked
                && Instant::now() < until
            {
                // The source hands back a rejected token and no forced
                // refresh is allowed yet: use it again without asking.
                break Ok(Some(self.adopt(&token)));
            }
            if let Some(lease) = self.try_lease().await {
                let result = match self.load_shared().await.filter(|t| now_ms() < t.refresh_at_ms) {
                    Some(token) => Ok(self.adopt(&token)),
                    None => self.fetch_from_source().await,
                };
                lease.release().await;
                break result.map(Some);
            }
            // Another instance is refreshing: a still valid token serves meanwhile.
            if let Some(token) = shared {
                break Ok(Some(self.adopt(&token)));
            }
            if !wait {
                return Ok(None);
            }
            if Instant::now() >= deadline {
                break Err(TokenError::of_kind(
                    TokenErrorKind::LeaseWaitTimedOut,
                    format!("another instance held the refresh lease for over {:?} without storing a token", self.settings.lease_wait),
                ));
            }
            tokio::time::sleep(self.settings.poll).await;
        };
        *lock(&self.last_error) = outcome.as_ref().err().cloned();
        self.generation.fetch_add(1, Ordering::Release);
        outcome
    }

    /// Fetches from the source, forcing a refresh if it hands back a token
    /// WeChat rejected; stores the result.
    async fn fetch_from_source(&self) -> Result<Secret, TokenError> {
        let asked_ms = now_ms();
        let mut result = self.source.fetch(false).await;
        let mut refused = None;
        if let Ok(token) = &result
            && self.was_rejected(&token.value).await
        {
            match self.take_force_refresh().await {
                Allowance::Granted => {
                    tracing::warn!("the token source returned the rejected access token again; forcing a refresh");
                    result = self.source.fetch(true).await;
                }
                Allowance::Refused { retry_after } => {
                    // WeChat has the last word: the token is used, and a
                    // call it rejects fails with WeChat's own code. It is
                    // not asked for again until a forced refresh could be.
                    tracing::warn!(
                        retry_after_ms = retry_after.as_millis() as u64,
                        "the token source returned the rejected access token again, and the forced-refresh limits allow no refresh yet"
                    );
                    refused = Some(retry_after.min(self.settings.force_limits.min_interval));
                }
            }
        }
        match result {
            Ok(token) => {
                let stored = stored_from(token, asked_ms);
                if let Some(wait) = refused {
                    // Kept out of the store: the others must not take up a rejected token.
                    let value = self.adopt(&stored);
                    *lock(&self.forced_blocked) = Some((Instant::now() + wait, stored));
                    return Ok(value);
                }
                self.save_shared(&stored).await;
                tracing::debug!(expires_in_s = (stored.expires_at_ms.saturating_sub(now_ms())) / 1000, "fetched a new access token");
                Ok(self.adopt(&stored))
            }
            Err(error) => {
                tracing::warn!(code = error.code(), %error, "access token fetch failed");
                Err(error)
            }
        }
    }

    /// A token had some other way (a third-party platform's authorization
    /// answer carries the authorizer's first token): stored and served.
    pub async fn seed(&self, token: AccessToken, asked_ms: u64) {
        let stored = stored_from(token, asked_ms);
        self.save_shared(&stored).await;
        self.adopt(&stored);
    }

    /// Drops the token held in the process (not the stored one).
    pub fn forget(&self) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Serves `token` from the process from now on.
    fn adopt(&self, token: &StoredToken) -> Secret {
        let cached =
            Cached { value: token.value.clone(), refresh_at: instant_at(token.refresh_at_ms), expires_at: instant_at(token.expires_at_ms) };
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(cached);
        let mut rejected = lock(&self.rejected);
        if rejected.as_ref().is_some_and(|r| *r != token.value) {
            *rejected = None;
            *lock(&self.forced_blocked) = None;
        }
        token.value.clone()
    }

    /// WeChat rejected `failed`: drops it here and in the store if it is
    /// still the current token.
    pub async fn invalidate(&self, failed: &Secret) {
        {
            let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
            if current.as_ref().is_some_and(|c| c.value == *failed) {
                *current = None;
            }
        }
        *lock(&self.rejected) = Some(failed.clone());
        self.health.ask(|| self.store.invalidate(&self.app, failed), || self.fallback.invalidate_now(&self.app, failed)).await;
    }

    async fn load_shared(&self) -> Option<StoredToken> {
        let token = self.health.ask(|| self.store.load(&self.app), || self.fallback.load_now(&self.app)).await;
        // A token this process saw rejected is not taken back.
        token.filter(|t| lock(&self.rejected).as_ref() != Some(&t.value))
    }

    async fn save_shared(&self, token: &StoredToken) {
        self.health.ask(|| self.store.save(&self.app, token), || self.fallback.save_now(&self.app, token)).await;
    }

    async fn was_rejected(&self, token: &Secret) -> bool {
        if lock(&self.rejected).as_ref() == Some(token) {
            return true;
        }
        self.health.ask(|| self.store.is_rejected(&self.app, token), || self.fallback.is_rejected_now(&self.app, token)).await
    }

    async fn try_lease(&self) -> Option<LeaseGuard<'_>> {
        let ttl = self.settings.lease_ttl;
        let held = self
            .health
            .ask(
                || async move {
                    let lease = self.store.try_lease(&self.app, ttl).await?;
                    Ok(lease.map(|lease| Held::Shared(self.store.clone(), self.app.clone(), lease)))
                },
                // In-process the refresh mutex already lets only one caller here.
                || self.fallback.try_lease_now(&self.app, ttl).map(Held::Local),
            )
            .await?;
        Some(LeaseGuard { cache: self, held: Some(held) })
    }

    async fn take_force_refresh(&self) -> Allowance {
        let limits = self.settings.force_limits;
        self.health
            .ask(|| self.store.take_force_refresh(&self.app, limits), || self.fallback.take_force_refresh_now(&self.app, limits))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_is_a_tenth_capped_at_five_minutes() {
        assert_eq!(refresh_margin(Duration::from_secs(7200)), Duration::from_secs(300));
        assert_eq!(refresh_margin(Duration::from_secs(60)), Duration::from_secs(6));
    }
}

#[cfg(test)]
mod race_tests {
    use super::*;
    use crate::token::{AccessToken, BoxFuture};

    /// A source like a central token service: hands out its current token
    /// unless forced; the second fetch waits for a go-ahead.
    struct Central {
        calls: Mutex<Vec<bool>>,
        pause_second: tokio::sync::Mutex<Option<tokio::sync::oneshot::Receiver<()>>>,
        entered_second: tokio::sync::Notify,
    }

    impl TokenSource for Central {
        fn fetch(&self, force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, TokenError>> {
            Box::pin(async move {
                let n = {
                    let mut calls = lock(&self.calls);
                    calls.push(force_refresh);
                    calls.len()
                };
                if n == 2 {
                    self.entered_second.notify_one();
                    if let Some(go) = self.pause_second.lock().await.take() {
                        let _ = go.await;
                    }
                }
                if force_refresh {
                    Ok(AccessToken::new("T2", Duration::from_secs(7200)))
                } else {
                    // Lives zero seconds, so the next call fetches again.
                    Ok(AccessToken::new("T1", Duration::from_secs(0)))
                }
            })
        }
    }

    #[tokio::test]
    async fn a_token_rejected_while_a_fetch_is_under_way_is_not_cached_again() {
        let (go, wait) = tokio::sync::oneshot::channel();
        let source = Arc::new(Central {
            calls: Mutex::new(Vec::new()),
            pause_second: tokio::sync::Mutex::new(Some(wait)),
            entered_second: Default::default(),
        });
        let cache = Arc::new(TokenCache::new(source.clone(), Arc::new(MemoryStore::new()), "wxapp".into(), TokenSettings::default()));
        let first = cache.get().await.expect("first token");
        assert_eq!(first.expose(), "T1");

        let fetching = tokio::spawn({
            let cache = cache.clone();
            async move { cache.get().await }
        });
        source.entered_second.notified().await;
        // Meanwhile WeChat rejects T1 for another caller.
        cache.invalidate(&first).await;
        go.send(()).expect("release the fetch");
        let token = fetching.await.expect("task").expect("token");
        assert_eq!(token.expose(), "T2", "the rejected token came back from the source and was replaced");
        assert_eq!(*lock(&source.calls), vec![false, false, true]);
    }
}

#[cfg(test)]
mod cancel_tests {
    use super::*;
    use crate::token::{AccessToken, BoxFuture};

    /// The first fetch never finishes; later ones answer at once.
    struct FirstHangs {
        calls: Mutex<u32>,
    }

    impl TokenSource for FirstHangs {
        fn fetch(&self, _force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, TokenError>> {
            let n = {
                let mut calls = lock(&self.calls);
                *calls += 1;
                *calls
            };
            Box::pin(async move {
                if n == 1 {
                    std::future::pending::<()>().await;
                }
                Ok(AccessToken::new(format!("T{n}"), Duration::from_secs(7200)))
            })
        }
    }

    #[tokio::test]
    async fn a_caller_dropped_mid_fetch_does_not_wedge_the_others() {
        let source = Arc::new(FirstHangs { calls: Mutex::new(0) });
        let cache = Arc::new(TokenCache::new(source.clone(), Arc::new(MemoryStore::new()), "wxapp".into(), TokenSettings::default()));
        let stuck = tokio::spawn({
            let cache = cache.clone();
            async move { cache.get().await }
        });
        // Let the first caller take the refresh lock and start its fetch.
        while *lock(&source.calls) == 0 {
            tokio::task::yield_now().await;
        }
        let waiting = tokio::spawn({
            let cache = cache.clone();
            async move { cache.get().await }
        });
        stuck.abort();
        let token = tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("not wedged").expect("task").expect("token");
        assert_eq!(token.expose(), "T2", "the waiter fetched for itself once the cancelled fetch let go");
        assert_eq!(*lock(&source.calls), 2);
    }
}
