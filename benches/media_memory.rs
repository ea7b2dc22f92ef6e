//! Peak memory of moving a 200 MiB file over loopback, in one run:
//! - download from the fake WeChat server: streamed (`get_temp_media_stream`
//!   into a sink) against the same file read whole (`get_temp_media`, the
//!   baseline);
//! - upload to a server that reads and discards: `Upload::from_file`
//!   against `Upload::new` with the file read into memory (the baseline).
//!
//! A counting allocator sees every heap allocation of the process (client,
//! HTTP stack and the fake server, which makes the file as it sends it and
//! never holds it), so "peak" is the highest live heap above what was live
//! before the download began.
//!
//! Prints `memory <streamed peak MiB> <whole peak MiB> <ratio>` and
//! `upload <from file peak MiB> <from memory peak MiB> <ratio>`, and exits
//! with an error when the streamed peak reaches 4 MiB: a quarter of the
//! 16 MiB the project promises, so that a stream which starts buffering a
//! few MiB is caught long before it breaks the promise.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use wxa::api::customer_service::{GetTempMediaRequest, UploadTempMediaMediaType, UploadTempMediaRequest};
use wxa::testing::FakeWeChat;
use wxa::{AccessToken, Client, Upload};

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
        let (from_file, from_memory) = uploads().await;
        println!("upload {:.2} {:.2} {:.4}", from_file as f64 / MIB, from_memory as f64 / MIB, from_file as f64 / from_memory as f64);
        if from_file >= BUDGET {
            eprintln!("uploading a {} MiB file raised peak memory by {:.2} MiB", FILE_LEN >> 20, from_file as f64 / MIB);
            std::process::exit(1);
        }
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

/// A server that reads each request's body and throws it away, then
/// answers as uploadTempMedia does: the upload's memory is the client's
/// alone.
async fn discarding_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut reader = BufReader::new(socket);
                loop {
                    let mut length = 0u64;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some((name, value)) = line.split_once(':')
                            && name.eq_ignore_ascii_case("content-length")
                        {
                            length = value.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut sink = tokio::io::sink();
                    if tokio::io::copy(&mut (&mut reader).take(length), &mut sink).await.is_err() {
                        return;
                    }
                    let body = r#"{"type":"image","media_id":"DISCARDED","created_at":1700000000}"#;
                    let answer =
                        format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}", body.len());
                    if reader.get_mut().write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{address}")
}

/// Peak heap of uploading the file from disk, and from memory.
async fn uploads() -> (usize, usize) {
    let server = discarding_server().await;
    let source = wxa::token_source_fn(|_| async { Ok(AccessToken::new("BENCH_TOKEN", Duration::from_secs(7200))) });
    let client = Client::builder()
        .base_url(server)
        .token_source(std::sync::Arc::new(source))
        .timeout(Duration::from_secs(300))
        .build()
        .expect("client");
    let path = std::env::temp_dir().join(format!("wxa-bench-upload-{}.jpg", std::process::id()));
    {
        let mut file = tokio::fs::File::create(&path).await.expect("create");
        let block: Vec<u8> = (0..1024 * 1024u32).map(|i| (i % 251) as u8).collect();
        for _ in 0..FILE_LEN >> 20 {
            file.write_all(&block).await.expect("write");
        }
    }
    let request = |upload| UploadTempMediaRequest::new(UploadTempMediaMediaType::Image, upload);
    // Warm up: token and connection.
    client.upload_temp_media(request(Upload::new(vec![0xff; 16], "warm.jpg"))).await.expect("warm");
    let (from_file, _) = peak_of(async {
        let upload = Upload::from_file(&path).await.expect("file");
        client.upload_temp_media(request(upload)).await.expect("from file");
        0
    })
    .await;
    let (from_memory, _) = peak_of(async {
        let bytes = tokio::fs::read(&path).await.expect("read");
        client.upload_temp_media(request(Upload::new(bytes, "big.jpg"))).await.expect("from memory");
        0
    })
    .await;
    std::fs::remove_file(&path).expect("clean up");
    (from_file, from_memory)
}
