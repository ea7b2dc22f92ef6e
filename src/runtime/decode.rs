//! Reading WeChat's answers. Errors come as HTTP 200 with
//! `{"errcode": …, "errmsg": …}`, and binary endpoints answer errors with
//! JSON under whatever content type (`text/plain`,
//! `application/json; encoding=utf-8`, even `image/jpeg`), so the body is
//! looked at, not only the header: a JSON error is never handed back as
//! image bytes.

use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::ResponseKind;
use crate::error::{DecodeError, ErrorBody, RawBody};
use crate::media::disposition_file_name;
use crate::transport::BodyRest;
use crate::{Media, MediaStream};

/// An HTTP answer as received: the whole body, or (streamed calls) its
/// first bytes and the connection to read the rest from.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub content_disposition: Option<String>,
    pub body: Bytes,
    /// An error body was cut at the read limit.
    pub truncated: bool,
    /// The unread rest of a streamed body.
    pub rest: Option<BodyRest>,
}

/// A successful answer, before the endpoint reads it.
#[derive(Debug)]
pub struct SuccessBody {
    status: u16,
    content_type: Option<String>,
    content_disposition: Option<String>,
    bytes: Bytes,
    rest: Option<BodyRest>,
}

impl SuccessBody {
    /// The answer as media (binary endpoints, read whole).
    #[inline]
    pub fn into_media(self) -> Media {
        let file_name = self.content_disposition.as_deref().and_then(disposition_file_name);
        Media { bytes: self.bytes, content_type: self.content_type, file_name }
    }

    /// The answer as a stream: the bytes read so far, then the rest.
    pub(crate) fn into_media_stream(self) -> MediaStream {
        let file_name = self.content_disposition.as_deref().and_then(disposition_file_name);
        MediaStream::new(self.content_type, file_name, self.bytes, self.rest)
    }
}

/// Why an answer could not be read; becomes a [`DecodeError`] once the
/// client knows whether the body may be kept.
#[derive(Debug)]
pub struct DecodeFailure {
    pub(crate) reason: String,
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Bytes,
    /// Only the start of the body was read.
    pub(crate) truncated: bool,
}

impl DecodeFailure {
    fn new(reason: impl Into<String>, status: u16, content_type: Option<String>, body: Bytes) -> DecodeFailure {
        DecodeFailure { reason: reason.into(), status, content_type, body, truncated: false }
    }

    /// The public error; `keep_body` is false for answers that carry secrets.
    pub(crate) fn into_error(self, keep_body: bool) -> DecodeError {
        let body = if keep_body { RawBody::kept(self.body) } else { RawBody::redacted(self.body.len()) };
        DecodeError { reason: self.reason, status: self.status, content_type: self.content_type, body: body.truncated_if(self.truncated) }
    }
}

/// Reads a JSON success body into the endpoint's response type.
///
/// # Errors
///
/// When the JSON does not fit `T`.
#[inline]
pub fn decode_json<T: DeserializeOwned>(body: SuccessBody) -> Result<T, DecodeFailure> {
    serde_json::from_slice(&body.bytes).map_err(|e| {
        DecodeFailure::new(format!("the JSON does not fit the response type: {e}"), body.status, body.content_type, body.bytes)
    })
}

/// What an answer is.
#[derive(Debug)]
pub(crate) enum Outcome {
    Success(SuccessBody),
    Api(ErrorBody),
    /// A non-2xx status without a WeChat error body.
    HttpStatus {
        status: u16,
        body: Bytes,
        truncated: bool,
    },
    Undecodable(DecodeFailure),
}

/// `errcode` may come as a number or, from some endpoints, as a string.
#[derive(Debug)]
struct Code(i64);

