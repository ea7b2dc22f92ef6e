//! Named types: the `types.yaml` files, the `ref`s to them, and the checks
//! that need the whole set (unused and recursive types).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::FileCx;
use super::fields::{FieldPlace, lower_fields};
use super::types::{int_type, lower_enum};
use crate::diagnostics::Diagnostics;
use crate::ir::*;
use crate::load::{LoadedFile, SpecSet};
use crate::locate::KeyPath;
use crate::names::*;
use crate::spec::*;

/// A named type's key: its scope (`""` for the whole API, else the
/// category) and its name.
type Key = (String, String);

/// The names a `ref` may use, known before anything is lowered so that
/// types and endpoints can refer to each other in any order.
#[derive(Debug, Default)]
pub(super) struct TypeScope {
    /// Every defined type, and whether it is an object (not an enum).
    defs: BTreeMap<Key, bool>,
}

impl TypeScope {
    /// The names every `types.yaml` defines (first definition wins).
    pub(super) fn scan(set: &SpecSet) -> TypeScope {
        let mut defs = BTreeMap::new();
        for file in &set.types {
            for def in &file.spec.types {
                if let Some(name) = &def.name {
                    let is_object = def.ty.as_deref() == Some("object");
                    defs.entry((file.file.category.clone(), name.clone())).or_insert(is_object);
                }
            }
        }
        TypeScope { defs }
    }

    /// What `name` means in `category`: its own type first, then the
    /// whole API's. Returns the scope and whether it is an object.
    pub(super) fn lookup(&self, category: &str, name: &str) -> Option<(String, bool)> {
        [category, ""]
            .into_iter()
            .find_map(|scope| self.defs.get(&(scope.to_owned(), name.to_owned())).map(|&object| (scope.to_owned(), object)))
    }

    /// A category other than `category` that defines `name`.
    pub(super) fn elsewhere(&self, category: &str, name: &str) -> Option<&str> {
        self.defs.keys().find(|(scope, n)| n == name && !scope.is_empty() && scope != category).map(|(scope, _)| scope.as_str())
    }
}

/// A lowered definition and where it is written.
pub(super) struct Def {
    pub ty: NamedType,
    pub file: usize,
    path: KeyPath,
}

/// Lowers every `types.yaml`.
pub(super) fn lower_defs(set: &SpecSet, scope: &TypeScope, diags: &mut Diagnostics) -> Vec<Def> {
    let mut defs = Vec::new();
    let mut seen: BTreeMap<Key, String> = BTreeMap::new();
    for (index, loaded) in set.types.iter().enumerate() {
        let mut cx = FileCx::new(&loaded.file, scope, diags);
        cx.unknown_keys::<TypesFileSpec>(&KeyPath::default(), &loaded.spec.unknown);
        if loaded.spec.types.is_empty() {
            cx.error(&KeyPath::default(), "a types file needs a non-empty `types` list");
        }
        for (i, spec) in loaded.spec.types.iter().enumerate() {
            let path = KeyPath::default().key("types").index(i);
            if let Some(ty) = lower_def(&mut cx, loaded, &path, spec, &mut seen) {
                defs.push(Def { ty, file: index, path: path.key("name") });
            }
        }
    }
    defs
}

fn lower_def(
    cx: &mut FileCx<'_>,
    loaded: &LoadedFile<TypesFileSpec>,
    path: &KeyPath,
    spec: &TypeDefSpec,
    seen: &mut BTreeMap<Key, String>,
) -> Option<NamedType> {
    cx.unknown_keys::<TypeDefSpec>(path, &spec.unknown);
    let scope = loaded.file.category.clone();
    let name = cx.required_str(path, "name", &spec.name).map(str::to_owned);
    if let Some(name) = &name {
        check_def_name(cx, path, &scope, name, seen);
    }
    let doc = cx.required_str(path, "doc", &spec.doc).map(|d| d.trim().to_owned());
    if doc.as_deref().is_some_and(|d| d.contains(['\n', '\r'])) {
        cx.error(&path.key("doc"), "doc must be one line");
    }
    let type_name = name.clone().unwrap_or_default();
    let ty = match (spec.ty.as_deref(), &spec.fields, &spec.enumeration) {
        (Some("object"), Some(fields), None) if !fields.is_empty() => {
            let fields = lower_fields(cx, &path.key("fields"), fields, &type_name, FieldPlace::Named);
            Some(Type::Object(ObjectType { name: type_name, fields }))
        }
        (Some(ty @ ("string" | "i32" | "i64" | "u32" | "u64")), None, Some(entries)) => {
            lower_enum(cx, &path.key("enum"), entries, int_type(Some(ty)), type_name).map(Type::Enum)
        }
        _ => {
            cx.error(path, "a named type is `type: object` with a non-empty `fields` list, or a string or integer `type` with an `enum`");
            None
        }
    };
    Some(NamedType { name: name?, scope, doc: doc?, ty: ty? })
}

fn check_def_name(cx: &mut FileCx<'_>, path: &KeyPath, scope: &str, name: &str, seen: &mut BTreeMap<Key, String>) {
    if !is_upper_camel_case(name) || is_reserved_type_name(name) {
        cx.error(
            &path.key("name"),
            format!("type name `{name}` must be UpperCamelCase and not a name Rust or generated code already uses"),
        );
    }
    let key = (scope.to_owned(), name.to_owned());
    let global = ("".to_owned(), name.to_owned());
    if let Some(first) = seen.get(&key) {
        cx.error(&path.key("name"), format!("type `{name}` is defined twice (also at {first})"));
    } else if !scope.is_empty() && cx.scope.lookup("", name).is_some() {
        cx.error(&path.key("name"), format!("type `{name}` is also defined in the root `types.yaml`; rename one"));
    } else if let Some(first) = seen.get(&global).filter(|_| !scope.is_empty()) {
        cx.error(&path.key("name"), format!("type `{name}` is also defined at {first}"));
    }
    seen.entry(key).or_insert_with(|| format!("{}:{path}", cx.file));
}

