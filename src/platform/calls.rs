//! The third-party platform's token calls, written by hand (like the app
//! token calls in `token/wechat.rs`) because the platform's token handling
//! needs them whatever categories are built:
//!
//! - `api_component_token`: the component access token, from the app id,
//!   secret and the latest `component_verify_ticket`;
//! - `api_create_preauthcode`: a pre-authorization code for the
//!   authorization page;
//! - `api_query_auth`: an authorization code turned into the authorizer's
//!   tokens;
//! - `api_authorizer_token`: the authorizer's access token, from its
//!   refresh token.
//!
//! Pages: <https://developers.weixin.qq.com/doc/oplatform/openApi/ticket-token/api_getcomponentaccesstoken.html>,
//! <https://developers.weixin.qq.com/doc/oplatform/openApi/ticket-token/api_getpreauthcode.html>,
//! <https://developers.weixin.qq.com/doc/oplatform/openApi/ticket-token/api_getauthorizerrefreshtoken.html>,
//! <https://developers.weixin.qq.com/doc/oplatform/openApi/OpenApiDoc/ticket-token/getAuthorizerAccessToken.html>.

use serde::Deserialize;

use crate::error::PrepareError;
use crate::runtime::{
    ApiSecurityMode, Auth, Credentials, DecodeFailure, EndpointMeta, HttpMethod, Operation, RequestBody, RequestParts, ResponseKind,
    SuccessBody,
};
use crate::secret::Secret;
use crate::token::TokenCallError;

const fn meta(name: &'static str, path: &'static str, auth: Auth, retry_safe: bool, shape: &'static str) -> EndpointMeta {
    EndpointMeta {
        name,
        method: HttpMethod::Post,
        path,
        auth,
        retry_safe,
        rate_limit: None,
        response: ResponseKind::Json,
        secret_response: true,
        api_security: ApiSecurityMode::Never,
        shape,
    }
}

fn json_body(value: serde_json::Value) -> Result<RequestParts, PrepareError> {
    Ok(RequestParts { query: Vec::new(), body: RequestBody::json(&value)? })
}

/// `getComponentAccessToken`.
pub(crate) struct ComponentToken {
    pub component_app_id: String,
    pub component_secret: Secret,
    pub ticket: Secret,
}

/// Its answer.
#[derive(Deserialize)]
pub(crate) struct ComponentTokenAnswer {
    pub component_access_token: Secret,
    #[serde(deserialize_with = "crate::runtime::lenient::int")]
    pub expires_in: i64,
}

impl Operation for ComponentToken {
    type Output = ComponentTokenAnswer;
    type Error = TokenCallError;
    const META: EndpointMeta =
        meta("getComponentAccessToken", "/cgi-bin/component/api_component_token", Auth::None, true, shapes::COMPONENT_TOKEN);
    fn into_parts(self, _: &Credentials) -> Result<RequestParts, PrepareError> {
        json_body(serde_json::json!({
            "component_appid": self.component_app_id,
            "component_appsecret": self.component_secret.expose(),
            "component_verify_ticket": self.ticket.expose(),
        }))
    }
    fn decode(body: SuccessBody) -> Result<ComponentTokenAnswer, DecodeFailure> {
        crate::runtime::decode_json(body)
    }
}

/// `getPreAuthCode`.
pub(crate) struct PreAuthCode {
    pub component_app_id: String,
}

/// Its answer.
#[derive(Deserialize)]
pub(crate) struct PreAuthCodeAnswer {
    pub pre_auth_code: Secret,
}

impl Operation for PreAuthCode {
    type Output = PreAuthCodeAnswer;
    type Error = TokenCallError;
    const META: EndpointMeta =
        meta("getPreAuthCode", "/cgi-bin/component/api_create_preauthcode", Auth::ComponentAccessToken, true, shapes::PRE_AUTH_CODE);
    fn into_parts(self, _: &Credentials) -> Result<RequestParts, PrepareError> {
        json_body(serde_json::json!({ "component_appid": self.component_app_id }))
    }
    fn decode(body: SuccessBody) -> Result<PreAuthCodeAnswer, DecodeFailure> {
        crate::runtime::decode_json(body)
    }
}

/// `getAuthorizerRefreshToken` (`api_query_auth`).
pub(crate) struct QueryAuth {
    pub component_app_id: String,
    pub authorization_code: Secret,
}

