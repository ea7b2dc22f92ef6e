//! A fake WeChat server on loopback, for tests of code that uses wxa
//! (feature `testing`).
//!
//! It speaks WeChat's wire format for the endpoints wxa covers: tokens
//! (classic and stable), media download and upload, customer-service
//! messages, QR codes and code2Session. It checks the access token like
//! WeChat does, answers errors as HTTP 200 JSON with a `rid`, counts calls
//! and records requests, and can be scripted to answer anything
//! ([`ScriptedResponse`]) to exercise error paths.
//!
//! ```no_run
//! # async fn demo() {
//! let fake = wxa::testing::FakeWeChat::start().await;
//! fake.add_media("MEDIA_ID", b"\xff\xd8\xff".to_vec(), "image/jpeg");
//! let client = fake.client();
//! let media = client
//!     .get_temp_media(wxa::api::customer_service::GetTempMediaRequest::new("MEDIA_ID"))
//!     .await
//!     .unwrap();
//! assert_eq!(media.bytes.as_ref(), b"\xff\xd8\xff");
//! # }
//! ```

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::{Client, ClientBuilder};

pub mod contract;
mod platform;
#[cfg(feature = "receive")]
mod push;
#[cfg(feature = "redis")]
mod redis_server;
mod secure;
pub use platform::{FAKE_COMPONENT_APP_ID, FAKE_COMPONENT_SECRET};
#[cfg(feature = "receive")]
pub use push::{FAKE_ORIGINAL_ID, PUSH_ENCODING_AES_KEY, PUSH_TOKEN, PushAnswer, PushFailure, PushMode, sample_event};
#[cfg(feature = "redis")]
pub use redis_server::RedisServer;
pub use secure::{APP_KEY_SN, PLATFORM_SN, SYMMETRIC_SN, api_security_keys};

use contract::EndpointContract;
pub use contract::{assert_documented_error, assert_success, contract_test};

use crate::runtime::EndpointMeta;

/// The app id the fake server accepts unless told otherwise.
pub const FAKE_APP_ID: &str = "wx00000000fake0001";
/// The app secret the fake server accepts unless told otherwise.
pub const FAKE_APP_SECRET: &str = "fake-app-secret-0123456789abcdef";

/// An answer to give instead of the normal one, faults included: a body
/// cut off, stalled, or shorter than its `Content-Length`.
#[derive(Debug, Clone)]
pub struct ScriptedResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Bytes,
    delay: Option<Duration>,
    fault: Option<BodyFault>,
}

/// What goes wrong with a scripted body after its first `at` bytes.
#[derive(Debug, Clone, Copy)]
enum BodyFault {
    /// The connection is aborted: the client sees a reset mid-body.
    CutAfter { at: usize },
    /// The rest comes only after `pause`.
    StallAfter { at: usize, pause: Duration },
}

impl ScriptedResponse {
    /// An answer with this status and an empty body.
    pub fn new(status: u16) -> ScriptedResponse {
        ScriptedResponse { status, headers: Vec::new(), body: Bytes::new(), delay: None, fault: None }
    }

    /// Sends the first `at` bytes of the body, then aborts the connection
    /// (the client sees it reset mid-body). With a `content-length` header
    /// larger than the body, this is also a body shorter than promised.
    pub fn cut_after(mut self, at: usize) -> ScriptedResponse {
        self.fault = Some(BodyFault::CutAfter { at });
        self
    }

    /// Sends the first `at` bytes of the body, waits `pause`, then sends
    /// the rest (a body slower than the client's timeout).
    pub fn stall_after(mut self, at: usize, pause: Duration) -> ScriptedResponse {
        self.fault = Some(BodyFault::StallAfter { at, pause });
        self
    }

    /// WeChat's error shape, HTTP 200, under `content_type`.
    pub fn json_error(code: i64, message: &str, content_type: &str) -> ScriptedResponse {
        ScriptedResponse::new(200)
            .header("content-type", content_type)
            .body(json!({"errcode": code, "errmsg": format!("{message} rid: scripted-{code}")}).to_string())
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> ScriptedResponse {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Bytes>) -> ScriptedResponse {
        self.body = body.into();
        self
    }

    /// Waits this long before answering (for timeouts).
    pub fn delay(mut self, delay: Duration) -> ScriptedResponse {
        self.delay = Some(delay);
        self
    }
}

/// A request the fake server received.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    /// HTTP method.
    pub method: String,
    /// Path, e.g. `/cgi-bin/media/get`.
    pub path: String,
    /// Query parameters in order.
    pub query: Vec<(String, String)>,
    /// `Content-Type` of the request.
    pub content_type: Option<String>,
    /// The JSON body, when it was JSON.
    pub json: Option<Value>,
    /// The body's bytes as received, when it was not multipart (what
    /// signatures are computed over).
    pub body: bytes::Bytes,
    /// The parts of a multipart body, in order.
    pub parts: Vec<ReceivedPart>,
    /// The encrypted envelope as received, when the request came in the
    /// API security mode; `query`, `json` and `body` then hold what it
    /// decrypted to.
    pub secured: Option<bytes::Bytes>,
}

