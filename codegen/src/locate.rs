//! Finds the line and column of a key path (`errors[2].code`) in YAML text.
//!
//! The YAML library reports positions only for syntax errors, but a
//! maintainer fixing a duplicate error code wants to be sent to the line.
//! Specs are block-style YAML, so a small outline of the block structure is
//! enough; inside flow collections (`[a, b]`, `{a: 1}`) and block scalars
//! the position of the enclosing key is given instead.

use std::fmt;

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// A path from the document root to a node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Segment>);

impl KeyPath {
    /// The path one key deeper.
    pub fn key(&self, key: &str) -> KeyPath {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_owned()));
        next
    }

    /// The path one index deeper.
    pub fn index(&self, index: usize) -> KeyPath {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Debug)]
enum Node {
    Map(Vec<(String, Position, Node)>),
    Seq(Vec<(Position, Node)>),
    Leaf,
}

/// 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

struct Line {
    number: usize,
    indent: usize,
    text: String,
}

/// The block outline of one YAML document.
pub struct Locator {
    root: Node,
}

impl Locator {
    /// Outlines `source`. Never fails: what it cannot read becomes a leaf.
    pub fn new(source: &str) -> Locator {
        let mut lines: Vec<Line> = source
            .lines()
            .enumerate()
            .filter_map(|(i, raw)| {
                let text = raw.trim_start_matches(' ');
                if text.trim().is_empty() || text.starts_with('#') || text.starts_with("---") {
                    return None;
                }
                Some(Line { number: i + 1, indent: raw.len() - text.len(), text: text.trim_end().to_owned() })
            })
            .collect();
        let mut pos = 0;
        let root = match lines.first() {
            Some(first) => {
                let indent = first.indent;
                parse_block(&mut lines, &mut pos, indent)
            }
            None => Node::Leaf,
        };
        Locator { root }
    }

    /// The position of the deepest node of `path` that exists (line 1 when
    /// not even the first step does).
    pub fn locate(&self, path: &KeyPath) -> Position {
        let mut node = &self.root;
        let mut found = Position { line: 1, column: 1 };
        for segment in &path.0 {
            let next = match (segment, node) {
                (Segment::Key(key), Node::Map(entries)) => entries.iter().find(|(k, _, _)| k == key).map(|(_, p, n)| (*p, n)),
                (Segment::Index(index), Node::Seq(items)) => items.get(*index).map(|(p, n)| (*p, n)),
                _ => None,
            };
            match next {
                Some((position, child)) => {
                    found = position;
                    node = child;
                }
                None => break,
            }
        }
        found
    }
}

fn is_sequence_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// Splits `key: value` at the first `:` that ends the key.
fn split_key(text: &str) -> Option<(String, &str)> {
    if text.starts_with(['{', '[', '"', '\'', '|', '>']) && !text.starts_with('"') && !text.starts_with('\'') {
        return None;
    }
    let bytes = text.as_bytes();
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (None, b'"' | b'\'') if i == 0 => quote = Some(b),
            (Some(q), c) if c == q => quote = None,
            (None, b':') if i + 1 == bytes.len() || bytes[i + 1] == b' ' => {
                let key = text[..i].trim().trim_matches(['"', '\'']).to_owned();
                return Some((key, text[i + 1..].trim()));
            }
            (None, b' ') if bytes.get(i + 1) == Some(&b'#') => return None,
            _ => {}
        }
    }
    None
}

fn parse_block(lines: &mut Vec<Line>, pos: &mut usize, indent: usize) -> Node {
    if *pos >= lines.len() || lines[*pos].indent != indent {
        return Node::Leaf;
    }
    if is_sequence_item(&lines[*pos].text) { parse_sequence(lines, pos, indent) } else { parse_mapping(lines, pos, indent) }
}

