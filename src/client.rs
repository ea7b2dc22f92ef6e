//! The [`Client`]: configuration, and the one path every call takes
//! (prepare → token → send → classify → maybe refresh and retry once).

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Url;
use tracing::Instrument;

use crate::api_security::SecuredApp;
use crate::error::{ApiError, CallInfo, Error, ErrorBody, ErrorKind, Limit, PrepareError, RetryKind, TokenError};
use crate::rate_limit::{RateLimiter, RateLimits};
use crate::runtime::{Auth, Credentials, EndpointMeta, Operation, Outcome, RequestParts, SuccessBody, classify};
use crate::store::{ForceRefreshLimits, MemoryStore, TokenStore};
use crate::token::{AccessToken, BoxFuture, ClassicToken, StableToken, TokenCache, TokenSettings, TokenSource};
use crate::transport::{AttemptLimits, Reading, Transport};
use crate::{MediaStream, Secret};

/// WeChat's API host.
pub const DEFAULT_BASE_URL: &str = "https://api.weixin.qq.com";
/// The host WeChat Cloud Run's open-API service answers on (plain HTTP,
/// no access token: the platform adds it).
pub const CLOUD_RUN_BASE_URL: &str = "http://api.weixin.qq.com";

/// A client for one mini program. Cheap to clone: clones share the HTTP
/// connection pool, the access token and the rate-limit counters.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    /// This handle's time limits, over the client's.
    limits: CallLimits,
}

/// A call's time limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct CallLimits {
    /// All attempts, the waits between them and a token fetch together.
    deadline: Option<Duration>,
    /// One HTTP exchange.
    attempt: Option<Duration>,
}

impl CallLimits {
    /// These limits, each unless set taken from `fallback`.
    fn or(self, fallback: CallLimits) -> CallLimits {
        CallLimits { deadline: self.deadline.or(fallback.deadline), attempt: self.attempt.or(fallback.attempt) }
    }
}

struct Inner {
    transport: Transport,
    /// As set on the builder.
    limits: CallLimits,
    /// The attempt timeout when none is set: 30 s with wxa's own HTTP
    /// client, none with the caller's.
    default_attempt: Option<Duration>,
    credentials: Credentials,
    tokens: Option<TokenCache>,
    token_mode: &'static str,
    retry: RetryPolicy,
    rate: Option<RateLimiter>,
    /// Where its tokens are kept, for the clients made beside it
    /// ([`Client::sibling`]).
    store: Arc<dyn TokenStore>,
    token_settings: TokenSettings,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("app_id", &self.inner.credentials.app_id)
            .field("app_secret", &self.inner.credentials.app_secret)
            .field("base_url", &self.inner.transport.base_url.as_str())
            .field("access_token", &self.inner.token_mode)
            .field("rate_limits", &self.inner.rate.is_some())
            .field("deadline", &self.limits.or(self.inner.limits).deadline)
            .field("attempt_timeout", &self.limits.or(self.inner.limits).attempt.or(self.inner.default_attempt))
            .finish()
    }
}

/// Where the client gets access tokens.
enum TokenMode {
    Stable,
    Classic,
    Source(Arc<dyn TokenSource>),
    Disabled,
}

/// The attempt timeout with wxa's own HTTP client when none is set.
const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// Builds a [`Client`].
pub struct ClientBuilder {
    credentials: Credentials,
    token: TokenMode,
    base_url: String,
    /// The call's deadline, and the attempt timeout (`None`: 30 s with
    /// wxa's own HTTP client, the caller's rules with theirs).
    limits: CallLimits,
    connect_timeout: Duration,
    http: Option<reqwest::Client>,
    retry: RetryPolicy,
    store: Option<Arc<dyn TokenStore>>,
    token_settings: TokenSettings,
    rate_limits: Option<RateLimits>,
    api_security: Option<crate::ApiSecurityKeys>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("app_id", &self.credentials.app_id)
            .field("app_secret", &self.credentials.app_secret)
            .field("base_url", &self.base_url)
            .field("limits", &self.limits)
            .field("rate_limits", &self.rate_limits)
            .field("api_security", &self.api_security)
            .finish_non_exhaustive()
    }
}

/// A client configuration that cannot work.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// The base URL does not parse or is not http(s).
    InvalidBaseUrl(String),
    /// WeChat's token endpoints need the app id and secret.
    MissingCredentials,
    /// The HTTP client could not be built.
    Http(String),
    /// A token store keys tokens by app id: set one with `credentials` or `app_id`.
    StoreNeedsAppId,
    /// The API security mode signs with the app id: set one with
    /// `credentials` or `app_id`.
    ApiSecurityNeedsAppId,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::InvalidBaseUrl(url) => write!(f, "invalid base URL `{url}`"),
            BuildError::MissingCredentials => f.write_str("access tokens from WeChat need the app id and the app secret; set `credentials`, a `token_source`, or `without_access_token`"),
            BuildError::Http(reason) => write!(f, "cannot build the HTTP client: {reason}"),
            BuildError::StoreNeedsAppId => f.write_str("a token store keeps tokens by app id: set `credentials` or `app_id`"),
            BuildError::ApiSecurityNeedsAppId => f.write_str("the API security mode signs with the app id: set `credentials` or `app_id`"),
        }
    }
}

