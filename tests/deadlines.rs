//! A call's budget and what its errors tell, against servers on loopback
//! that misbehave in one way each: one that never answers, one that
//! resets the connection while the request is being sent, one that cuts
//! its answer, one that is not there. Each error must say which endpoint,
//! how many attempts, how long, where the exchange broke off, and whether
//! the request may have reached WeChat.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use wxa::api::customer_service::{
    GetTempMediaRequest, SendCustomMessageMsgtype, SendCustomMessageRequest, SendCustomMessageText, UploadTempMediaMediaType,
    UploadTempMediaRequest,
};
use wxa::testing::{FakeWeChat, ScriptedResponse};
use wxa::{Client, ErrorKind, Limit, RetryPolicy, TransportPhase, Upload};

const MEDIA: &str = "/cgi-bin/media/get";
const SEND: &str = "/cgi-bin/message/custom/send";

/// A server that accepts connections and reads whatever comes, answering
/// nothing. Returns its base URL and a count of connections accepted.
async fn silent_server() -> (String, Arc<Mutex<u32>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let accepted = Arc::new(Mutex::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            *count.lock().expect("count") += 1;
            tokio::spawn(async move {
                let mut sink = vec![0u8; 64 * 1024];
                while matches!(socket.read(&mut sink).await, Ok(n) if n > 0) {}
            });
        }
    });
    (format!("http://{address}"), accepted)
}

/// A server that reads the request's head and a little of its body, then
/// resets the connection (RST, not FIN) while the client is still sending.
async fn resetting_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(reset_after_head(socket));
        }
    });
    format!("http://{address}")
}

async fn reset_after_head(mut socket: TcpStream) {
    let mut seen = Vec::new();
    let mut buffer = vec![0u8; 16 * 1024];
    // The head, then at least 64 KiB of the body.
    while !(seen.windows(4).any(|w| w == b"\r\n\r\n") && seen.len() > 64 * 1024) {
        match socket.read(&mut buffer).await {
            Ok(n) if n > 0 => seen.extend_from_slice(&buffer[..n]),
            _ => return,
        }
    }
    let socket = socket.into_std().expect("std socket");
    // A zero linger makes close send RST.
    socket2::SockRef::from(&socket).set_linger(Some(Duration::ZERO)).expect("linger");
    drop(socket);
}

/// A client of `base_url` without access tokens (so only the call itself
/// goes to the misbehaving server).
fn client_of(base_url: &str) -> wxa::ClientBuilder {
    Client::builder().base_url(base_url).without_access_token()
}

fn send() -> SendCustomMessageRequest {
    SendCustomMessageRequest::new("o_user", SendCustomMessageMsgtype::Text).text(SendCustomMessageText::new("hi"))
}

#[tokio::test]
async fn a_deadline_bounds_the_whole_call_against_a_server_that_never_answers() {
    let (base_url, accepted) = silent_server().await;
    // The default retry policy would try three times; the deadline is for all of them.
    let client = client_of(&base_url).timeout(Duration::from_secs(2)).build().expect("client");
    let started = Instant::now();
    let error = client.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("no answer");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(1900) && took < Duration::from_millis(2600), "took {took:?}");
    assert!(matches!(error.kind(), ErrorKind::Timeout(Limit::Deadline(d)) if *d == Duration::from_secs(2)), "{error:?}");
    assert!(error.deadline_reached(), "{error:?}");
    assert_eq!(error.attempts(), 1, "the one attempt used the whole deadline");
    assert_eq!(error.endpoint(), "getTempMedia");
    assert!(error.may_have_reached_wechat(), "the request was written to a server that took it");
    assert!(error.elapsed() >= Duration::from_millis(1900) && error.elapsed() <= took, "{:?}", error.elapsed());
    assert_eq!(*accepted.lock().expect("count"), 1);
    let line = error.to_string();
    assert!(!line.contains('\n'), "{line}");
    assert!(line.starts_with("getTempMedia: no answer within the call's deadline (2 s) (1 attempt in 2"), "{line}");
    assert!(line.contains("stopped by the call's deadline of 2 s") && line.contains("may have reached WeChat"), "{line}");
}