fn parse_sequence(lines: &mut Vec<Line>, pos: &mut usize, indent: usize) -> Node {
    let mut items = Vec::new();
    while *pos < lines.len() && lines[*pos].indent == indent && is_sequence_item(&lines[*pos].text) {
        let position = Position { line: lines[*pos].number, column: indent + 1 };
        let rest = lines[*pos].text[1..].trim_start().to_owned();
        if rest.is_empty() {
            *pos += 1;
            let child = match lines.get(*pos) {
                Some(next) if next.indent > indent => {
                    let child_indent = next.indent;
                    parse_block(lines, pos, child_indent)
                }
                _ => Node::Leaf,
            };
            items.push((position, child));
        } else {
            // `- key: value` opens a mapping whose keys line up with `key`.
            let offset = lines[*pos].text.len() - rest.len();
            let content_indent = indent + offset;
            lines[*pos].indent = content_indent;
            lines[*pos].text = rest;
            let child = parse_block(lines, pos, content_indent);
            if matches!(child, Node::Leaf) {
                skip_deeper(lines, pos, indent);
            }
            items.push((position, child));
        }
    }
    Node::Seq(items)
}

fn parse_mapping(lines: &mut Vec<Line>, pos: &mut usize, indent: usize) -> Node {
    let mut entries = Vec::new();
    while *pos < lines.len() && lines[*pos].indent == indent && !is_sequence_item(&lines[*pos].text) {
        let line = &lines[*pos];
        let position = Position { line: line.number, column: indent + 1 };
        let Some((key, value)) = split_key(&line.text) else {
            // A scalar line (e.g. a flow value continued); not a key.
            *pos += 1;
            skip_deeper(lines, pos, indent);
            return if entries.is_empty() { Node::Leaf } else { Node::Map(entries) };
        };
        let value_empty = value.is_empty() || value.starts_with('#');
        let block_scalar = value.starts_with('|') || value.starts_with('>');
        *pos += 1;
        let child = if value_empty {
            match lines.get(*pos) {
                Some(next) if next.indent > indent => {
                    let child_indent = next.indent;
                    parse_block(lines, pos, child_indent)
                }
                Some(next) if next.indent == indent && is_sequence_item(&next.text) => parse_sequence(lines, pos, indent),
                _ => Node::Leaf,
            }
        } else {
            if block_scalar || value.starts_with(['[', '{']) {
                skip_deeper(lines, pos, indent);
            }
            Node::Leaf
        };
        entries.push((key, position, child));
    }
    Node::Map(entries)
}

/// Skips the lines indented deeper than `indent` (block scalars, flow
/// collections spread over lines).
fn skip_deeper(lines: &[Line], pos: &mut usize, indent: usize) {
    while *pos < lines.len() && lines[*pos].indent > indent {
        *pos += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
name: x
notes: |
  text: not a key
query:
  - name: a
    type: string
  - name: b
    enum: [x, y]
errors:
- code: 1
  name: One
- code: 2
  name: Two
";

    fn path(parts: &[&str]) -> KeyPath {
        KeyPath(
            parts
                .iter()
                .map(|p| match p.parse::<usize>() {
                    Ok(i) => Segment::Index(i),
                    Err(_) => Segment::Key((*p).to_owned()),
                })
                .collect(),
        )
    }

    #[test]
    fn finds_nested_keys() {
        let locator = Locator::new(DOC);
        assert_eq!(locator.locate(&path(&["name"])).line, 1);
        assert_eq!(locator.locate(&path(&["query", "1", "name"])), Position { line: 7, column: 5 });
        assert_eq!(locator.locate(&path(&["query", "1", "enum"])).line, 8);
        assert_eq!(locator.locate(&path(&["errors", "1", "name"])), Position { line: 13, column: 3 });
        assert_eq!(locator.locate(&path(&["errors", "0"])).line, 10);
    }

    #[test]
    fn falls_back_to_deepest_existing_node() {
        let locator = Locator::new(DOC);
        assert_eq!(locator.locate(&path(&["query", "0", "nope"])).line, 5);
        assert_eq!(locator.locate(&path(&["missing"])).line, 1);
        assert_eq!(path(&["errors", "1", "code"]).to_string(), "errors[1].code");
    }
}
