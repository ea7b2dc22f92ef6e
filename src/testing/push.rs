//! The fake server's side of message push: it signs (and in safe or
//! compatible mode encrypts) a message as WeChat does, posts it to a URL the
//! test gives, and checks the reply (its signature, its encryption), so a
//! handler is tested end to end (features `testing` and `receive`).

use std::fmt;

use ring::rand::{SecureRandom, SystemRandom};
use serde_json::{Map, Value, json};

use super::FakeWeChat;
use crate::receive::{EVENTS, PushFormat, PushReceiver, xml};

/// The Token the fake signs pushes with ([`FakeWeChat::push_receiver`]
/// is set up with it).
pub const PUSH_TOKEN: &str = "fake-push-token";
/// The EncodingAESKey the fake encrypts pushes with.
pub const PUSH_ENCODING_AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
/// The `ToUserName` of the fake's pushes (a mini program's original id).
pub const FAKE_ORIGINAL_ID: &str = "gh_0000fake0001";

/// The encryption mode chosen in the admin console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushMode {
    /// 明文模式: the message as it is.
    Plain,
    /// 兼容模式: the message's members and their ciphertext.
    Compatible,
    /// 安全模式: only the ciphertext.
    Safe,
}

/// What the handler answered to a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The body as sent.
    pub body: String,
    /// The reply's message: the body, or its decrypted content when it
    /// came encrypted (after its signature was checked).
    pub reply: String,
    /// The signed query string the push went with, and its body: what an
    /// attacker who saw the request could send again.
    pub sent: (String, String),
}

/// Why a push could not be made or its answer was wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum PushFailure {
    /// The message is not a JSON object.
    NotAnObject,
    /// The request failed.
    Http(reqwest::Error),
    /// The encrypted reply's `MsgSignature` or `Nonce` is wrong, or it
    /// does not decrypt for this app.
    BadReply(String),
}

impl fmt::Display for PushFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushFailure::NotAnObject => f.write_str("a pushed message must be a JSON object"),
            PushFailure::Http(error) => write!(f, "the push failed: {error}"),
            PushFailure::BadReply(why) => write!(f, "the reply is not what WeChat accepts: {why}"),
        }
    }
}

impl std::error::Error for PushFailure {}

/// A message for the event spec `name` (`CustomerServiceImage`): the
/// header and every member filled in from the spec; `None` for a name no
/// spec (of this build's categories) has.
pub fn sample_event(name: &str) -> Option<Value> {
    let meta = EVENTS.iter().find(|meta| meta.name == name)?;
    let mut message = Map::new();
    message.insert("ToUserName".to_owned(), json!(FAKE_ORIGINAL_ID));
    message.insert("FromUserName".to_owned(), json!("o_fake_user_openid"));
    message.insert("CreateTime".to_owned(), json!(crate::store::now_secs()));
    match meta.info_type {
        Some(info_type) => {
            message.remove("ToUserName");
            message.insert("InfoType".to_owned(), json!(info_type));
        }
        None => {
            message.insert("MsgType".to_owned(), json!(meta.msg_type));
        }
    }
    if let Some(event) = meta.event {
        message.insert("Event".to_owned(), json!(event));
    }
    message.extend(super::contract::sample_members(meta.shape)?);
    Some(Value::Object(message))
}

/// `message` as WeChat writes it in `format`: XML puts the members of
/// some events inside their wrapper element.
fn message_text(message: &Map<String, Value>, format: PushFormat) -> String {
    match format {
        PushFormat::Json => Value::Object(message.clone()).to_string(),
        PushFormat::Xml => {
            let msg_type = message.get("MsgType").and_then(Value::as_str).unwrap_or_default();
            let event = message.get("Event").and_then(Value::as_str);
            let info_type = message.get("InfoType").and_then(Value::as_str);
            let wrapper = EVENTS.iter().find(|meta| meta.matches(msg_type, event, info_type)).and_then(|meta| meta.xml_wrapper);
            let Some(wrapper) = wrapper else { return xml::write(message) };
            const HEADER: [&str; 5] = ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Event"];
            let (header, members): (Map<String, Value>, Map<String, Value>) =
                message.clone().into_iter().partition(|(name, _)| HEADER.contains(&name.as_str()));
            let mut wrapped = header;
            wrapped.insert(wrapper.to_owned(), Value::Object(members));
            xml::write(&wrapped)
        }
    }
}

