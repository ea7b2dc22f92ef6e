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
/// [`Error::RateLimited`](crate::Error::RateLimited) without being sent.
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
            let allowance = if self.health.usable() {
                match self.limits.store.acquire(&key, limit).await {
                    Ok(allowance) => {
                        self.health.answered();
                        allowance
                    }
                    Err(error) => {
                        self.health.failed(&error);
                        self.fallback.acquire_now(&key, limit)
                    }
                }
            } else {
                self.fallback.acquire_now(&key, limit)
            };
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
