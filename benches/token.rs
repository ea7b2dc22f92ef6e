//! What the token store costs: a memory store against a Redis store
//! (a real `redis-server` on loopback), measured in the same run.
//!
//! - `token`: getting the token for a call (`Client::access_token`, the
//!   step every call takes), warm, per call;
//! - `store`: one read of the shared token from the store (what a refresh
//!   or a new instance pays), per read;
//! - `throughput`: 64 tasks sharing one client and its token, each making
//!   calls of getTempMedia against the fake WeChat server, in calls per
//!   second.
//!
//! Memory and Redis alternate round by round; each line prints
//! `<name> <memory> <redis> <ratio redis/memory>` from the medians.
//! Needs the `redis` feature and `redis-server` on the PATH:
//! `cargo bench --features redis --bench token` (or `scripts/bench.sh`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use wxa::api::customer_service::GetTempMediaRequest;
use wxa::store::{MemoryStore, RedisStore, StoredToken, TokenStore};
use wxa::testing::{FAKE_APP_ID, FAKE_APP_SECRET, FakeWeChat, RedisServer};
use wxa::{Client, Secret};

const ROUNDS: usize = 15;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn client(fake: &FakeWeChat, store: Arc<dyn TokenStore>) -> Client {
    Client::builder().base_url(fake.base_url()).credentials(FAKE_APP_ID, FAKE_APP_SECRET).token_store(store).build().expect("client")
}

/// Nanoseconds per `access_token()` over `n` warm calls.
async fn token_ns(client: &Client, n: usize) -> f64 {
    let started = Instant::now();
    for _ in 0..n {
        std::hint::black_box(client.access_token().await.expect("token"));
    }
    started.elapsed().as_nanos() as f64 / n as f64
}

/// Microseconds per store read over `n` reads.
async fn load_us(store: &dyn TokenStore, n: usize) -> f64 {
    let started = Instant::now();
    for _ in 0..n {
        std::hint::black_box(store.load(FAKE_APP_ID).await.expect("load").expect("stored"));
    }
    started.elapsed().as_secs_f64() * 1e6 / n as f64
}

/// Calls per second of 64 tasks making `per_task` calls each.
async fn throughput(client: &Client, per_task: usize) -> f64 {
    let started = Instant::now();
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                for _ in 0..per_task {
                    client.get_temp_media(GetTempMediaRequest::new("BENCH")).await.expect("media");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    (64 * per_task) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let redis = RedisServer::start().unwrap_or_else(|e| panic!("{e}"));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let fake = FakeWeChat::start().await;
        fake.add_media("BENCH", vec![0xAB; 1024], "image/jpeg");
        let memory_store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
        let redis_store: Arc<dyn TokenStore> = Arc::new(RedisStore::new(&redis.url()).expect("store"));
        let memory = client(&fake, memory_store.clone());
        let shared = client(&fake, redis_store.clone());
        memory.access_token().await.expect("warm");
        shared.access_token().await.expect("warm");

        let (mut m, mut r) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            m.push(token_ns(&memory, 200_000).await);
            r.push(token_ns(&shared, 200_000).await);
        }
        let (m, r) = (median(m), median(r));
        println!("token {m:.1} {r:.1} {:.3}", r / m);

        let stored = StoredToken { value: Secret::new("BENCH_TOKEN"), refresh_at_ms: u64::MAX / 2, expires_at_ms: u64::MAX / 2 };
        memory_store.save(FAKE_APP_ID, &stored).await.expect("save");
        redis_store.save(FAKE_APP_ID, &stored).await.expect("save");
        let (mut m, mut r) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            m.push(load_us(&*memory_store, 20_000).await);
            r.push(load_us(&*redis_store, 2_000).await);
        }
        let (m, r) = (median(m), median(r));
        println!("store {m:.3} {r:.3} {:.1}", r / m);

        let (mut m, mut r) = (Vec::new(), Vec::new());
        for _ in 0..5 {
            m.push(throughput(&memory, 100).await);
            r.push(throughput(&shared, 100).await);
        }
        let (m, r) = (median(m), median(r));
        println!("throughput {m:.0} {r:.0} {:.3}", r / m);
        drop(fake);
        tokio::time::sleep(Duration::from_millis(10)).await;
    });
}
