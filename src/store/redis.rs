//! The Redis store (feature `redis`): one token per app for a whole fleet.
//!
//! Keys, for key prefix `wxa` and app id `wx123` (the braces are a Redis
//! Cluster hash tag, so one app's keys share a slot):
//! - `wxa:{wx123}:token`: hash of `v` (token), `r` (refresh at), `e`
//!   (expires at, Unix ms); it expires with the token;
//! - `wxa:{wx123}:rejected`: set of the tokens reported as rejected;
//! - `wxa:{wx123}:lease`: the refresh lease's owner, with the lease TTL;
//! - `wxa:{wx123}:force:last` and `wxa:{wx123}:force:day:<day>`: the
//!   forced-refresh spacing and daily count;
//! - `wxa:rate:<key>:<window>`: a rate-limit window's call count;
//! - `wxa:seen:<key>`: a key seen once (a push's nonce), for its TTL.
//!
//! Every multi-step change is one Lua script, so instances never see half
//! of it. The token is kept in Redis in the clear: guard Redis as you
//! would the app secret.

use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};

use super::{
    Allowance, ForceRefreshLimits, Lease, NonceStore, RateLimit, RateLimitStore, StoreError, StoredToken, TokenStore, day, now_ms, window,
};
use crate::Secret;
use crate::token::BoxFuture;

/// How the Redis store connects and names its keys.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// Prefix of every key (default `wxa`), to share a Redis with others.
    pub key_prefix: String,
    /// The longest wait for a Redis answer or connection (default 500 ms):
    /// past it the client falls back to its in-process store.
    pub timeout: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions { key_prefix: "wxa".to_owned(), timeout: Duration::from_millis(500) }
    }
}

/// Access tokens, refresh leases, forced-refresh budgets and rate-limit
/// counters in Redis, shared by every instance of an app.
///
/// Connects lazily and reconnects by itself: building one never fails for
/// an unreachable server, and a client using it keeps working from its
/// in-process cache while Redis is away.
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
}

impl fmt::Debug for RedisStore {
    // The URL may hold a password: never shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore").field("key_prefix", &self.prefix).finish_non_exhaustive()
    }
}

fn store_error(error: redis::RedisError) -> StoreError {
    StoreError::new(format!("redis: {error}"))
}

/// The longest a token key lives in Redis.
const MAX_TOKEN_KEY_TTL_MS: u64 = 365 * 24 * 3600 * 1000;

static SAVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'r', ARGV[2], 'e', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1",
    )
});

static INVALIDATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HGET', KEYS[1], 'v') == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1",
    )
});

static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0",
    )
});

/// Returns {1, 0} when granted, {0, wait_ms} when too soon, {0, -1} when
/// the day's budget is spent.
static FORCE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local wait = redis.call('PTTL', KEYS[1])
if wait > 0 then return {0, wait} end
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
if used >= tonumber(ARGV[2]) then return {0, -1} end
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if tonumber(ARGV[1]) > 0 then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return {1, 0}",
    )
});

static ACQUIRE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1",
    )
});

/// How long rejected tokens are remembered: longer than any token lives.
const REJECTED_TTL_MS: u64 = 3 * 3600 * 1000;

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl RedisStore {
    /// A store on the Redis at `url` (`redis://host:port/db`, with
    /// `redis://:password@…` for a password), with default options.
    pub fn new(url: &str) -> Result<RedisStore, StoreError> {
        RedisStore::with_options(url, RedisOptions::default())
    }

    /// A store with the given options.
    pub fn with_options(url: &str, options: RedisOptions) -> Result<RedisStore, StoreError> {
        // The error for a bad URL is the crate's own wording, which names
        // the problem and not the URL (it may carry a password).
        let client = redis::Client::open(url).map_err(store_error)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.timeout))
            .set_response_timeout(Some(options.timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(10))
            .set_max_delay(Duration::from_millis(100));
        let connection = ConnectionManager::new_lazy_with_config(client, config).map_err(store_error)?;
        Ok(RedisStore { connection, prefix: options.key_prefix })
    }

    fn key(&self, app_id: &str, name: &str) -> String {
        format!("{}:{{{}}}:{}", self.prefix, app_id, name)
    }

    fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }
}

impl TokenStore for RedisStore {
    fn load<'a>(&'a self, app_id: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>> {
        Box::pin(async move {
            let fields: Vec<Option<String>> = redis::cmd("HMGET")
                .arg(self.key(app_id, "token"))
                .arg(&["v", "r", "e"])
                .query_async(&mut self.connection())
                .await
                .map_err(store_error)?;
            let token = match fields.as_slice() {
                [Some(value), Some(refresh), Some(expires)] => {
                    let number = |text: &str| text.parse::<u64>().map_err(|_| StoreError::new("a stored token has a malformed time"));
                    StoredToken { value: Secret::new(value.as_str()), refresh_at_ms: number(refresh)?, expires_at_ms: number(expires)? }
                }
                _ => return Ok(None),
            };
            Ok((now_ms() < token.expires_at_ms).then_some(token))
        })
    }