impl std::error::Error for BuildError {}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            credentials: Credentials::default(),
            token: TokenMode::Stable,
            base_url: DEFAULT_BASE_URL.to_owned(),
            limits: CallLimits::default(),
            connect_timeout: Duration::from_secs(10),
            http: None,
            retry: RetryPolicy::default(),
            store: None,
            token_settings: TokenSettings::default(),
            rate_limits: None,
            api_security: None,
        }
    }
}

impl ClientBuilder {
    /// The app id and secret (AppID / AppSecret of the mini program). With
    /// them the client fetches access tokens from the stable-token
    /// endpoint, `POST /cgi-bin/stable_token` (see
    /// [`ClientBuilder::classic_token`] for the other one).
    pub fn credentials(mut self, app_id: impl Into<String>, app_secret: impl Into<Secret>) -> Self {
        self.credentials.app_id = Some(app_id.into());
        self.credentials.app_secret = Some(app_secret.into());
        self
    }

    /// An AppKey that signs payment calls (`pay_sig`): the production or
    /// sandbox key of virtual payment (the admin console's virtual payment
    /// settings) or of the B2b store (`b2bGetAppKey`). The client computes
    /// `pay_sig` over the exact body it sends, with the key of the
    /// environment the request's `env` names (production for calls without
    /// `env`); a call whose key is missing fails with
    /// [`PrepareError::MissingPayKey`](crate::PrepareError::MissingPayKey)
    /// before anything is sent. A secret: never sent, printed or logged.
    pub fn pay_app_key(mut self, key: crate::runtime::PayKey, env: crate::runtime::PayEnv, app_key: impl Into<Secret>) -> Self {
        self.credentials.pay_keys.set(key, env, app_key.into());
        self
    }

