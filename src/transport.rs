//! One HTTP exchange: URL, query, body out; status, headers, bytes in.
//! The URL holds the access token, so it never leaves this module: errors
//! are stripped of it and nothing here logs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::Url;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};

use crate::api_security::{AnswerHeaders, SecuredApp};
use crate::error::{DecodeError, ErrorBody, ErrorKind, Limit, PrepareError, RawBody, TransportError};
use crate::media::UploadSource;
use crate::runtime::{EndpointMeta, HttpMethod, RawResponse, RequestBody, RequestParts, ResponseKind};
use crate::{MediaStreamError, Secret};

/// How much of an error body is read: a non-2xx answer, or text where a
/// binary endpoint expects a file. WeChat's JSON errors are a few hundred
/// bytes; a proxy's page that goes on and on must not fill memory.
pub(crate) const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// The most a file's `Content-Length` may reserve up front, once its first
/// bytes show a file (WeChat's media are at most tens of MiB); a larger
/// file still arrives whole, its buffer grows as it comes.
const FILE_PREALLOCATION_LIMIT: u64 = 256 << 20;

/// The HTTP client and where it sends.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    pub http: reqwest::Client,
    pub base_url: Url,
    /// The HTTP client is the caller's and may follow redirects; wxa's own
    /// follows none, so its answers need no check.
    pub may_redirect: bool,
    /// The API security mode's keys, when the client has them.
    pub security: Option<Arc<SecuredApp>>,
}

/// The time limits of one attempt.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AttemptLimits {
    /// How long the attempt may take (a streamed one: to its answer's
    /// first bytes), and which limit that is.
    pub until: Option<(Duration, Limit)>,
    /// The longest wait for one chunk of a streamed answer.
    pub chunk: Option<Duration>,
}

/// How much of the body a call reads before it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reading {
    /// All of it; the timeout covers the whole exchange.
    Whole,
    /// Enough to tell a file from a JSON error; the caller reads the rest.
    /// The timeout covers the answer's start, then each wait for a chunk.
    Streamed,
}

/// The unread rest of a streamed answer.
#[derive(Debug)]
pub(crate) struct BodyRest {
    /// Boxed: only streamed calls have one, and every call's future would
    /// otherwise hold room for it.
    response: Box<reqwest::Response>,
    /// `Content-Length` as sent (the response's own shrinks as it is read).
    content_length: Option<u64>,
    /// The longest wait for one chunk.
    idle_timeout: Option<Duration>,
}

impl BodyRest {
    /// The next chunk, or `None` at the end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, MediaStreamError> {
        let next = match self.idle_timeout {
            Some(limit) => tokio::time::timeout(limit, self.response.chunk()).await.map_err(|_| MediaStreamError::Timeout)?,
            None => self.response.chunk().await,
        };
        next.map_err(|e| if e.is_timeout() { MediaStreamError::Timeout } else { MediaStreamError::Transport(TransportError::reading(e)) })
    }

    /// `Content-Length` as sent, if any.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }
}

