//! Behaviour of the generated client against the fake WeChat server on
//! loopback: real HTTP, real token handling, no mocks of our own code.

use std::sync::Arc;
use std::time::Duration;

use wxa::api::access_token::GetStableAccessTokenRequest;
use wxa::api::common::CommonError;
use wxa::api::customer_service::{
    GetTempMediaError, GetTempMediaRequest, SendCustomMessageMsgtype, SendCustomMessageRequest, SendCustomMessageText, SetTypingCommand,
    SetTypingRequest, UploadTempMediaMediaType, UploadTempMediaRequest,
};
use wxa::api::login::{Code2SessionError, Code2SessionRequest};
use wxa::api::qrcode::{GetUnlimitedQrCodeError, GetUnlimitedQrCodeRequest, QrLineColor};
use wxa::testing::{FAKE_APP_SECRET, FakeWeChat, ScriptedResponse};
use wxa::{ErrorKind, RetryKind, RetryPolicy, Upload};

const JPEG: &[u8] = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00fake-jpeg-body";

#[tokio::test]
async fn get_temp_media_returns_bytes_content_type_and_file_name() {
    let fake = FakeWeChat::start().await;
    fake.add_media("MEDIA_1", JPEG.to_vec(), "image/jpeg");
    let media = fake.client().get_temp_media(GetTempMediaRequest::new("MEDIA_1")).await.expect("media");
    assert_eq!(media.bytes.as_ref(), JPEG);
    assert_eq!(media.content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(media.file_name.as_deref(), Some("MEDIA_1.jpg"));
    let request = &fake.requests("/cgi-bin/media/get")[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.query_value("media_id"), Some("MEDIA_1"));
    assert!(request.query_value("access_token").is_some());
}

#[tokio::test]
async fn invalid_media_id_is_the_typed_variant_with_rid() {
    let fake = FakeWeChat::start().await;
    let error = fake.client().get_temp_media(GetTempMediaRequest::new("NOPE")).await.expect_err("40007");
    match error.kind() {
        ErrorKind::Api(GetTempMediaError::InvalidMediaId(body)) => {
            assert_eq!(body.code, 40007);
            assert!(body.rid().is_some_and(|rid| !rid.is_empty()), "rid kept: {body:?}");
        }
        other => panic!("expected InvalidMediaId, got {other:?}"),
    }
    assert_eq!(error.code(), Some(40007));
    assert_eq!(error.api().map(|e| e.retry_kind()), Some(RetryKind::None));
    assert!(error.api().is_some_and(|e| e.is_invalid_media_id()));
}

#[tokio::test]
async fn json_errors_under_odd_content_types_are_never_media() {
    for content_type in ["text/plain", "application/json; encoding=utf-8", "image/jpeg"] {
        let fake = FakeWeChat::start().await;
        fake.script("/cgi-bin/media/get", ScriptedResponse::json_error(40007, "invalid media_id", content_type));
        let error = fake.client().get_temp_media(GetTempMediaRequest::new("X")).await.expect_err(content_type);
        assert!(matches!(error.kind(), ErrorKind::Api(GetTempMediaError::InvalidMediaId(_))), "{content_type}: {error:?}");
        assert_eq!(error.rid(), Some("scripted-40007"));
    }
}

#[tokio::test]
async fn errcode_sent_as_a_string_still_decodes() {
    let fake = FakeWeChat::start().await;
    fake.script(
        "/cgi-bin/media/get",
        ScriptedResponse::new(200).header("content-type", "text/plain").body(r#"{"errcode":"40007","errmsg":"invalid media_id"}"#),
    );
    let error = fake.client().get_temp_media(GetTempMediaRequest::new("X")).await.expect_err("40007");
    assert!(matches!(error.kind(), ErrorKind::Api(GetTempMediaError::InvalidMediaId(_))), "{error:?}");
}

#[tokio::test]
async fn an_html_502_page_is_a_clear_http_error() {
    let fake = FakeWeChat::start().await;
    fake.script(
        "/cgi-bin/media/get",
        ScriptedResponse::new(502).header("content-type", "text/html").body("<html><body>502 Bad Gateway</body></html>"),
    );
    let client = fake.client_builder().retry_policy(wxa::RetryPolicy::none()).build().expect("client");
    let error = client.get_temp_media(GetTempMediaRequest::new("X")).await.expect_err("502");
    match error.kind() {
        ErrorKind::HttpStatus { status, body } => {
            assert_eq!(*status, 502);
            assert!(body.preview().contains("Bad Gateway"));
        }
        other => panic!("expected HttpStatus, got {other:?}"),
    }
    assert!(error.to_string().contains("HTTP 502"), "{error}");
}

#[tokio::test]
async fn an_html_page_with_status_200_on_a_json_endpoint_is_a_decode_error_keeping_the_body() {
    let fake = FakeWeChat::start().await;
    fake.script(
        "/cgi-bin/message/custom/business/typing",
        ScriptedResponse::new(200).header("content-type", "text/html").body("<html>maintenance</html>"),
    );
    let error = fake.client().set_typing(SetTypingRequest::new("o_user", SetTypingCommand::Typing)).await.expect_err("html");
    match error.into_kind() {
        ErrorKind::Decode(decode) => {
            assert_eq!(decode.status, 200);
            assert_eq!(decode.body.bytes().map(|b| b.as_ref()), Some(&b"<html>maintenance</html>"[..]));
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn a_hundred_concurrent_calls_fetch_one_token() {
    let fake = FakeWeChat::start().await;
    fake.add_media("M", JPEG.to_vec(), "image/jpeg");
    let client = fake.client();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let client = client.clone();
        tasks.spawn(async move { client.get_temp_media(GetTempMediaRequest::new("M")).await });
    }
    let mut succeeded = 0;
    while let Some(result) = tasks.join_next().await {
        result.expect("task").expect("call");
        succeeded += 1;
    }
    assert_eq!(succeeded, 100);
    assert_eq!(fake.token_fetches(), 1);
    assert_eq!(fake.calls("/cgi-bin/media/get"), 100);
}

#[tokio::test]
async fn a_rejected_token_causes_one_refresh_and_one_retry() {
    let fake = FakeWeChat::start().await;
    fake.add_media("M", JPEG.to_vec(), "image/jpeg");
    let client = fake.client();
    client.get_temp_media(GetTempMediaRequest::new("M")).await.expect("first call");
    let first_token = client.access_token().await.expect("token");
    // Another instance of the app force-refreshed: our token is now invalid.
    fake.rotate_token();
    let media = client.get_temp_media(GetTempMediaRequest::new("M")).await.expect("retried call");
    assert_eq!(media.bytes.as_ref(), JPEG);
    assert_eq!(fake.token_fetches(), 2);
    assert_eq!(fake.calls("/cgi-bin/media/get"), 3, "one call, then one rejected and one retried");
    assert_ne!(client.access_token().await.expect("token").expose(), first_token.expose());
}

#[tokio::test]
async fn a_token_that_keeps_failing_is_retried_once_never_in_a_loop() {
    let fake = FakeWeChat::start().await;
    fake.add_media("M", JPEG.to_vec(), "image/jpeg");
    fake.reject_all_tokens(true);
    let error = fake.client().get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("40001");
    match error.kind() {
        ErrorKind::Api(GetTempMediaError::Common(common)) => {
            assert_eq!(common.body().code, 40001);
            assert_eq!(common.retry_kind(), RetryKind::RefreshToken);
        }
        other => panic!("expected Common(40001), got {other:?}"),
    }
    assert_eq!(fake.calls("/cgi-bin/media/get"), 2);
    // One refresh cycle: the plain stable-token fetch hands back the token
    // WeChat just rejected, so the cache forces one refresh. Never more.
    let forced: Vec<bool> = fake
        .requests("/cgi-bin/stable_token")
        .iter()
        .map(|r| r.json.as_ref().and_then(|j| j["force_refresh"].as_bool()).unwrap_or(false))
        .collect();
    assert_eq!(forced, vec![false, false, true]);
}

#[tokio::test]
async fn an_upload_arrives_intact_and_can_be_downloaded_again() {
    let fake = FakeWeChat::start().await;
    let bytes: Vec<u8> = (0..1_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let client = fake.client();
    let response = client
        .upload_temp_media(UploadTempMediaRequest::new(UploadTempMediaMediaType::Image, Upload::new(bytes.clone(), "photo.jpg")))
        .await
        .expect("upload");
    let uploads = fake.uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].part, "media");
    assert_eq!(uploads[0].file_name.as_deref(), Some("photo.jpg"));
    assert_eq!(uploads[0].content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(uploads[0].bytes.as_ref(), &bytes[..]);
    assert_eq!(response.media_id, uploads[0].media_id);
    let media = client.get_temp_media(GetTempMediaRequest::new(response.media_id)).await.expect("download");
    assert_eq!(media.bytes.as_ref(), &bytes[..]);
}

#[tokio::test]
async fn an_invalid_upload_content_type_is_a_prepare_error_and_nothing_is_sent() {
    let fake = FakeWeChat::start().await;
    let upload = Upload::new(vec![1, 2, 3], "a.jpg").content_type("not a mime type");
    let error =
        fake.client().upload_temp_media(UploadTempMediaRequest::new(UploadTempMediaMediaType::Image, upload)).await.expect_err("bad type");
    assert!(matches!(error.kind(), ErrorKind::Prepare(wxa::PrepareError::Body(_))), "{error:?}");
    assert_eq!(fake.calls("/cgi-bin/media/upload"), 0);
}

#[tokio::test]
async fn a_custom_message_is_sent_as_the_documented_json() {
    let fake = FakeWeChat::start().await;
    let request = SendCustomMessageRequest::new("o_user", SendCustomMessageMsgtype::Text).text(SendCustomMessageText::new("你好"));
    fake.client().send_custom_message(request).await.expect("sent");
    let received = fake.requests("/cgi-bin/message/custom/send");
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].content_type.as_deref(), Some("application/json"));
    assert_eq!(received[0].json, Some(serde_json::json!({"touser": "o_user", "msgtype": "text", "text": {"content": "你好"}})));
}

#[tokio::test]
async fn code2session_fills_credentials_and_keeps_the_session_key_secret() {
    let fake = FakeWeChat::start().await;
    let session = fake.client().code2_session(Code2SessionRequest::new("js-code-1")).await.expect("session");
    assert_eq!(session.openid, "o_fake_js-code-1");
    assert!(session.session_key.expose().starts_with("FAKE_SESSION_KEY_"));
    assert!(!format!("{session:?}").contains("FAKE_SESSION_KEY_"));
    let request = &fake.requests("/sns/jscode2session")[0];
    assert_eq!(request.query_value("grant_type"), Some("authorization_code"));
    assert_eq!(request.query_value("access_token"), None);

    let error = fake.client().code2_session(Code2SessionRequest::new("invalid")).await.expect_err("40029");
    assert!(matches!(error.kind(), ErrorKind::Api(Code2SessionError::InvalidCode(_))), "{error:?}");
}

#[tokio::test]
async fn a_qr_code_comes_back_as_png_bytes_and_its_45009_is_a_throttle() {
    let fake = FakeWeChat::start().await;
    let client = fake.client();
    let request = GetUnlimitedQrCodeRequest::new("a=1").width(280).line_color(QrLineColor::new(0, 0, 0));
    let media = client.get_unlimited_qr_code(request).await.expect("qr");
    assert!(media.bytes.starts_with(b"\x89PNG"));
    assert_eq!(media.content_type.as_deref(), Some("image/png"));
    let sent = &fake.requests("/wxa/getwxacodeunlimit")[0];
    assert_eq!(sent.json, Some(serde_json::json!({"scene": "a=1", "width": 280, "line_color": {"r": 0, "g": 0, "b": 0}})));

    fake.script(
        "/wxa/getwxacodeunlimit",
        ScriptedResponse::json_error(45009, "reach max api daily quota limit", "application/json; encoding=utf-8"),
    );
    let error = client.get_unlimited_qr_code(GetUnlimitedQrCodeRequest::new("a=2")).await.expect_err("45009");
    let api = error.api().expect("api error");
    assert_eq!(api.code(), 45009);
    assert_eq!(api.retry_kind(), RetryKind::Throttle, "per-minute limit on QR codes: {api:?}");
    assert!(!matches!(api, GetUnlimitedQrCodeError::Common(_)));
}

#[tokio::test]
async fn the_shared_table_gives_45009_its_daily_quota_meaning_elsewhere() {
    let fake = FakeWeChat::start().await;
    fake.script("/cgi-bin/media/get", ScriptedResponse::json_error(45009, "reach max api daily quota limit", "text/plain"));
    let error = fake.client().get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("45009");
    match error.into_kind() {
        ErrorKind::Api(GetTempMediaError::Common(common)) => {
            assert_eq!(common.body().code, 45009);
            assert_eq!(common.retry_kind(), RetryKind::None);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_unknown_code_keeps_code_and_message() {
    let fake = FakeWeChat::start().await;
    fake.script("/cgi-bin/media/get", ScriptedResponse::json_error(987_654, "brand new failure", "text/plain"));
    let error = fake.client().get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("unknown");
    match error.into_kind() {
        ErrorKind::Api(GetTempMediaError::Unknown(body)) => {
            assert_eq!(body.code, 987_654);
            assert!(body.message.starts_with("brand new failure"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_classic_token_endpoint_works_too() {
    let fake = FakeWeChat::start().await;
    fake.add_media("M", JPEG.to_vec(), "image/jpeg");
    let client = fake.client_builder().classic_token().build().expect("client");
    client.get_temp_media(GetTempMediaRequest::new("M")).await.expect("media");
    assert_eq!(fake.calls("/cgi-bin/token"), 1);
    assert_eq!(fake.calls("/cgi-bin/stable_token"), 0);
}

#[tokio::test]
async fn a_wrong_secret_is_a_token_error_with_the_code_and_no_secret() {
    let fake = FakeWeChat::start().await;
    let client = wxa::Client::builder()
        .base_url(fake.base_url())
        .credentials(wxa::testing::FAKE_APP_ID, "wrong-secret-value")
        .build()
        .expect("client");
    let error = client.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("token");
    match error.kind() {
        ErrorKind::Token(token) => assert_eq!(token.code(), Some(40125)),
        other => panic!("{other:?}"),
    }
    assert!(!format!("{error:?} {error}").contains("wrong-secret-value"));
    assert_eq!(fake.calls("/cgi-bin/media/get"), 0);
}

#[tokio::test]
async fn cloud_run_mode_sends_no_access_token() {
    let fake = FakeWeChat::start_cloud_run().await;
    fake.add_media("M", JPEG.to_vec(), "image/jpeg");
    let media = fake.client().get_temp_media(GetTempMediaRequest::new("M")).await.expect("media");
    assert_eq!(media.bytes.as_ref(), JPEG);
    assert_eq!(fake.token_fetches(), 0);
    assert_eq!(fake.requests("/cgi-bin/media/get")[0].query_value("access_token"), None);
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout() {
    let fake = FakeWeChat::start().await;
    fake.script("/cgi-bin/media/get", ScriptedResponse::new(200).delay(Duration::from_secs(3)).body("late"));
    let client = fake.client_builder().timeout(Duration::from_millis(300)).retry_policy(wxa::RetryPolicy::none()).build().expect("client");
    // Fetch the token first so the timeout hits the media call.
    client.access_token().await.expect("token");
    let error = client.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("timeout");
    assert!(matches!(error.kind(), ErrorKind::Timeout(_)), "{error:?}");
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_without_the_url() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let client = wxa::Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .token_source(Arc::new(FixedToken("TOKEN_THAT_MUST_NOT_LEAK")))
        .build()
        .expect("client");
    let error = client.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("refused");
    assert!(matches!(error.kind(), ErrorKind::Transport(t) if t.is_connect()), "{error:?}");
    let shown = format!("{error:?} {error}");
    assert!(!shown.contains("TOKEN_THAT_MUST_NOT_LEAK"), "{shown}");
    assert!(!shown.contains("access_token="), "{shown}");
}

#[tokio::test]
async fn the_stable_token_call_itself_is_a_generated_endpoint() {
    let fake = FakeWeChat::start().await;
    let token = fake.client().get_stable_access_token(GetStableAccessTokenRequest::new().force_refresh(true)).await.expect("token");
    assert_eq!(token.expires_in, 7200);
    assert!(fake.issued_tokens().contains(&token.access_token.expose().to_owned()));
    let sent = fake.requests("/cgi-bin/stable_token")[0].json.clone().expect("json body");
    assert_eq!(sent["grant_type"], "client_credential");
    assert_eq!(sent["secret"], FAKE_APP_SECRET);
    assert_eq!(sent["force_refresh"], true);
}

#[tokio::test]
async fn common_errors_decode_through_the_shared_table() {
    let body = wxa::ErrorBody::new(-1, "system error rid: abc");
    let common = CommonError::from_body(body).expect("-1 is in the shared table");
    assert_eq!(common.retry_kind(), RetryKind::Transient);
    assert!(CommonError::from_body(wxa::ErrorBody::new(123_456_789, "x")).is_err());
}

/// A token source that always hands out the same token.
struct FixedToken(&'static str);

impl wxa::TokenSource for FixedToken {
    fn fetch(&self, _force: bool) -> wxa::BoxFuture<'_, Result<wxa::AccessToken, wxa::TokenError>> {
        Box::pin(async move { Ok(wxa::AccessToken::new(self.0, Duration::from_secs(7200))) })
    }
}

#[tokio::test]
async fn a_base_url_with_a_path_prefix_keeps_it_and_one_with_a_query_is_refused() {
    let fake = FakeWeChat::start().await;
    fake.script("/proxy/wechat/cgi-bin/media/get", ScriptedResponse::new(200).header("content-type", "image/jpeg").body(JPEG));
    let client = wxa::Client::builder()
        .base_url(format!("{}/proxy/wechat/", fake.base_url()))
        .token_source(Arc::new(FixedToken("PROXY_TOKEN")))
        .build()
        .expect("client");
    let media = client.get_temp_media(GetTempMediaRequest::new("M 1&2")).await.expect("through the prefix");
    assert_eq!(media.bytes.as_ref(), JPEG);
    let sent = &fake.requests("/proxy/wechat/cgi-bin/media/get")[0];
    assert_eq!(sent.query_value("media_id"), Some("M 1&2"), "values are form-encoded");
    assert_eq!(sent.query_value("access_token"), Some("PROXY_TOKEN"));

    let refused = wxa::Client::builder().base_url("https://proxy.example/?x=1").without_access_token().build();
    assert!(matches!(refused, Err(wxa::BuildError::InvalidBaseUrl(_))), "{refused:?}");
}

fn fast_retries() -> wxa::RetryPolicy {
    wxa::RetryPolicy { base_delay: Duration::from_millis(1), ..wxa::RetryPolicy::default() }
}

#[tokio::test]
async fn a_transient_failure_of_a_retry_safe_call_is_retried() {
    let fake = FakeWeChat::start().await;
    fake.add_media("M", JPEG.to_vec(), "image/jpeg");
    let client = fake.client_builder().retry_policy(fast_retries()).build().expect("client");
    fake.script("/cgi-bin/media/get", ScriptedResponse::json_error(-1, "system error", "text/plain"));
    fake.script("/cgi-bin/media/get", ScriptedResponse::new(503).header("content-type", "text/html").body("<html>busy</html>"));
    let media = client.get_temp_media(GetTempMediaRequest::new("M")).await.expect("third attempt succeeds");
    assert_eq!(media.bytes.as_ref(), JPEG);
    assert_eq!(fake.calls("/cgi-bin/media/get"), 3);
}

#[tokio::test]
async fn retries_stop_after_the_policy_s_attempts() {
    let fake = FakeWeChat::start().await;
    let client = fake.client_builder().retry_policy(fast_retries()).build().expect("client");
    for _ in 0..5 {
        fake.script("/cgi-bin/media/get", ScriptedResponse::json_error(-1, "system error", "text/plain"));
    }
    let error = client.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("still busy");
    assert_eq!(error.code(), Some(-1));
    assert_eq!(fake.calls("/cgi-bin/media/get"), 3, "three attempts in all");
}

#[tokio::test]
async fn a_send_is_never_repeated_after_an_ambiguous_failure() {
    let fake = FakeWeChat::start().await;
    let client = fake.client_builder().retry_policy(fast_retries()).timeout(Duration::from_millis(300)).build().expect("client");
    client.access_token().await.expect("token first, so the timeout hits the send");
    let send = || SendCustomMessageRequest::new("o_user", SendCustomMessageMsgtype::Text).text(SendCustomMessageText::new("hi"));

    fake.script("/cgi-bin/message/custom/send", ScriptedResponse::json_error(-1, "system error", "text/plain"));
    let error = client.send_custom_message(send()).await.expect_err("-1");
    assert_eq!(error.code(), Some(-1));
    assert_eq!(fake.calls("/cgi-bin/message/custom/send"), 1, "-1 may mean it was sent");

    fake.script("/cgi-bin/message/custom/send", ScriptedResponse::new(200).delay(Duration::from_secs(2)).body("{}"));
    let error = client.send_custom_message(send()).await.expect_err("timeout");
    assert!(matches!(error.kind(), ErrorKind::Timeout(_)), "{error:?}");
    assert_eq!(fake.calls("/cgi-bin/message/custom/send"), 2, "a timed-out send is not sent again");

    fake.script("/cgi-bin/message/custom/send", ScriptedResponse::new(502).body("bad gateway"));
    client.send_custom_message(send()).await.expect_err("502");
    assert_eq!(fake.calls("/cgi-bin/message/custom/send"), 3);
}

#[tokio::test]
async fn throttles_and_final_codes_are_not_retried() {
    let fake = FakeWeChat::start().await;
    let client = fake.client_builder().retry_policy(fast_retries()).build().expect("client");
    fake.script("/cgi-bin/media/get", ScriptedResponse::json_error(45011, "api minute-quota reach limit", "text/plain"));
    let error = client.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("throttled");
    assert_eq!(error.api().map(|e| e.retry_kind()), Some(RetryKind::Throttle));
    fake.script("/cgi-bin/media/get", ScriptedResponse::json_error(45009, "reach max api daily quota limit", "text/plain"));
    client.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("daily quota");
    assert_eq!(fake.calls("/cgi-bin/media/get"), 2, "one call each");

    let no_retries = fake.client_builder().retry_policy(wxa::RetryPolicy::none()).build().expect("client");
    fake.script("/cgi-bin/media/get", ScriptedResponse::json_error(-1, "system error", "text/plain"));
    no_retries.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("-1");
    assert_eq!(fake.calls("/cgi-bin/media/get"), 3);
}

#[tokio::test]
async fn a_handle_with_its_own_timeout_applies_it_to_each_request() {
    let fake = FakeWeChat::start().await;
    fake.add_media("SLOW", &b"\x89PNG"[..], "image/png");
    let client = fake.client_builder().retry_policy(RetryPolicy::none()).build().expect("client");
    client.access_token().await.expect("token first, so only the media call is slow");
    fake.script("/cgi-bin/media/get", ScriptedResponse::new(200).delay(Duration::from_millis(500)).body("late"));
    let error =
        client.with_timeout(Duration::from_millis(100)).get_temp_media(GetTempMediaRequest::new("SLOW")).await.expect_err("timeout");
    assert!(matches!(error.kind(), ErrorKind::Timeout(_)), "{error:?}");
    fake.script(
        "/cgi-bin/media/get",
        ScriptedResponse::new(200).delay(Duration::from_millis(300)).header("content-type", "image/png").body("slow"),
    );
    let media = client.get_temp_media(GetTempMediaRequest::new("SLOW")).await.expect("the client's own 30 s timeout");
    assert_eq!(&media.bytes[..], b"slow");
}
