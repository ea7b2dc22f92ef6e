//! What a generated call adds to a hand-written `reqwest` call of the same
//! endpoint against the same loopback server, measured in the same run.
//!
//! Both sides download a 1 KiB image from `GET /cgi-bin/media/get` with the
//! same `reqwest::Client` (so the same connection pool and settings) and a
//! cached access token; the hand-written side builds the URL, sends, reads
//! the body and checks it is not a JSON error, as any careful caller would.
//! The sides alternate call by call in 40 rounds of 1,000 calls each; prints
//! `overhead <baseline µs> <generated µs> <ratio>`: the medians of the
//! per-round means and of the per-round ratios.
//!
//! Run with `cargo bench --bench call_overhead` (or `scripts/bench.sh`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::HeaderValue;
use axum::response::Response;
use wxa::api::customer_service::GetTempMediaRequest;

const TOKEN: &str = "BENCH_ACCESS_TOKEN";
const ROUNDS: usize = 40;
const CALLS_PER_ROUND: usize = 1000;

struct FixedToken;

impl wxa::TokenSource for FixedToken {
    fn fetch(&self, _force: bool) -> wxa::BoxFuture<'_, Result<wxa::AccessToken, wxa::TokenError>> {
        Box::pin(async { Ok(wxa::AccessToken::new(TOKEN, Duration::from_secs(7200))) })
    }
}

/// The loopback server, on its own thread and runtime.
fn start_server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let image: &'static [u8] = Box::leak(vec![0xAB; 1024].into_boxed_slice());
            let app = axum::Router::new().route(
                "/cgi-bin/media/get",
                axum::routing::get(move || async move {
                    let mut response = Response::new(axum::body::Body::from(image));
                    response.headers_mut().insert("content-type", HeaderValue::from_static("image/jpeg"));
                    response
                }),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            tx.send(format!("http://{}", listener.local_addr().expect("addr"))).expect("send address");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    rx.recv().expect("server address")
}

async fn hand_written(http: &reqwest::Client, base: &reqwest::Url) -> usize {
    let mut url = base.join("/cgi-bin/media/get").expect("url");
    url.query_pairs_mut().append_pair("access_token", TOKEN).append_pair("media_id", "MEDIA");
    let response = http.get(url).send().await.expect("send");
    let is_image = response.headers().get("content-type").is_some_and(|v| v.as_bytes().starts_with(b"image/"));
    let bytes = response.bytes().await.expect("body");
    assert!(is_image && !bytes.starts_with(b"{"), "a JSON error where an image was expected");
    bytes.len()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let base = start_server();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let http = wxa::Client::http_client_builder().expect("tls").timeout(Duration::from_secs(30)).build().expect("http");
        let base_url = reqwest::Url::parse(&base).expect("base");
        let client = wxa::Client::builder()
            .base_url(base.clone())
            .http_client(http.clone())
            .token_source(Arc::new(FixedToken))
            .build()
            .expect("client");

        // Warm up both paths (connections, token cache, allocator).
        for _ in 0..2000 {
            hand_written(&http, &base_url).await;
            client.get_temp_media(GetTempMediaRequest::new("MEDIA")).await.expect("call");
        }
        // The two sides alternate call by call, so drifts of the machine
        // (frequency, other load) hit both alike; each round gives a ratio,
        // and the median ratio is reported.
        let (mut baseline, mut generated, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let (mut base_total, mut gen_total) = (Duration::ZERO, Duration::ZERO);
            for i in 0..CALLS_PER_ROUND * 2 {
                let started = Instant::now();
                if (i + round) % 2 == 0 {
                    std::hint::black_box(hand_written(&http, &base_url).await);
                    base_total += started.elapsed();
                } else {
                    let media = client.get_temp_media(GetTempMediaRequest::new("MEDIA")).await.expect("call");
                    std::hint::black_box(media.bytes.len());
                    gen_total += started.elapsed();
                }
            }
            baseline.push(base_total.as_secs_f64() * 1e6 / CALLS_PER_ROUND as f64);
            generated.push(gen_total.as_secs_f64() * 1e6 / CALLS_PER_ROUND as f64);
            ratios.push(gen_total.as_secs_f64() / base_total.as_secs_f64());
        }
        let (b, g, r) = (median(&mut baseline), median(&mut generated), median(&mut ratios));
        println!("overhead {b:.2} {g:.2} {r:.4}");
    });
}