impl Transport {
    /// The request URL: the base URL parsed once when the client was built,
    /// its path extended by the endpoint's, then the token and the query
    /// appended form-encoded. Parsing a whole URL again on every call would
    /// cost about 3 % of a loopback call (its host and scheme are checked
    /// once more each time).
    fn url(&self, meta: &EndpointMeta, query: &[(&'static str, String)], token: Option<&Secret>) -> Url {
        let mut url = self.base_url.clone();
        match self.base_url.path().trim_end_matches('/') {
            "" => url.set_path(meta.path),
            prefix => url.set_path(&format!("{prefix}{}", meta.path)),
        }
        if token.is_some() || !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            if let (Some(token), Some(name)) = (token, meta.auth.token_parameter()) {
                pairs.append_pair(name, token.expose());
            }
            for (key, value) in query {
                pairs.append_pair(key, value);
            }
        }
        url
    }

    /// The answer, unless it is not from the URL asked (only a caller's own
    /// HTTP client may follow a redirect): what came back then is not the
    /// endpoint's answer.
    fn unredirected(&self, response: reqwest::Response, meta: &EndpointMeta) -> Result<reqwest::Response, ErrorKind<ErrorBody>> {
        if !(self.may_redirect && self.redirected(&response, meta)) {
            return Ok(response);
        }
        Err(ErrorKind::Decode(DecodeError {
            reason: "the answer came through a redirect to another address; wxa follows none (build the HTTP client with `redirect::Policy::none()`)".to_owned(),
            status: response.status().as_u16(),
            content_type: None,
            body: RawBody::redacted(0),
        }))
    }

    /// Whether the answer is not from the URL asked: the HTTP client
    /// followed a redirect. Compares paths without allocating.
    fn redirected(&self, response: &reqwest::Response, meta: &EndpointMeta) -> bool {
        let asked_base = self.base_url.path().trim_end_matches('/');
        let url = response.url();
        let same_path = url.path().strip_prefix(asked_base).is_some_and(|rest| rest == meta.path);
        !same_path || url.host() != self.base_url.host() || url.port_or_known_default() != self.base_url.port_or_known_default()
    }

    /// Sends once and reads the answer as `reading` says.
    pub async fn send(
        &self,
        meta: &EndpointMeta,
        parts: &RequestParts,
        token: Option<&Secret>,
        limits: AttemptLimits,
        reading: Reading,
    ) -> Result<RawResponse, ErrorKind<ErrorBody>> {
        let limit = limits.until.map_or(Limit::HttpClient, |(_, limit)| limit);
        let secured = SecuredApp::for_call(self.security.as_deref(), meta.api_security).map_err(ErrorKind::Prepare)?;
        // A secured call carries its query inside the encrypted body.
        let url = self.url(meta, if secured.is_some() { &[] } else { &parts.query }, token);
        let method = match meta.method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
        };
        let mut request = self.http.request(method, url);
        // Uploads count their file parts not yet handed to the connection,
        // so a failure can tell sending from waiting.
        let mut unsent_files: Option<Arc<AtomicUsize>> = None;
        if let (Some((timeout, _)), Reading::Whole) = (limits.until, reading) {
            request = request.timeout(timeout);
        }
        match (&parts.body, secured) {
            (_, Some(app)) => {
                let sealed = app.keys.seal(&app.app_id, meta.path, parts).map_err(ErrorKind::Prepare)?;
                for (name, value) in sealed.headers {
                    request = request.header(name, value);
                }
                request = request.header(CONTENT_TYPE, "application/json").body(sealed.body);
            }
            (RequestBody::Empty, None) => {}
            (RequestBody::Json(bytes), None) => request = request.header(CONTENT_TYPE, "application/json").body(bytes.clone()),
            (RequestBody::Multipart { files, parts }, None) => {
                let unsent = Arc::new(AtomicUsize::new(files.len()));
                // Boxed: opening files is for uploads only, and its state
                // would otherwise weigh on every call's future.
                request = request.multipart(Box::pin(multipart_form(files, parts, unsent.clone())).await?);
                unsent_files = Some(unsent);
            }
        }
        // Sent before the block, so the block holds the small pending
        // future rather than the request builder.
        let pending = request.send();
        let exchange = async {
            let still_sending = || unsent_files.as_ref().is_some_and(|n| n.load(Ordering::Acquire) > 0);
            let response = pending.await.map_err(|e| timeout_or(e, limit, |e| TransportError::sending(e, still_sending())))?;
            // Only what a secured answer is checked with is kept.
            let answer_headers = secured.map(|_| Box::new(AnswerHeaders::from_headers(response.headers())));
            // Moved straight into the reading future: a named response
            // would keep a slot of its own in this future's state.
            let mut raw = read_answer(self.unredirected(response, meta)?, meta.response, reading, limits.chunk)
                .await
                .map_err(|e| timeout_or(e, limit, TransportError::reading))?;
            if let (Some(app), Some(headers)) = (secured, answer_headers)
                && (200..300).contains(&raw.status)
            {
                raw.body = app.keys.open(&app.app_id, meta.path, &headers, raw.body).map_err(ErrorKind::ApiSecurity)?;
            }
            Ok(raw)
        };
        match (reading, limits.until) {
            (Reading::Streamed, Some((timeout, limit))) => {
                tokio::time::timeout(timeout, Box::pin(exchange)).await.map_err(|_| ErrorKind::Timeout(limit))?
            }
            _ => exchange.await,
        }
    }
}

