//! The downstream endpoint against wxa's fake server on loopback: the
//! machinery wxa's own endpoints get (tokens, typed errors, the retry
//! policy, limit checks, request contracts) works the same for an endpoint
//! generated in another crate.

use wxa::api::common::CommonError;
use wxa::testing::FakeWeChat;
use wxa::{ErrorKind, PrepareError};
use wxa_downstream_example::PluginApi as _;
use wxa_downstream_example::api::plugin_user::{GetPluginOpenPIdError, GetPluginOpenPIdRequest};

const PATH: &str = "/wxa/getpluginopenpid";
const NAME: &str = "getPluginOpenPId";

/// A fake server that knows this crate's endpoints (and the token calls).
async fn fake() -> FakeWeChat {
    FakeWeChat::start_with_endpoints(wxa_downstream_example::api::endpoints()).await
}

#[tokio::test]
async fn the_call_reaches_the_fake_and_its_answer_decodes() {
    let fake = fake().await;
    let client = fake.client();

    let answer =
        client.get_plugin_open_p_id(GetPluginOpenPIdRequest::new("0c2b2064plugin-login-code")).await.expect("a successful exchange");

    // The fake answers from the spec: every response field filled in.
    assert!(!answer.openpid.is_empty(), "openpid decoded empty: {answer:?}");
    assert!(fake.contract_violations().is_empty(), "the request does not fit its spec: {:?}", fake.contract_violations());
    let requests = fake.requests(PATH);
    assert_eq!(requests.len(), 1, "one request, no retries");
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.json, Some(serde_json_value(r#"{"code":"0c2b2064plugin-login-code"}"#)));
    let token = request.query_value("access_token").expect("the access token travels in the query");
    assert_eq!(fake.issued_tokens(), vec![token.to_owned()], "the client used the token the fake issued");
    assert_eq!(fake.token_fetches(), 1);
}

#[tokio::test]
async fn a_documented_code_is_its_own_variant_and_a_shared_one_is_common() {
    let fake = fake().await;
    let client = fake.client();

    fake.inject_error(NAME, 1007);
    let error = client.get_plugin_open_p_id(GetPluginOpenPIdRequest::new("spent-code")).await.expect_err("1007 was injected");
    match error.kind() {
        ErrorKind::Api(GetPluginOpenPIdError::InvalidCode(body)) => {
            assert_eq!(body.code, 1007);
            assert!(body.rid().is_some(), "the fake's errmsg carries a rid: {body:?}");
        }
        other => panic!("expected InvalidCode, got {other:?}"),
    }
    assert!(error.api().is_some_and(GetPluginOpenPIdError::is_invalid_code));

    // -1 is in wxa's shared table (this crate has no errors.yaml). It is a
    // passing fault, but the spec says the exchange is not safe to send
    // twice, so the client hands it back instead of retrying.
    fake.inject_error(NAME, -1);
    let before = fake.calls(PATH);
    let error = client.get_plugin_open_p_id(GetPluginOpenPIdRequest::new("another-code")).await.expect_err("-1 was injected");
    match error.kind() {
        ErrorKind::Api(GetPluginOpenPIdError::Common(CommonError::SystemBusy(body))) => assert_eq!(body.code, -1),
        other => panic!("expected Common(SystemBusy), got {other:?}"),
    }
    assert_eq!(fake.calls(PATH) - before, 1, "a call that is not retry-safe is sent once");

    // A code neither table knows is kept whole.
    fake.inject_error(NAME, 987_654);
    let error = client.get_plugin_open_p_id(GetPluginOpenPIdRequest::new("third-code")).await.expect_err("987654 was injected");
    assert!(matches!(error.kind(), ErrorKind::Api(GetPluginOpenPIdError::Unknown(body)) if body.code == 987_654), "{error:?}");
}

#[tokio::test]
async fn a_rejected_token_is_refreshed_and_the_call_sent_once_more() {
    let fake = fake().await;
    let client = fake.client();

    fake.inject_error(NAME, 40001);
    let answer = client.get_plugin_open_p_id(GetPluginOpenPIdRequest::new("fresh-code")).await.expect("success after one refresh");

    assert!(!answer.openpid.is_empty());
    // The token was still valid at the fake, so a plain fetch handed the
    // rejected one back and the cache forced one refresh: a second token.
    assert_eq!(fake.issued_tokens().len(), 2, "the rejected token was replaced");
    assert_eq!(fake.forced_refreshes().len(), 1, "one forced refresh, never more");
    let requests = fake.requests(PATH);
    assert_eq!(requests.len(), 2, "the rejected call and its one retry");
    let tokens: Vec<_> = requests.iter().map(|r| r.query_value("access_token").map(str::to_owned)).collect();
    assert_eq!(tokens, fake.issued_tokens().into_iter().map(Some).collect::<Vec<_>>(), "each attempt used the token current at the time");
    assert_ne!(tokens[0], tokens[1]);
}

#[tokio::test]
async fn a_broken_limit_fails_before_anything_is_sent() {
    let fake = fake().await;
    let client = fake.client();

    let error = client.get_plugin_open_p_id(GetPluginOpenPIdRequest::new("")).await.expect_err("an empty code breaks min_length 1");

    match error.kind() {
        ErrorKind::Prepare(PrepareError::Invalid { field, rule }) => {
            assert_eq!(field, "code");
            assert!(!rule.is_empty());
        }
        other => panic!("expected Prepare(Invalid), got {other:?}"),
    }
    assert_eq!(fake.calls(PATH), 0, "nothing reached the endpoint");
    assert_eq!(fake.token_fetches(), 0, "not even a token was fetched");
}

fn serde_json_value(text: &str) -> wxa::runtime::serde_json::Value {
    wxa::runtime::serde_json::from_str(text).expect("valid JSON")
}
