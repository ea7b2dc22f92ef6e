//! A fleet of instances sharing one app's token through a real
//! `redis-server` (started by each test on a free loopback port), against
//! the fake WeChat server: one token fetch per expiry for 4 processes of 50
//! tasks, no failed call while Redis is away or a token expires, forced
//! refreshes within their limits, several apps in one store.
//!
//! The worker processes are this test binary run again with
//! `fleet_worker` (an ignored test that only the fleet test starts).
#![cfg(feature = "redis")]

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wxa::api::customer_service::{GetTempMediaRequest, SendCustomMessageMsgtype, SendCustomMessageRequest, SendCustomMessageText};
use wxa::store::{ForceRefreshLimits, RedisStore};
use wxa::testing::{FAKE_APP_ID, FAKE_APP_SECRET, FakeWeChat, RedisServer, ScriptedResponse};
use wxa::{Client, ErrorKind, RetryPolicy};

const MEDIA: &str = "MEDIA_FLEET";

fn redis() -> RedisServer {
    RedisServer::start().unwrap_or_else(|e| panic!("{e}"))
}

fn store(redis: &RedisServer) -> Arc<RedisStore> {
    Arc::new(RedisStore::new(&redis.url()).expect("store"))
}

/// One instance of the app: its own client and in-process cache, the
/// fleet's Redis.
fn instance(base_url: &str, redis_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .credentials(FAKE_APP_ID, FAKE_APP_SECRET)
        .token_store(Arc::new(RedisStore::new(redis_url).expect("store")))
        .build()
        .expect("client")
}

/// Calls made and failed by a group of tasks, with the first failures.
#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    failed: AtomicU64,
    errors: std::sync::Mutex<Vec<String>>,
}

impl Tally {
    fn record<T, E: std::fmt::Display>(&self, result: Result<T, E>) {
        match result {
            Ok(_) => {
                self.ok.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                let mut errors = self.errors.lock().expect("errors");
                if errors.len() < 5 {
                    errors.push(error.to_string());
                }
            }
        }
    }

    fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    fn ok(&self) -> u64 {
        self.ok.load(Ordering::Relaxed)
    }
}

