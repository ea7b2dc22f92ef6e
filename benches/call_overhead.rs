//! What a generated call adds to a hand-written `reqwest` call of the same
//! endpoint against the same loopback server, measured in the same run, with
//! each side built as its user would build it.
//!
//! - wxa: `Client::builder().credentials(..).base_url(..).build()`: wxa's
//!   own HTTP client and the default token source (the stable-token
//!   endpoint, `POST /cgi-bin/stable_token`, fetched once and cached).
//! - Hand-written: its own `reqwest::Client` with the same features and
//!   settings (wxa's TLS set-up from `Client::http_client_builder`, the same
//!   connect timeout, no redirects, a 30 s timeout per request), the token
//!   fetched once from the same endpoint and kept in a variable; each call
//!   builds the URL, sends, reads the body and checks it is not a JSON
//!   error, as any careful caller would.
//!
//! Both download a 1 KiB image from `GET /cgi-bin/media/get`. The sides
//! alternate in 40 rounds, sequentially (1,000 calls a side a round, call by
//! call) and 64-way concurrently (64 tasks of 16 calls a side a round, the
//! side going first alternating). Prints, per mode,
//! `overhead <mode> <baseline µs> <generated µs> <ratio>`: the medians of
//! the per-round means and of the per-round ratios.
//!
//! Run with `cargo bench --bench call_overhead` (or `scripts/bench.sh`).
//! For a profiler, `WXA_BENCH_PROFILE=hand` or `=wxa` (and optionally
//! `WXA_BENCH_CALLS=n`, default 20,000) makes only that side's calls, one
//! after another, after the same warm-up: e.g. `valgrind --tool=callgrind`
//! on each, then compare instruction counts. `WXA_BENCH_SIZES=1` prints
//! the size of each side's call future (it is built and moved on every
//! call, and 64 of them live at once in the concurrent mode).

use std::time::{Duration, Instant};

use axum::http::HeaderValue;
use axum::response::Response;
use wxa::api::customer_service::GetTempMediaRequest;

const ROUNDS: usize = 40;
const CALLS_PER_ROUND: usize = 1000;
const TASKS: usize = 64;
const CALLS_PER_TASK: usize = 16;