impl<'de> serde::Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Code, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Code;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an integer errcode")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Code, E> {
                Ok(Code(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Code, E> {
                i64::try_from(v).map(Code).map_err(E::custom)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Code, E> {
                v.trim().parse().map(Code).map_err(|_| E::custom(format!("errcode `{v}` is not an integer")))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The members every answer may have; all others are skipped unread.
#[derive(Debug, serde::Deserialize)]
struct Envelope {
    #[serde(default)]
    errcode: Option<Code>,
    #[serde(default)]
    errmsg: Option<String>,
}

fn starts_like_json_object(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Content types that announce text, never file bytes.
pub(crate) fn is_textual(content_type: Option<&str>) -> bool {
    // Without allocating: this runs on every answer of a binary endpoint.
    content_type.is_some_and(|ct| {
        let ct = ct.trim_start().as_bytes();
        // One cheap byte test a window before the full comparison.
        ct.get(..5).is_some_and(|start| start.eq_ignore_ascii_case(b"text/"))
            || ct.windows(4).any(|w| w[0] | 0x20 == b'j' && w.eq_ignore_ascii_case(b"json"))
    })
}

/// Sorts an answer into success, WeChat error, HTTP error or undecodable.
pub(crate) fn classify(kind: ResponseKind, raw: RawResponse) -> Outcome {
    // A streamed body has been read up to its first telling byte (and a
    // JSON answer whole), which is all the rules below look at.
    let RawResponse { status, content_type, content_disposition, body, truncated, rest } = raw;
    let json_like = starts_like_json_object(&body);
    let envelope = if json_like { serde_json::from_slice::<Envelope>(&body).ok() } else { None };
    let api_error = envelope.as_ref().and_then(|e| match &e.errcode {
        Some(Code(code)) if *code != 0 => Some(ErrorBody { code: *code, message: e.errmsg.clone().unwrap_or_default() }),
        _ => None,
    });
    if let Some(error) = api_error {
        return Outcome::Api(error);
    }
    if !(200..300).contains(&status) {
        return Outcome::HttpStatus { status, body, truncated };
    }
    let undecodable = |reason: &str, content_type: Option<String>, body: Bytes| {
        Outcome::Undecodable(DecodeFailure { truncated, ..DecodeFailure::new(reason, status, content_type, body) })
    };
    match kind {
        ResponseKind::Binary => {
            if body.iter().all(u8::is_ascii_whitespace) {
                return undecodable("empty body where file bytes were expected", content_type, body);
            }
            // No file WeChat serves (images, audio, video) starts with `{`:
            // such a body is JSON, however it is labelled, and never a file.
            if envelope.is_some() {
                return undecodable("a JSON answer without an error code where file bytes were expected", content_type, body);
            }
            if json_like {
                return undecodable("malformed JSON where file bytes were expected", content_type, body);
            }
            if is_textual(content_type.as_deref()) {
                return undecodable("text that is not a WeChat JSON answer where file bytes were expected", content_type, body);
            }
            Outcome::Success(SuccessBody { status, content_type, content_disposition, bytes: body, rest })
        }
        ResponseKind::Json | ResponseKind::Ack => {
            if envelope.is_none() {
                let reason = if body.is_empty() {
                    "empty body where JSON was expected".to_owned()
                } else if json_like {
                    match serde_json::from_slice::<serde_json::Value>(&body) {
                        Err(e) => format!("malformed JSON: {e}"),
                        Ok(_) => "the errcode is not an integer".to_owned(),
                    }
                } else {
                    "not a JSON object".to_owned()
                };
                return undecodable(&reason, content_type, body);
            }
            Outcome::Success(SuccessBody { status, content_type, content_disposition, bytes: body, rest })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(status: u16, content_type: Option<&str>, body: &[u8]) -> RawResponse {
        RawResponse {
            status,
            content_type: content_type.map(str::to_owned),
            content_disposition: None,
            body: Bytes::copy_from_slice(body),
            truncated: false,
            rest: None,
        }
    }

    #[test]
    fn json_error_under_any_content_type_is_an_api_error() {
        for ct in [Some("application/json; encoding=utf-8"), Some("text/plain"), Some("image/jpeg"), None] {
            match classify(ResponseKind::Binary, raw(200, ct, br#"{"errcode":40007,"errmsg":"invalid media_id rid: 1-2-3"}"#)) {
                Outcome::Api(body) => {
                    assert_eq!(body.code, 40007);
                    assert_eq!(body.rid(), Some("1-2-3"));
                }
                other => panic!("{ct:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn string_errcode_decodes() {
        assert!(matches!(
            classify(ResponseKind::Json, raw(200, None, br#"{"errcode":"45009","errmsg":"x"}"#)),
            Outcome::Api(ErrorBody { code: 45009, .. })
        ));
    }

    #[test]
    fn bytes_are_media() {
        match classify(ResponseKind::Binary, raw(200, Some("image/jpeg"), &[0xff, 0xd8, 0xff])) {
            Outcome::Success(body) => assert_eq!(body.into_media().bytes.as_ref(), &[0xff, 0xd8, 0xff]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn html_error_page_is_an_http_status() {
        assert!(matches!(
            classify(ResponseKind::Binary, raw(502, Some("text/html"), b"<html>Bad Gateway</html>")),
            Outcome::HttpStatus { status: 502, .. }
        ));
        assert!(matches!(classify(ResponseKind::Json, raw(200, Some("text/html"), b"<html></html>")), Outcome::Undecodable(_)));
    }

    #[test]
    fn a_body_starting_with_a_brace_is_never_a_file() {
        for body in [&br#"{"video_url":"x"}"#[..], b"{\"errcode\":4000", b"  {not json"] {
            assert!(matches!(classify(ResponseKind::Binary, raw(200, Some("image/jpeg"), body)), Outcome::Undecodable(_)), "{body:?}");
        }
        assert!(matches!(classify(ResponseKind::Binary, raw(200, None, b"GIF89a{")), Outcome::Success(_)));
        assert!(is_textual(Some(" Text/Plain")) && is_textual(Some("application/JSON; encoding=utf-8")));
        assert!(!is_textual(Some("image/jpeg")) && !is_textual(Some("text")) && !is_textual(None));
    }

    #[test]
    fn success_json_and_ack() {
        assert!(matches!(classify(ResponseKind::Ack, raw(200, None, br#"{"errcode":0,"errmsg":"ok"}"#)), Outcome::Success(_)));
        assert!(matches!(classify(ResponseKind::Json, raw(200, None, br#"{"access_token":"t","expires_in":7200}"#)), Outcome::Success(_)));
        assert!(matches!(classify(ResponseKind::Json, raw(200, None, b"")), Outcome::Undecodable(_)));
        assert!(matches!(classify(ResponseKind::Json, raw(200, None, b"{\"errcode\":")), Outcome::Undecodable(_)));
        assert!(matches!(classify(ResponseKind::Binary, raw(200, Some("text/plain"), br#"{"video_url":"x"}"#)), Outcome::Undecodable(_)));
    }

    /// Any answer at all: classification never panics and never misreads.
    mod arbitrary_answers {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRunner};

        use super::*;

        fn runner() -> TestRunner {
            // Fixed seed, no persistence file: CI replays the same cases.
            TestRunner::new(Config {
                cases: 3000,
                failure_persistence: None,
                rng_algorithm: RngAlgorithm::ChaCha,
                rng_seed: RngSeed::Fixed(0x00DE_C0DE),
                ..Config::default()
            })
        }

        fn content_type() -> impl Strategy<Value = Option<String>> {
            prop_oneof![
                Just(None),
                Just(Some("image/jpeg".to_owned())),
                Just(Some("application/json; encoding=utf-8".to_owned())),
                Just(Some("TEXT/PLAIN".to_owned())),
                Just(Some("application/octet-stream".to_owned())),
                any::<String>().prop_map(Some),
            ]
        }

        fn kind() -> impl Strategy<Value = ResponseKind> {
            prop_oneof![Just(ResponseKind::Binary), Just(ResponseKind::Json), Just(ResponseKind::Ack)]
        }

        /// Bytes that are often JSON-like: random bytes, `{` plus random
        /// bytes, or a JSON object with a random errcode member.
        fn body() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..64),
                proptest::collection::vec(any::<u8>(), 0..64).prop_map(|mut b| {
                    b.insert(0, b'{');
                    b
                }),
                (any::<i64>(), any::<String>(), any::<bool>()).prop_map(|(code, msg, as_string)| {
                    let code = if as_string { serde_json::json!(code.to_string()) } else { serde_json::json!(code) };
                    serde_json::json!({"errcode": code, "errmsg": msg, "extra": [1, {"a": null}]}).to_string().into_bytes()
                }),
            ]
        }

        #[test]
        fn never_panics_and_never_hands_json_or_text_back_as_a_file() {
            let strategy = (kind(), 100u16..600, content_type(), body());
            runner()
                .run(&strategy, |(kind, status, content_type, body)| {
                    let raw = RawResponse {
                        status,
                        content_type: content_type.clone(),
                        content_disposition: None,
                        body: Bytes::from(body.clone()),
                        truncated: false,
                        rest: None,
                    };
                    let nonzero_code =
                        serde_json::from_slice::<Envelope>(&body).ok().and_then(|e| e.errcode).is_some_and(|Code(code)| code != 0);
                    match classify(kind, raw) {
                        Outcome::Api(error) => {
                            prop_assert!(nonzero_code, "an API error from a body without one: {body:?}");
                            prop_assert_ne!(error.code, 0);
                        }
                        Outcome::Success(success) => {
                            prop_assert!(!nonzero_code, "an error code read as success: {body:?}");
                            prop_assert!((200..300).contains(&status));
                            if kind == ResponseKind::Binary {
                                prop_assert!(!body.iter().all(u8::is_ascii_whitespace), "an empty file: {body:?}");
                                prop_assert!(!starts_like_json_object(&body), "JSON handed back as a file: {body:?}");
                                prop_assert!(!is_textual(content_type.as_deref()), "text handed back as a file: {content_type:?}");
                                let media = success.into_media();
                                prop_assert_eq!(media.bytes.as_ref(), body.as_slice());
                            }
                        }
                        Outcome::HttpStatus { status: got, .. } => {
                            prop_assert!(!nonzero_code);
                            prop_assert!(!(200..300).contains(&got));
                        }
                        Outcome::Undecodable(failure) => {
                            prop_assert!(!nonzero_code);
                            prop_assert!(!failure.reason.is_empty());
                        }
                    }
                    Ok(())
                })
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