/// One part of a multipart body the fake server received.
#[derive(Debug, Clone)]
pub struct ReceivedPart {
    /// Form part name.
    pub name: String,
    /// File name sent with the part, if any.
    pub file_name: Option<String>,
    /// Content type sent with the part, if any.
    pub content_type: Option<String>,
    /// The bytes.
    pub bytes: Bytes,
}

impl ReceivedRequest {
    /// The value of a query parameter.
    pub fn query_value(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// A file the fake server received in a multipart upload.
#[derive(Debug, Clone)]
pub struct ReceivedUpload {
    /// Form part name.
    pub part: String,
    /// File name sent with the part.
    pub file_name: Option<String>,
    /// Content type sent with the part.
    pub content_type: Option<String>,
    /// The bytes.
    pub bytes: Bytes,
    /// The media id the fake server gave it.
    pub media_id: String,
}

#[derive(Clone)]
struct StoredMedia {
    bytes: MediaBytes,
    content_type: String,
}

/// A stored file's bytes: held, or made as they are sent (large files for
/// memory benchmarks, which must not count the server's copy).
#[derive(Clone)]
enum MediaBytes {
    Held(Bytes),
    Generated { len: u64 },
}

/// Byte `offset` of a file added with [`FakeWeChat::add_generated_media`].
pub fn generated_media_byte(offset: u64) -> u8 {
    (offset % 251) as u8
}

/// The body of a generated file, made 64 KiB at a time.
fn generated_body(len: u64) -> Body {
    const CHUNK: u64 = 64 * 1024;
    let chunks = futures_util::stream::iter((0..len.div_ceil(CHUNK)).map(move |i| {
        let start = i * CHUNK;
        let bytes: Vec<u8> = (start..(start + CHUNK).min(len)).map(generated_media_byte).collect();
        Ok::<_, std::convert::Infallible>(Bytes::from(bytes))
    }));
    Body::from_stream(chunks)
}

#[derive(Default)]
struct Inner {
    current_token: Option<String>,
    /// Tokens WeChat accepts, and when each expires.
    valid_tokens: HashMap<String, Instant>,
    /// When each forced stable-token refresh came.
    forced_refreshes: Vec<Instant>,
    issued_tokens: Vec<String>,
    media: BTreeMap<String, StoredMedia>,
    scripted: BTreeMap<String, VecDeque<ScriptedResponse>>,
    calls: BTreeMap<String, u64>,
    requests: Vec<ReceivedRequest>,
    uploads: Vec<ReceivedUpload>,
    reject_all_tokens: bool,
    injected: BTreeMap<String, VecDeque<i64>>,
    violations: Vec<String>,
    tampered_answers: VecDeque<AnswerTamper>,
    platform: platform::PlatformState,
}

/// A way the fake spoils its next secured answer, to test that a client
/// refuses it ([`FakeWeChat::tamper_next_secured_answer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AnswerTamper {
    /// A byte of the signed envelope changed after signing.
    Body,
    /// Signed, but naming a platform certificate the client does not hold.
    Serial,
    /// Signed for another app id.
    AppId,
    /// Signed an hour ago.
    Stale,
    /// Sent without a signature (a successful answer all the same).
    Unsigned,
}

/// The AppKeys the fake signs and checks payment calls with;
/// [`FakeWeChat::client_builder`] gives them to the client.
pub const PAY_APP_KEYS: [(crate::runtime::PayKey, crate::runtime::PayEnv, &str); 4] = [
    (crate::runtime::PayKey::VirtualPayment, crate::runtime::PayEnv::Production, "fake-virtual-payment-live-appkey"),
    (crate::runtime::PayKey::VirtualPayment, crate::runtime::PayEnv::Sandbox, "fake-virtual-payment-sandbox-appkey"),
    (crate::runtime::PayKey::B2bStore, crate::runtime::PayEnv::Production, "fake-b2b-store-live-appkey"),
    (crate::runtime::PayKey::B2bStore, crate::runtime::PayEnv::Sandbox, "fake-b2b-store-sandbox-appkey"),
];

fn fake_pay_keys() -> crate::runtime::sign::PayKeys {
    let mut keys = crate::runtime::sign::PayKeys::default();
    for (key, env, value) in PAY_APP_KEYS {
        keys.set(key, env, value.into());
    }
    keys
}

struct State {
    app_id: String,
    app_secret: String,
    /// Cloud Run mode: no access token expected (one sent is an error).
    cloud_run: bool,
    /// Contract mode: every endpoint but the token calls is answered from
    /// its spec alone.
    contract_only: bool,
    /// The specs' contracts by path.
    contracts: BTreeMap<&'static str, Vec<EndpointContract>>,
    token_lifetime_ms: AtomicU64,
    token_fetches: AtomicU64,
    counter: AtomicU64,
    inner: Mutex<Inner>,
}

impl State {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn token_lifetime(&self) -> Duration {
        Duration::from_millis(self.token_lifetime_ms.load(Ordering::Relaxed))
    }

