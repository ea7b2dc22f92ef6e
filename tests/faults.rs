//! Faults injected by the fake WeChat server over loopback: each gives a
//! specific, typed error or the right success, never a panic or a misread.
//! TESTING.md has the table these tests follow, a row each.

use std::time::Duration;

use wxa::api::customer_service::{
    GetTempMediaError, GetTempMediaRequest, SendCustomMessageMsgtype, SendCustomMessageRequest, SendCustomMessageText,
};
use wxa::api::login::Code2SessionRequest;
use wxa::testing::{FakeWeChat, ScriptedResponse};
use wxa::{Client, ErrorKind, MediaStreamError, RetryPolicy};

const MEDIA: &str = "/cgi-bin/media/get";
const SEND: &str = "/cgi-bin/message/custom/send";

/// A JPEG-looking body: starts like one, long enough to span chunks.
fn jpeg(len: usize) -> Vec<u8> {
    let mut bytes = vec![0xff, 0xd8, 0xff, 0xe0];
    bytes.extend((0..len.saturating_sub(4)).map(|i| (i % 251) as u8));
    bytes
}

/// A client that does not retry, so the first failure is what comes back.
fn no_retry(fake: &FakeWeChat) -> Client {
    fake.client_builder().retry_policy(RetryPolicy::none()).timeout(Duration::from_millis(500)).build().expect("client")
}

fn media_request() -> GetTempMediaRequest {
    GetTempMediaRequest::new("M")
}

fn send() -> SendCustomMessageRequest {
    SendCustomMessageRequest::new("o_user", SendCustomMessageMsgtype::Text).text(SendCustomMessageText::new("hi"))
}

fn image(body: Vec<u8>) -> ScriptedResponse {
    ScriptedResponse::new(200).header("content-type", "image/jpeg").body(body)
}

