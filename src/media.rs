//! Files going out (uploads) and coming back (media downloads, QR codes).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use crate::TransportError;
use crate::transport::BodyRest;

/// The body of a successful binary call: the bytes, with the content type
/// and file name the server gave. The cloud call returns the same as
/// `{contentType, buffer}`.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Media {
    /// The file's bytes.
    pub bytes: Bytes,
    /// `Content-Type` as sent, e.g. `image/jpeg`.
    pub content_type: Option<String>,
    /// The file name from `Content-Disposition`, if any.
    pub file_name: Option<String>,
}

impl Media {
    /// Builds a value, e.g. for tests of code that consumes media.
    pub fn new(bytes: impl Into<Bytes>, content_type: Option<String>, file_name: Option<String>) -> Media {
        Media { bytes: bytes.into(), content_type, file_name }
    }
}

impl fmt::Debug for Media {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Media")
            .field("len", &self.bytes.len())
            .field("content_type", &self.content_type)
            .field("file_name", &self.file_name)
            .finish()
    }
}

/// A file to upload in a multipart form: from memory, from a file on disk,
/// or from a reader. Files and readers are streamed, never read into memory.
#[derive(Clone)]
pub struct Upload {
    pub(crate) source: UploadSource,
    /// The file name sent with the part; WeChat uses its extension.
    pub file_name: String,
    /// The part's content type; guessed from the extension when `None`.
    pub content_type: Option<String>,
}

/// Where an upload's bytes come from.
#[derive(Clone)]
pub(crate) enum UploadSource {
    Bytes(Bytes),
    /// Opened when sent, so a retry sends it again from the start.
    File(PathBuf),
    /// Sent once: a second attempt has nothing left to read.
    Reader(Arc<OneShotReader>),
}

/// A reader with its length, taken by the first attempt that sends it.
pub(crate) struct OneShotReader(Mutex<Option<(BoxedReader, u64)>>);

type BoxedReader = Box<dyn AsyncRead + Send + Unpin + 'static>;

impl OneShotReader {
    pub(crate) fn take(&self) -> Option<(BoxedReader, u64)> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

impl Upload {
    /// A file from memory.
    pub fn new(bytes: impl Into<Bytes>, file_name: impl Into<String>) -> Upload {
        Upload { source: UploadSource::Bytes(bytes.into()), file_name: file_name.into(), content_type: None }
    }

