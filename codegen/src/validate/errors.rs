//! Error tables: an endpoint's `errors` and `errors.yaml`.

use std::collections::BTreeMap;

use super::FileCx;
use crate::ir::*;
use crate::locate::KeyPath;
use crate::names::*;
use crate::spec::*;

/// Where each code, name and `is_*` method was first seen in one table.
#[derive(Default)]
struct Seen {
    codes: BTreeMap<i64, usize>,
    names: BTreeMap<String, usize>,
    predicates: BTreeMap<String, usize>,
}

pub(super) fn lower_errors(cx: &mut FileCx<'_>, path: &KeyPath, specs: &[ErrorSpec]) -> Vec<ErrorCode> {
    let mut seen = Seen::default();
    let mut out: Vec<ErrorCode> = specs.iter().enumerate().filter_map(|(i, spec)| lower_error(cx, path, i, spec, &mut seen)).collect();
    out.sort_by_key(|e| e.code);
    out
}

fn lower_error(cx: &mut FileCx<'_>, path: &KeyPath, i: usize, spec: &ErrorSpec, seen: &mut Seen) -> Option<ErrorCode> {
    let here = path.index(i);
    cx.unknown_keys::<ErrorSpec>(&here, &spec.unknown);
    let code = spec.code;
    match code {
        None => cx.error(&here, "missing required key `code`"),
        Some(code) => {
            if code == 0 {
                cx.error(&here.key("code"), "errcode 0 means success and cannot be an error");
            }
            if let Some(first) = seen.codes.insert(code, i) {
                cx.error(&here.key("code"), format!("error code {code} is listed twice (also at {path}[{first}])"));
            }
        }
    }
    let name = cx.required_str(&here, "name", &spec.name);
    if let Some(name) = name {
        check_error_name(cx, path, i, name, seen);
    }
    let doc = cx.required_str(&here, "doc", &spec.doc);
    let retry = lower_retry(cx, &here, spec.retry.as_deref());
    Some(ErrorCode { code: code?, name: name?.to_owned(), doc: doc?.trim().to_owned(), retry: retry? })
}

fn check_error_name(cx: &mut FileCx<'_>, path: &KeyPath, i: usize, name: &str, seen: &mut Seen) {
    let at = path.index(i).key("name");
    if !is_upper_camel_case(name) || is_reserved_type_name(name) {
        cx.error(&at, format!("error name `{name}` must be UpperCamelCase and not a name Rust or generated code already uses"));
    } else if matches!(name, "Common" | "Unknown") {
        cx.error(&at, format!("error name `{name}` is reserved for the generated fallback variants"));
    }
    if let Some(first) = seen.names.insert(name.to_owned(), i) {
        cx.error(&at, format!("error name `{name}` is used twice (also at {path}[{first}])"));
    } else if is_upper_camel_case(name)
        && let Some(first) = seen.predicates.insert(snake_case(name), i)
    {
        cx.error(
            &at,
            format!("error name `{name}` gives the same `is_{}` method as {path}[{first}]; pick a distinct name", snake_case(name)),
        );
    }
}

fn lower_retry(cx: &mut FileCx<'_>, here: &KeyPath, retry: Option<&str>) -> Option<RetryKind> {
    match retry {
        Some("none") => Some(RetryKind::None),
        Some("transient") => Some(RetryKind::Transient),
        Some("throttle") => Some(RetryKind::Throttle),
        Some("refresh_token") => Some(RetryKind::RefreshToken),
        Some(other) => {
            cx.error(&here.key("retry"), format!("retry `{other}` is not known; use none, transient, throttle or refresh_token"));
            None
        }
        None => {
            cx.error(here, "missing required key `retry` (none, transient, throttle or refresh_token)");
            None
        }
    }
}
