//! The checked model the emitter works from. Everything here is valid:
//! names are Rust identifiers, codes are unique, types are resolved.

use std::sync::Arc;

/// The whole API: every endpoint and the shared error table.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// Endpoints sorted by category, then by name.
    pub endpoints: Vec<Endpoint>,
    /// Codes any endpoint may return (`specs/errors.yaml`), sorted by code.
    pub common_errors: Vec<ErrorCode>,
    /// The named types of the `types.yaml` files that endpoints use,
    /// sorted by scope (the whole API first), then name.
    pub named_types: Vec<Arc<NamedType>>,
    /// The pushed messages and events, sorted by category, then name.
    pub events: Vec<PushEvent>,
}

impl Api {
    /// The categories in order, each with its endpoints.
    pub fn categories(&self) -> Vec<(&str, Vec<&Endpoint>)> {
        let mut out: Vec<(&str, Vec<&Endpoint>)> = Vec::new();
        for endpoint in &self.endpoints {
            match out.last_mut() {
                Some((category, list)) if *category == endpoint.category => list.push(endpoint),
                _ => out.push((&endpoint.category, vec![endpoint])),
            }
        }
        out
    }
}

/// HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// GET
    Get,
    /// POST
    Post,
}

/// How a call authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `access_token` in the query.
    AccessToken,
    /// `component_access_token` in the query (a third-party platform's).
    ComponentAccessToken,
    /// The component token under the name `access_token` (the
    /// template-library calls).
    ComponentAccessTokenAsAccessToken,
    /// Nothing.
    None,
}

/// One endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// Spec name, `getTempMedia`.
    pub name: String,
    /// Client method, `get_temp_media`.
    pub method_name: String,
    /// Type prefix, `GetTempMedia`.
    pub type_prefix: String,
    /// File the spec came from, relative to the spec root.
    pub source_file: String,
    /// File name stem of the generated module (`get_temp_media`).
    pub file_stem: String,
    pub summary: String,
    pub docs_url: String,
    pub category: String,
    pub cloud: Option<String>,
    pub http_method: HttpMethod,
    pub path: String,
    pub auth: Auth,
    pub retry_safe: bool,
    pub notes: Option<String>,
    pub query: Vec<Field>,
    pub body: Body,
    pub response: Response,
    /// The endpoint's own codes, sorted by code.
    pub errors: Vec<ErrorCode>,
    /// Documented call limit: calls per period.
    pub rate_limit: Option<RateLimit>,
    /// A value the caller gives one of several ways.
    pub choice: Option<Choice>,
    /// Signatures the client adds over the exact request it sends.
    pub signing: Option<Signing>,
    /// Whether the call may, or must, go in WeChat's API security mode.
    pub api_security: Option<ApiSecurity>,
}

impl Endpoint {
    /// Every field of the endpoint's query, body, choice and response (top
    /// level).
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        let response: &[Field] = match &self.response {
            Response::Json(fields) => fields,
            _ => &[],
        };
        let choice = self.choice.iter().flat_map(|c| &c.alternatives).flat_map(|a| match &a.carrier {
            Carrier::Query(field) => std::slice::from_ref(&**field),
            Carrier::Json(fields) => fields.as_slice(),
            Carrier::File(_) => &[],
        });
        self.query.iter().chain(self.body.fields()).chain(response).chain(choice)
    }
}

/// One message or event WeChat pushes to the app's server.
#[derive(Debug, Clone, PartialEq)]
pub struct PushEvent {
    /// UpperCamelCase: the `Event` variant and its struct.
    pub name: String,
    /// File the spec came from, relative to the spec root.
    pub source_file: String,
    pub summary: String,
    pub docs_url: String,
    pub category: String,
    /// The `MsgType` it comes with; empty for an `InfoType` notification.
    pub msg_type: String,
    /// The `InfoType` of a third-party platform's notification.
    pub info_type: Option<String>,
    /// The `Event` it comes with, when `msg_type` is `event`.
    pub event: Option<String>,
    pub reply: EventReply,
    /// The XML element wrapping its members in XML pushes.
    pub xml_wrapper: Option<String>,
    pub notes: Option<String>,
    /// Its members besides the common header.
    pub fields: Vec<Field>,
}

