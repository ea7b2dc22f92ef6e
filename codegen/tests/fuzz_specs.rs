//! Property tests of the spec pipeline: whatever a spec folder holds,
//! reading, validating, generating and formatting never panic, and end
//! either in diagnostics that point into a file, or in Rust that parses.
//!
//! Three kinds of input: arbitrary bytes and text as a spec file; the
//! valid fixtures and real specs mutated line by line; and random
//! documents with the spec format's keys and plausible or hostile values.
//! Every case is written to a folder and goes through
//! [`wxa_codegen::generate_dir`], as in the CLI and `build.rs`. The seed is
//! fixed, so every run tries the same cases and a failure reproduces.
//! Inputs that broke the pipeline are kept as plain tests at the end.

use std::cell::Cell;
use std::fs;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestCaseError, TestRunner};
use serde_yaml::{Mapping, Value};
use wxa_codegen::{GenerateError, write::GENERATED_MARKER};

/// The seed of every property here, unless `WXA_FUZZ_SEED` says otherwise.
const SEED: u64 = 0x5EED_C0DE;

/// Where strategies put the endpoint they make up; `name: fuzzEndpoint`
/// and `category: fuzz` match it.
const ENDPOINT_FILE: &str = "fuzz/fuzz_endpoint.yaml";

/// A spec folder: relative path and bytes of each file.
type Files = Vec<(String, Vec<u8>)>;

/// `cases`, or that many times `WXA_FUZZ_SCALE` when set: a longer
/// search on a developer's machine, with `WXA_FUZZ_SEED` for another seed.
fn config(cases: u32) -> Config {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    Config {
        cases: cases.saturating_mul(env("WXA_FUZZ_SCALE").map_or(1, |s| s as u32)),
        // Fixed seed and no persistence file: CI runs the same cases every
        // time and writes nothing into the source tree.
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(env("WXA_FUZZ_SEED").unwrap_or(SEED)),
        max_shrink_iters: 2048,
        ..Config::default()
    }
}

/// How many cases ended which way; a strategy that never reaches the
/// generator (or never fails validation) tests less than it claims.
#[derive(Debug, Default)]
struct Tally {
    valid: Cell<u32>,
    invalid: Cell<u32>,
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wxa-codegen-fuzz-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

/// The files, readable in a failure message.
fn show(files: &[(String, Vec<u8>)]) -> String {
    files.iter().map(|(path, bytes)| format!("--- {path}\n{:?}\n", String::from_utf8_lossy(bytes))).collect()
}

/// Writes `files` as the spec folder `dir`, runs the pipeline, and checks
/// how it ended.
fn check(dir: &Path, files: &[(String, Vec<u8>)], tally: &Tally) -> Result<(), TestCaseError> {
    let _ = fs::remove_dir_all(dir);
    for (path, bytes) in files {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().expect("below the folder")).expect("mkdir");
        fs::write(&path, bytes).expect("write a spec");
    }
    match wxa_codegen::generate_dir(dir, "api") {
        Ok(generation) => {
            tally.valid.set(tally.valid.get() + 1);
            prop_assert!(generation.files.iter().any(|f| f.path == "mod.rs"), "no mod.rs for\n{}", show(files));
            for file in &generation.files {
                if let Some(error) = file.path.ends_with(".rs").then(|| syn::parse_file(&file.contents).err()).flatten() {
                    return Err(TestCaseError::fail(format!(
                        "generated {} does not parse: {error}\n{}\nfrom\n{}",
                        file.path,
                        file.contents,
                        show(files)
                    )));
                }
                // What `write` relies on to ever remove a file.
                prop_assert!(
                    file.path == "API.md" || file.contents.starts_with(GENERATED_MARKER),
                    "{} lacks the generated marker",
                    file.path
                );
            }
        }
        Err(GenerateError::Invalid(diagnostics)) => {
            tally.invalid.set(tally.invalid.get() + 1);
            prop_assert!(!diagnostics.is_empty(), "an empty failure for\n{}", show(files));
            for d in &diagnostics.0 {
                let Some((_, bytes)) = files.iter().find(|(path, _)| *path == d.file) else {
                    return Err(TestCaseError::fail(format!("`{d}` names no spec file of\n{}", show(files))));
                };
                // A position may sit just past a last newline, no further.
                let last_line = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
                prop_assert!(d.line >= 1 && d.line <= last_line, "`{d}` points outside its file of {last_line} lines\n{}", show(files));
                prop_assert!(d.column >= 1, "`{d}` has no column\n{}", show(files));
                prop_assert!(!d.message.trim().is_empty(), "`{d}` says nothing\n{}", show(files));
                prop_assert!(!d.message.starts_with("internal error"), "the generator broke: `{d}`\n{}", show(files));
            }
        }
        Err(GenerateError::Io(error)) => {
            return Err(TestCaseError::fail(format!("reading the folder failed: {error}\n{}", show(files))));
        }
    }
    Ok(())
}