/// Reads as much of an answer as the call needs.
async fn read_answer(
    mut response: reqwest::Response,
    kind: ResponseKind,
    reading: Reading,
    chunk_timeout: Option<Duration>,
) -> Result<RawResponse, reqwest::Error> {
    let status = response.status().as_u16();
    let header = |name| response.headers().get(name).and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok()).map(str::to_owned);
    let content_type = header(CONTENT_TYPE);
    let content_disposition = header(CONTENT_DISPOSITION);
    let mut raw = RawResponse { status, content_type, content_disposition, body: Bytes::new(), truncated: false, rest: None };
    let textual_for_binary = kind == ResponseKind::Binary && crate::runtime::is_textual(raw.content_type.as_deref());
    if !(200..300).contains(&status) || textual_for_binary {
        (raw.body, raw.truncated) = read_up_to(&mut response, Vec::new(), ERROR_BODY_LIMIT).await?;
        return Ok(raw);
    }
    if kind != ResponseKind::Binary {
        raw.body = read_whole(&mut response).await?;
        return Ok(raw);
    }
    // A file: first see the first byte that is not white space. `{` starts
    // a JSON answer, read up to the error limit whatever the content type;
    // anything else is the file.
    let content_length = response.content_length();
    // Chunks of white space only before the first telling byte: rare, so
    // the common answer allocates nothing here.
    let mut blank: Vec<Bytes> = Vec::new();
    let (first, telling) = loop {
        let Some(chunk) = response.chunk().await? else {
            raw.body = concat(blank);
            return Ok(raw);
        };
        match chunk.iter().find(|b| !b.is_ascii_whitespace()).copied() {
            None => blank.push(chunk),
            Some(byte) => break (chunk, byte),
        }
    };
    if telling == b'{' {
        blank.push(first);
        (raw.body, raw.truncated) = read_up_to(&mut response, blank, ERROR_BODY_LIMIT).await?;
        return Ok(raw);
    }
    match reading {
        Reading::Streamed => {
            raw.body = join(blank, first);
            raw.rest = Some(BodyRest { response: Box::new(response), content_length, idle_timeout: chunk_timeout });
        }
        Reading::Whole => {
            let Some(next) = response.chunk().await? else {
                // In one piece: handed on without a copy.
                raw.body = join(blank, first);
                return Ok(raw);
            };
            // Gathered as it comes into one buffer, sized up front from
            // `Content-Length` when there is one, so a large file is held
            // once rather than as chunks and then again as their sum.
            let so_far = blank.iter().map(Bytes::len).sum::<usize>() + first.len() + next.len();
            let announced = content_length.unwrap_or(0).min(FILE_PREALLOCATION_LIMIT) as usize;
            let mut body = BytesMut::with_capacity(so_far.max(announced));
            for chunk in blank.iter().chain([&first, &next]) {
                body.extend_from_slice(chunk);
            }
            while let Some(chunk) = response.chunk().await? {
                body.extend_from_slice(&chunk);
            }
            raw.body = body.freeze();
        }
    }
    Ok(raw)
}

/// The whole body of a JSON answer, gathered chunk by chunk (one in one
/// piece is not copied): `Response::bytes` would do the same with a future
/// four times the size, held in every call's state.
async fn read_whole(response: &mut reqwest::Response) -> Result<Bytes, reqwest::Error> {
    let announced = response.content_length().unwrap_or(0).min(FILE_PREALLOCATION_LIMIT) as usize;
    let Some(first) = response.chunk().await? else { return Ok(Bytes::new()) };
    let Some(second) = response.chunk().await? else { return Ok(first) };
    let mut body = BytesMut::with_capacity(announced.max(first.len() + second.len()));
    body.extend_from_slice(&first);
    body.extend_from_slice(&second);
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// `blank` then `last` as one buffer; `last` alone is not copied.
fn join(mut blank: Vec<Bytes>, last: Bytes) -> Bytes {
    if blank.is_empty() {
        return last;
    }
    blank.push(last);
    concat(blank)
}

/// The chunks as one buffer; a body that came in one piece is not copied.
fn concat(mut chunks: Vec<Bytes>) -> Bytes {
    if chunks.len() <= 1 {
        return chunks.pop().unwrap_or_default();
    }
    let total: usize = chunks.iter().map(Bytes::len).sum();
    let mut body = BytesMut::with_capacity(total);
    for chunk in chunks {
        body.extend_from_slice(&chunk);
    }
    body.freeze()
}

/// Reads on from the chunks already read, up to `limit` bytes in all;
/// `true` when the body went on beyond them.
async fn read_up_to(response: &mut reqwest::Response, chunks: Vec<Bytes>, limit: usize) -> Result<(Bytes, bool), reqwest::Error> {
    let mut body = BytesMut::new();
    let mut pending = chunks.into_iter();
    loop {
        let chunk = match pending.next() {
            Some(chunk) => chunk,
            None => match response.chunk().await? {
                Some(chunk) => chunk,
                None => return Ok((body.freeze(), false)),
            },
        };
        let room = limit - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body.freeze(), true));
        }
        body.extend_from_slice(&chunk);
    }
}

