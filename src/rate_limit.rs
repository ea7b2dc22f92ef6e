//! Client-side enforcement of the rate limits documented in the specs
//! (`rate_limit`, e.g. 5,000 calls a minute for getUnlimitedQRCode), per
//! process or for a whole fleet through a shared store, so a fleet stays
//! under WeChat's per-app limits instead of collecting 45009s.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::runtime::EndpointMeta;
use crate::store::{Allowance, MemoryStore, RateLimitStore, StoreHealth};

/// Whether and where the client counts calls against documented limits.
///
/// Windows are whole minutes, hours or days of Beijing time. A call over
/// the limit waits for the next window when that opens within
/// [`RateLimits::max_wait`], and otherwise fails with
/// [`ErrorKind::RateLimited`](crate::ErrorKind::RateLimited) without being sent.
#[derive(Clone)]
pub struct RateLimits {
    store: Arc<dyn RateLimitStore>,
    shared: bool,
    max_wait: Duration,
}

impl fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimits").field("shared", &self.shared).field("max_wait", &self.max_wait).finish()
    }
}

impl RateLimits {
    /// Counted in this process: right for a single instance.
    pub fn per_process() -> RateLimits {
        RateLimits { store: Arc::new(MemoryStore::new()), shared: false, max_wait: Duration::ZERO }
    }

    /// Counted in a store every instance of the app shares (such as
    /// `RedisStore`). While it is unreachable, calls are counted in the
    /// process.
    pub fn shared(store: Arc<dyn RateLimitStore>) -> RateLimits {
        RateLimits { store, shared: true, max_wait: Duration::ZERO }
    }

    /// How long a call may wait for the next window (default: not at all).
    pub fn max_wait(mut self, max_wait: Duration) -> RateLimits {
        self.max_wait = max_wait;
        self
    }
}

/// The client's enforcement of [`RateLimits`] for one app.
pub(crate) struct RateLimiter {
    limits: RateLimits,
    fallback: MemoryStore,
    health: StoreHealth,
    app: String,
}

impl RateLimiter {
    pub fn new(limits: RateLimits, app: String) -> RateLimiter {
        RateLimiter { limits, fallback: MemoryStore::new(), health: StoreHealth::new("rate limit"), app }
    }