/// A nonce as WeChat sends it: a number, different per push.
fn random_nonce() -> String {
    let mut bytes = [0u8; 4];
    let _ = SystemRandom::new().fill(&mut bytes);
    u32::from_be_bytes(bytes).to_string()
}

impl FakeWeChat {
    /// A receiver set up as the fake pushes: this server's app id,
    /// [`PUSH_TOKEN`] and [`PUSH_ENCODING_AES_KEY`].
    ///
    /// # Panics
    /// Never: the key is valid.
    pub fn push_receiver(&self) -> PushReceiver {
        PushReceiver::new(self.state.app_id.clone(), PUSH_TOKEN).encoding_aes_key(PUSH_ENCODING_AES_KEY).expect("a valid EncodingAESKey")
    }

    /// Pushes `message` (WeChat's JSON form of it; see [`sample_event`])
    /// to `url` as WeChat would, in `format` and `mode`, and returns the
    /// answer, its encrypted reply checked and opened.
    ///
    /// # Errors
    ///
    /// [`PushFailure`] when the message is not an object, the request
    /// fails, or an encrypted reply is wrong.
    pub async fn push(&self, url: &str, message: &Value, format: PushFormat, mode: PushMode) -> Result<PushAnswer, PushFailure> {
        push_with(&self.push_receiver(), url, message, format, mode).await
    }

    /// A receiver set up as the fake pushes to its third-party platform's
    /// authorization event URL: [`FAKE_COMPONENT_APP_ID`](super::FAKE_COMPONENT_APP_ID),
    /// [`PUSH_TOKEN`] and [`PUSH_ENCODING_AES_KEY`].
    ///
    /// # Panics
    /// Never: the key is valid.
    pub fn platform_push_receiver(&self) -> PushReceiver {
        PushReceiver::new(super::FAKE_COMPONENT_APP_ID, PUSH_TOKEN).encoding_aes_key(PUSH_ENCODING_AES_KEY).expect("a valid EncodingAESKey")
    }

    /// Pushes a new `component_verify_ticket` to the platform's URL (XML,
    /// safe mode, as WeChat does every ten minutes); the ticket and the answer.
    ///
    /// # Errors
    ///
    /// As [`push`](Self::push).
    pub async fn push_verify_ticket(&self, url: &str) -> Result<(String, PushAnswer), PushFailure> {
        let ticket = self.new_verify_ticket();
        let message = json!({
            "AppId": super::FAKE_COMPONENT_APP_ID, "CreateTime": crate::store::now_secs(),
            "InfoType": "component_verify_ticket", "ComponentVerifyTicket": ticket,
        });
        let answer = push_with(&self.platform_push_receiver(), url, &message, PushFormat::Xml, PushMode::Safe).await?;
        Ok((ticket, answer))
    }

    /// A merchant authorizes the platform for `authorizer_app_id`: the
    /// `authorized` notification, with a fresh authorization code, pushed
    /// to the platform's URL.
    ///
    /// # Errors
    ///
    /// As [`push`](Self::push).
    pub async fn push_authorized(&self, url: &str, authorizer_app_id: &str) -> Result<PushAnswer, PushFailure> {
        let code = self.authorize(authorizer_app_id);
        let now = crate::store::now_secs();
        let message = json!({
            "AppId": super::FAKE_COMPONENT_APP_ID, "CreateTime": now, "InfoType": "authorized",
            "AuthorizerAppid": authorizer_app_id, "AuthorizationCode": code,
            "AuthorizationCodeExpiredTime": now + 3600, "PreAuthCode": "preauthcode@@@fake",
        });
        push_with(&self.platform_push_receiver(), url, &message, PushFormat::Xml, PushMode::Safe).await
    }

    /// The merchant revokes the authorization: its refresh token stops
    /// working, and the `unauthorized` notification is pushed.
    ///
    /// # Errors
    ///
    /// As [`push`](Self::push).
    pub async fn push_unauthorized(&self, url: &str, authorizer_app_id: &str) -> Result<PushAnswer, PushFailure> {
        self.unauthorize(authorizer_app_id);
        let message = json!({
            "AppId": super::FAKE_COMPONENT_APP_ID, "CreateTime": crate::store::now_secs(),
            "InfoType": "unauthorized", "AuthorizerAppid": authorizer_app_id,
        });
        push_with(&self.platform_push_receiver(), url, &message, PushFormat::Xml, PushMode::Safe).await
    }
}

