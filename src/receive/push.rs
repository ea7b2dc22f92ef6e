//! Receiving WeChat's message pushes (消息推送): the URL check, the
//! `signature` over token, timestamp and nonce, and in safe or compatible
//! mode `msg_signature` over the ciphertext too, AES-256-CBC with the
//! EncodingAESKey (IV = the key's first 16 bytes, PKCS#7 padding to 32
//! bytes), the plaintext `random(16) ‖ length(4, big-endian) ‖ message ‖
//! appid` with its app id checked. Stale timestamps and a nonce seen again
//! within the window are refused: by this process, and by the whole fleet
//! when the receiver has a shared [`NonceStore`].

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::NoPadding};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use super::{same_signature, sha1_hex};
use crate::Secret;
use crate::store::NonceStore;

type Decryptor = cbc::Decryptor<aes::Aes256>;
type Encryptor = cbc::Encryptor<aes::Aes256>;

/// WeChat pads to a multiple of 32 bytes, not AES's 16.
const PAD_BLOCK: usize = 32;

/// Receives the pushes of one mini program, as configured in its admin
/// console (开发 → 开发管理 → 消息推送): the URL check, signatures, safe
/// mode decryption, stale and replayed requests. Works with any web
/// framework: give it the method, the raw query string and the body.
pub struct PushReceiver {
    app_id: String,
    token: Secret,
    aes_key: Option<Zeroizing<[u8; 32]>>,
    max_age: Duration,
    /// Nonces seen within the window, with their timestamps.
    seen: Mutex<HashMap<String, u64>>,
    /// Nonces seen by the fleet, when instances share a store.
    nonce_store: Option<Arc<dyn NonceStore>>,
}

impl fmt::Debug for PushReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushReceiver")
            .field("app_id", &self.app_id)
            .field("token", &self.token)
            .field("aes_key", &self.aes_key.as_ref().map(|_| "<redacted>"))
            .field("max_age", &self.max_age)
            .field("nonce_store", &self.nonce_store.as_ref().map(|_| "shared"))
            .finish_non_exhaustive()
    }
}

/// The EncodingAESKey is not 43 characters of base64 for 32 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushKeyError;

impl fmt::Display for PushKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the EncodingAESKey must be the 43 characters the admin console shows (32 bytes in base64)")
    }
}

impl std::error::Error for PushKeyError {}

/// Why a push was refused. Nothing of a refused push is handed on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushError {
    /// Neither a GET (URL check) nor a POST.
    Method,
    /// A query parameter the request must carry is missing.
    Missing(&'static str),
    /// `signature` or `msg_signature` does not match.
    BadSignature,
    /// The timestamp is further from the local clock than the window.
    Stale {
        /// The request's timestamp, Unix seconds.
        timestamp: u64,
    },
    /// This nonce was already received within the window.
    Replayed,
    /// An encrypted push, and the receiver has no EncodingAESKey.
    NoKey,
    /// The ciphertext, its padding or its layout is wrong.
    BadEncryption(&'static str),
    /// The push was encrypted for another app id.
    ForeignApp,
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::Method => f.write_str("a push is a GET (URL check) or a POST"),
            PushError::Missing(name) => write!(f, "the push has no `{name}`"),
            PushError::BadSignature => f.write_str("the push's signature does not match the token"),
            PushError::Stale { timestamp } => write!(f, "the push's timestamp {timestamp} is outside the accepted window"),
            PushError::Replayed => f.write_str("this push's nonce was already received"),
            PushError::NoKey => f.write_str("an encrypted push, and no EncodingAESKey was given"),
            PushError::BadEncryption(why) => write!(f, "the push could not be decrypted: {why}"),
            PushError::ForeignApp => f.write_str("the push was encrypted for another app id"),
        }
    }
}

impl std::error::Error for PushError {}

/// What a request to the push URL turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Received {
    /// WeChat checking the URL: answer with `echostr` as the body.
    UrlCheck {
        /// The text to answer with.
        echostr: String,
    },
    /// A message or event.
    Push(Push),
}

