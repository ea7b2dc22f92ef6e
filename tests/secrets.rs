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

#[tokio::test]
async fn a_whole_session_leaks_no_secret_or_token() {
    let captured = Captured::default();
    let subscriber =
        tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(captured.clone()).with_ansi(false).finish();
    let _guard = tracing::subscriber::set_default(subscriber);

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
    assert!(matches!(error, wxa::Error::Token(_)), "{error:?}");

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
    match &error {
        wxa::Error::HttpStatus { status: 403, body } => {
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
