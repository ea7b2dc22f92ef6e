//! IR → Rust tokens. Pure: no I/O and no formatting (see `format`).
//!
//! Every generated file is `include!`d inside a module, so files hold no
//! `use` items and no inner attributes. They name the runtime only through
//! `crate::runtime::…`, its public contract; for a crate other than wxa,
//! [`relocate`] rewrites those paths to the configured crate path.

mod checks;
mod contract;
mod docs;
mod errors;
mod events;
mod operation;
mod relocate;
mod shape;
mod types;

use std::sync::Arc;

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::Options;

use crate::ir::{Api, Endpoint, NamedType, Type};

/// What every emitter needs to know about the crate it writes for. Plain
/// data (tokens are not `Send`, and files are formatted on several threads).
pub(crate) struct Context {
    /// The shared error table's type, as endpoint enums name it.
    common_errors: String,
    /// `None`: the client methods are inherent methods of `Client` (inside
    /// wxa); otherwise the extension trait that holds them.
    client_trait: Option<String>,
    /// One cargo feature per category.
    category_features: bool,
    /// Where the generated module tree sits below the crate root, for
    /// paths in the contract tests (`crate::api`).
    module_path: String,
    serialize_answers: crate::SerializeAnswers,
    /// Pushed events are generated (wxa itself, behind its `receive`
    /// feature): the `Event` enum even when no category of the build has
    /// events, since the receiver names it.
    events: bool,
}

impl Context {
    fn new(api: &Api, options: &Options) -> Context {
        let module_path = if options.include_dir.is_empty() { "crate".to_owned() } else { format!("crate::{}", options.include_dir) };
        let common_errors = if api.common_errors.is_empty() && options.crate_path != "crate" {
            // No table of its own: the runtime crate's shared table.
            format!("{}::api::common::CommonError", options.crate_path)
        } else {
            "super::common::CommonError".to_owned()
        };
        Context {
            common_errors,
            client_trait: options.client_trait.clone(),
            category_features: options.category_features,
            module_path,
            serialize_answers: options.serialize_answers.clone(),
            events: options.crate_path == "crate",
        }
    }

    /// A path held as text, as tokens.
    fn path(text: &str) -> TokenStream {
        text.parse().unwrap_or_else(|_| panic!("`{text}` is not a Rust path"))
    }

    /// The shared error table's type.
    pub fn common_errors(&self) -> TokenStream {
        Self::path(&self.common_errors)
    }

    /// The module that holds the category modules.
    pub fn module_path(&self) -> TokenStream {
        Self::path(&self.module_path)
    }

    /// The extension trait holding the client methods, if any.
    pub fn client_trait(&self) -> Option<Ident> {
        self.client_trait.as_deref().map(ident)
    }

    /// How docs refer to an endpoint's client method.
    pub fn method_link(&self, endpoint: &Endpoint) -> String {
        match &self.client_trait {
            None => format!("[`crate::Client::{}`]", endpoint.method_name),
            Some(name) => format!("`{name}::{}`", endpoint.method_name),
        }
    }

    /// Whether answer types serialize too.
    pub fn serialize_answers(&self) -> &crate::SerializeAnswers {
        &self.serialize_answers
    }

