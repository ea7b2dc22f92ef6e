//! Checks a loaded spec set and lowers it to the IR, collecting every
//! problem instead of stopping at the first.
//!
//! One submodule per part of a spec: [`endpoint`] (the top-level keys and
//! the request's name clashes), [`bodies`], [`choices`], [`responses`], [`errors`]
//! (error tables), [`fields`] (names, docs, sources, defaults), [`types`]
//! (a field's type, enums, constants), [`constraints`] (limits) and
//! [`named`] (the `types.yaml` files and the references to them).

mod bodies;
mod choices;
mod constraints;
mod endpoint;
mod errors;
mod events;
mod fields;
mod named;
mod responses;
mod signing;
mod types;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::ir::*;
use crate::load::{FileInfo, SpecSet};
use crate::locate::{KeyPath, Locator};
use crate::spec::{GlobalErrorsSpec, UnknownKeys, known_keys};

/// Per-file context: where diagnostics go and how key paths become lines.
struct FileCx<'a> {
    file: &'a str,
    /// The category of the file (`""` at the root), where `ref`s look first.
    category: &'a str,
    locator: Locator,
    diags: &'a mut Diagnostics,
    /// The named types a `ref` may use.
    scope: &'a named::TypeScope,
}

impl<'a> FileCx<'a> {
    fn new(info: &'a FileInfo, scope: &'a named::TypeScope, diags: &'a mut Diagnostics) -> FileCx<'a> {
        FileCx { file: &info.path, category: &info.category, locator: Locator::new(&info.text), diags, scope }
    }

    fn error(&mut self, path: &KeyPath, message: impl Into<String>) {
        let position = self.locator.locate(path);
        self.diags.push(Diagnostic {
            file: self.file.to_owned(),
            line: position.line,
            column: position.column,
            key_path: path.to_string(),
            message: message.into(),
        });
    }

    /// Reports each key of `unknown`, listing the keys the spec struct `T`
    /// knows (see [`known_keys`]).
    fn unknown_keys<T: Default + Serialize>(&mut self, path: &KeyPath, unknown: &UnknownKeys) {
        if unknown.is_empty() {
            return;
        }
        let known = known_keys::<T>().join(", ");
        for key in unknown.keys() {
            self.error(&path.key(key), format!("unknown key `{key}`; expected one of: {known}"));
        }
    }

    fn required_str<'s>(&mut self, path: &KeyPath, key: &str, value: &'s Option<String>) -> Option<&'s str> {
        match value.as_deref().map(str::trim) {
            Some("") => {
                self.error(&path.key(key), format!("`{key}` is empty"));
                None
            }
            Some(_) => value.as_deref(),
            None => {
                self.error(path, format!("missing required key `{key}`"));
                None
            }
        }
    }
}

/// Validates `set` and lowers it. Returns every problem found when any.
pub(crate) fn validate(set: &SpecSet) -> Result<Api, Diagnostics> {
    let mut diags = set.diagnostics.clone();
    let scope = named::TypeScope::scan(set);
    let mut common_errors = Vec::new();
    if let Some(global) = &set.global_errors {
        let mut cx = FileCx::new(&global.file, &scope, &mut diags);
        cx.unknown_keys::<GlobalErrorsSpec>(&KeyPath::default(), &global.spec.unknown);
        common_errors = errors::lower_errors(&mut cx, &KeyPath::default().key("errors"), &global.spec.errors);
        if global.spec.errors.is_empty() {
            cx.error(&KeyPath::default(), "the shared error table needs at least one code");
        }
    }

    let defs = named::lower_defs(set, &scope, &mut diags);
    let mut endpoints = Vec::new();
    for loaded in &set.endpoints {
        let mut cx = FileCx::new(&loaded.file, &scope, &mut diags);
        if let Some(endpoint) = endpoint::lower_endpoint(&mut cx, loaded) {
            endpoints.push(endpoint);
        }
    }

    let mut events = Vec::new();
    for loaded in &set.events {
        let mut cx = FileCx::new(&loaded.file, &scope, &mut diags);
        if let Some(event) = events::lower_event(&mut cx, loaded) {
            events.push(event);
        }
    }

    named::check_graph(set, &defs, (&endpoints, &events), &scope, &mut diags);
    check_across_files(set, &defs, &endpoints, &mut diags);
    check_event_files(set, (&defs, &endpoints), &events, &mut diags);

    if !diags.is_empty() {
        diags.sort();
        return Err(diags);
    }
    let named_types = named::resolve(defs, &mut endpoints, &mut events);
    endpoints.sort_by(|a, b| (&a.category, &a.name).cmp(&(&b.category, &b.name)));
    events.sort_by(|a, b| (&a.category, &a.name).cmp(&(&b.category, &b.name)));
    common_errors.sort_by_key(|e| e.code);
    Ok(Api { endpoints, common_errors, named_types, events })
}

