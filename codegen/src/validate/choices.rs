//! A request value with alternatives (`choice`): which way it travels is
//! the caller's choice, made by picking a variant of a Rust enum.

use std::collections::BTreeSet;

use super::FileCx;
use super::fields::{FieldPlace, lower_field};
use crate::ir::*;
use crate::locate::KeyPath;
use crate::names::*;
use crate::spec::*;

pub(super) fn lower_choice(cx: &mut FileCx<'_>, spec: &ChoiceSpec, prefix: &str, body: Option<&BodySpec>) -> Option<Choice> {
    let path = KeyPath::default().key("choice");
    cx.unknown_keys::<ChoiceSpec>(&path, &spec.unknown);
    let rust_name = cx.required_str(&path, "name", &spec.name);
    if let Some(name) = rust_name
        && (!is_snake_case(name) || is_keyword(name) || name == "new")
    {
        cx.error(&path.key("name"), format!("choice `{name}` must be a snake_case field name other than a keyword or `new`"));
    }
    let doc = cx.required_str(&path, "doc", &spec.doc).map(|d| d.trim().to_owned());
    let type_name = match &spec.type_name {
        Some(name) if !is_upper_camel_case(name) || is_reserved_type_name(name) => {
            cx.error(
                &path.key("type_name"),
                format!("type_name `{name}` must be UpperCamelCase and not a name Rust or generated code already uses"),
            );
            name.clone()
        }
        Some(name) => name.clone(),
        None => format!("{prefix}{}", upper_camel_case(rust_name.unwrap_or_default())),
    };
    if spec.of.len() < 2 {
        cx.error(&path.key("of"), "a choice needs at least two alternatives in `of`");
    }
    let mut alternatives: Vec<Alternative> = Vec::new();
    for (i, alternative) in spec.of.iter().enumerate() {
        let here = path.key("of").index(i);
        let Some(lowered) = lower_alternative(cx, &here, alternative, &type_name) else { continue };
        if alternatives.iter().any(|a| a.name == lowered.name) {
            cx.error(&here.key("name"), format!("alternative `{}` is listed twice", lowered.name));
        }
        alternatives.push(lowered);
    }
    check_wire_names(cx, &path, &alternatives);
    check_family(cx, &path, &alternatives, body);
    Some(Choice { rust_name: rust_name?.to_owned(), type_name, doc: doc?, alternatives })
}

fn lower_alternative(cx: &mut FileCx<'_>, here: &KeyPath, spec: &AlternativeSpec, type_name: &str) -> Option<Alternative> {
    cx.unknown_keys::<AlternativeSpec>(here, &spec.unknown);
    let name = cx.required_str(here, "name", &spec.name);
    if let Some(name) = name
        && (!is_upper_camel_case(name) || is_reserved_type_name(name) || name == "Other")
    {
        cx.error(&here.key("name"), format!("alternative `{name}` must be an UpperCamelCase variant name other than `Other`"));
    }
    let doc = cx.required_str(here, "doc", &spec.doc).map(|d| d.trim().to_owned());
    let carrier = match (&spec.query, &spec.file, &spec.fields) {
        (Some(field), None, None) => lower_query(cx, &here.key("query"), field, type_name).map(|f| Carrier::Query(Box::new(f))),
        (None, Some(file), None) => super::bodies::lower_file(cx, &here.key("file"), file).map(Carrier::File),
        (None, None, Some(fields)) => lower_members(cx, &here.key("fields"), fields, type_name).map(Carrier::Json),
        _ => {
            cx.error(
                here,
                "an alternative takes exactly one of `query` (a query parameter), `file` (a file part) and `fields` (JSON members)",
            );
            None
        }
    };
    Some(Alternative { name: name?.to_owned(), doc: doc?, carrier: carrier? })
}

fn lower_query(cx: &mut FileCx<'_>, path: &KeyPath, spec: &FieldSpec, type_name: &str) -> Option<Field> {
    let field = lower_field(cx, path, spec, type_name, FieldPlace::Query, None)?;
    if field.source != FieldSource::Caller {
        cx.error(path, "an alternative's value comes from the caller: no `value` or `from`");
    }
    if !field.constraints.is_empty() {
        cx.error(path, "limits on an alternative are not checked; describe them in `doc`");
    }
    if spec.required.is_some() || field.default.is_some() {
        cx.error(path, "an alternative is required when chosen: no `required` or `default`");
    }
    Some(field)
}

/// JSON members of one alternative: at least one required (it tells the
/// alternatives apart), caller-given, without limits.
fn lower_members(cx: &mut FileCx<'_>, path: &KeyPath, specs: &[FieldSpec], type_name: &str) -> Option<Vec<Field>> {
    let fields = super::fields::lower_fields(cx, path, specs, type_name, FieldPlace::RequestNested);
    if !fields.iter().any(|f| f.required) {
        cx.error(path, "a JSON alternative needs at least one required member");
    }
    if fields.iter().any(|f| !f.constraints.is_empty() || matches!(f.ty, Type::Object(_) | Type::Enum(_))) {
        cx.error(path, "an alternative's members are scalars, arrays or `ref`s, without limits");
    }
    (fields.len() == specs.len()).then_some(fields)
}

/// No two alternatives send the same query parameter, file part or member.
fn check_wire_names(cx: &mut FileCx<'_>, path: &KeyPath, alternatives: &[Alternative]) {
    let mut seen = BTreeSet::new();
    for (i, alternative) in alternatives.iter().enumerate() {
        let wires: Vec<&String> = match &alternative.carrier {
            Carrier::Query(field) => vec![&field.wire_name],
            Carrier::File(file) => vec![&file.name],
            Carrier::Json(fields) => fields.iter().map(|f| &f.wire_name).collect(),
        };
        for wire in wires {
            if !seen.insert(wire.clone()) {
                cx.error(&path.key("of").index(i), format!("two alternatives send `{wire}`"));
            }
        }
    }
}

/// Query and file alternatives replace the body; JSON ones join a JSON body.
fn check_family(cx: &mut FileCx<'_>, path: &KeyPath, alternatives: &[Alternative], body: Option<&BodySpec>) {
    let json = alternatives.iter().filter(|a| matches!(a.carrier, Carrier::Json(_))).count();
    if json > 0 && json < alternatives.len() {
        cx.error(path, "the alternatives of a choice are all JSON members (`fields`) or none is");
    } else if json > 0 && body.is_none_or(|b| b.kind.as_deref() != Some("json")) {
        cx.error(path, "a choice of JSON members needs `body` of kind `json`");
    } else if json == 0 && body.is_some() {
        cx.error(path, "a `choice` of query parameters and files replaces the body: the endpoint has no `body`");
    }
}