    fn new_token(&self, inner: &mut Inner) -> String {
        let token = format!("FAKE_TOKEN_{}_{:016x}_{}", self.app_id, self.next().wrapping_mul(0x9e37_79b9_7f4a_7c15), self.next());
        inner.valid_tokens.insert(token.clone(), Instant::now() + self.token_lifetime());
        inner.issued_tokens.push(token.clone());
        inner.current_token = Some(token.clone());
        token
    }
}

/// The fake server. Stops when dropped.
pub struct FakeWeChat {
    base_url: String,
    state: Arc<State>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl std::fmt::Debug for FakeWeChat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeWeChat").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

impl Drop for FakeWeChat {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl FakeWeChat {
    /// Starts on a free loopback port with [`FAKE_APP_ID`] and [`FAKE_APP_SECRET`].
    pub async fn start() -> FakeWeChat {
        FakeWeChat::start_with(FAKE_APP_ID, FAKE_APP_SECRET, false).await
    }

    /// Starts in Cloud Run mode: calls carry no access token.
    pub async fn start_cloud_run() -> FakeWeChat {
        FakeWeChat::start_with(FAKE_APP_ID, FAKE_APP_SECRET, true).await
    }

    /// Starts in contract mode: every endpoint except the token calls is
    /// answered from its spec alone (every response field filled in), with
    /// no behaviour of its own such as stored media.
    pub async fn start_contract() -> FakeWeChat {
        FakeWeChat::start_contract_with(crate::api::endpoints()).await
    }

    /// Like [`FakeWeChat::start_contract`], for the endpoints given: those
    /// a crate generated from its own specs (`crate::api::endpoints()` in
    /// the module it includes the generated code in).
    pub async fn start_contract_with(endpoints: Vec<&'static EndpointMeta>) -> FakeWeChat {
        FakeWeChat::start_inner(FAKE_APP_ID, FAKE_APP_SECRET, false, true, endpoints).await
    }

    /// Starts with these credentials.
    ///
    /// # Panics
    /// When no loopback port can be bound (a broken test machine).
    pub async fn start_with(app_id: &str, app_secret: &str, cloud_run: bool) -> FakeWeChat {
        FakeWeChat::start_inner(app_id, app_secret, cloud_run, false, crate::api::endpoints()).await
    }

    /// Starts like [`FakeWeChat::start`], knowing these endpoints besides
    /// the token calls: requests are checked against their specs and
    /// answered from them.
    pub async fn start_with_endpoints(endpoints: Vec<&'static EndpointMeta>) -> FakeWeChat {
        FakeWeChat::start_inner(FAKE_APP_ID, FAKE_APP_SECRET, false, false, endpoints).await
    }

