//! The contract of each endpoint (what its requests and answers look like,
//! as data for the fake server, feature `testing`) and the generated
//! contract tests that call every endpoint through the client.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::ident;
use crate::ir::*;

/// `GET_TEMP_MEDIA_CONTRACT`.
pub fn const_name(endpoint: &Endpoint) -> proc_macro2::Ident {
    format_ident!("{}_CONTRACT", endpoint.method_name.to_uppercase())
}

fn type_contract(ty: &Type) -> TokenStream {
    match ty {
        Type::String | Type::Secret => quote!(crate::testing::contract::TypeContract::String),
        Type::Bool => quote!(crate::testing::contract::TypeContract::Bool),
        Type::Int(_) => quote!(crate::testing::contract::TypeContract::Int),
        Type::Float => quote!(crate::testing::contract::TypeContract::Float),
        Type::Json => quote!(crate::testing::contract::TypeContract::Json),
        Type::Enum(e) => match e.int {
            None => {
                let values = e.variants.iter().map(|v| match &v.value {
                    EnumValue::Str(s) => quote!(#s),
                    EnumValue::Int(i) => {
                        let s = i.to_string();
                        quote!(#s)
                    }
                });
                quote!(crate::testing::contract::TypeContract::StrEnum(&[#(#values),*]))
            }
            Some(_) => {
                let values = e.variants.iter().map(|v| match &v.value {
                    EnumValue::Int(i) => super::int_literal(*i),
                    EnumValue::Str(_) => quote!(0),
                });
                quote!(crate::testing::contract::TypeContract::IntEnum(&[#(#values),*]))
            }
        },
        Type::Object(o) => {
            let fields = fields_contract(&o.fields);
            quote!(crate::testing::contract::TypeContract::Object(#fields))
        }
        Type::Array(item) => {
            let item = type_contract(item);
            quote!(crate::testing::contract::TypeContract::Array(&#item))
        }
        Type::Map(value) => {
            let value = type_contract(value);
            quote!(crate::testing::contract::TypeContract::Map(&#value))
        }
        Type::Named(r) => match &r.target {
            Some(target) => type_contract(&target.ty),
            None => quote!(crate::testing::contract::TypeContract::Json),
        },
    }
}

fn fields_contract(fields: &[Field]) -> TokenStream {
    let fields = fields.iter().map(|f| {
        let name = &f.wire_name;
        let ty = type_contract(&f.ty);
        let required = f.required || f.source != FieldSource::Caller;
        let fixed = match &f.source {
            FieldSource::Fixed(value) => {
                let text = value.wire_text();
                quote!(Some(#text))
            }
            _ => quote!(None),
        };
        let credential = match f.source {
            FieldSource::AppId => quote!(Some(crate::testing::contract::Credential::AppId)),
            FieldSource::AppSecret => quote!(Some(crate::testing::contract::Credential::AppSecret)),
            _ => quote!(None),
        };
        quote! {
            crate::testing::contract::FieldContract { name: #name, ty: #ty, required: #required, fixed: #fixed, credential: #credential }
        }
    });
    quote!(&[#(#fields),*])
}

/// The endpoint's contract constant.
pub fn endpoint_contract(endpoint: &Endpoint) -> TokenStream {
    let const_name = const_name(endpoint);
    let name = &endpoint.name;
    let method = match endpoint.http_method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
    };
    let path = &endpoint.path;
    let access_token = endpoint.auth == Auth::AccessToken;
    let query = match &endpoint.choice {
        None => fields_contract(&endpoint.query),
        Some(choice) => fields_contract(&[endpoint.query.clone(), choice_query_fields(choice)].concat()),
    };
    let choice = choice_contract(endpoint.choice.as_ref());
    let body = match &endpoint.body {
        Body::None => quote!(crate::testing::contract::BodyContract::None),
        Body::AnyJson(_) => quote!(crate::testing::contract::BodyContract::AnyJson),
        Body::Json(fields) => {
            let fields = fields_contract(&[fields.clone(), choice_body_fields(endpoint.choice.as_ref())].concat());
            quote!(crate::testing::contract::BodyContract::Json(#fields))
        }
        Body::Multipart { files, fields } => {
            let fields = fields_contract(fields);
            let files = files.iter().map(|f| {
                let (name, required) = (&f.name, f.required);
                quote!(crate::testing::contract::FileContract { name: #name, required: #required })
            });
            quote!(crate::testing::contract::BodyContract::Multipart { files: &[#(#files),*], fields: #fields })
        }
    };
    let response = match &endpoint.response {
        Response::Json(fields) => {
            let fields = fields_contract(fields);
            quote!(crate::testing::contract::ResponseContract::Json(#fields))
        }
        Response::Binary => quote!(crate::testing::contract::ResponseContract::Binary),
        Response::Ack => quote!(crate::testing::contract::ResponseContract::Ack),
    };
    let errors = endpoint.errors.iter().map(|e| super::int_literal(e.code));
    let doc = format!(" What the spec of `{name}` says its requests and answers look like.");
    quote! {
        #[doc = #doc]
        #[cfg(feature = "testing")]
        pub(crate) const #const_name: crate::testing::contract::EndpointContract = crate::testing::contract::EndpointContract {
            name: #name,
            method: #method,
            path: #path,
            access_token: #access_token,
            query: #query,
            body: #body,
            response: #response,
            errors: &[#(#errors),*],
            choice: #choice,
        };
    }
}

/// A choice's query parameters, each optional (present only when chosen).
fn choice_query_fields(choice: &Choice) -> Vec<Field> {
    let query = choice.alternatives.iter().filter_map(|a| match &a.carrier {
        Carrier::Query(field) => Some(Field { required: false, ..(**field).clone() }),
        Carrier::File(_) | Carrier::Json(_) => None,
    });
    query.collect()
}

/// The members of a choice's JSON alternatives, each optional.
fn choice_body_fields(choice: Option<&Choice>) -> Vec<Field> {
    let members = choice.into_iter().flat_map(|c| &c.alternatives).flat_map(|a| match &a.carrier {
        Carrier::Json(fields) => fields.as_slice(),
        Carrier::Query(_) | Carrier::File(_) => &[],
    });
    members.map(|f| Field { required: false, ..f.clone() }).collect()
}

/// The ways a choice may travel, of which a request uses exactly one.
fn choice_contract(choice: Option<&Choice>) -> TokenStream {
    let alternatives = choice.into_iter().flat_map(|c| &c.alternatives).map(|a| match &a.carrier {
        Carrier::Query(field) => {
            let name = &field.wire_name;
            quote!(crate::testing::contract::AlternativeContract::Query(#name))
        }
        Carrier::File(file) => {
            let name = &file.name;
            quote!(crate::testing::contract::AlternativeContract::File(#name))
        }
        Carrier::Json(fields) => {
            // Validation makes sure one member is required.
            let name = fields.iter().find(|f| f.required).map_or("", |f| f.wire_name.as_str());
            quote!(crate::testing::contract::AlternativeContract::Member(#name))
        }
    });
    quote!(&[#(#alternatives),*])
}

/// The registry of all contracts, for the root module.
pub fn registry(api: &Api) -> TokenStream {
    let entries = api.endpoints.iter().map(|e| {
        let module = ident(&e.category);
        let name = const_name(e);
        quote!(&#module::#name)
    });
    quote! {
        /// The contract of every endpoint, for the fake server.
        #[cfg(feature = "testing")]
        pub(crate) const CONTRACTS: &[&crate::testing::contract::EndpointContract] = &[#(#entries),*];
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
            if matches!(ty, Type::Secret) { quote!(crate::Secret::from(#text)) } else { quote!(#text.to_owned()) }
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
        Type::Json => quote!(serde_json::json!({"sample": true})),
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

/// The sample request of an endpoint: every field set to a valid value.
fn sample_request(endpoint: &Endpoint, module: &Module) -> TokenStream {
    sample_request_with(endpoint, module, 0)
}

/// The sample of one alternative of the endpoint's choice.
fn sample_alternative(choice: &Choice, alternative: usize, module: &Module) -> TokenStream {
    let Some(chosen) = choice.alternatives.get(alternative) else { return quote!() };
    let ty = ident(&choice.type_name);
    let variant = ident(&chosen.name);
    let value = match &chosen.carrier {
        Carrier::Query(field) => sample_value(&field.ty, &field.constraints, module),
        Carrier::File(_) => quote!(crate::Upload::new(b"sample".to_vec(), "sample.png")),
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
        Body::AnyJson(_) => args.push(quote!(serde_json::json!({"sample": true}))),
        Body::Multipart { files, .. } => {
            args.extend(files.iter().filter(|f| f.required).map(|_| quote!(crate::Upload::new(b"sample".to_vec(), "sample.png"))))
        }
        _ => {}
    }
    if let Some(choice) = &endpoint.choice {
        args.push(sample_alternative(choice, alternative, module));
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
            quote!(.#setter(crate::Upload::new(b"sample".to_vec(), "sample.png")))
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
pub fn contract_tests(api: &Api, include_dir: &str) -> TokenStream {
    let root = if include_dir.is_empty() {
        quote!(crate)
    } else {
        let dir = ident(include_dir);
        quote!(crate::#dir)
    };
    let tests = api.endpoints.iter().map(|endpoint| {
        let module_ident = ident(&endpoint.category);
        let module = Module { category: quote!(#root::#module_ident), root: root.clone() };
        let test = ident(&endpoint.method_name);
        let method = ident(&endpoint.method_name);
        let name = &endpoint.name;
        let request = sample_request(endpoint, &module);
        // Each further way of the endpoint's choice succeeds too.
        let others = endpoint.choice.iter().flat_map(|c| 1..c.alternatives.len()).map(|alternative| {
            let request = sample_request_with(endpoint, &module, alternative);
            quote! {
                let result = client.#method(#request).await;
                crate::testing::contract::assert_success(&fake, #name, &result);
            }
        });
        let others: Vec<TokenStream> = others.collect();
        let code = error_to_inject(endpoint, &api.common_errors);
        let code_literal = super::int_literal(code);
        quote! {
            #[tokio::test]
            async fn #test() {
                let fake = crate::testing::FakeWeChat::start_contract().await;
                let client = fake.client();
                let request = #request;
                let result = client.#method(request.clone()).await;
                crate::testing::contract::assert_success(&fake, #name, &result);
                #(#others)*
                fake.inject_error(#name, #code_literal);
                let result = client.#method(request).await;
                crate::testing::contract::assert_documented_error(&fake, #name, #code_literal, result);
            }
        }
    });
    quote! {
        #(#tests)*
    }
}
