//! A third-party platform's fleet through a real `redis-server`: three
//! processes call on behalf of 300 authorizers whose tokens (and the
//! component token) expire every 3 s during a 7 s run. No call fails, and
//! each authorizer's token is fetched once per expiry for the whole fleet.
//!
//! The worker processes are this test binary run again with
//! `platform_fleet_worker` (an ignored test only the fleet test starts).
#![cfg(feature = "redis")]

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wxa::api::customer_service::GetTempMediaRequest;
use wxa::platform::Platform;
use wxa::store::RedisStore;
use wxa::testing::{FakeWeChat, RedisServer};

const MEDIA: &str = "MEDIA_PLATFORM_FLEET";
const AUTHORIZERS: usize = 300;

fn authorizer(i: usize) -> String {
    format!("wxfleetauth{i:05}")
}

fn platform(fake_base_url: &str, redis_url: &str) -> Platform {
    let base_url = fake_base_url.to_owned();
    Platform::builder(wxa::testing::FAKE_COMPONENT_APP_ID, wxa::testing::FAKE_COMPONENT_SECRET)
        .client_settings(|builder| builder.base_url(base_url))
        .token_store(Arc::new(RedisStore::new(redis_url).expect("store")))
        .build()
        .expect("platform")
}

#[test]
#[ignore = "a worker process, started by three_processes_refresh_each_authorizer_once_per_expiry"]
fn platform_fleet_worker() {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by the fleet test"));
    let (base_url, redis_url) = (var("WXA_FLEET_BASE_URL"), var("WXA_FLEET_REDIS_URL"));
    let run = Duration::from_millis(var("WXA_FLEET_RUN_MS").parse().expect("run"));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let platform = platform(&base_url, &redis_url);
        let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let errors = Arc::new(std::sync::Mutex::new(Vec::new()));
        let until = Instant::now() + run;
        let mut tasks = tokio::task::JoinSet::new();
        for task in 0..60 {
            let (platform, ok, failed, errors) = (platform.clone(), ok.clone(), failed.clone(), errors.clone());
            tasks.spawn(async move {
                let mut i = task;
                while Instant::now() < until {
                    let client = platform.authorizer(&authorizer(i % AUTHORIZERS));
                    match client.get_temp_media(GetTempMediaRequest::new(MEDIA)).await {
                        Ok(_) => ok.fetch_add(1, Ordering::Relaxed),
                        Err(error) => {
                            errors.lock().expect("errors").push(error.to_string());
                            failed.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                    i += 7;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        let errors = errors.lock().expect("errors").iter().take(3).cloned().collect::<Vec<_>>().join(" | ");
        println!("FLEET_RESULT ok={} failed={} errors={errors}", ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_refresh_each_authorizer_once_per_expiry() {
    let redis = RedisServer::start().unwrap_or_else(|e| panic!("{e}"));
    let fake = FakeWeChat::start().await;
    fake.add_media(MEDIA, &b"\xff\xd8\xff fleet"[..], "image/jpeg");
    let lifetime = Duration::from_secs(3);
    fake.set_token_lifetime(lifetime);
    // The platform as deployed: the ticket and the authorizations arrive
    // at one instance and land in Redis.
    let first = platform(fake.base_url(), &redis.url());
    first.set_verify_ticket(&fake.new_verify_ticket()).await.expect("ticket");
    for i in 0..AUTHORIZERS {
        first.query_auth(&fake.authorize(&authorizer(i))).await.expect("authorized");
    }
    let run = Duration::from_secs(7);
    let exe = std::env::current_exe().expect("test binary");
    let workers: Vec<_> = (0..3)
        .map(|_| {
            Command::new(&exe)
                .args(["platform_fleet_worker", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
                .env("WXA_FLEET_BASE_URL", fake.base_url())
                .env("WXA_FLEET_REDIS_URL", redis.url())
                .env("WXA_FLEET_RUN_MS", run.as_millis().to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("worker process")
        })
        .collect();
    let outputs =
        tokio::task::spawn_blocking(move || workers.into_iter().map(|w| w.wait_with_output().expect("worker")).collect::<Vec<_>>())
            .await
            .expect("join");
    let mut total_ok = 0;
    for output in &outputs {
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "worker failed: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
        let line =
            stdout.lines().find_map(|l| l.find("FLEET_RESULT").map(|at| &l[at..])).unwrap_or_else(|| panic!("no result in {stdout}"));
        let field = |name: &str| -> u64 {
            line.split_whitespace().find_map(|w| w.strip_prefix(name)).and_then(|v| v.parse().ok()).expect("a count")
        };
        assert_eq!(field("failed="), 0, "no call fails: {line}");
        total_ok += field("ok=");
    }
    assert!(total_ok > 1000, "the fleet made calls: {total_ok}");
    // Each token lives 3 s and is refreshed 0.3 s early; the run (and the
    // workers' start) spans at most four refreshes of any one token.
    let mut fetched = 0;
    for i in 0..AUTHORIZERS {
        let fetches = fake.authorizer_token_fetches(&authorizer(i));
        assert!(fetches <= 4, "{}: {fetches} fetches for the fleet in {run:?} of {lifetime:?} tokens", authorizer(i));
        fetched += fetches;
    }
    assert!(fetched >= AUTHORIZERS as u64, "tokens did expire and were refreshed: {fetched}");
    let component = fake.component_token_fetches();
    assert!((2..=5).contains(&component), "one component token per expiry for the fleet, got {component}");
    eprintln!(
        "platform fleet: {total_ok} calls from 3 processes for {AUTHORIZERS} authorizers, {fetched} authorizer token fetches, {component} component token fetches"
    );
}
