//! One endpoint file: its top-level keys, and the assembly of the parts
//! the other submodules lower.

use std::collections::BTreeMap;

use super::FileCx;
use super::fields::{FieldPlace, lower_fields};
use crate::ir::*;
use crate::load::LoadedFile;
use crate::locate::KeyPath;
use crate::names::*;
use crate::spec::*;

/// Names of `Client` methods written by hand or derived (`clone`, `fmt`),
/// which no endpoint may take.
const RESERVED_METHODS: &[&str] =
    &["builder", "cloud_run", "access_token", "invalidate_access_token", "app_id", "new", "execute", "clone", "clone_from", "fmt"];

/// The scalar top-level keys, each checked; `None` where missing or wrong.
struct Header<'s> {
    name: Option<&'s str>,
    summary: Option<&'s str>,
    docs: Option<&'s str>,
    category: Option<&'s str>,
    method: Option<HttpMethod>,
    path: Option<&'s str>,
    auth: Option<Auth>,
}

pub(super) fn lower_endpoint(cx: &mut FileCx<'_>, loaded: &LoadedFile<EndpointSpec>) -> Option<Endpoint> {
    let spec = &loaded.spec;
    let root = KeyPath::default();
    cx.unknown_keys::<EndpointSpec>(&root, &spec.unknown);
    let header = lower_header(cx, loaded);
    let prefix = header.name.map(upper_camel_case).unwrap_or_default();
    let query = lower_fields(cx, &root.key("query"), &spec.query, &prefix, FieldPlace::Query);
    let body = super::bodies::lower_body(cx, spec.body.as_ref(), &prefix);
    if header.method == Some(HttpMethod::Get) && spec.body.is_some() {
        cx.error(&root.key("body"), "a GET endpoint cannot have a body; put its parameters in `query` and say why in `notes`");
    }
    let response = super::responses::lower_response(cx, spec.response.as_ref(), &prefix);
    let choice = spec.choice.as_ref().and_then(|choice| super::choices::lower_choice(cx, choice, &prefix, spec.body.as_ref()));
    check_request_names(cx, &query, &body);
    if let Some(choice) = &choice {
        check_choice_names(cx, &query, &body, choice);
    }
    let errors = super::errors::lower_errors(cx, &root.key("errors"), &spec.errors);
    let rate_limit = spec.rate_limit.as_ref().and_then(|limit| lower_rate_limit(cx, limit));
    let (signing, api_security) = match &spec.signing {
        None => (None, None),
        Some(signing) => {
            let request =
                super::signing::Request { query: &query, body: &body, response: &response, method: header.method, auth: header.auth };
            super::signing::lower_signing(cx, signing, &request)
        }
    };
    let name = header.name?;
    Some(Endpoint {
        name: name.to_owned(),
        method_name: snake_case(name),
        type_prefix: prefix,
        source_file: loaded.file.path.clone(),
        file_stem: loaded.file.stem.clone(),
        summary: header.summary?.trim().to_owned(),
        docs_url: header.docs?.to_owned(),
        category: header.category?.to_owned(),
        cloud: spec.cloud.clone(),
        http_method: header.method?,
        path: header.path?.to_owned(),
        auth: header.auth?,
        retry_safe: spec.retry_safe?,
        notes: spec.notes.as_ref().map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
        query,
        body,
        response,
        errors,
        rate_limit,
        choice,
        signing,
        api_security,
    })
}

