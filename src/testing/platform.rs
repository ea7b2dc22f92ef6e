//! The fake's third-party platform side: tickets, the component token,
//! pre-authorization and authorization codes, and authorizer tokens that
//! every endpoint accepts, as WeChat hands them out (the four calls of
//! `wxa::platform`).

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use axum::response::Response;
use serde_json::{Value, json};

use super::{FakeWeChat, State, error, json_response};

/// The component app id of the fake's third-party platform.
pub const FAKE_COMPONENT_APP_ID: &str = "wx0000000component01";
/// Its component app secret.
pub const FAKE_COMPONENT_SECRET: &str = "fake-component-secret-0123456789";

/// What the fake platform has handed out.
#[derive(Default)]
pub(super) struct PlatformState {
    tickets: HashSet<String>,
    component_tokens: HashMap<String, Instant>,
    pre_auth_codes: HashSet<String>,
    /// Authorization codes, each good once, and their authorizer.
    auth_codes: HashMap<String, String>,
    /// The current refresh token of each authorizer.
    refresh_tokens: HashMap<String, String>,
    component_token_fetches: u64,
    authorizer_token_fetches: HashMap<String, u64>,
}

/// Answers `/cgi-bin/component/…`; `None` for other paths.
pub(super) fn handle(state: &State, path: &str, q: &dyn Fn(&str) -> Option<String>, body: &Value) -> Option<Response> {
    let text = |name: &str| body[name].as_str().unwrap_or_default().to_owned();
    if path != "/cgi-bin/component/api_component_token" {
        if let Some(refused) = check_component_token(state, q("component_access_token")) {
            return Some(refused);
        }
        if text("component_appid") != FAKE_COMPONENT_APP_ID {
            return Some(error(state, 61011, "invalid component"));
        }
    }
    Some(match path {
        "/cgi-bin/component/api_component_token" => {
            if text("component_appid") != FAKE_COMPONENT_APP_ID || text("component_appsecret") != FAKE_COMPONENT_SECRET {
                return Some(error(state, 40125, "invalid appsecret"));
            }
            let mut inner = state.lock();
            if !inner.platform.tickets.contains(&text("component_verify_ticket")) {
                return Some(error(state, 61006, "component ticket is invalid"));
            }
            let token = format!("FAKE_COMPONENT_TOKEN_{}", state.next());
            inner.platform.component_tokens.insert(token.clone(), Instant::now() + state.token_lifetime());
            inner.platform.component_token_fetches += 1;
            json_response(&json!({"component_access_token": token, "expires_in": state.token_lifetime().as_secs().max(1)}))
        }
        "/cgi-bin/component/api_create_preauthcode" => {
            let code = format!("preauthcode@@@fake{}", state.next());
            state.lock().platform.pre_auth_codes.insert(code.clone());
            json_response(&json!({"pre_auth_code": code, "expires_in": 1800}))
        }
        "/cgi-bin/component/api_query_auth" => {
            let authorizer = state.lock().platform.auth_codes.remove(&text("authorization_code"));
            let Some(authorizer) = authorizer else { return Some(error(state, 61010, "code is expired")) };
            let refresh = format!("refreshtoken@@@{authorizer}_{}", state.next());
            let token = authorizer_token(state, &authorizer);
            state.lock().platform.refresh_tokens.insert(authorizer.clone(), refresh.clone());
            json_response(&json!({"authorization_info": {
                "authorizer_appid": authorizer,
                "authorizer_access_token": token,
                "expires_in": state.token_lifetime().as_secs().max(1),
                "authorizer_refresh_token": refresh,
                "func_info": [{"funcscope_category": {"id": 17}}, {"funcscope_category": {"id": 18}}],
            }}))
        }
        "/cgi-bin/component/api_authorizer_token" => {
            let authorizer = text("authorizer_appid");
            let known = state.lock().platform.refresh_tokens.get(&authorizer).cloned();
            if known.as_deref() != Some(text("authorizer_refresh_token").as_str()) {
                return Some(error(state, 61023, "refresh_token is invalid"));
            }
            *state.lock().platform.authorizer_token_fetches.entry(authorizer.clone()).or_default() += 1;
            let token = authorizer_token(state, &authorizer);
            json_response(&json!({
                "authorizer_access_token": token,
                "expires_in": state.token_lifetime().as_secs().max(1),
                "authorizer_refresh_token": known,
            }))
        }
        _ => return None,
    })
}