/// Names that must be unique across the whole API.
fn check_across_files(set: &SpecSet, defs: &[named::Def], endpoints: &[Endpoint], diags: &mut Diagnostics) {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    // Named types come first: an endpoint's own type of the same name is
    // the one to rename.
    for def in defs {
        let mut names = Vec::new();
        collect_nested_type(&def.ty.ty, &mut names);
        for name in names {
            seen.entry(format!("type `{name}`")).or_insert(set.types[def.file].file.path.as_str());
        }
    }
    let texts: BTreeMap<&str, &str> = set.endpoints.iter().map(|l| (l.file.path.as_str(), l.file.text.as_str())).collect();
    for endpoint in endpoints {
        let mut names = vec![format!("endpoint name `{}`", endpoint.name), format!("client method `{}`", endpoint.method_name)];
        names.extend(type_names(endpoint).into_iter().map(|ty| format!("type `{ty}`")));
        for what in names {
            let Some(other) = seen.get(&what) else {
                seen.insert(what, &endpoint.source_file);
                continue;
            };
            let path = KeyPath::default().key("name");
            let position = Locator::new(texts.get(endpoint.source_file.as_str()).copied().unwrap_or("")).locate(&path);
            diags.push(Diagnostic {
                file: endpoint.source_file.clone(),
                line: position.line,
                column: position.column,
                key_path: path.to_string(),
                message: format!("{what} is also generated by {other}; rename one (`name` or `type_name`)"),
            });
            if what.starts_with("endpoint name") {
                // Its method and type names collide too; one report is enough.
                break;
            }
        }
    }
}

/// Event names and the types they generate are unique among themselves
/// and against every endpoint's and named type's; one spec per push.
fn check_event_files(set: &SpecSet, (defs, endpoints): (&[named::Def], &[Endpoint]), events: &[PushEvent], diags: &mut Diagnostics) {
    let mut taken: BTreeMap<String, String> = BTreeMap::new();
    for def in defs {
        let mut names = Vec::new();
        collect_nested_type(&def.ty.ty, &mut names);
        for name in names {
            taken.entry(name).or_insert_with(|| set.types[def.file].file.path.clone());
        }
    }
    for endpoint in endpoints {
        for name in type_names(endpoint) {
            taken.entry(name).or_insert_with(|| endpoint.source_file.clone());
        }
    }
    let mut report = |index: usize, path: &KeyPath, message: String| {
        let file = &set.events[index].file;
        let position = Locator::new(&file.text).locate(path);
        diags.push(Diagnostic {
            file: file.path.clone(),
            line: position.line,
            column: position.column,
            key_path: path.to_string(),
            message,
        });
    };
    for event in events {
        let Some(index) = set.events.iter().position(|l| l.file.path == event.source_file) else { continue };
        let mut names = vec![event.name.clone()];
        collect_nested(&event.fields, &mut names);
        for name in names {
            if let Some(other) = taken.get(&name) {
                report(index, &KeyPath::default().key("name"), format!("type `{name}` is also generated by {other}; rename one"));
            } else {
                taken.insert(name, event.source_file.clone());
            }
        }
    }
    events::check_events(set, events, endpoints, &mut report);
}

