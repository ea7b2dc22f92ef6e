//! WeChat's API security mode (服务端 API 签名加密), as the official guide
//! describes it:
//! <https://developers.weixin.qq.com/miniprogram/dev/server/getting_started/api_signature.html>.
//!
//! A secured call sends, instead of its query and body, one JSON envelope
//! `{"iv", "data", "authtag"}`: AES-256-GCM over a JSON object of every
//! parameter (query and body, not the access token) plus `_n` (a random
//! nonce), `_appid` and `_timestamp`, with the additional data
//! `urlpath|appid|timestamp|key serial`. The envelope's exact bytes are
//! signed with RSASSA-PSS (SHA-256, salt 32) over
//! `urlpath\nappid\ntimestamp\nbody`, sent in `Wechatmp-Signature` with
//! `Wechatmp-Appid` and `Wechatmp-TimeStamp`. The answer comes back the same
//! way, signed with WeChat's platform certificate: it is checked before a
//! byte of it is read, then decrypted.
//!
//! `urlpath` is the URL on WeChat's API host (`https://api.weixin.qq.com`
//! and the endpoint's path), whatever base URL the client sends to: a
//! proxy forwards the request, and WeChat checks the signature against its
//! own URL.
//!
//! AES-GCM and RSA come from `ring`, the certificate's key from
//! `rustls-webpki`; both are already built for TLS. SM4_GCM and SM2withSM3
//! are not offered: no crate of the same standing provides them, and
//! [`ApiSecurityKeys::new`] says so when asked.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{RSA_PSS_SHA256, RsaKeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use zeroize::Zeroizing;

use crate::error::PrepareError;
use crate::runtime::{RequestBody, RequestParts};

/// The host whose URLs are signed, whatever base URL the client uses.
pub(crate) const SIGNED_HOST: &str = "https://api.weixin.qq.com";

/// How far an answer's timestamp may be from the local clock, as the
/// official demo checks.
const ANSWER_WINDOW_SECS: u64 = 300;

/// The keys of the API security mode, from the admin console (开发 → 开发管理
/// → 开发设置 → API安全), for [`ClientBuilder::api_security`](crate::ClientBuilder::api_security).
///
/// Secrets: the symmetric key and the private key are never printed,
/// logged or sent; `Debug` shows the serial numbers only.
#[derive(Clone)]
pub struct ApiSecurityKeys {
    inner: Arc<Keys>,
    every_supported_call: bool,
}

struct Keys {
    symmetric_sn: String,
    symmetric_key: LessSafeKey,
    app_key_sn: String,
    app_key: RsaKeyPair,
    platform_sn: String,
    platform_certificate: CertificateDer<'static>,
}

/// Keys that cannot be used, from [`ApiSecurityKeys::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiSecurityKeyError {
    /// The symmetric key is not the base64 of 32 bytes.
    SymmetricKey,
    /// The private key is not an RSA key in PEM (PKCS#1 or PKCS#8); the
    /// reason never quotes the key.
    PrivateKey(String),
    /// The platform certificate is not an X.509 certificate in PEM.
    PlatformCertificate(String),
    /// A serial number is empty.
    EmptySerial(&'static str),
    /// The console's algorithm is one wxa does not implement.
    UnsupportedAlgorithm(&'static str),
}

impl fmt::Display for ApiSecurityKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiSecurityKeyError::SymmetricKey => f.write_str("the API security symmetric key must be the base64 of 32 bytes (AES256_GCM)"),
            ApiSecurityKeyError::PrivateKey(reason) => write!(f, "the API security private key is not a usable RSA key in PEM: {reason}"),
            ApiSecurityKeyError::PlatformCertificate(reason) => write!(f, "the API security platform certificate is not usable: {reason}"),
            ApiSecurityKeyError::EmptySerial(which) => write!(f, "the serial number of the {which} is empty"),
            ApiSecurityKeyError::UnsupportedAlgorithm(name) => write!(
                f,
                "the API security algorithm {name} is not supported by wxa (no well-kept Rust crate offers it); choose AES256_GCM with RSAwithSHA256 in the admin console"
            ),
        }
    }
}

