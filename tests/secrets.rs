//! The app secret and access tokens never appear in logs, `Debug`,
//! `Display` or errors — including through URLs and raw bodies.

use std::io::Write;
use std::sync::{Arc, Mutex};

use wxa::api::customer_service::GetTempMediaRequest;
use wxa::testing::{FAKE_APP_SECRET, FakeWeChat, ScriptedResponse};

/// Collects everything the tracing subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// Sends every tracing event of this thread, at every level, to the
/// returned buffer until the guard is dropped.
fn capture_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let subscriber =
        tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(captured.clone()).with_ansi(false).finish();
    (captured.clone(), tracing::subscriber::set_default(subscriber))
}

#[tokio::test]
async fn a_whole_session_leaks_no_secret_or_token() {
    let (captured, _guard) = capture_logs();

    let fake = FakeWeChat::start().await;
    fake.add_media("M", b"\xff\xd8\xffjpeg".to_vec(), "image/jpeg");
    let client = fake.client();
    let mut shown = vec![format!("{client:?}"), format!("{:?}", fake.client_builder())];

    // Success, a typed error, a token rotation with refresh and retry.
    client.get_temp_media(GetTempMediaRequest::new("M")).await.expect("media");
    let error = client.get_temp_media(GetTempMediaRequest::new("NOPE")).await.expect_err("40007");
    shown.push(format!("{error:?} {error}"));
    fake.rotate_token();
    client.get_temp_media(GetTempMediaRequest::new("M")).await.expect("after refresh");
    let token = client.access_token().await.expect("token");
    shown.push(format!("{token:?}"));

    // A token endpoint answer that does not fit: the decode error must not keep
    // the body, which holds a token.
    let fresh = FakeWeChat::start().await;
    fresh.script("/cgi-bin/stable_token", ScriptedResponse::new(200).body(r#"{"access_token":"LEAKY_TOKEN_VALUE","expires_in":"soon"}"#));
    let error = fresh.client().get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("undecodable token answer");
    shown.push(format!("{error:?} {error}"));
    assert!(matches!(error.kind(), wxa::ErrorKind::Token(_)), "{error:?}");

    // WeChat echoing the token back in errmsg is scrubbed.
    let echo = FakeWeChat::start().await;
    let echo_client = echo.client();
    let echo_token = echo_client.access_token().await.expect("token");
    echo.script(
        "/cgi-bin/media/get",
        ScriptedResponse::json_error(40007, &format!("bad media for token {}", echo_token.expose()), "text/plain"),
    );
    let error = echo_client.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("40007");
    shown.push(format!("{error:?} {error}"));
    assert!(error.to_string().contains("<redacted>"), "{error}");

    // A gateway's error page that quotes the request URL, token included.
    let gateway = FakeWeChat::start().await;
    let gateway_client = gateway.client();
    let gateway_token = gateway_client.access_token().await.expect("token");
    gateway.script(
        "/cgi-bin/media/get",
        ScriptedResponse::new(403)
            .header("content-type", "text/html")
            .body(format!("<html>denied: /cgi-bin/media/get?access_token={}</html>", gateway_token.expose())),
    );
    let error = gateway_client.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("403");
    shown.push(format!("{error:?} {error}"));
    match error.kind() {
        wxa::ErrorKind::HttpStatus { status: 403, body } => {
            let kept = body.bytes().expect("a non-secret call keeps its body");
            assert!(!String::from_utf8_lossy(kept).contains(gateway_token.expose()));
            assert!(body.preview().contains("access_token=<redacted>"), "{}", body.preview());
        }
        other => panic!("{other:?}"),
    }

    let logs = String::from_utf8(captured.0.lock().unwrap_or_else(|e| e.into_inner()).clone()).expect("utf-8 logs");
    assert!(logs.contains("wxa.call"), "spans are logged: {logs}");
    assert!(logs.contains("getTempMedia"), "the endpoint is logged: {logs}");
    assert!(logs.contains("elapsed_ms"), "latency is logged: {logs}");
    let mut secrets = vec![FAKE_APP_SECRET.to_owned(), "LEAKY_TOKEN_VALUE".to_owned()];
    secrets.extend(fake.issued_tokens());
    secrets.extend(echo.issued_tokens());
    secrets.extend(gateway.issued_tokens());
    assert!(secrets.len() >= 4, "tokens were issued: {secrets:?}");
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "logs leak {secret}:\n{logs}");
        for text in &shown {
            assert!(!text.contains(secret.as_str()), "leak of {secret} in: {text}");
        }
    }
    for (at, _) in logs.match_indices("access_token=") {
        assert!(logs[at..].starts_with("access_token=<redacted>"), "a URL with a token in the logs: {}", &logs[at..]);
    }
}

