//! Runs the code generated from the generator's fixture specs against the
//! fake WeChat server, so each feature of the spec format is shown to put
//! the documented bytes on the wire and read the documented answer back.

use serde_json::json;

use crate::fixture_api::demo::*;
use crate::fixture_api::files::*;
use crate::testing::{FAKE_APP_ID, FAKE_APP_SECRET, FakeWeChat, ScriptedResponse};
use crate::{ErrorKind, RetryKind, Upload};

#[tokio::test]
async fn every_json_feature_reaches_the_wire_as_specified() {
    let fake = FakeWeChat::start().await;
    fake.script(
        "/wxa/demo/every",
        ScriptedResponse::new(200).body(r#"{"errcode":0,"errmsg":"ok","token":"T0K","state":"done","pages":[{"path":"a"}],"extra":1}"#),
    );
    let request = EveryJsonFeatureRequest::new("t")
        .lang(EveryJsonFeatureLang::En)
        .count32(-3)
        .count64(1 << 40)
        .size32(7)
        .size64(u64::MAX)
        .ratio(0.25)
        .enabled(false)
        .kind("k")
        .password("pw-on-the-wire")
        .visibility(EveryJsonFeatureVisibility::Public)
        .style(DemoStyle::new(DemoStyleColor::new(255)).tags(vec!["x".to_owned()]))
        .items(vec![EveryJsonFeatureItemsItem::new(9)])
        .data([("thing1".to_owned(), EveryJsonFeatureDataValue::new("tea"))].into_iter().collect())
        .extra(json!({"free": [1, "two"]}));
    let response = fake.client().every_json_feature(request).await.expect("success");
    assert_eq!(response.token.expose(), "T0K");
    assert_eq!(response.state, Some(EveryJsonFeatureResponseState::Done));
    assert_eq!(response.pages.as_deref(), Some(&[EveryJsonFeatureResponsePagesItem::new("a")][..]));

    let sent = &fake.requests("/wxa/demo/every")[0];
    assert_eq!(sent.query_value("lang"), Some("en"));
    assert_eq!(
        sent.json,
        Some(json!({
            "title": "t", "count32": -3, "count64": 1u64 << 40, "size32": 7, "size64": u64::MAX,
            "ratio": 0.25, "enabled": false, "type": "k", "visibility": 1, "password": "pw-on-the-wire",
            "style": {"color": {"r": 255}, "tags": ["x"]}, "items": [{"id": 9}],
            "data": {"thing1": {"value": "tea"}}, "extra": {"free": [1, "two"]},
            "grant_type": "demo", "appid": FAKE_APP_ID,
        }))
    );
}

#[tokio::test]
async fn unset_optional_fields_are_not_sent_and_unknown_enum_values_survive() {
    let fake = FakeWeChat::start().await;
    fake.script(
        "/wxa/demo/every",
        ScriptedResponse::new(200).body(r#"{"token":"SECRET_T","refresh_token":"SECRET_R","state":"archived"}"#),
    );
    let response = fake.client().every_json_feature(EveryJsonFeatureRequest::new("only")).await.expect("success");
    assert_eq!(response.state, Some(EveryJsonFeatureResponseState::Other("archived".to_owned())));
    assert_eq!(response.pages, None);
    let sent = &fake.requests("/wxa/demo/every")[0];
    assert_eq!(sent.json, Some(json!({"title": "only", "grant_type": "demo", "appid": FAKE_APP_ID})));
    assert_eq!(sent.query_value("lang"), None);
    assert!(!format!("{response:?}").contains("SECRET_T"), "secret fields are redacted in Debug");
    #[cfg(feature = "serialize-answers")]
    {
        let reserialized = serde_json::to_string(&response).expect("responses serialize");
        assert!(!reserialized.contains("SECRET_T") && !reserialized.contains("SECRET_R"), "and when serialized: {reserialized}");
        assert!(reserialized.contains("<redacted>"), "{reserialized}");
        let again: EveryJsonFeatureResponse = serde_json::from_str(&reserialized).expect("what was written reads back");
        assert_eq!(again.state, response.state);
    }
}

#[tokio::test]
async fn an_endpoint_code_overrides_the_shared_meaning() {
    let fake = FakeWeChat::start().await;
    fake.script("/wxa/demo/every", ScriptedResponse::json_error(45009, "too frequent", "text/plain"));
    let error = fake.client().every_json_feature(EveryJsonFeatureRequest::new("t")).await.expect_err("45009");
    match error.into_kind() {
        ErrorKind::Api(e @ EveryJsonFeatureError::TooFrequent(_)) => {
            assert_eq!(e.retry_kind(), RetryKind::Throttle);
            assert_eq!(e.name(), "TooFrequent");
            assert!(e.is_too_frequent());
        }
        other => panic!("{other:?}"),
    }
    fake.script("/cgi-bin/demo/get", ScriptedResponse::json_error(45009, "daily quota", "text/plain"));
    let error = fake.client().download(DownloadRequest::new("m")).await.expect_err("45009");
    match error.into_kind() {
        ErrorKind::Api(DownloadError::Common(common)) => {
            assert!(common.is_daily_quota_reached());
            assert_eq!(common.retry_kind(), RetryKind::None);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn multipart_text_parts_and_the_file_arrive() {
    let fake = FakeWeChat::start().await;
    fake.script("/cgi-bin/demo/upload", ScriptedResponse::new(200).body(r#"{"media_id":"M1"}"#));
    let request = UploadRequest::new(Upload::new(b"abc".to_vec(), "a.png")).description("desc");
    let response = fake.client().upload(request).await.expect("upload");
    assert_eq!(response.media_id, "M1");
    let parts = &fake.requests("/cgi-bin/demo/upload")[0].parts;
    let summary: Vec<(&str, Option<&str>, &[u8])> =
        parts.iter().map(|p| (p.name.as_str(), p.file_name.as_deref(), p.bytes.as_ref())).collect();
    assert_eq!(summary, vec![("kind", None, &b"image"[..]), ("description", None, &b"desc"[..]), ("media", Some("a.png"), &b"abc"[..])]);
    assert_eq!(parts[2].content_type.as_deref(), Some("image/png"));
}

#[tokio::test]
async fn query_parameters_ack_and_credentials_from_the_client() {
    let fake = FakeWeChat::start().await;
    fake.script("/cgi-bin/demo/get", ScriptedResponse::new(200).header("content-type", "application/octet-stream").body("bytes"));
    fake.client().download(DownloadRequest::new("m").width(64)).await.expect("download");
    let sent = &fake.requests("/cgi-bin/demo/get")[0];
    assert_eq!((sent.query_value("media_id"), sent.query_value("width")), (Some("m"), Some("64")));

    fake.script("/sns/demo/notify", ScriptedResponse::new(200).body(r#"{"errcode":0,"errmsg":"ok"}"#));
    fake.client().notify(NotifyRequest::new().urgent(true)).await.expect("ack");
    let sent = &fake.requests("/sns/demo/notify")[0];
    assert_eq!(sent.query_value("secret"), Some(FAKE_APP_SECRET));
    assert_eq!(sent.query_value("urgent"), Some("true"));
    assert_eq!(sent.query_value("version"), Some("-1"));
    assert_eq!(sent.query_value("access_token"), None);
}

#[tokio::test]
async fn a_client_without_credentials_cannot_fill_them() {
    let fake = FakeWeChat::start().await;
    let client = crate::Client::builder().base_url(fake.base_url()).without_access_token().build().expect("client");
    let error = client.notify(NotifyRequest::new()).await.expect_err("no secret");
    assert!(matches!(error.kind(), ErrorKind::Prepare(crate::PrepareError::MissingAppSecret)), "{error:?}");
    assert_eq!(fake.calls("/sns/demo/notify"), 0, "nothing was sent");
}

#[tokio::test]
async fn documented_limits_are_checked_before_sending() {
    let fake = FakeWeChat::start().await;
    let client = fake.client();
    let cases: Vec<(EveryJsonFeatureRequest, &str)> = vec![
        (EveryJsonFeatureRequest::new(""), "`title` must be between 1 and 8 characters long, not 0"),
        (EveryJsonFeatureRequest::new("much-too-long"), "`title` must be between 1 and 8 characters long, not 13"),
        (EveryJsonFeatureRequest::new("Upper"), "`title` may only hold the characters `0-9a-z_-`, not `U`"),
        (EveryJsonFeatureRequest::new("ok").count32(11), "`count32` must be between -10 and 10, not 11"),
        (EveryJsonFeatureRequest::new("ok").kind("日本語"), "`type` must be at most 6 bytes long, not 9"),
        (
            EveryJsonFeatureRequest::new("ok").style(DemoStyle::new(DemoStyleColor::new(256))),
            "`style.color.r` must be at most 255, not 256",
        ),
        (
            EveryJsonFeatureRequest::new("ok").style(DemoStyle::new(DemoStyleColor::new(1)).tags(vec!["a".into(), "b".into(), "c".into()])),
            "`style.tags` must have at most 2 items, not 3",
        ),
        (
            EveryJsonFeatureRequest::new("ok").style(DemoStyle::new(DemoStyleColor::new(1)).tags(vec!["a".into(), "long".into()])),
            "`style.tags[1]` must be at most 3 characters long, not 4",
        ),
        (EveryJsonFeatureRequest::new("ok").items(vec![]), "`items` must have at least 1 items, not 0"),
    ];
    for (request, expected) in cases {
        match client.every_json_feature(request).await.map_err(crate::Error::into_kind) {
            Err(ErrorKind::Prepare(error @ crate::PrepareError::Invalid { .. })) => assert_eq!(error.to_string(), expected),
            other => panic!("expected `{expected}`, got {other:?}"),
        }
    }
    assert_eq!(fake.calls("/wxa/demo/every"), 0, "nothing invalid was sent");
}

#[tokio::test]
async fn numbers_sent_as_strings_and_strings_as_numbers_still_decode() {
    let fake = FakeWeChat::start().await;
    fake.script("/cgi-bin/demo/upload", ScriptedResponse::new(200).body(r#"{"media_id": 123456789}"#));
    let response = fake.client().upload(UploadRequest::new(Upload::new(b"x".to_vec(), "a.png"))).await.expect("lenient");
    assert_eq!(response.media_id, "123456789");
}

#[tokio::test]
async fn an_any_json_body_is_sent_as_given_and_free_json_comes_back() {
    let fake = FakeWeChat::start().await;
    fake.script("/tcb/demo/invoke", ScriptedResponse::new(200).body(r#"{"errcode":0,"resp_data":{"sum":3}}"#));
    let response = fake.client().invoke(InvokeRequest::new("env-1", json!({"a": 1, "b": 2}))).await.expect("invoke");
    assert_eq!(response.resp_data, Some(json!({"sum": 3})));
    let sent = &fake.requests("/tcb/demo/invoke")[0];
    assert_eq!(sent.query_value("env"), Some("env-1"));
    assert_eq!(sent.json, Some(json!({"a": 1, "b": 2})));
}

#[tokio::test]
async fn an_enforced_rate_limit_holds_calls_back_without_sending_them() {
    let fake = FakeWeChat::start().await;
    let client = fake.client_builder().rate_limits(crate::RateLimits::per_process()).build().expect("client");
    let (_, left) = crate::store::window(crate::store::now_ms(), std::time::Duration::from_secs(3600));
    if left < std::time::Duration::from_secs(2) {
        tokio::time::sleep(left).await;
    }
    for _ in 0..2 {
        fake.script("/sns/demo/notify", ScriptedResponse::new(200).body(r#"{"errcode":0,"errmsg":"ok"}"#));
        client.notify(NotifyRequest::new()).await.expect("within the limit of two an hour");
    }
    let error = client.notify(NotifyRequest::new()).await.expect_err("over the limit");
    assert!(
        matches!(error.kind(), ErrorKind::RateLimited { retry_after } if *retry_after <= std::time::Duration::from_secs(3600)),
        "{error:?}"
    );
    assert_eq!(fake.calls("/sns/demo/notify"), 2, "the third call was not sent");
    // Without enforcement, the same client settings send it.
    fake.script("/sns/demo/notify", ScriptedResponse::new(200).body(r#"{"errcode":0,"errmsg":"ok"}"#));
    fake.client().notify(NotifyRequest::new()).await.expect("not enforced by default");
}

#[test]
fn a_named_type_of_the_whole_api_is_one_type_in_requests_and_answers() {
    use crate::fixture_api::types::{Label, LabelColor};
    // The request setter of one category and the answer field of another
    // take the very same Rust type.
    let setter: fn(EveryJsonFeatureRequest, Label) -> EveryJsonFeatureRequest = EveryJsonFeatureRequest::label;
    let _ = setter;
    let label = Label::new("tag").color(LabelColor::Red);
    let answer: UploadResponse =
        serde_json::from_value(serde_json::json!({"media_id": "m", "label": {"text": "tag", "color": "red"}})).expect("decodes");
    assert_eq!(answer.label, Some(label.clone()));
    assert_eq!(serde_json::to_value(&label).expect("serializes"), serde_json::json!({"text": "tag", "color": "red"}));
    // A named type's limits are checked like a request's own.
    assert!(Label::new("a label far longer than sixteen").check_at("label").is_err());
}