    /// Only the app id, for a client whose tokens come from a
    /// [`TokenSource`] and that calls endpoints needing the app id.
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.credentials.app_id = Some(app_id.into());
        self
    }

    /// Tokens from the classic endpoint, `GET /cgi-bin/token` (query
    /// `grant_type=client_credential`, `appid`, `secret`), instead of the
    /// stable-token endpoint, `POST /cgi-bin/stable_token` (JSON body
    /// `grant_type`, `appid`, `secret`, `force_refresh`), which is the
    /// default. Each classic fetch invalidates the token every other holder
    /// uses; prefer the default in a fleet.
    pub fn classic_token(mut self) -> Self {
        self.token = TokenMode::Classic;
        self
    }

    /// Tokens from your own source (e.g. a service that owns the app's token).
    pub fn token_source(mut self, source: Arc<dyn TokenSource>) -> Self {
        self.token = TokenMode::Source(source);
        self
    }

    /// No access token at all: for WeChat Cloud Run's open-API service.
    pub fn without_access_token(mut self) -> Self {
        self.token = TokenMode::Disabled;
        self
    }

    /// Where requests go (default `https://api.weixin.qq.com`): a proxy,
    /// or a fake server in tests. A path prefix is kept.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// The call's deadline: the most a call may take in all, every
    /// attempt, the waits between retries and fetching a token included
    /// (default: none; then a call is bounded by the attempt timeout and
    /// the [`RetryPolicy`]). No retry starts that could not finish before
    /// it, judging by how long the last attempt took; an error then says
    /// the deadline was reached ([`Error::deadline_reached`]) and after how
    /// many attempts. For the `…_stream` methods it bounds reaching the
    /// file's first bytes; each later wait for a chunk is bounded by the
    /// attempt timeout if one is set, else by this duration, not the whole
    /// transfer. Per handle: [`Client::with_timeout`].
    pub fn timeout(mut self, deadline: Duration) -> Self {
        self.limits.deadline = Some(deadline);
        self
    }

    /// The most one HTTP exchange may take, its answer read whole (default
    /// 30 s with wxa's own HTTP client; with yours, its own settings unless
    /// this is set). A retry gets a fresh attempt timeout, within the
    /// call's deadline. Uploads are bounded as a whole: give large ones
    /// time. Per handle: [`Client::with_attempt_timeout`].
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.limits.attempt = Some(timeout);
        self
    }

    /// Time to establish a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How passing failures are retried (default: [`RetryPolicy::default`]);
    /// [`RetryPolicy::none`] turns retries off.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Where the app's token is kept and its refresh coordinated (default:
    /// this client only). Give every instance of the app the same shared
    /// store (such as `RedisStore`) and the fleet fetches one token per
    /// expiry; share one [`MemoryStore`] to share a token between clients
    /// in a process. Needs the app id: tokens are keyed by it.
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// How long an instance may hold the refresh lease (default 10 s; it
    /// lapses if the instance dies), and how long the others wait for its
    /// result before failing (default 15 s).
    pub fn token_lease(mut self, lease: Duration, max_wait: Duration) -> Self {
        self.token_settings.lease_ttl = lease;
        self.token_settings.lease_wait = max_wait;
        self
    }

    /// Limits on forced token refreshes for the app (default: WeChat's 20
    /// a day, 30 s apart). Counted in the token store, so a shared store
    /// holds them for the whole fleet.
    pub fn force_refresh_limits(mut self, limits: ForceRefreshLimits) -> Self {
        self.token_settings.force_limits = limits;
        self
    }

    /// Enforces the rate limits the specs document (default: not
    /// enforced; WeChat enforces them with 45009 and the like).
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.rate_limits = Some(limits);
        self
    }

    /// Your own `reqwest` client. Its own settings then rule: the connect
    /// timeout set here is not applied, [`ClientBuilder::attempt_timeout`]
    /// only when set ([`ClientBuilder::timeout`] always is). A client-wide timeout of yours caps whole streamed
    /// downloads too, and should be left unset for large files. Build it
    /// with `redirect(reqwest::redirect::Policy::none())`: wxa follows no
    /// redirects, and an answer that came through one is reported as a
    /// decode error rather than read. Start from
    /// [`Client::http_client_builder`] to get wxa's TLS set-up (reqwest is
    /// built without a crypto provider of its own).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The keys of WeChat's API security mode (encrypted and signed calls,
    /// answers checked against the platform certificate). Calls whose spec
    /// requires the mode are always secured and fail with
    /// [`PrepareError::MissingApiSecurityKeys`](crate::PrepareError::MissingApiSecurityKeys)
    /// without keys; calls that only support it are secured when the keys
    /// say [`for_every_supported_call`](crate::ApiSecurityKeys::for_every_supported_call).
    /// Uploads, GETs and file downloads are always sent plain. Needs the
    /// app id ([`credentials`](Self::credentials) or [`app_id`](Self::app_id)).
    pub fn api_security(mut self, keys: crate::ApiSecurityKeys) -> Self {
        self.api_security = Some(keys);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, BuildError> {
        let base_url = Url::parse(&self.base_url).map_err(|_| BuildError::InvalidBaseUrl(self.base_url.clone()))?;
        // The query of every call is built after the path, so the base holds none.
        if !matches!(base_url.scheme(), "http" | "https")
            || base_url.cannot_be_a_base()
            || base_url.query().is_some()
            || base_url.fragment().is_some()
        {
            return Err(BuildError::InvalidBaseUrl(self.base_url));
        }
        let (http, default_attempt) = match self.http {
            Some(http) => (http, None),
            None => {
                let http = Client::http_client_builder()
                    .map_err(BuildError::Http)?
                    .connect_timeout(self.connect_timeout)
                    // WeChat never redirects. A redirect means a captive
                    // portal or a misrouted proxy: it is reported as the
                    // 3xx it is, and nothing is sent to where it points.
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| BuildError::Http(e.to_string()))?;
                // Applied per request rather than to the whole client, so
                // streamed downloads can time each chunk instead.
                (http, Some(DEFAULT_ATTEMPT_TIMEOUT))
            }
        };
        let limits = self.limits;
        let security = match (self.api_security, &self.credentials.app_id) {
            (None, _) => None,
            (Some(_), None) => return Err(BuildError::ApiSecurityNeedsAppId),
            (Some(keys), Some(app_id)) => Some(Arc::new(SecuredApp { keys, app_id: app_id.clone() })),
        };
        let transport = Transport { http, base_url, may_redirect: default_attempt.is_none(), security };
        if self.store.is_some() && self.credentials.app_id.is_none() {
            return Err(BuildError::StoreNeedsAppId);
        }
        let app_key = self.credentials.app_id.clone().unwrap_or_default();
        let store = self.store.unwrap_or_else(|| Arc::new(MemoryStore::new()));
        let settings = self.token_settings;
        let cache = |source: Arc<dyn TokenSource>| TokenCache::new(source, store.clone(), app_key.clone(), settings);
        let (tokens, token_mode) = match self.token {
            TokenMode::Disabled => (None, "none"),
            TokenMode::Source(source) => (Some(cache(source)), "custom source"),
            mode @ (TokenMode::Stable | TokenMode::Classic) => {
                if self.credentials.app_id.is_none() || self.credentials.app_secret.is_none() {
                    return Err(BuildError::MissingCredentials);
                }
                let classic = matches!(mode, TokenMode::Classic);
                let source = WeChatTokenSource {
                    transport: transport.clone(),
                    credentials: self.credentials.clone(),
                    retry: self.retry.clone(),
                    // Fetched within the deadline of the call that needs it.
                    limits: CallLimits { deadline: None, attempt: self.limits.attempt },
                    default_attempt,
                    classic,
                };
                (Some(cache(Arc::new(source))), if classic { "classic" } else { "stable" })
            }
        };
        let rate = self.rate_limits.map(|limits| RateLimiter::new(limits, app_key.clone()));
        let inner = Inner {
            transport,
            limits,
            default_attempt,
            credentials: self.credentials,
            tokens,
            token_mode,
            retry: self.retry,
            rate,
            store,
            token_settings: settings,
        };
        Ok(Client { inner: Arc::new(inner), limits: CallLimits::default() })
    }
}

