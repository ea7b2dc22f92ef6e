//! Errors in two layers: [`Error`] says what went wrong with the call
//! (transport, timeout, an undecodable answer, the token, …) and wraps, for
//! WeChat's own error codes, the endpoint's generated enum.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

/// How the client treats an error code; comes from the specs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryKind {
    /// Final: retrying gives the same answer.
    None,
    /// A passing fault (`-1`): a retry-safe call may be retried with backoff.
    Transient,
    /// A rate limit: retry only after waiting.
    Throttle,
    /// The access token is invalid: the client refreshes it and retries once.
    RefreshToken,
}

/// `errcode` and `errmsg` as WeChat sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorBody {
    /// The errcode.
    pub code: i64,
    /// The errmsg; usually ends in `rid: …`.
    pub message: String,
}

impl ErrorBody {
    /// Builds a body.
    pub fn new(code: i64, message: impl Into<String>) -> ErrorBody {
        ErrorBody { code, message: message.into() }
    }

    /// The request id at the end of errmsg (`… rid: 6523a1b2-1f2e3d4c-5b6a7980`),
    /// which WeChat support asks for.
    pub fn rid(&self) -> Option<&str> {
        let (_, rest) = self.message.rsplit_once("rid:")?;
        let rid = rest.split_whitespace().next()?;
        (!rid.is_empty()).then_some(rid)
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "errcode {}: {}", self.code, self.message)
    }
}

/// Implemented by every generated endpoint error enum.
pub trait ApiError: std::error::Error + Send + Sync + Sized + 'static {
    /// The variant for a body.
    fn from_body(body: ErrorBody) -> Self;
    /// The errcode and errmsg.
    fn body(&self) -> &ErrorBody;
    /// How the client treats this code for this endpoint.
    fn retry_kind(&self) -> RetryKind;
    /// Whether a spec documents the code (the endpoint's or the shared
    /// table), i.e. the error is not the `Unknown` fallback.
    fn is_documented(&self) -> bool;
}

/// A response body kept for diagnosis. `Debug` shows its length and the
/// start of it as text; bodies of calls that carry secrets are not kept.
#[derive(Clone, PartialEq, Eq)]
pub struct RawBody {
    bytes: Option<Bytes>,
    len: usize,
    /// The server sent more than `len` bytes; the rest was not read.
    truncated: bool,
}

/// How much of a raw body `Debug` and `Display` show.
const PREVIEW: usize = 256;

impl RawBody {
    pub(crate) fn kept(bytes: Bytes) -> RawBody {
        RawBody { len: bytes.len(), bytes: Some(bytes), truncated: false }
    }

    pub(crate) fn redacted(len: usize) -> RawBody {
        RawBody { bytes: None, len, truncated: false }
    }

    /// Marks a body of which only the start was read.
    pub(crate) fn truncated_if(mut self, truncated: bool) -> RawBody {
        self.truncated = truncated;
        self
    }

    /// Whether the server sent more than was read. Error bodies are read up
    /// to 64 KiB: a proxy's endless error page must not fill memory.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// The bytes, unless the call's answers carry secrets.
    pub fn bytes(&self) -> Option<&Bytes> {
        self.bytes.as_ref()
    }

    /// Length of the body as read (see [`RawBody::is_truncated`]).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the body was empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The start of the body as text, for messages.
    pub fn preview(&self) -> String {
        match &self.bytes {
            None => "<not kept: the answer may carry secrets>".to_owned(),
            Some(bytes) => {
                let cut = &bytes[..bytes.len().min(PREVIEW)];
                let mut text = String::from_utf8_lossy(cut).into_owned();
                if bytes.len() > PREVIEW {
                    text.push('…');
                }
                text
            }
        }
    }
}

impl fmt::Debug for RawBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawBody").field("len", &self.len).field("truncated", &self.truncated).field("preview", &self.preview()).finish()
    }
}