/// Its answer.
#[derive(Deserialize)]
pub(crate) struct QueryAuthAnswer {
    pub authorization_info: AuthorizationInfo,
}

/// The authorizer's tokens and what it granted.
#[derive(Deserialize)]
pub(crate) struct AuthorizationInfo {
    pub authorizer_appid: String,
    pub authorizer_access_token: Option<Secret>,
    #[serde(default, deserialize_with = "crate::runtime::lenient::option_int")]
    pub expires_in: Option<i64>,
    pub authorizer_refresh_token: Option<Secret>,
    #[serde(default)]
    pub func_info: Vec<serde_json::Value>,
}

impl Operation for QueryAuth {
    type Output = QueryAuthAnswer;
    type Error = TokenCallError;
    // Not retried: an authorization code is good once.
    const META: EndpointMeta =
        meta("getAuthorizerRefreshToken", "/cgi-bin/component/api_query_auth", Auth::ComponentAccessToken, false, shapes::QUERY_AUTH);
    fn into_parts(self, _: &Credentials) -> Result<RequestParts, PrepareError> {
        json_body(serde_json::json!({
            "component_appid": self.component_app_id,
            "authorization_code": self.authorization_code.expose(),
        }))
    }
    fn decode(body: SuccessBody) -> Result<QueryAuthAnswer, DecodeFailure> {
        crate::runtime::decode_json(body)
    }
}

/// `getAuthorizerAccessToken` (`api_authorizer_token`).
pub(crate) struct AuthorizerToken {
    pub component_app_id: String,
    pub authorizer_app_id: String,
    pub refresh_token: Secret,
}

/// Its answer.
#[derive(Deserialize)]
pub(crate) struct AuthorizerTokenAnswer {
    pub authorizer_access_token: Secret,
    #[serde(deserialize_with = "crate::runtime::lenient::int")]
    pub expires_in: i64,
    pub authorizer_refresh_token: Option<Secret>,
}

impl Operation for AuthorizerToken {
    type Output = AuthorizerTokenAnswer;
    type Error = TokenCallError;
    const META: EndpointMeta = meta(
        "getAuthorizerAccessToken",
        "/cgi-bin/component/api_authorizer_token",
        Auth::ComponentAccessToken,
        true,
        shapes::AUTHORIZER_TOKEN,
    );
    fn into_parts(self, _: &Credentials) -> Result<RequestParts, PrepareError> {
        json_body(serde_json::json!({
            "component_appid": self.component_app_id,
            "authorizer_appid": self.authorizer_app_id,
            "authorizer_refresh_token": self.refresh_token.expose(),
        }))
    }
    fn decode(body: SuccessBody) -> Result<AuthorizerTokenAnswer, DecodeFailure> {
        crate::runtime::decode_json(body)
    }
}

/// The calls' shapes, in the generator's format (the fake server checks
/// requests against them and answers from them).
pub(crate) mod shapes {
    pub const COMPONENT_TOKEN: &str = r#"{"body":{"json":{"component_appid!":"string","component_appsecret!":"string","component_verify_ticket!":"string"}},"errors":[61004,61005,61006],"query":{},"response":{"json":{"component_access_token!":"string","expires_in!":"int"}}}"#;
    pub const PRE_AUTH_CODE: &str = r#"{"body":{"json":{"component_appid!":"string"}},"errors":[],"query":{},"response":{"json":{"pre_auth_code!":"string","expires_in!":"int"}}}"#;
    pub const QUERY_AUTH: &str = r#"{"body":{"json":{"authorization_code!":"string","component_appid!":"string"}},"errors":[61010],"query":{},"response":{"json":{"authorization_info!":{"object":{"authorizer_appid!":"string","authorizer_access_token":"string","expires_in":"int","authorizer_refresh_token":"string","func_info":{"array":"json"}}}}}}"#;
    pub const AUTHORIZER_TOKEN: &str = r#"{"body":{"json":{"authorizer_appid!":"string","authorizer_refresh_token!":"string","component_appid!":"string"}},"errors":[61023],"query":{},"response":{"json":{"authorizer_access_token!":"string","authorizer_refresh_token":"string","expires_in!":"int"}}}"#;
}