impl Client {
    /// The token store its tokens are kept in.
    pub(crate) fn store(&self) -> Arc<dyn TokenStore> {
        self.inner.store.clone()
    }

    /// Stores and serves a token had some other way.
    pub(crate) async fn seed_token(&self, token: AccessToken, asked_ms: u64) {
        if let Some(tokens) = &self.inner.tokens {
            tokens.seed(token, asked_ms).await;
        }
    }

    /// Drops the token held in the process.
    pub(crate) fn drop_cached_token(&self) {
        if let Some(tokens) = &self.inner.tokens {
            tokens.forget();
        }
    }
}

/// Whose tokens a client made with [`Client::sibling`] holds.
pub(crate) enum SiblingTokens {
    /// A third-party platform's component access token.
    Component(Arc<dyn TokenSource>),
    /// An app's (an authorizer's) access token.
    App(Arc<dyn TokenSource>),
}

impl Client {
    /// A client for `app_id` that shares this one's HTTP client, base URL,
    /// time limits, retry policy and token store, with tokens of its own
    /// kept under `store_key`: a third-party platform's component client
    /// and one client per authorizer. Never in the API security mode (its
    /// keys belong to this client's app).
    pub(crate) fn sibling(&self, app_id: &str, store_key: String, tokens: SiblingTokens) -> Client {
        let inner = &*self.inner;
        let transport = Transport { security: None, ..inner.transport.clone() };
        let component = matches!(tokens, SiblingTokens::Component(_));
        let (tokens, token_mode) = match tokens {
            SiblingTokens::Component(source) => (Some(source), "component"),
            SiblingTokens::App(source) => (Some(source), "authorizer"),
        };
        let tokens = tokens.map(|source| TokenCache::new(source, inner.store.clone(), store_key, inner.token_settings));
        let credentials = Credentials { app_id: Some(app_id.to_owned()), component, ..Credentials::default() };
        let inner = Inner {
            transport,
            limits: inner.limits,
            default_attempt: inner.default_attempt,
            credentials,
            tokens,
            token_mode,
            retry: inner.retry.clone(),
            rate: None,
            store: inner.store.clone(),
            token_settings: inner.token_settings,
        };
        Client { inner: Arc::new(inner), limits: self.limits }
    }
}

impl Client {
    /// A client with default settings for an app id and secret.
    pub fn new(app_id: impl Into<String>, app_secret: impl Into<Secret>) -> Result<Client, BuildError> {
        Client::builder().credentials(app_id, app_secret).build()
    }

    /// A builder with the defaults: WeChat's host, stable tokens, a 30 s
    /// attempt timeout, no deadline for the whole call.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A `reqwest` builder with the TLS set-up wxa's own HTTP client has
    /// (rustls on `ring`, or `aws-lc-rs` with that feature, and the system's
    /// certificate verifier), for a client of your own to pass to
    /// [`ClientBuilder::http_client`].
    ///
    /// # Errors
    ///
    /// When the system's certificate verifier cannot be loaded.
    pub fn http_client_builder() -> Result<reqwest::ClientBuilder, String> {
        Ok(reqwest::Client::builder().tls_backend_preconfigured(crate::tls::client_config()?))
    }

    /// A client for WeChat Cloud Run's open-API service: plain HTTP to
    /// `api.weixin.qq.com`, no access token.
    pub fn cloud_run() -> Result<Client, BuildError> {
        Client::builder().base_url(CLOUD_RUN_BASE_URL).without_access_token().build()
    }

    /// A handle on the same client whose calls each get `deadline` for
    /// the whole call (see [`ClientBuilder::timeout`]) instead of the
    /// client's: a large media download, a quick probe.
    ///
    /// ```no_run
    /// # async fn demo(client: wxa::Client) {
    /// use std::time::Duration;
    /// use wxa::api::customer_service::GetTempMediaRequest;
    /// let media = client.with_timeout(Duration::from_secs(120)).get_temp_media(GetTempMediaRequest::new("MEDIA_ID")).await;
    /// # let _ = media; }
    /// ```
    pub fn with_timeout(&self, deadline: Duration) -> Client {
        Client { inner: self.inner.clone(), limits: CallLimits { deadline: Some(deadline), ..self.limits } }
    }

    /// A handle on the same client whose HTTP exchanges each get `timeout`
    /// (see [`ClientBuilder::attempt_timeout`]) instead of the client's.
    pub fn with_attempt_timeout(&self, timeout: Duration) -> Client {
        Client { inner: self.inner.clone(), limits: CallLimits { attempt: Some(timeout), ..self.limits } }
    }