    async fn start_inner(
        app_id: &str,
        app_secret: &str,
        cloud_run: bool,
        contract_only: bool,
        endpoints: Vec<&'static EndpointMeta>,
    ) -> FakeWeChat {
        let mut contracts: BTreeMap<&'static str, Vec<EndpointContract>> = BTreeMap::new();
        for meta in endpoints {
            // A shape the generator did not write is a bug in a test's setup.
            let contract = EndpointContract::from_meta(meta).unwrap_or_else(|problem| panic!("{problem}"));
            contracts.entry(contract.path).or_default().push(contract);
        }
        let state = Arc::new(State {
            app_id: app_id.to_owned(),
            app_secret: app_secret.to_owned(),
            cloud_run,
            contract_only,
            contracts,
            token_lifetime_ms: AtomicU64::new(7_200_000),
            token_fetches: AtomicU64::new(0),
            counter: AtomicU64::new(0),
            inner: Mutex::new(Inner::default()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        // Uploads in tests may be large (streamed from files).
        let app =
            axum::Router::new().fallback(handle).layer(axum::extract::DefaultBodyLimit::max(256 * 1024 * 1024)).with_state(state.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
        });
        FakeWeChat { base_url: format!("http://{addr}"), state, shutdown: Some(tx) }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A client builder pointed at this server with its credentials.
    pub fn client_builder(&self) -> ClientBuilder {
        let mut builder =
            Client::builder().base_url(self.base_url.clone()).credentials(self.state.app_id.clone(), self.state.app_secret.clone());
        for (key, env, value) in PAY_APP_KEYS {
            builder = builder.pay_app_key(key, env, value);
        }
        builder = builder.api_security(api_security_keys());
        if self.state.cloud_run { builder.without_access_token() } else { builder }
    }

    /// A client pointed at this server.
    ///
    /// # Panics
    /// Never for the builder this server makes.
    pub fn client(&self) -> Client {
        self.client_builder().build().expect("a valid client configuration")
    }

    /// Stores a media file that `getTempMedia` will serve.
    pub fn add_media(&self, media_id: &str, bytes: impl Into<Bytes>, content_type: &str) {
        let media = StoredMedia { bytes: MediaBytes::Held(bytes.into()), content_type: content_type.to_owned() };
        self.state.lock().media.insert(media_id.to_owned(), media);
    }

    /// Stores a file of `len` bytes that `getTempMedia` serves without
    /// holding it: byte `i` is [`generated_media_byte`]`(i)`, sent with its
    /// `Content-Length`.
    pub fn add_generated_media(&self, media_id: &str, len: u64, content_type: &str) {
        let media = StoredMedia { bytes: MediaBytes::Generated { len }, content_type: content_type.to_owned() };
        self.state.lock().media.insert(media_id.to_owned(), media);
    }

    /// Answers the next call to `path` with `response` (queued in order).
    pub fn script(&self, path: &str, response: ScriptedResponse) {
        self.state.lock().scripted.entry(path.to_owned()).or_default().push_back(response);
    }

    /// Sets the lifetime of tokens issued from now on (`expires_in` is
    /// sent in whole seconds, as WeChat does; the token expires to the
    /// millisecond, and is then answered with 42001).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.state.token_lifetime_ms.store(lifetime.as_millis() as u64, Ordering::Relaxed);
    }

    /// When each forced stable-token refresh (`force_refresh: true`) came.
    pub fn forced_refreshes(&self) -> Vec<Instant> {
        self.state.lock().forced_refreshes.clone()
    }

    /// Invalidates every token issued so far, as another instance's forced
    /// refresh would; the next fetch gets a new one.
    pub fn rotate_token(&self) {
        let mut inner = self.state.lock();
        inner.valid_tokens.clear();
        inner.current_token = None;
    }

    /// When set, every authenticated call answers 40001.
    pub fn reject_all_tokens(&self, reject: bool) {
        self.state.lock().reject_all_tokens = reject;
    }

    /// Token fetches so far (classic and stable).
    pub fn token_fetches(&self) -> u64 {
        self.state.token_fetches.load(Ordering::SeqCst)
    }

    /// Calls to `path` so far.
    pub fn calls(&self, path: &str) -> u64 {
        self.state.lock().calls.get(path).copied().unwrap_or(0)
    }

    /// Every token this server has issued (to check none leaks).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.lock().issued_tokens.clone()
    }

    /// The requests received on `path`, in order.
    pub fn requests(&self, path: &str) -> Vec<ReceivedRequest> {
        self.state.lock().requests.iter().filter(|r| r.path == path).cloned().collect()
    }

    /// Makes the next call to the endpoint named `name` (its spec name,
    /// e.g. `getTempMedia`) answer with error `code`, after its request
    /// was checked against the spec.
    pub fn inject_error(&self, name: &str, code: i64) {
        self.state.lock().injected.entry(name.to_owned()).or_default().push_back(code);
    }

    /// Spoils the next answer the fake sends in the API security mode.
    pub fn tamper_next_secured_answer(&self, tamper: AnswerTamper) {
        self.state.lock().tampered_answers.push_back(tamper);
    }

    /// Requests that did not fit their endpoint's spec, each with what was
    /// wrong (they were answered with errcode 47001).
    pub fn contract_violations(&self) -> Vec<String> {
        self.state.lock().violations.clone()
    }

    /// Files received by `uploadTempMedia`.
    pub fn uploads(&self) -> Vec<ReceivedUpload> {
        self.state.lock().uploads.clone()
    }
}

fn json_response(value: &Value) -> Response {
    let mut response = Response::new(Body::from(value.to_string()));
    response.headers_mut().insert("content-type", HeaderValue::from_static("application/json; encoding=utf-8"));
    response
}

fn error(state: &State, code: i64, message: &str) -> Response {
    json_response(&json!({"errcode": code, "errmsg": format!("{message} rid: {:08x}-{:08x}", state.next(), state.next())}))
}

fn ok() -> Response {
    json_response(&json!({"errcode": 0, "errmsg": "ok"}))
}

fn scripted(response: ScriptedResponse) -> Response {
    let body = match response.fault {
        None => Body::from(response.body),
        // Streamed bodies: hyper cannot know their length, so a
        // `content-length` header scripted on them is sent as it is.
        Some(fault) => {
            let at = match fault {
                BodyFault::CutAfter { at } | BodyFault::StallAfter { at, .. } => at.min(response.body.len()),
            };
            let head = response.body.slice(..at);
            let tail = response.body.slice(at..);
            let rest = futures_util::stream::once(async move {
                match fault {
                    BodyFault::CutAfter { .. } => {
                        // Long enough for the head and first bytes to be
                        // flushed, so the cut is mid-body, not before it.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "scripted cut"))
                    }
                    BodyFault::StallAfter { pause, .. } => {
                        tokio::time::sleep(pause).await;
                        Ok(tail)
                    }
                }
            });
            Body::from_stream(futures_util::StreamExt::chain(futures_util::stream::iter([Ok(head)]), rest))
        }
    };
    let mut out = Response::new(body);
    *out.status_mut() = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in response.headers {
        if let (Ok(name), Ok(value)) = (axum::http::HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
            out.headers_mut().insert(name, value);
        }
    }
    out
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if text.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()).is_some() => {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every request: one in the API security mode is checked and opened,
/// handled as the plain request it holds, and answered secured.
async fn handle(axum::extract::State(state): axum::extract::State<Arc<State>>, request: Request) -> Response {
    use crate::runtime::ApiSecurityMode;
    let path = request.uri().path().to_owned();
    let mode = state
        .contracts
        .get(path.as_str())
        .and_then(|list| list.iter().map(|c| c.api_security).find(|mode| *mode != ApiSecurityMode::Never))
        .unwrap_or(ApiSecurityMode::Never);
    let secured = request.headers().contains_key("wechatmp-signature");
    match (mode, secured) {
        (ApiSecurityMode::Never, _) | (ApiSecurityMode::Supported, false) => handle_plain(state, request).await,
        (ApiSecurityMode::Required, false) => {
            state.lock().violations.push(format!("{path}: sent plain; the endpoint requires the API security mode"));
            error(&state, 40232, "API_Missing_Wechatmp_Signature")
        }
        (_, true) => handle_secured(state, request, &path).await,
    }
}

/// A secured request: opened, handled as the plain request it holds (its
/// query parameters back in the query, the rest as the JSON body), and the
/// JSON answer sealed. A scripted answer that carries its own signature is
/// sent as it is, so tests can forge one.
async fn handle_secured(state: Arc<State>, request: Request, path: &str) -> Response {
    let (mut head, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024 * 1024).await.unwrap_or_default();
    let mut members = match secure::open_request(&state.app_id, path, &head.headers, &bytes) {
        Ok(members) => members,
        Err((code, message)) => {
            state.lock().violations.push(format!("{path}: {message}"));
            return error(&state, code, message);
        }
    };
    let query_names: Vec<String> =
        state.contracts.get(path).into_iter().flatten().flat_map(|c| c.query.iter().map(|f| f.name.clone())).collect();
    let mut uri = format!("{path}?{}", head.uri.query().unwrap_or_default());
    for name in &query_names {
        if let Some(value) = members.remove(name) {
            let text = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
            uri.push_str(&form_urlencoded::Serializer::new(String::from("&")).append_pair(name, &text).finish());
        }
    }
    head.uri = uri.parse().unwrap_or(head.uri);
    head.extensions.insert(SecuredEnvelope(bytes.clone()));
    head.headers.insert("content-type", HeaderValue::from_static("application/json"));
    let json_body = state.contracts.get(path).into_iter().flatten().any(|c| matches!(c.body, contract::BodyContract::Json(_)));
    let body = if members.is_empty() && !json_body { Body::empty() } else { Body::from(Value::Object(members).to_string()) };
    let response = handle_plain(state.clone(), Request::from_parts(head, body)).await;
    if response.headers().contains_key("wechatmp-signature") {
        return response;
    }
    let (mut head, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024 * 1024).await.unwrap_or_default();
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(answer)) if head.status.is_success() => {
            let tamper = state.lock().tampered_answers.pop_front();
            let (app_id, age) = match tamper {
                Some(AnswerTamper::AppId) => ("wx_someone_else", 0),
                Some(AnswerTamper::Stale) => (state.app_id.as_str(), 3600),
                _ => (state.app_id.as_str(), 0),
            };
            let (mut sealed, headers) = secure::seal_answer(app_id, path, &answer, age);
            for (name, value) in headers {
                head.headers.insert(name, value);
            }
            match tamper {
                Some(AnswerTamper::Body) => sealed[12] ^= 1,
                Some(AnswerTamper::Serial) => drop(head.headers.insert("wechatmp-serial", HeaderValue::from_static("another-certificate"))),
                Some(AnswerTamper::Unsigned) => {
                    head.headers.remove("wechatmp-signature");
                    head.headers.remove("wechatmp-serial");
                }
                _ => {}
            }
            Response::from_parts(head, Body::from(sealed))
        }
        _ => Response::from_parts(head, Body::from(bytes)),
    }
}

/// The envelope a secured request came in, handed to [`handle_plain`].
#[derive(Clone)]
struct SecuredEnvelope(Bytes);

async fn handle_plain(state: Arc<State>, request: Request) -> Response {
    let secured = request.extensions().get::<SecuredEnvelope>().map(|envelope| envelope.0.clone());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query = query_pairs(request.uri().query());
    let headers: HeaderMap = request.headers().clone();
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let q = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());

