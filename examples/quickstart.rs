//! Downloads a temporary media file through wxa, printing each step.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! Without credentials it starts the fake WeChat server on loopback, so you
//! see a real HTTP exchange with no WeChat account. With `WXA_APP_ID`,
//! `WXA_APP_SECRET` and `WXA_MEDIA_ID` set it calls the real API instead.

use wxa::api::customer_service::{GetTempMediaError, GetTempMediaRequest};
use wxa::testing::FakeWeChat;
use wxa::{Client, ErrorKind};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let real = (std::env::var("WXA_APP_ID"), std::env::var("WXA_APP_SECRET"));
    // Keeps the fake server alive for the whole example.
    let (client, media_id, _fake) = match real {
        (Ok(app_id), Ok(secret)) => {
            println!("1. Using the real WeChat API for app {app_id}");
            let media_id = std::env::var("WXA_MEDIA_ID").map_err(|_| "set WXA_MEDIA_ID to a media id from a customer-service message")?;
            (Client::new(app_id, secret)?, media_id, None)
        }
        _ => {
            let fake = FakeWeChat::start().await;
            println!("1. Started a fake WeChat server at {}", fake.base_url());
            fake.add_media("MEDIA_ID_FROM_A_USER", &b"\xff\xd8\xff\xe0 pretend this is a JPEG"[..], "image/jpeg");
            println!("   It holds one image, media id MEDIA_ID_FROM_A_USER");
            (fake.client(), "MEDIA_ID_FROM_A_USER".to_owned(), Some(fake))
        }
    };
    println!("2. Built {client:?}");

    println!("3. Downloading {media_id} (the client fetches an access token first)");
    let media = client.get_temp_media(GetTempMediaRequest::new(media_id)).await?;
    println!(
        "   Got {} bytes, content type {:?}, file name {:?}",
        media.bytes.len(),
        media.content_type.as_deref().unwrap_or("-"),
        media.file_name.as_deref().unwrap_or("-")
    );

    println!("4. Asking for a media id that does not exist");
    match client.get_temp_media(GetTempMediaRequest::new("NO_SUCH_MEDIA")).await {
        Err(error) => match error.kind() {
            ErrorKind::Api(GetTempMediaError::InvalidMediaId(body)) => {
                println!("   WeChat said {} ({}); request id {:?}", body.code, body.message, body.rid().unwrap_or("-"))
            }
            // One line: the endpoint, what happened, attempts and time.
            _ => println!("   Failed otherwise: {error}"),
        },
        Ok(_) => println!("   Unexpectedly found it"),
    }
    if let Some(fake) = &_fake {
        println!("5. The fake server saw {} token fetch(es) and {} media call(s)", fake.token_fetches(), fake.calls("/cgi-bin/media/get"));
    }
    Ok(())
}