/// An answer the client could not read as the endpoint promises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// What did not fit.
    pub reason: String,
    /// HTTP status.
    pub status: u16,
    /// `Content-Type` as sent.
    pub content_type: Option<String>,
    /// The body, kept whole unless it may carry secrets.
    pub body: RawBody,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot decode the answer (HTTP {}, {}, {}{} bytes): {}",
            self.status,
            self.content_type.as_deref().unwrap_or("no content type"),
            if self.body.is_truncated() { "more than " } else { "" },
            self.body.len(),
            self.reason
        )
    }
}

/// Where in the exchange a transport failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportPhase {
    /// Connecting: DNS, TCP or TLS. Nothing of the request was sent.
    Connect,
    /// Writing the request: an upload's file parts were not all sent, or
    /// the HTTP stack reported a failed body write.
    Send,
    /// Connected, and no answer yet. Other requests go out in one write
    /// of a few KiB, so a failure after connecting is reported here even
    /// if that write itself failed.
    Wait,
    /// The answer began and its body broke off.
    Body,
}

impl TransportPhase {
    fn describe(self) -> &'static str {
        match self {
            TransportPhase::Connect => "connecting",
            TransportPhase::Send => "sending the request",
            TransportPhase::Wait => "waiting for the answer",
            TransportPhase::Body => "reading the answer",
        }
    }
}

/// A failure below HTTP: connecting, TLS, a reset connection, a cut body.
/// Never holds the request URL, which carries the access token.
#[derive(Debug)]
pub struct TransportError {
    source: reqwest::Error,
    phase: TransportPhase,
}

impl TransportError {
    /// A failure of sending: connecting, writing the request or waiting
    /// for the answer's head, told apart by what the HTTP stack reports
    /// and by `body_unsent`: whether some of an upload's body had not yet
    /// been handed to the connection.
    pub(crate) fn sending(source: reqwest::Error, body_unsent: bool) -> TransportError {
        let phase = if source.is_connect() {
            TransportPhase::Connect
        } else if body_unsent || source.is_body() || chain_says(&source, &["error writing a body", "error from user's Body stream"]) {
            TransportPhase::Send
        } else {
            TransportPhase::Wait
        };
        TransportError { source: source.without_url(), phase }
    }

    /// A failure while reading an answer that began.
    pub(crate) fn reading(source: reqwest::Error) -> TransportError {
        TransportError { source: source.without_url(), phase: TransportPhase::Body }
    }

    /// Where in the exchange it happened.
    pub fn phase(&self) -> TransportPhase {
        self.phase
    }

    /// Whether the connection could not be made (nothing was sent).
    pub fn is_connect(&self) -> bool {
        self.phase == TransportPhase::Connect
    }

    /// Whether the answer began but its body broke off: a reset
    /// connection, or fewer bytes than `Content-Length` promised.
    pub fn is_incomplete_body(&self) -> bool {
        self.phase == TransportPhase::Body
    }

    /// Whether WeChat may have received the request, and so may have acted
    /// on it: every failure but one to connect.
    pub fn may_have_reached_wechat(&self) -> bool {
        self.phase != TransportPhase::Connect
    }
}