/// Runs `cases` cases of `strategy` through [`check`] and returns the tally.
fn run<S: Strategy<Value = Files>>(name: &str, cases: u32, strategy: S) -> Tally {
    let dir = scratch(name);
    let tally = Tally::default();
    let result = TestRunner::new(config(cases)).run(&strategy, |files| check(&dir, &files, &tally));
    let _ = fs::remove_dir_all(&dir);
    if let Err(error) = result {
        panic!("{name}: {error}");
    }
    tally
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The valid fixture folder, file by file.
fn fixture_files() -> Files {
    let root = workspace().join("tests/fixtures/valid");
    let sources = wxa_codegen::load::read_dir(&root).expect("the valid fixtures");
    assert!(sources.len() > 3, "the valid fixtures are there");
    sources.into_iter().map(|s| (s.path, s.text.into_bytes())).collect()
}

/// Real specs that together use most of the format: limits and `chars`,
/// rate limits, multipart, free JSON, maps, secrets, credentials, deep
/// nesting.
const REAL_SPECS: &[&str] = &[
    "operation/get_js_err_detail.yaml",
    "openapi/get_api_quota.yaml",
    "customer_service/upload_temp_media.yaml",
    "cloudbase/invoke_cloud_function.yaml",
    "search/search_submit_pages.yaml",
    "login/code2_session.yaml",
    "qrcode/get_unlimited_qr_code.yaml",
    "immediate_delivery/immediate_delivery_add_order.yaml",
];

/// Spec folders to mutate: the whole fixture folder, and each real spec
/// with the real shared error table.
fn corpora() -> Vec<Files> {
    let specs = workspace().join("specs");
    let errors = ("errors.yaml".to_owned(), read(&specs.join("errors.yaml")));
    let mut out = vec![fixture_files()];
    for spec in REAL_SPECS {
        let mut files = vec![errors.clone()];
        // The named types of the spec's category and of the whole API that
        // the spec refers to, directly or through other types (types that
        // no spec of the corpus names would be reported as unused).
        let text = read(&specs.join(spec));
        let category = spec.split('/').next().unwrap_or_default();
        let types = specs.join(category).join("types.yaml");
        let mut referring = String::from_utf8_lossy(&text).into_owned();
        if types.is_file()
            && let Some(category_types) = types_used(&referring, &String::from_utf8_lossy(&read(&types)))
        {
            referring.push_str(&category_types);
            files.push((format!("{category}/types.yaml"), category_types.into_bytes()));
        }
        if let Some(root) = types_used(&referring, &String::from_utf8_lossy(&read(&specs.join("types.yaml")))) {
            files.push(("types.yaml".to_owned(), root.into_bytes()));
        }
        files.push(((*spec).to_owned(), text));
        out.push(files);
    }
    out
}

/// A `types.yaml` cut down to the types `referring` names (and those they
/// name in turn), or `None` when it names none: the whole file would
/// report its other types as unused.
fn types_used(referring: &str, root: &str) -> Option<String> {
    // Each type is one block starting at a `  - name:` line.
    let mut blocks: Vec<(String, String)> = Vec::new();
    for line in root.lines().skip_while(|line| !line.starts_with("  - name:")) {
        if let Some(name) = line.strip_prefix("  - name: ") {
            blocks.push((name.trim().to_owned(), String::new()));
        }
        if let Some((_, block)) = blocks.last_mut() {
            block.push_str(line);
            block.push('\n');
        }
    }
    let names_in =
        |text: &str| -> Vec<String> { text.lines().filter_map(|l| l.trim().strip_prefix("ref: ")).map(|n| n.trim().to_owned()).collect() };
    let mut wanted = names_in(referring);
    let mut kept: Vec<&(String, String)> = Vec::new();
    while let Some(name) = wanted.pop() {
        if let Some(block) = blocks.iter().find(|(n, _)| *n == name).filter(|b| !kept.contains(b)) {
            wanted.extend(names_in(&block.1));
            kept.push(block);
        }
    }
    kept.sort();
    (!kept.is_empty()).then(|| format!("types:\n{}", kept.iter().map(|(_, block)| block.as_str()).collect::<String>()))
}

/// Values that stress the loader, the validator and the emitter: wrong
/// types, bounds, unicode, keywords, names the generated code uses, YAML
/// syntax, control characters.
const SCALARS: &[&str] = &[
    "0",
    "-1",
    "1",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "99999999999999999999999999",
    "1e400",
    "-1e400",
    ".inf",
    "-.inf",
    ".nan",
    "0.5",
    "1e-7",
    "''",
    "\"\"",
    "\" \"",
    "~",
    "null",
    "true",
    "false",
    "yes",
    "über",
    "日本語",
    "\"\\u202e\"",
    "\"a\\rb\"",
    "\"a\\r\\nb\"",
    "\"\\0\"",
    "\"\\t\"",
    "\"line\\nbreak\"",
    "type",
    "self",
    "Self",
    "crate",
    "fn",
    "r#type",
    "_",
    "new",
    "Other",
    "Common",
    "Unknown",
    "String",
    "Option",
    "common",
    "errcode",
    "access_token",
    "payload",
    "item",
    "GET",
    "POST",
    "json",
    "multipart",
    "any_json",
    "binary",
    "ack",
    "object",
    "array",
    "map",
    "string",
    "u64",
    "fooBar",
    "FooBar",
    "foo_bar",
    "a-b",
    "a.b",
    "/",
    "/a?b",
    "https://developers.weixin.qq.com/x.html",
    "https://developers.weixin.qq.com/x y",
    "\"*/ /* [x] <y> `z` | # \"",
    "\"///\"",
    "z-a",
    "0-9a-z",
    "{",
    "[",
    "}",
    "]",
    "{}",
    "[]",
    "[a, b]",
    "{a: 1}",
    "&anchor x",
    "*alias",
    "!!binary aGk=",
    "!custom x",
    "|",
    ">",
    "'",
    "\"",
    "#",
    "- x",
    "a: b",
    "? x",
    "%YAML 1.2",
    "---",
    "...",
];

/// Keys to insert: the format's own (in every position) and unknown ones.
const KEYS: &[&str] = &[
    "name",
    "summary",
    "docs",
    "category",
    "cloud",
    "method",
    "path",
    "auth",
    "retry_safe",
    "notes",
    "query",
    "body",
    "response",
    "errors",
    "rate_limit",
    "kind",
    "fields",
    "file",
    "doc",
    "code",
    "retry",
    "calls",
    "per",
    "rust_name",
    "type",
    "required",
    "default",
    "enum",
    "items",
    "values",
    "type_name",
    "secret",
    "value",
    "from",
    "min_length",
    "max_length",
    "max_bytes",
    "min_items",
    "max_items",
    "minimum",
    "maximum",
    "chars",
    "unknown_key",
    "- name",
];

/// One edit of a spec file. Line indices scale to the file's length.
#[derive(Debug, Clone)]
enum Mutation {
    Delete(Index),
    Duplicate(Index),
    Swap(Index, Index),
    /// Replaces the value of a `key: value` line (the whole line's
    /// content when it has no key).
    SetValue(Index, &'static str),
    /// Adds (positive) or removes spaces at the start of a line.
    Indent(Index, i8),
    /// A new `key: value` line, indented like the line it follows.
    Insert(Index, &'static str, &'static str),
    /// Cuts the file at a byte, possibly inside a character.
    Truncate(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let scalar = prop::sample::select(SCALARS);
    prop_oneof![
        1 => any::<Index>().prop_map(Mutation::Delete),
        1 => any::<Index>().prop_map(Mutation::Duplicate),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        4 => (any::<Index>(), scalar.clone()).prop_map(|(i, v)| Mutation::SetValue(i, v)),
        1 => (any::<Index>(), prop_oneof![Just(-4i8), Just(-2), Just(-1), Just(1), Just(2), Just(4)]).prop_map(|(i, d)| Mutation::Indent(i, d)),
        2 => (any::<Index>(), prop::sample::select(KEYS), scalar).prop_map(|(i, k, v)| Mutation::Insert(i, k, v)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

/// `text` split after each newline, so joining gives it back.
fn lines(text: &[u8]) -> Vec<Vec<u8>> {
    text.split_inclusive(|&b| b == b'\n').map(<[u8]>::to_vec).collect()
}

fn apply(text: &[u8], mutation: &Mutation) -> Vec<u8> {
    let mut lines = lines(text);
    if lines.is_empty() {
        return text.to_vec();
    }
    let n = lines.len();
    match mutation {
        Mutation::Delete(i) => {
            lines.remove(i.index(n));
        }
        Mutation::Duplicate(i) => {
            let line = lines[i.index(n)].clone();
            lines.insert(i.index(n), line);
        }
        Mutation::Swap(a, b) => lines.swap(a.index(n), b.index(n)),
        Mutation::SetValue(i, value) => {
            let line = &mut lines[i.index(n)];
            let newline = line.ends_with(b"\n");
            let body = line.strip_suffix(b"\n").unwrap_or(line);
            let indent = body.iter().take_while(|&&b| b == b' ').count();
            let after_dash = indent + if body[indent..].starts_with(b"- ") { 2 } else { 0 };
            let value_at = body
                .windows(2)
                .position(|w| w == b": ")
                .map(|p| p + 2)
                .or_else(|| body.ends_with(b":").then_some(body.len()))
                .unwrap_or(after_dash);
            let mut edited = body[..value_at].to_vec();
            if value_at == body.len() && body.ends_with(b":") {
                edited.push(b' ');
            }
            edited.extend_from_slice(value.as_bytes());
            if newline {
                edited.push(b'\n');
            }
            *line = edited;
        }
        Mutation::Indent(i, delta) => {
            let line = &mut lines[i.index(n)];
            if *delta > 0 {
                line.splice(0..0, std::iter::repeat_n(b' ', *delta as usize));
            } else {
                let spaces = line.iter().take_while(|&&b| b == b' ').count().min(delta.unsigned_abs() as usize);
                line.drain(..spaces);
            }
        }
        Mutation::Insert(i, key, value) => {
            let at = i.index(n);
            let indent = lines[at].iter().take_while(|&&b| b == b' ').count();
            let line = format!("{}{key}: {value}\n", " ".repeat(indent));
            lines.insert(at + 1, line.into_bytes());
        }
        Mutation::Truncate(i) => {
            let joined = lines.concat();
            return joined[..i.index(joined.len() + 1)].to_vec();
        }
    }
    lines.concat()
}

/// A corpus with one of its files edited 1 to 4 times.
fn mutated_corpus(corpora: Vec<Files>) -> impl Strategy<Value = Files> {
    (prop::sample::select(corpora), any::<Index>(), prop::collection::vec(mutation(), 1..=4)).prop_map(|(mut files, which, mutations)| {
        let at = which.index(files.len());
        let mut text = files[at].1.clone();
        for m in &mutations {
            text = apply(&text, m);
        }
        files[at].1 = text;
        files
    })
}

/// The valid fixture errors table with `endpoint` as the one endpoint.
fn with_endpoint(endpoint: Vec<u8>) -> Files {
    vec![("errors.yaml".to_owned(), read(&workspace().join("tests/fixtures/valid/errors.yaml"))), (ENDPOINT_FILE.to_owned(), endpoint)]
}

fn s(text: &str) -> Value {
    Value::String(text.to_owned())
}

/// A scalar or small collection, from [`SCALARS`] read as YAML, or made
/// directly (numbers at the edges, arbitrary text).
fn hostile() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => prop::sample::select(SCALARS).prop_map(|text| serde_yaml::from_str::<Value>(text).unwrap_or_else(|_| s(text))),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => any::<f64>().prop_map(Value::from),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => ".{0,12}".prop_map(Value::String),
        1 => Just(Value::Null),
        1 => Just(Value::Sequence(vec![s("a"), Value::from(1)])),
    ]
    .boxed()
}

/// One of `good`, as a string.
fn one_of(good: &'static [&'static str]) -> BoxedStrategy<Value> {
    prop::sample::select(good).prop_map(s).boxed()
}

/// A mapping of the present entries, in order.
fn mapping<const N: usize>(entries: [(&str, Option<Value>); N]) -> Value {
    let mut map = Mapping::new();
    for (key, value) in entries {
        if let Some(value) = value {
            map.insert(s(key), value);
        }
    }
    Value::Mapping(map)
}

const FIELD_NAMES: &[&str] = &["media_id", "scene", "width", "page", "line_color", "is_hyaline", "openid", "session_key", "x1"];
const TYPES: &[&str] = &["string", "string", "bool", "i32", "i64", "u32", "u64", "f64", "object", "array", "map", "json"];
const DOCS: &[&str] = &[
    "A field.",
    "See https://developers.weixin.qq.com/x and [this] <here>.",
    "Up to 32 characters; `a|b` * _c_ \\ \"q\" 'q' {braces}.",
    "中文说明，含标点。",
];

/// A limit: usually small, sometimes anything.
fn limit() -> BoxedStrategy<Value> {
    prop_oneof![6 => (0u64..64).prop_map(Value::from), 1 => hostile()].boxed()
}

/// A float bound, infinities and NaN included: YAML has them.
fn bound() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => (-100i64..100).prop_map(Value::from),
        2 => prop_oneof![Just(f64::INFINITY), Just(f64::NEG_INFINITY), Just(f64::NAN), Just(1e300), Just(0.5)].prop_map(Value::from),
        1 => hostile(),
    ]
    .boxed()
}

/// An `enum` list; [`tidy_field`] replaces it with one that fits the
/// field's type.
fn enum_list() -> BoxedStrategy<Value> {
    let entry = prop_oneof![
        one_of(&["release", "trial", "develop"]),
        ((0i64..4).prop_map(Value::from), prop::option::of(one_of(&["Public", "Private"])), prop::option::of(hostile()))
            .prop_map(|(value, name, doc)| mapping([("value", Some(value)), ("name", name), ("doc", doc)])),
    ];
    prop::collection::vec(entry, 0..4).prop_map(Value::Sequence).boxed()
}

/// A field, with nested fields, items and values up to a few levels.
fn field() -> impl Strategy<Value = Value> {
    field_with(Just(None).boxed()).prop_recursive(3, 24, 3, |inner| field_with(prop::option::of(inner).boxed()))
}

fn field_with(child: BoxedStrategy<Option<Value>>) -> BoxedStrategy<Value> {
    let core = (
        one_of(FIELD_NAMES),
        prop::option::weighted(0.1, one_of(&["media_type", "value_x"])),
        one_of(TYPES),
        prop::option::weighted(0.5, any::<bool>().prop_map(Value::Bool)),
        one_of(DOCS),
        prop::option::weighted(0.05, hostile()),
        prop::option::weighted(0.2, enum_list()),
    );
    let nested = (
        prop::collection::vec(child.clone(), 0..3),
        child.clone(),
        child,
        prop::option::weighted(0.05, one_of(&["CustomName", "Other"])),
        prop::option::weighted(0.1, any::<bool>().prop_map(Value::Bool)),
        prop::option::weighted(0.05, hostile()),
        prop::option::weighted(0.05, one_of(&["app_id", "app_secret"])),
    );
    let limits = (
        prop::option::weighted(0.15, limit()),
        prop::option::weighted(0.15, limit()),
        prop::option::weighted(0.1, limit()),
        prop::option::weighted(0.1, limit()),
        prop::option::weighted(0.1, limit()),
        prop::option::weighted(0.15, bound()),
        prop::option::weighted(0.15, bound()),
        prop::option::weighted(0.1, one_of(&["0-9a-z", "-_", "a-", "z-a", "中-文"])),
    );
    (core, nested, limits)
        .prop_map(|(core, nested, limits)| {
            let (fields, items, values) = (nested.0.into_iter().flatten().collect::<Vec<_>>(), nested.1, nested.2);
            mapping([
                ("name", Some(core.0)),
                ("rust_name", core.1),
                ("type", Some(core.2)),
                ("required", core.3),
                ("doc", Some(core.4)),
                ("default", core.5),
                ("enum", core.6),
                ("fields", (!fields.is_empty()).then_some(Value::Sequence(fields))),
                ("items", items),
                ("values", values),
                ("type_name", nested.3),
                ("secret", nested.4),
                ("value", nested.5),
                ("from", nested.6),
                ("min_length", limits.0),
                ("max_length", limits.1),
                ("max_bytes", limits.2),
                ("min_items", limits.3),
                ("max_items", limits.4),
                ("minimum", limits.5),
                ("maximum", limits.6),
                ("chars", limits.7),
            ])
        })
        .boxed()
}

fn fields() -> BoxedStrategy<Value> {
    prop::collection::vec(field(), 0..4).prop_map(Value::Sequence).boxed()
}

fn error_row() -> impl Strategy<Value = Value> {
    (
        prop_oneof![6 => (-2i64..50_000).prop_map(Value::from), 1 => hostile()],
        one_of(&["InvalidPage", "TooFrequent", "SystemBusy", "Unknown", "Common", "Error"]),
        one_of(&["A documented error.", "Too many | pipes"]),
        one_of(&["none", "transient", "throttle", "refresh_token"]),
    )
        .prop_map(|(code, name, doc, retry)| {
            mapping([("code", Some(code)), ("name", Some(name)), ("doc", Some(doc)), ("retry", Some(retry))])
        })
}

/// A whole endpoint document with the format's top-level keys, in one of
/// the shapes the format allows; [`tidy_endpoint`] then removes most
/// contradictions between them.
fn endpoint_document() -> impl Strategy<Value = Value> {
    let head = (
        prop::option::weighted(0.05, one_of(&["fuzz.call"])),
        one_of(&["GET", "POST"]),
        one_of(&["access_token", "none"]),
        any::<bool>().prop_map(Value::Bool),
        prop::option::weighted(0.3, one_of(&["- a list\n- of notes\n  wrapped", "Plain notes.", "1. one\n2. two", "Line one\r\nline two"])),
    );
    let body = (
        one_of(&["json", "json", "multipart", "any_json"]),
        prop::option::weighted(0.8, fields()),
        prop::option::weighted(0.3, (one_of(&["media", "file"]), one_of(&["The file."]))),
        prop::option::weighted(0.2, one_of(&["The whole payload."])),
    )
        .prop_map(|(kind, fields, file, doc)| {
            let file = file.map(|(name, doc)| mapping([("name", Some(name)), ("doc", Some(doc))]));
            mapping([("kind", Some(kind)), ("fields", fields), ("file", file), ("doc", doc)])
        });
    let response = (one_of(&["json", "json", "binary", "ack"]), prop::option::weighted(0.8, fields()))
        .prop_map(|(kind, fields)| mapping([("kind", Some(kind)), ("fields", fields)]));
    let rate_limit = (prop_oneof![6 => (0u64..10_000).prop_map(Value::from), 1 => hostile()], one_of(&["second", "minute", "day", "week"]))
        .prop_map(|(calls, per)| mapping([("calls", Some(calls)), ("per", Some(per))]));
    let tail = (
        prop::option::weighted(0.5, fields()),
        prop::option::weighted(0.6, body),
        response,
        prop::option::weighted(0.4, prop::collection::vec(error_row(), 0..4).prop_map(Value::Sequence)),
        prop::option::weighted(0.15, rate_limit),
    );
    (head, tail).prop_map(|(head, tail)| {
        mapping([
            ("name", Some(s("fuzzEndpoint"))),
            ("summary", Some(s("Does a thing."))),
            ("docs", Some(s("https://developers.weixin.qq.com/miniprogram/dev/x.html"))),
            ("category", Some(s("fuzz"))),
            ("cloud", head.0),
            ("method", Some(head.1)),
            ("path", Some(s("/wxa/fuzz"))),
            ("auth", Some(head.2)),
            ("retry_safe", Some(head.3)),
            ("notes", head.4),
            ("query", tail.0),
            ("body", tail.1),
            ("response", Some(tail.2)),
            ("errors", tail.3),
            ("rate_limit", tail.4),
        ])
    })
}

/// Where a field list sits, which decides what its fields may be.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    /// Query parameters and multipart text parts: scalars only.
    Scalars,
    /// Top level of a JSON body: may be fixed or from credentials.
    Request,
    /// Inside objects, and responses.
    Nested,
}

