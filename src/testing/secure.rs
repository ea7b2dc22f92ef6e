//! The fake's side of WeChat's API security mode: it checks a secured
//! request as WeChat does (the app's signature, the encryption, the app id
//! and time) and answers secured, signed with a platform key of its own.
//!
//! The keys are test keys made for wxa's tests, never used anywhere else;
//! [`api_security_keys`] gives a client the matching set.

use axum::http::{HeaderMap, HeaderValue};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD as BASE64, STANDARD_NO_PAD};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{KeyPair, RSA_PSS_2048_8192_SHA256, RSA_PSS_SHA256, RsaKeyPair, UnparsedPublicKey};
use serde_json::{Map, Value};

use zeroize::Zeroizing;

use crate::ApiSecurityKeys;
use crate::api_security::{SIGNED_HOST, rsa_key, signed_text};
use crate::store::now_secs;

/// The symmetric key's serial number in the fake's admin console.
pub const SYMMETRIC_SN: &str = "fake0symmetric0key0serial0000001";
/// The app key's serial number.
pub const APP_KEY_SN: &str = "fake0app0key0serial0000000000001";
/// The platform certificate's serial number.
pub const PLATFORM_SN: &str = "fake0platform0cert0serial0000001";
const SYMMETRIC_KEY: &str = "srLholli4Balf/dR/hU6H9Ugfyair1PGmBz3xUp45gs=";
const APP_KEY: &str = include_str!("keys/fake_app_key.pem");
const PLATFORM_KEY: &str = include_str!("keys/fake_platform_key.pem");
const PLATFORM_CERT: &str = include_str!("keys/fake_platform_cert.pem");

/// The keys a client needs to call the fake in the API security mode
/// (what [`FakeWeChat::client_builder`](super::FakeWeChat::client_builder)
/// gives it).
///
/// # Panics
///
/// Never: the keys are wxa's own test keys.
pub fn api_security_keys() -> ApiSecurityKeys {
    ApiSecurityKeys::new(SYMMETRIC_SN, SYMMETRIC_KEY, APP_KEY_SN, APP_KEY, PLATFORM_SN, PLATFORM_CERT).expect("the fake's keys load")
}

fn key_pair(pem: &str) -> RsaKeyPair {
    rsa_key(pem).expect("the fake's keys are RSA keys")
}

