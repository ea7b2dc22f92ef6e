//! What an authorizer's token costs a third-party platform as the number
//! of authorizers grows: 10 against 10,000 authorized mini programs in one
//! store, measured in the same run (a real `redis-server` on loopback and
//! the fake WeChat server).
//!
//! - `warm`: `platform.authorizer(appid).access_token()` for authorizers
//!   picked at random, their tokens held in the process: what every call
//!   pays;
//! - `cold`: ten authorizers on a fresh platform instance, so each token
//!   is read from Redis (one key, no scan): what a new instance pays per
//!   authorizer.
//!
//! Each line prints `<name> <10 authorizers> <10,000 authorizers> <ratio>`
//! from the medians of alternating rounds; a ratio near 1 means the cost
//! does not grow with the number of authorizers.
//! `cargo bench --features redis --bench platform_tokens`.

use std::sync::Arc;
use std::time::Instant;

use wxa::platform::Platform;
use wxa::store::RedisStore;
use wxa::testing::{FAKE_COMPONENT_APP_ID, FAKE_COMPONENT_SECRET, FakeWeChat, RedisServer};

const ROUNDS: usize = 9;
const LOOKUPS: usize = 2000;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn platform(fake: &FakeWeChat, redis: &RedisServer) -> Platform {
    let base_url = fake.base_url().to_owned();
    Platform::builder(FAKE_COMPONENT_APP_ID, FAKE_COMPONENT_SECRET)
        .client_settings(|builder| builder.base_url(base_url))
        .token_store(Arc::new(RedisStore::new(&redis.url()).expect("store")))
        .build()
        .expect("platform")
}

/// A fixed pseudo-random walk over `count` authorizers.
fn picks(count: usize, prefix: &str) -> Vec<String> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..LOOKUPS)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            format!("{prefix}{:05}", state as usize % count)
        })
        .collect()
}

/// Nanoseconds per `access_token()` over `appids`.
async fn lookups_ns(platform: &Platform, appids: &[String]) -> f64 {
    let started = Instant::now();
    for appid in appids {
        std::hint::black_box(platform.authorizer(appid).access_token().await.expect("token"));
    }
    started.elapsed().as_nanos() as f64 / appids.len() as f64
}

fn main() {
    let redis = RedisServer::start().unwrap_or_else(|e| panic!("{e}"));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let fake = FakeWeChat::start().await;
        let setup = platform(&fake, &redis);
        setup.set_verify_ticket(&fake.new_verify_ticket()).await.expect("ticket");
        let started = Instant::now();
        for (prefix, count) in [("wxsmall", 10), ("wxlarge", 10_000)] {
            for i in 0..count {
                setup.query_auth(&fake.authorize(&format!("{prefix}{i:05}"))).await.expect("authorized");
            }
        }
        eprintln!("authorized 10,010 mini programs in {:.1} s", started.elapsed().as_secs_f64());
        let (small, large) = (picks(10, "wxsmall"), picks(10_000, "wxlarge"));
        let cold_small_ids: Vec<String> = (0..10).map(|i| format!("wxsmall{i:05}")).collect();
        let cold_large_ids: Vec<String> = (0..10).map(|i| format!("wxlarge{:05}", i * 997 % 10_000)).collect();
        let warm = platform(&fake, &redis);
        // Every token held in the process once.
        lookups_ns(&warm, &small).await;
        for i in 0..10_000 {
            warm.authorizer(&format!("wxlarge{i:05}")).access_token().await.expect("token");
        }
        let (mut warm_small, mut warm_large, mut cold_small, mut cold_large) = (vec![], vec![], vec![], vec![]);
        for _ in 0..ROUNDS {
            warm_small.push(lookups_ns(&warm, &small).await);
            warm_large.push(lookups_ns(&warm, &large).await);
            // Ten authorizers a fresh instance never looked up: each read from Redis.
            cold_small.push(lookups_ns(&platform(&fake, &redis), &cold_small_ids).await);
            cold_large.push(lookups_ns(&platform(&fake, &redis), &cold_large_ids).await);
        }
        for (name, small, large) in [("warm", warm_small, warm_large), ("cold", cold_small, cold_large)] {
            let (small, large) = (median(small), median(large));
            println!("{name:<6} {:>10.0} ns {:>10.0} ns  ratio {:.3}", small, large, large / small);
        }
        assert_eq!(fake.authorizer_token_fetches("wxlarge00000"), 0, "every token came from the authorization, none refetched");
    });
}