fn map_mut(value: &mut Value) -> Option<&mut Mapping> {
    value.as_mapping_mut()
}

fn str_of<'v>(map: &'v Mapping, key: &str) -> Option<&'v str> {
    map.get(key).and_then(Value::as_str)
}

/// Removes the contradictions a random field is full of, so that most
/// tidied documents are valid and reach the emitter with their odd but
/// legal values (infinite bounds, unusual docs) intact.
fn tidy_field(field: &mut Value, place: Place, named: bool) {
    let Some(map) = map_mut(field) else { return };
    if !named {
        for key in ["name", "rust_name", "required", "value", "from"] {
            map.remove(key);
        }
    }
    let mut ty = str_of(map, "type").unwrap_or("string").to_owned();
    if place == Place::Scalars && matches!(ty.as_str(), "object" | "array" | "map" | "json") {
        ty = "string".to_owned();
    }
    let has_children = |key: &str, map: &Mapping| map.get(key).and_then(Value::as_sequence).is_some_and(|s| !s.is_empty());
    if (ty == "object" && !has_children("fields", map))
        || (ty == "array" && !map.contains_key("items"))
        || (ty == "map" && !map.contains_key("values"))
    {
        ty = "string".to_owned();
    }
    map.insert(s("type"), s(&ty));
    for (key, owner) in [("fields", "object"), ("items", "array"), ("values", "map")] {
        if ty != owner {
            map.remove(key);
        }
    }
    if let Some(Value::Sequence(children)) = map.get_mut("fields") {
        tidy_list(children, Place::Nested);
    }
    if let Some(item) = map.get_mut("items") {
        tidy_field(item, Place::Nested, false);
    }
    if let Some(value) = map.get_mut("values") {
        tidy_field(value, Place::Nested, false);
        if let Some(value) = map_mut(value) {
            for key in LIMIT_KEYS {
                value.remove(key);
            }
        }
    }
    let int = matches!(ty.as_str(), "i32" | "i64" | "u32" | "u64");
    if map.contains_key("enum") {
        let entries: Vec<Value> = if ty == "string" {
            ["release", "trial", "develop"].into_iter().map(s).collect()
        } else if int {
            [(0, "Off"), (1, "On"), (2, "Auto")]
                .into_iter()
                .map(|(v, n)| mapping([("value", Some(Value::from(v))), ("name", Some(s(n)))]))
                .collect()
        } else {
            Vec::new()
        };
        if entries.is_empty() {
            map.remove("enum");
        } else {
            map.insert(s("enum"), Value::Sequence(entries));
        }
    }
    let is_enum = map.contains_key("enum");
    map.remove("type_name");
    map.remove("default");
    map.remove("value");
    if !(named && ty == "string" && !is_enum) {
        map.remove("secret");
    }
    if !(place != Place::Nested && named && ty == "string" && !is_enum) || map.get("secret") == Some(&Value::Bool(true)) {
        map.remove("from");
    }
    let string = ty == "string" && !is_enum;
    let number = (int || ty == "f64") && !is_enum;
    for key in LIMIT_KEYS {
        let applies = match *key {
            "min_length" | "max_length" | "max_bytes" | "chars" => string,
            "min_items" | "max_items" => ty == "array",
            _ => number,
        };
        let fits = match *key {
            "chars" => str_of(map, key).is_some_and(|c| c != "z-a"),
            "minimum" | "maximum" => map.get(key).is_some_and(Value::is_number),
            _ => map.get(key).is_some_and(Value::is_u64),
        };
        if !applies || !fits {
            map.remove(*key);
        }
    }
    for (low, high) in [("min_length", "max_length"), ("min_items", "max_items"), ("minimum", "maximum")] {
        let (Some(l), Some(h)) = (map.get(low).and_then(Value::as_f64), map.get(high).and_then(Value::as_f64)) else { continue };
        if l > h {
            map.remove(high);
        }
    }
}

