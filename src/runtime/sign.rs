//! The signatures WeChat's payment calls carry, computed over the exact
//! bytes the client sends (a caller cannot see those bytes, so only the
//! client can sign them reliably).
//!
//! - `pay_sig`: lowercase hex HMAC-SHA256, keyed with the payment's AppKey
//!   (production or sandbox, after the body's environment), over
//!   `<path>&<body>` (the path without query string, the JSON body as sent).
//! - `signature`: lowercase hex HMAC-SHA256, keyed with the user's session
//!   key (the text given by `code2Session`, not base64-decoded), over the
//!   body.
//!
//! HMAC-SHA256 comes from `ring`, which the TLS stack already builds.

use std::fmt;

use ring::hmac;

use super::{Credentials, RequestBody, RequestParts};
use crate::Secret;
use crate::error::PrepareError;

/// The payment products whose AppKey signs `pay_sig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PayKey {
    /// Virtual payment (虚拟支付, `/xpay/*`): the AppKeys of the admin
    /// console's virtual payment settings.
    VirtualPayment,
    /// B2b store payments (`/retail/B2b/*`): the merchant's AppKeys, as
    /// `b2bGetAppKey` returns them.
    B2bStore,
}

/// Which of a payment product's two AppKeys signs a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PayEnv {
    /// The live environment (`env: 0`, or a call without `env`).
    Production,
    /// The sandbox (`env: 1`).
    Sandbox,
}

impl fmt::Display for PayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PayKey::VirtualPayment => "virtual payment",
            PayKey::B2bStore => "B2b store",
        })
    }
}

impl fmt::Display for PayEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PayEnv::Production => "production",
            PayEnv::Sandbox => "sandbox",
        })
    }
}

/// The AppKeys a client signs payment calls with, per product and
/// environment. Secrets: never printed.
#[derive(Clone, Default)]
pub(crate) struct PayKeys {
    keys: Vec<(PayKey, PayEnv, Secret)>,
}

impl PayKeys {
    pub(crate) fn set(&mut self, key: PayKey, env: PayEnv, value: Secret) {
        self.keys.retain(|(k, e, _)| (*k, *e) != (key, env));
        self.keys.push((key, env, value));
    }

    pub(crate) fn get(&self, key: PayKey, env: PayEnv) -> Option<&Secret> {
        self.keys.iter().find(|(k, e, _)| (*k, *e) == (key, env)).map(|(_, _, value)| value)
    }
}

/// What a signed endpoint's spec says about its signatures.
#[derive(Debug, Clone, Copy)]
pub struct Signing {
    /// Whose AppKey signs `pay_sig`; `None` when the call has none.
    pub pay_sig: Option<PayKey>,
    /// The body member (0 production, 1 sandbox) that picks the AppKey;
    /// without one, the production key signs.
    pub env_field: Option<&'static str>,
}

impl Signing {
    /// `parts` with `pay_sig` (if the spec has it) and `signature` (if a
    /// session key is given) added to the query, computed over the JSON
    /// body in `parts`, the bytes that will be sent, on every attempt.
    ///
    /// # Errors
    ///
    /// When the client has no AppKey for the product and environment, or
    /// the body is not JSON.
    pub fn sign(
        self,
        mut parts: RequestParts,
        path: &str,
        credentials: &Credentials,
        session_key: Option<&Secret>,
    ) -> Result<RequestParts, PrepareError> {
        let RequestBody::Json(body) = &parts.body else {
            return Err(PrepareError::Body("a signed call needs a JSON body".to_owned()));
        };
        if let Some(product) = self.pay_sig {
            let env = self.env_field.map_or(Ok(PayEnv::Production), |field| env_of(body, field))?;
            let app_key = credentials.pay_keys.get(product, env).ok_or(PrepareError::MissingPayKey { key: product, env })?;
            parts.query.push(("pay_sig", pay_sig(app_key, path, body)));
        }
        if let Some(session_key) = session_key {
            parts.query.push(("signature", hmac_sha256_hex(session_key.expose().as_bytes(), body)));
        }
        Ok(parts)
    }
}

/// `pay_sig`: HMAC-SHA256 keyed with the AppKey over `<path>&<body>`.
pub(crate) fn pay_sig(app_key: &Secret, path: &str, body: &[u8]) -> String {
    let mut message = Vec::with_capacity(path.len() + 1 + body.len());
    message.extend_from_slice(path.as_bytes());
    message.push(b'&');
    message.extend_from_slice(body);
    hmac_sha256_hex(app_key.expose().as_bytes(), &message)
}