/// The format the app chose for its pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushFormat {
    /// JSON.
    Json,
    /// XML.
    Xml,
}

/// A verified (and, in safe mode, decrypted) push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// JSON or XML.
    pub format: PushFormat,
    /// The message, as WeChat sent it (decrypted).
    pub text: String,
    /// Whether it came encrypted: a reply other than `success` must then
    /// be encrypted too ([`PushReceiver::reply`] does).
    pub encrypted: bool,
    /// The request's `nonce`, which an encrypted reply echoes.
    pub nonce: String,
}

impl Push {
    /// The JSON message as a value, for a JSON push.
    pub fn json(&self) -> Option<serde_json::Value> {
        (self.format == PushFormat::Json).then(|| serde_json::from_str(&self.text).ok()).flatten()
    }
}

impl PushReceiver {
    /// A receiver for the app's pushes in plaintext mode, with the Token
    /// set in the admin console. Timestamps more than five minutes from the
    /// local clock are refused.
    pub fn new(app_id: impl Into<String>, token: impl Into<Secret>) -> PushReceiver {
        PushReceiver {
            app_id: app_id.into(),
            token: token.into(),
            aes_key: None,
            max_age: Duration::from_secs(300),
            seen: Mutex::new(HashMap::new()),
            nonce_store: None,
        }
    }