const LIMIT_KEYS: &[&str] = &["min_length", "max_length", "max_bytes", "min_items", "max_items", "minimum", "maximum", "chars"];

/// Tidies each field and drops those whose wire or Rust name repeats.
fn tidy_list(fields: &mut Vec<Value>, place: Place) {
    let mut seen = std::collections::BTreeSet::new();
    fields.retain_mut(|field| {
        tidy_field(field, place, true);
        let Some(map) = field.as_mapping() else { return false };
        let names = [str_of(map, "name"), str_of(map, "rust_name").or(str_of(map, "name"))];
        names.iter().flatten().all(|n| !seen.contains(*n)) && {
            seen.extend(names.iter().flatten().map(|n| (*n).to_owned()));
            true
        }
    });
}

/// [`tidy_field`] for a whole endpoint: bodies that fit their kind and
/// method, scalar query parameters, distinct names and error codes.
fn tidy_endpoint(doc: &mut Value) {
    let Some(root) = map_mut(doc) else { return };
    let mut names = std::collections::BTreeSet::new();
    if let Some(Value::Sequence(query)) = root.get_mut("query") {
        tidy_list(query, Place::Scalars);
        names.extend(
            query.iter().filter_map(|f| f.as_mapping().and_then(|m| str_of(m, "rust_name").or(str_of(m, "name")).map(str::to_owned))),
        );
    }
    if root.contains_key("body") {
        root.insert(s("method"), s("POST"));
    }
    if let Some(body) = root.get_mut("body").and_then(map_mut) {
        let kind = str_of(body, "kind").unwrap_or("json").to_owned();
        if kind != "any_json" {
            body.remove("doc");
        }
        match kind.as_str() {
            "any_json" => {
                body.remove("fields");
                body.remove("file");
                body.insert(s("doc"), s("The whole payload."));
            }
            "multipart" => {
                body.insert(s("file"), mapping([("name", Some(s("media"))), ("doc", Some(s("The file.")))]));
                names.insert("media".to_owned());
            }
            _ => {
                body.remove("file");
            }
        }
        let place = if kind == "multipart" { Place::Scalars } else { Place::Request };
        if let Some(Value::Sequence(fields)) = body.get_mut("fields") {
            fields.retain(|f| f.as_mapping().and_then(|m| str_of(m, "rust_name").or(str_of(m, "name"))).is_none_or(|n| !names.contains(n)));
            tidy_list(fields, place);
        }
    }
    if let Some(response) = root.get_mut("response").and_then(map_mut) {
        if str_of(response, "kind") == Some("json") {
            if let Some(Value::Sequence(fields)) = response.get_mut("fields") {
                tidy_list(fields, Place::Nested);
            }
        } else {
            response.remove("fields");
        }
    }
    if let Some(Value::Sequence(errors)) = root.get_mut("errors") {
        let (mut codes, mut names) = (std::collections::BTreeSet::new(), std::collections::BTreeSet::new());
        errors.retain(|row| {
            let Some(map) = row.as_mapping() else { return false };
            let (Some(code), Some(name)) = (map.get("code").and_then(Value::as_i64), str_of(map, "name")) else { return false };
            code != 0 && !matches!(name, "Unknown" | "Common") && codes.insert(code) && names.insert(name.to_owned())
        });
    }
    if let Some(limit) = root.get_mut("rate_limit").and_then(map_mut)
        && (limit.get("calls").and_then(Value::as_u64).is_none_or(|c| c == 0) || str_of(limit, "per") == Some("week"))
    {
        root.remove("rate_limit");
    }
}

