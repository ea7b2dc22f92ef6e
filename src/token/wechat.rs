//! The two calls that fetch an access token from WeChat, written by hand so
//! the client needs none of the generated code (the `access_token`
//! category's feature may be off):
//!
//! - stable token (the default): `POST /cgi-bin/stable_token` with the JSON
//!   body `{"grant_type": "client_credential", "appid", "secret",
//!   "force_refresh"}`;
//! - classic token: `GET /cgi-bin/token?grant_type=client_credential&appid=…&secret=…`.
//!
//! Both answer `{"access_token": "…", "expires_in": 7200}`.

use std::fmt;

use crate::error::{ApiError, ErrorBody, PrepareError, RetryKind};
use crate::runtime::{
    Auth, Credentials, DecodeFailure, EndpointMeta, HttpMethod, Operation, RequestBody, RequestParts, ResponseKind, SuccessBody,
};
use crate::secret::Secret;

/// What both token calls answer.
#[derive(serde::Deserialize)]
pub(crate) struct TokenAnswer {
    pub access_token: Secret,
    #[serde(deserialize_with = "crate::runtime::lenient::int")]
    pub expires_in: i64,
}

/// An error code of a call that hands out tokens (an app's, or a
/// third-party platform's calls of [`wxa::platform`](crate::platform)).
/// Only `-1` (busy) is worth a retry, and a rejected component token a
/// refresh: the others mean wrong credentials or a refused app, which a
/// retry repeats.
#[derive(Debug)]
pub struct TokenCallError(ErrorBody);

impl fmt::Display for TokenCallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for TokenCallError {}

impl ApiError for TokenCallError {
    fn from_body(body: ErrorBody) -> Self {
        TokenCallError(body)
    }
    fn body(&self) -> &ErrorBody {
        &self.0
    }
    fn retry_kind(&self) -> RetryKind {
        match self.0.code {
            -1 => RetryKind::Transient,
            // The platform's calls carry its component token: a rejected
            // one is dropped, fetched again and the call retried once. The
            // app token calls carry none, so this changes nothing for them.
            40001 | 40014 | 42001 => RetryKind::RefreshToken,
            _ => RetryKind::None,
        }
    }
    fn is_documented(&self) -> bool {
        true
    }
}

/// `getStableAccessToken`.
pub(crate) struct StableToken {
    pub force_refresh: bool,
}

/// `getAccessToken`.
pub(crate) struct ClassicToken;

impl Operation for StableToken {
    type Output = TokenAnswer;
    type Error = TokenCallError;
    const META: EndpointMeta = EndpointMeta {
        name: "getStableAccessToken",
        method: HttpMethod::Post,
        path: "/cgi-bin/stable_token",
        auth: Auth::None,
        retry_safe: true,
        rate_limit: None,
        response: ResponseKind::Json,
        secret_response: true,
        api_security: crate::runtime::ApiSecurityMode::Never,
        shape: shapes::STABLE,
    };
    fn into_parts(self, credentials: &Credentials) -> Result<RequestParts, PrepareError> {
        let body = serde_json::json!({
            "grant_type": "client_credential",
            "appid": credentials.app_id()?,
            "secret": credentials.app_secret()?.expose(),
            "force_refresh": self.force_refresh,
        });
        Ok(RequestParts { query: Vec::new(), body: RequestBody::json(&body)? })
    }
    fn decode(body: SuccessBody) -> Result<TokenAnswer, DecodeFailure> {
        crate::runtime::decode_json(body)
    }
}

impl Operation for ClassicToken {
    type Output = TokenAnswer;
    type Error = TokenCallError;
    const META: EndpointMeta = EndpointMeta {
        name: "getAccessToken",
        method: HttpMethod::Get,
        path: "/cgi-bin/token",
        auth: Auth::None,
        retry_safe: true,
        rate_limit: None,
        response: ResponseKind::Json,
        secret_response: true,
        api_security: crate::runtime::ApiSecurityMode::Never,
        shape: shapes::CLASSIC,
    };
    fn into_parts(self, credentials: &Credentials) -> Result<RequestParts, PrepareError> {
        let query = vec![
            ("grant_type", "client_credential".to_owned()),
            ("appid", credentials.app_id()?.to_owned()),
            ("secret", credentials.app_secret()?.expose().to_owned()),
        ];
        Ok(RequestParts { query, body: RequestBody::Empty })
    }
    fn decode(body: SuccessBody) -> Result<TokenAnswer, DecodeFailure> {
        crate::runtime::decode_json(body)
    }
}

/// The shapes of the two calls, in the generator's format.
mod shapes {
    pub const STABLE: &str = concat!(
        r#"{"body":{"json":{"appid!":{"credential":"app_id"},"force_refresh":"bool","grant_type!":{"const":"client_credential"},"secret!":{"credential":"app_secret"}}},"errors":[],"query":{},"response":"#,
        r#"{"json":{"access_token!":"string","expires_in!":"int"}}}"#
    );
    pub const CLASSIC: &str = concat!(
        r#"{"body":"none","errors":[],"query":{"appid!":{"credential":"app_id"},"grant_type!":{"const":"client_credential"},"secret!":{"credential":"app_secret"}},"response":"#,
        r#"{"json":{"access_token!":"string","expires_in!":"int"}}}"#
    );
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use crate::testing::contract::{BodyContract, EndpointContract};

    #[test]
    fn the_shapes_read_as_contracts() {
        let stable = EndpointContract::from_meta(&StableToken::META).expect("stable shape");
        assert!(matches!(&stable.body, BodyContract::Json(fields) if fields.len() == 4));
        let classic = EndpointContract::from_meta(&ClassicToken::META).expect("classic shape");
        assert_eq!(classic.query.iter().filter(|f| f.required).count(), 3);
    }
}