/// Why WeChat refuses a secured request: its code and message.
pub(super) type Refusal = (i64, &'static str);

/// The parameters of a secured request (query and body together), after
/// its signature, app id, time and encryption are checked; the security
/// members are dropped.
pub(super) fn open_request(app_id: &str, path: &str, headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header("wechatmp-appid") != Some(app_id) {
        return Err((40236, "API_Invalid_Wechatmp_Appid"));
    }
    let timestamp: u64 = header("wechatmp-timestamp").and_then(|t| t.parse().ok()).ok_or((40231, "API_Missing_Wechatmp_Timestamp"))?;
    if now_secs().abs_diff(timestamp) > 300 {
        return Err((40240, "API_Expired_Wechatmp_Timestamp"));
    }
    let signature = header("wechatmp-signature").and_then(|s| BASE64.decode(s).ok()).ok_or((40232, "API_Missing_Wechatmp_Signature"))?;
    let url = format!("{SIGNED_HOST}{path}");
    let app_key = key_pair(APP_KEY);
    let public = UnparsedPublicKey::new(&RSA_PSS_2048_8192_SHA256, app_key.public_key().as_ref());
    public.verify(&signed_text(&url, app_id, timestamp, body), &signature).map_err(|_| (40234, "API_Invalid_Signature"))?;
    let bad = (40235, "API_Invalid_Encrypt");
    let plain = api_security_keys().open_envelope(body, app_id, &url, timestamp).map_err(|_| bad)?;
    let mut object: Map<String, Value> = serde_json::from_slice(&plain).map_err(|_| bad)?;
    let nonce = object.remove("_n");
    if object.remove("_appid").as_ref().and_then(Value::as_str) != Some(app_id)
        || object.remove("_timestamp").as_ref().and_then(Value::as_u64) != Some(timestamp)
        || nonce.as_ref().and_then(Value::as_str).is_none_or(str::is_empty)
    {
        return Err(bad);
    }
    Ok(object)
}

/// A JSON answer as WeChat sends it in the mode: the answer's members with
/// `_n`, `_appid` and `_timestamp`, encrypted, and the envelope signed with
/// the platform key. Returns the envelope and its `Wechatmp-*` headers.
/// `age`: how many seconds ago it claims to have been sent.
pub(super) fn seal_answer(app_id: &str, path: &str, answer: &Map<String, Value>, age: u64) -> (Vec<u8>, Vec<(&'static str, HeaderValue)>) {
    let random = SystemRandom::new();
    let (mut iv, mut nonce) = ([0u8; 12], [0u8; 16]);
    random.fill(&mut iv).and_then(|()| random.fill(&mut nonce)).expect("system randomness");
    let timestamp = now_secs() - age;
    let mut plain = Map::new();
    plain.insert("_n".to_owned(), Value::String(STANDARD_NO_PAD.encode(nonce)));
    plain.insert("_appid".to_owned(), Value::String(app_id.to_owned()));
    plain.insert("_timestamp".to_owned(), Value::from(timestamp));
    plain.extend(answer.iter().map(|(k, v)| (k.clone(), v.clone())));
    let url = format!("{SIGNED_HOST}{path}");
    let plain = Zeroizing::new(serde_json::to_vec(&plain).expect("JSON"));
    let body = api_security_keys().envelope(plain, iv, app_id, &url, timestamp).expect("encrypts").to_vec();
    let platform = key_pair(PLATFORM_KEY);
    let mut signature = vec![0; platform.public().modulus_len()];
    platform.sign(&RSA_PSS_SHA256, &random, &signed_text(&url, app_id, timestamp, &body), &mut signature).expect("signs");
    let value = |text: String| HeaderValue::from_str(&text).expect("a header value");
    let headers = vec![
        ("wechatmp-appid", value(app_id.to_owned())),
        ("wechatmp-timestamp", value(timestamp.to_string())),
        ("wechatmp-serial", HeaderValue::from_static(PLATFORM_SN)),
        ("wechatmp-signature", value(BASE64.encode(signature))),
    ];
    (body, headers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{RequestBody, RequestParts};

    #[test]
    fn the_fake_opens_what_the_client_seals_and_the_client_opens_what_the_fake_seals() {
        let keys = api_security_keys();
        let parts = RequestParts {
            query: vec![("store_id", "s 1".to_owned())],
            body: RequestBody::Json(bytes::Bytes::from_static(br#"{"wx_store_id":"w","n":2}"#)),
        };
        let sealed = keys.seal("wx_fake", "/cgi-bin/express/intracity/querystore", &parts).expect("sealed");
        let mut headers = HeaderMap::new();
        for (name, value) in &sealed.headers {
            headers.insert(*name, HeaderValue::from_str(value).expect("header"));
        }
        let opened = open_request("wx_fake", "/cgi-bin/express/intracity/querystore", &headers, &sealed.body).expect("opens");
        assert_eq!(Value::Object(opened), serde_json::json!({"store_id": "s 1", "wx_store_id": "w", "n": 2}));
        assert_eq!(
            open_request("wx_other", "/cgi-bin/express/intracity/querystore", &headers, &sealed.body),
            Err((40236, "API_Invalid_Wechatmp_Appid"))
        );
        assert_eq!(open_request("wx_fake", "/other", &headers, &sealed.body), Err((40234, "API_Invalid_Signature")));

        let answer = serde_json::json!({"errcode": 0, "errmsg": "ok", "store_id": "s 1"});
        let (body, answer_headers) =
            seal_answer("wx_fake", "/cgi-bin/express/intracity/querystore", answer.as_object().expect("object"), 0);
        let mut map = reqwest::header::HeaderMap::new();
        for (name, value) in answer_headers {
            map.insert(name, value);
        }
        let headers = crate::api_security::AnswerHeaders::from_headers(&map);
        let opened = keys.open("wx_fake", "/cgi-bin/express/intracity/querystore", &headers, body.into()).expect("opens");
        assert_eq!(serde_json::from_slice::<Value>(&opened).expect("JSON"), answer);
    }
}
