//! Serving many mini programs as a third-party platform (第三方平台): the
//! platform's own token (from the `component_verify_ticket` WeChat pushes
//! every ten minutes), the authorization flow, and one [`Client`] per
//! authorized mini program that calls every endpoint with that
//! authorizer's access token.
//!
//! ```no_run
//! # async fn demo(ticket_from_the_push: &str, code_from_the_redirect: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use wxa::platform::Platform;
//!
//! let platform = Platform::builder("wx_component_appid", "component secret").build()?;
//! platform.set_verify_ticket(ticket_from_the_push).await?; // from the authorization event URL
//! let pre_auth_code = platform.pre_auth_code().await?;
//! let url = platform.authorization_url(&pre_auth_code, "https://example.com/authorized", None);
//! // … the merchant authorizes, WeChat redirects with `auth_code` …
//! let authorization = platform.query_auth(code_from_the_redirect).await?;
//! let client = platform.authorizer(&authorization.authorizer_app_id);
//! // `client` calls any endpoint on behalf of that mini program.
//! # let _ = (url, client); Ok(()) }
//! ```
//!
//! Tokens live in the token store given to the builder, under keys per
//! component app id and authorizer app id (`<component>#component`,
//! `<component>#ticket`, `<component>#authorizer#<appid>` and
//! `<component>#refresh#<appid>`): with a shared store (`RedisStore`) a
//! fleet fetches the component token once per expiry and each authorizer's
//! token once per expiry, each under the store's lease, and a lookup is one
//! key read, never a scan, however many authorizers there are.

mod calls;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use calls::{AuthorizerToken, ComponentToken, PreAuthCode, QueryAuth};

use crate::client::SiblingTokens;
use crate::error::{Error, TokenError};
use crate::store::{StoreError, StoredToken, TokenStore, now_ms};
use crate::token::{AccessToken, BoxFuture, TokenSource};

pub use crate::token::TokenCallError;
use crate::{BuildError, Client, ClientBuilder, Secret};

/// How long WeChat keeps a `component_verify_ticket` good.
const TICKET_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// Refresh tokens last until the merchant revokes the authorization; the
/// store keeps them this long.
const REFRESH_TOKEN_KEPT: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// A third-party platform: its component token, the authorization flow,
/// and a client per authorizer. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Platform {
    inner: Arc<PlatformInner>,
}

struct PlatformInner {
    component_app_id: String,
    /// Without tokens: fetches the component token.
    plain: Client,
    /// With the component token: the component calls.
    component: Client,
    store: Arc<dyn TokenStore>,
    /// One client per authorizer, made on first use.
    authorizers: Mutex<HashMap<String, Client>>,
}

impl fmt::Debug for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Platform")
            .field("component_app_id", &self.inner.component_app_id)
            .field("authorizer_clients", &self.inner.authorizers.lock().map(|m| m.len()).unwrap_or(0))
            .finish_non_exhaustive()
    }
}

/// Builds a [`Platform`]: the component app id and secret, and the
/// settings of a [`ClientBuilder`] (base URL, token store, timeouts,
/// retries, HTTP client) that every client of the platform shares.
#[derive(Debug)]
pub struct PlatformBuilder {
    component_app_id: String,
    component_secret: Secret,
    client: ClientBuilder,
}

impl PlatformBuilder {
    /// The settings every client of the platform shares; its credentials
    /// and token settings other than the store are not used.
    pub fn client_settings(mut self, settings: impl FnOnce(ClientBuilder) -> ClientBuilder) -> Self {
        self.client = settings(self.client);
        self
    }

    /// Where the ticket, the component token and every authorizer's
    /// tokens are kept (default: in this process). Give every instance of
    /// the platform the same shared store.
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.client = self.client.token_store(store);
        self
    }

    /// Builds the platform.
    ///
    /// # Errors
    ///
    /// When the client settings are invalid (a bad base URL, …).
    pub fn build(self) -> Result<Platform, BuildError> {
        let component_app_id = self.component_app_id;
        // The platform's clients are made beside this one, sharing its
        // transport and store; it holds no tokens itself.
        let plain = self.client.app_id(component_app_id.clone()).without_access_token().build()?;
        let store = plain.store();
        let source = ComponentTokenSource {
            plain: plain.clone(),
            component_app_id: component_app_id.clone(),
            component_secret: self.component_secret,
            store: store.clone(),
        };
        let component =
            plain.sibling(&component_app_id, key(&component_app_id, "component", None), SiblingTokens::Component(Arc::new(source)));
        let inner = PlatformInner { component_app_id, plain, component, store, authorizers: Mutex::new(HashMap::new()) };
        Ok(Platform { inner: Arc::new(inner) })
    }
}