/// One hostile edit of a document: at the `Index`-th key of the whole
/// tree, a new value, the key removed, or a key added beside it.
#[derive(Debug, Clone)]
enum Sabotage {
    Replace(Index, Value),
    Remove(Index),
    Add(Index, &'static str, Value),
}

fn sabotage() -> impl Strategy<Value = Sabotage> {
    prop_oneof![
        3 => (any::<Index>(), hostile()).prop_map(|(i, v)| Sabotage::Replace(i, v)),
        1 => any::<Index>().prop_map(Sabotage::Remove),
        1 => (any::<Index>(), prop::sample::select(KEYS), hostile()).prop_map(|(i, k, v)| Sabotage::Add(i, k, v)),
    ]
}

fn apply_sabotage(doc: &mut Value, edit: &Sabotage) {
    // Walk to the n-th key, counting keys of every mapping in order.
    fn walk(value: &mut Value, n: &mut usize, edit: &Sabotage) -> bool {
        match value {
            Value::Mapping(map) => {
                if *n < map.len() {
                    let key = map.keys().nth(*n).cloned().expect("in range");
                    match edit {
                        Sabotage::Replace(_, new) => {
                            map.insert(key, new.clone());
                        }
                        Sabotage::Remove(_) => {
                            map.shift_remove(&key);
                        }
                        Sabotage::Add(_, extra, new) => {
                            map.insert(s(extra), new.clone());
                        }
                    }
                    return true;
                }
                *n -= map.len();
                map.values_mut().any(|child| walk(child, n, edit))
            }
            Value::Sequence(items) => items.iter_mut().any(|item| walk(item, n, edit)),
            _ => false,
        }
    }
    let total = key_count(doc);
    if total == 0 {
        return;
    }
    let index = match edit {
        Sabotage::Replace(i, _) | Sabotage::Remove(i) | Sabotage::Add(i, _, _) => i.index(total),
    };
    let mut n = index;
    walk(doc, &mut n, edit);
}

fn key_count(value: &Value) -> usize {
    match value {
        Value::Mapping(map) => map.len() + map.values().map(key_count).sum::<usize>(),
        Value::Sequence(items) => items.iter().map(key_count).sum(),
        _ => 0,
    }
}

/// A spec-shaped document: random, mostly tidied, then sabotaged 0 to 2
/// times.
fn spec_document() -> impl Strategy<Value = Value> {
    (endpoint_document(), prop::bool::weighted(0.85), prop::collection::vec(sabotage(), 0..=2)).prop_map(|(mut doc, tidy, edits)| {
        if tidy {
            tidy_endpoint(&mut doc);
        }
        for edit in &edits {
            apply_sabotage(&mut doc, edit);
        }
        doc
    })
}

#[test]
fn arbitrary_bytes_as_a_spec_end_in_diagnostics() {
    // Any bytes, as the endpoint file and as the shared error table.
    let bytes = prop::collection::vec(any::<u8>(), 0..512);
    let tally = run(
        "bytes",
        400,
        (bytes, any::<bool>()).prop_map(|(bytes, as_errors)| {
            let mut files = with_endpoint(bytes.clone());
            if as_errors {
                files[0].1 = bytes;
            }
            files
        }),
    );
    assert!(tally.invalid.get() > 300, "random bytes are not a spec: {tally:?}");
}

#[test]
fn arbitrary_yaml_like_text_as_a_spec_never_breaks_the_pipeline() {
    // Text over YAML's punctuation and the format's words, which parses
    // (as something) far more often than random bytes do.
    let word = prop_oneof![
        3 => prop::sample::select(KEYS).prop_map(|k| format!("{k}: ")),
        3 => prop::sample::select(SCALARS).prop_map(str::to_owned),
        2 => "[ \n\t:,\\-\\[\\]{}#&*!|>'\"?%@`]{1,3}",
        2 => Just("\n  ".to_owned()),
        1 => Just("\n- ".to_owned()),
    ];
    let tally = run("text", 400, prop::collection::vec(word, 0..40).prop_map(|words| with_endpoint(words.concat().into_bytes())));
    assert!(tally.invalid.get() > 0, "{tally:?}");
}

#[test]
fn mutated_real_specs_end_in_diagnostics_or_parsing_rust() {
    let tally = run("mutations", 300, mutated_corpus(corpora()));
    // Some mutations keep a spec valid (a duplicated `doc` line is still a
    // doc); they must reach the generator, and most must be caught.
    assert!(tally.valid.get() >= 10 && tally.invalid.get() >= 100, "{tally:?}");
}

#[test]
fn random_spec_shaped_documents_end_in_diagnostics_or_parsing_rust() {
    let tally =
        run("documents", 300, spec_document().prop_map(|doc| with_endpoint(serde_yaml::to_string(&doc).expect("YAML").into_bytes())));
    assert!(tally.valid.get() >= 10 && tally.invalid.get() >= 100, "{tally:?}");
}

#[test]
fn the_corpora_are_valid_before_mutation() {
    // Otherwise the mutation test would start from broken specs and test
    // only the error paths.
    let dir = scratch("corpora");
    for files in corpora() {
        let tally = Tally::default();
        check(&dir, &files, &tally).expect("diagnostics or Rust that parses");
        assert_eq!(tally.valid.get(), 1, "{} is valid", files[files.len() - 1].0);
    }
    let _ = fs::remove_dir_all(&dir);
}

// Inputs that broke the pipeline, found by these properties or while
// writing their strategies; fixed since.

/// The shape of the regression specs: one JSON endpoint with `fields`.
fn endpoint_with_fields(fields: &str) -> Vec<u8> {
    format!(
        "name: fuzzEndpoint\nsummary: Does a thing.\ndocs: https://developers.weixin.qq.com/miniprogram/dev/x.html\n\
         category: fuzz\nmethod: POST\npath: /wxa/fuzz\nauth: access_token\nretry_safe: true\n\
         body:\n  kind: json\n  fields:\n{fields}response:\n  kind: ack\n"
    )
    .into_bytes()
}

/// Runs one spec folder through [`check`], then returns what it
/// generated, or the diagnostics' text.
fn outcome(name: &str, files: &[(String, Vec<u8>)]) -> Result<wxa_codegen::Generation, String> {
    let dir = scratch(name);
    check(&dir, files, &Tally::default()).unwrap_or_else(|e| panic!("{e}"));
    let result = wxa_codegen::generate_dir(&dir, "api").map_err(|e| e.to_string());
    let _ = fs::remove_dir_all(&dir);
    result
}

/// The text of the generated file at `path`.
fn generated<'g>(generation: &'g wxa_codegen::Generation, path: &str) -> &'g str {
    &generation.files.iter().find(|f| f.path == path).unwrap_or_else(|| panic!("{path} is generated")).contents
}