#[tokio::test]
async fn connection_reset_mid_body_is_a_transport_error_and_retried_only_when_safe() {
    let fake = FakeWeChat::start().await;
    fake.script(MEDIA, image(jpeg(100_000)).cut_after(1_000));
    let error = no_retry(&fake).get_temp_media(media_request()).await.expect_err("cut body");
    match error.kind() {
        ErrorKind::Transport(e) => assert!(e.is_incomplete_body() && !e.is_connect(), "{e}"),
        other => panic!("expected a transport error, got {other:?}"),
    }

    // getTempMedia is safe to retry: the second attempt gets the real file.
    fake.add_media("M", jpeg(5_000), "image/jpeg");
    fake.script(MEDIA, image(jpeg(100_000)).cut_after(1_000));
    let media = fake.client().get_temp_media(media_request()).await.expect("retried");
    assert_eq!(media.bytes.as_ref(), jpeg(5_000).as_slice());
    assert_eq!(fake.calls(MEDIA), 3);

    // A message send cut mid-answer may have been delivered: never resent.
    fake.script(
        SEND,
        ScriptedResponse::new(200).header("content-type", "application/json").body(r#"{"errcode":0,"errmsg":"ok"}"#).cut_after(5),
    );
    let error = fake.client().send_custom_message(send()).await.expect_err("cut ack");
    assert!(matches!(error.kind(), ErrorKind::Transport(e) if e.is_incomplete_body()), "{error:?}");
    assert_eq!(fake.calls(SEND), 1);
}

#[tokio::test]
async fn body_shorter_than_content_length_is_a_transport_error() {
    let fake = FakeWeChat::start().await;
    // 1,000 bytes sent of the 50,000 promised, then the connection ends.
    fake.script(MEDIA, image(jpeg(1_000)).header("content-length", "50000").cut_after(1_000));
    let error = no_retry(&fake).get_temp_media(media_request()).await.expect_err("short body");
    assert!(matches!(error.kind(), ErrorKind::Transport(e) if e.is_incomplete_body()), "{error:?}");

    // The same through the streaming form: the file starts, then breaks off.
    fake.script(MEDIA, image(jpeg(1_000)).header("content-length", "50000").cut_after(1_000));
    let mut stream = no_retry(&fake).get_temp_media_stream(media_request()).await.expect("the file starts");
    assert_eq!(stream.content_length(), Some(50_000));
    let mut received = 0;
    let failure = loop {
        match stream.chunk().await {
            Ok(Some(chunk)) => received += chunk.len(),
            Ok(None) => panic!("a short body must not end as a whole file ({received} bytes)"),
            Err(e) => break e,
        }
    };
    assert!(matches!(&failure, MediaStreamError::Transport(e) if e.is_incomplete_body()), "{failure:?}");
    assert!(received <= 1_000);
    assert_eq!(stream.bytes_read(), received as u64);
    // A broken file never passes for a whole one, however often it is asked.
    for _ in 0..2 {
        assert!(matches!(stream.chunk().await, Err(MediaStreamError::Incomplete)));
    }
}

#[tokio::test]
async fn body_slower_than_the_timeout_is_a_timeout() {
    let fake = FakeWeChat::start().await;
    fake.script(MEDIA, image(jpeg(10_000)).stall_after(100, Duration::from_secs(3)));
    let error = no_retry(&fake).get_temp_media(media_request()).await.expect_err("stalled body");
    assert!(matches!(error.kind(), ErrorKind::Timeout(_)), "{error:?}");

    // Streaming: the start arrives in time, then the wait for the next
    // chunk times out.
    fake.script(MEDIA, image(jpeg(10_000)).stall_after(100, Duration::from_secs(3)));
    let mut stream = no_retry(&fake).get_temp_media_stream(media_request()).await.expect("the file starts");
    let first = stream.chunk().await.expect("first bytes").expect("a chunk");
    assert_eq!(first.as_ref(), &jpeg(100)[..]);
    assert!(matches!(stream.chunk().await, Err(MediaStreamError::Timeout)));
}

#[tokio::test]
async fn server_error_with_an_html_page_is_an_http_status() {
    let fake = FakeWeChat::start().await;
    let page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    fake.script(MEDIA, ScriptedResponse::new(502).header("content-type", "text/html").body(page));
    let error = no_retry(&fake).get_temp_media(media_request()).await.expect_err("502");
    match error.kind() {
        ErrorKind::HttpStatus { status: 502, body } => {
            assert_eq!(body.bytes().map(|b| b.as_ref()), Some(page.as_bytes()));
            assert!(!body.is_truncated());
        }
        other => panic!("{other:?}"),
    }
    // Retried for a retry-safe call, which then succeeds; never for a send.
    fake.add_media("M", jpeg(10), "image/jpeg");
    fake.script(MEDIA, ScriptedResponse::new(503).header("content-type", "text/html").body(page));
    assert_eq!(fake.client().get_temp_media(media_request()).await.expect("retried").bytes.len(), 10);
    fake.script(SEND, ScriptedResponse::new(503).header("content-type", "text/html").body(page));
    assert!(matches!(
        fake.client().send_custom_message(send()).await.map_err(wxa::Error::into_kind),
        Err(ErrorKind::HttpStatus { status: 503, .. })
    ));
    assert_eq!(fake.calls(SEND), 1);
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let fake = FakeWeChat::start().await;
    let client = no_retry(&fake);
    let cut = r#"{"errcode":0,"errmsg":"ok""#;
    fake.script(SEND, ScriptedResponse::new(200).header("content-type", "application/json").body(cut));
    match client.send_custom_message(send()).await.map_err(wxa::Error::into_kind) {
        Err(ErrorKind::Decode(e)) => {
            assert!(e.reason.starts_with("malformed JSON"), "{e}");
            assert_eq!(e.body.bytes().map(|b| b.as_ref()), Some(cut.as_bytes()));
        }
        other => panic!("{other:?}"),
    }
    // On a binary endpoint, under any content type: never handed back as a file.
    for content_type in ["application/json", "image/jpeg"] {
        fake.script(MEDIA, ScriptedResponse::new(200).header("content-type", content_type).body(r#"{"errcode":40007,"errm"#));
        let error = client.get_temp_media(media_request()).await.expect_err(content_type);
        assert!(matches!(error.kind(), ErrorKind::Decode(e) if e.reason.contains("JSON")), "{content_type}: {error:?}");
        fake.script(MEDIA, ScriptedResponse::new(200).header("content-type", content_type).body(r#"{"errcode":40007,"errm"#));
        let error = client.get_temp_media_stream(media_request()).await.expect_err(content_type);
        assert!(matches!(error.kind(), ErrorKind::Decode(e) if e.reason.contains("JSON")), "{content_type}: {error:?}");
    }
}

#[tokio::test]
async fn json_error_under_an_image_content_type_is_the_api_error() {
    let fake = FakeWeChat::start().await;
    let client = no_retry(&fake);
    for content_type in ["image/jpeg", "application/octet-stream", "application/json; encoding=utf-8", "text/plain"] {
        fake.script(MEDIA, ScriptedResponse::json_error(40007, "invalid media_id", content_type));
        let error = client.get_temp_media(media_request()).await.expect_err(content_type);
        let api = error.api().unwrap_or_else(|| panic!("{content_type}: {error:?}"));
        assert!(matches!(api, GetTempMediaError::InvalidMediaId(_)));
        assert_eq!(api.rid(), Some("scripted-40007"));

        fake.script(MEDIA, ScriptedResponse::json_error(40007, "invalid media_id", content_type));
        let error = client.get_temp_media_stream(media_request()).await.expect_err(content_type);
        assert!(matches!(error.api(), Some(GetTempMediaError::InvalidMediaId(_))), "{content_type}: {error:?}");
    }
}

#[tokio::test]
async fn image_without_a_content_type_is_the_file() {
    let fake = FakeWeChat::start().await;
    let bytes = jpeg(3_000);
    fake.script(MEDIA, ScriptedResponse::new(200).body(bytes.clone()));
    let media = no_retry(&fake).get_temp_media(media_request()).await.expect("file");
    assert_eq!(media.bytes.as_ref(), bytes.as_slice());
    assert_eq!(media.content_type, None);

    fake.script(MEDIA, ScriptedResponse::new(200).body(bytes.clone()));
    let stream = no_retry(&fake).get_temp_media_stream(media_request()).await.expect("file");
    assert_eq!(stream.content_type(), None);
    assert_eq!(stream.collect().await.expect("whole").bytes.as_ref(), bytes.as_slice());
}

#[tokio::test]
async fn empty_body_is_a_decode_error() {
    let fake = FakeWeChat::start().await;
    let client = no_retry(&fake);
    fake.script(MEDIA, ScriptedResponse::new(200).header("content-type", "image/jpeg"));
    assert!(
        matches!(client.get_temp_media(media_request()).await.map_err(wxa::Error::into_kind), Err(ErrorKind::Decode(e)) if e.reason.starts_with("empty body"))
    );
    fake.script(MEDIA, ScriptedResponse::new(200).header("content-type", "image/jpeg"));
    assert!(
        matches!(client.get_temp_media_stream(media_request()).await.map_err(wxa::Error::into_kind), Err(ErrorKind::Decode(e)) if e.reason.starts_with("empty body"))
    );
    fake.script(SEND, ScriptedResponse::new(200).header("content-type", "application/json"));
    assert!(
        matches!(client.send_custom_message(send()).await.map_err(wxa::Error::into_kind), Err(ErrorKind::Decode(e)) if e.reason.starts_with("empty body"))
    );
    // White space only is no file either; white space before a JSON error
    // does not hide it.
    fake.script(MEDIA, ScriptedResponse::new(200).header("content-type", "image/jpeg").body(" \r\n\t "));
    assert!(
        matches!(client.get_temp_media(media_request()).await.map_err(wxa::Error::into_kind), Err(ErrorKind::Decode(e)) if e.reason.starts_with("empty body"))
    );
    fake.script(MEDIA, ScriptedResponse::new(200).header("content-type", "image/jpeg").body("\n  {\"errcode\":40007,\"errmsg\":\"x\"}"));
    assert!(matches!(
        client.get_temp_media_stream(media_request()).await.map_err(wxa::Error::into_kind),
        Err(ErrorKind::Api(GetTempMediaError::InvalidMediaId(_)))
    ));
}

#[tokio::test]
async fn very_large_error_body_is_read_only_in_part() {
    let fake = FakeWeChat::start().await;
    let client = no_retry(&fake);
    let page = format!("<html>{}</html>", "x".repeat(20 * 1024 * 1024));
    fake.script(MEDIA, ScriptedResponse::new(500).header("content-type", "text/html").body(page.clone()));
    match client.get_temp_media(media_request()).await.map_err(wxa::Error::into_kind) {
        Err(ErrorKind::HttpStatus { status: 500, body }) => {
            assert!(body.is_truncated());
            assert_eq!(body.len(), 64 * 1024);
            assert_eq!(body.bytes().map(|b| b.as_ref()), Some(&page.as_bytes()[..64 * 1024]));
        }
        other => panic!("{other:?}"),
    }
    // HTTP 200 with endless text where a file is expected, streamed or not.
    for streamed in [false, true] {
        fake.script(MEDIA, ScriptedResponse::new(200).header("content-type", "text/plain").body(page.clone()));
        let error = if streamed {
            client.get_temp_media_stream(media_request()).await.expect_err("text")
        } else {
            client.get_temp_media(media_request()).await.expect_err("text")
        };
        match error.into_kind() {
            ErrorKind::Decode(e) => {
                assert!(e.body.is_truncated() && e.body.len() == 64 * 1024, "{e}");
                assert!(e.to_string().contains("more than 65536 bytes"), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }
    // A huge body that starts like JSON under an image type: read to the
    // limit and judged as JSON, never handed back as the file.
    let json = format!(r#"{{"errmsg":"{}"}}"#, "y".repeat(1024 * 1024));
    for streamed in [false, true] {
        fake.script(MEDIA, image(json.clone().into_bytes()));
        let error = if streamed {
            client.get_temp_media_stream(media_request()).await.expect_err("JSON")
        } else {
            client.get_temp_media(media_request()).await.expect_err("JSON")
        };
        assert!(matches!(error.kind(), ErrorKind::Decode(e) if e.body.is_truncated() && e.body.len() == 64 * 1024), "{error:?}");
    }
}

#[tokio::test]
async fn redirect_is_reported_and_not_followed() {
    let fake = FakeWeChat::start().await;
    fake.add_media("M", jpeg(10), "image/jpeg");
    let elsewhere = format!("{}/cgi-bin/elsewhere?media_id=M", fake.base_url());
    fake.script(MEDIA, ScriptedResponse::new(302).header("location", &elsewhere));
    let error = no_retry(&fake).get_temp_media(media_request()).await.expect_err("302");
    assert!(matches!(error.kind(), ErrorKind::HttpStatus { status: 302, .. }), "{error:?}");
    assert_eq!(fake.calls("/cgi-bin/elsewhere"), 0);
    // A redirect is final: not retried either.
    fake.script(MEDIA, ScriptedResponse::new(307).header("location", &elsewhere));
    assert!(matches!(
        fake.client().get_temp_media(media_request()).await.map_err(wxa::Error::into_kind),
        Err(ErrorKind::HttpStatus { status: 307, .. })
    ));
    assert_eq!(fake.calls(MEDIA), 2);
}

#[tokio::test]
async fn a_redirect_followed_by_a_callers_own_http_client_is_not_read_as_the_answer() {
    let fake = FakeWeChat::start().await;
    fake.add_media("M", jpeg(10), "image/jpeg");
    let target = format!("{}/cgi-bin/media/get?media_id=M&access_token=x", fake.base_url().replace("127.0.0.1", "localhost"));
    fake.script(MEDIA, ScriptedResponse::new(302).header("location", &target));
    let own = wxa::Client::http_client_builder().expect("tls").build().expect("a redirect-following client");
    let client = fake.client_builder().http_client(own).retry_policy(RetryPolicy::none()).build().expect("client");
    let error = client.get_temp_media(media_request()).await.expect_err("redirected");
    assert!(matches!(error.kind(), ErrorKind::Decode(e) if e.reason.contains("redirect")), "{error:?}");
    assert_eq!(fake.calls(MEDIA), 2, "the HTTP client followed it; wxa did not read what came back");
}

#[tokio::test]
async fn the_builders_timeout_applies_to_a_callers_own_http_client() {
    let fake = FakeWeChat::start().await;
    fake.script(MEDIA, image(jpeg(1_000)).stall_after(10, Duration::from_secs(3)));
    let own = wxa::Client::http_client_builder().expect("tls").redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let client = fake
        .client_builder()
        .http_client(own)
        .timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");
    assert!(matches!(client.get_temp_media(media_request()).await.map_err(wxa::Error::into_kind), Err(ErrorKind::Timeout(_))));
}

#[tokio::test]
async fn errcode_as_a_string_is_read_as_the_code() {
    let fake = FakeWeChat::start().await;
    let client = no_retry(&fake);
    fake.script(
        MEDIA,
        ScriptedResponse::new(200).header("content-type", "text/plain").body(r#"{"errcode":"40007","errmsg":"bad rid: r-1"}"#),
    );
    let error = client.get_temp_media(media_request()).await.expect_err("40007");
    assert!(matches!(error.api(), Some(GetTempMediaError::InvalidMediaId(body)) if body.rid() == Some("r-1")), "{error:?}");
    // A string that is no number is not guessed at.
    fake.script(SEND, ScriptedResponse::new(200).body(r#"{"errcode":"oops","errmsg":"?"}"#));
    assert!(
        matches!(client.send_custom_message(send()).await.map_err(wxa::Error::into_kind), Err(ErrorKind::Decode(e)) if e.reason.contains("not an integer"))
    );
}

#[tokio::test]
async fn unknown_fields_and_missing_optional_fields_still_decode() {
    let fake = FakeWeChat::start().await;
    let body = r#"{"openid":"o_1","session_key":"k","brand_new_field":{"nested":[1,2]},"another":null}"#;
    fake.script("/sns/jscode2session", ScriptedResponse::new(200).header("content-type", "text/plain").body(body));
    let session = no_retry(&fake).code2_session(Code2SessionRequest::new("code")).await.expect("decodes");
    assert_eq!(session.openid, "o_1");
    assert_eq!(session.session_key.expose(), "k");
    assert_eq!(session.unionid, None);
    // A required field missing is a decode error, and the body (it holds
    // the session key) is not kept.
    fake.script("/sns/jscode2session", ScriptedResponse::new(200).body(r#"{"session_key":"SECRET_KEY"}"#));
    match no_retry(&fake).code2_session(Code2SessionRequest::new("code")).await.map_err(wxa::Error::into_kind) {
        Err(ErrorKind::Decode(e)) => {
            assert!(e.reason.contains("openid"), "{e}");
            assert!(e.body.bytes().is_none() && !format!("{e:?}{e}").contains("SECRET_KEY"));
        }
        other => panic!("{other:?}"),
    }
}
