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

/// A failure below HTTP: connecting, TLS, a reset connection, a cut body.
/// Never holds the request URL, which carries the access token.
#[derive(Debug)]
pub struct TransportError {
    source: reqwest::Error,
}

impl TransportError {
    pub(crate) fn new(source: reqwest::Error) -> TransportError {
        TransportError { source: source.without_url() }
    }

    /// Whether the connection could not be made (nothing was sent).
    pub fn is_connect(&self) -> bool {
        self.source.is_connect()
    }

    /// Whether the answer began but its body broke off: a reset
    /// connection, or fewer bytes than `Content-Length` promised.
    pub fn is_incomplete_body(&self) -> bool {
        self.source.is_body() || self.source.is_decode()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "transport failure: {}", self.source)?;
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

/// Why a call failed. `E` is the endpoint's error enum, e.g.
/// [`crate::api::customer_service::GetTempMediaError`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Error<E> {
    /// WeChat answered with an error code.
    Api(E),
    /// The request never got an HTTP answer (connect, reset, cut body).
    Transport(TransportError),
    /// No answer within the timeout.
    Timeout,
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
}

impl<E> Error<E> {
    /// The endpoint error, when WeChat answered with a code.
    pub fn api(&self) -> Option<&E> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// Maps the endpoint error.
    pub fn map_api<F>(self, f: impl FnOnce(E) -> F) -> Error<F> {
        match self {
            Error::Api(e) => Error::Api(f(e)),
            Error::Transport(e) => Error::Transport(e),
            Error::Timeout => Error::Timeout,
            Error::HttpStatus { status, body } => Error::HttpStatus { status, body },
            Error::Decode(e) => Error::Decode(e),
            Error::Token(e) => Error::Token(e),
            Error::Prepare(e) => Error::Prepare(e),
            Error::RateLimited { retry_after } => Error::RateLimited { retry_after },
        }
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

impl<E: fmt::Display> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api(e) => write!(f, "WeChat answered with an error: {e}"),
            Error::Transport(e) => write!(f, "{e}"),
            Error::Timeout => f.write_str("no answer within the timeout"),
            Error::HttpStatus { status, body } => write!(f, "HTTP {status} without a WeChat error body: {}", body.preview()),
            Error::Decode(e) => write!(f, "{e}"),
            Error::Token(e) => write!(f, "{e}"),
            Error::Prepare(e) => write!(f, "{e}"),
            Error::RateLimited { retry_after } => {
                write!(f, "not sent: the endpoint's rate limit is spent; the next window opens in {retry_after:?}")
            }
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Api(e) => Some(e),
            Error::Transport(e) => Some(e),
            Error::Token(e) => Some(e),
            Error::Prepare(e) => Some(e),
            Error::Timeout | Error::HttpStatus { .. } | Error::Decode(_) | Error::RateLimited { .. } => None,
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
