//! What each endpoint's spec says its requests and answers look like, as
//! data the fake server checks requests against and builds answers from.
//! It is read from the `shape` of each endpoint's
//! [`EndpointMeta`], the one description the
//! generator writes, so the client's facts and the fake's checks cannot
//! disagree.

use serde_json::{Map, Value, json};

use crate::runtime::{Auth, EndpointMeta, HttpMethod, ResponseKind};

/// An endpoint's request and answer shapes.
#[derive(Debug, Clone)]
pub struct EndpointContract {
    /// Spec name, e.g. `getTempMedia`.
    pub name: &'static str,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Path on the API host.
    pub path: &'static str,
    /// Which token the call carries, and under what name.
    pub auth: Auth,
    /// Query parameters.
    pub query: Vec<FieldContract>,
    /// The body.
    pub body: BodyContract,
    /// What success looks like.
    pub response: ResponseContract,
    /// The codes the endpoint documents.
    pub errors: Vec<i64>,
    /// The ways of the endpoint's choice, when it has one: a request uses
    /// exactly one of them.
    pub choice: Vec<AlternativeContract>,
    /// The signatures the client adds, when the call is signed.
    pub signing: Option<SigningContract>,
    /// Whether the call may, or must, come in the API security mode.
    pub api_security: crate::runtime::ApiSecurityMode,
}

/// The signatures a signed call carries in its query.
#[derive(Debug, Clone)]
pub struct SigningContract {
    /// Whose AppKey signs `pay_sig`, if the call has one.
    pub pay_sig: Option<crate::runtime::PayKey>,
    /// The body member that picks the AppKey's environment.
    pub env_field: Option<String>,
    /// Whether the call carries `signature` (keyed with the session key).
    pub user_signature: bool,
}

/// One way a choice travels.
#[derive(Debug, Clone)]
pub enum AlternativeContract {
    /// As this query parameter.
    Query(String),
    /// As this file part of a multipart body.
    File(String),
    /// As members of the JSON body, of which this one is always present.
    Member(String),
}

/// A request body's shape.
#[derive(Debug, Clone)]
pub enum BodyContract {
    /// No body.
    None,
    /// A JSON object.
    Json(Vec<FieldContract>),
    /// A multipart form with file parts and text parts.
    Multipart {
        /// The file parts.
        files: Vec<FileContract>,
        /// The text parts.
        fields: Vec<FieldContract>,
    },
    /// Any JSON value.
    AnyJson,
}

/// One file part of a multipart form.
#[derive(Debug, Clone)]
pub struct FileContract {
    /// The form part's name.
    pub name: String,
    /// Whether every request must carry it.
    pub required: bool,
}

/// A successful answer's shape.
#[derive(Debug, Clone)]
pub enum ResponseContract {
    /// A JSON object.
    Json(Vec<FieldContract>),
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
#[derive(Debug, Clone)]
pub struct FieldContract {
    /// Name on the wire.
    pub name: String,
    /// Its type.
    pub ty: TypeContract,
    /// Whether it must be present (also true for constants and credentials).
    pub required: bool,
    /// A constant it must equal, as text.
    pub fixed: Option<String>,
    /// A credential it must equal.
    pub credential: Option<Credential>,
}

/// A field's type.
#[derive(Debug, Clone)]
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
    StrEnum(Vec<String>),
    /// An integer from a list.
    IntEnum(Vec<i64>),
    /// An object.
    Object(Vec<FieldContract>),
    /// An array.
    Array(Box<TypeContract>),
    /// An object with free keys.
    Map(Box<TypeContract>),
    /// Any JSON.
    Json,
}