/// The store key of one of the platform's secrets.
fn key(component_app_id: &str, what: &str, authorizer: Option<&str>) -> String {
    match authorizer {
        Some(authorizer) => format!("{component_app_id}#{what}#{authorizer}"),
        None => format!("{component_app_id}#{what}"),
    }
}

/// What [`Platform::query_auth`] learned.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Authorization {
    /// The mini program (or official account) that authorized the platform.
    pub authorizer_app_id: String,
    /// The permission sets it granted (`func_info`), as WeChat sent them.
    pub func_info: Vec<serde_json::Value>,
}

/// Why a platform operation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum PlatformError {
    /// A WeChat call failed (its code, if WeChat answered with one).
    Call(Error<TokenCallError>),
    /// The component token could not be had (no ticket yet, a refused
    /// ticket or secret, …).
    Token(TokenError),
    /// The token store failed.
    Store(StoreError),
    /// WeChat's answer lacked what the flow needs (no refresh token: the
    /// mini program granted no API permission).
    Incomplete(&'static str),
}

impl fmt::Display for PlatformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlatformError::Call(error) => write!(f, "{error}"),
            PlatformError::Token(error) => write!(f, "the component access token: {error}"),
            PlatformError::Store(error) => write!(f, "{error}"),
            PlatformError::Incomplete(what) => write!(f, "WeChat's answer has no {what}"),
        }
    }
}

impl std::error::Error for PlatformError {}

impl From<Error<TokenCallError>> for PlatformError {
    fn from(error: Error<TokenCallError>) -> Self {
        PlatformError::Call(error)
    }
}

impl From<StoreError> for PlatformError {
    fn from(error: StoreError) -> Self {
        PlatformError::Store(error)
    }
}

impl Platform {
    /// A builder for the platform with this component app id and secret.
    pub fn builder(component_app_id: impl Into<String>, component_secret: impl Into<Secret>) -> PlatformBuilder {
        PlatformBuilder { component_app_id: component_app_id.into(), component_secret: component_secret.into(), client: Client::builder() }
    }

    /// The platform's component app id.
    pub fn component_app_id(&self) -> &str {
        &self.inner.component_app_id
    }

    /// The client that calls with the component access token: the
    /// endpoints whose spec says `auth: component_access_token`, and the
    /// template library (which takes it as `access_token`).
    pub fn component_client(&self) -> &Client {
        &self.inner.component
    }

    /// Keeps the `component_verify_ticket` WeChat pushed (every ten
    /// minutes, to the authorization event URL) for twelve hours; the
    /// component token is fetched with the latest one.
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub async fn set_verify_ticket(&self, ticket: &str) -> Result<(), PlatformError> {
        let now = now_ms();
        let expires = now + TICKET_LIFETIME.as_millis() as u64;
        let stored = StoredToken { value: Secret::new(ticket.trim()), refresh_at_ms: expires, expires_at_ms: expires };
        self.inner.store.save(&key(&self.inner.component_app_id, "ticket", None), &stored).await?;
        Ok(())
    }

    /// A pre-authorization code for the authorization page (valid ten
    /// minutes).
    ///
    /// # Errors
    ///
    /// When the component token or the call fails.
    pub async fn pre_auth_code(&self) -> Result<String, PlatformError> {
        let request = PreAuthCode { component_app_id: self.inner.component_app_id.clone() };
        let answer = self.inner.component.execute(request).await?;
        Ok(answer.pre_auth_code.expose().to_owned())
    }