/// Every failure a call can meet, the retries in between, and every value a
/// user may print: none shows the app secret, a token or a session key.
#[tokio::test]
async fn every_error_retry_and_configuration_leaks_nothing() {
    use std::time::Duration;
    use wxa::api::customer_service::{UploadTempMediaMediaType, UploadTempMediaRequest};
    use wxa::api::login::Code2SessionRequest;
    use wxa::{Client, RateLimits, RetryPolicy, Upload};

    let (captured, _guard) = capture_logs();
    let mut shown: Vec<String> = Vec::new();
    let mut show = |label: &str, text: String| shown.push(format!("{label}: {text}"));

    let fake = FakeWeChat::start().await;
    fake.add_media("M", b"\xff\xd8\xffjpeg".to_vec(), "image/jpeg");
    let quick = RetryPolicy { base_delay: Duration::from_millis(1), ..RetryPolicy::default() };
    let builder = || {
        fake.client_builder()
            .retry_policy(quick.clone())
            .timeout(Duration::from_millis(400))
            .token_lease(Duration::from_secs(5), Duration::from_secs(5))
            .rate_limits(RateLimits::per_process().max_wait(Duration::from_millis(10)))
    };
    show("builder", format!("{:?}", builder()));
    let client = builder().build().expect("client");
    show("client", format!("{client:?}"));
    show("client with timeout", format!("{:?}", client.with_timeout(Duration::from_secs(1))));
    let token = client.access_token().await.expect("token");
    show("token", format!("{token:?}"));

    // Passing failures retried, then success: the retry logs name the error.
    fake.script("/cgi-bin/media/get", ScriptedResponse::json_error(-1, "system busy", "application/json"));
    fake.script("/cgi-bin/media/get", ScriptedResponse::new(502).header("content-type", "text/html").body("<html>bad gateway</html>"));
    let media = client.get_temp_media(GetTempMediaRequest::new("M")).await.expect("after retries");
    show("media", format!("{media:?}"));

    // A body cut off, a stalled one, a redirect that quotes the token.
    fake.script("/cgi-bin/media/get", ScriptedResponse::new(200).header("content-type", "image/jpeg").body(vec![0xff; 5000]).cut_after(10));
    let no_retry = fake.client_builder().retry_policy(RetryPolicy::none()).timeout(Duration::from_millis(300)).build().expect("client");
    let error = no_retry.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("cut");
    show("cut", format!("{error:?} {error}"));
    fake.script(
        "/cgi-bin/media/get",
        ScriptedResponse::new(200).header("content-type", "image/jpeg").body(vec![0xff; 100]).stall_after(5, Duration::from_secs(2)),
    );
    let error = no_retry.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("stalled");
    show("timeout", format!("{error:?} {error}"));
    fake.script(
        "/cgi-bin/media/get",
        ScriptedResponse::new(200).header("content-type", "image/jpeg").body(vec![0xff; 100]).stall_after(5, Duration::from_secs(2)),
    );
    let mut stream = no_retry.get_temp_media_stream(GetTempMediaRequest::new("M")).await.expect("starts");
    show("stream", format!("{stream:?}"));
    stream.chunk().await.expect("first bytes");
    let error = stream.chunk().await.expect_err("stalls");
    show("stream error", format!("{error:?} {error}"));
    fake.script(
        "/cgi-bin/media/get",
        ScriptedResponse::new(200).header("content-type", "image/jpeg").header("content-length", "100").body(vec![0xff; 10]).cut_after(10),
    );
    let mut stream = no_retry.get_temp_media_stream(GetTempMediaRequest::new("M")).await.expect("starts");
    stream.chunk().await.expect("first bytes");
    let error = stream.chunk().await.expect_err("cut");
    assert!(matches!(error, wxa::MediaStreamError::Transport(_)), "{error:?}");
    show("stream cut", format!("{error:?} {error}"));
    let no_retry_token = no_retry.access_token().await.expect("token");
    fake.script(
        "/cgi-bin/media/get",
        ScriptedResponse::new(302).header("location", &format!("/elsewhere?access_token={}", no_retry_token.expose())),
    );
    let error = no_retry.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("302");
    show("redirect", format!("{error:?} {error}"));
    // A proxy's page quoting both the request and the secret.
    fake.script(
        "/cgi-bin/media/get",
        ScriptedResponse::new(404).body(format!("no route for ?access_token={} (secret {FAKE_APP_SECRET})", no_retry_token.expose())),
    );
    let error = no_retry.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("404");
    show("proxy page", format!("{error:?} {error}"));

    // A call with the secret in its query (code2Session), failing and
    // succeeding, and its session key.
    let error = client.code2_session(Code2SessionRequest::new("invalid")).await.expect_err("40029");
    show("code2session error", format!("{error:?} {error}"));
    fake.script("/sns/jscode2session", ScriptedResponse::new(403).body(format!("upstream said: secret={FAKE_APP_SECRET}")));
    let error = client.code2_session(Code2SessionRequest::new("x")).await.expect_err("403");
    show("code2session 403", format!("{error:?} {error}"));
    let session = client.code2_session(Code2SessionRequest::new("ok")).await.expect("session");
    let session_key = session.session_key.expose().to_owned();
    show("session", format!("{session:?}"));

    // Uploads, prepared and failing.
    let upload = Upload::from_reader(std::io::Cursor::new(vec![1u8; 4]), 4, "a.jpg");
    show("upload", format!("{upload:?}"));
    let error = client
        .upload_temp_media(UploadTempMediaRequest::new(
            UploadTempMediaMediaType::Image,
            Upload::from_reader(std::io::Cursor::new(vec![1u8; 2]), 9, "b.jpg"),
        ))
        .await
        .expect_err("short reader");
    show("upload error", format!("{error:?} {error}"));

    // Token failures: a wrong secret (WeChat answers 40125), a dead host,
    // the classic token call; and a rate limit.
    let wrong =
        Client::builder().base_url(fake.base_url()).credentials(wxa::testing::FAKE_APP_ID, "wrong-secret-0000").build().expect("client");
    let error = wrong.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("40125");
    show("wrong secret", format!("{error:?} {error}"));
    let dead = Client::builder()
        .base_url("http://127.0.0.1:9")
        .credentials(wxa::testing::FAKE_APP_ID, FAKE_APP_SECRET)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");
    let error = dead.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("refused");
    show("dead host", format!("{error:?} {error}"));
    let classic = fake.client_builder().classic_token().build().expect("client");
    classic.get_temp_media(GetTempMediaRequest::new("M")).await.expect("classic token");
    show("classic", format!("{classic:?}"));
    let limited: wxa::Error<wxa::api::customer_service::GetTempMediaError> =
        wxa::Error::new(wxa::ErrorKind::RateLimited { retry_after: Duration::from_secs(3) }, wxa::CallInfo::new("getTempMedia"));
    show("rate limited", format!("{limited:?} {limited}"));

    #[cfg(feature = "redis")]
    {
        let store = wxa::store::RedisStore::new("redis://:redis-password-1234@127.0.0.1:9/0").expect("a valid URL");
        show("redis store", format!("{store:?}"));
        let with_store = fake.client_builder().token_store(std::sync::Arc::new(store));
        show("builder with store", format!("{with_store:?}"));
        assert!(!format!("{with_store:?}").contains("redis-password-1234"));
    }

    let logs = String::from_utf8(captured.0.lock().unwrap_or_else(|e| e.into_inner()).clone()).expect("utf-8 logs");
    assert!(logs.contains("retrying"), "the retries were logged: {logs}");
    assert!(logs.contains("code2Session"), "the endpoint is logged: {logs}");
    let mut secrets = vec![FAKE_APP_SECRET.to_owned(), session_key, "redis-password-1234".to_owned()];
    secrets.extend(fake.issued_tokens());
    assert!(secrets.len() >= 5, "tokens were issued: {secrets:?}");
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "logs leak {secret}:\n{logs}");
        for text in &shown {
            assert!(!text.contains(secret.as_str()), "leak of {secret} in: {text}");
        }
    }
    assert!(shown.len() >= 20, "{} values shown", shown.len());
}