impl EndpointContract {
    /// The contract of an endpoint, from its facts.
    ///
    /// # Errors
    ///
    /// When the shape is not what the generator writes (a hand-written
    /// `EndpointMeta` with a mistake in it).
    pub fn from_meta(meta: &EndpointMeta) -> Result<EndpointContract, String> {
        let shape: Value = serde_json::from_str(meta.shape).map_err(|e| format!("{}: the shape is not JSON: {e}", meta.name))?;
        let problem = |what: &str| format!("{}: the shape's {what} is malformed", meta.name);
        let query = fields(&shape["query"]).ok_or_else(|| problem("query"))?;
        let body = body(&shape["body"]).ok_or_else(|| problem("body"))?;
        let response = match (&shape["response"], meta.response) {
            (Value::String(s), ResponseKind::Binary) if s == "binary" => ResponseContract::Binary,
            (Value::String(s), ResponseKind::Ack) if s == "ack" => ResponseContract::Ack,
            (Value::Object(o), ResponseKind::Json) => {
                ResponseContract::Json(o.get("json").and_then(fields).ok_or_else(|| problem("response"))?)
            }
            _ => return Err(problem("response")),
        };
        let errors = shape["errors"].as_array().map(|codes| codes.iter().filter_map(Value::as_i64).collect()).unwrap_or_default();
        let choice = match &shape["choice"] {
            Value::Null => Vec::new(),
            alternatives => {
                alternatives.as_array().and_then(|list| list.iter().map(alternative).collect()).ok_or_else(|| problem("choice"))?
            }
        };
        let signing = match &shape["signing"] {
            Value::Null => None,
            signing => Some(signing_contract(signing).ok_or_else(|| problem("signing"))?),
        };
        Ok(EndpointContract {
            name: meta.name,
            method: match meta.method {
                HttpMethod::Get => "GET",
                HttpMethod::Post => "POST",
            },
            path: meta.path,
            auth: meta.auth,
            query,
            body,
            response,
            errors,
            choice,
            signing,
            api_security: meta.api_security,
        })
    }
}

/// `{"pay_sig": product | null, "env": member | null, "user_signature": bool}`.
fn signing_contract(shape: &Value) -> Option<SigningContract> {
    use crate::runtime::PayKey;
    let pay_sig = match &shape["pay_sig"] {
        Value::Null => None,
        Value::String(s) if s == "virtual_payment" => Some(PayKey::VirtualPayment),
        Value::String(s) if s == "b2b_store" => Some(PayKey::B2bStore),
        _ => return None,
    };
    let env_field = match &shape["env"] {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        _ => return None,
    };
    Some(SigningContract { pay_sig, env_field, user_signature: shape["user_signature"].as_bool()? })
}

/// What is wrong with a signed request's signatures: `pay_sig` must be the
/// HMAC-SHA256 of `<path>&<body>` with the AppKey of the body's
/// environment, over the bytes received; `signature` (keyed with a
/// session key the fake cannot know) must be 64 lowercase hex digits.
pub(crate) fn signature_problems(
    signing: &SigningContract,
    path: &str,
    query: &[(String, String)],
    body: &[u8],
    keys: &crate::runtime::sign::PayKeys,
) -> Vec<String> {
    use crate::runtime::PayEnv;
    let mut problems = Vec::new();
    let param = |name: &str| query.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
    if let Some(product) = signing.pay_sig {
        // The client's reading of the environment; one it refuses signs nothing.
        let env = signing
            .env_field
            .as_deref()
            .map_or(Ok(PayEnv::Production), |field| crate::runtime::sign::env_of(body, field))
            .unwrap_or(PayEnv::Production);
        match (param("pay_sig"), keys.get(product, env)) {
            (None, _) => problems.push("the query has no pay_sig".to_owned()),
            (_, None) => problems.push(format!("the fake has no {product} AppKey ({env})")),
            (Some(sent), Some(key)) if sent != crate::runtime::sign::pay_sig(key, path, body) => {
                problems.push(format!("pay_sig does not match the {product} AppKey ({env}) over the path and body received"));
            }
            _ => {}
        }
    }
    if signing.user_signature {
        let well_formed =
            param("signature").is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        if !well_formed {
            problems.push("the query has no signature of 64 lowercase hex digits".to_owned());
        }
    }
    problems
}

/// `{"query": name}`, `{"file": name}` or `{"member": name}`.
fn alternative(shape: &Value) -> Option<AlternativeContract> {
    let (way, name) = shape.as_object()?.iter().next()?;
    let name = name.as_str()?.to_owned();
    Some(match way.as_str() {
        "query" => AlternativeContract::Query(name),
        "file" => AlternativeContract::File(name),
        "member" => AlternativeContract::Member(name),
        _ => return None,
    })
}