#[tokio::test]
async fn attempts_time_out_on_their_own_and_retries_stop_when_the_next_could_not_finish() {
    let (base_url, accepted) = silent_server().await;
    let policy = RetryPolicy {
        max_attempts: 20,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    };
    let client = client_of(&base_url)
        .timeout(Duration::from_millis(1500))
        .attempt_timeout(Duration::from_millis(400))
        .retry_policy(policy)
        .build()
        .expect("client");
    let started = Instant::now();
    let error = client.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("no answer");
    let took = started.elapsed();
    // Three attempts of 400 ms fit in 1.5 s; a fourth could not finish.
    assert_eq!(error.attempts(), 3, "{error:?}");
    assert!(took >= Duration::from_millis(1200) && took < Duration::from_millis(1700), "took {took:?}");
    assert!(matches!(error.kind(), ErrorKind::Timeout(Limit::Attempt(d)) if *d == Duration::from_millis(400)), "{error:?}");
    assert!(error.deadline_reached(), "{error:?}");
    assert_eq!(*accepted.lock().expect("count"), 3);
    let line = error.to_string();
    assert!(line.starts_with("getTempMedia: no answer within the attempt timeout (400 ms) (3 attempts in 1."), "{line}");

    // Per handle: a shorter deadline for one call.
    let started = Instant::now();
    let error = client.with_timeout(Duration::from_millis(300)).get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("no answer");
    assert!(started.elapsed() < Duration::from_millis(600), "{:?}", started.elapsed());
    assert!(matches!(error.kind(), ErrorKind::Timeout(Limit::Deadline(_))), "{error:?}");
    // And a longer attempt timeout that the deadline then cuts.
    let error = client
        .with_timeout(Duration::from_millis(700))
        .with_attempt_timeout(Duration::from_secs(5))
        .get_temp_media(GetTempMediaRequest::new("M"))
        .await
        .expect_err("no answer");
    assert_eq!(error.attempts(), 1, "{error:?}");
    assert!(matches!(error.kind(), ErrorKind::Timeout(Limit::Deadline(d)) if *d == Duration::from_millis(700)), "{error:?}");
}

#[tokio::test]
async fn without_a_deadline_the_attempt_timeout_and_the_policy_bound_the_call() {
    let (base_url, accepted) = silent_server().await;
    let policy = RetryPolicy { base_delay: Duration::from_millis(10), ..RetryPolicy::default() };
    let client = client_of(&base_url).attempt_timeout(Duration::from_millis(200)).retry_policy(policy).build().expect("client");
    let error = client.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("no answer");
    assert_eq!(error.attempts(), 3, "the policy's three attempts: {error:?}");
    assert!(!error.deadline_reached());
    assert_eq!(*accepted.lock().expect("count"), 3);
    // A send is not safe to repeat: one attempt, and it may have arrived.
    let error = client.send_custom_message(send()).await.expect_err("no answer");
    assert_eq!(error.attempts(), 1, "{error:?}");
    assert!(error.may_have_reached_wechat());
    assert!(error.to_string().starts_with("sendCustomMessage: no answer within the attempt timeout (200 ms) (1 attempt in 2"), "{error}");
}

#[tokio::test]
async fn a_reset_while_sending_says_so_and_that_the_request_may_have_arrived() {
    let base_url = resetting_server().await;
    let client = client_of(&base_url).retry_policy(RetryPolicy::none()).timeout(Duration::from_secs(10)).build().expect("client");
    let upload = Upload::new(vec![0xffu8; 8 * 1024 * 1024], "big.jpg");
    let error = client.upload_temp_media(UploadTempMediaRequest::new(UploadTempMediaMediaType::Image, upload)).await.expect_err("reset");
    let transport = error.transport().unwrap_or_else(|| panic!("a transport error: {error:?}"));
    assert_eq!(transport.phase(), TransportPhase::Send, "{error}");
    assert!(!transport.is_connect() && !transport.is_incomplete_body());
    assert!(error.may_have_reached_wechat());
    assert_eq!(error.attempts(), 1);
    let line = error.to_string();
    assert!(line.starts_with("uploadTempMedia: transport failure while sending the request"), "{line}");
    assert!(line.contains("(1 attempt in ") && line.contains("may have reached WeChat") && !line.contains('\n'), "{line}");
}

