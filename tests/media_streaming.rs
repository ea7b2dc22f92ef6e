//! Files read as they arrive and sent as they are read: downloads through
//! the `…_stream` methods, uploads from files and readers. Memory use is
//! measured by `benches/media_memory.rs`, not here.

use futures_util::StreamExt;
use wxa::api::customer_service::{GetTempMediaRequest, UploadTempMediaMediaType, UploadTempMediaRequest};
use wxa::testing::{FakeWeChat, ScriptedResponse, generated_media_byte};
use wxa::{ErrorKind, Upload};

const LEN: u64 = 5 * 1024 * 1024 + 17;

fn expected(range: std::ops::Range<u64>) -> Vec<u8> {
    range.map(generated_media_byte).collect()
}

#[tokio::test]
async fn a_large_file_streams_in_chunks_with_its_headers() {
    let fake = FakeWeChat::start().await;
    fake.add_generated_media("BIG", LEN, "video/mp4");
    let mut stream = fake.client().get_temp_media_stream(GetTempMediaRequest::new("BIG")).await.expect("stream");
    assert_eq!(stream.content_type(), Some("video/mp4"));
    assert_eq!(stream.file_name(), Some("BIG.mp4"));
    assert_eq!(stream.content_length(), Some(LEN));
    let mut offset = 0u64;
    let mut chunks = 0;
    while let Some(chunk) = stream.chunk().await.expect("chunk") {
        assert_eq!(chunk.as_ref(), expected(offset..offset + chunk.len() as u64).as_slice(), "at {offset}");
        offset += chunk.len() as u64;
        chunks += 1;
    }
    assert_eq!(offset, LEN);
    assert!(chunks > 10, "{chunks} chunks: not streamed");
    assert!(stream.chunk().await.expect("after the end").is_none());
}