impl std::error::Error for ApiSecurityKeyError {}

/// Why a secured answer was refused. Nothing of a refused answer is read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiSecurityError {
    /// A successful answer came without the platform's signature.
    Unsigned,
    /// The answer is signed with a certificate whose serial number is not
    /// the one the client was given (nor, during a rotation, its
    /// predecessor): download the new platform certificate.
    UnknownCertificate {
        /// The serial number the answer names.
        serial: String,
    },
    /// The signature does not verify with the platform certificate.
    BadSignature,
    /// The answer is signed for another app id.
    ForeignApp,
    /// The answer's timestamp is more than five minutes from the local
    /// clock.
    Stale {
        /// The answer's timestamp, Unix seconds.
        timestamp: u64,
    },
    /// The signed answer is not an envelope that decrypts with the
    /// symmetric key, or its content contradicts its headers.
    Undecryptable(&'static str),
}

impl fmt::Display for ApiSecurityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiSecurityError::Unsigned => f.write_str("a secured call was answered without WeChat's signature"),
            ApiSecurityError::UnknownCertificate { serial } => {
                write!(f, "the answer is signed with platform certificate {serial}, which this client does not hold")
            }
            ApiSecurityError::BadSignature => f.write_str("the answer's signature does not verify with the platform certificate"),
            ApiSecurityError::ForeignApp => f.write_str("the answer is signed for another app id"),
            ApiSecurityError::Stale { timestamp } => {
                write!(f, "the answer's timestamp {timestamp} is more than five minutes from the local clock")
            }
            ApiSecurityError::Undecryptable(why) => write!(f, "the signed answer could not be decrypted: {why}"),
        }
    }
}

impl std::error::Error for ApiSecurityError {}

impl fmt::Debug for ApiSecurityKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiSecurityKeys")
            .field("symmetric_sn", &self.inner.symmetric_sn)
            .field("symmetric_key", &"<redacted>")
            .field("app_key_sn", &self.inner.app_key_sn)
            .field("app_key", &"<redacted>")
            .field("platform_sn", &self.inner.platform_sn)
            .field("every_supported_call", &self.every_supported_call)
            .finish()
    }
}

impl ApiSecurityKeys {
    /// The keys for AES256_GCM with RSAwithSHA256, as the admin console
    /// shows them: the symmetric key (base64) and its serial number, the
    /// app's RSA private key (PEM, PKCS#1 or PKCS#8) and the serial number
    /// of its public key, the platform certificate (PEM) and its serial
    /// number (the console's 编号, not the certificate's own).
    ///
    /// Only calls whose spec requires the mode are secured, unless
    /// [`for_every_supported_call`](Self::for_every_supported_call) is set.
    ///
    /// # Errors
    ///
    /// When a key does not parse or a serial number is empty; the errors
    /// never quote a key.
    pub fn new(
        symmetric_sn: impl Into<String>,
        symmetric_key_base64: &str,
        app_key_sn: impl Into<String>,
        app_private_key_pem: &str,
        platform_sn: impl Into<String>,
        platform_certificate_pem: &str,
    ) -> Result<ApiSecurityKeys, ApiSecurityKeyError> {
        let (symmetric_sn, app_key_sn, platform_sn) = (symmetric_sn.into(), app_key_sn.into(), platform_sn.into());
        for (serial, which) in [(&symmetric_sn, "symmetric key"), (&app_key_sn, "app key"), (&platform_sn, "platform certificate")] {
            if serial.trim().is_empty() {
                return Err(ApiSecurityKeyError::EmptySerial(which));
            }
        }
        let raw = Zeroizing::new(BASE64.decode(symmetric_key_base64.trim()).map_err(|_| ApiSecurityKeyError::SymmetricKey)?);
        let key = UnboundKey::new(&AES_256_GCM, &raw).map_err(|_| ApiSecurityKeyError::SymmetricKey)?;
        let app_key = rsa_key(app_private_key_pem)?;
        let platform_certificate = CertificateDer::from_pem_slice(platform_certificate_pem.as_bytes())
            .map_err(|e| ApiSecurityKeyError::PlatformCertificate(e.to_string()))?;
        webpki::EndEntityCert::try_from(&platform_certificate).map_err(|e| ApiSecurityKeyError::PlatformCertificate(e.to_string()))?;
        let inner = Keys { symmetric_sn, symmetric_key: LessSafeKey::new(key), app_key_sn, app_key, platform_sn, platform_certificate };
        Ok(ApiSecurityKeys { inner: Arc::new(inner), every_supported_call: false })
    }