fn lower_header<'s>(cx: &mut FileCx<'_>, loaded: &'s LoadedFile<EndpointSpec>) -> Header<'s> {
    let spec = &loaded.spec;
    let root = KeyPath::default();
    let name = cx.required_str(&root, "name", &spec.name);
    if let Some(name) = name {
        check_name(cx, name, &loaded.file.stem);
    }
    let (summary, docs) = summary_and_docs(cx, &spec.summary, &spec.docs);
    let category = cx.required_str(&root, "category", &spec.category);
    if let Some(category) = category {
        check_category(cx, category, &loaded.file.category);
    }
    if let Some(cloud) = &spec.cloud
        && (cloud.trim().is_empty() || cloud.contains(char::is_whitespace))
    {
        cx.error(&root.key("cloud"), format!("cloud name `{cloud}` must be a dotted name like `customerServiceMessage.send`"));
    }
    let method = lower_method(cx, &spec.method);
    let path = cx.required_str(&root, "path", &spec.path);
    if let Some(path) = path
        && (!path.starts_with('/') || path.contains(['?', '#', ' ']))
    {
        cx.error(&root.key("path"), format!("path `{path}` must start with `/` and hold no query string"));
    }
    let auth = lower_auth(cx, &spec.auth);
    if spec.retry_safe.is_none() {
        cx.error(&root, "missing required key `retry_safe` (may the call be sent twice?)");
    }
    Header { name, summary, docs, category, method, path, auth }
}

/// `summary` (one line) and `docs` (an official URL), as every spec file
/// has them.
pub(super) fn summary_and_docs<'s>(
    cx: &mut FileCx<'_>,
    summary: &'s Option<String>,
    docs: &'s Option<String>,
) -> (Option<&'s str>, Option<&'s str>) {
    let root = KeyPath::default();
    let summary = cx.required_str(&root, "summary", summary);
    if summary.is_some_and(|summary| summary.trim().contains(['\n', '\r'])) {
        cx.error(&root.key("summary"), "summary must be one line; put longer text in `notes`");
    }
    let docs = cx.required_str(&root, "docs", docs);
    if let Some(docs) = docs
        && (!docs.starts_with("https://developers.weixin.qq.com/") || docs.contains(char::is_whitespace))
    {
        cx.error(
            &root.key("docs"),
            format!("docs `{docs}` must be the URL of the official page, starting with `https://developers.weixin.qq.com/`"),
        );
    }
    (summary, docs)
}

/// The name is lowerCamelCase, matches the file, and gives a free method.
fn check_name(cx: &mut FileCx<'_>, name: &str, stem: &str) {
    let at = KeyPath::default().key("name");
    if !is_lower_camel_case(name) {
        cx.error(&at, format!("name `{name}` must be lowerCamelCase (e.g. `getTempMedia`)"));
        return;
    }
    let expected = snake_case(name);
    if stem != expected {
        cx.error(&at, format!("name `{name}` belongs in a file named `{expected}.yaml`, not `{stem}.yaml`"));
    }
    if RESERVED_METHODS.contains(&expected.as_str()) || is_keyword(&expected) {
        cx.error(&at, format!("name `{name}` gives the method `{expected}`, which is reserved"));
    }
}

pub(super) fn check_category(cx: &mut FileCx<'_>, category: &str, folder: &str) {
    let at = KeyPath::default().key("category");
    if !is_snake_case(category) || is_keyword(category) || matches!(category, "common" | "types") {
        cx.error(&at, format!("category `{category}` must be a snake_case module name other than a keyword, `common` or `types`"));
    } else if folder != category {
        cx.error(&at, format!("category `{category}` does not match the folder `{folder}`"));
    }
}

fn lower_method(cx: &mut FileCx<'_>, method: &Option<String>) -> Option<HttpMethod> {
    match cx.required_str(&KeyPath::default(), "method", method) {
        Some("GET") => Some(HttpMethod::Get),
        Some("POST") => Some(HttpMethod::Post),
        Some(other) => {
            cx.error(&KeyPath::default().key("method"), format!("method `{other}` is not supported; use GET or POST"));
            None
        }
        None => None,
    }
}

fn lower_auth(cx: &mut FileCx<'_>, auth: &Option<String>) -> Option<Auth> {
    match cx.required_str(&KeyPath::default(), "auth", auth) {
        Some("access_token") => Some(Auth::AccessToken),
        Some("component_access_token") => Some(Auth::ComponentAccessToken),
        Some("component_access_token_as_access_token") => Some(Auth::ComponentAccessTokenAsAccessToken),
        Some("none") => Some(Auth::None),
        Some(other) => {
            cx.error(
                &KeyPath::default().key("auth"),
                format!("auth `{other}` is not known; use `access_token`, `component_access_token`, `component_access_token_as_access_token` or `none`"),
            );
            None
        }
        None => None,
    }
}