    /// The app id, when the client has one.
    pub fn app_id(&self) -> Option<&str> {
        self.inner.credentials.app_id.as_deref()
    }

    /// The current access token, fetched if needed: for calls wxa does not
    /// cover yet. Report a rejected one with [`Client::invalidate_access_token`].
    pub async fn access_token(&self) -> Result<Secret, TokenError> {
        match &self.inner.tokens {
            Some(tokens) => tokens.get().await,
            None => Err(TokenError::new(None, NoTokens)),
        }
    }

    /// Reports that WeChat rejected `token` (40001, 40014, 42001): it is
    /// dropped if still current, here and in the token store, and the next
    /// call gets a new one.
    pub async fn invalidate_access_token(&self, token: &Secret) {
        if let Some(tokens) = &self.inner.tokens {
            tokens.invalidate(token).await;
        }
    }

    /// Runs one endpoint call. Every generated method ends here.
    pub(crate) fn execute<O: Operation>(&self, request: O) -> impl Future<Output = Result<O::Output, Error<O::Error>>> + Send + '_ {
        call_operation(self.context(), request)
    }

    /// Runs one call of a binary endpoint and hands back the file as it
    /// arrives. Every generated `…_stream` method ends here.
    pub(crate) async fn execute_stream<O: Operation>(&self, request: O) -> Result<MediaStream, Error<O::Error>> {
        let (body, _) = send_operation(self.context(), request, Reading::Streamed).await?;
        Ok(body.into_media_stream())
    }

    fn context(&self) -> CallContext<'_> {
        let inner = &*self.inner;
        CallContext {
            transport: &inner.transport,
            tokens: inner.tokens.as_ref(),
            credentials: &inner.credentials,
            retry: &inner.retry,
            rate: inner.rate.as_ref(),
            limits: self.limits.or(inner.limits),
            default_attempt: inner.default_attempt,
        }
    }
}

/// What a call takes from its client.
#[derive(Clone, Copy)]
struct CallContext<'a> {
    transport: &'a Transport,
    tokens: Option<&'a TokenCache>,
    credentials: &'a Credentials,
    retry: &'a RetryPolicy,
    rate: Option<&'a RateLimiter>,
    limits: CallLimits,
    default_attempt: Option<Duration>,
}

/// One typed call: the request's parts, the shared untyped `run`, then the
/// endpoint's own decoding and error enum. Used by every generated method
/// and by the built-in token sources.
///
/// Not an `async fn` of its own: one level less of future around the
/// call's state, which every call builds and moves.
fn call_operation<'a, O: Operation>(
    context: CallContext<'a>,
    request: O,
) -> impl Future<Output = Result<O::Output, Error<O::Error>>> + Send + 'a {
    use futures_util::FutureExt;
    send_operation(context, request, Reading::Whole).map(|sent| {
        let (body, call) = sent?;
        O::decode(body).map_err(|failure| Error::new(ErrorKind::Decode(failure.into_error(!O::META.secret_response)), call))
    })
}

/// The request's parts through `run`, with WeChat's codes read as the
/// endpoint's error enum; the successful answer is left to the caller.
async fn send_operation<O: Operation>(
    context: CallContext<'_>,
    request: O,
    reading: Reading,
) -> Result<(SuccessBody, CallInfo), Error<O::Error>> {
    if O::META.auth.needs_component_token() && !context.credentials.component {
        return Err(Error::new(ErrorKind::Prepare(PrepareError::NeedsComponentClient), CallInfo::new(O::META.name)));
    }
    let parts = match request.into_parts(context.credentials) {
        Ok(parts) => parts,
        Err(error) => return Err(Error::new(ErrorKind::Prepare(error), CallInfo::new(O::META.name))),
    };
    let retry_kind = |body: &ErrorBody| O::Error::from_body(body.clone()).retry_kind();
    run(&context, &O::META, &parts, &retry_kind, reading).await.map_err(|e| e.map_api(O::Error::from_body))
}

/// The error of [`Client::access_token`] on a client without tokens.
#[derive(Debug)]
struct NoTokens;

impl fmt::Display for NoTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("this client was built without access tokens")
    }
}

impl std::error::Error for NoTokens {}

/// The untyped core of a call, shared by all endpoints so the generic part
/// stays small: send, classify, and
/// - on a token-invalid code drop the token, fetch a new one and send once
///   more (a rejected token means WeChat did not run the call, so this is
///   safe even for sends);
/// - on a passing failure, retry with backoff as [`RetryPolicy`] allows:
///   only calls the spec marks safe to retry, except when the connection
///   was never made (then nothing was sent);
/// - all of it within the call's deadline, if it has one.
///
/// The call's span records the endpoint, and at the end the attempts, the
/// time and WeChat's request id, once each; each attempt has a span of its
/// own with its number and HTTP status.
async fn run(
    context: &CallContext<'_>,
    meta: &EndpointMeta,
    parts: &RequestParts,
    retry_kind: &(dyn Fn(&ErrorBody) -> RetryKind + Sync),
    reading: Reading,
) -> Result<(SuccessBody, CallInfo), Error<ErrorBody>> {
    let span = tracing::debug_span!(
        "wxa.call",
        endpoint = meta.name,
        rid = tracing::field::Empty,
        attempts = tracing::field::Empty,
        elapsed_ms = tracing::field::Empty
    );
    // Entering a span on every poll costs about 2 % of a loopback call even
    // with no subscriber, so only calls someone listens to are instrumented.
    if span.is_disabled() {
        attempts(context, meta, parts, retry_kind, reading, None).await
    } else {
        attempts(context, meta, parts, retry_kind, reading, Some(&span)).instrument(span.clone()).await
    }
}