    /// The keys for the console's other algorithm pair, SM4_GCM with
    /// SM2withSM3, which wxa does not implement.
    ///
    /// # Errors
    ///
    /// Always [`ApiSecurityKeyError::UnsupportedAlgorithm`].
    pub fn sm4_sm2() -> Result<ApiSecurityKeys, ApiSecurityKeyError> {
        Err(ApiSecurityKeyError::UnsupportedAlgorithm("SM4_GCM / SM2withSM3"))
    }

    /// Also secures every call whose page offers the mode (once the mode
    /// is switched on in the admin console, WeChat expects them secured),
    /// not only those that require it.
    pub fn for_every_supported_call(mut self) -> ApiSecurityKeys {
        self.every_supported_call = true;
        self
    }

    /// Whether calls that support the mode are secured.
    pub(crate) fn every_supported_call(&self) -> bool {
        self.every_supported_call
    }

    /// The secured request for one attempt: a fresh nonce, IV and
    /// timestamp each time.
    pub(crate) fn seal(&self, app_id: &str, path: &str, parts: &RequestParts) -> Result<Sealed, PrepareError> {
        let random = SystemRandom::new();
        let (mut iv, mut nonce) = ([0u8; 12], [0u8; 16]);
        random.fill(&mut iv).and_then(|()| random.fill(&mut nonce)).map_err(|_| PrepareError::Body("no system randomness".to_owned()))?;
        let nonce = base64::engine::general_purpose::STANDARD_NO_PAD.encode(nonce);
        self.seal_with(app_id, path, parts, &Fresh { iv, nonce: &nonce, timestamp: crate::store::now_secs() })
    }

    fn seal_with(&self, app_id: &str, path: &str, parts: &RequestParts, fresh: &Fresh<'_>) -> Result<Sealed, PrepareError> {
        let url = format!("{SIGNED_HOST}{path}");
        let body = self
            .envelope(plaintext(app_id, parts, fresh)?, fresh.iv, app_id, &url, fresh.timestamp)
            .ok_or_else(|| PrepareError::Body("the request could not be encrypted".to_owned()))?;
        let signed = signed_text(&url, app_id, fresh.timestamp, &body);
        let mut signature = vec![0; self.inner.app_key.public().modulus_len()];
        self.inner
            .app_key
            .sign(&RSA_PSS_SHA256, &SystemRandom::new(), &signed, &mut signature)
            .map_err(|_| PrepareError::Body("the request could not be signed".to_owned()))?;
        Ok(Sealed {
            body,
            headers: [
                ("Wechatmp-Appid", app_id.to_owned()),
                ("Wechatmp-TimeStamp", fresh.timestamp.to_string()),
                ("Wechatmp-Signature", BASE64.encode(signature)),
                // Not in the guide's request table, but WeChat has a code
                // for its absence (40230); harmless when unused.
                ("Wechatmp-Serial", self.inner.app_key_sn.clone()),
            ],
        })
    }

    /// The plain JSON of a secured answer, after its signature is checked
    /// and it is decrypted; the security members are dropped. An unsigned
    /// answer is let through only when it is a WeChat error (what WeChat
    /// sends when it refuses the secured request itself): an error code
    /// carries no data to trust.
    pub(crate) fn open(&self, app_id: &str, path: &str, headers: &AnswerHeaders, body: Bytes) -> Result<Bytes, ApiSecurityError> {
        self.open_at(app_id, path, headers, body, crate::store::now_secs())
    }