/// What WeChat expects back from a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventReply {
    /// `success` (or an empty body).
    Success,
    /// `{ErrCode, ErrMsg}` in the push's format (virtual payment).
    ErrCode,
    /// A result object the event's page describes.
    Custom,
}

/// The signatures of a call, computed by the client over the bytes it sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signing {
    /// Whose AppKey signs `pay_sig`, if the call has one.
    pub pay_sig: Option<PayKey>,
    /// The JSON body member (0 production, 1 sandbox) that picks the AppKey.
    pub env_field: Option<String>,
    /// `signature` keyed with the user's session key; the request then
    /// carries the session key.
    pub user_signature: bool,
}

/// How an endpoint takes part in WeChat's API security mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiSecurity {
    /// Secured when the client is set to secure every call that may be.
    Supported,
    /// Always secured: WeChat refuses the call otherwise.
    Required,
}

/// The payment products whose AppKey signs `pay_sig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayKey {
    /// Virtual payment (xpay).
    VirtualPayment,
    /// The B2b store (retail) payments.
    B2bStore,
}

/// A request value with alternatives, each travelling its own way: a
/// Rust enum held by the request.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The request field.
    pub rust_name: String,
    /// The enum.
    pub type_name: String,
    pub doc: String,
    pub alternatives: Vec<Alternative>,
}

/// One variant of a [`Choice`].
#[derive(Debug, Clone, PartialEq)]
pub struct Alternative {
    pub name: String,
    pub doc: String,
    pub carrier: Carrier,
}

/// How an alternative's value travels.
#[derive(Debug, Clone, PartialEq)]
pub enum Carrier {
    /// As this query parameter (a scalar); the endpoint's body is sent as is.
    Query(Box<Field>),
    /// As the only file part of a multipart body, instead of the endpoint's body.
    File(FilePart),
    /// As these members of the endpoint's JSON body (a struct variant).
    Json(Vec<Field>),
}

/// A documented call limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls allowed per period.
    pub calls: u64,
    /// The period in seconds (1, 60, 3600 or 86400).
    pub per_seconds: u64,
}

/// The request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// No body.
    None,
    /// A JSON object.
    Json(Vec<Field>),
    /// A multipart form: its file parts and its text parts.
    Multipart { files: Vec<FilePart>, fields: Vec<Field> },
    /// Any JSON value the caller builds (a cloud function's event), with
    /// the doc of the `payload` field that holds it.
    AnyJson(String),
}

impl Body {
    /// The described fields of the body (none for `None` and `AnyJson`).
    pub fn fields(&self) -> &[Field] {
        match self {
            Body::Json(fields) | Body::Multipart { fields, .. } => fields,
            Body::None | Body::AnyJson(_) => &[],
        }
    }
}

/// One file part of a multipart body.
#[derive(Debug, Clone, PartialEq)]
pub struct FilePart {
    /// The form part's name, also the request field's Rust name.
    pub name: String,
    pub doc: String,
    /// Whether the caller must give it (an `Upload`, else an `Option`).
    pub required: bool,
}

/// What a successful call returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// A JSON object with these fields.
    Json(Vec<Field>),
    /// Bytes on success, JSON on failure.
    Binary,
    /// `{errcode: 0}` only.
    Ack,
}

/// Where a field's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldSource {
    /// The caller sets it on the request.
    Caller,
    /// Always this constant (already rendered as the wire text).
    Fixed(FixedValue),
    /// The client's app id.
    AppId,
    /// The client's app secret.
    AppSecret,
}

/// A constant field value.
#[derive(Debug, Clone, PartialEq)]
pub enum FixedValue {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
}

impl FixedValue {
    /// The value as text on the wire (query parameter, form part).
    pub fn wire_text(&self) -> String {
        match self {
            FixedValue::Str(s) => s.clone(),
            FixedValue::Int(i) => i.to_string(),
            FixedValue::Bool(b) => b.to_string(),
        }
    }
}

/// One field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Name on the wire.
    pub wire_name: String,
    /// Name in Rust.
    pub rust_name: String,
    pub ty: Type,
    pub required: bool,
    pub doc: String,
    /// WeChat's default, rendered for the docs.
    pub default: Option<String>,
    pub source: FieldSource,
    /// Documented limits, checked by the client before sending.
    pub constraints: Constraints,
}

