//! A customer-service bot, end to end against the fake WeChat server: a
//! user sends an image to the mini program's customer service, WeChat
//! pushes the message to our server (safe mode, XML), we download the
//! image with `get_temp_media` and answer with `send_custom_message`.
//!
//! ```text
//! cargo run --example customer_service_bot --features receive-axum
//! ```
//!
//! Against the real WeChat, the same route serves the URL configured in
//! the admin console (开发 → 开发管理 → 消息推送); only the receiver's
//! app id, Token and EncodingAESKey change.

use serde_json::json;
use wxa::Client;
use wxa::api::customer_service::{GetTempMediaRequest, SendCustomMessageMsgtype, SendCustomMessageRequest, SendCustomMessageText};
use wxa::receive::{Event, PushFormat, Pushed, Reply};
use wxa::testing::{FakeWeChat, PushMode};

/// What the bot does with one push; every other event is acknowledged.
async fn handle(client: Client, pushed: Pushed) -> Result<(), String> {
    let Event::CustomerServiceImage(image) = pushed.event else { return Ok(()) };
    let media = client.get_temp_media(GetTempMediaRequest::new(image.media_id.as_str())).await.map_err(|e| e.to_string())?;
    let answer = format!("Thanks! We got your image ({} bytes).", media.bytes.len());
    let request = SendCustomMessageRequest::new(pushed.header.from_user_name, SendCustomMessageMsgtype::Text)
        .text(SendCustomMessageText::new(answer));
    client.send_custom_message(request).await.map_err(|e| e.to_string())?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fake = FakeWeChat::start().await;
    let image: &[u8] = b"\xff\xd8\xff\xe0 pretend this is a JPEG";
    fake.add_media("MEDIA_FROM_A_USER", image, "image/jpeg");
    let client = fake.client();

    // Our server: one route for the push URL.
    let route = wxa::receive::axum::push_route(fake.push_receiver(), move |pushed| {
        let client = client.clone();
        async move {
            match pushed {
                Ok(pushed) => {
                    if let Err(error) = handle(client, pushed).await {
                        eprintln!("could not answer the user: {error}");
                    }
                }
                Err(error) => eprintln!("a push did not fit its spec: {error}"),
            }
            Reply::Success
        }
    });
    let app = axum::Router::new().route("/wechat/push", route);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/wechat/push", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("1. Serving the push URL at {url}");

    // WeChat (the fake) pushes the user's image, encrypted, as XML.
    let message = json!({
        "ToUserName": wxa::testing::FAKE_ORIGINAL_ID,
        "FromUserName": "o_the_user",
        "CreateTime": 1700000000,
        "MsgType": "image",
        "PicUrl": "https://example.invalid/pic.jpg",
        "MediaId": "MEDIA_FROM_A_USER",
        "MsgId": 24000000000000001u64,
    });
    let answer = fake.push(&url, &message, PushFormat::Xml, PushMode::Safe).await?;
    println!("2. Pushed an image message; our server answered {} {:?}", answer.status, answer.reply);

    let sent = fake.requests("/cgi-bin/message/custom/send");
    let reply = sent.first().and_then(|request| request.json.clone()).ok_or("the bot sent no customer-service message")?;
    println!("3. The bot downloaded the image and sent: {reply}");
    assert_eq!(reply["touser"], "o_the_user");
    assert_eq!(reply["text"]["content"], format!("Thanks! We got your image ({} bytes).", image.len()));
    assert_eq!(fake.calls("/cgi-bin/media/get"), 1);
    Ok(())
}