/// The attempts of one call, until one succeeds or the call gives up.
async fn attempts(
    context: &CallContext<'_>,
    meta: &EndpointMeta,
    parts: &RequestParts,
    retry_kind: &(dyn Fn(&ErrorBody) -> RetryKind + Sync),
    reading: Reading,
    span: Option<&tracing::Span>,
) -> Result<(SuccessBody, CallInfo), Error<ErrorBody>> {
    let CallContext { transport, tokens, credentials, retry: policy, rate, limits, default_attempt } = *context;
    let started = Instant::now();
    let deadline = limits.deadline.map(|total| Deadline { end: started + total, total });
    let mut call = CallInfo::new(meta.name);
    let mut refreshed = false;
    let mut jitter = None;
    let result = loop {
        if let Some(rate) = rate
            && let Err(retry_after) = rate.admit(meta).await
        {
            break Err(ErrorKind::RateLimited { retry_after });
        }
        let left = match deadline.map(|d| d.left()) {
            Some(None) => break Err(deadline_reached(&mut call, deadline)),
            Some(Some(left)) => Some(left),
            None => None,
        };
        let token = match (meta.auth, tokens) {
            // The cached token, without the refresh's future in this state.
            (auth, Some(tokens))
                if auth != Auth::None
                    && let Some(token) = tokens.fresh() =>
            {
                Some(token)
            }
            (auth, Some(tokens)) if auth != Auth::None => match within(left, Box::pin(tokens.get())).await {
                None => break Err(deadline_reached(&mut call, deadline)),
                Some(Err(error)) => break Err(ErrorKind::Token(error)),
                Some(Ok(token)) => Some(token),
            },
            _ => None,
        };
        call.attempts += 1;
        // Only a deadline needs to know how long an attempt took.
        let attempt_started = deadline.map(|_| Instant::now());
        let limits = attempt_limits(limits, default_attempt, left.zip(deadline));
        let attempt_span = span.map(|_| tracing::debug_span!("wxa.attempt", attempt = call.attempts, status = tracing::field::Empty));
        let sent = transport.send(meta, parts, token.as_ref(), limits, reading);
        let sent = match &attempt_span {
            None => sent.await,
            Some(attempt_span) => sent.instrument(attempt_span.clone()).await,
        };
        let step = match sent {
            Err(error) => Err(error),
            Ok(raw) => {
                if let Some(attempt_span) = &attempt_span {
                    attempt_span.record("status", raw.status);
                }
                match classify(meta.response, raw) {
                    Outcome::Success(body) => Ok(body),
                    Outcome::Api(mut body) => {
                        scrub(&mut body, token.as_ref(), credentials);
                        if let (Some(span), Some(rid)) = (span, body.rid()) {
                            span.record("rid", rid);
                        }
                        if let (RetryKind::RefreshToken, Some(token), Some(tokens)) = (retry_kind(&body), &token, tokens) {
                            // Dropped even after the retry, so the next call does not reuse it.
                            tokens.invalidate(token).await;
                            if !refreshed && parts.can_resend() {
                                tracing::info!(code = body.code, "access token rejected; refreshing it and retrying once");
                                refreshed = true;
                                call.may_have_reached_wechat = true;
                                continue;
                            }
                        }
                        Err(ErrorKind::Api(body))
                    }
                    Outcome::HttpStatus { status, body, truncated } => {
                        let body = if meta.secret_response {
                            crate::error::RawBody::redacted(body.len())
                        } else {
                            crate::error::RawBody::kept(scrub_bytes(body, token.as_ref(), credentials))
                        }
                        .truncated_if(truncated);
                        Err(ErrorKind::HttpStatus { status, body })
                    }
                    Outcome::Undecodable(mut failure) => {
                        failure.body = scrub_bytes(failure.body, token.as_ref(), credentials);
                        Err(ErrorKind::Decode(failure.into_error(!meta.secret_response)))
                    }
                }
            }
        };
        let error = match step {
            Ok(body) => {
                call.may_have_reached_wechat = true;
                break Ok(body);
            }
            Err(error) => error,
        };
        call.may_have_reached_wechat |= error.may_have_reached_wechat();
        if let ErrorKind::Timeout(Limit::Deadline(total)) = error {
            call.deadline_reached = Some(total);
            break Err(error);
        }
        let delay = (retryable(&error, meta, retry_kind) && parts.can_resend())
            .then(|| policy.delay(call.attempts, started.elapsed(), jitter.get_or_insert_with(Jitter::new)))
            .flatten();
        let Some(delay) = delay else { break Err(error) };
        // The next attempt must fit before the deadline, judging by how
        // long this one took.
        if let (Some(deadline), Some(attempt_started)) = (deadline, attempt_started)
            && Instant::now() + delay + attempt_started.elapsed() >= deadline.end
        {
            call.deadline_reached = Some(deadline.total);
            break Err(error);
        }
        tracing::debug!(attempt = call.attempts, delay_ms = delay.as_millis() as u64, %error, "passing failure; retrying");
        tokio::time::sleep(delay).await;
    };
    call.elapsed = started.elapsed();
    if let Some(span) = span {
        span.record("elapsed_ms", call.elapsed.as_secs_f64() * 1e3);
        span.record("attempts", call.attempts);
    }
    match result {
        Ok(body) => {
            tracing::debug!("call succeeded");
            Ok((body, call))
        }
        Err(kind) => {
            match &kind {
                ErrorKind::Api(body) => tracing::debug!(code = body.code, "call answered with an error code"),
                error => tracing::debug!(%error, "call failed"),
            }
            Err(Error::new(kind, call))
        }
    }
}