/// Whether an error in `error`'s chain starts with one of `texts`: hyper
/// tells a failed body write only by its message.
fn chain_says(error: &(dyn std::error::Error + 'static), texts: &[&str]) -> bool {
    let mut cause = Some(error);
    while let Some(inner) = cause {
        let text = inner.to_string();
        if texts.iter().any(|t| text.starts_with(t)) {
            return true;
        }
        cause = inner.source();
    }
    false
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "transport failure while {}: {}", self.phase.describe(), self.source)?;
        let mut cause = std::error::Error::source(&self.source);
        while let Some(inner) = cause {
            write!(f, ": {inner}")?;
            cause = inner.source();
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {}

/// A request that could not be built before sending.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrepareError {
    /// The endpoint needs the app id, and the client has none.
    MissingAppId,
    /// The endpoint needs the app secret, and the client has none.
    MissingAppSecret,
    /// The body could not be serialized.
    Body(String),
    /// The call is signed with an AppKey the client was not given (see
    /// [`ClientBuilder::pay_app_key`](crate::ClientBuilder::pay_app_key)).
    MissingPayKey {
        /// The payment product.
        key: crate::runtime::PayKey,
        /// Its environment, as the request's `env` says.
        env: crate::runtime::PayEnv,
    },
    /// The endpoint must be called in WeChat's API security mode, and the
    /// client was given no keys for it (see
    /// [`ClientBuilder::api_security`](crate::ClientBuilder::api_security)).
    MissingApiSecurityKeys,
    /// The endpoint takes a third-party platform's component access token;
    /// call it through
    /// [`Platform::component_client`](crate::platform::Platform::component_client).
    NeedsComponentClient,
    /// The file to upload could not be read, or its reader was already sent.
    Upload(String),
    /// A field breaks a limit the docs set (length, characters, range, …).
    Invalid {
        /// The field's path, e.g. `line_color.r` or `items[2].id`.
        field: String,
        /// What the docs require.
        rule: String,
    },
}

impl fmt::Display for PrepareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrepareError::MissingAppId => f.write_str("this endpoint needs the app id; build the client with credentials"),
            PrepareError::MissingAppSecret => f.write_str("this endpoint needs the app secret; build the client with credentials"),
            PrepareError::Body(reason) => write!(f, "cannot serialize the request body: {reason}"),
            PrepareError::MissingPayKey { key, env } => {
                write!(f, "this call is signed with the {key} AppKey ({env}); give it to the client builder with `pay_app_key`")
            }
            PrepareError::NeedsComponentClient => f.write_str(
                "this endpoint takes a third-party platform's component access token; call it through `Platform::component_client()`",
            ),
            PrepareError::MissingApiSecurityKeys => f.write_str(
                "this endpoint must be called in WeChat's API security mode; give the keys to the client builder with `api_security`",
            ),
            PrepareError::Upload(reason) => write!(f, "cannot send the upload: {reason}"),
            PrepareError::Invalid { field, rule } => write!(f, "`{field}` {rule}"),
        }
    }
}

impl std::error::Error for PrepareError {}

/// The access token could not be had. Cheap to clone: callers waiting on
/// the same refresh share one error.
#[derive(Clone)]
pub struct TokenError {
    code: Option<i64>,
    kind: TokenErrorKind,
    source: Arc<dyn std::error::Error + Send + Sync>,
}

/// What kind of failure kept a token from being had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenErrorKind {
    /// The token source failed: WeChat's token call, or your own source.
    Source,
    /// Another instance held the refresh lease too long without storing a
    /// token.
    LeaseWaitTimedOut,
}

impl TokenError {
    /// Wraps a failure of a token source; `code` is WeChat's errcode, if any.
    pub fn new(code: Option<i64>, source: impl std::error::Error + Send + Sync + 'static) -> TokenError {
        TokenError { code, kind: TokenErrorKind::Source, source: Arc::new(source) }
    }

    /// A failure of the client's own token handling, described by `reason`.
    pub(crate) fn of_kind(kind: TokenErrorKind, reason: impl Into<String>) -> TokenError {
        TokenError { code: None, kind, source: Arc::new(Reason(reason.into())) }
    }

    /// WeChat's errcode for the token call, when it answered with one.
    pub fn code(&self) -> Option<i64> {
        self.code
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> TokenErrorKind {
        self.kind
    }
}

/// A failure described in words.
#[derive(Debug)]
struct Reason(String);

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Reason {}

impl fmt::Debug for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenError").field("code", &self.code).field("kind", &self.kind).field("source", &self.source).finish()
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot get an access token: {}", self.source)
    }
}

impl std::error::Error for TokenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// Which time limit ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// One attempt's limit (`ClientBuilder::attempt_timeout`): the call
    /// may have been retried within its deadline before giving up.
    Attempt(Duration),
    /// The whole call's deadline (`ClientBuilder::timeout`): all
    /// attempts, the waits between them and fetching a token.
    Deadline(Duration),
    /// A timeout of the caller's own HTTP client
    /// (`ClientBuilder::http_client`), whose length wxa does not know.
    HttpClient,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Attempt(limit) => write!(f, "the attempt timeout ({})", Seconds(*limit)),
            Limit::Deadline(limit) => write!(f, "the call's deadline ({})", Seconds(*limit)),
            Limit::HttpClient => f.write_str("the HTTP client's timeout"),
        }
    }
}