/// Query parameters, body fields and the file part all become fields of
/// one request struct, so their Rust names must differ; duplicates within
/// one list are reported by `lower_fields`.
fn check_request_names(cx: &mut FileCx<'_>, query: &[Field], body: &Body) {
    let root = KeyPath::default();
    for (i, field) in query.iter().enumerate() {
        if field.wire_name == "access_token" {
            cx.error(&root.key("query").index(i).key("name"), "access_token is added by the client; set `auth: access_token` instead");
        }
    }
    let mut rust_names: BTreeMap<String, KeyPath> = BTreeMap::new();
    for (i, field) in query.iter().enumerate().filter(|(_, f)| f.source == FieldSource::Caller) {
        rust_names.insert(field.rust_name.clone(), root.key("query").index(i));
    }
    let body_fields = body.fields();
    for (i, field) in body_fields.iter().enumerate().filter(|(_, f)| f.source == FieldSource::Caller) {
        if let Some(first) = rust_names.get(&field.rust_name) {
            let here = root.key("body").key("fields").index(i).key("name");
            cx.error(&here, format!("field `{}` is already a query parameter (at `{first}`); set `rust_name`", field.rust_name));
        }
    }
    let Body::Multipart { files, .. } = body else { return };
    for (i, file) in files.iter().enumerate() {
        let part = &file.name;
        if rust_names.contains_key(part) || body_fields.iter().any(|f| f.source == FieldSource::Caller && f.rust_name == *part) {
            let here = root.key("body").key("files").index(i).key("name");
            cx.error(&here, format!("file part `{part}` collides with a request field of that name"));
        }
    }
}

/// The choice is one more request field, and its query parameters join
/// the endpoint's.
fn check_choice_names(cx: &mut FileCx<'_>, query: &[Field], body: &Body, choice: &Choice) {
    let path = KeyPath::default().key("choice");
    if query.iter().chain(body.fields()).any(|f| f.source == FieldSource::Caller && f.rust_name == choice.rust_name) {
        cx.error(&path.key("name"), format!("choice `{}` collides with a request field's Rust name", choice.rust_name));
    }
    for (i, alternative) in choice.alternatives.iter().enumerate() {
        if let Carrier::Query(field) = &alternative.carrier
            && query.iter().any(|f| f.wire_name == field.wire_name)
        {
            cx.error(&path.key("of").index(i).key("query"), format!("`{}` is already a query parameter", field.wire_name));
        }
        if let Carrier::Json(fields) = &alternative.carrier {
            for field in fields.iter().filter(|f| body.fields().iter().any(|b| b.wire_name == f.wire_name)) {
                cx.error(&path.key("of").index(i).key("fields"), format!("`{}` is already a body field", field.wire_name));
            }
        }
    }
}

fn lower_rate_limit(cx: &mut FileCx<'_>, limit: &RateLimitSpec) -> Option<RateLimit> {
    let path = KeyPath::default().key("rate_limit");
    cx.unknown_keys::<RateLimitSpec>(&path, &limit.unknown);
    let per_seconds = match limit.per.as_deref() {
        Some("second") => Some(1),
        Some("minute") => Some(60),
        Some("hour") => Some(3600),
        Some("day") => Some(86400),
        other => {
            cx.error(&path.key("per"), format!("per `{}` is not known; use second, minute, hour or day", other.unwrap_or("")));
            None
        }
    };
    if limit.calls.is_none_or(|c| c == 0) {
        cx.error(&path.key("calls"), "`calls` must be a positive number of calls");
    }
    Some(RateLimit { calls: limit.calls.filter(|&c| c > 0)?, per_seconds: per_seconds? })
}