    fn open_at(&self, app_id: &str, path: &str, headers: &AnswerHeaders, body: Bytes, now: u64) -> Result<Bytes, ApiSecurityError> {
        let Some((serial, _)) = headers.signatures.first() else {
            return if is_error_answer(&body) { Ok(body) } else { Err(ApiSecurityError::Unsigned) };
        };
        let signature = headers
            .signatures
            .iter()
            .find(|(serial, _)| *serial == self.inner.platform_sn)
            .map(|(_, signature)| signature)
            .ok_or_else(|| ApiSecurityError::UnknownCertificate { serial: serial.clone() })?;
        if headers.app_id.as_deref() != Some(app_id) {
            return Err(ApiSecurityError::ForeignApp);
        }
        let timestamp = headers.timestamp.ok_or(ApiSecurityError::BadSignature)?;
        let url = format!("{SIGNED_HOST}{path}");
        let signed = signed_text(&url, app_id, timestamp, &body);
        let signature = BASE64.decode(signature).map_err(|_| ApiSecurityError::BadSignature)?;
        let certificate = webpki::EndEntityCert::try_from(&self.inner.platform_certificate).map_err(|_| ApiSecurityError::BadSignature)?;
        certificate
            .verify_signature(webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY, &signed, &signature)
            .map_err(|_| ApiSecurityError::BadSignature)?;
        if now.abs_diff(timestamp) > ANSWER_WINDOW_SECS {
            return Err(ApiSecurityError::Stale { timestamp });
        }
        let plain = self.open_envelope(&body, app_id, &url, timestamp)?;
        strip_security_members(&plain, app_id, timestamp)
    }

    /// The additional data of both directions: `urlpath|appid|timestamp|sn`.
    fn aad(&self, app_id: &str, url: &str, timestamp: u64) -> String {
        format!("{url}|{app_id}|{timestamp}|{}", self.inner.symmetric_sn)
    }

    /// `{"iv","data","authtag"}`: `plain` encrypted for `url` at
    /// `timestamp`, in the guide's member order (base64 needs no escaping).
    /// What a client sends, and what the fake server answers with.
    pub(crate) fn envelope(&self, mut plain: Zeroizing<Vec<u8>>, iv: [u8; 12], app_id: &str, url: &str, timestamp: u64) -> Option<Bytes> {
        let aad = self.aad(app_id, url, timestamp);
        let tag = self
            .inner
            .symmetric_key
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(iv), Aad::from(aad.as_bytes()), &mut plain)
            .ok()?;
        Some(Bytes::from(format!(
            r#"{{"iv":"{}","data":"{}","authtag":"{}"}}"#,
            BASE64.encode(iv),
            BASE64.encode(&*plain),
            BASE64.encode(tag.as_ref())
        )))
    }

    /// An envelope's plaintext, for `url` at `timestamp`: what a client
    /// reads from an answer, and the fake server from a request.
    pub(crate) fn open_envelope(&self, body: &[u8], app_id: &str, url: &str, timestamp: u64) -> Result<Vec<u8>, ApiSecurityError> {
        self.decrypt(body, &self.aad(app_id, url, timestamp))
    }

    fn decrypt(&self, body: &[u8], aad: &str) -> Result<Vec<u8>, ApiSecurityError> {
        #[derive(serde::Deserialize)]
        struct Envelope {
            iv: String,
            data: String,
            authtag: String,
        }
        let envelope: Envelope =
            serde_json::from_slice(body).map_err(|_| ApiSecurityError::Undecryptable("not an envelope of iv, data and authtag"))?;
        let decode =
            |text: &str| BASE64.decode(text).map_err(|_| ApiSecurityError::Undecryptable("a member of the envelope is not base64"));
        let iv: [u8; 12] = decode(&envelope.iv)?.try_into().map_err(|_| ApiSecurityError::Undecryptable("the IV is not 12 bytes"))?;
        let mut text = decode(&envelope.data)?;
        text.extend_from_slice(&decode(&envelope.authtag)?);
        let plain = self
            .inner
            .symmetric_key
            .open_in_place(Nonce::assume_unique_for_key(iv), Aad::from(aad.as_bytes()), &mut text)
            .map_err(|_| ApiSecurityError::Undecryptable("the authentication tag does not match"))?;
        Ok(plain.to_vec())
    }
}

