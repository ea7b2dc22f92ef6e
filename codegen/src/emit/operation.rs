//! The glue between a request type and the runtime: the `Operation` impl
//! that turns a request into query and body, and the `Client` method.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Context, docs, ident};
use crate::ir::*;

fn fixed_tokens(value: &FixedValue) -> TokenStream {
    match value {
        FixedValue::Str(s) => quote!(#s),
        FixedValue::Int(i) => super::int_literal(*i),
        FixedValue::Bool(b) => quote!(#b),
    }
}

/// Text of a query value expression for a scalar of type `ty` in `value`.
fn query_text(ty: &Type, value: TokenStream) -> TokenStream {
    match ty {
        Type::String => value,
        Type::Secret => quote!(#value.expose().to_owned()),
        _ => quote!(#value.to_string()),
    }
}

/// `let <target>: Vec<(&str, String)> = …;` holding each field's text:
/// fields always sent in the literal, optional ones pushed when set.
fn text_pairs(fields: &[Field], target: &str) -> TokenStream {
    let target = ident(target);
    let mut always = Vec::new();
    let mut optional = Vec::new();
    for field in fields {
        let wire = &field.wire_name;
        let rust = ident(&field.rust_name);
        match &field.source {
            FieldSource::Fixed(value) => {
                // Rendered now: `-1.to_string()` would parse as `-(1.to_string())`.
                let text = value.wire_text();
                let text = quote!(#text.to_owned());
                always.push(quote! { (#wire, #text) });
            }
            FieldSource::AppId => always.push(quote! { (#wire, credentials.app_id()?.to_owned()) }),
            FieldSource::AppSecret => always.push(quote! { (#wire, credentials.app_secret()?.expose().to_owned()) }),
            FieldSource::Caller if field.required => {
                let text = query_text(&field.ty, quote!(self.#rust));
                always.push(quote! { (#wire, #text) });
            }
            FieldSource::Caller => {
                let text = query_text(&field.ty, quote!(value));
                optional.push(quote! {
                    if let Some(value) = self.#rust {
                        #target.push((#wire, #text));
                    }
                });
            }
        }
    }
    let capacity = proc_macro2::Literal::usize_unsuffixed(fields.len());
    match (always.is_empty(), optional.is_empty()) {
        (true, true) => quote! { let #target: Vec<(&'static str, String)> = Vec::new(); },
        (false, true) => quote! { let #target: Vec<(&'static str, String)> = vec![#(#always),*]; },
        (true, false) => quote! {
            let mut #target: Vec<(&'static str, String)> = Vec::with_capacity(#capacity);
            #(#optional)*
        },
        (false, false) => quote! {
            let mut #target: Vec<(&'static str, String)> = vec![#(#always),*];
            #(#optional)*
        },
    }
}

/// Statements that build `body` (a `crate::runtime::RequestBody`).
fn body_tokens(endpoint: &Endpoint) -> TokenStream {
    match &endpoint.body {
        Body::None => quote! { let body = crate::runtime::RequestBody::Empty; },
        Body::AnyJson(_) => quote! { let body = crate::runtime::RequestBody::json(&self.payload)?; },
        Body::Json(fields) => {
            let extra: Vec<TokenStream> = fields
                .iter()
                .filter_map(|field| {
                    let wire = &field.wire_name;
                    match &field.source {
                        FieldSource::Caller => None,
                        FieldSource::Fixed(value) => {
                            let v = fixed_tokens(value);
                            Some(quote! { (#wire, crate::runtime::serde_json::Value::from(#v)) })
                        }
                        FieldSource::AppId => Some(quote! { (#wire, crate::runtime::serde_json::Value::from(credentials.app_id()?)) }),
                        FieldSource::AppSecret => {
                            Some(quote! { (#wire, crate::runtime::serde_json::Value::from(credentials.app_secret()?.expose())) })
                        }
                    }
                })
                .collect();
            if extra.is_empty() {
                quote! { let body = crate::runtime::RequestBody::json(&self)?; }
            } else {
                quote! { let body = crate::runtime::RequestBody::json_with(&self, [#(#extra),*])?; }
            }
        }
        Body::Multipart { files, fields } => {
            let parts = text_pairs(fields, "parts");
            let files = file_parts(files);
            quote! {
                #parts
                #files
                let body = crate::runtime::RequestBody::Multipart { files, parts };
            }
        }
    }
}

/// `let files: Vec<(&str, crate::runtime::Upload)> = …;`: the required file parts,
/// and the optional ones the caller set.
fn file_parts(files: &[FilePart]) -> TokenStream {
    let required = files.iter().filter(|f| f.required).map(|f| {
        let (wire, rust) = (&f.name, ident(&f.name));
        quote! { (#wire, self.#rust) }
    });
    let optional: Vec<TokenStream> = files
        .iter()
        .filter(|f| !f.required)
        .map(|f| {
            let (wire, rust) = (&f.name, ident(&f.name));
            quote! {
                if let Some(upload) = self.#rust {
                    files.push((#wire, upload));
                }
            }
        })
        .collect();
    let binding = if optional.is_empty() { quote!(let files) } else { quote!(let mut files) };
    quote! {
        #binding: Vec<(&'static str, crate::runtime::Upload)> = vec![#(#required),*];
        #(#optional)*
    }
}

/// Statements that send the chosen alternative: a query parameter next to
/// the body, or a multipart body of its one file part instead.
fn choice_tokens(choice: &Choice, query: &[Field]) -> TokenStream {
    let rust = ident(&choice.rust_name);
    let ty = ident(&choice.type_name);
    let arms = choice.alternatives.iter().map(|alternative| {
        let variant = ident(&alternative.name);
        match &alternative.carrier {
            Carrier::Query(field) => {
                let wire = &field.wire_name;
                let text = query_text(&field.ty, quote!(value));
                quote! {
                    #ty::#variant(value) => {
                        query.push((#wire, #text));
                        body
                    }
                }
            }
            Carrier::File(file) => {
                let part = &file.name;
                quote! {
                    #ty::#variant(upload) => crate::runtime::RequestBody::Multipart { files: vec![(#part, upload)], parts: Vec::new() },
                }
            }
            // Serialized with the body: the field is flattened into it.
            Carrier::Json(_) => quote!(),
        }
    });
    // `text_pairs` binds `query` mutably only when it pushes optional ones.
    let already_mut = query.iter().any(|f| f.source == FieldSource::Caller && !f.required);
    let pushes = choice.alternatives.iter().any(|a| matches!(a.carrier, Carrier::Query(_)));
    let rebind = (pushes && !already_mut).then(|| quote!(let mut query = query;));
    quote! {
        #rebind
        let body = match self.#rust {
            #(#arms)*
        };
    }
}

/// `impl crate::runtime::Operation` and, inside wxa, the `Client` methods.
pub fn operation(endpoint: &Endpoint, cx: &Context) -> TokenStream {
    let request = format_ident!("{}Request", endpoint.type_prefix);
    let error = format_ident!("{}Error", endpoint.type_prefix);
    let (output, response_kind, decode) = match &endpoint.response {
        Response::Json(_) => {
            let response = format_ident!("{}Response", endpoint.type_prefix);
            (quote!(#response), quote!(crate::runtime::ResponseKind::Json), quote!(crate::runtime::decode_json(body)))
        }
        Response::Binary => (quote!(crate::runtime::Media), quote!(crate::runtime::ResponseKind::Binary), quote!(Ok(body.into_media()))),
        Response::Ack => (
            quote!(()),
            quote!(crate::runtime::ResponseKind::Ack),
            quote!({
                let _ = body;
                Ok(())
            }),
        ),
    };
    let name = &endpoint.name;
    let path = &endpoint.path;
    let http_method = match endpoint.http_method {
        HttpMethod::Get => quote!(crate::runtime::HttpMethod::Get),
        HttpMethod::Post => quote!(crate::runtime::HttpMethod::Post),
    };
    let auth = match endpoint.auth {
        Auth::AccessToken => quote!(crate::runtime::Auth::AccessToken),
        Auth::ComponentAccessToken => quote!(crate::runtime::Auth::ComponentAccessToken),
        Auth::ComponentAccessTokenAsAccessToken => quote!(crate::runtime::Auth::ComponentAccessTokenAsAccessToken),
        Auth::None => quote!(crate::runtime::Auth::None),
    };
    let retry_safe = endpoint.retry_safe;
    let rate_limit = match endpoint.rate_limit {
        Some(limit) => {
            let calls = proc_macro2::Literal::u64_unsuffixed(limit.calls);
            let seconds = proc_macro2::Literal::u64_unsuffixed(limit.per_seconds);
            quote!(Some(crate::runtime::RateLimit::per_seconds(#calls, #seconds)))
        }
        None => quote!(None),
    };
    let api_security = match endpoint.api_security {
        None => quote!(Never),
        Some(ApiSecurity::Supported) => quote!(Supported),
        Some(ApiSecurity::Required) => quote!(Required),
    };
    let has_secret_output = match &endpoint.response {
        Response::Json(fields) => fields.iter().any(|f| contains_secret(&f.ty)),
        _ => false,
    };
    let uses_credentials =
        endpoint.query.iter().chain(endpoint.body.fields()).any(|f| matches!(f.source, FieldSource::AppId | FieldSource::AppSecret));
    let credentials_arg = if uses_credentials || endpoint.signing.is_some() { quote!(credentials) } else { quote!(_credentials) };
    let finish = match &endpoint.signing {
        None => quote! { Ok(crate::runtime::RequestParts { query, body }) },
        Some(signing) => signing_tokens(signing),
    };
    let query = text_pairs(&endpoint.query, "query");
    let body = body_tokens(endpoint);
    let choice = endpoint
        .choice
        .as_ref()
        .filter(|c| !c.alternatives.iter().any(|a| matches!(a.carrier, Carrier::Json(_))))
        .map(|c| choice_tokens(c, &endpoint.query));
    let caller_fields: Vec<Field> = endpoint.query.iter().chain(endpoint.body.fields()).cloned().collect();
    let check = if super::checks::has_constraints(&caller_fields) {
        quote! { self.check_at("")?; }
    } else {
        quote!()
    };
    let shape = super::shape::endpoint_shape(endpoint);
    let methods = if cx.client_trait().is_none() { client_methods(endpoint, Receiver::Inherent, &quote!()) } else { quote!() };
    quote! {
        impl crate::runtime::Operation for #request {
            type Output = #output;
            type Error = #error;
            const META: crate::runtime::EndpointMeta = crate::runtime::EndpointMeta {
                name: #name,
                method: #http_method,
                path: #path,
                auth: #auth,
                retry_safe: #retry_safe,
                rate_limit: #rate_limit,
                response: #response_kind,
                secret_response: #has_secret_output,
                api_security: crate::runtime::ApiSecurityMode::#api_security,
                shape: #shape,
            };
            #[inline]
            fn into_parts(self, #credentials_arg: &crate::runtime::Credentials) -> Result<crate::runtime::RequestParts, crate::runtime::PrepareError> {
                #check
                #body
                #query
                #choice
                #finish
            }
            #[inline]
            fn decode(body: crate::runtime::SuccessBody) -> Result<Self::Output, crate::runtime::DecodeFailure> {
                #decode
            }
        }
        #methods
    }
}

/// The end of a signed call's `into_parts`: the runtime adds the
/// signatures over the body just serialized.
fn signing_tokens(signing: &Signing) -> TokenStream {
    let pay_sig = match signing.pay_sig {
        None => quote!(None),
        Some(PayKey::VirtualPayment) => quote!(Some(crate::runtime::PayKey::VirtualPayment)),
        Some(PayKey::B2bStore) => quote!(Some(crate::runtime::PayKey::B2bStore)),
    };
    let env_field = match &signing.env_field {
        None => quote!(None),
        Some(env) => quote!(Some(#env)),
    };
    let session_key = if signing.user_signature { quote!(Some(&self.session_key)) } else { quote!(None) };
    quote! {
        const SIGNING: crate::runtime::Signing = crate::runtime::Signing { pay_sig: #pay_sig, env_field: #env_field };
        SIGNING.sign(crate::runtime::RequestParts { query, body }, Self::META.path, credentials, #session_key)
    }
}

/// Where client methods are written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Receiver {
    /// Inherent methods of `Client` (inside wxa).
    Inherent,
    /// Declarations in the extension trait.
    TraitDeclaration,
    /// The trait's implementation for `Client`.
    TraitImpl,
}

/// The endpoint's client method, and its `…_stream` twin for binary
/// endpoints. They return the runtime's future rather than being `async`,
/// so the call path is compiled where a method is used, not for every
/// endpoint in the crate that defines them.
fn client_methods(endpoint: &Endpoint, receiver: Receiver, gate: &TokenStream) -> TokenStream {
    let request = format_ident!("{}Request", endpoint.type_prefix);
    let error = format_ident!("{}Error", endpoint.type_prefix);
    let output = match &endpoint.response {
        Response::Json(_) => {
            let response = format_ident!("{}Response", endpoint.type_prefix);
            quote!(#response)
        }
        Response::Binary => quote!(crate::runtime::Media),
        Response::Ack => quote!(()),
    };
    let module = ident(&endpoint.category);
    let (request, error, output) = match receiver {
        Receiver::Inherent => (quote!(#request), quote!(#error), output),
        _ if matches!(endpoint.response, Response::Json(_)) => {
            (quote!(#module::#request), quote!(#module::#error), quote!(#module::#output))
        }
        _ => (quote!(#module::#request), quote!(#module::#error), output),
    };
    let method = ident(&endpoint.method_name);
    let method_doc = docs::lines(&docs::endpoint(endpoint, &endpoint.errors));
    let one = |method: &proc_macro2::Ident, doc: TokenStream, output: TokenStream, call: TokenStream| {
        let signature = quote! {
            fn #method(&self, request: #request) -> impl crate::runtime::Call<#output, #error>
        };
        match receiver {
            Receiver::Inherent => quote! { #doc #[inline] pub #signature { #call(self, request) } },
            Receiver::TraitDeclaration => quote! { #gate #doc #signature; },
            Receiver::TraitImpl => quote! { #gate #[inline] #signature { #call(self, request) } },
        }
    };
    let mut methods = one(&method, method_doc, output, quote!(crate::runtime::call));
    // Binary endpoints also hand the file back as it arrives, for files
    // too large to hold in memory.
    if let Response::Binary = &endpoint.response {
        let stream = format_ident!("{}_stream", endpoint.method_name);
        let doc = docs::lines(&[format!(
            "Like [`Self::{method}`], but hands the file back as a [`MediaStream`](crate::runtime::MediaStream) that reads it as it \
             arrives, so memory stays flat however large it is. A JSON error is still recognised from the \
             first bytes and returned as `Err`, never streamed as the file.\n\n\
             # Errors\n\n\
             As [`Self::{method}`]; a failure after the file began comes from the stream as a \
             [`MediaStreamError`](crate::runtime::MediaStreamError)."
        )]);
        methods.extend(one(&stream, doc, quote!(crate::runtime::MediaStream), quote!(crate::runtime::call_stream)));
    }
    match receiver {
        Receiver::Inherent => quote! { impl crate::runtime::Client { #methods } },
        _ => methods,
    }
}

/// For crates other than wxa: the extension trait that holds every
/// endpoint's client method, implemented for `Client`.
pub fn client_trait(api: &Api, cx: &Context) -> TokenStream {
    let Some(name) = cx.client_trait() else { return quote!() };
    let declarations = api.endpoints.iter().map(|e| client_methods(e, Receiver::TraitDeclaration, &cx.category_gate(&e.category)));
    let implementations = api.endpoints.iter().map(|e| client_methods(e, Receiver::TraitImpl, &cx.category_gate(&e.category)));
    let doc = format!(
        " The endpoints of these specs as methods of [`Client`](crate::runtime::Client): bring `{name}` into scope and call them like wxa's own."
    );
    quote! {
        #[doc = #doc]
        pub trait #name {
            #(#declarations)*
        }
        impl #name for crate::runtime::Client {
            #(#implementations)*
        }
    }
}

fn contains_secret(ty: &Type) -> bool {
    match ty {
        Type::Secret => true,
        Type::Object(o) => o.fields.iter().any(|f| contains_secret(&f.ty)),
        Type::Array(item) | Type::Map(item) => contains_secret(item),
        _ => false,
    }
}
