//! A field's type: scalars, enums, objects, arrays, maps and free JSON;
//! and the constants and defaults that must fit it.

use serde_yaml::Value;

use super::FileCx;
use super::fields::{FieldPlace, lower_field, lower_fields};
use crate::ir::*;
use crate::locate::KeyPath;
use crate::names::*;
use crate::spec::*;

/// A lowered type, with the limits of an array's items.
pub(super) struct LoweredType {
    pub ty: Option<Type>,
    pub item_constraints: Option<Box<Constraints>>,
}

pub(super) fn int_type(ty: Option<&str>) -> Option<IntType> {
    match ty {
        Some("i32") => Some(IntType::I32),
        Some("i64") => Some(IntType::I64),
        Some("u32") => Some(IntType::U32),
        Some("u64") => Some(IntType::U64),
        _ => None,
    }
}

/// Lowers the type of the field at `path`. `type_base` names what nested
/// items take their names from; `type_name` is the object's or enum's name.
pub(super) fn lower_type(
    cx: &mut FileCx<'_>,
    path: &KeyPath,
    spec: &FieldSpec,
    place: FieldPlace,
    type_base: &str,
    type_name: String,
    named: bool,
) -> LoweredType {
    if let Some(name) = &spec.reference {
        return LoweredType { ty: lower_ref(cx, path, spec, place, name), item_constraints: None };
    }
    check_type_keys(cx, path, spec, named);
    if place == FieldPlace::Named && spec.secret == Some(true) {
        cx.error(&path.key("secret"), "`secret` is not supported in named types; keep credentials in the endpoint's own fields");
    }
    let mut item_constraints = None;
    let ty = match spec.ty.as_deref() {
        None => {
            cx.error(path, "missing required key `type`");
            None
        }
        Some("string") if spec.secret == Some(true) => Some(Type::Secret),
        Some("string") | Some("i32" | "i64" | "u32" | "u64") if spec.enumeration.is_some() => {
            let entries = spec.enumeration.as_deref().unwrap_or_default();
            lower_enum(cx, &path.key("enum"), entries, int_type(spec.ty.as_deref()), type_name).map(Type::Enum)
        }
        Some("string") => Some(Type::String),
        Some("bool") => Some(Type::Bool),
        Some("f64") => Some(Type::Float),
        Some(int @ ("i32" | "i64" | "u32" | "u64")) => int_type(Some(int)).map(Type::Int),
        Some("object") => lower_object(cx, path, spec, place, type_name),
        Some("array") => {
            let (ty, items) = lower_array(cx, path, spec, place, type_base);
            item_constraints = items;
            ty
        }
        Some("map") => lower_map(cx, path, spec, place, type_base),
        Some("json") => {
            if place.scalars_only() {
                cx.error(&path.key("type"), "free JSON cannot be sent as query parameters or form parts");
            }
            Some(Type::Json)
        }
        Some(other) => {
            cx.error(
                &path.key("type"),
                format!("unknown type `{other}`; use string, bool, i32, i64, u32, u64, f64, object, array, map or json"),
            );
            None
        }
    };
    LoweredType { ty, item_constraints }
}

/// A `ref` to a named type: the category's own, else the whole API's.
fn lower_ref(cx: &mut FileCx<'_>, path: &KeyPath, spec: &FieldSpec, place: FieldPlace, name: &str) -> Option<Type> {
    for (key, present) in [
        ("type", spec.ty.is_some()),
        ("fields", spec.fields.is_some()),
        ("items", spec.items.is_some()),
        ("values", spec.values.is_some()),
        ("enum", spec.enumeration.is_some()),
        ("type_name", spec.type_name.is_some()),
        ("secret", spec.secret.is_some()),
    ] {
        if present {
            cx.error(&path.key(key), format!("`{key}` does not apply to a `ref` field: the named type defines its shape"));
        }
    }
    let Some((scope, is_object)) = cx.scope.lookup(cx.category, name) else {
        let message = match cx.scope.elsewhere(cx.category, name) {
            Some(other) => {
                format!("type `{name}` belongs to the category `{other}`; move it to the root `types.yaml` to share it across categories")
            }
            None => format!("unknown type `{name}`; define it in the category's `types.yaml` or the root one"),
        };
        cx.error(&path.key("ref"), message);
        return None;
    };
    if is_object && place.scalars_only() {
        cx.error(&path.key("ref"), "objects cannot be sent as query parameters or form parts");
    }
    Some(Type::Named(NamedRef { name: name.to_owned(), scope, target: None }))
}

