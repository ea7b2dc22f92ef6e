//! Identifier conventions: how spec names become Rust names.
//!
//! WeChat names mix acronyms and digits (`getUnlimitedQRCode`, `code2Session`),
//! so words are split the way a reader would split them, not char by char.

/// Splits an identifier into words at case changes, `_`, `-` and `.`.
/// `getUnlimitedQRCode` gives `get`, `Unlimited`, `QR`, `Code`.
pub fn words(ident: &str) -> Vec<String> {
    let chars: Vec<char> = ident.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' || c == '.' || c == ' ' {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_uppercase() && !current.is_empty() {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_is_lower) {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// `getUnlimitedQRCode` → `get_unlimited_qr_code`.
pub fn snake_case(ident: &str) -> String {
    words(ident).iter().map(|w| w.to_lowercase()).collect::<Vec<_>>().join("_")
}

/// `getUnlimitedQRCode` → `GetUnlimitedQrCode`.
pub fn upper_camel_case(ident: &str) -> String {
    words(ident)
        .iter()
        .map(|w| {
            let lower = w.to_lowercase();
            let mut chars = lower.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        })
        .collect()
}

/// Whether `s` is a plain ASCII identifier (`[A-Za-z_][A-Za-z0-9_]*`).
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `snake_case` with lower-case ASCII letters, digits and single underscores.
pub fn is_snake_case(s: &str) -> bool {
    is_identifier(s)
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.contains(|c: char| c.is_ascii_uppercase())
        && !s.contains("__")
        && !s.ends_with('_')
}

/// `lowerCamelCase`: starts lower-case, ASCII letters and digits only.
pub fn is_lower_camel_case(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase()) && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `UpperCamelCase`: starts upper-case, ASCII letters and digits only.
pub fn is_upper_camel_case(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Type names that generated code uses unqualified (the prelude) or that
/// would shadow something it relies on; no generated type may take them.
pub fn is_reserved_type_name(s: &str) -> bool {
    const RESERVED: &[&str] = &[
        "Self",
        "Option",
        "Some",
        "None",
        "Result",
        "Ok",
        "Err",
        "String",
        "Vec",
        "Box",
        "From",
        "Into",
        "Default",
        "Clone",
        "Copy",
        "Debug",
        "Send",
        "Sync",
        "Sized",
        "Drop",
        "Fn",
        "FnMut",
        "FnOnce",
        "Iterator",
        "IntoIterator",
        "Extend",
        "ToString",
        "ToOwned",
        "PartialEq",
        "Eq",
        "PartialOrd",
        "Ord",
        "AsRef",
        "AsMut",
        "Unpin",
        "TryFrom",
        "TryInto",
        "FromIterator",
        "Hash",
    ];
    RESERVED.contains(&s)
}

/// Rust's strict and reserved keywords (2024 edition), which cannot name a
/// field, a module or a method without `r#`.
pub fn is_keyword(s: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn", "else", "enum", "extern",
        "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override",
        "priv", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type", "typeof", "union",
        "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
    ];
    KEYWORDS.contains(&s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_acronyms_and_digits() {
        assert_eq!(snake_case("getUnlimitedQRCode"), "get_unlimited_qr_code");
        assert_eq!(upper_camel_case("getUnlimitedQRCode"), "GetUnlimitedQrCode");
        assert_eq!(snake_case("code2Session"), "code2_session");
        assert_eq!(upper_camel_case("code2Session"), "Code2Session");
        assert_eq!(upper_camel_case("line_color"), "LineColor");
        assert_eq!(snake_case("getTempMedia"), "get_temp_media");
        assert_eq!(upper_camel_case("miniprogrampage"), "Miniprogrampage");
    }

    #[test]
    fn classifies_names() {
        assert!(is_snake_case("media_id"));
        assert!(!is_snake_case("mediaId"));
        assert!(!is_snake_case("media__id"));
        assert!(is_lower_camel_case("getTempMedia"));
        assert!(!is_lower_camel_case("GetTempMedia"));
        assert!(is_upper_camel_case("InvalidMediaId"));
        assert!(is_keyword("type"));
        assert!(!is_keyword("kind"));
    }
}