/// A duration as a person reads it: `2 s`, `1.25 s`, `350 ms`.
struct Seconds(Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_secs_f64() * 1e3;
        if ms < 1000.0 {
            write!(f, "{} ms", ms.round())
        } else {
            let text = format!("{:.2}", ms / 1e3);
            write!(f, "{} s", text.trim_end_matches('0').trim_end_matches('.'))
        }
    }
}

/// What went wrong. `E` is the endpoint's error enum, e.g.
/// [`crate::api::customer_service::GetTempMediaError`].
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind<E> {
    /// WeChat answered with an error code.
    Api(E),
    /// The request never got an HTTP answer (connect, reset, cut body);
    /// [`TransportError::phase`] says where it broke off.
    Transport(TransportError),
    /// No answer within a time limit.
    Timeout(Limit),
    /// A non-2xx HTTP status without a WeChat error body (a proxy's 502 page).
    HttpStatus {
        /// The status.
        status: u16,
        /// The body, for diagnosis.
        body: RawBody,
    },
    /// An answer that does not fit the endpoint.
    Decode(DecodeError),
    /// No access token could be had.
    Token(TokenError),
    /// The request could not be built.
    Prepare(PrepareError),
    /// Not sent: the endpoint's documented rate limit is spent for the
    /// current window (only when the client enforces rate limits).
    RateLimited {
        /// When the next window opens.
        retry_after: Duration,
    },
    /// A secured call's answer was refused (API security mode): its
    /// signature, certificate, app id, time or encryption is wrong, and
    /// nothing of it was read.
    ApiSecurity(crate::ApiSecurityError),
}

impl<E> ErrorKind<E> {
    /// Maps the endpoint error.
    pub fn map_api<F>(self, f: impl FnOnce(E) -> F) -> ErrorKind<F> {
        match self {
            ErrorKind::Api(e) => ErrorKind::Api(f(e)),
            ErrorKind::Transport(e) => ErrorKind::Transport(e),
            ErrorKind::Timeout(limit) => ErrorKind::Timeout(limit),
            ErrorKind::HttpStatus { status, body } => ErrorKind::HttpStatus { status, body },
            ErrorKind::Decode(e) => ErrorKind::Decode(e),
            ErrorKind::Token(e) => ErrorKind::Token(e),
            ErrorKind::Prepare(e) => ErrorKind::Prepare(e),
            ErrorKind::RateLimited { retry_after } => ErrorKind::RateLimited { retry_after },
            ErrorKind::ApiSecurity(e) => ErrorKind::ApiSecurity(e),
        }
    }

    /// Whether WeChat may have received the request this failure ended:
    /// it answered, the exchange broke off after connecting, or no answer
    /// came in time. `false` for requests never sent.
    pub fn may_have_reached_wechat(&self) -> bool {
        match self {
            ErrorKind::Api(_) | ErrorKind::HttpStatus { .. } | ErrorKind::Decode(_) | ErrorKind::Timeout(_) | ErrorKind::ApiSecurity(_) => {
                true
            }
            ErrorKind::Transport(e) => e.may_have_reached_wechat(),
            ErrorKind::Token(_) | ErrorKind::Prepare(_) | ErrorKind::RateLimited { .. } => false,
        }
    }
}

impl<E: fmt::Display> fmt::Display for ErrorKind<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Api(e) => write!(f, "WeChat answered with an error: {e}"),
            ErrorKind::Transport(e) => write!(f, "{e}"),
            ErrorKind::Timeout(limit) => write!(f, "no answer within {limit}"),
            ErrorKind::HttpStatus { status, body } => write!(f, "HTTP {status} without a WeChat error body: {}", body.preview()),
            ErrorKind::Decode(e) => write!(f, "{e}"),
            ErrorKind::Token(e) => write!(f, "{e}"),
            ErrorKind::Prepare(e) => write!(f, "{e}"),
            ErrorKind::RateLimited { retry_after } => {
                write!(f, "not sent: the endpoint's rate limit is spent; the next window opens in {}", Seconds(*retry_after))
            }
            ErrorKind::ApiSecurity(e) => write!(f, "{e}"),
        }
    }
}

