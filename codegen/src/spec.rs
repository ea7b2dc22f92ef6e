//! The YAML spec format as written by maintainers (see `specs/README.md`).
//!
//! These types mirror the files loosely on purpose: enumerated keys are kept
//! as strings and unknown keys are collected in `unknown`, so validation can
//! report every problem of a file at once instead of stopping at the first.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_yaml::Value;

/// Keys a mapping had that the format does not know.
pub type UnknownKeys = BTreeMap<String, Value>;

/// The keys a spec mapping may hold, derived from its struct so that the
/// list diagnostics print can never drift from what the parser reads:
/// serializing a default value writes every declared key (under its
/// serde name) in declaration order, and the flattened `unknown` map,
/// being empty, writes none.
pub fn known_keys<T: Default + Serialize>() -> Vec<String> {
    match serde_yaml::to_value(T::default()) {
        Ok(Value::Mapping(mapping)) => mapping.keys().filter_map(|k| k.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

/// One endpoint file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct EndpointSpec {
    pub name: Option<String>,
    pub summary: Option<String>,
    pub docs: Option<String>,
    pub category: Option<String>,
    pub cloud: Option<String>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub auth: Option<String>,
    pub retry_safe: Option<bool>,
    pub notes: Option<String>,
    #[serde(default)]
    pub query: Vec<FieldSpec>,
    pub body: Option<BodySpec>,
    pub response: Option<ResponseSpec>,
    #[serde(default)]
    pub errors: Vec<ErrorSpec>,
    pub rate_limit: Option<RateLimitSpec>,
    /// A value that travels one of several ways (a query parameter or a
    /// file part), chosen by the caller.
    pub choice: Option<ChoiceSpec>,
    /// Signatures the client computes over the exact request it sends.
    pub signing: Option<SigningSpec>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

/// One pushed message or event (`specs/<category>/events/<name>.yaml`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct EventSpec {
    /// UpperCamelCase: the `Event` variant and its struct.
    pub name: Option<String>,
    pub summary: Option<String>,
    pub docs: Option<String>,
    pub category: Option<String>,
    /// The `MsgType` value (`event` for events).
    pub msg_type: Option<String>,
    /// The `Event` value, when `msg_type` is `event`.
    pub event: Option<String>,
    /// Instead of `msg_type`: the `InfoType` of a third-party platform's
    /// notification (`component_verify_ticket`, `authorized`, …).
    pub info_type: Option<String>,
    /// What WeChat expects back: `success`, `err_code` or `custom`.
    pub reply: Option<String>,
    /// The XML element that wraps the members in XML pushes (JSON pushes
    /// have them at the top level).
    pub xml_wrapper: Option<String>,
    pub notes: Option<String>,
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

/// `signing`: which signatures a call needs (see specs/README.md, "Signing").
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct SigningSpec {
    /// `virtual_payment` or `b2b_store`: `pay_sig` in the query, keyed with
    /// that payment's AppKey.
    pub pay_sig: Option<String>,
    /// The body field (0 production, 1 sandbox) that picks the AppKey.
    pub env: Option<String>,
    /// `signature` in the query, keyed with the user's session key.
    pub user_signature: Option<bool>,
    /// `supported` or `required`: WeChat's API security mode (encrypted
    /// body, signed `Wechatmp-*` headers, signed and encrypted answer).
    pub api_security: Option<String>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

/// A request value with alternatives: a Rust enum on the request.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ChoiceSpec {
    /// The request field's Rust name.
    pub name: Option<String>,
    pub type_name: Option<String>,
    pub doc: Option<String>,
    #[serde(default)]
    pub of: Vec<AlternativeSpec>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

/// One alternative: a variant, and how its value travels (exactly one of
/// `query`, `file` and `fields`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AlternativeSpec {
    /// The variant name, UpperCamelCase.
    pub name: Option<String>,
    pub doc: Option<String>,
    pub query: Option<FieldSpec>,
    pub file: Option<FileSpec>,
    /// Members of the JSON body.
    pub fields: Option<Vec<FieldSpec>>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

/// A documented call limit: `{calls: 5000, per: minute}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RateLimitSpec {
    pub calls: Option<u64>,
    pub per: Option<String>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

/// A field: query parameter, JSON member, multipart text part or array item.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct FieldSpec {
    pub name: Option<String>,
    pub rust_name: Option<String>,
    #[serde(rename = "type")]
    pub ty: Option<String>,
    pub required: Option<bool>,
    pub doc: Option<String>,
    pub default: Option<Value>,
    #[serde(rename = "enum")]
    pub enumeration: Option<Vec<EnumEntrySpec>>,
    pub fields: Option<Vec<FieldSpec>>,
    pub items: Option<Box<FieldSpec>>,
    pub values: Option<Box<FieldSpec>>,
    pub type_name: Option<String>,
    pub secret: Option<bool>,
    pub value: Option<Value>,
    pub from: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub max_bytes: Option<u64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub chars: Option<String>,
    /// A named type from a `types.yaml`, instead of `type`.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

/// A `types.yaml`: named types, for the whole API (`specs/types.yaml`) or
/// one category (`specs/<category>/types.yaml`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct TypesFileSpec {
    #[serde(default)]
    pub types: Vec<TypeDefSpec>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

/// One named type: an object (`fields`) or an enum (`enum`), written with
/// the field syntax.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct TypeDefSpec {
    pub name: Option<String>,
    pub doc: Option<String>,
    #[serde(rename = "type")]
    pub ty: Option<String>,
    pub fields: Option<Vec<FieldSpec>>,
    #[serde(rename = "enum")]
    pub enumeration: Option<Vec<EnumEntrySpec>>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

/// One allowed value of an enumerated field.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum EnumEntrySpec {
    /// `{value: 1, name: Public, doc: ...}`
    Full(EnumEntryFull),
    /// A plain value: `release`.
    Plain(Value),
}

/// The long form of an enum entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct EnumEntryFull {
    pub value: Value,
    pub name: Option<String>,
    pub doc: Option<String>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

/// A request body.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct BodySpec {
    pub kind: Option<String>,
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
    #[serde(default)]
    pub files: Vec<FileSpec>,
    pub doc: Option<String>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

/// A file part of a multipart body.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct FileSpec {
    pub name: Option<String>,
    pub doc: Option<String>,
    /// Default `true`.
    pub required: Option<bool>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

/// What a successful call returns.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ResponseSpec {
    pub kind: Option<String>,
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

/// One row of an error table.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ErrorSpec {
    pub code: Option<i64>,
    pub name: Option<String>,
    pub doc: Option<String>,
    pub retry: Option<String>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}

/// `specs/errors.yaml`: codes any endpoint may return.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct GlobalErrorsSpec {
    #[serde(default)]
    pub errors: Vec<ErrorSpec>,
    #[serde(flatten)]
    pub unknown: UnknownKeys,
}