    /// Counts one call to `meta`, waiting for the next window if allowed;
    /// `Err` with the time to the next window when the call must not go.
    pub async fn admit(&self, meta: &EndpointMeta) -> Result<(), Duration> {
        let Some(limit) = meta.rate_limit else { return Ok(()) };
        let key = format!("{}:{}", self.app, meta.name);
        let deadline = Instant::now() + self.limits.max_wait;
        loop {
            let allowance = self.health.ask(|| self.limits.store.acquire(&key, limit), || self.fallback.acquire_now(&key, limit)).await;
            match allowance {
                Allowance::Granted => return Ok(()),
                Allowance::Refused { retry_after } if Instant::now() + retry_after <= deadline => {
                    tracing::debug!(
                        endpoint = meta.name,
                        wait_ms = retry_after.as_millis() as u64,
                        "rate limit spent; waiting for the next window"
                    );
                    tokio::time::sleep(retry_after).await;
                }
                Allowance::Refused { retry_after } => return Err(retry_after),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::runtime::{Auth, HttpMethod, Operation, RateLimit, ResponseKind};
    use crate::store::{now_ms, window};

    fn meta(limit: RateLimit) -> EndpointMeta {
        EndpointMeta {
            name: "limitedCall",
            method: HttpMethod::Post,
            path: "/limited",
            auth: Auth::AccessToken,
            retry_safe: true,
            rate_limit: Some(limit),
            response: ResponseKind::Json,
            secret_response: false,
            api_security: crate::runtime::ApiSecurityMode::Never,
            shape: r#"{"body":"none","errors":[],"query":{},"response":{"json":{}}}"#,
        }
    }

    /// Waits out the end of the current window if it is about to close,
    /// so a test's calls fall in one window.
    async fn early_in_window(period: Duration) {
        let (_, left) = window(now_ms(), period);
        if left < Duration::from_secs(2) {
            tokio::time::sleep(left).await;
        }
    }

    #[test]
    fn the_specs_limits_reach_the_runtime() {
        let limit = crate::api::qrcode::GetUnlimitedQrCodeRequest::META.rate_limit;
        assert_eq!(limit, Some(RateLimit { calls: 5000, period: Duration::from_secs(60) }));
        assert_eq!(crate::api::customer_service::GetTempMediaRequest::META.rate_limit, None);
    }

    #[tokio::test]
    async fn calls_beyond_the_limit_are_refused_until_the_next_window() {
        let limit = RateLimit { calls: 3, period: Duration::from_secs(3600) };
        early_in_window(limit.period).await;
        let limiter = RateLimiter::new(RateLimits::per_process(), "wxapp".into());
        for _ in 0..3 {
            assert_eq!(limiter.admit(&meta(limit)).await, Ok(()));
        }
        let retry_after = limiter.admit(&meta(limit)).await.expect_err("over the limit");
        assert!(retry_after > Duration::ZERO && retry_after <= limit.period);
        let unlimited = EndpointMeta { rate_limit: None, ..meta(limit) };
        assert_eq!(limiter.admit(&unlimited).await, Ok(()), "endpoints without a documented limit are not counted");
        let other_app = RateLimiter::new(RateLimits::per_process(), "other".into());
        assert_eq!(other_app.admit(&meta(limit)).await, Ok(()));
    }

    #[tokio::test]
    async fn a_call_waits_for_the_next_window_when_allowed_to() {
        let limit = RateLimit { calls: 2, period: Duration::from_secs(1) };
        let limiter = RateLimiter::new(RateLimits::per_process().max_wait(Duration::from_secs(2)), "wxapp".into());
        let started = Instant::now();
        for _ in 0..5 {
            assert_eq!(limiter.admit(&meta(limit)).await, Ok(()));
        }
        // Five calls at two a second span at least two window changes.
        assert!(started.elapsed() >= Duration::from_millis(1000), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn an_unreachable_shared_store_falls_back_to_counting_in_the_process() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
        #[cfg(feature = "redis")]
        let store: Arc<dyn RateLimitStore> = Arc::new(crate::store::RedisStore::new(&format!("redis://127.0.0.1:{port}/")).expect("store"));
        #[cfg(not(feature = "redis"))]
        let store: Arc<dyn RateLimitStore> = {
            let _ = port;
            Arc::new(Unreachable)
        };
        let limit = RateLimit { calls: 2, period: Duration::from_secs(3600) };
        early_in_window(limit.period).await;
        let limiter = RateLimiter::new(RateLimits::shared(store), "wxapp".into());
        assert_eq!(limiter.admit(&meta(limit)).await, Ok(()));
        assert_eq!(limiter.admit(&meta(limit)).await, Ok(()));
        assert!(limiter.admit(&meta(limit)).await.is_err(), "still enforced, in the process");
    }

    #[cfg(not(feature = "redis"))]
    struct Unreachable;

    #[cfg(not(feature = "redis"))]
    impl RateLimitStore for Unreachable {
        fn acquire<'a>(&'a self, _key: &'a str, _limit: RateLimit) -> crate::BoxFuture<'a, Result<Allowance, crate::store::StoreError>> {
            Box::pin(async { Err(crate::store::StoreError::new("unreachable")) })
        }
    }

    #[cfg(all(feature = "redis", feature = "testing"))]
    #[tokio::test]
    async fn a_shared_limit_holds_for_the_whole_fleet() {
        let redis = crate::testing::RedisServer::start().unwrap_or_else(|e| panic!("{e}"));
        let limit = RateLimit { calls: 5, period: Duration::from_secs(3600) };
        early_in_window(limit.period).await;
        let instance = || {
            let store = Arc::new(crate::store::RedisStore::new(&redis.url()).expect("store"));
            RateLimiter::new(RateLimits::shared(store), "wxapp".into())
        };
        let (a, b) = (instance(), instance());
        let mut granted = 0;
        for _ in 0..6 {
            granted += usize::from(a.admit(&meta(limit)).await.is_ok());
            granted += usize::from(b.admit(&meta(limit)).await.is_ok());
        }
        assert_eq!(granted, 5, "five calls an hour for the two instances together");
    }
}
