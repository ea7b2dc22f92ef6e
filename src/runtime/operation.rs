//! What generated code implements for every endpoint.

use bytes::Bytes;

use crate::error::{ApiError, PrepareError};
pub(crate) use crate::store::RateLimit;
use crate::{Secret, Upload};

/// HTTP method of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HttpMethod {
    Get,
    Post,
}

/// How an endpoint authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// `access_token` in the query.
    AccessToken,
    /// Nothing.
    None,
}

/// What a successful answer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResponseKind {
    /// A JSON object.
    Json,
    /// Bytes on success, JSON on failure.
    Binary,
    /// `{errcode: 0}` only.
    Ack,
}

/// Facts about an endpoint, from its spec.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EndpointMeta {
    pub name: &'static str,
    pub method: HttpMethod,
    pub path: &'static str,
    pub auth: Auth,
    /// May the call be sent twice? Decides whether passing failures are retried.
    pub retry_safe: bool,
    /// The documented call limit, enforced when the client is asked to.
    pub rate_limit: Option<RateLimit>,
    pub response: ResponseKind,
    /// The answer carries credentials: never keep its raw body in errors.
    pub secret_response: bool,
}

/// The client's own credentials, for fields filled from them.
#[derive(Clone, Default)]
pub(crate) struct Credentials {
    pub app_id: Option<String>,
    pub app_secret: Option<Secret>,
}

impl Credentials {
    pub fn app_id(&self) -> Result<&str, PrepareError> {
        self.app_id.as_deref().ok_or(PrepareError::MissingAppId)
    }

    pub fn app_secret(&self) -> Result<&Secret, PrepareError> {
        self.app_secret.as_ref().ok_or(PrepareError::MissingAppSecret)
    }
}

/// A request body, cheap to clone so a retry can send it again.
#[derive(Debug, Clone)]
pub(crate) enum RequestBody {
    Empty,
    Json(Bytes),
    /// A multipart form: its file parts (name, file) and text parts.
    Multipart {
        files: Vec<(&'static str, Upload)>,
        parts: Vec<(&'static str, String)>,
    },
}

impl RequestBody {
    /// A JSON body from a request type.
    pub fn json<T: serde::Serialize>(value: &T) -> Result<RequestBody, PrepareError> {
        serde_json::to_vec(value).map(|v| RequestBody::Json(v.into())).map_err(|e| PrepareError::Body(e.to_string()))
    }

    /// A JSON body from a request type plus members the client fills in
    /// (constants, the app id, the secret).
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
pub(crate) struct RequestParts {
    pub query: Vec<(&'static str, String)>,
    pub body: RequestBody,
}

impl RequestParts {
    /// Whether the request can be sent a second time: not when it uploads
    /// from a reader, which the first attempt used up.
    pub fn can_resend(&self) -> bool {
        !matches!(&self.body, RequestBody::Multipart { files, .. } if files.iter().any(|(_, upload)| upload.is_one_shot()))
    }
}

/// Implemented by each generated request type.
pub(crate) trait Operation: Send + Sized + 'static {
    /// What a successful call returns.
    type Output: Send + 'static;
    /// The endpoint's error enum.
    type Error: ApiError;
    /// Facts from the spec.
    const META: EndpointMeta;
    /// Query and body, with fields filled from the client's credentials.
    fn into_parts(self, credentials: &Credentials) -> Result<RequestParts, PrepareError>;
    /// Reads a successful answer.
    fn decode(body: super::SuccessBody) -> Result<Self::Output, super::DecodeFailure>;
}