#[tokio::test]
async fn a_reset_after_the_answer_began_is_a_body_failure_and_a_send_is_not_repeated() {
    let fake = FakeWeChat::start().await;
    let cut = ScriptedResponse::new(200)
        .header("content-type", "application/json")
        .body(format!("{{\"errcode\":0,\"errmsg\":\"{}\"}}", "x".repeat(50_000)));
    fake.script(SEND, cut.cut_after(100));
    let error = fake.client().send_custom_message(send()).await.expect_err("cut answer");
    let transport = error.transport().unwrap_or_else(|| panic!("a transport error: {error:?}"));
    assert_eq!(transport.phase(), TransportPhase::Body);
    assert!(transport.is_incomplete_body() && transport.may_have_reached_wechat());
    assert_eq!(error.attempts(), 1, "a message send is never resent after it may have arrived");
    assert_eq!(fake.calls(SEND), 1);
    assert!(error.to_string().starts_with("sendCustomMessage: transport failure while reading the answer"), "{error}");

    // A download is safe to repeat: the cut is retried, and on success there is no error at all.
    fake.add_media("M", vec![0xff, 0xd8, 0xff, 0xe0, 1, 2, 3], "image/jpeg");
    fake.script(MEDIA, ScriptedResponse::new(200).header("content-type", "image/jpeg").body(vec![0xffu8; 50_000]).cut_after(100));
    let media = fake.client().get_temp_media(GetTempMediaRequest::new("M")).await.expect("retried");
    assert_eq!(media.bytes.len(), 7);
    assert_eq!(fake.calls(MEDIA), 2);
}

#[tokio::test]
async fn a_refused_connection_reached_nothing_and_is_retried() {
    // Bound, then closed: nothing listens on the port.
    let address = TcpListener::bind("127.0.0.1:0").await.expect("bind").local_addr().expect("address");
    let policy = RetryPolicy { base_delay: Duration::from_millis(5), ..RetryPolicy::default() };
    let client = client_of(&format!("http://{address}")).retry_policy(policy).build().expect("client");
    let error = client.send_custom_message(send()).await.expect_err("refused");
    let transport = error.transport().unwrap_or_else(|| panic!("a transport error: {error:?}"));
    assert_eq!(transport.phase(), TransportPhase::Connect);
    assert!(!error.may_have_reached_wechat(), "{error:?}");
    assert_eq!(error.attempts(), 3, "nothing was sent, so even a send is retried: {error:?}");
    let line = error.to_string();
    assert!(line.starts_with("sendCustomMessage: transport failure while connecting"), "{line}");
    assert!(line.contains("(3 attempts in ") && line.ends_with("; nothing reached WeChat)"), "{line}");
}

#[tokio::test]
async fn answered_errors_and_errors_before_sending_say_how_the_call_went() {
    let fake = FakeWeChat::start().await;
    let policy = RetryPolicy { base_delay: Duration::from_millis(5), ..RetryPolicy::default() };
    let client = fake.client_builder().retry_policy(policy).build().expect("client");
    for _ in 0..3 {
        fake.script(MEDIA, ScriptedResponse::new(502).header("content-type", "text/html").body("<html>\nbad gateway\n</html>"));
    }
    let error = client.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("502 three times");
    assert!(matches!(error.kind(), ErrorKind::HttpStatus { status: 502, .. }), "{error:?}");
    assert_eq!(error.attempts(), 3);
    assert!(error.may_have_reached_wechat());
    let line = error.to_string();
    assert!(!line.contains('\n'), "{line}");
    assert!(line.starts_with("getTempMedia: HTTP 502 without a WeChat error body: <html> bad gateway </html> (3 attempts in "), "{line}");
    assert!(line.ends_with(')') && !line.contains("reached WeChat"), "an answer needs no guess: {line}");

    let error = client.get_temp_media(GetTempMediaRequest::new("NO_SUCH_MEDIA")).await.expect_err("40007");
    assert_eq!((error.code(), error.attempts(), error.endpoint()), (Some(40007), 1, "getTempMedia"));
    assert!(error.to_string().starts_with("getTempMedia: WeChat answered with an error: errcode 40007"), "{error}");

    // Refused before sending: no attempt, nothing reached WeChat.
    let secretless = Client::builder().base_url(fake.base_url()).app_id("wx_fake").without_access_token().build().expect("client");
    let error = secretless.code2_session(wxa::api::login::Code2SessionRequest::new("code")).await.expect_err("no secret");
    assert_eq!(error.attempts(), 0);
    assert!(!error.may_have_reached_wechat());
    assert!(error.to_string().ends_with("(not sent)"), "{error}");
}

/// Spans as a subscriber sees them: each span's name and every value
/// recorded on it, in order.
#[derive(Clone, Default)]
struct SpanLog(Arc<Mutex<Vec<(&'static str, FieldValues)>>>);

/// `(field, value as Debug)` in the order recorded.
type FieldValues = Vec<(String, String)>;

struct Values<'a>(&'a mut FieldValues);

impl tracing::field::Visit for Values<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
}

