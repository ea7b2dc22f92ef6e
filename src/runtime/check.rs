//! The documented limits of request fields, checked before anything is
//! sent, so a bad value fails here with the field's name instead of as an
//! opaque errcode from WeChat (or, worse, a truncated value).

use crate::error::PrepareError;

fn invalid(parent: &str, name: &str, rule: String) -> PrepareError {
    let field = match (parent.is_empty(), name.is_empty()) {
        (true, _) => name.to_owned(),
        (false, true) => parent.to_owned(),
        (false, false) => format!("{parent}.{name}"),
    };
    PrepareError::Invalid { field, rule }
}

/// "between 1 and 32", "at least 1", "at most 32".
fn bounds<T: std::fmt::Display>(min: Option<T>, max: Option<T>) -> String {
    match (min, max) {
        (Some(min), Some(max)) => format!("between {min} and {max}"),
        (Some(min), None) => format!("at least {min}"),
        (None, Some(max)) => format!("at most {max}"),
        (None, None) => String::new(),
    }
}

/// Length in characters.
pub fn length(parent: &str, name: &str, value: &str, min: Option<u64>, max: Option<u64>) -> Result<(), PrepareError> {
    let len = value.chars().count() as u64;
    if min.is_some_and(|min| len < min) || max.is_some_and(|max| len > max) {
        let bounds = bounds(min, max);
        return Err(invalid(parent, name, format!("must be {bounds} characters long, not {len}")));
    }
    Ok(())
}

/// Length in UTF-8 bytes.
pub fn bytes(parent: &str, name: &str, value: &str, max: u64) -> Result<(), PrepareError> {
    if value.len() as u64 > max {
        return Err(invalid(parent, name, format!("must be at most {max} bytes long, not {}", value.len())));
    }
    Ok(())
}

/// Allowed characters, as inclusive ranges written as pairs of
/// characters: `"09azAZ__"` allows digits, letters and `_`.
pub fn chars(parent: &str, name: &str, value: &str, ranges: &str, described: &str) -> Result<(), PrepareError> {
    let allowed = |c: char| {
        let mut bounds = ranges.chars();
        while let (Some(low), Some(high)) = (bounds.next(), bounds.next()) {
            if low <= c && c <= high {
                return true;
            }
        }
        false
    };
    if let Some(bad) = value.chars().find(|&c| !allowed(c)) {
        return Err(invalid(parent, name, format!("may only hold the characters `{described}`, not `{bad}`")));
    }
    Ok(())
}

/// Number of items.
pub fn items(parent: &str, name: &str, len: usize, min: Option<u64>, max: Option<u64>) -> Result<(), PrepareError> {
    let len = len as u64;
    if min.is_some_and(|min| len < min) || max.is_some_and(|max| len > max) {
        let bounds = bounds(min, max);
        return Err(invalid(parent, name, format!("must have {bounds} items, not {len}")));
    }
    Ok(())
}

/// Inclusive numeric range.
pub fn range(parent: &str, name: &str, value: f64, min: Option<f64>, max: Option<f64>) -> Result<(), PrepareError> {
    if min.is_some_and(|min| value < min) || max.is_some_and(|max| value > max) {
        let bounds = bounds(min, max);
        return Err(invalid(parent, name, format!("must be {bounds}, not {value}")));
    }
    Ok(())
}

/// The path of an item of an array, for nested checks.
pub fn item_path(parent: &str, name: &str, index: usize) -> String {
    if parent.is_empty() { format!("{name}[{index}]") } else { format!("{parent}.{name}[{index}]") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_and_the_rule() {
        assert_eq!(
            length("", "scene", "abc", Some(1), Some(2)).unwrap_err().to_string(),
            "`scene` must be between 1 and 2 characters long, not 3"
        );
        assert!(length("", "scene", "日本", None, Some(2)).is_ok(), "characters, not bytes");
        assert!(bytes("", "scene", "日本", 5).is_err());
        assert_eq!(
            chars("line_color", "r", "a-b", "az", "a-z").unwrap_err().to_string(),
            "`line_color.r` may only hold the characters `a-z`, not `-`"
        );
        assert!(items("", "list", 3, Some(1), Some(3)).is_ok());
        assert!(range("", "width", 1281.0, Some(280.0), Some(1280.0)).is_err());
        assert_eq!(item_path("a", "b", 2), "a.b[2]");
    }
}