/// What one attempt sends instead of the plain request.
pub(crate) struct Sealed {
    /// The envelope, exactly as signed.
    pub body: Bytes,
    /// `Wechatmp-*` headers.
    pub headers: [(&'static str, String); 4],
}

/// The random and time-dependent inputs of one sealing.
struct Fresh<'a> {
    iv: [u8; 12],
    nonce: &'a str,
    timestamp: u64,
}

/// The `Wechatmp-*` headers of an answer.
#[derive(Debug, Default)]
pub(crate) struct AnswerHeaders {
    app_id: Option<String>,
    timestamp: Option<u64>,
    /// (serial, signature): the current certificate's first, then during
    /// a rotation the expiring one's.
    signatures: Vec<(String, String)>,
}

impl AnswerHeaders {
    pub(crate) fn from_headers(headers: &reqwest::header::HeaderMap) -> AnswerHeaders {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_owned());
        let mut signatures = Vec::new();
        for (serial, signature) in
            [("wechatmp-serial", "wechatmp-signature"), ("wechatmp-serial-deprecated", "wechatmp-signature-deprecated")]
        {
            if let (Some(serial), Some(signature)) = (text(serial), text(signature)) {
                signatures.push((serial, signature));
            }
        }
        AnswerHeaders { app_id: text("wechatmp-appid"), timestamp: text("wechatmp-timestamp").and_then(|t| t.parse().ok()), signatures }
    }
}

/// The RSA key pair from a PEM private key, PKCS#1 or PKCS#8.
pub(crate) fn rsa_key(pem: &str) -> Result<RsaKeyPair, ApiSecurityKeyError> {
    let key = PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|e| ApiSecurityKeyError::PrivateKey(e.to_string()))?;
    let pair = match &key {
        PrivateKeyDer::Pkcs1(der) => RsaKeyPair::from_der(der.secret_pkcs1_der()),
        PrivateKeyDer::Pkcs8(der) => RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()),
        _ => return Err(ApiSecurityKeyError::PrivateKey("not an RSA key".to_owned())),
    };
    pair.map_err(|e| ApiSecurityKeyError::PrivateKey(e.to_string()))
}

/// `{"_n":…,"_appid":…,"_timestamp":…, query…, body members…}`: the body's
/// members are copied as serialized, so the plaintext holds exactly what
/// the plain request would have sent.
fn plaintext(app_id: &str, parts: &RequestParts, fresh: &Fresh<'_>) -> Result<Zeroizing<Vec<u8>>, PrepareError> {
    let quote = |text: &str| serde_json::to_string(text).unwrap_or_default();
    let mut out = format!("{{\"_n\":{},\"_appid\":{},\"_timestamp\":{}", quote(fresh.nonce), quote(app_id), fresh.timestamp);
    for (key, value) in &parts.query {
        out.push_str(&format!(",{}:{}", quote(key), quote(value)));
    }
    let mut out = Zeroizing::new(out.into_bytes());
    match &parts.body {
        RequestBody::Empty => {}
        RequestBody::Json(body) => {
            let inner = body
                .strip_prefix(b"{")
                .and_then(|rest| rest.strip_suffix(b"}"))
                .ok_or_else(|| PrepareError::Body("a secured call's body must be a JSON object".to_owned()))?;
            if inner.iter().any(|b| !b.is_ascii_whitespace()) {
                out.push(b',');
                out.extend_from_slice(inner);
            }
        }
        RequestBody::Multipart { .. } => return Err(PrepareError::Body("uploads are not sent in the API security mode".to_owned())),
    }
    out.push(b'}');
    Ok(out)
}

/// `url\nappid\ntimestamp\nbody`, what both sides sign.
pub(crate) fn signed_text(url: &str, app_id: &str, timestamp: u64, body: &[u8]) -> Vec<u8> {
    let mut text = format!("{url}\n{app_id}\n{timestamp}\n").into_bytes();
    text.extend_from_slice(body);
    text
}

/// A plain WeChat error answer: a JSON object with a non-zero `errcode`.
fn is_error_answer(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Code {
        errcode: Option<i64>,
    }
    serde_json::from_slice::<Code>(body).is_ok_and(|c| c.errcode.is_some_and(|code| code != 0))
}