    /// A file on disk, streamed when the call is sent (and read again from
    /// the start if the call is retried). The part's file name is the
    /// path's; change it with [`Upload::file_name`]. Fails now if the path
    /// is not a readable regular file.
    pub async fn from_file(path: impl AsRef<Path>) -> std::io::Result<Upload> {
        let path = path.as_ref();
        let metadata = tokio::fs::metadata(path).await?;
        if !metadata.is_file() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("`{}` is not a regular file", path.display())));
        }
        tokio::fs::File::open(path).await?;
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Ok(Upload { source: UploadSource::File(path.to_path_buf()), file_name, content_type: None })
    }

    /// `len` bytes from a reader, streamed when the call is sent. WeChat
    /// needs the length up front; a reader that ends early or goes on fails
    /// the call. A reader can be sent only once, so such a call is never
    /// sent again: not after a passing failure, and not after a rejected
    /// access token (the token is still dropped, so the next call gets a
    /// new one). Use [`Upload::from_file`] where that matters.
    pub fn from_reader(reader: impl AsyncRead + Send + Unpin + 'static, len: u64, file_name: impl Into<String>) -> Upload {
        let reader = OneShotReader(Mutex::new(Some((Box::new(reader), len))));
        Upload { source: UploadSource::Reader(Arc::new(reader)), file_name: file_name.into(), content_type: None }
    }

    /// Sets the part's content type.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Upload {
        self.content_type = Some(content_type.into());
        self
    }

    /// Sets the part's file name.
    pub fn file_name(mut self, file_name: impl Into<String>) -> Upload {
        self.file_name = file_name.into();
        self
    }

    /// The bytes, for an upload made from memory.
    pub fn bytes(&self) -> Option<&Bytes> {
        match &self.source {
            UploadSource::Bytes(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// Whether the bytes can be read only once (an upload from a reader).
    pub(crate) fn is_one_shot(&self) -> bool {
        matches!(self.source, UploadSource::Reader(_))
    }

    /// The content type to send: the one set, or one guessed from the name.
    pub(crate) fn effective_content_type(&self) -> &str {
        if let Some(ct) = &self.content_type {
            return ct;
        }
        let ext = self.file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        match ext.as_str() {
            "jpg" | "jpeg" => "image/jpeg",
            "png" => "image/png",
            "gif" => "image/gif",
            "mp3" => "audio/mpeg",
            "amr" => "audio/amr",
            "mp4" => "video/mp4",
            _ => "application/octet-stream",
        }
    }
}

/// Equal when the same bytes, the same path, or the very same reader.
impl PartialEq for Upload {
    fn eq(&self, other: &Upload) -> bool {
        let same_source = match (&self.source, &other.source) {
            (UploadSource::Bytes(a), UploadSource::Bytes(b)) => a == b,
            (UploadSource::File(a), UploadSource::File(b)) => a == b,
            (UploadSource::Reader(a), UploadSource::Reader(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        same_source && self.file_name == other.file_name && self.content_type == other.content_type
    }
}

impl Eq for Upload {}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Upload");
        match &self.source {
            UploadSource::Bytes(bytes) => out.field("len", &bytes.len()),
            UploadSource::File(path) => out.field("path", path),
            UploadSource::Reader(_) => out.field("source", &"reader"),
        };
        out.field("file_name", &self.file_name).field("content_type", &self.content_type).finish()
    }
}

/// The file of a successful binary call, read as it arrives: the first
/// bytes were already looked at (a JSON error never gets here), the rest
/// comes chunk by chunk, so memory stays flat however large the file.
///
/// The call's timeout covers the answer's start and then each wait for a
/// chunk, not the whole transfer: a large file on a slow link is fine, a
/// stalled one is not.
pub struct MediaStream {
    content_type: Option<String>,
    file_name: Option<String>,
    content_length: Option<u64>,
    first: Option<Bytes>,
    rest: Option<BodyRest>,
    /// Bytes handed out so far.
    read: u64,
    /// A chunk failed: the file is incomplete, and stays so.
    failed: bool,
}

impl MediaStream {
    pub(crate) fn new(content_type: Option<String>, file_name: Option<String>, first: Bytes, rest: Option<BodyRest>) -> MediaStream {
        let content_length = rest.as_ref().and_then(BodyRest::content_length).or(Some(first.len() as u64).filter(|_| rest.is_none()));
        MediaStream { content_type, file_name, content_length, first: Some(first).filter(|b| !b.is_empty()), rest, read: 0, failed: false }
    }

    /// `Content-Type` as sent, e.g. `image/jpeg`.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The file name from `Content-Disposition`, if any.
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// The whole length, when the server said it.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// How many bytes of the file were handed out so far (by
    /// [`MediaStream::chunk`] or written by [`MediaStream::write_to`]).
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// The next chunk, or `None` at the end of the file. After an error
    /// the file is incomplete: every later call fails with
    /// [`MediaStreamError::Incomplete`], never `Ok(None)`, so a broken
    /// file cannot pass for a whole one.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, MediaStreamError> {
        if self.failed {
            return Err(MediaStreamError::Incomplete);
        }
        if let Some(first) = self.first.take() {
            self.read += first.len() as u64;
            return Ok(Some(first));
        }
        let Some(rest) = &mut self.rest else { return Ok(None) };
        match rest.chunk().await {
            Ok(Some(chunk)) => {
                self.read += chunk.len() as u64;
                Ok(Some(chunk))
            }
            Ok(None) => {
                self.rest = None;
                Ok(None)
            }
            Err(error) => Err(self.break_off(error)),
        }
    }

    /// Marks the file incomplete for good (dropping the connection) and
    /// hands `error` back.
    fn break_off(&mut self, error: MediaStreamError) -> MediaStreamError {
        self.failed = true;
        self.rest = None;
        error
    }

    /// Writes the rest of the file into `writer` and flushes it; returns
    /// how many bytes this call wrote. On an error, [`MediaStream::bytes_read`]
    /// tells how much of the file had arrived.
    pub async fn write_to<W: AsyncWrite + Unpin + ?Sized>(&mut self, writer: &mut W) -> Result<u64, MediaStreamError> {
        let mut written = 0u64;
        while let Some(chunk) = self.chunk().await? {
            if let Err(error) = writer.write_all(&chunk).await {
                return Err(self.break_off(MediaStreamError::Write(error)));
            }
            written += chunk.len() as u64;
        }
        writer.flush().await.map_err(MediaStreamError::Write)?;
        Ok(written)
    }

    /// The chunks as a [`Stream`](futures_util::Stream), ending after the
    /// first error.
    pub fn into_stream(self) -> impl futures_util::Stream<Item = Result<Bytes, MediaStreamError>> + Send + Unpin + 'static {
        Box::pin(futures_util::stream::unfold(Some(self), |state| async move {
            let mut stream = state?;
            match stream.chunk().await {
                Ok(Some(chunk)) => Some((Ok(chunk), Some(stream))),
                Ok(None) => None,
                Err(error) => Some((Err(error), None)),
            }
        }))
    }

    /// Reads the rest into memory, as the non-streaming call would have.
    pub async fn collect(mut self) -> Result<Media, MediaStreamError> {
        let mut bytes = BytesMut::new();
        while let Some(chunk) = self.chunk().await? {
            bytes.extend_from_slice(&chunk);
        }
        Ok(Media { bytes: bytes.freeze(), content_type: self.content_type, file_name: self.file_name })
    }
}

impl fmt::Debug for MediaStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaStream")
            .field("content_type", &self.content_type)
            .field("file_name", &self.file_name)
            .field("content_length", &self.content_length)
            .finish_non_exhaustive()
    }
}

