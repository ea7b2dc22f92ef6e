//! Access tokens: where they come from ([`TokenSource`]) and the cache that
//! shares one token among all calls of a client, and through a
//! [`TokenStore`](crate::store::TokenStore) among all instances of an app.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::Secret;
use crate::error::TokenError;

mod cache;
mod wechat;

pub(crate) use cache::{TokenCache, TokenSettings};
pub use wechat::TokenCallError;
pub(crate) use wechat::{ClassicToken, StableToken};

/// A boxed future, so token sources and stores can be trait objects.
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
    /// was rejected and a plain fetch returned the same one again; it is
    /// asked for only within the client's forced-refresh limits.
    fn fetch(&self, force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, TokenError>>;
}

/// A [`TokenSource`] from an async function: the hook for an external
/// token service.
///
/// ```
/// # use std::{sync::Arc, time::Duration};
/// let source = wxa::token_source_fn(|force_refresh: bool| async move {
///     // Ask your token service here; `force_refresh` asks it for a new one.
///     let _ = force_refresh;
///     Ok(wxa::AccessToken::new("TOKEN", Duration::from_secs(7200)))
/// });
/// let client = wxa::Client::builder().app_id("wx1234567890abcdef").token_source(Arc::new(source)).build();
/// assert!(client.is_ok());
/// ```
pub fn token_source_fn<F, Fut>(fetch: F) -> impl TokenSource
where
    F: Fn(bool) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<AccessToken, TokenError>> + Send + 'static,
{
    FnSource(fetch)
}

struct FnSource<F>(F);

impl<F, Fut> TokenSource for FnSource<F>
where
    F: Fn(bool) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<AccessToken, TokenError>> + Send + 'static,
{
    fn fetch(&self, force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, TokenError>> {
        Box::pin((self.0)(force_refresh))
    }
}