#[test]
fn regression_infinite_bounds_are_reported_not_a_panic() {
    // `.inf` reached `proc_macro2`, which has no literal for it and panicked.
    let spec = endpoint_with_fields("    - name: width\n      type: i32\n      doc: A width.\n      minimum: .inf\n      maximum: .nan\n");
    let diagnostics = outcome("inf", &with_endpoint(spec)).expect_err("rejected");
    assert!(diagnostics.contains("fuzz/fuzz_endpoint.yaml:15:7: error: `minimum` must be a finite number"), "{diagnostics}");
    assert!(diagnostics.contains("fuzz/fuzz_endpoint.yaml:16:7: error: `maximum` must be a finite number"), "{diagnostics}");
}

#[test]
fn regression_a_carriage_return_in_a_doc_ends_the_line() {
    // A lone `\r` stayed inside a `///` line: a bare CR, which Rust
    // rejects. Notes and error docs may span lines; one-line texts must not
    // hide a second line behind a `\r`.
    let spec =
        String::from_utf8(endpoint_with_fields("    - name: scene\n      type: string\n      doc: A scene.\n")).expect("UTF-8").replace(
            "retry_safe: true\n",
            "retry_safe: true\nnotes: \"one\\rtwo\\r\\nthree\"\nerrors:\n  - {code: 1, name: Odd, doc: \"odd\\rcode\", retry: none}\n",
        );
    let generation = outcome("cr", &with_endpoint(spec.clone().into_bytes())).expect("generates");
    let file = generated(&generation, "fuzz/fuzz_endpoint.rs");
    assert!(!file.contains('\r'), "no carriage return is left in the output");
    assert!(file.contains("/// one\n") && file.contains("/// two\n") && file.contains("/// three\n"), "{file}");

    let one_line = spec.replace("doc: A scene.", "doc: \"A\\rscene.\"");
    let diagnostics = outcome("cr-field", &with_endpoint(one_line.into_bytes())).expect_err("rejected");
    assert!(diagnostics.contains("doc must be one line (at `body.fields[0].doc`)"), "{diagnostics}");
}

