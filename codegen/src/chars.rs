//! The `chars` constraint: a set of allowed characters written as literal
//! characters and ranges (`0-9a-zA-Z!#$&'()*+,/:;=?@-._~`). A `-` between
//! two characters is a range; anywhere else it stands for itself.

/// The set as inclusive ranges, or what is wrong with it.
pub fn parse(spec: &str) -> Result<Vec<(char, char)>, String> {
    let chars: Vec<char> = spec.chars().collect();
    if chars.is_empty() {
        return Err("is empty".to_owned());
    }
    let mut ranges = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if i + 2 < chars.len() && chars[i + 1] == '-' {
            let (low, high) = (chars[i], chars[i + 2]);
            if low > high {
                return Err(format!("has the reversed range `{low}-{high}`"));
            }
            ranges.push((low, high));
            i += 3;
        } else {
            ranges.push((chars[i], chars[i]));
            i += 1;
        }
    }
    Ok(ranges)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reads_ranges_and_literals() {
        assert_eq!(parse("0-9_").expect("valid"), vec![('0', '9'), ('_', '_')]);
        assert_eq!(parse("a-").expect("valid"), vec![('a', 'a'), ('-', '-')]);
        // `@-.` reads as a range, and a reversed one: a literal `-` goes first or last.
        assert!(parse("@-._~").is_err());
        assert_eq!(parse("-@._~").expect("valid").len(), 5);
        assert!(parse("z-a").is_err());
        assert!(parse("").is_err());
    }
}