    /// The EncodingAESKey, for safe and compatible mode.
    ///
    /// # Errors
    ///
    /// When it is not 43 characters of base64 for 32 bytes.
    pub fn encoding_aes_key(mut self, key: &str) -> Result<PushReceiver, PushKeyError> {
        let key = key.trim();
        if key.len() != 43 {
            return Err(PushKeyError);
        }
        // WeChat's own samples decode leniently: the 43rd character's
        // unused low bits need not be zero (`…ABCDEFG` in the sample code).
        let lenient = base64::engine::GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
        );
        let bytes = Zeroizing::new(lenient.decode(format!("{key}=")).map_err(|_| PushKeyError)?);
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| PushKeyError)?;
        self.aes_key = Some(Zeroizing::new(key));
        Ok(self)
    }

    /// How far a push's timestamp may be from the local clock (five
    /// minutes by default); a nonce is remembered for as long.
    pub fn max_age(mut self, max_age: Duration) -> PushReceiver {
        self.max_age = max_age;
        self
    }

    /// A store the instances of a fleet share (such as `RedisStore`), so
    /// that a push replayed to another instance within the window is
    /// refused too; [`receive_shared`](Self::receive_shared) asks it.
    pub fn nonce_store(mut self, store: Arc<dyn NonceStore>) -> PushReceiver {
        self.nonce_store = Some(store);
        self
    }

    /// Checks one request to the push URL: `method` (`GET` or `POST`),
    /// `query` (the raw query string, without `?`) and `body`. A replayed
    /// nonce is caught in this process only; behind a load balancer use
    /// [`receive_shared`](Self::receive_shared) with a
    /// [`nonce_store`](Self::nonce_store).
    ///
    /// # Errors
    ///
    /// A [`PushError`] for anything WeChat would not have sent.
    pub fn receive(&self, method: &str, query: &str, body: &[u8]) -> Result<Received, PushError> {
        self.receive_at(method, query, body, crate::store::now_secs())
    }

    /// [`receive`](Self::receive), then, for a push that passed, the
    /// fleet's check of its nonce in the [`nonce_store`](Self::nonce_store)
    /// (without one, the same as `receive`). When the store cannot be
    /// reached the push is taken on this process's check alone, with a
    /// warning: refusing every push while Redis is down would lose them.
    ///
    /// # Errors
    ///
    /// A [`PushError`] for anything WeChat would not have sent, and
    /// [`PushError::Replayed`] for a nonce another instance took.
    pub async fn receive_shared(&self, method: &str, query: &str, body: &[u8]) -> Result<Received, PushError> {
        let (received, replay_key) = self.verify_at(method, query, body, crate::store::now_secs())?;
        if let (Some(replay_key), Some(store)) = (replay_key, &self.nonce_store) {
            let key = format!("{}#push#{replay_key}", self.app_id);
            // A timestamp may lie up to `max_age` either side of now, so a
            // replay stays possible until twice that from now.
            match store.first_sighting(&key, self.max_age * 2).await {
                Ok(true) => {}
                Ok(false) => return Err(PushError::Replayed),
                Err(error) => {
                    tracing::warn!(error = %error, "wxa: the nonce store did not answer; a push's nonce was checked in this process only");
                }
            }
        }
        Ok(received)
    }

    fn receive_at(&self, method: &str, query: &str, body: &[u8], now: u64) -> Result<Received, PushError> {
        self.verify_at(method, query, body, now).map(|(received, _)| received)
    }

    /// The checks of `receive`, and for a push the key its replays share
    /// (`timestamp:nonce`), already refused once seen in this process.
    fn verify_at(&self, method: &str, query: &str, body: &[u8], now: u64) -> Result<(Received, Option<String>), PushError> {
        let params: HashMap<String, String> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let param = |name: &'static str| params.get(name).map(String::as_str).ok_or(PushError::Missing(name));
        let (timestamp, nonce) = (param("timestamp")?, param("nonce")?);
        let signature = self.signature(timestamp, nonce);
        if !same_signature(&signature, param("signature")?) {
            return Err(PushError::BadSignature);
        }
        let time: u64 = timestamp.parse().map_err(|_| PushError::Missing("timestamp"))?;
        if now.abs_diff(time) > self.max_age.as_secs() {
            return Err(PushError::Stale { timestamp: time });
        }
        match method {
            "GET" => Ok((Received::UrlCheck { echostr: param("echostr")?.to_owned() }, None)),
            "POST" => {
                let replay_key = format!("{time}:{nonce}");
                self.first_time(&replay_key, time, now)?;
                let text = std::str::from_utf8(body).map_err(|_| PushError::BadEncryption("the body is not UTF-8"))?;
                let format = if text.trim_start().starts_with('<') { PushFormat::Xml } else { PushFormat::Json };
                let push = match encrypted_part(text, format) {
                    None => Push { format, text: text.to_owned(), encrypted: false, nonce: nonce.to_owned() },
                    Some(encrypt) => {
                        let msg_signature = self.msg_signature(timestamp, nonce, &encrypt);
                        if !same_signature(&msg_signature, param("msg_signature")?) {
                            return Err(PushError::BadSignature);
                        }
                        Push { format, text: self.decrypt(&encrypt)?, encrypted: true, nonce: nonce.to_owned() }
                    }
                };
                Ok((Received::Push(push), Some(replay_key)))
            }
            _ => Err(PushError::Method),
        }
    }

    /// Remembers the push's `timestamp:nonce`; refuses one already seen
    /// within the window.
    fn first_time(&self, replay_key: &str, timestamp: u64, now: u64) -> Result<(), PushError> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let window = self.max_age.as_secs();
        seen.retain(|_, at| now.abs_diff(*at) <= window);
        match seen.insert(replay_key.to_owned(), timestamp) {
            Some(_) => Err(PushError::Replayed),
            None => Ok(()),
        }
    }

    /// The message inside `encrypt`, its app id checked.
    pub(crate) fn decrypt(&self, encrypt: &str) -> Result<String, PushError> {
        let key = self.aes_key.as_ref().ok_or(PushError::NoKey)?;
        let mut data = BASE64.decode(encrypt.trim()).map_err(|_| PushError::BadEncryption("the ciphertext is not base64"))?;
        if data.is_empty() || data.len() % PAD_BLOCK != 0 {
            return Err(PushError::BadEncryption("the ciphertext is not whole blocks"));
        }
        let iv: [u8; 16] = key[..16].try_into().map_err(|_| PushError::NoKey)?;
        let plain = Decryptor::new(key.as_ref().into(), &iv.into())
            .decrypt_padded_mut::<NoPadding>(&mut data)
            .map_err(|_| PushError::BadEncryption("the ciphertext is not whole blocks"))?;
        let unpadded = unpad(plain)?;
        let (message, app_id) = split_plaintext(unpadded)?;
        if app_id != self.app_id.as_bytes() {
            return Err(PushError::ForeignApp);
        }
        String::from_utf8(message.to_vec()).map_err(|_| PushError::BadEncryption("the message is not UTF-8"))
    }

    /// A reply in safe mode: `reply` encrypted, with `MsgSignature`,
    /// `TimeStamp` and `Nonce`, in the push's format. Replies of `success`
    /// or nothing need no encryption.
    ///
    /// # Errors
    ///
    /// [`PushError::NoKey`] without an EncodingAESKey.
    pub fn encrypt_reply(&self, reply: &str, format: PushFormat, nonce: &str) -> Result<String, PushError> {
        self.encrypt_reply_with(reply, format, nonce, crate::store::now_secs(), &random_prefix()?)
    }

    fn encrypt_reply_with(
        &self,
        reply: &str,
        format: PushFormat,
        nonce: &str,
        timestamp: u64,
        random: &[u8; 16],
    ) -> Result<String, PushError> {
        let encrypt = self.seal(reply, random)?;
        let timestamp = timestamp.to_string();
        let signature = self.msg_signature(&timestamp, nonce, &encrypt);
        Ok(match format {
            PushFormat::Json => serde_json::json!({"Encrypt": encrypt, "MsgSignature": signature, "TimeStamp": timestamp.parse::<u64>().unwrap_or(0), "Nonce": nonce}).to_string(),
            PushFormat::Xml => format!(
                "<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt><MsgSignature><![CDATA[{signature}]]></MsgSignature><TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
            ),
        })
    }

    /// `message` encrypted as WeChat does, base64: `random ‖ length ‖
    /// message ‖ appid`, padded to 32 bytes, AES-256-CBC.
    pub(crate) fn seal(&self, message: &str, random: &[u8; 16]) -> Result<String, PushError> {
        let key = self.aes_key.as_ref().ok_or(PushError::NoKey)?;
        let mut plain = Vec::with_capacity(20 + message.len() + self.app_id.len() + PAD_BLOCK);
        plain.extend_from_slice(random);
        plain.extend_from_slice(&u32::try_from(message.len()).unwrap_or(u32::MAX).to_be_bytes());
        plain.extend_from_slice(message.as_bytes());
        plain.extend_from_slice(self.app_id.as_bytes());
        let pad = PAD_BLOCK - plain.len() % PAD_BLOCK;
        plain.extend(std::iter::repeat_n(pad as u8, pad));
        let len = plain.len();
        let iv: [u8; 16] = key[..16].try_into().map_err(|_| PushError::NoKey)?;
        let cipher = Encryptor::new(key.as_ref().into(), &iv.into())
            .encrypt_padded_mut::<NoPadding>(&mut plain, len)
            .map_err(|_| PushError::BadEncryption("the message could not be encrypted"))?;
        Ok(BASE64.encode(cipher))
    }

    /// `signature`: SHA-1 over the sorted token, timestamp and nonce.
    pub(crate) fn signature(&self, timestamp: &str, nonce: &str) -> String {
        sha1_hex(&sorted(&[self.token.expose(), timestamp, nonce]))
    }

    /// `msg_signature`: SHA-1 over the sorted token, timestamp, nonce and ciphertext.
    pub(crate) fn msg_signature(&self, timestamp: &str, nonce: &str, encrypt: &str) -> String {
        sha1_hex(&sorted(&[self.token.expose(), timestamp, nonce, encrypt]))
    }
}