/// The decrypted answer without `_n`, `_appid` and `_timestamp`, after
/// checking that the last two match the headers.
fn strip_security_members(plain: &[u8], app_id: &str, timestamp: u64) -> Result<Bytes, ApiSecurityError> {
    let mut object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(plain).map_err(|_| ApiSecurityError::Undecryptable("the decrypted answer is not a JSON object"))?;
    if object.remove("_appid").as_ref().and_then(|v| v.as_str()) != Some(app_id) {
        return Err(ApiSecurityError::ForeignApp);
    }
    if object.remove("_timestamp").as_ref().and_then(serde_json::Value::as_u64) != Some(timestamp) {
        return Err(ApiSecurityError::Undecryptable("the decrypted answer's timestamp differs from its header"));
    }
    object.remove("_n");
    serde_json::to_vec(&object).map(Bytes::from).map_err(|_| ApiSecurityError::Undecryptable("the decrypted answer could not be rewritten"))
}

/// A client's keys with the app id they sign for.
#[derive(Debug)]
pub(crate) struct SecuredApp {
    pub keys: ApiSecurityKeys,
    pub app_id: String,
}

impl SecuredApp {
    /// Whether a call of this endpoint is secured.
    ///
    /// # Errors
    ///
    /// When the endpoint requires the mode and the client has no keys.
    pub(crate) fn for_call(app: Option<&SecuredApp>, mode: crate::runtime::ApiSecurityMode) -> Result<Option<&SecuredApp>, PrepareError> {
        use crate::runtime::ApiSecurityMode::{Never, Required, Supported};
        match (mode, app) {
            (Never, _) | (Supported, None) => Ok(None),
            (Required, None) => Err(PrepareError::MissingApiSecurityKeys),
            (Required, Some(app)) => Ok(Some(app)),
            (Supported, Some(app)) => Ok(app.keys.every_supported_call().then_some(app)),
        }
    }
}

#[cfg(test)]
mod tests {
    //! Known answers from the official guide's worked example (and the
    //! intracity case of its Java demo): the same key, IV, nonce and time
    //! give the published envelope byte for byte, the published signatures
    //! verify, and the published answer opens to the published plaintext.

    use ring::signature::{KeyPair, RSA_PSS_2048_8192_SHA256, UnparsedPublicKey};
    use serde_json::Value;

    use super::*;

    const APP_KEY: &str = include_str!("../tests/fixtures/api_security/official_app_key.pem");
    const PLATFORM_CERT: &str = include_str!("../tests/fixtures/api_security/official_platform_cert.pem");

    fn vectors() -> Value {
        serde_json::from_str(include_str!("../tests/fixtures/api_security/official_vectors.json")).expect("vectors")
    }

