//! Payment calls signed by the client (`pay_sig`, `signature`), checked
//! against the fake WeChat server on loopback and against an HMAC-SHA256
//! independent of the one wxa signs with.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use wxa::api::b2b_store::{B2bGetOrderError, B2bGetOrderRequest};
use wxa::api::virtual_payment::{XpayQueryUserBalanceEnv, XpayQueryUserBalanceError, XpayQueryUserBalanceRequest};
use wxa::testing::{FakeWeChat, PAY_APP_KEYS};
use wxa::{ErrorKind, PayEnv, PayKey, PrepareError};

fn hmac_sha256_hex(key: &str, message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(message);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

fn fake_key(key: PayKey, env: PayEnv) -> &'static str {
    PAY_APP_KEYS.iter().find(|(k, e, _)| (*k, *e) == (key, env)).map(|(_, _, value)| *value).expect("a fake key")
}

fn balance_request(env: XpayQueryUserBalanceEnv) -> XpayQueryUserBalanceRequest {
    XpayQueryUserBalanceRequest::new("openid-1", env, "1.1.1.1", "user-session-key")
}

#[tokio::test]
async fn both_signatures_cover_the_exact_body_sent_with_the_key_of_its_environment() {
    let fake = FakeWeChat::start().await;
    let client = fake.client();
    for (env, pay_env) in [(XpayQueryUserBalanceEnv::Sandbox, PayEnv::Sandbox), (XpayQueryUserBalanceEnv::Production, PayEnv::Production)] {
        client.xpay_query_user_balance(balance_request(env)).await.expect("the fake accepts the signatures");
        let received = fake.requests("/xpay/query_user_balance").pop().expect("a request");
        let mut signed = b"/xpay/query_user_balance&".to_vec();
        signed.extend_from_slice(&received.body);
        let expected = hmac_sha256_hex(fake_key(PayKey::VirtualPayment, pay_env), &signed);
        assert_eq!(received.query_value("pay_sig"), Some(expected.as_str()), "{pay_env}");
        assert_eq!(received.query_value("signature"), Some(hmac_sha256_hex("user-session-key", &received.body).as_str()));
        // The session key signs and is never sent.
        let sent = format!("{:?} {}", received.query, String::from_utf8_lossy(&received.body));
        assert!(!sent.contains("user-session-key"), "{sent}");
    }
    assert!(fake.contract_violations().is_empty(), "{:?}", fake.contract_violations());
}

#[tokio::test]
async fn a_wrong_app_key_is_refused_by_the_fake_with_the_typed_signature_error() {
    let fake = FakeWeChat::start().await;
    let client = fake.client_builder().pay_app_key(PayKey::VirtualPayment, PayEnv::Sandbox, "not-the-key").build().expect("client");
    let error = client.xpay_query_user_balance(balance_request(XpayQueryUserBalanceEnv::Sandbox)).await.expect_err("refused");
    assert!(matches!(error.kind(), ErrorKind::Api(XpayQueryUserBalanceError::InvalidSignature(_))), "{error:?}");
    // Neither the wrong key nor the session key shows in the error.
    let text = format!("{error} {error:?}");
    assert!(!text.contains("not-the-key") && !text.contains("user-session-key"), "{text}");
}

#[tokio::test]
async fn b2b_calls_are_signed_with_the_merchants_live_key() {
    let fake = FakeWeChat::start().await;
    fake.client().b2b_get_order(B2bGetOrderRequest::new("mch-1").out_trade_no("order-1")).await.expect("accepted");
    let received = fake.requests("/retail/B2b/getorder").pop().expect("a request");
    let mut signed = b"/retail/B2b/getorder&".to_vec();
    signed.extend_from_slice(&received.body);
    assert_eq!(received.query_value("pay_sig"), Some(hmac_sha256_hex(fake_key(PayKey::B2bStore, PayEnv::Production), &signed).as_str()));
    assert_eq!(received.query_value("signature"), None);

    let wrong = fake.client_builder().pay_app_key(PayKey::B2bStore, PayEnv::Production, "stale").build().expect("client");
    let error = wrong.b2b_get_order(B2bGetOrderRequest::new("mch-1").out_trade_no("order-1")).await.expect_err("refused");
    assert!(matches!(error.kind(), ErrorKind::Api(B2bGetOrderError::InvalidParam(_))), "{error:?}");
}

#[tokio::test]
async fn a_call_without_its_app_key_fails_before_anything_is_sent() {
    let fake = FakeWeChat::start().await;
    let client = wxa::Client::builder()
        .base_url(fake.base_url())
        .credentials(wxa::testing::FAKE_APP_ID, wxa::testing::FAKE_APP_SECRET)
        .build()
        .expect("client");
    let error = client.xpay_query_user_balance(balance_request(XpayQueryUserBalanceEnv::Production)).await.expect_err("no key");
    assert!(
        matches!(error.kind(), ErrorKind::Prepare(PrepareError::MissingPayKey { key: PayKey::VirtualPayment, env: PayEnv::Production })),
        "{error:?}"
    );
    assert!(fake.requests("/xpay/query_user_balance").is_empty());
}
