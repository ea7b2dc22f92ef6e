//! Peak memory of downloading a 200 MB file from the fake WeChat server on
//! loopback: streamed (`get_temp_media_stream` into a sink) against the
//! same file read whole (`get_temp_media`, the baseline), in one run.
//!
//! A counting allocator sees every heap allocation of the process (client,
//! HTTP stack and the fake server, which makes the file as it sends it and
//! never holds it), so "peak" is the highest live heap above what was live
//! before the download began.
//!
//! Prints `memory <streamed peak MiB> <whole peak MiB> <ratio>` and exits
//! with an error when the streamed peak reaches 4 MiB: a quarter of the
//! 16 MiB the project promises, so that a stream which starts buffering a
//! few MiB is caught long before it breaks the promise.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use wxa::api::customer_service::GetTempMediaRequest;
use wxa::testing::FakeWeChat;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; only
// the counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as the caller promised for `layout`.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` with this `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as the caller promised for `ptr`, `layout` and `new_size`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            if new_size >= layout.size() {
                let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size - layout.size();
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const FILE_LEN: u64 = 200 * 1024 * 1024;
const BUDGET: usize = 4 * 1024 * 1024;
const MIB: f64 = 1024.0 * 1024.0;

/// Runs `download` and returns how far the live heap rose above its level
/// at the start, and the bytes it reported.
async fn peak_of<F: std::future::Future<Output = u64>>(download: F) -> (usize, u64) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let bytes = download.await;
    (PEAK.load(Ordering::Relaxed).saturating_sub(before), bytes)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let fake = FakeWeChat::start().await;
        fake.add_generated_media("BIG", FILE_LEN, "video/mp4");
        let client = fake.client().with_timeout(std::time::Duration::from_secs(300));
        // Warm up: token, connection pool, the runtime's own buffers.
        client.access_token().await.expect("token");
        let warm = client.get_temp_media_stream(GetTempMediaRequest::new("BIG")).await.expect("stream");
        drop(warm);

        let (streamed, streamed_bytes) = peak_of(async {
            let mut stream = client.get_temp_media_stream(GetTempMediaRequest::new("BIG")).await.expect("stream");
            stream.write_to(&mut tokio::io::sink()).await.expect("streamed")
        })
        .await;
        let (whole, whole_bytes) = peak_of(async {
            let media = client.get_temp_media(GetTempMediaRequest::new("BIG")).await.expect("whole");
            media.bytes.len() as u64
        })
        .await;
        assert_eq!(streamed_bytes, FILE_LEN, "the streamed download must be whole");
        assert_eq!(whole_bytes, FILE_LEN, "the whole download must be whole");
        println!("memory {:.2} {:.2} {:.4}", streamed as f64 / MIB, whole as f64 / MIB, streamed as f64 / whole as f64);
        if streamed >= BUDGET {
            eprintln!(
                "streaming a {} MiB file raised peak memory by {:.2} MiB: over the 16 MiB budget",
                FILE_LEN >> 20,
                streamed as f64 / MIB
            );
            std::process::exit(1);
        }
    });
}
