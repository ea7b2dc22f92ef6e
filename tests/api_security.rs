//! WeChat's API security mode against the fake WeChat server on loopback:
//! the fake checks each secured request as WeChat does (the app's RSA-PSS
//! signature, AES-256-GCM, app id, time) and answers secured with its own
//! platform key; a spoiled answer must come back as a typed error with
//! nothing of it read.

#![cfg(feature = "testing")]

use wxa::api::security::{GetUserRiskRankRequest, GetUserRiskRankScene};
use wxa::api::wechat_logistics::WxlIntracityQueryStoreRequest;
use wxa::testing::{AnswerTamper, FakeWeChat, ScriptedResponse, api_security_keys};
use wxa::{ApiSecurityError, ErrorKind, PrepareError};

const QUERY_STORE: &str = "/cgi-bin/express/intracity/querystore";
const RISK_RANK: &str = "/wxa/getuserriskrank";

#[tokio::test]
async fn a_call_that_requires_the_mode_is_sent_encrypted_and_signed_and_its_answer_checked() {
    let fake = FakeWeChat::start().await;
    let answer = fake.client().wxl_intracity_query_store(WxlIntracityQueryStoreRequest::new().out_store_id("store-7")).await;
    answer.expect("the fake opened the request and the client opened the answer");
    assert!(fake.contract_violations().is_empty(), "{:?}", fake.contract_violations());
    let received = fake.requests(QUERY_STORE).pop().expect("a request");
    let envelope: serde_json::Value = serde_json::from_slice(received.secured.as_deref().expect("came secured")).expect("JSON");
    let members: Vec<&str> = envelope.as_object().expect("an object").keys().map(String::as_str).collect();
    assert_eq!(members, ["authtag", "data", "iv"]);
    // The parameter travelled only inside the ciphertext.
    assert!(!String::from_utf8_lossy(received.secured.as_deref().unwrap_or_default()).contains("store-7"));
    assert_eq!(received.json, Some(serde_json::json!({"out_store_id": "store-7"})));
    assert_eq!(received.query.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["access_token"]);
}

#[tokio::test]
async fn without_keys_a_call_that_requires_the_mode_is_not_sent() {
    let fake = FakeWeChat::start().await;
    let client =
        wxa::Client::builder().base_url(fake.base_url()).credentials(wxa::testing::FAKE_APP_ID, wxa::testing::FAKE_APP_SECRET).build();
    let error = client.expect("client").wxl_intracity_query_store(WxlIntracityQueryStoreRequest::new()).await.expect_err("refused");
    assert!(matches!(error.kind(), ErrorKind::Prepare(PrepareError::MissingApiSecurityKeys)), "{error:?}");
    assert_eq!(fake.calls(QUERY_STORE), 0);
    assert!(!error.may_have_reached_wechat());
}

#[tokio::test]
async fn a_call_that_only_supports_the_mode_is_secured_when_the_keys_say_so() {
    let fake = FakeWeChat::start().await;
    let request = || GetUserRiskRankRequest::new("openid-1", GetUserRiskRankScene::Register, "127.0.0.1");
    fake.client().get_user_risk_rank(request()).await.expect("plain");
    assert!(fake.requests(RISK_RANK).pop().expect("a request").secured.is_none());
    let everywhere = fake.client_builder().api_security(api_security_keys().for_every_supported_call()).build().expect("client");
    everywhere.get_user_risk_rank(request()).await.expect("secured");
    let received = fake.requests(RISK_RANK).pop().expect("a request");
    assert!(received.secured.is_some());
    assert_eq!(received.json.as_ref().and_then(|body| body["openid"].as_str()), Some("openid-1"));
    assert!(fake.contract_violations().is_empty(), "{:?}", fake.contract_violations());
}

#[tokio::test]
async fn a_spoiled_answer_is_a_typed_error_and_is_not_retried() {
    let fake = FakeWeChat::start().await;
    let client = fake.client();
    let cases = [
        (AnswerTamper::Body, ApiSecurityError::BadSignature),
        (AnswerTamper::Serial, ApiSecurityError::UnknownCertificate { serial: "another-certificate".to_owned() }),
        (AnswerTamper::AppId, ApiSecurityError::ForeignApp),
        (AnswerTamper::Unsigned, ApiSecurityError::Unsigned),
    ];
    for (tamper, expected) in cases {
        fake.tamper_next_secured_answer(tamper);
        let calls = fake.calls(QUERY_STORE);
        let error = client.wxl_intracity_query_store(WxlIntracityQueryStoreRequest::new()).await.expect_err("refused");
        assert!(matches!(error.kind(), ErrorKind::ApiSecurity(e) if *e == expected), "{tamper:?}: {error:?}");
        assert_eq!((error.call().attempts, fake.calls(QUERY_STORE) - calls), (1, 1), "{tamper:?}");
        assert!(error.may_have_reached_wechat());
    }
    fake.tamper_next_secured_answer(AnswerTamper::Stale);
    let error = client.wxl_intracity_query_store(WxlIntracityQueryStoreRequest::new()).await.expect_err("refused");
    assert!(matches!(error.kind(), ErrorKind::ApiSecurity(ApiSecurityError::Stale { .. })), "{error:?}");
    // The next, unspoiled answer is read as usual.
    client.wxl_intracity_query_store(WxlIntracityQueryStoreRequest::new()).await.expect("accepted");
}

#[tokio::test]
async fn an_unsigned_error_from_wechat_is_reported_as_the_error_it_is() {
    let fake = FakeWeChat::start().await;
    // An empty signature header keeps the fake from sealing the scripted
    // answer: WeChat refuses a bad secured request in plain JSON.
    fake.script(
        QUERY_STORE,
        ScriptedResponse::new(200).header("wechatmp-signature", "").body(r#"{"errcode":40234,"errmsg":"API_Invalid_Signature rid: 1"}"#),
    );
    let error = fake.client().wxl_intracity_query_store(WxlIntracityQueryStoreRequest::new()).await.expect_err("an error");
    assert_eq!(error.code(), Some(40234), "{error:?}");
    let text = format!("{error} {error:?}");
    assert!(!text.contains("srLholli4Balf") && !text.contains("PRIVATE KEY"), "{text}");
}