/// The strings sorted byte-wise, as bytes.
fn sorted<'a>(parts: &[&'a str]) -> Vec<&'a [u8]> {
    let mut parts: Vec<&[u8]> = parts.iter().map(|p| p.as_bytes()).collect();
    parts.sort_unstable();
    parts
}

/// The `Encrypt` member of an encrypted push, when there is one.
fn encrypted_part(text: &str, format: PushFormat) -> Option<String> {
    match format {
        PushFormat::Json => serde_json::from_str::<serde_json::Value>(text).ok()?.get("Encrypt")?.as_str().map(str::to_owned),
        PushFormat::Xml => {
            let start = text.find("<Encrypt>")? + "<Encrypt>".len();
            let inner = &text[start..start + text[start..].find("</Encrypt>")?];
            let inner = inner.trim();
            Some(inner.strip_prefix("<![CDATA[").and_then(|rest| rest.strip_suffix("]]>")).unwrap_or(inner).to_owned())
        }
    }
}

/// PKCS#7 to 32: the last byte says how many bytes (1 to 32) to drop, all
/// of that value.
fn unpad(plain: &[u8]) -> Result<&[u8], PushError> {
    let bad = PushError::BadEncryption("the padding is wrong");
    let pad = usize::from(*plain.last().ok_or(bad.clone())?);
    if pad == 0 || pad > PAD_BLOCK || pad > plain.len() || plain[plain.len() - pad..].iter().any(|b| usize::from(*b) != pad) {
        return Err(bad);
    }
    Ok(&plain[..plain.len() - pad])
}

