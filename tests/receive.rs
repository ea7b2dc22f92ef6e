//! Pushes end to end: the fake server signs (and encrypts) every event the
//! specs describe, in JSON and XML and each encryption mode, and posts it
//! to the receiver's axum route on loopback; the handler must see the
//! event's own variant, the same value from JSON and from XML, and its
//! reply must reach the fake as WeChat would read it.

use std::sync::{Arc, Mutex};

use serde_json::json;
use wxa::receive::{Event, PushFormat, Pushed, Reply};
use wxa::testing::{FakeWeChat, PushMode, sample_event};

type Seen = Arc<Mutex<Vec<Result<Pushed, String>>>>;

/// Serves the push route on loopback; the handler records what it got and
/// answers `reply` (or `ErrCode` for events that want it).
async fn serve(fake: &FakeWeChat, reply: Reply) -> (String, Seen) {
    serve_with(fake.push_receiver(), reply).await
}

/// [`serve`] with a receiver of the test's making.
async fn serve_with(receiver: wxa::receive::PushReceiver, reply: Reply) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let route = wxa::receive::axum::push_route(receiver, move |pushed: Result<Pushed, wxa::receive::EventError>| {
        let (record, reply) = (record.clone(), reply.clone());
        async move {
            record.lock().unwrap().push(pushed.map_err(|e| e.to_string()));
            reply
        }
    });
    let app = axum::Router::new().route("/push", route);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let url = format!("http://{}/push", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

fn last(seen: &Seen) -> Result<Pushed, String> {
    seen.lock().unwrap().last().cloned().expect("the handler was called")
}

#[tokio::test]
async fn every_event_spec_arrives_as_its_own_variant_in_every_format_and_mode() {
    let fake = FakeWeChat::start().await;
    let (url, seen) = serve(&fake, Reply::Success).await;
    assert!(!wxa::receive::EVENTS.is_empty(), "the specs describe events");
    for meta in wxa::receive::EVENTS {
        let message = sample_event(meta.name).expect("a sample from the spec");
        let mut decoded = Vec::new();
        for format in [PushFormat::Json, PushFormat::Xml] {
            for mode in [PushMode::Plain, PushMode::Compatible, PushMode::Safe] {
                let answer = fake.push(&url, &message, format, mode).await.expect("pushed");
                assert_eq!((answer.status, answer.reply.as_str()), (200, "success"), "{} {format:?} {mode:?}", meta.name);
                let pushed = last(&seen).unwrap_or_else(|e| panic!("{} {format:?} {mode:?}: {e}", meta.name));
                assert_eq!(pushed.event.name(), meta.name, "{format:?} {mode:?}");
                assert_eq!(pushed.header.msg_type, meta.msg_type);
                assert_eq!(pushed.header.from_user_name, "o_fake_user_openid");
                decoded.push(pushed.event);
            }
        }
        // Every mode reads the same; JSON and XML too, unless a member is
        // free JSON (XML carries no types: `true` arrives as "true").
        let (json, xml) = decoded.split_at(3);
        assert!(json.windows(2).all(|pair| pair[0] == pair[1]) && xml.windows(2).all(|pair| pair[0] == pair[1]), "{}", meta.name);
        if !meta.shape.contains("\"json\"") {
            assert_eq!(json[0], xml[0], "{}: JSON and XML read differently", meta.name);
        }
    }
}

#[tokio::test]
async fn an_image_message_carries_the_media_id_and_the_sender() {
    let fake = FakeWeChat::start().await;
    let (url, seen) = serve(&fake, Reply::Success).await;
    let message = json!({
        "ToUserName": "gh_0000fake0001", "FromUserName": "o_user", "CreateTime": 1482048670,
        "MsgType": "image", "PicUrl": "https://example.invalid/p.jpg", "MediaId": "MEDIA_1", "MsgId": 1234567890123456u64
    });
    fake.push(&url, &message, PushFormat::Xml, PushMode::Safe).await.expect("pushed");
    let pushed = last(&seen).expect("read");
    assert_eq!((pushed.header.from_user_name.as_str(), pushed.header.create_time), ("o_user", Some(1482048670)));
    let Event::CustomerServiceImage(image) = pushed.event else { panic!("an image: {:?}", pushed.event) };
    assert_eq!((image.media_id.as_str(), image.msg_id.as_deref()), ("MEDIA_1", Some("1234567890123456")));
}

#[tokio::test]
async fn an_empty_xml_element_reads_as_absent_where_the_member_is_optional() {
    let fake = FakeWeChat::start().await;
    let (url, seen) = serve(&fake, Reply::Success).await;
    // `<version></version>` and `<result></result>`: no number, no object.
    let message = json!({
        "ToUserName": "gh_x", "FromUserName": "o_x", "CreateTime": 1, "MsgType": "event", "Event": "wxa_media_check",
        "appid": "wx_fake", "trace_id": "trace-1", "version": "", "result": "", "errcode": 0
    });
    fake.push(&url, &message, PushFormat::Xml, PushMode::Safe).await.expect("pushed");
    let Event::MediaCheckResult(result) = last(&seen).expect("read").event else { panic!("a media check result") };
    assert_eq!((result.trace_id.as_str(), result.version, result.result.is_none(), result.errcode), ("trace-1", None, true, Some(0)));
    // A blank needed string is still text; a number that is not one is an error.
    let blank_id = json!({"ToUserName": "gh_x", "FromUserName": "o_x", "CreateTime": 1, "MsgType": "event", "Event": "wxa_media_check", "trace_id": ""});
    fake.push(&url, &blank_id, PushFormat::Xml, PushMode::Safe).await.expect("pushed");
    assert_eq!(last(&seen).ok().map(|p| p.event.name()), Some("MediaCheckResult"), "blank text is text");
    let blank_number = json!({"ToUserName": "gh_x", "FromUserName": "o_x", "CreateTime": 1, "MsgType": "event", "Event": "wxa_media_check", "trace_id": "t", "version": "x"});
    fake.push(&url, &blank_number, PushFormat::Xml, PushMode::Safe).await.expect("pushed");
    assert!(last(&seen).expect_err("not a number").contains("version"));
}

#[tokio::test]
async fn a_push_no_spec_describes_is_kept_whole() {
    let fake = FakeWeChat::start().await;
    let (url, seen) = serve(&fake, Reply::Success).await;
    let message = json!({"ToUserName": "gh_x", "FromUserName": "o_x", "CreateTime": 1, "MsgType": "event", "Event": "debug_demo", "debug_str": "hello world"});
    fake.push(&url, &message, PushFormat::Json, PushMode::Safe).await.expect("pushed");
    let Event::Unknown(unknown) = last(&seen).expect("read").event else { panic!("unknown") };
    assert_eq!((unknown.msg_type.as_str(), unknown.event.as_deref()), ("event", Some("debug_demo")));
    assert_eq!(serde_json::from_str::<serde_json::Value>(&unknown.text).expect("JSON"), message);
}

#[tokio::test]
async fn a_known_event_that_does_not_fit_its_spec_is_a_typed_error() {
    let fake = FakeWeChat::start().await;
    let (url, seen) = serve(&fake, Reply::Success).await;
    // An image message without its required MediaId.
    let message = json!({"ToUserName": "gh_x", "FromUserName": "o_x", "CreateTime": 1, "MsgType": "image", "PicUrl": "u"});
    let answer = fake.push(&url, &message, PushFormat::Json, PushMode::Plain).await.expect("pushed");
    assert_eq!(answer.reply, "success", "answered anyway: a retry would not fix it");
    let error = last(&seen).expect_err("does not fit");
    assert!(error.contains("CustomerServiceImage") && error.contains("MediaId"), "{error}");
}

#[tokio::test]
async fn replies_other_than_success_are_encrypted_when_the_push_was() {
    let fake = FakeWeChat::start().await;
    let (url, _seen) = serve(&fake, Reply::handled()).await;
    let message = sample_event("CustomerServiceText").expect("sample");
    for (format, expected) in [(PushFormat::Json, json!({"ErrCode": 0, "ErrMsg": "success"})), (PushFormat::Xml, json!(null))] {
        let answer = fake.push(&url, &message, format, PushMode::Safe).await.expect("pushed");
        assert!(answer.body.contains("Encrypt") && answer.body.contains("MsgSignature"), "{}", answer.body);
        match format {
            PushFormat::Json => assert_eq!(serde_json::from_str::<serde_json::Value>(&answer.reply).expect("JSON"), expected),
            PushFormat::Xml => assert_eq!(answer.reply, "<xml><ErrCode>0</ErrCode><ErrMsg><![CDATA[success]]></ErrMsg></xml>"),
        }
        let plain = fake.push(&url, &message, format, PushMode::Plain).await.expect("pushed");
        assert_eq!(plain.body, plain.reply, "a plaintext push gets a plaintext reply");
        assert!(plain.body.contains("ErrCode"));
    }
}

#[tokio::test]
async fn forged_stale_and_unsigned_requests_are_refused_before_the_handler() {
    let fake = FakeWeChat::start().await;
    let (url, seen) = serve(&fake, Reply::Success).await;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let cases = [
        (format!("{url}?signature=0000&timestamp={now}&nonce=1"), 403),
        (format!("{url}?signature=0000&timestamp=1&nonce=1"), 403),
        (url.clone(), 400),
    ];
    for (target, status) in cases {
        assert_eq!(post_status(&target, "{}").await, status, "{target}");
    }
    assert!(seen.lock().unwrap().is_empty(), "the handler never ran");
    // Another app's fake pushes with the same token but another key: refused.
    let other = FakeWeChat::start_with("wx00000000fake0002", "secret", false).await;
    let message = sample_event("CustomerServiceText").expect("sample");
    let answer = other.push(&url, &message, PushFormat::Json, PushMode::Safe).await.expect("answered");
    assert_eq!(answer.status, 403, "encrypted for another app id");
    assert!(seen.lock().unwrap().is_empty());
}

/// An attacker who saw a push sends it again to another instance of the
/// fleet: the instances share the nonces through a real redis-server, so it
/// is refused; an instance without the shared store cannot tell.
#[cfg(feature = "redis")]
#[tokio::test]
async fn a_push_replayed_to_another_instance_of_the_fleet_is_refused() {
    use wxa::store::RedisStore;
    let redis = wxa::testing::RedisServer::start().unwrap_or_else(|e| panic!("{e}"));
    let fake = FakeWeChat::start().await;
    let instance = || fake.push_receiver().nonce_store(Arc::new(RedisStore::new(&redis.url()).expect("store")));
    let (first, seen_first) = serve_with(instance(), Reply::Success).await;
    let (second, seen_second) = serve_with(instance(), Reply::Success).await;
    let (unshared, seen_unshared) = serve(&fake, Reply::Success).await;
    let message = sample_event("CustomerServiceText").expect("sample");
    let answer = fake.push(&first, &message, PushFormat::Json, PushMode::Safe).await.expect("pushed");
    assert_eq!((answer.status, seen_first.lock().unwrap().len()), (200, 1));
    let (query, body) = &answer.sent;
    assert_eq!(post_status(&format!("{second}?{query}"), body).await, 403, "replayed to the second instance");
    assert!(seen_second.lock().unwrap().is_empty(), "the handler never ran");
    assert_eq!(post_status(&format!("{unshared}?{query}"), body).await, 200, "per process, the replay goes through");
    assert_eq!(seen_unshared.lock().unwrap().len(), 1);
    // A fresh push still reaches the second instance.
    let answer = fake.push(&second, &message, PushFormat::Xml, PushMode::Safe).await.expect("pushed");
    assert_eq!((answer.status, seen_second.lock().unwrap().len()), (200, 1));
}

/// POSTs `body` to `url` over a plain HTTP/1.1 connection; the status.
async fn post_status(url: &str, body: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("http");
    let (host, path) = rest.split_once('/').expect("a path");
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connected");
    let request = format!("POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
    stream.write_all(request.as_bytes()).await.expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    answer.split(' ').nth(1).and_then(|code| code.parse().ok()).expect("a status line")
}

/// A third-party platform's authorization event URL, end to end: the fake
/// pushes the ticket and the authorization (XML, safe mode, for the
/// component app id), the platform acts on them, and its authorizer's
/// client calls on the authorizer's behalf; a revocation forgets it.
#[cfg(feature = "third_party")]
#[tokio::test]
async fn a_platform_acts_on_the_notifications_pushed_to_it() {
    let fake = FakeWeChat::start().await;
    fake.add_media("M1", &b"img"[..], "image/png");
    let platform = fake.platform_builder().build().expect("platform");
    let handler_platform = platform.clone();
    let route = wxa::receive::axum::push_route(fake.platform_push_receiver(), move |pushed: Result<Pushed, wxa::receive::EventError>| {
        let platform = handler_platform.clone();
        async move {
            let pushed = pushed.expect("a known notification");
            assert!(platform.handle_push(&pushed).await.expect("handled"), "{:?}", pushed.event);
            Reply::Success
        }
    });
    let app = axum::Router::new().route("/platform/events", route);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let url = format!("http://{}/platform/events", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let (_ticket, answer) = fake.push_verify_ticket(&url).await.expect("ticket pushed");
    assert_eq!((answer.status, answer.reply.as_str()), (200, "success"));
    let answer = fake.push_authorized(&url, "wxauthorizer09001").await.expect("authorization pushed");
    assert_eq!(answer.status, 200);
    let client = platform.authorizer("wxauthorizer09001");
    client.get_temp_media(wxa::api::customer_service::GetTempMediaRequest::new("M1")).await.expect("called as the authorizer");
    let token = fake.requests("/cgi-bin/media/get").last().and_then(|r| r.query_value("access_token").map(str::to_owned));
    assert!(token.is_some_and(|t| t.starts_with("FAKE_AUTHORIZER_TOKEN_wxauthorizer09001_")));
    assert_eq!(fake.component_token_fetches(), 1, "fetched with the pushed ticket");

    fake.push_unauthorized(&url, "wxauthorizer09001").await.expect("revocation pushed");
    let error = platform.authorizer("wxauthorizer09001").access_token().await.expect_err("forgotten");
    assert!(error.to_string().contains("no refresh token"), "{error}");
}
