//! Files going out (uploads) and coming back (media downloads, QR codes).

use std::fmt;

use bytes::Bytes;

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

/// A file to upload in a multipart form.
#[derive(Clone, PartialEq, Eq)]
pub struct Upload {
    /// The file's bytes.
    pub bytes: Bytes,
    /// The file name sent with the part; WeChat uses its extension.
    pub file_name: String,
    /// The part's content type; guessed from the extension when `None`.
    pub content_type: Option<String>,
}

impl Upload {
    /// A file from memory.
    pub fn new(bytes: impl Into<Bytes>, file_name: impl Into<String>) -> Upload {
        Upload { bytes: bytes.into(), file_name: file_name.into(), content_type: None }
    }

    /// Sets the part's content type.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Upload {
        self.content_type = Some(content_type.into());
        self
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

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("len", &self.bytes.len())
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .finish()
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