/// `random(16) ‖ length(4) ‖ message ‖ appid` → (message, appid).
fn split_plaintext(plain: &[u8]) -> Result<(&[u8], &[u8]), PushError> {
    let bad = PushError::BadEncryption("the decrypted layout is wrong");
    let length = plain.get(16..20).ok_or(bad.clone())?;
    let length = u32::from_be_bytes([length[0], length[1], length[2], length[3]]) as usize;
    let message = plain.get(20..20usize.checked_add(length).ok_or(bad.clone())?).ok_or(bad)?;
    Ok((message, &plain[20 + length..]))
}

/// The random prefix of an encrypted message (the reply's, or the fake
/// server's pushes).
pub(crate) fn random_prefix() -> Result<[u8; 16], PushError> {
    let mut random = [0u8; 16];
    SystemRandom::new().fill(&mut random).map_err(|_| PushError::BadEncryption("no system randomness"))?;
    Ok(hex16(&random))
}

/// 16 random bytes written as 16 lowercase hex digits (what WeChat's own
/// samples use as the random prefix).
fn hex16(random: &[u8; 16]) -> [u8; 16] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 16];
    for (slot, byte) in out.iter_mut().zip(random) {
        *slot = HEX[usize::from(byte & 0x0f)];
    }
    out
}

#[cfg(test)]
mod tests {
    //! Known answers from the message-push page's examples (token `AAAAA`,
    //! an all-`A` EncodingAESKey) and the official sample code's test
    //! (a key that is not all zeros, which pins the IV to the key's start).

    use super::*;

    const APP_ID: &str = "wxba5fad812f8e6fb9";
    const ENCRYPT: &str = "+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=";
    const MESSAGE: &str = r#"{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714112445,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}"#;
    const SAFE_QUERY: &str = "signature=6c5c811b55cc85e0e1b54100749188c20beb3f5d&timestamp=1714112445&nonce=415670741&openid=o9AgO5Kd5ggOC-bXrbNODIiE3bGY&encrypt_type=aes&msg_signature=046e02f8204d34f8ba5fa3b1db94908f3df2e9b3";

    fn receiver() -> PushReceiver {
        PushReceiver::new(APP_ID, "AAAAA").encoding_aes_key(&"A".repeat(43)).expect("key")
    }

