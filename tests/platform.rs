//! A third-party platform against the fake server: the ticket, the
//! component token, the authorization flow, and calls on behalf of
//! authorizers, with tokens refreshed once per expiry and the right token
//! refreshed when one is rejected.

use std::sync::Arc;

use wxa::api::customer_service::GetTempMediaRequest;
use wxa::platform::{Platform, PlatformError};
use wxa::testing::{FAKE_COMPONENT_APP_ID, FakeWeChat};

async fn platform_with_ticket(fake: &FakeWeChat) -> Platform {
    let platform = fake.platform_builder().build().expect("platform");
    platform.set_verify_ticket(&fake.new_verify_ticket()).await.expect("ticket kept");
    platform
}

/// Authorizes `appid` through the whole flow; its client.
async fn authorized(fake: &FakeWeChat, platform: &Platform, appid: &str) -> wxa::Client {
    let code = fake.authorize(appid);
    let authorization = platform.query_auth(&code).await.expect("authorized");
    assert_eq!(authorization.authorizer_app_id, appid);
    assert!(!authorization.func_info.is_empty());
    platform.authorizer(appid)
}

fn last_token(fake: &FakeWeChat) -> String {
    let requests = fake.requests("/cgi-bin/media/get");
    requests.last().and_then(|r| r.query_value("access_token")).expect("a token was sent").to_owned()
}

#[tokio::test]
async fn the_whole_flow_calls_on_behalf_of_the_authorizer() {
    let fake = FakeWeChat::start().await;
    fake.add_media("M1", &b"\xff\xd8\xff"[..], "image/jpeg");
    let platform = platform_with_ticket(&fake).await;

    let pre_auth_code = platform.pre_auth_code().await.expect("a pre-auth code");
    let url = platform.authorization_url(&pre_auth_code, "https://example.com/back?x=1", Some(2));
    assert!(url.starts_with("https://mp.weixin.qq.com/cgi-bin/componentloginpage?"), "{url}");
    for part in [
        format!("component_appid={FAKE_COMPONENT_APP_ID}"),
        "redirect_uri=https%3A%2F%2Fexample.com%2Fback%3Fx%3D1".to_owned(),
        "auth_type=2".to_owned(),
    ] {
        assert!(url.contains(&part), "{url} lacks {part}");
    }

    let client = authorized(&fake, &platform, "wxauthorizer00001").await;
    let media = client.get_temp_media(GetTempMediaRequest::new("M1")).await.expect("called as the authorizer");
    assert_eq!(media.bytes.as_ref(), b"\xff\xd8\xff");
    assert!(last_token(&fake).starts_with("FAKE_AUTHORIZER_TOKEN_wxauthorizer00001_"), "the authorizer's token, not the app's");
    assert_eq!(fake.authorizer_token_fetches("wxauthorizer00001"), 0, "the token from the authorization is used first");
    assert_eq!(fake.component_token_fetches(), 1);
    assert_eq!(fake.token_fetches(), 0, "no app token is ever fetched");

    // An authorization code is good once.
    let again = platform.query_auth("queryauthcode@@@unknown").await.expect_err("expired code");
    assert!(matches!(&again, PlatformError::Call(error) if error.code() == Some(61010)), "{again}");
}

/// The template-library calls take the component token under the name
/// `access_token`; only the component client holds it.
#[tokio::test]
async fn the_template_library_is_called_with_the_component_token_named_access_token() {
    use wxa::api::third_party::GetTemplateListRequest;
    let fake = FakeWeChat::start().await;
    let platform = platform_with_ticket(&fake).await;
    platform.component_client().get_template_list(GetTemplateListRequest::new()).await.expect("listed");
    let sent = fake.requests("/wxa/gettemplatelist");
    let query = |name: &str| sent.last().and_then(|r| r.query_value(name)).map(str::to_owned);
    assert!(query("access_token").is_some_and(|token| token.starts_with("FAKE_COMPONENT_TOKEN")), "{:?}", query("access_token"));
    assert_eq!(query("component_access_token"), None);

    let client = authorized(&fake, &platform, "wxauthorizer00009").await;
    let error = client.get_template_list(GetTemplateListRequest::new()).await.expect_err("an authorizer has no component token");
    assert!(matches!(error.kind(), wxa::ErrorKind::Prepare(wxa::PrepareError::NeedsComponentClient)), "{error}");
    assert_eq!(fake.requests("/wxa/gettemplatelist").len(), 1, "nothing sent");
}

