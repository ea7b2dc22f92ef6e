//! What each endpoint's spec says its requests and answers look like, as
//! data the fake server checks requests against and builds answers from.
//! The generator writes one [`EndpointContract`] per spec; the registry of
//! all of them is [`contracts`].

use serde_json::{Map, Value, json};

/// An endpoint's request and answer shapes.
#[derive(Debug)]
pub struct EndpointContract {
    /// Spec name, e.g. `getTempMedia`.
    pub name: &'static str,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Path on the API host.
    pub path: &'static str,
    /// Whether the call carries `access_token`.
    pub access_token: bool,
    /// Query parameters.
    pub query: &'static [FieldContract],
    /// The body.
    pub body: BodyContract,
    /// What success looks like.
    pub response: ResponseContract,
    /// The codes the endpoint documents.
    pub errors: &'static [i64],
    /// The ways of the endpoint's choice, when it has one: a request uses
    /// exactly one of them.
    pub choice: &'static [AlternativeContract],
}

/// One way a choice travels.
#[derive(Debug)]
pub enum AlternativeContract {
    /// As this query parameter.
    Query(&'static str),
    /// As this file part of a multipart body.
    File(&'static str),
    /// As members of the JSON body, of which this one is always present.
    Member(&'static str),
}

/// A request body's shape.
#[derive(Debug)]
pub enum BodyContract {
    /// No body.
    None,
    /// A JSON object.
    Json(&'static [FieldContract]),
    /// A multipart form with file parts and text parts.
    Multipart {
        /// The file parts.
        files: &'static [FileContract],
        /// The text parts.
        fields: &'static [FieldContract],
    },
    /// Any JSON value.
    AnyJson,
}

/// One file part of a multipart form.
#[derive(Debug)]
pub struct FileContract {
    /// The form part's name.
    pub name: &'static str,
    /// Whether every request must carry it.
    pub required: bool,
}

/// A successful answer's shape.
#[derive(Debug)]
pub enum ResponseContract {
    /// A JSON object.
    Json(&'static [FieldContract]),
    /// File bytes.
    Binary,
    /// `{errcode: 0}`.
    Ack,
}

/// Where a field's value must come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// The app id.
    AppId,
    /// The app secret.
    AppSecret,
}

/// One field.
#[derive(Debug)]
pub struct FieldContract {
    /// Name on the wire.
    pub name: &'static str,
    /// Its type.
    pub ty: TypeContract,
    /// Whether it must be present (also true for constants and credentials).
    pub required: bool,
    /// A constant it must equal, as text.
    pub fixed: Option<&'static str>,
    /// A credential it must equal.
    pub credential: Option<Credential>,
}

/// A field's type.
#[derive(Debug)]
pub enum TypeContract {
    /// A string.
    String,
    /// A boolean.
    Bool,
    /// An integer.
    Int,
    /// A number.
    Float,
    /// A string from a list.
    StrEnum(&'static [&'static str]),
    /// An integer from a list.
    IntEnum(&'static [i64]),
    /// An object.
    Object(&'static [FieldContract]),
    /// An array.
    Array(&'static TypeContract),
    /// An object with free keys.
    Map(&'static TypeContract),
    /// Any JSON.
    Json,
}

/// Every endpoint the crate was generated with.
pub fn contracts() -> &'static [&'static EndpointContract] {
    crate::api::CONTRACTS
}

/// Checks a text value (query parameter, form part). Credentials are only
/// checked for presence: a wrong secret is WeChat's business error, not a
/// malformed request.
fn check_text(path: &str, field: &FieldContract, text: &str, problems: &mut Vec<String>) {
    if let Some(fixed) = field.fixed
        && text != fixed
    {
        problems.push(format!("`{path}` must be `{fixed}`, not `{text}`"));
    }
    let ok = match &field.ty {
        TypeContract::Int | TypeContract::IntEnum(_) => text.parse::<i64>().is_ok() || text.parse::<u64>().is_ok(),
        TypeContract::Float => text.parse::<f64>().is_ok(),
        TypeContract::Bool => matches!(text, "true" | "false"),
        _ => true,
    };
    if !ok {
        problems.push(format!("`{path}` = `{text}` is not a {:?}", field.ty));
    }
    if let TypeContract::StrEnum(values) = &field.ty
        && !values.contains(&text)
    {
        problems.push(format!("`{path}` = `{text}` is not one of {values:?}"));
    }
    if let TypeContract::IntEnum(values) = &field.ty
        && !text.parse::<i64>().is_ok_and(|v| values.contains(&v))
    {
        problems.push(format!("`{path}` = `{text}` is not one of {values:?}"));
    }
}

/// Problems of query parameters or form parts against their contract.
pub(crate) fn check_pairs(fields: &[FieldContract], pairs: &[(String, String)], skip: &[&str], what: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for field in fields {
        match pairs.iter().find(|(k, _)| k == field.name) {
            Some((_, value)) => check_text(field.name, field, value, &mut problems),
            None if field.required => problems.push(format!("{what} `{}` is missing", field.name)),
            None => {}
        }
    }
    for (key, _) in pairs {
        if !skip.contains(&key.as_str()) && !fields.iter().any(|f| f.name == key) {
            problems.push(format!("{what} `{key}` is not in the spec"));
        }
    }
    problems
}

fn check_value(path: &str, ty: &TypeContract, value: &Value, problems: &mut Vec<String>) {
    let ok = match (ty, value) {
        (TypeContract::String, Value::String(_)) | (TypeContract::Bool, Value::Bool(_)) | (TypeContract::Json, _) => true,
        (TypeContract::Int, Value::Number(n)) => n.is_i64() || n.is_u64(),
        (TypeContract::Float, Value::Number(_)) => true,
        (TypeContract::StrEnum(values), Value::String(s)) => values.contains(&s.as_str()),
        (TypeContract::IntEnum(values), Value::Number(n)) => n.as_i64().is_some_and(|v| values.contains(&v)),
        (TypeContract::Object(fields), Value::Object(map)) => {
            check_object(path, fields, map, problems);
            true
        }
        (TypeContract::Array(item), Value::Array(items)) => {
            for (i, item_value) in items.iter().enumerate() {
                check_value(&format!("{path}[{i}]"), item, item_value, problems);
            }
            true
        }
        (TypeContract::Map(inner), Value::Object(map)) => {
            for (key, item_value) in map {
                check_value(&format!("{path}.{key}"), inner, item_value, problems);
            }
            true
        }
        _ => false,
    };
    if !ok {
        problems.push(format!("`{path}` = {value} does not fit {ty:?}"));
    }
}

/// Problems of a JSON object against its fields.
pub(crate) fn check_object(path: &str, fields: &[FieldContract], map: &Map<String, Value>, problems: &mut Vec<String>) {
    let join = |name: &str| if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") };
    for field in fields {
        match map.get(field.name) {
            Some(value) => {
                if let Some(fixed) = field.fixed
                    && value.to_string().trim_matches('"') != fixed
                {
                    problems.push(format!("`{}` must be `{fixed}`", join(field.name)));
                }
                check_value(&join(field.name), &field.ty, value, problems);
            }
            None if field.required => problems.push(format!("`{}` is missing", join(field.name))),
            None => {}
        }
    }
    for key in map.keys() {
        if !fields.iter().any(|f| f.name == key) {
            problems.push(format!("`{}` is not in the spec", join(key)));
        }
    }
}

/// A value of `ty`, for answers built from the spec.
pub(crate) fn sample(name: &str, ty: &TypeContract) -> Value {
    match ty {
        TypeContract::String => json!(format!("sample-{name}")),
        TypeContract::Bool => json!(true),
        TypeContract::Int => json!(1),
        TypeContract::Float => json!(1.5),
        TypeContract::StrEnum(values) => json!(values.first().copied().unwrap_or("sample")),
        TypeContract::IntEnum(values) => json!(values.first().copied().unwrap_or(0)),
        TypeContract::Object(fields) => Value::Object(sample_object(fields)),
        TypeContract::Array(item) => json!([sample(name, item)]),
        TypeContract::Map(inner) => json!({ "key": sample(name, inner) }),
        TypeContract::Json => json!({ "sample": true }),
    }
}

/// An object with every field filled in.
pub(crate) fn sample_object(fields: &[FieldContract]) -> Map<String, Value> {
    fields.iter().map(|f| (f.name.to_owned(), sample(f.name, &f.ty))).collect()
}

/// The answer of a successful call, built from the spec.
pub(crate) fn success_body(contract: &EndpointContract) -> Option<Value> {
    match &contract.response {
        ResponseContract::Json(fields) => {
            let mut object = sample_object(fields);
            object.insert("errcode".to_owned(), json!(0));
            object.insert("errmsg".to_owned(), json!("ok"));
            Some(Value::Object(object))
        }
        ResponseContract::Ack => Some(json!({"errcode": 0, "errmsg": "ok"})),
        ResponseContract::Binary => None,
    }
}

/// Everything wrong with a request against one contract; empty when it fits.
pub(crate) fn request_problems(
    contract: &EndpointContract,
    query: &[(String, String)],
    content_type: Option<&str>,
    json: Option<&Value>,
    parts: &[crate::testing::ReceivedPart],
) -> Vec<String> {
    let mut problems = check_pairs(contract.query, query, &["access_token"], "query parameter");
    if !contract.choice.is_empty() {
        let used = contract
            .choice
            .iter()
            .filter(|alternative| match alternative {
                AlternativeContract::Query(name) => query.iter().any(|(key, _)| key == name),
                AlternativeContract::File(name) => parts.iter().any(|p| p.name == *name && p.file_name.is_some()),
                AlternativeContract::Member(name) => json.and_then(|j| j.get(*name)).is_some(),
            })
            .count();
        if used != 1 {
            problems.push(format!("the request must use exactly one of {:?}, not {used}", contract.choice));
        }
    }
    let is = |prefix: &str| content_type.is_some_and(|ct| ct.to_ascii_lowercase().starts_with(prefix));
    match &contract.body {
        BodyContract::None => {}
        BodyContract::Json(fields) => match json {
            Some(Value::Object(map)) if is("application/json") => check_object("", fields, map, &mut problems),
            _ => problems.push("the body must be a JSON object sent as application/json".to_owned()),
        },
        BodyContract::AnyJson => {
            if json.is_none() || !is("application/json") {
                problems.push("the body must be JSON sent as application/json".to_owned());
            }
        }
        BodyContract::Multipart { files, fields } => {
            if !is("multipart/form-data") {
                problems.push("the body must be multipart/form-data".to_owned());
            }
            for file in files.iter().filter(|f| f.required) {
                if !parts.iter().any(|p| p.name == file.name && p.file_name.is_some()) {
                    problems.push(format!("the file part `{}` is missing", file.name));
                }
            }
            let text: Vec<(String, String)> = parts
                .iter()
                .filter(|p| !files.iter().any(|f| f.name == p.name))
                .map(|p| (p.name.clone(), String::from_utf8_lossy(&p.bytes).into_owned()))
                .collect();
            problems.extend(check_pairs(fields, &text, &[], "form part"));
        }
    }
    problems
}

/// The success half of a generated contract test.
#[cfg(test)]
pub(crate) fn assert_success<T: std::fmt::Debug, E: std::fmt::Debug>(
    fake: &super::FakeWeChat,
    name: &str,
    result: &Result<T, crate::Error<E>>,
) {
    let violations = fake.contract_violations();
    assert!(violations.is_empty(), "{name}: the request does not fit its spec: {violations:?}");
    assert!(result.is_ok(), "{name}: the spec's own answer did not decode: {result:?}");
}

/// The error half of a generated contract test: the injected documented
/// code must come back as its own variant (or the shared one), not `Unknown`.
#[cfg(test)]
pub(crate) fn assert_documented_error<T: std::fmt::Debug, E: crate::ApiError + std::fmt::Debug>(
    fake: &super::FakeWeChat,
    name: &str,
    code: i64,
    result: Result<T, crate::Error<E>>,
) {
    assert!(fake.contract_violations().is_empty(), "{name}: {:?}", fake.contract_violations());
    match result {
        Err(crate::Error::Api(error)) => {
            assert_eq!(error.body().code, code, "{name}");
            assert!(error.is_documented(), "{name}: {code} decoded as Unknown: {error:?}");
        }
        other => panic!("{name}: expected errcode {code}, got {other:?}"),
    }
}