impl tracing::Subscriber for SpanLog {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut spans = self.0.lock().expect("log");
        let mut values = Vec::new();
        span.record(&mut Values(&mut values));
        spans.push((span.metadata().name(), values));
        tracing::span::Id::from_u64(spans.len() as u64)
    }
    fn record(&self, id: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut spans = self.0.lock().expect("log");
        let index = id.into_u64() as usize - 1;
        values.record(&mut Values(&mut spans[index].1));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn spans_record_each_attempt_once() {
    let fake = FakeWeChat::start().await;
    let policy = RetryPolicy { base_delay: Duration::from_millis(5), ..RetryPolicy::default() };
    let client = fake.client_builder().retry_policy(policy).build().expect("client");
    client.access_token().await.expect("a token before the spans are watched");
    for _ in 0..3 {
        fake.script(MEDIA, ScriptedResponse::new(502).body("bad gateway"));
    }
    let log = SpanLog::default();
    let guard = tracing::subscriber::set_default(log.clone());
    let error = client.get_temp_media(GetTempMediaRequest::new("M")).await.expect_err("502 three times");
    drop(guard);
    assert_eq!(error.attempts(), 3);
    let spans = log.0.lock().expect("log").clone();
    let calls: Vec<_> = spans.iter().filter(|(name, _)| *name == "wxa.call").collect();
    assert_eq!(calls.len(), 1, "{spans:?}");
    let call = &calls[0].1;
    let count = |values: &[(String, String)], key: &str| values.iter().filter(|(k, _)| k == key).count();
    for key in ["endpoint", "attempts", "elapsed_ms"] {
        assert_eq!(count(call, key), 1, "{key} once on the call: {call:?}");
    }
    assert!(call.contains(&("attempts".to_owned(), "3".to_owned())), "{call:?}");
    assert_eq!(count(call, "status"), 0, "statuses belong to the attempts: {call:?}");
    let attempts: Vec<_> = spans.iter().filter(|(name, _)| *name == "wxa.attempt").map(|(_, values)| values.clone()).collect();
    assert_eq!(attempts.len(), 3, "{spans:?}");
    for (n, values) in attempts.iter().enumerate() {
        let expected = vec![("attempt".to_owned(), (n + 1).to_string()), ("status".to_owned(), "502".to_owned())];
        assert_eq!(values, &expected);
    }
}

#[tokio::test]
async fn a_streamed_download_gets_the_deadline_to_its_first_bytes_and_the_attempt_timeout_per_chunk() {
    let (base_url, _) = silent_server().await;
    let client = client_of(&base_url).timeout(Duration::from_millis(500)).build().expect("client");
    let started = Instant::now();
    let error = client.get_temp_media_stream(GetTempMediaRequest::new("M")).await.expect_err("no answer");
    assert!(started.elapsed() < Duration::from_millis(900), "{:?}", started.elapsed());
    assert!(matches!(error.kind(), ErrorKind::Timeout(Limit::Deadline(_))) && error.deadline_reached(), "{error:?}");

    // Once the file has begun, each chunk gets the attempt timeout, not
    // what is left of the deadline: a long file may outlast the deadline.
    let fake = FakeWeChat::start().await;
    let body: Vec<u8> = [0xff, 0xd8, 0xff, 0xe0].into_iter().chain(std::iter::repeat_n(7u8, 20_000)).collect();
    fake.script(
        MEDIA,
        ScriptedResponse::new(200).header("content-type", "image/jpeg").body(body.clone()).stall_after(100, Duration::from_millis(700)),
    );
    let client = fake.client_builder().timeout(Duration::from_millis(400)).attempt_timeout(Duration::from_secs(2)).build().expect("client");
    let stream = client.get_temp_media_stream(GetTempMediaRequest::new("M")).await.expect("the file starts in time");
    let whole = stream.collect().await.expect("a 700 ms pause is within the 2 s chunk timeout, past the 400 ms deadline");
    assert_eq!(whole.bytes.len(), body.len());

    fake.script(MEDIA, ScriptedResponse::new(200).header("content-type", "image/jpeg").body(body).stall_after(100, Duration::from_secs(3)));
    let client = fake.client_builder().attempt_timeout(Duration::from_millis(300)).build().expect("client");
    let mut stream = client.get_temp_media_stream(GetTempMediaRequest::new("M")).await.expect("the file starts");
    assert!(stream.chunk().await.expect("first bytes").is_some());
    assert!(matches!(stream.chunk().await, Err(wxa::MediaStreamError::Timeout)));
}