    let script = {
        let mut inner = state.lock();
        *inner.calls.entry(path.clone()).or_insert(0) += 1;
        inner.scripted.get_mut(&path).and_then(VecDeque::pop_front)
    };

    let is_multipart = content_type.as_deref().is_some_and(|ct| ct.starts_with("multipart/form-data"));
    let mut parts = Vec::new();
    let mut raw_body = bytes::Bytes::new();
    let json_body = if is_multipart {
        if let Ok(mut multipart) = Multipart::from_request(request, &()).await {
            while let Ok(Some(field)) = multipart.next_field().await {
                let name = field.name().unwrap_or_default().to_owned();
                let file_name = field.file_name().map(str::to_owned);
                let content_type = field.content_type().map(str::to_owned);
                match field.bytes().await {
                    Ok(bytes) => parts.push(ReceivedPart { name, file_name, content_type, bytes }),
                    Err(_) => break,
                }
            }
        }
        None
    } else {
        let bytes = axum::body::to_bytes(request.into_body(), 64 * 1024 * 1024).await.unwrap_or_default();
        raw_body = bytes.clone();
        serde_json::from_slice::<Value>(&bytes).ok()
    };
    state.lock().requests.push(ReceivedRequest {
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        content_type: content_type.clone(),
        json: json_body.clone(),
        body: raw_body.clone(),
        parts: parts.clone(),
        secured,
    });