/// Pushes `message` as `receiver`'s app would get it.
async fn push_with(
    receiver: &PushReceiver,
    url: &str,
    message: &Value,
    format: PushFormat,
    mode: PushMode,
) -> Result<PushAnswer, PushFailure> {
    let Value::Object(members) = message else { return Err(PushFailure::NotAnObject) };
    let text = message_text(members, format);
    let timestamp = crate::store::now_secs().to_string();
    let nonce = random_nonce();
    let openid = members.get("FromUserName").and_then(Value::as_str).unwrap_or_default();
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("signature", &receiver.signature(&timestamp, &nonce))
        .append_pair("timestamp", &timestamp)
        .append_pair("nonce", &nonce)
        .append_pair("openid", openid);
    let body = match mode {
        PushMode::Plain => text,
        PushMode::Compatible | PushMode::Safe => {
            let encrypt = receiver
                .seal(&text, &crate::receive::random_prefix().map_err(|e| PushFailure::BadReply(e.to_string()))?)
                .map_err(|e| PushFailure::BadReply(e.to_string()))?;
            query.append_pair("encrypt_type", "aes").append_pair("msg_signature", &receiver.msg_signature(&timestamp, &nonce, &encrypt));
            envelope(members, &encrypt, format, mode)
        }
    };
    let separator = if url.contains('?') { '&' } else { '?' };
    let http = crate::Client::http_client_builder().map_err(PushFailure::BadReply)?.build().map_err(PushFailure::Http)?;
    let content_type = if format == PushFormat::Json { "application/json" } else { "text/xml" };
    let sent = (query.finish(), body);
    let response = http
        .post(format!("{url}{separator}{}", sent.0))
        .header("content-type", content_type)
        .body(sent.1.clone())
        .send()
        .await
        .map_err(PushFailure::Http)?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(PushFailure::Http)?;
    let reply = open_reply(receiver, &body, format, &nonce)?;
    Ok(PushAnswer { status, body, reply, sent })
}

/// The encrypted request body: `ToUserName` and `Encrypt` (safe mode), or
/// every member and `Encrypt` (compatible mode).
fn envelope(members: &Map<String, Value>, encrypt: &str, format: PushFormat, mode: PushMode) -> String {
    let mut outer = if mode == PushMode::Compatible { members.clone() } else { Map::new() };
    // The platform's notifications name the component app id instead.
    match members.get("AppId").filter(|_| members.contains_key("InfoType")) {
        Some(app_id) => outer.insert("AppId".to_owned(), app_id.clone()),
        None => outer.insert("ToUserName".to_owned(), members.get("ToUserName").cloned().unwrap_or_else(|| json!(FAKE_ORIGINAL_ID))),
    };
    outer.insert("Encrypt".to_owned(), json!(encrypt));
    match format {
        PushFormat::Json => Value::Object(outer).to_string(),
        PushFormat::Xml => xml::write(&outer),
    }
}

/// The reply's message: the body as it is, or, when it is an encrypted
/// envelope, its content after `MsgSignature` and `Nonce` are checked.
fn open_reply(receiver: &PushReceiver, body: &str, format: PushFormat, nonce: &str) -> Result<String, PushFailure> {
    let members = match format {
        PushFormat::Json => match serde_json::from_str::<Value>(body) {
            Ok(Value::Object(members)) => members,
            _ => return Ok(body.to_owned()),
        },
        PushFormat::Xml => match xml::read(body) {
            Ok(members) => members,
            Err(_) => return Ok(body.to_owned()),
        },
    };
    let text = |name: &str| crate::receive::member_text(&members, name);
    let Some(encrypt) = text("Encrypt") else { return Ok(body.to_owned()) };
    let bad = |why: &str| PushFailure::BadReply(why.to_owned());
    let (signature, timestamp, reply_nonce) = (
        text("MsgSignature").ok_or(bad("no MsgSignature"))?,
        text("TimeStamp").ok_or(bad("no TimeStamp"))?,
        text("Nonce").ok_or(bad("no Nonce"))?,
    );
    if reply_nonce != nonce {
        return Err(bad("the Nonce is not the push's"));
    }
    if receiver.msg_signature(&timestamp, &reply_nonce, &encrypt) != signature {
        return Err(bad("the MsgSignature is wrong"));
    }
    receiver.decrypt(&encrypt).map_err(|e| PushFailure::BadReply(e.to_string()))
}