/// An upload's form: its text parts, then its file parts, each counted off
/// `unsent` once handed to the connection.
async fn multipart_form(
    files: &[(&'static str, crate::Upload)],
    parts: &[(&'static str, String)],
    unsent: Arc<AtomicUsize>,
) -> Result<reqwest::multipart::Form, ErrorKind<ErrorBody>> {
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in parts {
        form = form.text(*name, value.clone());
    }
    for (file_part, upload) in files {
        let (chunks, len) = upload_body(&upload.source).await.map_err(ErrorKind::Prepare)?;
        let body = reqwest::Body::wrap_stream(counted(chunks, unsent.clone()));
        let file = reqwest::multipart::Part::stream_with_length(body, len)
            .file_name(upload.file_name.clone())
            .mime_str(upload.effective_content_type())
            .map_err(|_| {
                ErrorKind::Prepare(PrepareError::Body(format!("invalid upload content type `{}`", upload.effective_content_type())))
            })?;
        form = form.part(*file_part, file);
    }
    Ok(form)
}

/// A file part's bytes as they are sent.
type Chunks = futures_util::stream::BoxStream<'static, std::io::Result<Bytes>>;

/// `chunks`, taking one off `unsent` once the last of them was taken.
fn counted(chunks: Chunks, unsent: Arc<AtomicUsize>) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    use futures_util::StreamExt;
    let done = futures_util::stream::once(async move {
        unsent.fetch_sub(1, Ordering::Release);
        None
    });
    chunks.map(Some).chain(done).filter_map(std::future::ready)
}

/// The file part's bytes and length: from memory, a file opened now (so a
/// retry reads it again from the start), or a reader that can be sent once.
async fn upload_body(source: &UploadSource) -> Result<(Chunks, u64), PrepareError> {
    use futures_util::StreamExt;
    match source {
        UploadSource::Bytes(bytes) => Ok((futures_util::stream::iter([Ok(bytes.clone())]).boxed(), bytes.len() as u64)),
        UploadSource::File(path) => {
            let unreadable = |e: std::io::Error| PrepareError::Upload(format!("cannot read `{}`: {e}", path.display()));
            let file = tokio::fs::File::open(path).await.map_err(unreadable)?;
            // The length now, not when the upload was made: the part must
            // say exactly what is sent.
            let len = file.metadata().await.map_err(unreadable)?.len();
            Ok((exactly(file, len), len))
        }
        UploadSource::Reader(reader) => {
            let taken = reader.take().ok_or_else(|| {
                PrepareError::Upload(
                    "the upload's reader was already sent once and cannot be sent again (a retry needs `Upload::new` or `Upload::from_file`)"
                        .to_owned(),
                )
            })?;
            let (reader, len) = taken;
            Ok((exactly(reader, len), len))
        }
    }
}

/// A body of exactly `len` bytes from `reader`: one that ends early or goes
/// on fails the request (the part's length was announced, so a longer one
/// would be cut silently and a shorter one would hang).
fn exactly(reader: impl tokio::io::AsyncRead + Send + Unpin + 'static, len: u64) -> Chunks {
    use futures_util::StreamExt;
    let mut sent = 0u64;
    let mut ended = false;
    let chunks =
        tokio_util::io::ReaderStream::new(reader).map(Some).chain(futures_util::stream::once(async { None })).filter_map(move |item| {
            let result = match item {
                _ if ended => None,
                Some(Ok(chunk)) => {
                    sent += chunk.len() as u64;
                    if sent > len {
                        ended = true;
                        Some(Err(std::io::Error::other(format!("the upload gave more than its stated {len} bytes"))))
                    } else {
                        Some(Ok(chunk))
                    }
                }
                Some(Err(error)) => {
                    ended = true;
                    Some(Err(error))
                }
                None if sent < len => Some(Err(std::io::Error::other(format!("the upload ended after {sent} of its stated {len} bytes")))),
                None => None,
            };
            std::future::ready(result)
        });
    chunks.boxed()
}

/// A timeout of the attempt as the limit that ran out; any other failure
/// as a transport error of its phase. A connect timeout is a failure to
/// connect: nothing was sent.
fn timeout_or(error: reqwest::Error, limit: Limit, transport: impl FnOnce(reqwest::Error) -> TransportError) -> ErrorKind<ErrorBody> {
    if error.is_timeout() && !error.is_connect() { ErrorKind::Timeout(limit) } else { ErrorKind::Transport(transport(error)) }
}