/// The loopback server, on its own thread and runtime.
fn start_server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let image: &'static [u8] = Box::leak(vec![0xAB; 1024].into_boxed_slice());
            let app = axum::Router::new()
                .route(
                    "/cgi-bin/media/get",
                    axum::routing::get(move || async move {
                        let mut response = Response::new(axum::body::Body::from(image));
                        response.headers_mut().insert("content-type", HeaderValue::from_static("image/jpeg"));
                        response
                    }),
                )
                .route(
                    "/cgi-bin/stable_token",
                    axum::routing::post(|| async { r#"{"access_token":"BENCH_ACCESS_TOKEN","expires_in":7200}"# }),
                );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            tx.send(format!("http://{}", listener.local_addr().expect("addr"))).expect("send address");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    rx.recv().expect("server address")
}

/// The hand-written client: its own HTTP client and token.
struct HandWritten {
    http: reqwest::Client,
    media_url: String,
    token: String,
}

impl HandWritten {
    async fn new(base: &str) -> HandWritten {
        let http = wxa::Client::http_client_builder()
            .expect("tls")
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http");
        let request = serde_json::json!({"grant_type": "client_credential", "appid": "wx_bench", "secret": "bench-secret"});
        let answer = http
            .post(format!("{base}/cgi-bin/stable_token"))
            .header("content-type", "application/json")
            .body(request.to_string())
            .send()
            .await
            .expect("token")
            .bytes()
            .await
            .expect("token body");
        let answer: serde_json::Value = serde_json::from_slice(&answer).expect("token JSON");
        let token = answer["access_token"].as_str().expect("a token").to_owned();
        HandWritten { http, media_url: format!("{base}/cgi-bin/media/get"), token }
    }

    async fn get_temp_media(&self, media_id: &str) -> usize {
        let mut url = reqwest::Url::parse(&self.media_url).expect("url");
        url.query_pairs_mut().append_pair("access_token", &self.token).append_pair("media_id", media_id);
        let response = self.http.get(url).timeout(Duration::from_secs(30)).send().await.expect("send");
        let is_image = response.headers().get("content-type").is_some_and(|v| v.as_bytes().starts_with(b"image/"));
        let bytes = response.bytes().await.expect("body");
        assert!(is_image && !bytes.starts_with(b"{"), "a JSON error where an image was expected");
        bytes.len()
    }
}

async fn generated(client: &wxa::Client) -> usize {
    client.get_temp_media(GetTempMediaRequest::new("MEDIA")).await.expect("call").bytes.len()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Medians of the per-round means (µs a call) and of the per-round ratios.
struct Rounds {
    baseline: Vec<f64>,
    generated: Vec<f64>,
    ratios: Vec<f64>,
}

impl Rounds {
    fn new() -> Rounds {
        Rounds { baseline: Vec::new(), generated: Vec::new(), ratios: Vec::new() }
    }

    fn push(&mut self, base: Duration, gen_: Duration, calls: usize) {
        self.baseline.push(base.as_secs_f64() * 1e6 / calls as f64);
        self.generated.push(gen_.as_secs_f64() * 1e6 / calls as f64);
        self.ratios.push(gen_.as_secs_f64() / base.as_secs_f64());
    }

    fn print(mut self, mode: &str) {
        let (b, g, r) = (median(&mut self.baseline), median(&mut self.generated), median(&mut self.ratios));
        println!("overhead {mode} {b:.2} {g:.2} {r:.4}");
    }
}

async fn sequential(hand: &HandWritten, client: &wxa::Client) {
    let mut rounds = Rounds::new();
    for round in 0..ROUNDS {
        let (mut base, mut gen_) = (Duration::ZERO, Duration::ZERO);
        // Call by call, so drifts of the machine hit both sides alike.
        for i in 0..CALLS_PER_ROUND * 2 {
            let started = Instant::now();
            if (i + round) % 2 == 0 {
                std::hint::black_box(hand.get_temp_media("MEDIA").await);
                base += started.elapsed();
            } else {
                std::hint::black_box(generated(client).await);
                gen_ += started.elapsed();
            }
        }
        rounds.push(base, gen_, CALLS_PER_ROUND);
    }
    rounds.print("sequential");
}

async fn concurrent(hand: &HandWritten, client: &wxa::Client) {
    use futures_util::future::join_all;
    let hand_side = || {
        join_all((0..TASKS).map(|_| async {
            for _ in 0..CALLS_PER_TASK {
                std::hint::black_box(hand.get_temp_media("MEDIA").await);
            }
        }))
    };
    let wxa_side = || {
        join_all((0..TASKS).map(|_| async {
            for _ in 0..CALLS_PER_TASK {
                std::hint::black_box(generated(client).await);
            }
        }))
    };
    let mut rounds = Rounds::new();
    for round in 0..ROUNDS {
        let (mut base, mut gen_) = (Duration::ZERO, Duration::ZERO);
        for half in 0..2 {
            let started = Instant::now();
            if (half + round) % 2 == 0 {
                hand_side().await;
                base += started.elapsed();
            } else {
                wxa_side().await;
                gen_ += started.elapsed();
            }
        }
        rounds.push(base, gen_, TASKS * CALLS_PER_TASK);
    }
    rounds.print("concurrent");
}

fn main() {
    let base = start_server();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let hand = HandWritten::new(&base).await;
        let client = wxa::Client::builder().credentials("wx_bench", "bench-secret").base_url(base.clone()).build().expect("client");
        // Warm up both paths (connections, token cache, allocator).
        for _ in 0..2000 {
            hand.get_temp_media("MEDIA").await;
            generated(&client).await;
        }
        if std::env::var_os("WXA_BENCH_SIZES").is_some() {
            eprintln!(
                "future sizes: wxa {} hand {}",
                std::mem::size_of_val(&client.get_temp_media(GetTempMediaRequest::new("MEDIA"))),
                std::mem::size_of_val(&hand.get_temp_media("MEDIA"))
            );
        }
        if let Ok(side) = std::env::var("WXA_BENCH_PROFILE") {
            let calls = std::env::var("WXA_BENCH_CALLS").ok().and_then(|n| n.parse().ok()).unwrap_or(20_000);
            for _ in 0..calls {
                match side.as_str() {
                    "hand" => std::hint::black_box(hand.get_temp_media("MEDIA").await),
                    _ => std::hint::black_box(generated(&client).await),
                };
            }
            return;
        }
        sequential(&hand, &client).await;
        concurrent(&hand, &client).await;
    });
}
