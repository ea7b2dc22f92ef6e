//! Fields: query parameters, JSON members, form parts, array items and map
//! values. Their names, docs, sources and defaults; the type is lowered by
//! `types`, the limits by `constraints`.

use std::collections::BTreeMap;

use super::FileCx;
use super::constraints::lower_constraints;
use super::types::{LoweredType, fixed_matches, fixed_value, lower_type, render_default};
use crate::ir::*;
use crate::locate::KeyPath;
use crate::names::*;
use crate::spec::*;

/// Where a list of fields sits, which decides what it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FieldPlace {
    /// Query parameters: scalars, may be fixed or from credentials.
    Query,
    /// Top level of a JSON request body.
    Request,
    /// Inside a JSON request object.
    RequestNested,
    /// Text parts of a multipart body.
    Multipart,
    /// Anywhere in a response.
    Response,
    /// Inside a named type, which requests and responses may share.
    Named,
}

impl FieldPlace {
    pub(super) fn scalars_only(self) -> bool {
        matches!(self, FieldPlace::Query | FieldPlace::Multipart)
    }
    fn may_be_fixed(self) -> bool {
        matches!(self, FieldPlace::Query | FieldPlace::Request | FieldPlace::Multipart)
    }
    pub(super) fn nested(self) -> FieldPlace {
        match self {
            FieldPlace::Response => FieldPlace::Response,
            FieldPlace::Named => FieldPlace::Named,
            _ => FieldPlace::RequestNested,
        }
    }
}

pub(super) fn lower_fields(cx: &mut FileCx<'_>, path: &KeyPath, specs: &[FieldSpec], base: &str, place: FieldPlace) -> Vec<Field> {
    let mut wire: BTreeMap<String, usize> = BTreeMap::new();
    let mut rust: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let here = path.index(i);
        let Some(field) = lower_field(cx, &here, spec, base, place, None) else { continue };
        if let Some(first) = wire.insert(field.wire_name.clone(), i) {
            cx.error(&here.key("name"), format!("field `{}` is listed twice (also at {path}[{first}])", field.wire_name));
        } else if field.source == FieldSource::Caller
            && let Some(first) = rust.insert(field.rust_name.clone(), i)
        {
            cx.error(&here.key("rust_name"), format!("Rust name `{}` is used twice (also at {path}[{first}])", field.rust_name));
        }
        if field.source == FieldSource::Caller && field.rust_name == "new" {
            cx.error(&here.key("name"), "a field named `new` would collide with the generated constructor; set `rust_name`");
        }
        out.push(field);
    }
    out
}

/// Lowers one field. `unnamed` is the type-name suffix of array items
/// (`Item`) and map values (`Value`), which have no name of their own; `None`
/// for named fields.
pub(super) fn lower_field(
    cx: &mut FileCx<'_>,
    path: &KeyPath,
    spec: &FieldSpec,
    base: &str,
    place: FieldPlace,
    unnamed: Option<&str>,
) -> Option<Field> {
    cx.unknown_keys::<FieldSpec>(path, &spec.unknown);
    let (wire_name, rust_name) = match unnamed {
        None => field_names(cx, path, spec),
        Some(_) => item_names(cx, path, spec),
    };
    let doc = field_doc(cx, path, spec, unnamed.is_none());
    let type_base = format!("{base}{}", upper_camel_case(rust_name.as_deref().unwrap_or("")));
    let type_name = type_name(cx, path, spec, &type_base, base, unnamed);
    let LoweredType { ty, item_constraints } = lower_type(cx, path, spec, place, &type_base, type_name, unnamed.is_none());
    let source = field_source(cx, path, spec, place, ty.as_ref());
    let default = field_default(cx, path, spec, ty.as_ref());
    let mut constraints = lower_constraints(cx, path, spec, ty.as_ref());
    constraints.item = item_constraints;
    Some(Field {
        wire_name: wire_name?,
        rust_name: rust_name?,
        ty: ty?,
        required: spec.required.unwrap_or(false),
        doc: doc?,
        default,
        source,
        constraints,
    })
}