    /// `#[cfg(feature = "<category>")]` when categories are features.
    pub fn category_gate(&self, category: &str) -> TokenStream {
        if self.category_features { quote!(#[cfg(feature = #category)]) } else { quote!() }
    }
}

/// One file to generate: its path below the output folder, the spec it
/// comes from (for the header), and what produces its tokens. Tokens are
/// not `Send`, so files are listed first and their tokens made on the
/// thread that formats them.
pub struct FileJob<'a> {
    /// Path relative to the output folder, `/`-separated.
    pub path: String,
    /// Where the content comes from, for the "do not edit" header.
    pub source: String,
    content: Content<'a>,
    cx: std::sync::Arc<Context>,
    crate_path: &'a str,
}

enum Content<'a> {
    Root(&'a Api, &'a str),
    ContractTests(&'a Api),
    Common(&'a Api),
    Endpoint(&'a Endpoint),
    /// The named types of one scope: `""` for the whole API, else a category.
    NamedTypes(&'a Api, &'a str),
    /// The structs of one category's pushed events.
    CategoryEvents(&'a Api, &'a str),
    /// The `Event` enum and its table.
    Events(&'a Api),
}

impl FileJob<'_> {
    /// How the file is made again, for its header.
    pub fn regenerate_hint(&self) -> &'static str {
        if self.cx.client_trait.is_some() {
            "build the crate (its build.rs runs wxa-codegen)"
        } else {
            "run `cargo run -p wxa-codegen -- generate`"
        }
    }

    /// The file's items.
    pub fn tokens(&self) -> TokenStream {
        let cx = &self.cx;
        let tokens = match self.content {
            Content::Root(api, include_dir) => root_module(api, include_dir, cx),
            Content::ContractTests(api) => contract::contract_tests(api, cx),
            Content::Common(api) => errors::common_errors(&api.common_errors),
            Content::Endpoint(endpoint) => endpoint_file(endpoint, cx),
            Content::CategoryEvents(api, category) => events::category_events(api, category, cx),
            Content::Events(api) => events::event_enum(api, cx),
            Content::NamedTypes(api, scope) => {
                types::named_types(&api.named_types.iter().filter(|t| t.scope == scope).map(|t| &**t).collect::<Vec<_>>())
            }
        };
        relocate::relocate(tokens, self.crate_path)
    }
}

/// All files for `api`, in a stable order. `options.include_dir` is where
/// the files sit below `OUT_DIR` (empty for `OUT_DIR` itself).
pub fn files<'a>(api: &'a Api, options: &'a Options) -> Vec<FileJob<'a>> {
    let cx = std::sync::Arc::new(Context::new(api, options));
    let crate_path = options.crate_path.as_str();
    let job = |path: String, source: String, content: Content<'a>| FileJob { path, source, content, cx: cx.clone(), crate_path };
    let mut files = vec![job("mod.rs".to_owned(), "specs/".to_owned(), Content::Root(api, &options.include_dir))];
    if !api.common_errors.is_empty() {
        files.push(job("common.rs".to_owned(), "specs/errors.yaml".to_owned(), Content::Common(api)));
    }
    files.push(job("contract_tests.rs".to_owned(), "specs/".to_owned(), Content::ContractTests(api)));
    for scope in named_scopes(api) {
        let (path, source) = match scope {
            "" => ("types.rs".to_owned(), "specs/types.yaml".to_owned()),
            category => (format!("{category}/types.rs"), format!("specs/{category}/types.yaml")),
        };
        files.push(job(path, source, Content::NamedTypes(api, scope)));
    }
    if cx.events {
        files.push(job("events.rs".to_owned(), "specs/*/events/".to_owned(), Content::Events(api)));
        for category in event_categories(api) {
            files.push(job(format!("{category}/events.rs"), format!("specs/{category}/events/"), Content::CategoryEvents(api, category)));
        }
    }
    for endpoint in &api.endpoints {
        files.push(job(
            format!("{}/{}.rs", endpoint.category, endpoint.file_stem),
            format!("specs/{}", endpoint.source_file),
            Content::Endpoint(endpoint),
        ));
    }
    files
}

/// The categories that have pushed events, in order.
fn event_categories(api: &Api) -> Vec<&str> {
    let mut categories: Vec<&str> = api.events.iter().map(|e| e.category.as_str()).collect();
    categories.dedup();
    categories
}

/// The scopes that have named types, in order (`""` first).
fn named_scopes(api: &Api) -> Vec<&str> {
    let mut scopes: Vec<&str> = api.named_types.iter().map(|t| t.scope.as_str()).collect();
    scopes.dedup();
    scopes
}

/// The types of the whole API (`specs/types.yaml`) a category's endpoints
/// use, directly or through other named types: its module re-exports them,
/// so a category's request can be built from its own module.
fn shared_types_used(endpoints: &[&Endpoint], api: &Api, category: &str) -> Vec<Ident> {
    let mut used = std::collections::BTreeSet::new();
    let mut pending: Vec<Arc<NamedType>> = Vec::new();
    let refer = |ty: &Type, pending: &mut Vec<Arc<NamedType>>| ty.each_ref(&mut |r| pending.extend(r.target.clone()));
    for endpoint in endpoints {
        endpoint.fields().for_each(|field| refer(&field.ty, &mut pending));
    }
    api.named_types.iter().filter(|t| t.scope == category).for_each(|t| refer(&t.ty, &mut pending));
    while let Some(named) = pending.pop() {
        if used.insert((named.scope.clone(), named.name.clone())) {
            refer(&named.ty, &mut pending);
        }
    }
    used.into_iter().filter(|(scope, _)| scope.is_empty()).map(|(_, name)| ident(&name)).collect()
}

/// An integer literal without a type suffix (`-1`, not `-1i64`).
pub(crate) fn int_literal(value: i64) -> TokenStream {
    let literal = proc_macro2::Literal::u64_unsuffixed(value.unsigned_abs());
    if value < 0 { quote!(-#literal) } else { quote!(#literal) }
}

pub(crate) fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// The module tree: one module per category (behind its cargo feature when
/// categories are features), each including its endpoints; the registry
/// of every endpoint's facts; and the client trait when there is one.
fn root_module(api: &Api, include_dir: &str, cx: &Context) -> TokenStream {
    let prefix = if include_dir.is_empty() { String::new() } else { format!("/{include_dir}") };
    let common = (!api.common_errors.is_empty()).then(|| {
        let common_file = format!("{prefix}/common.rs");
        let doc = docs::lines(&[
            "Error codes any endpoint may return, from `specs/errors.yaml`.".to_owned(),
            String::new(),
            "Each endpoint's error enum wraps these in its `Common` variant; a code the endpoint documents itself takes the endpoint's meaning instead.".to_owned(),
        ]);
        quote! {
            #doc
            pub mod common {
                include!(concat!(env!("OUT_DIR"), #common_file));
            }
        }
    });
    let scopes = named_scopes(api);
    let event_categories = if cx.events { event_categories(api) } else { Vec::new() };
    let categories = api.categories().into_iter().map(|(category, endpoints)| {
        let module = ident(category);
        let feature = if cx.category_features { format!(" (cargo feature `{category}`)") } else { String::new() };
        let doc = docs::lines(&[format!(
            "Endpoints of the `{category}` category{feature}: {}.",
            endpoints.iter().map(|e| format!("`{}`", e.name)).collect::<Vec<_>>().join(", ")
        )]);
        let gate = cx.category_gate(category);
        let types_file = format!("{prefix}/{category}/types.rs");
        let types = scopes.contains(&category).then(|| quote! { include!(concat!(env!("OUT_DIR"), #types_file)); });
        let events_file = format!("{prefix}/{category}/events.rs");
        let events = event_categories
            .contains(&category)
            .then(|| quote! { #[cfg(feature = "receive")] include!(concat!(env!("OUT_DIR"), #events_file)); });
        let includes = endpoints.iter().map(|e| {
            let file = format!("{prefix}/{}/{}.rs", e.category, e.file_stem);
            quote! { include!(concat!(env!("OUT_DIR"), #file)); }
        });
        let registry = contract::category_registry(&endpoints);
        let shared = shared_types_used(&endpoints, api, category);
        let reexports = (!shared.is_empty()).then(|| quote! { pub use super::types::{#(#shared),*}; });
        quote! {
            #doc
            #gate
            pub mod #module {
                #reexports
                #types
                #events
                #(#includes)*
                #registry
            }
        }
    });
    let registry = contract::registry(api, cx);
    let client_trait = operation::client_trait(api, cx);
    let shared_types = scopes.first().filter(|scope| scope.is_empty()).map(|_| {
        let file = format!("{prefix}/types.rs");
        let doc = docs::lines(&["Types shared by endpoints of several categories, from `specs/types.yaml`.".to_owned()]);
        quote! {
            #doc
            pub mod types {
                include!(concat!(env!("OUT_DIR"), #file));
            }
        }
    });
    let events = cx.events.then(|| {
        let file = format!("{prefix}/events.rs");
        let doc = docs::lines(&[
            "Messages and events WeChat pushes to the app's server, from `specs/*/events/` (feature `receive`).".to_owned(),
            String::new(),
            "`wxa::receive::PushReceiver` verifies and decrypts a push; `Push::event` reads it into an [`events::Event`].".to_owned(),
        ]);
        quote! {
            #doc
            #[cfg(feature = "receive")]
            pub mod events {
                include!(concat!(env!("OUT_DIR"), #file));
            }
        }
    });
    quote! {
        #registry
        #client_trait
        #common
        #shared_types
        #events
        #(#categories)*
    }
}

fn endpoint_file(endpoint: &Endpoint, cx: &Context) -> TokenStream {
    let request = types::request(endpoint);
    let response = types::response(endpoint, cx.serialize_answers());
    let error = errors::endpoint_error(endpoint, cx);
    let operation = operation::operation(endpoint, cx);
    quote! {
        #request
        #response
        #error
        #operation
    }
}
