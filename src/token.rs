//! Access tokens: where they come from ([`TokenSource`]) and the cache that
//! shares one token among all calls of a client.
//!
//! The token belongs to the app, not to the process: every refresh may
//! invalidate the token other holders use. So the cache refreshes once for
//! any number of concurrent callers, refreshes a little before expiry, and
//! after a token-invalid answer drops the token only if it is still the one
//! that failed (another caller may have replaced it already).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::Secret;
use crate::error::TokenError;

/// A boxed future, so token sources can be trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A fetched access token and how long WeChat says it lives.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The token.
    pub value: Secret,
    /// Lifetime from now, as WeChat said (`expires_in`, usually 7200 s).
    pub expires_in: Duration,
}

impl AccessToken {
    /// A token that lives `expires_in` from now.
    pub fn new(value: impl Into<Secret>, expires_in: Duration) -> AccessToken {
        AccessToken { value: value.into(), expires_in }
    }
}

/// Where access tokens come from: WeChat's token endpoints (built in), or
/// your own service that hands out the app's token to a fleet.
pub trait TokenSource: Send + Sync + 'static {
    /// Fetches a token. `force_refresh` is set when a token the source gave
    /// was rejected and a plain fetch returned the same one again.
    fn fetch(&self, force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, TokenError>>;
}

struct Cached {
    value: Secret,
    /// When the token stops being served from the cache: a margin before
    /// WeChat's expiry, so no call goes out with a token about to lapse.
    refresh_at: Instant,
    expires_at: Instant,
}

/// How long before expiry the cache refreshes: a tenth of the lifetime,
/// at most five minutes (WeChat keeps the old token valid that long).
fn refresh_margin(lifetime: Duration) -> Duration {
    (lifetime / 10).min(Duration::from_secs(300))
}

/// One token shared by all calls of a client.
pub(crate) struct TokenCache {
    source: Arc<dyn TokenSource>,
    current: RwLock<Option<Cached>>,
    /// Held while fetching, so only one caller fetches. A caller dropped
    /// mid-fetch releases it; the next waiter then fetches itself.
    refresh: tokio::sync::Mutex<()>,
    /// Completed fetches, successful or not: a waiter that sees it move
    /// shares that fetch's result instead of fetching again.
    generation: AtomicU64,
    /// The error of the last fetch, if it failed.
    last_error: Mutex<Option<TokenError>>,
    /// The token last reported as rejected by WeChat.
    rejected: Mutex<Option<Secret>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl TokenCache {
    pub fn new(source: Arc<dyn TokenSource>) -> TokenCache {
        TokenCache {
            source,
            current: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
            last_error: Mutex::new(None),
            rejected: Mutex::new(None),
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

    /// A valid token, fetching one if needed.
    pub async fn get(&self) -> Result<Secret, TokenError> {
        let (fresh, stale) = self.cached();
        if let Some(token) = fresh {
            return Ok(token);
        }
        if let Some(stale) = stale {
            // Still valid: one caller refreshes, the others keep going.
            return match self.refresh.try_lock() {
                Ok(_guard) => Ok(self.fetch_locked().await.unwrap_or(stale)),
                Err(_) => Ok(stale),
            };
        }
        let seen = self.generation.load(Ordering::Acquire);
        let _guard = self.refresh.lock().await;
        if self.generation.load(Ordering::Acquire) != seen {
            // Someone fetched while we waited: share their result.
            if let (Some(token), _) = self.cached() {
                return Ok(token);
            }
            if let Some(error) = lock(&self.last_error).clone() {
                return Err(error);
            }
        }
        self.fetch_locked().await
    }

    /// Fetches; the caller holds `refresh`.
    async fn fetch_locked(&self) -> Result<Secret, TokenError> {
        if let (Some(token), _) = self.cached() {
            return Ok(token);
        }
        let mut result = self.source.fetch(false).await;
        // Read after the fetch: a caller may have reported this very token
        // as rejected while the fetch was under way.
        let rejected = lock(&self.rejected).clone();
        if let (Ok(token), Some(rejected)) = (&result, &rejected)
            && token.value == *rejected
        {
            // The source handed back the token WeChat just rejected.
            tracing::warn!("the token source returned the rejected access token again; forcing a refresh");
            result = self.source.fetch(true).await;
        }
        let outcome = match result {
            Ok(token) => {
                let now = Instant::now();
                let cached = Cached {
                    value: token.value.clone(),
                    refresh_at: now + token.expires_in.saturating_sub(refresh_margin(token.expires_in)),
                    expires_at: now + token.expires_in,
                };
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(cached);
                *lock(&self.last_error) = None;
                let mut rejected = lock(&self.rejected);
                if rejected.as_ref() != Some(&token.value) {
                    *rejected = None;
                }
                drop(rejected);
                tracing::debug!(expires_in_s = token.expires_in.as_secs(), "fetched a new access token");
                Ok(token.value)
            }
            Err(error) => {
                tracing::warn!(code = error.code(), "access token fetch failed");
                *lock(&self.last_error) = Some(error.clone());
                Err(error)
            }
        };
        self.generation.fetch_add(1, Ordering::Release);
        outcome
    }

    /// Drops `failed` if it is still the cached token.
    pub fn invalidate(&self, failed: &Secret) {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if current.as_ref().is_some_and(|c| c.value == *failed) {
            *current = None;
        }
        *lock(&self.rejected) = Some(failed.clone());
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
        let cache = Arc::new(TokenCache::new(source.clone()));
        let first = cache.get().await.expect("first token");
        assert_eq!(first.expose(), "T1");

        let fetching = tokio::spawn({
            let cache = cache.clone();
            async move { cache.get().await }
        });
        source.entered_second.notified().await;
        // Meanwhile WeChat rejects T1 for another caller.
        cache.invalidate(&first);
        go.send(()).expect("release the fetch");
        let token = fetching.await.expect("task").expect("token");
        assert_eq!(token.expose(), "T2", "the rejected token came back from the source and was replaced");
        assert_eq!(*lock(&source.calls), vec![false, false, true]);
    }
}

#[cfg(test)]
mod cancel_tests {
    use super::*;

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
        let cache = Arc::new(TokenCache::new(source.clone()));
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