/// A new access token for an authorizer, accepted by every endpoint.
fn authorizer_token(state: &State, authorizer: &str) -> String {
    let token = format!("FAKE_AUTHORIZER_TOKEN_{authorizer}_{}", state.next());
    state.lock().valid_tokens.insert(token.clone(), Instant::now() + state.token_lifetime());
    token
}

pub(super) fn check_component_token(state: &State, token: Option<String>) -> Option<Response> {
    let expiry = token.as_ref().and_then(|token| state.lock().platform.component_tokens.get(token).copied());
    match (token, expiry) {
        (None, _) => Some(error(state, 41001, "component_access_token missing")),
        (Some(_), None) => Some(error(state, 40001, "invalid credential, access_token is invalid or not latest")),
        (Some(_), Some(expiry)) if expiry <= Instant::now() => Some(error(state, 42001, "access_token expired")),
        _ => None,
    }
}

impl FakeWeChat {
    /// A `component_verify_ticket` the fake accepts from now on, as if it
    /// had pushed it.
    pub fn new_verify_ticket(&self) -> String {
        let ticket = format!("ticket@@@fake{}", self.state.next());
        self.state.lock().platform.tickets.insert(ticket.clone());
        ticket
    }

    /// A merchant authorizes the platform for `authorizer_app_id`: the
    /// authorization code WeChat would redirect with (good once).
    pub fn authorize(&self, authorizer_app_id: &str) -> String {
        let code = format!("queryauthcode@@@fake{}", self.state.next());
        self.state.lock().platform.auth_codes.insert(code.clone(), authorizer_app_id.to_owned());
        code
    }

    /// The merchant revokes the authorization: its refresh token stops working.
    pub fn unauthorize(&self, authorizer_app_id: &str) {
        self.state.lock().platform.refresh_tokens.remove(authorizer_app_id);
    }

    /// How many component tokens were handed out.
    pub fn component_token_fetches(&self) -> u64 {
        self.state.lock().platform.component_token_fetches
    }

    /// How many access tokens `authorizer_app_id` got from its refresh token.
    pub fn authorizer_token_fetches(&self, authorizer_app_id: &str) -> u64 {
        self.state.lock().platform.authorizer_token_fetches.get(authorizer_app_id).copied().unwrap_or(0)
    }

    /// Every component token the fake accepts expires now.
    pub fn expire_component_tokens(&self) {
        let now = Instant::now();
        self.state.lock().platform.component_tokens.values_mut().for_each(|expiry| *expiry = now);
    }

    /// Every access token the fake accepts (apps' and authorizers') expires
    /// now: the next call with one gets 42001.
    pub fn expire_access_tokens(&self) {
        let now = Instant::now();
        self.state.lock().valid_tokens.values_mut().for_each(|expiry| *expiry = now);
    }

    /// A platform pointed at this server that holds a ticket the fake
    /// accepts: its component client calls the endpoints that take the
    /// component access token.
    ///
    /// # Panics
    /// Never for the settings this server makes.
    pub async fn platform(&self) -> crate::platform::Platform {
        let platform = self.platform_builder().build().expect("a valid platform configuration");
        platform.set_verify_ticket(&self.new_verify_ticket()).await.expect("the in-process store keeps the ticket");
        platform
    }

    /// A platform builder pointed at this server, with
    /// [`FAKE_COMPONENT_APP_ID`] and [`FAKE_COMPONENT_SECRET`].
    pub fn platform_builder(&self) -> crate::platform::PlatformBuilder {
        let base_url = self.base_url.clone();
        crate::platform::Platform::builder(FAKE_COMPONENT_APP_ID, FAKE_COMPONENT_SECRET)
            .client_settings(|builder| builder.base_url(base_url))
    }
}