/// The wire name and the Rust name of a named field.
fn field_names(cx: &mut FileCx<'_>, path: &KeyPath, spec: &FieldSpec) -> (Option<String>, Option<String>) {
    let wire = cx.required_str(path, "name", &spec.name).map(str::to_owned);
    let rust = match (&spec.rust_name, &wire) {
        (Some(rust), _) => {
            if !is_snake_case(rust) || is_keyword(rust) {
                cx.error(&path.key("rust_name"), format!("rust_name `{rust}` must be snake_case and not a keyword"));
            }
            Some(rust.clone())
        }
        (None, Some(wire)) => {
            if is_keyword(wire) {
                cx.error(&path.key("name"), format!("field `{wire}` is a Rust keyword; set `rust_name` (e.g. `{wire}_value`)"));
            } else if !is_snake_case(wire) {
                cx.error(
                    &path.key("name"),
                    format!("field `{wire}` is not a snake_case Rust name; set `rust_name` (e.g. `{}`)", snake_case(wire)),
                );
            }
            Some(wire.clone())
        }
        (None, None) => None,
    };
    (wire, rust)
}

/// Array items and map values have no name and no source of their own.
fn item_names(cx: &mut FileCx<'_>, path: &KeyPath, spec: &FieldSpec) -> (Option<String>, Option<String>) {
    for (key, present) in [
        ("name", spec.name.is_some()),
        ("rust_name", spec.rust_name.is_some()),
        ("required", spec.required.is_some()),
        ("value", spec.value.is_some()),
        ("from", spec.from.is_some()),
    ] {
        if present {
            cx.error(&path.key(key), format!("`{key}` does not apply to array items or map values"));
        }
    }
    (Some("item".to_owned()), Some("item".to_owned()))
}

fn field_doc(cx: &mut FileCx<'_>, path: &KeyPath, spec: &FieldSpec, named: bool) -> Option<String> {
    let doc = if named {
        cx.required_str(path, "doc", &spec.doc).map(|d| d.trim().to_owned())
    } else {
        Some(spec.doc.clone().unwrap_or_default())
    };
    if doc.as_deref().is_some_and(|doc| doc.contains(['\n', '\r'])) {
        cx.error(&path.key("doc"), "doc must be one line");
    }
    doc
}

/// The Rust type name an object or enum field generates.
fn type_name(cx: &mut FileCx<'_>, path: &KeyPath, spec: &FieldSpec, type_base: &str, base: &str, unnamed: Option<&str>) -> String {
    match (&spec.type_name, unnamed) {
        (Some(name), _) => {
            if !is_upper_camel_case(name) || is_reserved_type_name(name) {
                cx.error(
                    &path.key("type_name"),
                    format!("type_name `{name}` must be UpperCamelCase and not a name Rust or generated code already uses"),
                );
            }
            name.clone()
        }
        (None, None) => type_base.to_owned(),
        (None, Some(suffix)) => format!("{base}{suffix}"),
    }
}

/// Who fills the field: the caller, a constant, or the client's credentials.
fn field_source(cx: &mut FileCx<'_>, path: &KeyPath, spec: &FieldSpec, place: FieldPlace, ty: Option<&Type>) -> FieldSource {
    let source = match (&spec.value, spec.from.as_deref()) {
        (Some(_), Some(_)) => {
            cx.error(&path.key("from"), "a field takes `value` or `from`, not both");
            FieldSource::Caller
        }
        (Some(value), None) => match fixed_value(value) {
            Some(fixed) => FieldSource::Fixed(fixed),
            None => {
                cx.error(&path.key("value"), "`value` must be a string, integer or boolean");
                FieldSource::Caller
            }
        },
        (None, Some("app_id")) => FieldSource::AppId,
        (None, Some("app_secret")) => FieldSource::AppSecret,
        (None, Some(other)) => {
            cx.error(&path.key("from"), format!("from `{other}` is not known; use `app_id` or `app_secret`"));
            FieldSource::Caller
        }
        (None, None) => FieldSource::Caller,
    };
    if source != FieldSource::Caller && !place.may_be_fixed() {
        cx.error(path, "`value` and `from` apply to top-level request fields only");
    }
    if let (FieldSource::Fixed(fixed), Some(ty)) = (&source, ty)
        && !fixed_matches(fixed, ty)
    {
        cx.error(&path.key("value"), "`value` does not match the field's type");
    }
    source
}

/// WeChat's default, rendered for the docs.
fn field_default(cx: &mut FileCx<'_>, path: &KeyPath, spec: &FieldSpec, ty: Option<&Type>) -> Option<String> {
    let default = match (&spec.default, ty) {
        (Some(value), Some(ty)) => {
            let text = render_default(value, ty);
            if text.is_none() {
                cx.error(&path.key("default"), "`default` does not match the field's type");
            }
            text
        }
        _ => None,
    };
    if spec.required == Some(true) && default.is_some() {
        cx.error(&path.key("default"), "a required field has no default");
    }
    default
}