/// When a call with a deadline must end.
#[derive(Clone, Copy)]
struct Deadline {
    end: Instant,
    total: Duration,
}

impl Deadline {
    /// The time left, `None` once it has passed.
    fn left(self) -> Option<Duration> {
        self.end.checked_duration_since(Instant::now()).filter(|left| !left.is_zero())
    }
}

/// Notes that the deadline ended the call, and the error that says so.
fn deadline_reached(call: &mut CallInfo, deadline: Option<Deadline>) -> ErrorKind<ErrorBody> {
    let total = deadline.map_or(Duration::ZERO, |d| d.total);
    call.deadline_reached = Some(total);
    ErrorKind::Timeout(Limit::Deadline(total))
}

/// `future`'s output, or `None` when `left` runs out first.
async fn within<T>(left: Option<Duration>, future: impl Future<Output = T>) -> Option<T> {
    match left {
        None => Some(future.await),
        Some(left) => tokio::time::timeout(left, future).await.ok(),
    }
}

/// One attempt's limits: the attempt timeout or the time left before the
/// deadline, whichever ends first (and is reported when it runs out); a
/// streamed answer's chunks each get the attempt timeout set, or without
/// one the deadline's length, or else the default attempt timeout.
fn attempt_limits(limits: CallLimits, default_attempt: Option<Duration>, left: Option<(Duration, Deadline)>) -> AttemptLimits {
    let attempt = limits.attempt.or(default_attempt).map(|timeout| (timeout, Limit::Attempt(timeout)));
    let deadline = left.map(|(left, deadline)| (left, Limit::Deadline(deadline.total)));
    let until = match (attempt, deadline) {
        (Some(attempt), Some(deadline)) => Some(if attempt.0 < deadline.0 { attempt } else { deadline }),
        (attempt, deadline) => attempt.or(deadline),
    };
    AttemptLimits { until, chunk: limits.attempt.or(limits.deadline).or(default_attempt) }
}

/// Whether a failure may be retried: connection failures always (nothing
/// reached WeChat); timeouts, cut connections, gateway errors and transient
/// codes only for calls the spec marks safe to send twice. Throttles and
/// final codes never.
fn retryable(error: &ErrorKind<ErrorBody>, meta: &EndpointMeta, retry_kind: &(dyn Fn(&ErrorBody) -> RetryKind + Sync)) -> bool {
    match error {
        ErrorKind::Transport(transport) if transport.is_connect() => true,
        ErrorKind::Transport(_) | ErrorKind::Timeout(_) => meta.retry_safe,
        ErrorKind::HttpStatus { status, .. } => meta.retry_safe && matches!(status, 500 | 502 | 503 | 504),
        ErrorKind::Api(body) => meta.retry_safe && retry_kind(body) == RetryKind::Transient,
        // A refused secured answer may be forged or broken on the way;
        // sending again would not make it trustworthy.
        ErrorKind::Decode(_) | ErrorKind::Token(_) | ErrorKind::Prepare(_) | ErrorKind::RateLimited { .. } | ErrorKind::ApiSecurity(_) => {
            false
        }
    }
}

/// How passing failures are retried: exponential backoff with full jitter,
/// bounded in attempts and in total time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 means never retry).
    pub max_attempts: u32,
    /// The backoff before the first retry, doubled for each one after.
    pub base_delay: Duration,
    /// The longest single wait.
    pub max_delay: Duration,
    /// No retry starts once this much time has passed since the call began.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts, 100 ms doubling to at most 2 s, within 10 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            max_elapsed: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> RetryPolicy {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// The wait before attempt `attempt + 1`, or `None` when the policy is
    /// spent. Full jitter: a uniform draw from zero to the exponential cap.
    fn delay(&self, attempt: u32, elapsed: Duration, jitter: &mut Jitter) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let cap = self.base_delay.saturating_mul(1u32 << (attempt - 1).min(20)).min(self.max_delay);
        let delay = cap.mul_f64(jitter.next_unit());
        (elapsed + delay < self.max_elapsed).then_some(delay)
    }
}