/// The push receiver: its `Debug`, the refusals the axum route logs and a
/// whole exchange of encrypted pushes and replies show neither the Token
/// nor the EncodingAESKey.
#[cfg(feature = "receive-axum")]
#[tokio::test]
async fn receiving_pushes_leaks_neither_the_token_nor_the_key() {
    use wxa::receive::{PushFormat, Reply};
    use wxa::testing::{PUSH_ENCODING_AES_KEY, PUSH_TOKEN, PushMode, sample_event};

    let (logs, _guard) = capture_logs();
    let fake = FakeWeChat::start().await;
    let receiver = fake.push_receiver();
    let debug = format!("{receiver:?}");
    let route = wxa::receive::axum::push_route(receiver, |_pushed| async { Reply::handled() });
    let app = axum::Router::new().route("/push", route);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let url = format!("http://{}/push", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let message = sample_event("CustomerServiceText").expect("sample");
    let answer = fake.push(&url, &message, PushFormat::Json, PushMode::Safe).await.expect("pushed");
    assert!(answer.body.contains("Encrypt"), "an encrypted reply: {}", answer.body);
    // Another app pushes to the same URL: refused and logged.
    let other = FakeWeChat::start_with("wx00000000fake0002", "secret", false).await;
    assert_eq!(other.push(&url, &message, PushFormat::Xml, PushMode::Safe).await.expect("answered").status, 403);

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).expect("UTF-8 logs");
    assert!(logs.contains("refused a request to the push URL"), "the refusal is logged: {logs}");
    for (what, text) in [("Debug", debug.as_str()), ("logs", logs.as_str()), ("the reply", answer.body.as_str())] {
        assert!(!text.contains(PUSH_TOKEN), "{what} shows the Token: {text}");
        assert!(!text.contains(PUSH_ENCODING_AES_KEY), "{what} shows the EncodingAESKey: {text}");
    }
}
