//! The registry of every endpoint's facts (what the fake server checks
//! requests against) and the generated contract tests that call every
//! endpoint through the client.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Context, ident};
use crate::ir::*;

/// A category's list of its endpoints' facts, in its module.
pub fn category_registry(endpoints: &[&Endpoint]) -> TokenStream {
    let entries = endpoints.iter().map(|e| {
        let request = format_ident!("{}Request", e.type_prefix);
        quote!(&<#request as crate::runtime::Operation>::META)
    });
    quote! {
        /// The facts of every endpoint of this category, from the specs.
        pub const ENDPOINTS: &[&crate::runtime::EndpointMeta] = &[#(#entries),*];
    }
}

/// The registry of all endpoints the crate was built with (the categories
/// whose features are on), for the fake server.
pub fn registry(api: &Api, cx: &Context) -> TokenStream {
    let parts = api.categories().into_iter().map(|(category, _)| {
        let module = ident(category);
        let gate = cx.category_gate(category);
        quote! {
            #gate
            all.extend_from_slice(#module::ENDPOINTS);
        }
    });
    quote! {
        /// The facts of every endpoint this build has, from the specs: what
        /// the fake server checks requests against and answers from.
        pub fn endpoints() -> Vec<&'static crate::runtime::EndpointMeta> {
            #[allow(unused_mut)]
            let mut all: Vec<&'static crate::runtime::EndpointMeta> = Vec::new();
            #(#parts)*
            all
        }
    }
}

/// Sample arrays up to this long list each item; longer ones repeat one.
const SPELLED_OUT_ITEMS: u64 = 16;

/// Where sample values find generated types: the endpoint's category
/// module, and the root module (whose `types` holds the whole API's types).
struct Module {
    category: TokenStream,
    root: TokenStream,
}

/// A valid sample value of `ty` meeting `constraints`, as an expression.
fn sample_value(ty: &Type, c: &Constraints, module: &Module) -> TokenStream {
    match ty {
        Type::String | Type::Secret => {
            let text = sample_text(c);
            if matches!(ty, Type::Secret) { quote!(crate::runtime::Secret::from(#text)) } else { quote!(#text.to_owned()) }
        }
        Type::Bool => quote!(true),
        Type::Int(int) => {
            let low = c.minimum.map(|m| m.ceil() as i64).unwrap_or(1);
            let value = c.maximum.map_or(low, |max| low.min(max.floor() as i64));
            let value = if matches!(int, IntType::U32 | IntType::U64) { value.max(0) } else { value };
            // Unsuffixed: the setter's parameter type decides.
            super::int_literal(value)
        }
        Type::Float => {
            let low = c.minimum.unwrap_or(1.0);
            let value = c.maximum.map_or(low, |max| low.min(max));
            quote!(#value)
        }
        Type::Json => quote!(crate::runtime::serde_json::json!({"sample": true})),
        Type::Enum(e) => {
            let name = ident(&e.name);
            let variant = ident(&e.variants[0].name);
            let module = &module.category;
            quote!(#module::#name::#variant)
        }
        Type::Object(o) => sample_object(&o.name, &o.fields, module),
        Type::Array(item) => {
            let default = Constraints::default();
            let item_constraints = c.item.as_deref().unwrap_or(&default);
            let item = sample_value(item, item_constraints, module);
            let count = c.min_items.unwrap_or(1).max(1);
            if count <= SPELLED_OUT_ITEMS {
                let items = std::iter::repeat_n(item, count as usize);
                quote!(vec![#(#items),*])
            } else {
                // Spelled out, nested arrays would multiply: the file's
                // size must follow the spec's, not its numbers.
                let count = proc_macro2::Literal::u64_unsuffixed(count);
                quote!(vec![#item; #count])
            }
        }
        Type::Map(value) => {
            let value = sample_value(value, &Constraints::default(), module);
            quote!([("key".to_owned(), #value)].into_iter().collect())
        }
        Type::Named(r) => sample_named(r, module),
    }
}

/// A sample of a named type, named where its scope puts it.
fn sample_named(r: &NamedRef, module: &Module) -> TokenStream {
    let Some(target) = &r.target else { return quote!(Default::default()) };
    let scope = if r.scope.is_empty() {
        let root = &module.root;
        Module { category: quote!(#root::types), root: root.clone() }
    } else {
        Module { category: module.category.clone(), root: module.root.clone() }
    };
    sample_value(&target.ty, &Constraints::default(), &scope)
}

/// A string of allowed characters, as long as the limits want.
fn sample_text(c: &Constraints) -> String {
    let allowed = c.chars.as_deref().and_then(|chars| crate::chars::parse(chars).ok());
    let pick = match &allowed {
        None => 'a',
        Some(ranges) => ['a', '1', 'A'].into_iter().find(|ch| ranges.iter().any(|(lo, hi)| lo <= ch && ch <= hi)).unwrap_or(ranges[0].0),
    };
    let mut len = c.min_length.unwrap_or(1).max(1);
    if let Some(max) = c.max_length {
        len = len.min(max);
    }
    if let Some(max) = c.max_bytes {
        len = len.min(max / pick.len_utf8() as u64);
    }
    std::iter::repeat_n(pick, len as usize).collect()
}

/// `Type::new(required…).optional(…)…` with every caller field set.
fn sample_object(type_name: &str, fields: &[Field], module: &Module) -> TokenStream {
    let name = ident(type_name);
    let caller: Vec<&Field> = fields.iter().filter(|f| f.source == FieldSource::Caller).collect();
    let args = caller.iter().filter(|f| f.required).map(|f| sample_value(&f.ty, &f.constraints, module));
    let setters = caller.iter().filter(|f| !f.required).map(|f| {
        let setter = ident(&f.rust_name);
        let value = sample_value(&f.ty, &f.constraints, module);
        quote!(.#setter(#value))
    });
    let module = &module.category;
    quote!(#module::#name::new(#(#args),*) #(#setters)*)
}

/// The sample of one alternative of the endpoint's choice.
fn sample_alternative(choice: &Choice, alternative: usize, module: &Module) -> TokenStream {
    let Some(chosen) = choice.alternatives.get(alternative) else { return quote!() };
    let ty = ident(&choice.type_name);
    let variant = ident(&chosen.name);
    let value = match &chosen.carrier {
        Carrier::Query(field) => sample_value(&field.ty, &field.constraints, module),
        Carrier::File(_) => quote!(crate::runtime::Upload::new(b"sample".to_vec(), "sample.png")),
        Carrier::Json(fields) => {
            let members = fields.iter().map(|f| {
                let rust = ident(&f.rust_name);
                let value = sample_value(&f.ty, &f.constraints, module);
                if f.required { quote!(#rust: #value) } else { quote!(#rust: Some(#value)) }
            });
            let category = &module.category;
            return quote!(#category::#ty::#variant { #(#members),* });
        }
    };
    let category = &module.category;
    quote!(#category::#ty::#variant(#value))
}

/// The sample request, with the `alternative`th way of its choice.
fn sample_request_with(endpoint: &Endpoint, module: &Module, alternative: usize) -> TokenStream {
    let request = format_ident!("{}Request", endpoint.type_prefix);
    let caller: Vec<&Field> = endpoint.query.iter().chain(endpoint.body.fields()).filter(|f| f.source == FieldSource::Caller).collect();
    let mut args: Vec<TokenStream> = caller.iter().filter(|f| f.required).map(|f| sample_value(&f.ty, &f.constraints, module)).collect();
    match &endpoint.body {
        Body::AnyJson(_) => args.push(quote!(crate::runtime::serde_json::json!({"sample": true}))),
        Body::Multipart { files, .. } => {
            args.extend(files.iter().filter(|f| f.required).map(|_| quote!(crate::runtime::Upload::new(b"sample".to_vec(), "sample.png"))))
        }
        _ => {}
    }
    if let Some(choice) = &endpoint.choice {
        args.push(sample_alternative(choice, alternative, module));
    }
    if endpoint.signing.as_ref().is_some_and(|s| s.user_signature) {
        args.push(quote!("sample-session-key"));
    }
    let mut setters: Vec<TokenStream> = caller
        .iter()
        .filter(|f| !f.required)
        .map(|f| {
            let setter = ident(&f.rust_name);
            let value = sample_value(&f.ty, &f.constraints, module);
            quote!(.#setter(#value))
        })
        .collect();
    if let Body::Multipart { files, .. } = &endpoint.body {
        setters.extend(files.iter().filter(|f| !f.required).map(|f| {
            let setter = ident(&f.name);
            quote!(.#setter(crate::runtime::Upload::new(b"sample".to_vec(), "sample.png")))
        }));
    }
    let module = &module.category;
    quote!(#module::#request::new(#(#args),*) #(#setters)*)
}

/// A documented code to inject: the endpoint's own first code that the
/// client neither retries nor answers with a token refresh, else a shared one.
fn error_to_inject(endpoint: &Endpoint, common: &[ErrorCode]) -> i64 {
    endpoint
        .errors
        .iter()
        .find(|e| matches!(e.retry, RetryKind::None | RetryKind::Throttle))
        .or_else(|| common.iter().find(|e| e.retry == RetryKind::None && !endpoint.errors.iter().any(|o| o.code == e.code)))
        .map_or(-1, |e| e.code)
}

/// `contract_tests.rs`: per endpoint, one call that must succeed against
/// the fake server in contract mode and one that must decode a documented
/// error to its variant.
pub fn contract_tests(api: &Api, cx: &Context) -> TokenStream {
    let root = cx.module_path();
    let client_trait = cx.client_trait().map(|name| quote!(#[allow(unused_imports)] use #root::#name as _;));
    let tests = api.endpoints.iter().map(|endpoint| {
        let module_ident = ident(&endpoint.category);
        let module = Module { category: quote!(#root::#module_ident), root: root.clone() };
        let test = ident(&endpoint.method_name);
        let method = ident(&endpoint.method_name);
        let name = &endpoint.name;
        let code = error_to_inject(endpoint, &api.common_errors);
        let code_literal = super::int_literal(code);
        let gate = cx.category_gate(&endpoint.category);
        // Every way of the endpoint's choice, when it has one.
        let alternatives = endpoint.choice.as_ref().map_or(1, |c| c.alternatives.len().max(1));
        let checks = (0..alternatives).map(|alternative| {
            let request = sample_request_with(endpoint, &module, alternative);
            quote! {
                let request = #request;
                let call = |client: crate::runtime::Client| {
                    let request = request.clone();
                    async move { client.#method(request).await }
                };
                check(#name, #code_literal, call).await;
            }
        });
        quote! {
            #gate
            #[tokio::test]
            async fn #test() {
                #(#checks)*
            }
        }
    });
    quote! {
        #client_trait
        /// One endpoint's contract test, against a fake server that knows
        /// every endpoint of this build.
        async fn check<T, E, F, Fut>(name: &str, code: i64, call: F)
        where
            T: std::fmt::Debug,
            E: crate::runtime::ApiError + std::fmt::Debug,
            F: Fn(crate::runtime::Client) -> Fut,
            Fut: std::future::Future<Output = Result<T, crate::runtime::Error<E>>>,
        {
            crate::runtime::testing::contract_test(#root::endpoints(), name, code, call).await;
        }
        #(#tests)*
    }
}