    /// The page a merchant opens on a computer to authorize the platform
    /// (`componentloginpage`); WeChat sends them back to `redirect_uri`
    /// with `auth_code`. `auth_type`: 1 official accounts, 2 mini programs,
    /// 3 both (WeChat's default), …
    pub fn authorization_url(&self, pre_auth_code: &str, redirect_uri: &str, auth_type: Option<u32>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("component_appid", &self.inner.component_app_id)
            .append_pair("pre_auth_code", pre_auth_code)
            .append_pair("redirect_uri", redirect_uri);
        if let Some(auth_type) = auth_type {
            query.append_pair("auth_type", &auth_type.to_string());
        }
        format!("https://mp.weixin.qq.com/cgi-bin/componentloginpage?{}", query.finish())
    }

    /// Turns an authorization code (from the redirect, or the
    /// `authorized` / `updateauthorized` push) into the authorizer's
    /// tokens, kept in the store; [`authorizer`](Self::authorizer) then
    /// calls on its behalf.
    ///
    /// # Errors
    ///
    /// When the call fails (61010: the code expired), or the answer has
    /// no refresh token.
    pub async fn query_auth(&self, authorization_code: &str) -> Result<Authorization, PlatformError> {
        let component_app_id = self.inner.component_app_id.clone();
        let request = QueryAuth { component_app_id: component_app_id.clone(), authorization_code: Secret::new(authorization_code) };
        let asked_ms = now_ms();
        let info = self.inner.component.execute(request).await?.authorization_info;
        let refresh = info.authorizer_refresh_token.ok_or(PlatformError::Incomplete("authorizer_refresh_token"))?;
        let appid = info.authorizer_appid;
        self.save_refresh_token(&appid, &refresh).await?;
        if let (Some(token), Some(expires_in)) = (info.authorizer_access_token, info.expires_in) {
            let client = self.authorizer(&appid);
            client.seed_token(AccessToken::new(token, Duration::from_secs(u64::try_from(expires_in).unwrap_or(0))), asked_ms).await;
        }
        Ok(Authorization { authorizer_app_id: appid, func_info: info.func_info })
    }

    /// The client that calls every endpoint on behalf of `authorizer_app_id`,
    /// with its access token (refreshed from its refresh token, once per
    /// expiry for the fleet with a shared store; on 40001/42001 the
    /// authorizer's token is dropped and fetched again, and the call
    /// retried once). The same client each time for an app id.
    pub fn authorizer(&self, authorizer_app_id: &str) -> Client {
        let mut clients = self.inner.authorizers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = clients.get(authorizer_app_id) {
            return client.clone();
        }
        let component_app_id = &self.inner.component_app_id;
        let source = AuthorizerTokenSource {
            component: self.inner.component.clone(),
            component_app_id: component_app_id.clone(),
            authorizer_app_id: authorizer_app_id.to_owned(),
            store: self.inner.store.clone(),
        };
        let store_key = key(component_app_id, "authorizer", Some(authorizer_app_id));
        let client = self.inner.plain.sibling(authorizer_app_id, store_key, SiblingTokens::App(Arc::new(source)));
        clients.insert(authorizer_app_id.to_owned(), client.clone());
        client
    }

    /// Forgets an authorizer (after the `unauthorized` push): its refresh
    /// token and access token leave the store, and its client is dropped.
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub async fn forget_authorizer(&self, authorizer_app_id: &str) -> Result<(), PlatformError> {
        let client = self.inner.authorizers.lock().unwrap_or_else(|e| e.into_inner()).remove(authorizer_app_id);
        let store = &self.inner.store;
        let component_app_id = &self.inner.component_app_id;
        for what in ["refresh", "authorizer"] {
            let key = key(component_app_id, what, Some(authorizer_app_id));
            if let Some(stored) = store.load(&key).await? {
                store.invalidate(&key, &stored.value).await?;
            }
        }
        if let Some(client) = client {
            client.drop_cached_token();
        }
        Ok(())
    }

