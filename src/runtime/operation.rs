//! What generated code implements for every endpoint.

use bytes::Bytes;

use crate::error::{ApiError, PrepareError};
use crate::store::RateLimit;
use crate::{Secret, Upload};

/// HTTP method of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// GET.
    Get,
    /// POST.
    Post,
}

/// How an endpoint authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `access_token` in the query.
    AccessToken,
    /// `component_access_token` in the query: a third-party platform's
    /// own token, held by its component client
    /// ([`Platform::component_client`](crate::platform::Platform::component_client)).
    ComponentAccessToken,
    /// The platform's component token again, sent under the name
    /// `access_token`: the template-library calls document it so.
    ComponentAccessTokenAsAccessToken,
    /// Nothing.
    None,
}

impl Auth {
    /// The query parameter the token goes in, if the call carries one.
    pub const fn token_parameter(self) -> Option<&'static str> {
        match self {
            Self::AccessToken | Self::ComponentAccessTokenAsAccessToken => Some("access_token"),
            Self::ComponentAccessToken => Some("component_access_token"),
            Self::None => None,
        }
    }

    /// Whether the token is a third-party platform's component token,
    /// which only its component client holds.
    pub const fn needs_component_token(self) -> bool {
        matches!(self, Self::ComponentAccessToken | Self::ComponentAccessTokenAsAccessToken)
    }
}

/// What a successful answer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseKind {
    /// A JSON object.
    Json,
    /// Bytes on success, JSON on failure.
    Binary,
    /// `{errcode: 0}` only.
    Ack,
}

/// How an endpoint takes part in WeChat's API security mode (encrypted
/// body, signed `Wechatmp-*` headers, signed and encrypted answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiSecurityMode {
    /// Always sent plain (uploads, GETs, file answers, and calls whose page
    /// does not offer the mode).
    Never,
    /// Secured when the client is set to secure every call that may be
    /// ([`ApiSecurityKeys::for_every_supported_call`](crate::ApiSecurityKeys::for_every_supported_call)).
    Supported,
    /// Always secured: WeChat refuses the call sent plain.
    Required,
}

/// Facts about an endpoint, from its spec.
#[derive(Debug, Clone, Copy)]
pub struct EndpointMeta {
    /// The spec's name, e.g. `getTempMedia`.
    pub name: &'static str,
    /// GET or POST.
    pub method: HttpMethod,
    /// Path on the API host.
    pub path: &'static str,
    /// How the call authenticates.
    pub auth: Auth,
    /// May the call be sent twice? Decides whether passing failures are retried.
    pub retry_safe: bool,
    /// The documented call limit, enforced when the client is asked to.
    pub rate_limit: Option<RateLimit>,
    /// What a successful answer holds.
    pub response: ResponseKind,
    /// The answer carries credentials: never keep its raw body in errors.
    pub secret_response: bool,
    /// Whether the call may, or must, go in WeChat's API security mode.
    pub api_security: ApiSecurityMode,
    /// What the spec says requests and answers look like, as compact JSON:
    /// the fake server (`wxa::testing`) checks requests against it and
    /// answers from it, so tests and calls share one description.
    pub shape: &'static str,
}

/// The client's own credentials, for fields filled from them.
#[derive(Clone, Default)]
pub struct Credentials {
    pub(crate) app_id: Option<String>,
    pub(crate) app_secret: Option<Secret>,
    /// The AppKeys that sign `pay_sig`.
    pub(crate) pay_keys: super::sign::PayKeys,
    /// Its tokens are a third-party platform's component access tokens.
    pub(crate) component: bool,
}

impl Credentials {
    /// The app id, for fields the spec fills from it.
    ///
    /// # Errors
    ///
    /// When the client was built without one.
    pub fn app_id(&self) -> Result<&str, PrepareError> {
        self.app_id.as_deref().ok_or(PrepareError::MissingAppId)
    }

    /// The app secret, for fields the spec fills from it.
    ///
    /// # Errors
    ///
    /// When the client was built without one.
    pub fn app_secret(&self) -> Result<&Secret, PrepareError> {
        self.app_secret.as_ref().ok_or(PrepareError::MissingAppSecret)
    }
}

/// A request body, cheap to clone so a retry can send it again.
#[derive(Debug, Clone)]
pub enum RequestBody {
    /// No body.
    Empty,
    /// JSON bytes.
    Json(Bytes),
    /// A multipart form: its file parts and text parts.
    Multipart {
        /// The file parts: name and file.
        files: Vec<(&'static str, Upload)>,
        /// Text parts.
        parts: Vec<(&'static str, String)>,
    },
}

impl RequestBody {
    /// A JSON body from a request type.
    ///
    /// # Errors
    ///
    /// When the value cannot be written as JSON.
    pub fn json<T: serde::Serialize>(value: &T) -> Result<RequestBody, PrepareError> {
        serde_json::to_vec(value).map(|v| RequestBody::Json(v.into())).map_err(|e| PrepareError::Body(e.to_string()))
    }

    /// A JSON body from a request type plus members the client fills in
    /// (constants, the app id, the secret).
    ///
    /// # Errors
    ///
    /// When the value cannot be written as JSON or is not an object.
    pub fn json_with<T: serde::Serialize, const N: usize>(
        value: &T,
        extra: [(&'static str, serde_json::Value); N],
    ) -> Result<RequestBody, PrepareError> {
        let mut object = match serde_json::to_value(value).map_err(|e| PrepareError::Body(e.to_string()))? {
            serde_json::Value::Object(object) => object,
            _ => return Err(PrepareError::Body("the request is not a JSON object".to_owned())),
        };
        for (key, value) in extra {
            object.insert(key.to_owned(), value);
        }
        serde_json::to_vec(&object).map(|v| RequestBody::Json(v.into())).map_err(|e| PrepareError::Body(e.to_string()))
    }
}

/// A request ready to send, minus the access token.
#[derive(Debug, Clone)]
pub struct RequestParts {
    /// Query parameters, without `access_token`.
    pub query: Vec<(&'static str, String)>,
    /// The body.
    pub body: RequestBody,
}

impl RequestParts {
    /// Whether the request can be sent a second time: not when it uploads
    /// from a reader, which the first attempt used up.
    pub(crate) fn can_resend(&self) -> bool {
        !matches!(&self.body, RequestBody::Multipart { files, .. } if files.iter().any(|(_, upload)| upload.is_one_shot()))
    }
}

/// Implemented by each generated request type.
pub trait Operation: Send + Sized + 'static {
    /// What a successful call returns.
    type Output: Send + 'static;
    /// The endpoint's error enum.
    type Error: ApiError;
    /// Facts from the spec.
    const META: EndpointMeta;
    /// Query and body, with fields filled from the client's credentials.
    ///
    /// # Errors
    ///
    /// When a field breaks a documented limit or a credential is missing.
    fn into_parts(self, credentials: &Credentials) -> Result<RequestParts, PrepareError>;
    /// Reads a successful answer.
    ///
    /// # Errors
    ///
    /// When the answer does not fit the response type.
    fn decode(body: super::SuccessBody) -> Result<Self::Output, super::DecodeFailure>;
}