#[tokio::test]
async fn without_a_ticket_the_component_token_cannot_be_had() {
    let fake = FakeWeChat::start().await;
    let platform = fake.platform_builder().build().expect("platform");
    let error = platform.pre_auth_code().await.expect_err("no ticket yet");
    assert!(error.to_string().contains("component_verify_ticket"), "{error}");
    platform.set_verify_ticket("ticket@@@forged").await.expect("kept");
    let error = platform.pre_auth_code().await.expect_err("a ticket WeChat never pushed");
    assert!(error.to_string().contains("61006"), "{error}");
    assert_eq!(fake.component_token_fetches(), 0);
}

#[tokio::test]
async fn a_rejected_authorizer_token_is_refreshed_from_its_refresh_token_and_the_call_retried() {
    let fake = FakeWeChat::start().await;
    fake.add_media("M1", &b"img"[..], "image/png");
    let platform = platform_with_ticket(&fake).await;
    let client = authorized(&fake, &platform, "wxauthorizer00002").await;
    client.get_temp_media(GetTempMediaRequest::new("M1")).await.expect("first call");
    let first = last_token(&fake);

    fake.expire_access_tokens();
    client.get_temp_media(GetTempMediaRequest::new("M1")).await.expect("refreshed and retried");
    assert_ne!(last_token(&fake), first);
    assert_eq!(fake.authorizer_token_fetches("wxauthorizer00002"), 1);
    assert_eq!(fake.component_token_fetches(), 1, "the component token was still good: not refreshed");

    // Both expired: refreshing the authorizer's token finds the component
    // token rejected, refreshes that one, and goes on.
    fake.expire_access_tokens();
    fake.expire_component_tokens();
    client.get_temp_media(GetTempMediaRequest::new("M1")).await.expect("both refreshed");
    assert_eq!(fake.authorizer_token_fetches("wxauthorizer00002"), 2);
    assert_eq!(fake.component_token_fetches(), 2);
}

#[tokio::test]
async fn many_authorizers_refresh_once_each_however_many_calls_wait() {
    let fake = FakeWeChat::start().await;
    fake.add_media("M1", &b"img"[..], "image/png");
    let platform = platform_with_ticket(&fake).await;
    let appids: Vec<String> = (0..40).map(|i| format!("wxauthorizer1{i:04}")).collect();
    for appid in &appids {
        authorized(&fake, &platform, appid).await;
    }
    fake.expire_access_tokens();
    let mut calls = tokio::task::JoinSet::new();
    for appid in &appids {
        for _ in 0..8 {
            let client = platform.authorizer(appid);
            calls.spawn(async move { client.get_temp_media(GetTempMediaRequest::new("M1")).await.map(|_| ()) });
        }
    }
    while let Some(result) = calls.join_next().await {
        result.expect("joined").expect("every call succeeds");
    }
    for appid in &appids {
        assert_eq!(fake.authorizer_token_fetches(appid), 1, "{appid}: one refresh for its eight calls");
    }
    assert_eq!(fake.component_token_fetches(), 1);
}

#[tokio::test]
async fn a_forgotten_or_revoked_authorizer_gets_a_token_error() {
    let fake = FakeWeChat::start().await;
    fake.add_media("M1", &b"img"[..], "image/png");
    let platform = platform_with_ticket(&fake).await;
    let client = authorized(&fake, &platform, "wxauthorizer00003").await;
    platform.forget_authorizer("wxauthorizer00003").await.expect("forgotten");
    let error =
        platform.authorizer("wxauthorizer00003").get_temp_media(GetTempMediaRequest::new("M1")).await.expect_err("no refresh token");
    assert!(error.to_string().contains("no refresh token"), "{error}");
    drop(client);

    let client = authorized(&fake, &platform, "wxauthorizer00004").await;
    fake.unauthorize("wxauthorizer00004");
    fake.expire_access_tokens();
    let error = client.get_temp_media(GetTempMediaRequest::new("M1")).await.expect_err("revoked");
    assert!(error.to_string().contains("61023"), "{error}");
}

#[tokio::test]
async fn platforms_sharing_a_store_share_tokens() {
    let fake = FakeWeChat::start().await;
    fake.add_media("M1", &b"img"[..], "image/png");
    let store: Arc<dyn wxa::store::TokenStore> = Arc::new(wxa::store::MemoryStore::new());
    let first = fake.platform_builder().token_store(store.clone()).build().expect("first");
    let second = fake.platform_builder().token_store(store).build().expect("second instance");
    first.set_verify_ticket(&fake.new_verify_ticket()).await.expect("ticket");
    let code = fake.authorize("wxauthorizer00005");
    first.query_auth(&code).await.expect("authorized on the first instance");
    second.authorizer("wxauthorizer00005").get_temp_media(GetTempMediaRequest::new("M1")).await.expect("the second instance calls too");
    assert_eq!(fake.authorizer_token_fetches("wxauthorizer00005"), 0, "the stored token is shared");
    second.pre_auth_code().await.expect("the second instance uses the stored component token");
    assert_eq!(fake.component_token_fetches(), 1);
}