    /// Acts on a notification pushed to the platform's authorization event
    /// URL (read with a [`PushReceiver`](crate::receive::PushReceiver) for
    /// the component app id): a `component_verify_ticket` is kept, an
    /// authorization (new or updated) is turned into the authorizer's
    /// tokens, a revoked one forgotten. Returns whether the push was one
    /// of these (features `receive` and `third_party`).
    ///
    /// # Errors
    ///
    /// When the store or the authorization call fails.
    #[cfg(all(feature = "receive", feature = "third_party"))]
    pub async fn handle_push(&self, pushed: &crate::receive::Pushed) -> Result<bool, PlatformError> {
        use crate::receive::Event;
        match &pushed.event {
            Event::ComponentVerifyTicket(ticket) => self.set_verify_ticket(ticket.component_verify_ticket.expose()).await?,
            Event::Authorized(authorized) => {
                self.query_auth(authorized.authorization_code.expose()).await?;
            }
            Event::AuthorizationUpdated(updated) => {
                self.query_auth(updated.authorization_code.expose()).await?;
            }
            Event::Unauthorized(revoked) => self.forget_authorizer(&revoked.authorizer_appid).await?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    async fn save_refresh_token(&self, authorizer_app_id: &str, refresh: &Secret) -> Result<(), StoreError> {
        save_refresh_token(&*self.inner.store, &self.inner.component_app_id, authorizer_app_id, refresh).await
    }
}

async fn save_refresh_token(
    store: &dyn TokenStore,
    component_app_id: &str,
    authorizer_app_id: &str,
    refresh: &Secret,
) -> Result<(), StoreError> {
    let kept = now_ms() + REFRESH_TOKEN_KEPT.as_millis() as u64;
    let stored = StoredToken { value: refresh.clone(), refresh_at_ms: kept, expires_at_ms: kept };
    store.save(&key(component_app_id, "refresh", Some(authorizer_app_id)), &stored).await
}

/// The component token, from the latest ticket in the store.
struct ComponentTokenSource {
    plain: Client,
    component_app_id: String,
    component_secret: Secret,
    store: Arc<dyn TokenStore>,
}

impl TokenSource for ComponentTokenSource {
    fn fetch(&self, _force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, TokenError>> {
        Box::pin(async move {
            let ticket =
                self.store.load(&key(&self.component_app_id, "ticket", None)).await.map_err(|e| TokenError::new(None, e))?.ok_or_else(
                    || TokenError::new(None, Missing("no component_verify_ticket has been received yet (Platform::set_verify_ticket)")),
                )?;
            let request = ComponentToken {
                component_app_id: self.component_app_id.clone(),
                component_secret: self.component_secret.clone(),
                ticket: ticket.value,
            };
            let answer = self.plain.execute(request).await.map_err(|e| TokenError::new(e.code(), e))?;
            Ok(AccessToken::new(answer.component_access_token, lifetime(answer.expires_in)))
        })
    }
}

/// An authorizer's token, from its refresh token in the store; a new
/// refresh token WeChat hands back replaces the old one.
struct AuthorizerTokenSource {
    component: Client,
    component_app_id: String,
    authorizer_app_id: String,
    store: Arc<dyn TokenStore>,
}

impl TokenSource for AuthorizerTokenSource {
    fn fetch(&self, _force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, TokenError>> {
        Box::pin(async move {
            let refresh_key = key(&self.component_app_id, "refresh", Some(&self.authorizer_app_id));
            let refresh = self
                .store
                .load(&refresh_key)
                .await
                .map_err(|e| TokenError::new(None, e))?
                .ok_or_else(|| TokenError::new(None, Missing("this authorizer has no refresh token (not authorized, or forgotten)")))?;
            let request = AuthorizerToken {
                component_app_id: self.component_app_id.clone(),
                authorizer_app_id: self.authorizer_app_id.clone(),
                refresh_token: refresh.value.clone(),
            };
            let answer = self.component.execute(request).await.map_err(|e| TokenError::new(e.code(), e))?;
            if let Some(new) = answer.authorizer_refresh_token.filter(|new| new != &refresh.value) {
                save_refresh_token(&*self.store, &self.component_app_id, &self.authorizer_app_id, &new)
                    .await
                    .map_err(|e| TokenError::new(None, e))?;
            }
            Ok(AccessToken::new(answer.authorizer_access_token, lifetime(answer.expires_in)))
        })
    }
}

fn lifetime(expires_in: i64) -> Duration {
    Duration::from_secs(u64::try_from(expires_in).unwrap_or(0))
}

/// What the platform's store does not hold yet.
#[derive(Debug)]
struct Missing(&'static str);

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Missing {}