/// Lowercase hex of HMAC-SHA256(`key`, `message`).
pub(crate) fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), message);
    tag.as_ref().iter().fold(String::with_capacity(64), |mut hex, byte| {
        use std::fmt::Write as _;
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

/// The environment the body names in `field`: 0 production, 1 sandbox.
pub(crate) fn env_of(body: &[u8], field: &str) -> Result<PayEnv, PrepareError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| PrepareError::Body(e.to_string()))?;
    match value.get(field).and_then(serde_json::Value::as_i64) {
        None | Some(0) => Ok(PayEnv::Production),
        Some(1) => Ok(PayEnv::Sandbox),
        Some(other) => Err(PrepareError::Invalid {
            field: field.to_owned(),
            rule: format!("must be 0 (production) or 1 (sandbox) to pick the AppKey that signs pay_sig, not {other}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2: HMAC-SHA256 with key "Jefe".
    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    /// The official virtual payment guide's Python example
    /// (https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment.html,
    /// "签名详解"), with its body byte for byte (spaces after `:` and `,`).
    #[test]
    fn known_answer_of_the_virtual_payment_guide() {
        let mut credentials = Credentials::default();
        credentials.pay_keys.set(PayKey::VirtualPayment, PayEnv::Production, Secret::from("12345"));
        let body = r#"{"openid": "xxx", "user_ip": "127.0.0.1", "env": 0}"#;
        let signed = XPAY
            .sign(parts(body), "/xpay/query_user_balance", &credentials, Some(&Secret::from("9hAb/NEYUlkaMBEsmFgzig==")))
            .expect("signed");
        assert_eq!(signed.query[1], ("pay_sig", "c37809f27c6d7fd1837ad2500a04512b66b34fd793a39a385fade56dca89a4b5".to_owned()));
        assert_eq!(signed.query[2], ("signature", "089d9e8dc5d308977360c4b79ec600a93d736802802a807d634192328032f6c7".to_owned()));
    }

    /// The B2b payment page's Python example (`/retail/B2b/getorder`, the
    /// production AppKey, which B2b server calls always use).
    #[test]
    fn known_answer_of_the_b2b_payment_page() {
        let mut credentials = Credentials::default();
        credentials.pay_keys.set(PayKey::B2bStore, PayEnv::Production, Secret::from("12345"));
        let body = r#"{"mchid": "1230000109","out_trade_no": "1217752501201407033233368018"}"#;
        let b2b = Signing { pay_sig: Some(PayKey::B2bStore), env_field: None };
        let signed = b2b.sign(parts(body), "/retail/B2b/getorder", &credentials, None).expect("signed");
        assert_eq!(signed.query[1], ("pay_sig", "2cb3e9fda4da9774f0c6f747bbf6c56e9045969d9921db7344fffdc945c1dc23".to_owned()));
        // The page's user signature over the same body, with its session key.
        assert_eq!(
            hmac_sha256_hex(b"9hAb/NEYUlkaMBEsmFgzig==", body.as_bytes()),
            "47784191c740b0522d39d0a3926a19aa0e30c77975f689a9739c9553ffac2d9d"
        );
    }

    fn parts(body: &str) -> RequestParts {
        RequestParts { query: vec![("openid", "o1".to_owned())], body: RequestBody::Json(body.to_owned().into()) }
    }

    fn credentials() -> Credentials {
        let mut credentials = Credentials::default();
        credentials.pay_keys.set(PayKey::VirtualPayment, PayEnv::Production, Secret::from("live-key"));
        credentials.pay_keys.set(PayKey::VirtualPayment, PayEnv::Sandbox, Secret::from("sandbox-key"));
        credentials
    }

    const XPAY: Signing = Signing { pay_sig: Some(PayKey::VirtualPayment), env_field: Some("env") };

    #[test]
    fn pay_sig_covers_path_and_body_with_the_key_of_the_bodys_environment() {
        let body = r#"{"openid":"o1","env":1,"user_ip":"1.1.1.1"}"#;
        let signed = XPAY.sign(parts(body), "/xpay/query_user_balance", &credentials(), None).expect("signed");
        let expected = hmac_sha256_hex(b"sandbox-key", format!("/xpay/query_user_balance&{body}").as_bytes());
        assert_eq!(signed.query, vec![("openid", "o1".to_owned()), ("pay_sig", expected)]);
        let live = XPAY.sign(parts(r#"{"env":0}"#), "/p", &credentials(), None).expect("signed");
        assert_eq!(live.query[1].1, hmac_sha256_hex(b"live-key", br#"/p&{"env":0}"#));
    }

    #[test]
    fn the_user_signature_is_keyed_with_the_session_key_over_the_body() {
        let body = r#"{"env":0}"#;
        let signed = XPAY.sign(parts(body), "/p", &credentials(), Some(&Secret::from("session"))).expect("signed");
        assert_eq!(signed.query[2], ("signature", hmac_sha256_hex(b"session", body.as_bytes())));
    }

    #[test]
    fn a_missing_key_or_an_unknown_environment_is_a_prepare_error() {
        let b2b = Signing { pay_sig: Some(PayKey::B2bStore), env_field: None };
        let error = b2b.sign(parts("{}"), "/p", &credentials(), None).expect_err("no B2b key");
        assert!(matches!(error, PrepareError::MissingPayKey { key: PayKey::B2bStore, env: PayEnv::Production }), "{error:?}");
        let error = XPAY.sign(parts(r#"{"env":7}"#), "/p", &credentials(), None).expect_err("env 7");
        assert!(matches!(&error, PrepareError::Invalid { field, .. } if field == "env"), "{error:?}");
        let empty = RequestParts { query: Vec::new(), body: RequestBody::Empty };
        assert!(XPAY.sign(empty, "/p", &credentials(), None).is_err());
    }

    #[test]
    fn errors_and_debug_never_show_a_key() {
        let error =
            Signing { pay_sig: Some(PayKey::B2bStore), env_field: None }.sign(parts("{}"), "/p", &credentials(), None).expect_err("no key");
        let text = format!("{error} {error:?}");
        assert!(!text.contains("live-key") && !text.contains("sandbox-key"), "{text}");
    }
}