/// How a call went: which endpoint, how many attempts, how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallInfo {
    /// The endpoint's name in WeChat's docs (`getTempMedia`).
    pub endpoint: &'static str,
    /// HTTP requests sent, retries and a token-refresh resend included;
    /// 0 when the call failed before sending.
    pub attempts: u32,
    /// From the call's start to its end.
    pub elapsed: Duration,
    /// The call's deadline, when it ended the call: no time was left for
    /// another attempt, or the last one ran out of it.
    pub deadline_reached: Option<Duration>,
    /// Whether any attempt may have reached WeChat (see
    /// [`Error::may_have_reached_wechat`]).
    pub may_have_reached_wechat: bool,
}

impl CallInfo {
    /// A call of `endpoint` that has not sent anything yet (for errors
    /// made by hand, e.g. in a test double of your own).
    pub fn new(endpoint: &'static str) -> CallInfo {
        CallInfo { endpoint, attempts: 0, elapsed: Duration::ZERO, deadline_reached: None, may_have_reached_wechat: false }
    }
}

/// Why a call failed: what went wrong ([`Error::kind`]) and how the call
/// went ([`Error::endpoint`], [`Error::attempts`], [`Error::elapsed`], …).
/// `Display` says both in one line, e.g. `getTempMedia: HTTP 502 without a
/// WeChat error body: … (3 attempts in 1.42 s)`.
///
/// ```no_run
/// # async fn demo(client: wxa::Client) {
/// use wxa::ErrorKind;
/// use wxa::api::customer_service::{GetTempMediaError, GetTempMediaRequest};
/// match client.get_temp_media(GetTempMediaRequest::new("MEDIA_ID")).await {
///     Ok(media) => println!("{} bytes", media.bytes.len()),
///     Err(error) => match error.kind() {
///         ErrorKind::Api(GetTempMediaError::InvalidMediaId(_)) => println!("expired media id"),
///         _ if error.deadline_reached() => println!("gave up after {} attempts", error.attempts()),
///         _ => println!("{error}"),
///     },
/// }
/// # }
/// ```
pub struct Error<E> {
    /// Boxed: a call's `Result` stays small on the path that succeeds.
    inner: Box<Inner<E>>,
}

struct Inner<E> {
    kind: ErrorKind<E>,
    call: CallInfo,
}

impl<E> Error<E> {
    /// An error of `kind` in a call whose course is `call`.
    pub fn new(kind: ErrorKind<E>, call: CallInfo) -> Error<E> {
        Error { inner: Box::new(Inner { kind, call }) }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind<E> {
        &self.inner.kind
    }

    /// What went wrong, taken out.
    pub fn into_kind(self) -> ErrorKind<E> {
        self.inner.kind
    }

    /// How the call went.
    pub fn call(&self) -> &CallInfo {
        &self.inner.call
    }

    /// The endpoint's name in WeChat's docs (`getTempMedia`).
    pub fn endpoint(&self) -> &'static str {
        self.inner.call.endpoint
    }

    /// HTTP requests sent (0 when the call failed before sending).
    pub fn attempts(&self) -> u32 {
        self.inner.call.attempts
    }

    /// How long the call took.
    pub fn elapsed(&self) -> Duration {
        self.inner.call.elapsed
    }

    /// Whether the call's deadline ended it: the last attempt ran out of
    /// it, or no time was left for another.
    pub fn deadline_reached(&self) -> bool {
        self.inner.call.deadline_reached.is_some()
    }