    fn text<'a>(v: &'a Value, path: &str) -> &'a str {
        v.pointer(path).and_then(Value::as_str).unwrap_or_else(|| panic!("{path} in the vectors"))
    }

    fn keys(v: &Value) -> ApiSecurityKeys {
        ApiSecurityKeys::new(
            text(v, "/symmetric_sn"),
            text(v, "/symmetric_key"),
            text(v, "/app_key_sn"),
            APP_KEY,
            text(v, "/platform_sn"),
            PLATFORM_CERT,
        )
        .expect("the official keys load")
    }

    fn answer_headers(v: &Value) -> AnswerHeaders {
        AnswerHeaders {
            app_id: Some(text(v, "/app_id").to_owned()),
            timestamp: v.pointer("/answer/timestamp").and_then(Value::as_u64),
            signatures: vec![
                (text(v, "/answer/serial").to_owned(), text(v, "/answer/signature").to_owned()),
                (text(v, "/answer/deprecated_serial").to_owned(), text(v, "/answer/deprecated_signature").to_owned()),
            ],
        }
    }

    fn official_request(v: &Value) -> RequestParts {
        RequestParts { query: Vec::new(), body: RequestBody::Json(Bytes::copy_from_slice(text(v, "/request/body").as_bytes())) }
    }

    #[test]
    fn the_official_request_seals_to_the_published_envelope_and_signatures_verify() {
        let v = vectors();
        let keys = keys(&v);
        let iv: [u8; 12] = BASE64.decode(text(&v, "/request/iv")).expect("iv").try_into().expect("12 bytes");
        let fresh = Fresh { iv, nonce: text(&v, "/request/nonce"), timestamp: 1635927954 };
        let parts = official_request(&v);
        assert_eq!(&*plaintext(text(&v, "/app_id"), &parts, &fresh).expect("plaintext"), text(&v, "/request/plaintext").as_bytes());
        let sealed = keys.seal_with(text(&v, "/app_id"), text(&v, "/path"), &parts, &fresh).expect("sealed");
        assert_eq!(sealed.body, text(&v, "/request/sent_body").as_bytes());
        let header = |name: &str| sealed.headers.iter().find(|(n, _)| *n == name).map(|(_, value)| value.as_str());
        assert_eq!(header("Wechatmp-Appid"), Some("wxba6223c06417af7b"));
        assert_eq!(header("Wechatmp-TimeStamp"), Some("1635927954"));
        assert_eq!(header("Wechatmp-Serial"), Some(text(&v, "/app_key_sn")));
        // PSS is randomised: ours differs from the published one, and both
        // verify over the same signed text with the app's public key.
        let public = UnparsedPublicKey::new(&RSA_PSS_2048_8192_SHA256, keys.inner.app_key.public_key().as_ref().to_vec());
        let signed = signed_text("https://api.weixin.qq.com/wxa/getuserriskrank", "wxba6223c06417af7b", 1635927954, &sealed.body);
        for signature in [header("Wechatmp-Signature").expect("signed"), text(&v, "/request/signature")] {
            public.verify(&signed, &BASE64.decode(signature).expect("base64")).expect("the signature verifies");
        }
        let mut tampered = signed.clone();
        tampered[60] ^= 1;
        assert!(public.verify(&tampered, &BASE64.decode(text(&v, "/request/signature")).expect("base64")).is_err());
    }

    #[test]
    fn the_official_answer_verifies_and_opens_to_the_published_plaintext() {
        let v = vectors();
        let body = Bytes::copy_from_slice(text(&v, "/answer/body").as_bytes());
        let opened = keys(&v).open_at(text(&v, "/app_id"), text(&v, "/path"), &answer_headers(&v), body, 1635927956).expect("opens");
        let mut expected: serde_json::Map<String, Value> = serde_json::from_str(text(&v, "/answer/plaintext")).expect("plaintext");
        for member in ["_n", "_appid", "_timestamp"] {
            assert!(expected.remove(member).is_some());
        }
        assert_eq!(serde_json::from_slice::<Value>(&opened).expect("JSON"), Value::Object(expected));
        assert!(opened.starts_with(b"{\"errcode\":0"));
    }

    #[test]
    fn a_changed_or_foreign_or_late_answer_is_refused() {
        let v = vectors();
        let keys = keys(&v);
        let (app_id, path) = (text(&v, "/app_id"), text(&v, "/path"));
        let body = Bytes::copy_from_slice(text(&v, "/answer/body").as_bytes());
        let open = |headers: &AnswerHeaders, body: Bytes, now: u64| keys.open_at(app_id, path, headers, body, now);
        let headers = answer_headers(&v);
        let mut changed = body.to_vec();
        changed[10] ^= 1;
        assert_eq!(open(&headers, changed.into(), 1635927956), Err(ApiSecurityError::BadSignature));
        assert_eq!(open(&headers, body.clone(), 1635927956 + 301), Err(ApiSecurityError::Stale { timestamp: 1635927956 }));
        assert_eq!(keys.open_at("wx_other", path, &headers, body.clone(), 1635927956), Err(ApiSecurityError::ForeignApp));
        // Signed over another path.
        assert_eq!(keys.open_at(app_id, "/wxa/other", &headers, body.clone(), 1635927956), Err(ApiSecurityError::BadSignature));
        // Only the expiring certificate's signature, which is a placeholder
        // on the page: the serial matches nothing held.
        let only_old = AnswerHeaders { signatures: headers.signatures[1..].to_vec(), ..answer_headers(&v) };
        assert_eq!(
            open(&only_old, body.clone(), 1635927956),
            Err(ApiSecurityError::UnknownCertificate { serial: "2171af9cdf1d7404423852e7e183d852".to_owned() })
        );
        // The right serial with the wrong signature.
        let swapped = AnswerHeaders {
            signatures: vec![(text(&v, "/platform_sn").to_owned(), text(&v, "/answer/deprecated_signature").to_owned())],
            ..answer_headers(&v)
        };
        assert_eq!(open(&swapped, body.clone(), 1635927956), Err(ApiSecurityError::BadSignature));
        // Unsigned: an error code passes (it carries no data), anything else does not.
        let unsigned = AnswerHeaders::default();
        let error = Bytes::from_static(br#"{"errcode":40234,"errmsg":"invalid signature rid: 1"}"#);
        assert_eq!(open(&unsigned, error.clone(), 0), Ok(error));
        assert_eq!(open(&unsigned, Bytes::from_static(br#"{"errcode":0,"risk_rank":0}"#), 0), Err(ApiSecurityError::Unsigned));
        assert_eq!(open(&unsigned, body, 0), Err(ApiSecurityError::Unsigned));
    }

    #[test]
    fn the_demo_intracity_answer_decrypts() {
        let v = vectors();
        let q = &v["querystore"];
        let keys =
            ApiSecurityKeys::new(text(q, "/symmetric_sn"), text(q, "/symmetric_key"), "sn", APP_KEY, "sn", PLATFORM_CERT).expect("keys");
        let timestamp = q["timestamp"].as_u64().expect("timestamp");
        let aad = format!("{}|{}|{timestamp}|{}", text(q, "/url"), text(q, "/app_id"), text(q, "/symmetric_sn"));
        assert_eq!(keys.decrypt(text(q, "/body").as_bytes(), &aad).expect("decrypts"), text(q, "/plaintext").as_bytes());
        let wrong_time = aad.replace(&timestamp.to_string(), &(timestamp - 1).to_string());
        assert_eq!(
            keys.decrypt(text(q, "/body").as_bytes(), &wrong_time),
            Err(ApiSecurityError::Undecryptable("the authentication tag does not match"))
        );
    }

    #[test]
    fn keys_are_checked_and_never_printed() {
        let v = vectors();
        let load = |key: &str, pem: &str, cert: &str| ApiSecurityKeys::new("s", key, "a", pem, "p", cert).map(|_| ());
        let key = text(&v, "/symmetric_key");
        assert_eq!(load("c2hvcnQ=", APP_KEY, PLATFORM_CERT), Err(ApiSecurityKeyError::SymmetricKey));
        assert_eq!(load("not base64!", APP_KEY, PLATFORM_CERT), Err(ApiSecurityKeyError::SymmetricKey));
        assert!(matches!(load(key, PLATFORM_CERT, PLATFORM_CERT), Err(ApiSecurityKeyError::PrivateKey(_))));
        assert!(matches!(load(key, APP_KEY, APP_KEY), Err(ApiSecurityKeyError::PlatformCertificate(_))));
        assert_eq!(
            ApiSecurityKeys::new(" ", key, "a", APP_KEY, "p", PLATFORM_CERT).map(|_| ()),
            Err(ApiSecurityKeyError::EmptySerial("symmetric key"))
        );
        assert!(ApiSecurityKeys::sm4_sm2().unwrap_err().to_string().contains("SM4_GCM"));
        let printed = format!("{:?}", keys(&v));
        assert!(printed.contains("fa05fe1e5bcc79b81ad5ad4b58acf787") && printed.contains("<redacted>"));
        assert!(!printed.contains(key) && !printed.contains("MIIE"));
        if let Err(error) =
            load(key, "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA3FoQ\n-----END RSA PRIVATE KEY-----\n", PLATFORM_CERT)
        {
            assert!(!error.to_string().contains("MIIEowIBAAKCAQEA3FoQ"));
        }
    }
}