/// `tasks` tasks calling get_temp_media through `clients` (round robin)
/// until `until`, a few milliseconds apart.
async fn load(clients: &[Client], tasks: usize, until: Instant, tally: &Arc<Tally>) {
    let mut handles = Vec::new();
    for task in 0..tasks {
        let client = clients[task % clients.len()].clone();
        let tally = tally.clone();
        handles.push(tokio::spawn(async move {
            while Instant::now() < until {
                tally.record(client.get_temp_media(GetTempMediaRequest::new(MEDIA)).await);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }));
    }
    for handle in handles {
        handle.await.expect("task");
    }
}

/// The worker process of `four_processes_of_fifty_tasks_fetch_one_token_per_expiry`.
#[test]
#[ignore = "a worker process, started by four_processes_of_fifty_tasks_fetch_one_token_per_expiry"]
fn fleet_worker() {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by the fleet test that starts this worker"));
    let base_url = var("WXA_FLEET_BASE_URL");
    let redis_url = var("WXA_FLEET_REDIS_URL");
    let tasks: usize = var("WXA_FLEET_TASKS").parse().expect("tasks");
    let run = Duration::from_millis(var("WXA_FLEET_RUN_MS").parse().expect("run"));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let client = instance(&base_url, &redis_url);
        let tally = Arc::new(Tally::default());
        load(&[client], tasks, Instant::now() + run, &tally).await;
        let errors = tally.errors.lock().expect("errors").join(" | ");
        println!("FLEET_RESULT ok={} failed={} errors={errors}", tally.ok(), tally.failed());
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_of_fifty_tasks_fetch_one_token_per_expiry() {
    let redis = redis();
    let fake = FakeWeChat::start().await;
    fake.add_media(MEDIA, &b"\xff\xd8\xff\xe0 jpeg"[..], "image/jpeg");
    // 3 s tokens: refreshed 0.3 s before expiry, so a 7 s run spans
    // two refreshes after the first fetch.
    let lifetime = Duration::from_secs(3);
    fake.set_token_lifetime(lifetime);
    let run = Duration::from_secs(7);
    let exe = std::env::current_exe().expect("test binary");
    let workers: Vec<_> = (0..4)
        .map(|_| {
            Command::new(&exe)
                .args(["fleet_worker", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
                .env("WXA_FLEET_BASE_URL", fake.base_url())
                .env("WXA_FLEET_REDIS_URL", redis.url())
                .env("WXA_FLEET_TASKS", "50")
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
            stdout.lines().find_map(|l| l.find("FLEET_RESULT").map(|at| &l[at..])).unwrap_or_else(|| panic!("no result line in {stdout}"));
        let field = |name: &str| -> u64 {
            line.split_whitespace().find_map(|w| w.strip_prefix(name)).and_then(|v| v.parse().ok()).expect("a count")
        };
        assert_eq!(field("failed="), 0, "no call fails: {line}");
        assert!(field("ok=") > 50, "the worker made calls: {line}");
        total_ok += field("ok=");
    }
    let fetches = fake.token_fetches();
    let issued = fake.issued_tokens().len() as u64;
    assert_eq!(fetches, issued, "every fetch was for a new token: none was repeated by another instance");
    // Fetches: the first, then one per 2.7 s of run (the processes start within a second or so).
    assert!((2..=4).contains(&issued), "one fetch per expiry for the fleet, got {issued} in {run:?} of {lifetime:?} tokens");
    assert!(fake.forced_refreshes().is_empty());
    eprintln!("fleet: {total_ok} calls from 4 processes × 50 tasks, {fetches} token fetches");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_expiring_under_load_fails_no_call() {
    let redis = redis();
    let fake = FakeWeChat::start().await;
    fake.add_media(MEDIA, &b"\x89PNG"[..], "image/png");
    fake.set_token_lifetime(Duration::from_secs(2));
    let clients: Vec<Client> = (0..2).map(|_| instance(fake.base_url(), &redis.url())).collect();
    let tally = Arc::new(Tally::default());
    load(&clients, 50, Instant::now() + Duration::from_millis(4500), &tally).await;
    assert_eq!(tally.failed(), 0, "{:?}", tally.errors.lock().expect("errors"));
    assert!(tally.ok() > 100);
    let issued = fake.issued_tokens().len();
    assert!((2..=4).contains(&issued), "tokens renewed across expiries, once each: {issued}");
    assert_eq!(fake.token_fetches(), issued as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_mid_run_fails_no_call_and_the_store_recovers() {
    let mut redis = redis();
    let fake = FakeWeChat::start().await;
    fake.add_media(MEDIA, &b"\x89PNG"[..], "image/png");
    fake.set_token_lifetime(Duration::from_secs(2));
    let clients: Vec<Client> = (0..2).map(|_| instance(fake.base_url(), &redis.url())).collect();
    let tally = Arc::new(Tally::default());
    let start = Instant::now();
    let running = tokio::spawn({
        let (clients, tally) = (clients.clone(), tally.clone());
        async move { load(&clients, 50, start + Duration::from_secs(9), &tally).await }
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    redis.stop();
    let fetches_before_outage = fake.token_fetches();
    // Two expiries pass while Redis is away: tokens come from WeChat directly.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let failed_during_outage = tally.failed();
    assert!(fake.token_fetches() > fetches_before_outage, "tokens were renewed during the outage");
    redis.start_again().expect("redis back");
    running.await.expect("load");
    assert_eq!(failed_during_outage, 0, "{:?}", tally.errors.lock().expect("errors"));
    assert_eq!(tally.failed(), 0, "{:?}", tally.errors.lock().expect("errors"));

    // Recovered: the renewals after the restart went through Redis again.
    let mut redis_connection = redis::Client::open(redis.url()).expect("client").get_multiplexed_async_connection().await.expect("connect");
    let stored: Option<String> =
        redis::cmd("HGET").arg(format!("wxa:{{{FAKE_APP_ID}}}:token")).arg("v").query_async(&mut redis_connection).await.expect("HGET");
    let stored = stored.expect("a token was stored in the restarted Redis");
    assert!(fake.issued_tokens().contains(&stored));
    let current = clients[0].access_token().await.expect("token");
    assert_eq!(current.expose(), stored, "the instances use the stored token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forced_refreshes_keep_the_fleet_limits() {
    let redis = redis();
    let fake = FakeWeChat::start().await;
    fake.add_media(MEDIA, &b"\x89PNG"[..], "image/png");
    let limits = ForceRefreshLimits { per_day: 2, min_interval: Duration::from_secs(1) };
    let instance = || {
        Client::builder()
            .base_url(fake.base_url())
            .credentials(FAKE_APP_ID, FAKE_APP_SECRET)
            .token_store(store(&redis))
            .force_refresh_limits(limits)
            .retry_policy(RetryPolicy::none())
            .build()
            .expect("client")
    };
    let (a, b) = (instance(), instance());
    a.get_temp_media(GetTempMediaRequest::new(MEDIA)).await.expect("a first call");
    b.get_temp_media(GetTempMediaRequest::new(MEDIA)).await.expect("b shares the token");
    assert_eq!(fake.token_fetches(), 1);

    // WeChat now rejects every token: the plain fetch returns the rejected
    // one, so a forced refresh is due, and the limits decide.
    fake.reject_all_tokens(true);
    let error = a.get_temp_media(GetTempMediaRequest::new(MEDIA)).await.expect_err("still rejected");
    assert_eq!(error.code(), Some(40001), "one refresh, one retry, then the answer: {error:?}");
    assert_eq!(fake.forced_refreshes().len(), 1, "the first forced refresh is allowed");

    // The other instance: the same rejected token comes back, and no forced
    // refresh is allowed within 1 s of the first. WeChat's answer stands.
    let error = b.get_temp_media(GetTempMediaRequest::new(MEDIA)).await.expect_err("too soon to force");
    assert_eq!(error.code(), Some(40001), "{error:?}");
    assert_eq!(fake.forced_refreshes().len(), 1, "the other instance keeps the 1 s spacing");
    let fetches = fake.token_fetches();
    b.get_temp_media(GetTempMediaRequest::new(MEDIA)).await.expect_err("still too soon");
    assert_eq!(fake.token_fetches(), fetches, "until a forced refresh is allowed, the source is not asked again");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    b.get_temp_media(GetTempMediaRequest::new(MEDIA)).await.expect_err("rejected again");
    assert_eq!(fake.forced_refreshes().len(), 2, "spacing kept: the second is allowed");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let error = a.get_temp_media(GetTempMediaRequest::new(MEDIA)).await.expect_err("budget spent");
    assert_eq!(error.code(), Some(40001), "{error:?}");
    let forced = fake.forced_refreshes();
    assert_eq!(forced.len(), 2, "two a day, for the fleet");
    assert!(forced[1].duration_since(forced[0]) >= Duration::from_secs(1));

    // Once WeChat accepts the token again, calls work at once, with no
    // forced refresh left for the day.
    fake.reject_all_tokens(false);
    a.get_temp_media(GetTempMediaRequest::new(MEDIA)).await.expect("works again");
    b.get_temp_media(GetTempMediaRequest::new(MEDIA)).await.expect("works again");
    assert_eq!(fake.forced_refreshes().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_is_never_retried_after_an_ambiguous_failure_in_a_fleet() {
    let redis = redis();
    let fake = FakeWeChat::start().await;
    let retries = RetryPolicy { max_attempts: 5, base_delay: Duration::from_millis(1), ..RetryPolicy::default() };
    let client = Client::builder()
        .base_url(fake.base_url())
        .credentials(FAKE_APP_ID, FAKE_APP_SECRET)
        .token_store(store(&redis))
        .retry_policy(retries)
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let send = || SendCustomMessageRequest::new("o_user", SendCustomMessageMsgtype::Text).text(SendCustomMessageText::new("hi"));
    let path = "/cgi-bin/message/custom/send";
    fake.script(path, ScriptedResponse::json_error(-1, "system error", "application/json"));
    assert_eq!(client.send_custom_message(send()).await.expect_err("-1").code(), Some(-1));
    fake.script(path, ScriptedResponse::new(200).delay(Duration::from_secs(1)).body("{}"));
    assert!(matches!(client.send_custom_message(send()).await.map_err(wxa::Error::into_kind), Err(ErrorKind::Timeout(_))));
    fake.script(path, ScriptedResponse::new(503).body("busy"));
    assert!(matches!(
        client.send_custom_message(send()).await.map_err(wxa::Error::into_kind),
        Err(ErrorKind::HttpStatus { status: 503, .. })
    ));
    assert_eq!(fake.calls(path), 3, "each ambiguous failure was sent once");
    // A rejected token is not ambiguous: WeChat did not run the call.
    fake.rotate_token();
    client.send_custom_message(send()).await.expect("refreshed and sent");
    assert_eq!(fake.calls(path), 5, "the rejected attempt and the one after the refresh");
}

#[tokio::test]
async fn a_token_promised_to_live_for_ever_is_stored() {
    use wxa::Secret;
    use wxa::store::{StoredToken, TokenStore};
    let redis = redis();
    let store = store(&redis);
    for expires_at_ms in [u64::MAX, u64::MAX / 2, 0] {
        let token = StoredToken { value: Secret::new("LONG_LIVED"), refresh_at_ms: expires_at_ms, expires_at_ms };
        store.save(FAKE_APP_ID, &token).await.unwrap_or_else(|e| panic!("expiry {expires_at_ms}: {e}"));
        let loaded = store.load(FAKE_APP_ID).await.expect("load");
        if expires_at_ms > 0 {
            assert_eq!(loaded.map(|t| t.expires_at_ms), Some(expires_at_ms));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_apps_share_one_store_apart() {
    let redis = redis();
    let store = store(&redis);
    let first = FakeWeChat::start().await;
    let second = FakeWeChat::start_with("wx00000000fake0002", "second-secret", false).await;
    let client = |fake: &FakeWeChat, app: &str, secret: &str| {
        Client::builder().base_url(fake.base_url()).credentials(app, secret).token_store(store.clone()).build().expect("client")
    };
    let a = client(&first, FAKE_APP_ID, FAKE_APP_SECRET);
    let b = client(&second, "wx00000000fake0002", "second-secret");
    let (token_a, token_b) = (a.access_token().await.expect("a"), b.access_token().await.expect("b"));
    assert_ne!(token_a, token_b);
    assert_eq!(first.issued_tokens(), vec![token_a.expose().to_owned()]);
    assert_eq!(second.issued_tokens(), vec![token_b.expose().to_owned()]);
    // A second instance of app b finds b's token, not a's.
    let b2 = client(&second, "wx00000000fake0002", "second-secret");
    assert_eq!(b2.access_token().await.expect("b2"), token_b);
    assert_eq!(second.token_fetches(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_dropped_mid_refresh_does_not_hold_up_the_fleet() {
    let redis = redis();
    let fake = FakeWeChat::start().await;
    let lease = Duration::from_secs(30);
    let calls = Arc::new(AtomicU64::new(0));
    let hanging = {
        let calls = calls.clone();
        wxa::token_source_fn(move |_force| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { std::future::pending().await }
        })
    };
    let stuck = Client::builder()
        .base_url(fake.base_url())
        .app_id(FAKE_APP_ID)
        .token_source(Arc::new(hanging))
        .token_store(store(&redis))
        .token_lease(lease, lease)
        .build()
        .expect("client");
    let refreshing = tokio::spawn(async move { stuck.access_token().await });
    while calls.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    refreshing.abort();
    let other = Client::builder()
        .base_url(fake.base_url())
        .credentials(FAKE_APP_ID, FAKE_APP_SECRET)
        .token_store(store(&redis))
        .token_lease(lease, lease)
        .build()
        .expect("client");
    let started = Instant::now();
    other.access_token().await.expect("token");
    assert!(started.elapsed() < Duration::from_secs(5), "the dropped holder's lease was given back, not waited out ({lease:?})");
}

#[tokio::test]
async fn an_external_token_service_is_asked_again_and_then_forced_after_a_rejection() {
    let fake = FakeWeChat::start().await;
    let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
    // The "service" owns the app's token; a forced fetch makes it drop its own.
    let service = Client::builder().base_url(fake.base_url()).credentials(FAKE_APP_ID, FAKE_APP_SECRET).build().expect("service");
    let source = {
        let asked = asked.clone();
        wxa::token_source_fn(move |force| {
            asked.lock().expect("asked").push(force);
            let service = service.clone();
            async move {
                if force {
                    service.invalidate_access_token(&service.access_token().await?).await;
                }
                Ok(wxa::AccessToken::new(service.access_token().await?, Duration::from_secs(7200)))
            }
        })
    };
    let client = Client::builder().base_url(fake.base_url()).app_id(FAKE_APP_ID).token_source(Arc::new(source)).build().expect("client");
    fake.add_media(MEDIA, &b"\x89PNG"[..], "image/png");
    client.get_temp_media(GetTempMediaRequest::new(MEDIA)).await.expect("first");
    assert_eq!(*asked.lock().expect("asked"), vec![false]);
    fake.rotate_token();
    client.get_temp_media(GetTempMediaRequest::new(MEDIA)).await.expect("after the rotation");
    assert_eq!(
        *asked.lock().expect("asked"),
        vec![false, false, true],
        "asked again; it handed back the rejected token, so it was asked to force a new one"
    );
}