    /// Whether WeChat may have received the request in any attempt, and
    /// so may have acted on it (a message sent, an order placed): check
    /// before sending again what is not safe to send twice. `false` only
    /// when no attempt got past connecting.
    pub fn may_have_reached_wechat(&self) -> bool {
        self.inner.call.may_have_reached_wechat
    }

    /// The endpoint error, when WeChat answered with a code.
    pub fn api(&self) -> Option<&E> {
        match &self.inner.kind {
            ErrorKind::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The transport failure, when the exchange broke off.
    pub fn transport(&self) -> Option<&TransportError> {
        match &self.inner.kind {
            ErrorKind::Transport(e) => Some(e),
            _ => None,
        }
    }

    /// Whether a time limit ran out ([`ErrorKind::Timeout`]).
    pub fn is_timeout(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::Timeout(_))
    }

    /// Maps the endpoint error.
    pub fn map_api<F>(self, f: impl FnOnce(E) -> F) -> Error<F> {
        let Inner { kind, call } = *self.inner;
        Error::new(kind.map_api(f), call)
    }
}

impl<E: ApiError> Error<E> {
    /// WeChat's errcode, when it answered with one.
    pub fn code(&self) -> Option<i64> {
        self.api().map(|e| e.body().code)
    }

    /// The request id from errmsg, when WeChat answered with one.
    pub fn rid(&self) -> Option<&str> {
        self.api().and_then(|e| e.body().rid())
    }
}

impl<E: fmt::Debug> fmt::Debug for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error").field("kind", &self.inner.kind).field("call", &self.inner.call).finish()
    }
}

impl<E: fmt::Display> fmt::Display for Error<E> {
    /// One line: the endpoint, what went wrong, then how the call went.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let call = &self.inner.call;
        // Error pages and messages may hold line breaks; the line stays one.
        let what = self.inner.kind.to_string().replace(['\r', '\n'], " ");
        write!(f, "{}: {what} (", call.endpoint)?;
        match call.attempts {
            0 => f.write_str("not sent")?,
            1 => write!(f, "1 attempt in {}", Seconds(call.elapsed))?,
            n => write!(f, "{n} attempts in {}", Seconds(call.elapsed))?,
        }
        if let Some(deadline) = call.deadline_reached {
            write!(f, "; stopped by the call's deadline of {}", Seconds(deadline))?;
        }
        let answered = matches!(self.inner.kind, ErrorKind::Api(_) | ErrorKind::HttpStatus { .. } | ErrorKind::Decode(_));
        if call.attempts > 0 && !answered {
            f.write_str(if call.may_have_reached_wechat { "; the request may have reached WeChat" } else { "; nothing reached WeChat" })?;
        }
        f.write_str(")")
    }
}

impl<E: std::error::Error + 'static> std::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.inner.kind {
            ErrorKind::Api(e) => Some(e),
            ErrorKind::Transport(e) => Some(e),
            ErrorKind::Token(e) => Some(e),
            ErrorKind::Prepare(e) => Some(e),
            ErrorKind::ApiSecurity(e) => Some(e),
            ErrorKind::Timeout(_) | ErrorKind::HttpStatus { .. } | ErrorKind::Decode(_) | ErrorKind::RateLimited { .. } => None,
        }
    }
}

impl std::error::Error for ErrorBody {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rid() {
        assert_eq!(ErrorBody::new(40007, "invalid media_id rid: 6523a1b2-1f2e3d4c-5b6a7980").rid(), Some("6523a1b2-1f2e3d4c-5b6a7980"));
        assert_eq!(ErrorBody::new(40007, "invalid media_id hint: [abc] rid: x1 ").rid(), Some("x1"));
        assert_eq!(ErrorBody::new(40007, "invalid media_id").rid(), None);
        assert_eq!(ErrorBody::new(40007, "rid:").rid(), None);
    }

    #[test]
    fn raw_body_preview_is_bounded() {
        let body = RawBody::kept(Bytes::from(vec![b'a'; 1000]));
        assert_eq!(body.preview().chars().count(), PREVIEW + 1);
        assert_eq!(RawBody::redacted(10).bytes(), None);
    }
}