/// Every type name an endpoint generates.
pub(crate) fn type_names(endpoint: &Endpoint) -> Vec<String> {
    let p = &endpoint.type_prefix;
    let mut names = vec![format!("{p}Request"), format!("{p}Error")];
    if let Response::Json(fields) = &endpoint.response {
        names.push(format!("{p}Response"));
        collect_nested(fields, &mut names);
    }
    collect_nested(endpoint.body.fields(), &mut names);
    collect_nested(&endpoint.query, &mut names);
    if let Some(choice) = &endpoint.choice {
        names.push(choice.type_name.clone());
        for alternative in &choice.alternatives {
            match &alternative.carrier {
                Carrier::Query(field) => collect_nested_type(&field.ty, &mut names),
                Carrier::Json(fields) => collect_nested(fields, &mut names),
                Carrier::File(_) => {}
            }
        }
    }
    names
}

fn collect_nested(fields: &[Field], names: &mut Vec<String>) {
    for field in fields {
        collect_nested_type(&field.ty, names);
    }
}

/// The names of the structs and enums `ty` generates (none for a `ref`:
/// the named type is generated once, with its file).
fn collect_nested_type(ty: &Type, names: &mut Vec<String>) {
    match ty {
        Type::Object(object) => {
            names.push(object.name.clone());
            collect_nested(&object.fields, names);
        }
        Type::Enum(e) => names.push(e.name.clone()),
        Type::Array(item) | Type::Map(item) => collect_nested_type(item, names),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::*;

    #[test]
    fn the_known_keys_are_the_struct_fields_under_their_yaml_names() {
        let endpoint = known_keys::<EndpointSpec>();
        assert!(endpoint.iter().any(|k| k == "rate_limit"), "{endpoint:?}");
        assert_eq!(endpoint.first().map(String::as_str), Some("name"));
        let field = known_keys::<FieldSpec>();
        for key in ["type", "enum", "chars", "min_length"] {
            assert!(field.iter().any(|k| k == key), "{key} missing from {field:?}");
        }
        assert!(!field.iter().any(|k| k == "ty" || k == "unknown" || k == "enumeration"), "{field:?}");
        assert_eq!(known_keys::<RateLimitSpec>(), ["calls", "per"]);
        assert_eq!(known_keys::<ErrorSpec>(), ["code", "name", "doc", "retry"]);
    }

    #[test]
    fn every_known_key_is_read_by_the_parser() {
        // A key the list names but the parser does not read would land in
        // `unknown`: a mapping of every listed key must leave it empty.
        fn check<T: Default + Serialize + serde::de::DeserializeOwned>(unknown: impl Fn(&T) -> &UnknownKeys) {
            let all = serde_yaml::to_value(T::default()).expect("serializes");
            let count = all.as_mapping().map_or(0, |m| m.len());
            assert_eq!(count, known_keys::<T>().len());
            let parsed: T = serde_yaml::from_value(all).expect("parses");
            assert!(unknown(&parsed).is_empty(), "listed but not read: {:?}", unknown(&parsed).keys());
        }
        check::<EndpointSpec>(|s| &s.unknown);
        check::<FieldSpec>(|s| &s.unknown);
        check::<BodySpec>(|s| &s.unknown);
        check::<FileSpec>(|s| &s.unknown);
        check::<ResponseSpec>(|s| &s.unknown);
        check::<ErrorSpec>(|s| &s.unknown);
        check::<RateLimitSpec>(|s| &s.unknown);
        check::<EnumEntryFull>(|s| &s.unknown);
        check::<GlobalErrorsSpec>(|s| &s.unknown);
        check::<TypesFileSpec>(|s| &s.unknown);
        check::<TypeDefSpec>(|s| &s.unknown);
        check::<ChoiceSpec>(|s| &s.unknown);
        check::<AlternativeSpec>(|s| &s.unknown);
        check::<EventSpec>(|s| &s.unknown);
    }
}