/// Keys that only some types take.
fn check_type_keys(cx: &mut FileCx<'_>, path: &KeyPath, spec: &FieldSpec, named: bool) {
    let ty = spec.ty.as_deref();
    let int = int_type(ty).is_some();
    if spec.fields.is_some() && ty != Some("object") {
        cx.error(&path.key("fields"), "`fields` belongs to `type: object`");
    }
    if spec.items.is_some() && ty != Some("array") {
        cx.error(&path.key("items"), "`items` belongs to `type: array`");
    }
    if spec.values.is_some() && ty != Some("map") {
        cx.error(&path.key("values"), "`values` belongs to `type: map`");
    }
    if spec.enumeration.is_some() && ty != Some("string") && !int {
        cx.error(&path.key("enum"), "`enum` applies to string and integer fields");
    }
    if spec.type_name.is_some() && ty != Some("object") && spec.enumeration.is_none() {
        cx.error(&path.key("type_name"), "`type_name` applies to objects and enums");
    }
    if spec.secret == Some(true) && (ty != Some("string") || !named) {
        cx.error(&path.key("secret"), "`secret` applies to named string fields");
    }
}

fn lower_object(cx: &mut FileCx<'_>, path: &KeyPath, spec: &FieldSpec, place: FieldPlace, type_name: String) -> Option<Type> {
    if place.scalars_only() {
        cx.error(&path.key("type"), "objects cannot be sent as query parameters or form parts");
    }
    match &spec.fields {
        Some(fields) if !fields.is_empty() => {
            let fields = lower_fields(cx, &path.key("fields"), fields, &type_name, place.nested());
            Some(Type::Object(ObjectType { name: type_name, fields }))
        }
        _ => {
            cx.error(path, "an object needs a non-empty `fields` list");
            None
        }
    }
}

fn lower_array(
    cx: &mut FileCx<'_>,
    path: &KeyPath,
    spec: &FieldSpec,
    place: FieldPlace,
    type_base: &str,
) -> (Option<Type>, Option<Box<Constraints>>) {
    if place.scalars_only() {
        cx.error(&path.key("type"), "arrays cannot be sent as query parameters or form parts");
    }
    let Some(items) = &spec.items else {
        cx.error(path, "an array needs `items`");
        return (None, None);
    };
    match lower_field(cx, &path.key("items"), items, type_base, place.nested(), Some("Item")) {
        Some(item) => {
            let constraints = (!item.constraints.is_empty()).then(|| Box::new(item.constraints));
            (Some(Type::Array(Box::new(item.ty))), constraints)
        }
        None => (None, None),
    }
}

fn lower_map(cx: &mut FileCx<'_>, path: &KeyPath, spec: &FieldSpec, place: FieldPlace, type_base: &str) -> Option<Type> {
    if place.scalars_only() {
        cx.error(&path.key("type"), "maps cannot be sent as query parameters or form parts");
    }
    let Some(values) = &spec.values else {
        cx.error(path, "a map needs `values` (the type of each value)");
        return None;
    };
    let value = lower_field(cx, &path.key("values"), values, type_base, place.nested(), Some("Value"))?;
    if !value.constraints.is_empty() {
        cx.error(&path.key("values"), "limits on map values are not checked; describe them in `doc`");
    }
    Some(Type::Map(Box::new(value.ty)))
}

pub(super) fn lower_enum(
    cx: &mut FileCx<'_>,
    path: &KeyPath,
    entries: &[EnumEntrySpec],
    int: Option<IntType>,
    name: String,
) -> Option<EnumType> {
    if entries.is_empty() {
        cx.error(path, "`enum` needs at least one value");
        return None;
    }
    let mut variants: Vec<EnumVariant> = Vec::new();
    let mut ok = true;
    for (i, entry) in entries.iter().enumerate() {
        let here = path.index(i);
        let Some(variant) = lower_variant(cx, &here, entry, int) else {
            ok = false;
            continue;
        };
        if variants.iter().any(|v| v.value == variant.value) {
            cx.error(&here, "enum value is listed twice");
            ok = false;
        }
        if variants.iter().any(|v| v.name == variant.name) {
            cx.error(&here, format!("enum variant name `{}` is used twice; set `name`", variant.name));
            ok = false;
        }
        variants.push(variant);
    }
    ok.then_some(EnumType { name, int, variants })
}