    if let Some(response) = script {
        if let Some(delay) = response.delay {
            tokio::time::sleep(delay).await;
        }
        return scripted(response);
    }

    // Check the request against its spec; pick, among the specs sharing the
    // path, the one it fits.
    let candidates: Vec<&EndpointContract> =
        state.contracts.get(path.as_str()).map(|list| list.iter().filter(|c| c.method == method.as_str()).collect()).unwrap_or_default();
    let mut matched = None;
    let mut first_problems = None;
    for candidate in &candidates {
        let problems = contract::request_problems(candidate, &query, content_type.as_deref(), json_body.as_ref(), &parts);
        if problems.is_empty() {
            matched = Some(*candidate);
            break;
        }
        first_problems.get_or_insert((candidate.name, problems));
    }
    if matched.is_none()
        && let Some((name, problems)) = first_problems
    {
        let detail = format!("{name}: {}", problems.join("; "));
        state.lock().violations.push(detail.clone());
        return error(&state, 47001, &format!("data format error: {detail}"));
    }
    if let Some(contract) = matched
        && let Some(signing) = &contract.signing
    {
        let problems = contract::signature_problems(signing, contract.path, &query, &raw_body, &fake_pay_keys());
        if !problems.is_empty() {
            let detail = format!("{}: {}", contract.name, problems.join("; "));
            state.lock().violations.push(detail.clone());
            // WeChat's codes for a failed signature check.
            let code = if signing.pay_sig == Some(crate::runtime::PayKey::B2bStore) { 9403200 } else { 268490003 };
            return error(&state, code, &format!("signature check failed: {detail}"));
        }
    }
    if let Some(contract) = matched {
        let token_check = match (contract.auth.token_parameter(), contract.auth.needs_component_token()) {
            (Some(name), false) => check_token(&state, q(name)),
            (Some(name), true) => platform::check_component_token(&state, q(name)),
            (None, _) => None,
        };
        if let Some(response) = token_check {
            return response;
        }
        let injected = state.lock().injected.get_mut(contract.name).and_then(VecDeque::pop_front);
        if let Some(code) = injected {
            return error(&state, code, &format!("injected error for {}", contract.name));
        }
        let token_call = matches!(path.as_str(), "/cgi-bin/token" | "/cgi-bin/stable_token");
        if state.contract_only && !token_call {
            return from_contract(contract);
        }
    }