/// Documented limits of a field's value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Constraints {
    /// Fewest characters (strings).
    pub min_length: Option<u64>,
    /// Most characters (strings).
    pub max_length: Option<u64>,
    /// Most UTF-8 bytes (strings).
    pub max_bytes: Option<u64>,
    /// Fewest items (arrays).
    pub min_items: Option<u64>,
    /// Most items (arrays).
    pub max_items: Option<u64>,
    /// Smallest value (numbers).
    pub minimum: Option<f64>,
    /// Largest value (numbers).
    pub maximum: Option<f64>,
    /// Allowed characters, as written in the spec (`0-9a-zA-Z_`).
    pub chars: Option<String>,
    /// Limits of each item (arrays).
    pub item: Option<Box<Constraints>>,
}

impl Constraints {
    /// Whether there is anything to check on the value itself.
    pub fn is_empty(&self) -> bool {
        *self == Constraints::default()
    }
}

/// Integer widths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntType {
    /// i32
    I32,
    /// i64
    I64,
    /// u32
    U32,
    /// u64
    U64,
}

/// A field type.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    /// String.
    String,
    /// A credential, redacted in Debug.
    Secret,
    /// bool.
    Bool,
    /// Integer.
    Int(IntType),
    /// f64.
    Float,
    /// A struct.
    Object(ObjectType),
    /// Vec of the item type.
    Array(Box<Type>),
    /// A JSON object with free keys (template keywords): `BTreeMap<String, T>`.
    Map(Box<Type>),
    /// Any JSON value.
    Json,
    /// An enum.
    Enum(EnumType),
    /// A named type from a `types.yaml`.
    Named(NamedRef),
}

impl Type {
    /// Calls `f` on every named type this type refers to, nested ones
    /// included but not looking inside the named types themselves.
    pub fn each_ref(&self, f: &mut dyn FnMut(&NamedRef)) {
        match self {
            Type::Named(r) => f(r),
            Type::Object(o) => o.fields.iter().for_each(|field| field.ty.each_ref(f)),
            Type::Array(item) | Type::Map(item) => item.each_ref(f),
            _ => {}
        }
    }

    /// The type itself, or for a named type the object or enum it names.
    pub fn resolved(&self) -> &Type {
        match self {
            Type::Named(NamedRef { target: Some(target), .. }) => &target.ty,
            other => other,
        }
    }
}

/// A type defined once in a `types.yaml` and used by name.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedType {
    /// The Rust name, `Sender`.
    pub name: String,
    /// `""` for a type of the whole API (`specs/types.yaml`, module
    /// `api::types`), else the category whose module holds it.
    pub scope: String,
    pub doc: String,
    /// An `Object` or an `Enum` named `name`.
    pub ty: Type,
}

/// A use of a named type.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedRef {
    pub name: String,
    /// As [`NamedType::scope`].
    pub scope: String,
    /// The definition, filled in once the whole set is valid (named types
    /// hold no cycles, so this is a finite tree).
    pub target: Option<Arc<NamedType>>,
}

/// A generated struct.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectType {
    pub name: String,
    pub fields: Vec<Field>,
}

/// A generated enum.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumType {
    pub name: String,
    /// `None` for string enums, the integer type for integer enums.
    pub int: Option<IntType>,
    pub variants: Vec<EnumVariant>,
}

/// One enum value.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumVariant {
    pub name: String,
    pub value: EnumValue,
    pub doc: Option<String>,
}

/// The wire value of an enum variant.
#[derive(Debug, Clone, PartialEq)]
pub enum EnumValue {
    /// A string value.
    Str(String),
    /// An integer value.
    Int(i64),
}

/// How the client should treat an error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryKind {
    /// Final.
    None,
    /// A passing fault.
    Transient,
    /// A rate limit.
    Throttle,
    /// The access token is invalid.
    RefreshToken,
}

/// One row of an error table.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorCode {
    pub code: i64,
    pub name: String,
    pub doc: String,
    pub retry: RetryKind,
}
