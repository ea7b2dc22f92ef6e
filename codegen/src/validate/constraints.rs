//! Documented limits of a field's value.

use super::FileCx;
use crate::ir::*;
use crate::locate::KeyPath;
use crate::spec::*;

/// The largest `min_length` or `min_items`.
const MAX_LOWER_BOUND: u64 = 65_536;

/// Checks that each limit fits the field's type and that bounds are ordered.
pub(super) fn lower_constraints(cx: &mut FileCx<'_>, path: &KeyPath, spec: &FieldSpec, ty: Option<&Type>) -> Constraints {
    let constraints = Constraints {
        min_length: spec.min_length,
        max_length: spec.max_length,
        max_bytes: spec.max_bytes,
        min_items: spec.min_items,
        max_items: spec.max_items,
        minimum: spec.minimum,
        maximum: spec.maximum,
        chars: spec.chars.clone(),
        item: None,
    };
    let Some(ty) = ty else { return constraints };
    check_applies(cx, path, &constraints, ty);
    check_bounds(cx, path, &constraints);
    if let Some(chars) = &constraints.chars
        && let Err(problem) = crate::chars::parse(chars)
    {
        cx.error(&path.key("chars"), format!("`chars` {problem}"));
    }
    constraints
}

/// Each limit set belongs to the kind of value it limits.
fn check_applies(cx: &mut FileCx<'_>, path: &KeyPath, constraints: &Constraints, ty: &Type) {
    let is_string = matches!(ty, Type::String | Type::Secret);
    let is_number = matches!(ty, Type::Int(_) | Type::Float);
    let is_array = matches!(ty, Type::Array(_));
    let checks: [(&str, bool, bool); 8] = [
        ("min_length", constraints.min_length.is_some(), is_string),
        ("max_length", constraints.max_length.is_some(), is_string),
        ("max_bytes", constraints.max_bytes.is_some(), is_string),
        ("chars", constraints.chars.is_some(), is_string),
        ("min_items", constraints.min_items.is_some(), is_array),
        ("max_items", constraints.max_items.is_some(), is_array),
        ("minimum", constraints.minimum.is_some(), is_number),
        ("maximum", constraints.maximum.is_some(), is_number),
    ];
    for (key, present, applies) in checks {
        if present && !applies {
            let kind = match key {
                "min_items" | "max_items" => "array",
                "minimum" | "maximum" => "number",
                _ => "string",
            };
            cx.error(&path.key(key), format!("`{key}` applies to {kind} fields"));
        }
    }
}

/// Lower bounds are modest, bounds are finite, and ranges are not empty.
fn check_bounds(cx: &mut FileCx<'_>, path: &KeyPath, constraints: &Constraints) {
    for (key, low) in [("min_length", constraints.min_length), ("min_items", constraints.min_items)] {
        // The contract tests build a sample that long; no WeChat parameter
        // needs more, and a typo like `4000000000` would exhaust memory.
        if low.is_some_and(|low| low > MAX_LOWER_BOUND) {
            cx.error(&path.key(key), format!("`{key}` above {MAX_LOWER_BOUND} is not supported"));
        }
    }
    for (key, bound) in [("minimum", constraints.minimum), ("maximum", constraints.maximum)] {
        // YAML reads `.inf` and `.nan` as numbers; no check can use them,
        // and Rust has no literal for them.
        if bound.is_some_and(|b| !b.is_finite()) {
            cx.error(&path.key(key), format!("`{key}` must be a finite number"));
        }
    }
    for (low, high, key) in [
        (constraints.min_length.map(|v| v as f64), constraints.max_length.map(|v| v as f64), "max_length"),
        (constraints.min_items.map(|v| v as f64), constraints.max_items.map(|v| v as f64), "max_items"),
        (constraints.minimum, constraints.maximum, "maximum"),
    ] {
        if let (Some(low), Some(high)) = (low, high)
            && low > high
        {
            cx.error(&path.key(key), format!("`{key}` is below its lower bound"));
        }
    }
}