    let body = json_body.unwrap_or(Value::Null);
    if method == Method::POST
        && path.starts_with("/cgi-bin/component/")
        && let Some(response) = platform::handle(&state, &path, &q, &body)
    {
        return response;
    }
    match (method.clone(), path.as_str()) {
        (Method::GET, "/cgi-bin/token") => {
            if q("grant_type").as_deref() != Some("client_credential") {
                return error(&state, 40002, "invalid grant_type");
            }
            issue_token(&state, q("appid"), q("secret"), TokenCall::Classic)
        }
        (Method::POST, "/cgi-bin/stable_token") => {
            if body["grant_type"] != "client_credential" {
                return error(&state, 40002, "invalid grant_type");
            }
            let force = body["force_refresh"].as_bool().unwrap_or(false);
            let call = if force { TokenCall::StableForced } else { TokenCall::Stable };
            issue_token(&state, body["appid"].as_str().map(str::to_owned), body["secret"].as_str().map(str::to_owned), call)
        }
        (Method::GET, "/sns/jscode2session") => {
            if q("appid").as_deref() != Some(&state.app_id) {
                return error(&state, 40013, "invalid appid");
            }
            if q("secret").as_deref() != Some(&state.app_secret) {
                return error(&state, 40125, "invalid appsecret");
            }
            if q("grant_type").as_deref() != Some("authorization_code") {
                return error(&state, 40002, "invalid grant_type");
            }
            match q("js_code") {
                Some(code) if !code.is_empty() && code != "invalid" => json_response(&json!({
                    "openid": format!("o_fake_{code}"),
                    "session_key": format!("FAKE_SESSION_KEY_{}", state.next()),
                    "unionid": format!("u_fake_{code}"),
                })),
                _ => error(&state, 40029, "invalid code"),
            }
        }
        _ => {
            // A call that fits a spec had its token checked under the
            // spec's name and kind (a platform's component token may go as
            // `access_token`); anything else must carry an app token.
            if matched.is_none()
                && let Some(response) = check_token(&state, q("access_token"))
            {
                return response;
            }
            match authenticated(&state, &method, &path, &q, &body, parts) {
                Some(response) => response,
                None => match matched {
                    Some(contract) => from_contract(contract),
                    None => {
                        let mut response = Response::new(Body::from("not found"));
                        *response.status_mut() = StatusCode::NOT_FOUND;
                        response
                    }
                },
            }
        }
    }
}

/// The success answer of an endpoint, built from its spec.
fn from_contract(contract: &EndpointContract) -> Response {
    match contract::success_body(contract) {
        Some(body) => json_response(&body),
        None => {
            let mut response = Response::new(Body::from(&b"\x89PNG\r\n\x1a\nsample"[..]));
            response.headers_mut().insert("content-type", HeaderValue::from_static("image/png"));
            response
        }
    }
}

/// Which token call, as WeChat tells them apart.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TokenCall {
    /// `/cgi-bin/token`: a new token each time; earlier ones live on until they expire.
    Classic,
    /// `/cgi-bin/stable_token`: the current token while it has more than a
    /// fifth of its lifetime (at most five minutes) left, else a new one.
    Stable,
    /// `force_refresh: true`: a new token, and the current one dies at once.
    StableForced,
}

fn issue_token(state: &State, app_id: Option<String>, secret: Option<String>, call: TokenCall) -> Response {
    if app_id.as_deref() != Some(&state.app_id) {
        return error(state, 40013, "invalid appid");
    }
    if secret.as_deref() != Some(&state.app_secret) {
        return error(state, 40125, "invalid appsecret");
    }
    state.token_fetches.fetch_add(1, Ordering::SeqCst);
    let mut inner = state.lock();
    let now = Instant::now();
    let renew_within = (state.token_lifetime() / 5).min(Duration::from_secs(300));
    let current = inner.current_token.clone().and_then(|token| inner.valid_tokens.get(&token).map(|expiry| (token, *expiry)));
    let (token, expires_at) = match (call, current) {
        (TokenCall::Stable, Some((token, expiry))) if expiry.saturating_duration_since(now) > renew_within => (token, expiry),
        (TokenCall::StableForced, current) => {
            if let Some((token, _)) = current {
                inner.valid_tokens.remove(&token);
            }
            inner.forced_refreshes.push(now);
            let token = state.new_token(&mut inner);
            let expiry = inner.valid_tokens[&token];
            (token, expiry)
        }
        _ => {
            let token = state.new_token(&mut inner);
            let expiry = inner.valid_tokens[&token];
            (token, expiry)
        }
    };
    // Whole seconds, rounded: a token issued now says its full lifetime.
    let expires_in = (expires_at.saturating_duration_since(now).as_millis() + 500) / 1000;
    json_response(&json!({"access_token": token, "expires_in": expires_in as u64}))
}

fn check_token(state: &State, token: Option<String>) -> Option<Response> {
    if state.cloud_run {
        return token.map(|_| error(state, 40097, "invalid args: Cloud Run calls carry no access_token"));
    }
    let inner = state.lock();
    match token {
        None => Some(error(state, 41001, "access_token missing")),
        Some(_) if inner.reject_all_tokens => Some(error(state, 40001, "invalid credential, access_token is invalid or not latest")),
        Some(token) => match inner.valid_tokens.get(&token) {
            None => Some(error(state, 40001, "invalid credential, access_token is invalid or not latest")),
            Some(expiry) if *expiry <= Instant::now() => Some(error(state, 42001, "access_token expired")),
            Some(_) => None,
        },
    }
}

/// The realistic behaviour of the founding endpoints (stored media, uploads,
/// validation of message shapes); `None` for endpoints answered from their spec.
fn authenticated(
    state: &State,
    method: &Method,
    path: &str,
    q: &dyn Fn(&str) -> Option<String>,
    body: &Value,
    parts: Vec<ReceivedPart>,
) -> Option<Response> {
    Some(match (method.clone(), path) {
        (Method::GET, "/cgi-bin/media/get") => {
            let media_id = q("media_id").unwrap_or_default();
            let stored = state.lock().media.get(&media_id).cloned();
            match stored {
                Some(media) => {
                    let extension = media.content_type.rsplit('/').next().unwrap_or("bin").replace("jpeg", "jpg");
                    let mut response = match media.bytes {
                        MediaBytes::Held(bytes) => Response::new(Body::from(bytes)),
                        MediaBytes::Generated { len } => {
                            let mut response = Response::new(generated_body(len));
                            response.headers_mut().insert("content-length", HeaderValue::from(len));
                            response
                        }
                    };
                    let headers = response.headers_mut();
                    if let Ok(value) = HeaderValue::from_str(&media.content_type) {
                        headers.insert("content-type", value);
                    }
                    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{media_id}.{extension}\"")) {
                        headers.insert("content-disposition", value);
                    }
                    response
                }
                None => error(state, 40007, "invalid media_id"),
            }
        }
        (Method::POST, "/cgi-bin/media/upload") => {
            if q("type").as_deref() != Some("image") {
                return Some(error(state, 40004, "invalid media type"));
            }
            if let Some(media) = parts.into_iter().find(|p| p.name == "media") {
                let media_id = format!("FAKE_MEDIA_{}", state.next());
                let mut inner = state.lock();
                let content_type = media.content_type.clone().unwrap_or_else(|| "application/octet-stream".to_owned());
                inner.media.insert(media_id.clone(), StoredMedia { bytes: MediaBytes::Held(media.bytes.clone()), content_type });
                inner.uploads.push(ReceivedUpload {
                    part: media.name,
                    file_name: media.file_name,
                    content_type: media.content_type,
                    bytes: media.bytes,
                    media_id: media_id.clone(),
                });
                return Some(json_response(&json!({"type": "image", "media_id": media_id, "created_at": 1_700_000_000})));
            }
            error(state, 41005, "media data missing")
        }
        (Method::POST, "/cgi-bin/message/custom/business/typing") => {
            if !body["touser"].is_string() || !matches!(body["command"].as_str(), Some("Typing" | "CancelTyping")) {
                return Some(error(state, 40003, "invalid openid or command"));
            }
            ok()
        }
        (Method::POST, "/cgi-bin/message/custom/send") => {
            let Some(msgtype) = body["msgtype"].as_str() else { return Some(error(state, 47001, "data format error")) };
            if !body["touser"].is_string() || !body[msgtype].is_object() {
                return Some(error(state, 47001, "data format error"));
            }
            ok()
        }
        (Method::POST, "/wxa/getwxacodeunlimit") => {
            let Some(scene) = body["scene"].as_str() else { return Some(error(state, 47001, "data format error")) };
            if body["page"].as_str().is_some_and(|p| p.starts_with('/')) {
                return Some(error(state, 41030, "invalid page"));
            }
            // A PNG signature followed by the scene, enough to tell codes apart.
            let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
            png.extend_from_slice(scene.as_bytes());
            let mut response = Response::new(Body::from(png));
            response.headers_mut().insert("content-type", HeaderValue::from_static("image/png"));
            response
        }
        _ => return None,
    })
}