/// A small xorshift generator for backoff jitter; no cryptographic needs.
struct Jitter(u64);

impl Jitter {
    fn new() -> Jitter {
        static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0x9e37_79b9_7f4a_7c15);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        let seed = nanos ^ CALLS.fetch_add(0x9e37_79b9_7f4a_7c15, std::sync::atomic::Ordering::Relaxed);
        Jitter(seed | 1)
    }

    /// A number in [0, 1).
    fn next_unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The credentials a call may have sent: they must not come back in an
/// error, whoever echoes them (WeChat in errmsg, a gateway's error page
/// quoting the URL).
fn sent_secrets<'a>(token: Option<&'a Secret>, credentials: &'a Credentials) -> impl Iterator<Item = &'a str> {
    token.into_iter().chain(credentials.app_secret.as_ref()).map(Secret::expose).filter(|s| !s.is_empty())
}

fn scrub(body: &mut ErrorBody, token: Option<&Secret>, credentials: &Credentials) {
    for secret in sent_secrets(token, credentials) {
        if body.message.contains(secret) {
            body.message = body.message.replace(secret, crate::secret::REDACTED);
        }
    }
}

/// The same for a raw body; copies only when a secret is found.
fn scrub_bytes(body: bytes::Bytes, token: Option<&Secret>, credentials: &Credentials) -> bytes::Bytes {
    let mut body = body;
    for secret in sent_secrets(token, credentials) {
        let needle = secret.as_bytes();
        if body.windows(needle.len()).any(|w| w == needle) {
            let mut out = Vec::with_capacity(body.len());
            let mut rest: &[u8] = &body;
            while let Some(at) = rest.windows(needle.len()).position(|w| w == needle) {
                out.extend_from_slice(&rest[..at]);
                out.extend_from_slice(crate::secret::REDACTED.as_bytes());
                rest = &rest[at + needle.len()..];
            }
            out.extend_from_slice(rest);
            body = out.into();
        }
    }
    body
}

/// Tokens from WeChat's own endpoints, with the client's credentials.
struct WeChatTokenSource {
    transport: Transport,
    credentials: Credentials,
    retry: RetryPolicy,
    limits: CallLimits,
    default_attempt: Option<Duration>,
    classic: bool,
}

impl WeChatTokenSource {
    async fn call<O: Operation>(&self, request: O) -> Result<O::Output, TokenError>
    where
        Error<O::Error>: std::error::Error + Send + Sync + 'static,
    {
        // No token cache: these calls are how tokens are had.
        let context = CallContext {
            transport: &self.transport,
            tokens: None,
            credentials: &self.credentials,
            retry: &self.retry,
            rate: None,
            limits: self.limits,
            default_attempt: self.default_attempt,
        };
        call_operation(context, request).await.map_err(|error| TokenError::new(error.code(), error))
    }
}

fn lifetime(expires_in: i64) -> Duration {
    Duration::from_secs(u64::try_from(expires_in).unwrap_or(0))
}

impl TokenSource for WeChatTokenSource {
    fn fetch(&self, force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, TokenError>> {
        Box::pin(async move {
            let answer = if self.classic { self.call(ClassicToken).await? } else { self.call(StableToken { force_refresh }).await? };
            Ok(AccessToken::new(answer.access_token, lifetime(answer.expires_in)))
        })
    }
}

#[cfg(test)]
mod retry_tests {
    use super::*;

    #[test]
    fn backoff_is_bounded_by_attempts_cap_and_time() {
        let policy = RetryPolicy::default();
        let mut jitter = Jitter::new();
        for _ in 0..1000 {
            let first = policy.delay(1, Duration::ZERO, &mut jitter).expect("a second attempt");
            assert!(first <= Duration::from_millis(100));
            let second = policy.delay(2, Duration::ZERO, &mut jitter).expect("a third attempt");
            assert!(second <= Duration::from_millis(200));
        }
        assert_eq!(policy.delay(3, Duration::ZERO, &mut jitter), None, "three attempts in all");
        assert_eq!(policy.delay(1, Duration::from_secs(10), &mut jitter), None, "out of time");
        assert_eq!(RetryPolicy::none().delay(1, Duration::ZERO, &mut jitter), None);
        let long = RetryPolicy { max_attempts: 40, max_elapsed: Duration::from_secs(3600), ..RetryPolicy::default() };
        for attempt in 1..40 {
            assert!(long.delay(attempt, Duration::ZERO, &mut jitter).expect("within the policy") <= Duration::from_secs(2));
        }
    }
}
