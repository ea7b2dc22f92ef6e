//! IR → Rust tokens. Pure: no I/O and no formatting (see `format`).
//!
//! Every generated file is `include!`d by the `wxa` crate inside a module,
//! so files hold no `use` items and no inner attributes, and name runtime
//! items by absolute path (`crate::Media`).

mod checks;
mod contract;
mod docs;
mod errors;
mod operation;
mod types;

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::ir::{Api, Endpoint};

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
}

enum Content<'a> {
    Root(&'a Api, &'a str),
    ContractTests(&'a Api, &'a str),
    Common(&'a Api),
    Endpoint(&'a Endpoint),
    /// The named types of one scope: `""` for the whole API, else a category.
    NamedTypes(&'a Api, &'a str),
}

impl FileJob<'_> {
    /// The file's items.
    pub fn tokens(&self) -> TokenStream {
        match self.content {
            Content::Root(api, include_dir) => root_module(api, include_dir),
            Content::ContractTests(api, include_dir) => contract::contract_tests(api, include_dir),
            Content::Common(api) => errors::common_errors(&api.common_errors),
            Content::Endpoint(endpoint) => endpoint_file(endpoint),
            Content::NamedTypes(api, scope) => {
                types::named_types(&api.named_types.iter().filter(|t| t.scope == scope).map(|t| &**t).collect::<Vec<_>>())
            }
        }
    }
}

/// All files for `api`, in a stable order. `include_dir` is where the
/// files sit below `OUT_DIR` (empty for `OUT_DIR` itself).
pub fn files<'a>(api: &'a Api, include_dir: &'a str) -> Vec<FileJob<'a>> {
    let mut files = vec![
        FileJob { path: "mod.rs".to_owned(), source: "specs/".to_owned(), content: Content::Root(api, include_dir) },
        FileJob { path: "common.rs".to_owned(), source: "specs/errors.yaml".to_owned(), content: Content::Common(api) },
        FileJob { path: "contract_tests.rs".to_owned(), source: "specs/".to_owned(), content: Content::ContractTests(api, include_dir) },
    ];
    for scope in named_scopes(api) {
        let (path, source) = match scope {
            "" => ("types.rs".to_owned(), "specs/types.yaml".to_owned()),
            category => (format!("{category}/types.rs"), format!("specs/{category}/types.yaml")),
        };
        files.push(FileJob { path, source, content: Content::NamedTypes(api, scope) });
    }
    for endpoint in &api.endpoints {
        files.push(FileJob {
            path: format!("{}/{}.rs", endpoint.category, endpoint.file_stem),
            source: format!("specs/{}", endpoint.source_file),
            content: Content::Endpoint(endpoint),
        });
    }
    files
}

/// The scopes that have named types, in order (`""` first).
fn named_scopes(api: &Api) -> Vec<&str> {
    let mut scopes: Vec<&str> = api.named_types.iter().map(|t| t.scope.as_str()).collect();
    scopes.dedup();
    scopes
}

/// An integer literal without a type suffix (`-1`, not `-1i64`).
pub(crate) fn int_literal(value: i64) -> TokenStream {
    let literal = proc_macro2::Literal::u64_unsuffixed(value.unsigned_abs());
    if value < 0 { quote!(-#literal) } else { quote!(#literal) }
}

pub(crate) fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// The module tree: one module per category, each including its endpoints.
fn root_module(api: &Api, include_dir: &str) -> TokenStream {
    let prefix = if include_dir.is_empty() { String::new() } else { format!("/{include_dir}") };
    let common_file = format!("{prefix}/common.rs");
    let common_doc = docs::lines(&[
        "Error codes any endpoint may return, from `specs/errors.yaml`.".to_owned(),
        String::new(),
        "Each endpoint's error enum wraps these in its `Common` variant; a code the endpoint documents itself takes the endpoint's meaning instead.".to_owned(),
    ]);
    let scopes = named_scopes(api);
    let categories = api.categories().into_iter().map(|(category, endpoints)| {
        let module = ident(category);
        let doc = docs::lines(&[format!(
            "Endpoints of the `{category}` category: {}.",
            endpoints.iter().map(|e| format!("`{}`", e.name)).collect::<Vec<_>>().join(", ")
        )]);
        let types_file = format!("{prefix}/{category}/types.rs");
        let types = scopes.contains(&category).then(|| quote! { include!(concat!(env!("OUT_DIR"), #types_file)); });
        let includes = endpoints.iter().map(|e| {
            let file = format!("{prefix}/{}/{}.rs", e.category, e.file_stem);
            quote! { include!(concat!(env!("OUT_DIR"), #file)); }
        });
        quote! {
            #doc
            pub mod #module {
                #types
                #(#includes)*
            }
        }
    });
    let registry = contract::registry(api);
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
    quote! {
        #registry
        #common_doc
        pub mod common {
            include!(concat!(env!("OUT_DIR"), #common_file));
        }
        #shared_types
        #(#categories)*
    }
}

fn endpoint_file(endpoint: &Endpoint) -> TokenStream {
    let request = types::request(endpoint);
    let response = types::response(endpoint);
    let error = errors::endpoint_error(endpoint);
    let operation = operation::operation(endpoint);
    let contract = contract::endpoint_contract(endpoint);
    quote! {
        #request
        #response
        #error
        #operation
        #contract
    }
}