#[tokio::test]
async fn write_to_a_file_and_into_stream_give_the_same_bytes() {
    let fake = FakeWeChat::start().await;
    fake.add_generated_media("BIG", LEN, "image/jpeg");
    let client = fake.client();
    let dir = std::env::temp_dir().join(format!("wxa-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("big.jpg");
    let mut file = tokio::fs::File::create(&path).await.expect("create");
    let mut stream = client.get_temp_media_stream(GetTempMediaRequest::new("BIG")).await.expect("stream");
    assert_eq!(stream.write_to(&mut file).await.expect("written"), LEN);
    assert_eq!(stream.bytes_read(), LEN);
    drop(file);
    let on_disk = std::fs::read(&path).expect("read back");
    assert_eq!(on_disk, expected(0..LEN));

    let stream = client.get_temp_media_stream(GetTempMediaRequest::new("BIG")).await.expect("stream");
    let mut chunks = stream.into_stream();
    // Unpin and Send: usable with `.next()` and across tasks without pinning.
    fn unpin_and_send<T: Unpin + Send + 'static>(_: &T) {}
    unpin_and_send(&chunks);
    let first = chunks.next().await.expect("a chunk").expect("no error");
    let mut chunks: Vec<_> = chunks.collect().await;
    chunks.insert(0, Ok(first));
    let joined: Vec<u8> = chunks.into_iter().flat_map(|c| c.expect("chunk").to_vec()).collect();
    assert_eq!(joined, on_disk);
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[tokio::test]
async fn a_rejected_token_is_refreshed_before_the_file_streams() {
    let fake = FakeWeChat::start().await;
    fake.add_media("M", b"\xff\xd8\xffjpeg".to_vec(), "image/jpeg");
    let client = fake.client();
    client.access_token().await.expect("token");
    fake.rotate_token();
    let media = client.get_temp_media_stream(GetTempMediaRequest::new("M")).await.expect("refreshed").collect().await.expect("whole");
    assert_eq!(media.bytes.as_ref(), b"\xff\xd8\xffjpeg");
    assert_eq!(fake.token_fetches(), 2);
    assert_eq!(fake.calls("/cgi-bin/media/get"), 2);
}

#[tokio::test]
async fn uploads_stream_from_a_file_and_from_a_reader() {
    let fake = FakeWeChat::start().await;
    let client = fake.client();
    let bytes: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    let dir = std::env::temp_dir().join(format!("wxa-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("photo.jpg");
    std::fs::write(&path, &bytes).expect("write");

    let upload = Upload::from_file(&path).await.expect("readable");
    assert_eq!(upload.file_name, "photo.jpg");
    assert!(upload.bytes().is_none());
    client.upload_temp_media(UploadTempMediaRequest::new(UploadTempMediaMediaType::Image, upload)).await.expect("file upload");

    let reader = tokio::fs::File::open(&path).await.expect("open");
    let upload = Upload::from_reader(reader, bytes.len() as u64, "from-reader.png");
    client.upload_temp_media(UploadTempMediaRequest::new(UploadTempMediaMediaType::Image, upload)).await.expect("reader upload");

    let received = fake.uploads();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].file_name.as_deref(), Some("photo.jpg"));
    assert_eq!(received[0].content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(received[1].file_name.as_deref(), Some("from-reader.png"));
    assert_eq!(received[1].content_type.as_deref(), Some("image/png"));
    for upload in &received {
        assert!(upload.bytes.as_ref() == bytes.as_slice(), "{} bytes received", upload.bytes.len());
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[tokio::test]
async fn a_file_upload_is_read_again_for_a_retry_and_a_reader_cannot_be() {
    let fake = FakeWeChat::start().await;
    let client = fake.client();
    let dir = std::env::temp_dir().join(format!("wxa-upload-retry-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("a.jpg");
    std::fs::write(&path, b"\xff\xd8\xff-file").expect("write");
    let request = |upload| UploadTempMediaRequest::new(UploadTempMediaMediaType::Image, upload);

    // A rejected token: the call is sent twice, the file read twice.
    client.access_token().await.expect("token");
    fake.rotate_token();
    client.upload_temp_media(request(Upload::from_file(&path).await.expect("file"))).await.expect("sent again");
    assert_eq!(fake.uploads().last().map(|u| u.bytes.to_vec()), Some(b"\xff\xd8\xff-file".to_vec()));

    // A reader cannot be read twice: WeChat's rejection comes back, and the
    // token is dropped so the next call works.
    client.access_token().await.expect("token");
    fake.rotate_token();
    let reader = std::io::Cursor::new(b"\xff\xd8\xff-reader".to_vec());
    let error = client.upload_temp_media(request(Upload::from_reader(reader, 10, "r.jpg"))).await.expect_err("one shot");
    assert!(matches!(error.api().map(|e| e.code()), Some(40001 | 42001)), "{error:?}");
    let reader = std::io::Cursor::new(b"\xff\xd8\xff-reader".to_vec());
    client.upload_temp_media(request(Upload::from_reader(reader, 10, "r.jpg"))).await.expect("new token");
    assert_eq!(fake.uploads().last().map(|u| u.bytes.to_vec()), Some(b"\xff\xd8\xff-reader".to_vec()));

    // A missing file fails before anything is sent.
    assert!(Upload::from_file(dir.join("missing.jpg")).await.is_err());
    assert!(Upload::from_file(&dir).await.is_err());
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[tokio::test]
async fn a_reader_longer_than_its_stated_length_fails_the_call() {
    let fake = FakeWeChat::start().await;
    let upload = Upload::from_reader(std::io::Cursor::new(vec![7u8; 5_000]), 1_000, "long.jpg");
    let error =
        fake.client().upload_temp_media(UploadTempMediaRequest::new(UploadTempMediaMediaType::Image, upload)).await.expect_err("long");
    assert!(matches!(error.kind(), ErrorKind::Transport(e) if e.to_string().contains("more than its stated 1000 bytes")), "{error:?}");
    assert!(fake.uploads().is_empty(), "a cut file was stored");
}

#[tokio::test]
async fn a_reader_shorter_than_its_stated_length_fails_the_call() {
    let fake = FakeWeChat::start().await;
    let reader = std::io::Cursor::new(vec![1u8; 10]);
    let upload = Upload::from_reader(reader, 1_000, "short.jpg");
    let error =
        fake.client().upload_temp_media(UploadTempMediaRequest::new(UploadTempMediaMediaType::Image, upload)).await.expect_err("short");
    assert!(
        matches!(error.kind(), ErrorKind::Transport(e) if e.to_string().contains("ended after 10 of its stated 1000 bytes")),
        "{error:?}"
    );
    assert!(fake.uploads().is_empty());
    // And the fake's scripted answers still apply to uploads.
    fake.script("/cgi-bin/media/upload", ScriptedResponse::json_error(40004, "invalid media type", "application/json"));
    let upload = Upload::new(b"x".to_vec(), "x.jpg");
    let error =
        fake.client().upload_temp_media(UploadTempMediaRequest::new(UploadTempMediaMediaType::Image, upload)).await.expect_err("40004");
    assert_eq!(error.api().map(|e| e.code()), Some(40004));
}