fn body(shape: &Value) -> Option<BodyContract> {
    match shape {
        Value::String(s) if s == "none" => Some(BodyContract::None),
        Value::String(s) if s == "any_json" => Some(BodyContract::AnyJson),
        Value::Object(o) => match (o.get("json"), o.get("multipart")) {
            (Some(json), None) => fields(json).map(BodyContract::Json),
            (None, Some(Value::Object(form))) => {
                // `"name!"` for a part every request carries.
                let files = form.get("files")?.as_array()?.iter().map(|f| f.as_str().map(file_contract)).collect::<Option<Vec<_>>>()?;
                Some(BodyContract::Multipart { files, fields: fields(form.get("fields")?)? })
            }
            _ => None,
        },
        _ => None,
    }
}

fn file_contract(name: &str) -> FileContract {
    match name.strip_suffix('!') {
        Some(name) => FileContract { name: name.to_owned(), required: true },
        None => FileContract { name: name.to_owned(), required: false },
    }
}

/// `{"name!": type, "other": type}`: a trailing `!` marks a required field.
fn fields(shape: &Value) -> Option<Vec<FieldContract>> {
    let object = shape.as_object()?;
    object
        .iter()
        .map(|(key, ty)| {
            let (name, required) = match key.strip_suffix('!') {
                Some(name) => (name.to_owned(), true),
                None => (key.clone(), false),
            };
            let (ty, fixed, credential) = match ty {
                Value::Object(o) if o.contains_key("const") => match &o["const"] {
                    Value::String(text) => (TypeContract::String, Some(text.clone()), None),
                    Value::Number(number) => (TypeContract::Int, Some(number.to_string()), None),
                    Value::Bool(flag) => (TypeContract::Bool, Some(flag.to_string()), None),
                    _ => return None,
                },
                Value::Object(o) if o.contains_key("credential") => {
                    let credential = match o["credential"].as_str()? {
                        "app_id" => Credential::AppId,
                        "app_secret" => Credential::AppSecret,
                        _ => return None,
                    };
                    (TypeContract::String, None, Some(credential))
                }
                other => (type_contract(other)?, None, None),
            };
            Some(FieldContract { name, ty, required, fixed, credential })
        })
        .collect()
}