    fn save<'a>(&'a self, app_id: &'a str, token: &'a StoredToken) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            // Redis refuses an expiry past its clock's range; a token
            // source may promise one (e.g. "never"), so the key lives at
            // most a year and is fetched again after.
            let ttl = token.expires_at_ms.saturating_sub(now_ms()).clamp(1, MAX_TOKEN_KEY_TTL_MS);
            let _: i64 = SAVE
                .key(self.key(app_id, "token"))
                .arg(token.value.expose())
                .arg(token.refresh_at_ms)
                .arg(token.expires_at_ms)
                .arg(ttl)
                .invoke_async(&mut self.connection())
                .await
                .map_err(store_error)?;
            Ok(())
        })
    }

    fn invalidate<'a>(&'a self, app_id: &'a str, failed: &'a Secret) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let _: i64 = INVALIDATE
                .key(self.key(app_id, "token"))
                .key(self.key(app_id, "rejected"))
                .arg(failed.expose())
                .arg(REJECTED_TTL_MS)
                .invoke_async(&mut self.connection())
                .await
                .map_err(store_error)?;
            Ok(())
        })
    }

    fn is_rejected<'a>(&'a self, app_id: &'a str, token: &'a Secret) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move { self.connection().sismember(self.key(app_id, "rejected"), token.expose()).await.map_err(store_error) })
    }

    fn try_lease<'a>(&'a self, app_id: &'a str, ttl: Duration) -> BoxFuture<'a, Result<Option<Lease>, StoreError>> {
        Box::pin(async move {
            let lease = Lease::unique();
            let options =
                redis::SetOptions::default().conditional_set(redis::ExistenceCheck::NX).with_expiration(redis::SetExpiry::PX(millis(ttl)));
            let taken: Option<String> =
                self.connection().set_options(self.key(app_id, "lease"), lease.owner(), options).await.map_err(store_error)?;
            Ok(taken.map(|_| lease))
        })
    }

    fn release<'a>(&'a self, app_id: &'a str, lease: &'a Lease) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let _: i64 = RELEASE
                .key(self.key(app_id, "lease"))
                .arg(lease.owner())
                .invoke_async(&mut self.connection())
                .await
                .map_err(store_error)?;
            Ok(())
        })
    }

    fn take_force_refresh<'a>(&'a self, app_id: &'a str, limits: ForceRefreshLimits) -> BoxFuture<'a, Result<Allowance, StoreError>> {
        Box::pin(async move {
            let (today, rest_of_day) = day(now_ms());
            let (granted, wait): (i64, i64) = FORCE
                .key(self.key(app_id, "force:last"))
                .key(self.key(app_id, &format!("force:day:{today}")))
                .arg(limits.min_interval.as_millis() as u64)
                .arg(limits.per_day)
                .arg(millis(rest_of_day) + 3_600_000)
                .invoke_async(&mut self.connection())
                .await
                .map_err(store_error)?;
            Ok(match (granted, wait) {
                (1, _) => Allowance::Granted,
                (_, wait) if wait > 0 => Allowance::Refused { retry_after: Duration::from_millis(wait as u64) },
                _ => Allowance::Refused { retry_after: rest_of_day },
            })
        })
    }
}

impl RateLimitStore for RedisStore {
    fn acquire<'a>(&'a self, key: &'a str, limit: RateLimit) -> BoxFuture<'a, Result<Allowance, StoreError>> {
        Box::pin(async move {
            let (current, until_next) = window(now_ms(), limit.period);
            let granted: i64 = ACQUIRE
                .key(format!("{}:rate:{}:{}", self.prefix, key, current))
                .arg(limit.calls)
                .arg(millis(until_next) + 1_000)
                .invoke_async(&mut self.connection())
                .await
                .map_err(store_error)?;
            Ok(if granted == 1 { Allowance::Granted } else { Allowance::Refused { retry_after: until_next } })
        })
    }
}

impl NonceStore for RedisStore {
    fn first_sighting<'a>(&'a self, key: &'a str, ttl: Duration) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let options =
                redis::SetOptions::default().conditional_set(redis::ExistenceCheck::NX).with_expiration(redis::SetExpiry::PX(millis(ttl)));
            let set: Option<String> =
                self.connection().set_options(format!("{}:seen:{}", self.prefix, key), 1, options).await.map_err(store_error)?;
            Ok(set.is_some())
        })
    }
}