#[test]
fn regression_huge_lower_bounds_are_reported_not_an_out_of_memory_abort() {
    // The contract test's sample held `min_items` items and `min_length`
    // characters: 100000000 of them exhausted memory.
    let spec = endpoint_with_fields(
        "    - name: scene\n      type: array\n      doc: A list.\n      min_items: 100000000\n      items:\n        type: string\n        min_length: 4000000000\n",
    );
    let diagnostics = outcome("huge", &with_endpoint(spec)).expect_err("rejected");
    assert!(diagnostics.contains("fuzz/fuzz_endpoint.yaml:15:7: error: `min_items` above 65536 is not supported"), "{diagnostics}");
    assert!(diagnostics.contains("fuzz/fuzz_endpoint.yaml:18:9: error: `min_length` above 65536 is not supported"), "{diagnostics}");
}

#[test]
fn regression_nested_long_sample_arrays_stay_small() {
    // The sample of an array of 60000 arrays of 60000 strings was spelled
    // out item by item: 3.6 * 10^9 expressions.
    let spec = endpoint_with_fields(
        "    - name: scene\n      type: array\n      doc: A list.\n      min_items: 60000\n      items:\n        type: array\n        min_items: 60000\n        items:\n          type: string\n",
    );
    let generation = outcome("nested", &with_endpoint(spec)).expect("generates");
    let tests = generated(&generation, "contract_tests.rs");
    assert!(tests.len() < 4096 && tests.contains("; 60000]"), "{tests}");
}

#[test]
fn regression_a_syntax_error_at_the_very_end_points_into_the_file() {
    // The YAML library put it on line 2 of a 1-line file.
    let diagnostics = outcome("eof", &with_endpoint(b"{name: ".to_vec())).expect_err("rejected");
    assert!(diagnostics.starts_with("fuzz/fuzz_endpoint.yaml:1:8: error: invalid YAML"), "{diagnostics}");
}

#[test]
fn regression_a_file_that_is_not_utf8_is_a_diagnostic_at_its_first_bad_byte() {
    // It failed the whole read with an I/O error naming no line.
    let mut spec = b"name: fuzzEndpoint\nsummary: D".to_vec();
    spec.extend_from_slice(&[0xC3, 0x28, b'\n']);
    let diagnostics = outcome("utf8", &with_endpoint(spec)).expect_err("rejected");
    assert!(diagnostics.contains("fuzz/fuzz_endpoint.yaml:2:11: error: the file is not UTF-8 text"), "{diagnostics}");
}