/// The named types each type refers to.
fn refs_of(ty: &Type) -> Vec<Key> {
    let mut out = Vec::new();
    ty.each_ref(&mut |r| out.push((r.scope.clone(), r.name.clone())));
    out
}

/// Reports recursive and unused types. Returns whether all is well.
pub(super) fn check_graph(
    set: &SpecSet,
    defs: &[Def],
    (endpoints, events): (&[Endpoint], &[PushEvent]),
    scope: &TypeScope,
    diags: &mut Diagnostics,
) -> bool {
    let graph: BTreeMap<Key, Vec<Key>> = defs.iter().map(|d| ((d.ty.scope.clone(), d.ty.name.clone()), refs_of(&d.ty.ty))).collect();
    let mut used: BTreeSet<Key> = BTreeSet::new();
    let mut stack: Vec<Key> = endpoints.iter().flat_map(|e| e.fields().flat_map(|f| refs_of(&f.ty))).collect();
    stack.extend(events.iter().flat_map(|e| e.fields.iter().flat_map(|f| refs_of(&f.ty))));
    while let Some(key) = stack.pop() {
        if used.insert(key.clone()) {
            stack.extend(graph.get(&key).into_iter().flatten().cloned());
        }
    }
    let before = diags.len();
    for def in defs {
        let key = (def.ty.scope.clone(), def.ty.name.clone());
        let loaded = &set.types[def.file];
        let mut cx = FileCx::new(&loaded.file, scope, diags);
        if let Some(cycle) = cycle_through(&graph, &key) {
            let names: Vec<&str> = cycle.iter().map(|(_, name)| name.as_str()).collect();
            cx.error(&def.path, format!("type `{}` contains itself ({}); named types cannot be recursive", def.ty.name, names.join(" → ")));
        } else if !used.contains(&key) {
            cx.error(&def.path, format!("type `{}` is defined but no endpoint or event uses it", def.ty.name));
        }
    }
    diags.len() == before
}

/// A path from `start` back to itself, when there is one.
fn cycle_through(graph: &BTreeMap<Key, Vec<Key>>, start: &Key) -> Option<Vec<Key>> {
    let mut visited = BTreeSet::new();
    let mut stack: Vec<Vec<Key>> = vec![vec![start.clone()]];
    while let Some(path) = stack.pop() {
        let last = path.last()?;
        for next in graph.get(last).into_iter().flatten() {
            let mut longer = path.clone();
            longer.push(next.clone());
            if next == start {
                return Some(longer);
            }
            if visited.insert(next.clone()) {
                stack.push(longer);
            }
        }
    }
    None
}

/// Fills in every reference with its definition. The set is valid: every
/// reference names a definition, and there are no cycles.
pub(super) fn resolve(defs: Vec<Def>, endpoints: &mut [Endpoint], events: &mut [PushEvent]) -> Vec<Arc<NamedType>> {
    let mut pending: BTreeMap<Key, NamedType> = defs.into_iter().map(|d| ((d.ty.scope.clone(), d.ty.name.clone()), d.ty)).collect();
    let mut done: BTreeMap<Key, Arc<NamedType>> = BTreeMap::new();
    let keys: Vec<Key> = pending.keys().cloned().collect();
    for key in &keys {
        resolve_key(key, &mut pending, &mut done);
    }
    for endpoint in endpoints.iter_mut() {
        for field in endpoint.query.iter_mut() {
            fill(&mut field.ty, &done);
        }
        if let Body::Json(fields) | Body::Multipart { fields, .. } = &mut endpoint.body {
            fields.iter_mut().for_each(|f| fill(&mut f.ty, &done));
        }
        if let Response::Json(fields) = &mut endpoint.response {
            fields.iter_mut().for_each(|f| fill(&mut f.ty, &done));
        }
        for alternative in endpoint.choice.iter_mut().flat_map(|c| c.alternatives.iter_mut()) {
            match &mut alternative.carrier {
                Carrier::Query(field) => fill(&mut field.ty, &done),
                Carrier::Json(fields) => fields.iter_mut().for_each(|f| fill(&mut f.ty, &done)),
                Carrier::File(_) => {}
            }
        }
    }
    for event in events.iter_mut() {
        event.fields.iter_mut().for_each(|f| fill(&mut f.ty, &done));
    }
    done.into_values().collect()
}

fn resolve_key(key: &Key, pending: &mut BTreeMap<Key, NamedType>, done: &mut BTreeMap<Key, Arc<NamedType>>) {
    let Some(mut def) = pending.remove(key) else { return };
    for dependency in refs_of(&def.ty) {
        resolve_key(&dependency, pending, done);
    }
    fill(&mut def.ty, done);
    done.insert(key.clone(), Arc::new(def));
}

fn fill(ty: &mut Type, done: &BTreeMap<Key, Arc<NamedType>>) {
    match ty {
        Type::Named(r) => r.target = done.get(&(r.scope.clone(), r.name.clone())).cloned(),
        Type::Object(o) => o.fields.iter_mut().for_each(|f| fill(&mut f.ty, done)),
        Type::Array(item) | Type::Map(item) => fill(item, done),
        _ => {}
    }
}