    fn safe_body() -> String {
        format!(r#"{{"ToUserName":"gh_97417a04a28d","Encrypt":"{ENCRYPT}"}}"#)
    }

    #[test]
    fn the_official_url_check_answers_with_echostr() {
        let query = "signature=f464b24fc39322e44b38aa78f5edd27bd1441696&echostr=4375120948345356249&timestamp=1714036504&nonce=1514711492";
        let received = receiver().receive_at("GET", query, b"", 1714036504).expect("accepted");
        assert_eq!(received, Received::UrlCheck { echostr: "4375120948345356249".to_owned() });
        let forged = query.replace("f464b24f", "f464b24e");
        assert_eq!(receiver().receive_at("GET", &forged, b"", 1714036504), Err(PushError::BadSignature));
    }

    #[test]
    fn the_official_plaintext_push_is_accepted() {
        let query = "signature=899cf89e464efb63f54ddac96b0a0a235f53aa78&timestamp=1714037059&nonce=486452656";
        let body = MESSAGE.replace("1714112445", "1714037059");
        let Received::Push(push) = receiver().receive_at("POST", query, body.as_bytes(), 1714037059).expect("accepted") else {
            panic!("a push")
        };
        assert_eq!((push.format, push.encrypted), (PushFormat::Json, false));
        assert_eq!(push.json().expect("JSON")["Event"], "debug_demo");
    }

    #[test]
    fn the_official_safe_mode_push_decrypts_to_the_published_message() {
        let Received::Push(push) = receiver().receive_at("POST", SAFE_QUERY, safe_body().as_bytes(), 1714112445).expect("accepted") else {
            panic!("a push")
        };
        assert_eq!((push.text.as_str(), push.encrypted), (MESSAGE, true));
    }

    #[test]
    fn the_official_xml_push_decrypts() {
        let receiver = PushReceiver::new("wx134c8103faa5a59e", "AAAAA").encoding_aes_key(&"A".repeat(43)).expect("key");
        let query = "signature=cc0c594499c1634947d5b502f158ee518947db27&timestamp=1715943329&nonce=1590219412&openid=o9AgO5Kd5ggOC-bXrbNODIiE3bGY&encrypt_type=aes&msg_signature=6c12a4205838198b8fa631b3220723bb07f1015c";
        let body = "<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName><Encrypt><![CDATA[D7yzvUNAL930rd28wf21s4hvXhz0L6Uit/p2Di6C5DHyYGpEgdBRnKjBec34JwoQXicwaZC7fOVihW80F4VtsdvE//1vr7oAbqjDv8KenVp+ajKYpJnyQ4zMRhIC+a31fCVOMC03FfzV/QuC94kBP55a+Za3sJgvAn+ZbsNqZI5DkyuzkhQN8OBqCzFhizGmy0xpM0MEA4agpvE+RuNO1rhHTtuJB5yltw1FiYzecSXJ+y/D2r81VkRn2eYjh2ltsoyfbDR7Is6ookXIFxTfyeNyeHxMeT4KN5WpCDmSbTcUYrbBUlkGLJ9n/rU8YOywma6G7aTb7KZKOqCxgfoUlYEZPk4FUL/TK7ShriFDMVCLyjQJ15Ob++agDWtcxhfUfe6HIoIpRW8mKNBQiY/Jd1svvuskA1wLef1RTtzKfMpagSCX/laZINmdnX4zrF6kIaR9P4xQrWXbsTFHTYe0Mg==]]></Encrypt></xml>";
        let Received::Push(push) = receiver.receive_at("POST", query, body.as_bytes(), 1715943329).expect("accepted") else {
            panic!("a push")
        };
        assert_eq!(push.format, PushFormat::Xml);
        assert!(
            push.text.starts_with("<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName>\n")
                && push.text.ends_with("</debug_str>\n</xml>")
        );
        // The same push read by the app it was not encrypted for.
        assert_eq!(self::receiver().receive_at("POST", query, body.as_bytes(), 1715943329), Err(PushError::ForeignApp));
    }

    /// A signed plaintext push stamped now, as its query and body.
    fn signed_now(receiver: &PushReceiver, nonce: &str) -> (String, &'static str) {
        let now = crate::store::now_secs().to_string();
        (format!("signature={}&timestamp={now}&nonce={nonce}", receiver.signature(&now, nonce)), r#"{"MsgType":"text"}"#)
    }

    #[tokio::test]
    async fn instances_sharing_a_nonce_store_refuse_what_another_took() {
        let store = Arc::new(crate::store::MemoryStore::new());
        let (one, two) = (receiver().nonce_store(store.clone()), receiver().nonce_store(store));
        let (query, body) = signed_now(&one, "77");
        assert!(matches!(one.receive_shared("POST", &query, body.as_bytes()).await, Ok(Received::Push(_))));
        assert_eq!(two.receive_shared("POST", &query, body.as_bytes()).await, Err(PushError::Replayed));
        assert!(receiver().receive_shared("POST", &query, body.as_bytes()).await.is_ok(), "no shared store: this process's check only");
        let (other, _) = signed_now(&one, "78");
        assert!(two.receive_shared("POST", &other, body.as_bytes()).await.is_ok(), "another nonce");
        // The URL check is no push: checked again and again.
        let (check, _) = signed_now(&one, "79");
        let check = format!("{check}&echostr=hello");
        for _ in 0..2 {
            assert!(matches!(two.receive_shared("GET", &check, b"").await, Ok(Received::UrlCheck { .. })));
        }
    }

    #[test]
    fn stale_replayed_and_tampered_pushes_are_refused() {
        let receiver = receiver();
        assert_eq!(
            receiver.receive_at("POST", SAFE_QUERY, safe_body().as_bytes(), 1714112445 + 301),
            Err(PushError::Stale { timestamp: 1714112445 })
        );
        assert!(receiver.receive_at("POST", SAFE_QUERY, safe_body().as_bytes(), 1714112445).is_ok());
        assert_eq!(receiver.receive_at("POST", SAFE_QUERY, safe_body().as_bytes(), 1714112446), Err(PushError::Replayed));
        let tampered = safe_body().replace("+qdx1", "+qdx2");
        assert_eq!(self::receiver().receive_at("POST", SAFE_QUERY, tampered.as_bytes(), 1714112445), Err(PushError::BadSignature));
        assert_eq!(
            PushReceiver::new(APP_ID, "AAAAA").receive_at("POST", SAFE_QUERY, safe_body().as_bytes(), 1714112445),
            Err(PushError::NoKey)
        );
        assert_eq!(receiver.receive_at("PUT", SAFE_QUERY, b"", 1714112445), Err(PushError::Method));
        assert_eq!(receiver.receive_at("POST", "timestamp=1&nonce=2", b"", 1), Err(PushError::Missing("signature")));
    }

    #[test]
    fn the_official_replies_encrypt_to_the_published_envelopes() {
        let reply = receiver()
            .encrypt_reply_with(r#"{"demo_resp":"good luck"}"#, PushFormat::Json, "415670741", 1713424427, b"707722b803182950")
            .expect("encrypted");
        let expected = serde_json::json!({"Encrypt": "ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==", "MsgSignature": "1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1", "TimeStamp": 1713424427, "Nonce": "415670741"});
        assert_eq!(serde_json::from_str::<serde_json::Value>(&reply).expect("JSON"), expected);
        // The sample code's test: a key that is not all zeros.
        let sample = PushReceiver::new("wxb11529c136998cb6", "pamtest")
            .encoding_aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
            .expect("key");
        let reply =
            sample.encrypt_reply_with("我是中文abcd123", PushFormat::Xml, "xxxxxx", 1409304348, b"aaaabbbbccccdddd").expect("encrypted");
        assert!(
            reply.contains(
                "<Encrypt><![CDATA[jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==]]></Encrypt>"
            ),
            "{reply}"
        );
        // What the receiver encrypts, it decrypts.
        let encrypt = reply.split("<![CDATA[").nth(1).and_then(|rest| rest.split("]]>").next()).expect("Encrypt");
        assert_eq!(sample.decrypt(encrypt).as_deref(), Ok("我是中文abcd123"));
    }

    #[test]
    fn padding_and_layout_errors_are_typed() {
        assert_eq!(unpad(&[1, 2, 0]), Err(PushError::BadEncryption("the padding is wrong")));
        assert_eq!(unpad(&[33; 40]), Err(PushError::BadEncryption("the padding is wrong")));
        assert_eq!(unpad(&[5, 3, 3]), Err(PushError::BadEncryption("the padding is wrong")));
        assert_eq!(unpad(&[5, 2, 2]), Ok(&[5][..]));
        assert!(split_plaintext(&[0; 19]).is_err());
        let mut long = vec![0u8; 16];
        long.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(split_plaintext(&long).is_err());
        assert!(PushReceiver::new(APP_ID, "t").encoding_aes_key("short").is_err());
        let printed = format!("{:?}", receiver());
        assert!(!printed.contains("AAAAA") && printed.contains("<redacted>"), "{printed}");
    }
}