/// Why a [`MediaStream`] stopped before the end of the file.
#[derive(Debug)]
#[non_exhaustive]
pub enum MediaStreamError {
    /// The connection broke off.
    Transport(TransportError),
    /// No chunk came within the timeout.
    Timeout,
    /// The writer given to [`MediaStream::write_to`] failed.
    Write(std::io::Error),
    /// Asked for more after an error: the file is incomplete.
    Incomplete,
}

impl fmt::Display for MediaStreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediaStreamError::Transport(e) => write!(f, "the file broke off: {e}"),
            MediaStreamError::Timeout => f.write_str("the file stalled: no data within the timeout"),
            MediaStreamError::Write(e) => write!(f, "cannot write the file: {e}"),
            MediaStreamError::Incomplete => f.write_str("the file broke off earlier and is incomplete"),
        }
    }
}

impl std::error::Error for MediaStreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MediaStreamError::Transport(e) => Some(e),
            MediaStreamError::Timeout | MediaStreamError::Incomplete => None,
            MediaStreamError::Write(e) => Some(e),
        }
    }
}

/// The file name of a `Content-Disposition` header: `filename*=UTF-8''…`
/// (RFC 6266) wins over `filename="…"`.
pub(crate) fn disposition_file_name(header: &str) -> Option<String> {
    let mut plain = None;
    for param in header.split(';').map(str::trim) {
        let Some((key, value)) = param.split_once('=') else { continue };
        match key.trim().to_ascii_lowercase().as_str() {
            "filename*" => {
                let value = value.trim().trim_matches('"');
                if let Some((charset, rest)) = value.split_once('\'')
                    && charset.eq_ignore_ascii_case("utf-8")
                    && let Some((_, encoded)) = rest.split_once('\'')
                    && let Some(decoded) = percent_decode(encoded)
                {
                    return Some(decoded);
                }
            }
            "filename" => plain = Some(value.trim().trim_matches('"').to_owned()),
            _ => {}
        }
    }
    plain.filter(|name| !name.is_empty())
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_file_names() {
        assert_eq!(disposition_file_name("attachment; filename=\"a.jpg\"").as_deref(), Some("a.jpg"));
        assert_eq!(disposition_file_name("attachment; filename=b.png").as_deref(), Some("b.png"));
        assert_eq!(disposition_file_name("attachment; filename=\"x.jpg\"; filename*=UTF-8''%E5%9B%BE.jpg").as_deref(), Some("图.jpg"));
        assert_eq!(disposition_file_name("inline"), None);
        assert_eq!(disposition_file_name("attachment; filename*=UTF-8''%ZZ"), None);
    }

    #[test]
    fn guesses_upload_types() {
        assert_eq!(Upload::new(vec![1], "a.JPG").effective_content_type(), "image/jpeg");
        assert_eq!(Upload::new(vec![1], "a").effective_content_type(), "application/octet-stream");
        assert_eq!(Upload::new(vec![1], "a.png").content_type("image/webp").effective_content_type(), "image/webp");
    }
}