fn type_contract(shape: &Value) -> Option<TypeContract> {
    Some(match shape {
        Value::String(s) => match s.as_str() {
            "string" => TypeContract::String,
            "bool" => TypeContract::Bool,
            "int" => TypeContract::Int,
            "float" => TypeContract::Float,
            "json" => TypeContract::Json,
            _ => return None,
        },
        Value::Object(o) if o.len() == 1 => {
            let (kind, inner) = o.iter().next()?;
            match kind.as_str() {
                "object" => TypeContract::Object(fields(inner)?),
                "array" => TypeContract::Array(Box::new(type_contract(inner)?)),
                "map" => TypeContract::Map(Box::new(type_contract(inner)?)),
                "enum" => {
                    let values = inner.as_array()?;
                    if values.iter().all(Value::is_string) {
                        TypeContract::StrEnum(values.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                    } else {
                        TypeContract::IntEnum(values.iter().map(Value::as_i64).collect::<Option<_>>()?)
                    }
                }
                _ => return None,
            }
        }
        _ => return None,
    })
}

/// Checks a text value (query parameter, form part). Credentials are only
/// checked for presence: a wrong secret is WeChat's business error, not a
/// malformed request.
fn check_text(path: &str, field: &FieldContract, text: &str, problems: &mut Vec<String>) {
    if let Some(fixed) = field.fixed.as_deref()
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
        && !values.iter().any(|v| v == text)
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
        match pairs.iter().find(|(k, _)| *k == field.name) {
            Some((_, value)) => check_text(&field.name, field, value, &mut problems),
            None if field.required => problems.push(format!("{what} `{}` is missing", field.name)),
            None => {}
        }
    }
    for (key, _) in pairs {
        if !skip.contains(&key.as_str()) && !fields.iter().any(|f| f.name == *key) {
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
        (TypeContract::StrEnum(values), Value::String(s)) => values.contains(s),
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
        match map.get(&field.name) {
            Some(value) => {
                if let Some(fixed) = field.fixed.as_deref()
                    && value.to_string().trim_matches('"') != fixed
                {
                    problems.push(format!("`{}` must be `{fixed}`", join(&field.name)));
                }
                check_value(&join(&field.name), &field.ty, value, problems);
            }
            None if field.required => problems.push(format!("`{}` is missing", join(&field.name))),
            None => {}
        }
    }
    for key in map.keys() {
        if !fields.iter().any(|f| f.name == *key) {
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
        TypeContract::StrEnum(values) => json!(values.first().map_or("sample", String::as_str)),
        TypeContract::IntEnum(values) => json!(values.first().copied().unwrap_or(0)),
        TypeContract::Object(fields) => Value::Object(sample_object(fields)),
        TypeContract::Array(item) => json!([sample(name, item)]),
        TypeContract::Map(inner) => json!({ "key": sample(name, inner) }),
        TypeContract::Json => json!({ "sample": true }),
    }
}

/// A sample of the members a shape describes (an event's), every field
/// filled in; `None` when the shape is not the generator's.
pub(crate) fn sample_members(shape: &str) -> Option<Map<String, Value>> {
    let shape: Value = serde_json::from_str(shape).ok()?;
    Some(sample_object(&fields(&shape)?))
}

/// An object with every field filled in.
pub(crate) fn sample_object(fields: &[FieldContract]) -> Map<String, Value> {
    fields.iter().map(|f| (f.name.clone(), sample(&f.name, &f.ty))).collect()
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
    // The signatures are checked with the fake's keys, apart.
    let token = contract.auth.token_parameter();
    let skip: &[&str] = if contract.signing.is_some() { &["access_token", "pay_sig", "signature"] } else { token.as_slice() };
    let mut problems = check_pairs(&contract.query, query, skip, "query parameter");
    if !contract.choice.is_empty() {
        let used = contract
            .choice
            .iter()
            .filter(|alternative| match alternative {
                AlternativeContract::Query(name) => query.iter().any(|(key, _)| key == name),
                AlternativeContract::File(name) => parts.iter().any(|p| p.name == *name && p.file_name.is_some()),
                AlternativeContract::Member(name) => json.and_then(|j| j.get(name)).is_some(),
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

/// The success half of a generated contract test: the request fitted its
/// spec and the spec's own answer decoded.
///
/// # Panics
///
/// When either did not hold.
pub fn assert_success<T: std::fmt::Debug, E: std::fmt::Debug>(fake: &super::FakeWeChat, name: &str, result: &Result<T, crate::Error<E>>) {
    let violations = fake.contract_violations();
    assert!(violations.is_empty(), "{name}: the request does not fit its spec: {violations:?}");
    assert!(result.is_ok(), "{name}: the spec's own answer did not decode: {result:?}");
}

/// The error half of a generated contract test: the injected documented
/// code must come back as its own variant (or the shared one), not `Unknown`.
///
/// # Panics
///
/// When it did not.
pub fn assert_documented_error<T: std::fmt::Debug, E: crate::ApiError + std::fmt::Debug>(
    fake: &super::FakeWeChat,
    name: &str,
    code: i64,
    result: Result<T, crate::Error<E>>,
) {
    assert!(fake.contract_violations().is_empty(), "{name}: {:?}", fake.contract_violations());
    match result.map_err(crate::Error::into_kind) {
        Err(crate::ErrorKind::Api(error)) => {
            assert_eq!(error.body().code, code, "{name}");
            assert!(error.is_documented(), "{name}: {code} decoded as Unknown: {error:?}");
        }
        other => panic!("{name}: expected errcode {code}, got {other:?}"),
    }
}

/// A generated contract test: `call` runs the endpoint `name` through a
/// client of a fake server in contract mode that knows `endpoints`, once
/// expecting success (the request fits its spec, the spec's own answer
/// decodes) and once with the documented `code` injected, expecting it to
/// decode to its variant.
///
/// # Panics
///
/// When either half fails.
pub async fn contract_test<T, E, F, Fut>(endpoints: Vec<&'static crate::runtime::EndpointMeta>, name: &str, code: i64, call: F)
where
    T: std::fmt::Debug,
    E: crate::ApiError + std::fmt::Debug,
    F: Fn(crate::Client) -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::Error<E>>>,
{
    let component = endpoints.iter().any(|meta| meta.name == name && meta.auth.needs_component_token());
    let fake = super::FakeWeChat::start_contract_with(endpoints).await;
    // Endpoints that take a platform's component token go through its component client.
    let client = if component { fake.platform().await.component_client().clone() } else { fake.client() };
    let result = call(client.clone()).await;
    assert_success(&fake, name, &result);
    fake.inject_error(name, code);
    let result = call(client).await;
    assert_documented_error(&fake, name, code, result);
}