fn lower_variant(cx: &mut FileCx<'_>, here: &KeyPath, entry: &EnumEntrySpec, int: Option<IntType>) -> Option<EnumVariant> {
    let (value, given_name, doc) = match entry {
        EnumEntrySpec::Full(full) => {
            cx.unknown_keys::<EnumEntryFull>(here, &full.unknown);
            (&full.value, full.name.clone(), full.doc.clone())
        }
        EnumEntrySpec::Plain(value) => (value, None, None),
    };
    let value = match (int, value) {
        (None, Value::String(s)) => EnumValue::Str(s.clone()),
        (Some(int), Value::Number(n)) if n.as_i64().is_some_and(|i| int_in_range(i, int)) => EnumValue::Int(n.as_i64().unwrap_or_default()),
        (None, _) => {
            cx.error(here, "a string enum takes string values");
            return None;
        }
        (Some(_), _) => {
            cx.error(here, "an integer enum takes `{value: <integer in the field's range>, name: <Name>}` entries");
            return None;
        }
    };
    let name = match (given_name, &value) {
        (Some(name), _) => name,
        (None, EnumValue::Str(s)) => upper_camel_case(s),
        (None, EnumValue::Int(_)) => {
            cx.error(here, "an integer enum value needs a `name`");
            return None;
        }
    };
    if !is_upper_camel_case(&name) || name == "Other" || is_reserved_type_name(&name) {
        cx.error(
            here,
            format!("enum value gives the variant name `{name}`, which is not an UpperCamelCase name other than `Other`; set `name`"),
        );
        return None;
    }
    Some(EnumVariant { name, value, doc: doc.map(|d| d.trim().to_owned()) })
}

pub(super) fn fixed_value(value: &Value) -> Option<FixedValue> {
    match value {
        Value::String(s) => Some(FixedValue::Str(s.clone())),
        Value::Bool(b) => Some(FixedValue::Bool(*b)),
        Value::Number(n) => n.as_i64().map(FixedValue::Int),
        _ => None,
    }
}

pub(super) fn fixed_matches(fixed: &FixedValue, ty: &Type) -> bool {
    match (fixed, ty) {
        (FixedValue::Str(_), Type::String) | (FixedValue::Bool(_), Type::Bool) => true,
        (FixedValue::Int(i), Type::Int(int)) => int_in_range(*i, *int),
        (FixedValue::Str(s), Type::Enum(e)) => e.variants.iter().any(|v| v.value == EnumValue::Str(s.clone())),
        (FixedValue::Int(i), Type::Enum(e)) => e.variants.iter().any(|v| v.value == EnumValue::Int(*i)),
        _ => false,
    }
}

fn int_in_range(value: i64, int: IntType) -> bool {
    match int {
        IntType::I32 => i32::try_from(value).is_ok(),
        IntType::I64 => true,
        IntType::U32 => u32::try_from(value).is_ok(),
        IntType::U64 => value >= 0,
    }
}

/// The default rendered for the docs, or `None` when it does not fit `ty`.
pub(super) fn render_default(value: &Value, ty: &Type) -> Option<String> {
    match (value, ty) {
        (Value::String(s), Type::String) => Some(format!("\"{s}\"")),
        (Value::String(s), Type::Enum(e)) if e.variants.iter().any(|v| v.value == EnumValue::Str(s.clone())) => Some(format!("\"{s}\"")),
        (Value::Bool(b), Type::Bool) => Some(b.to_string()),
        (Value::Number(n), Type::Float) => n.as_f64().map(|f| f.to_string()),
        (Value::Number(n), Type::Int(int)) => n.as_i64().filter(|&i| int_in_range(i, *int)).map(|i| i.to_string()),
        (Value::Number(n), Type::Enum(e)) => {
            n.as_i64().filter(|&i| e.variants.iter().any(|v| v.value == EnumValue::Int(i))).map(|i| i.to_string())
        }
        _ => None,
    }
}
