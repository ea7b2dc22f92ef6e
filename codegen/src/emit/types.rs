//! Request, response, object and enum types.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{docs, ident};
use crate::ir::*;

/// Which way a type travels, which decides its derives and doc wording.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Request,
    Response,
    /// A named type, which requests and responses may share: it reads
    /// leniently like a response and checks its limits like a request.
    Shared,
}

pub fn int_tokens(int: IntType) -> TokenStream {
    match int {
        IntType::I32 => quote!(i32),
        IntType::I64 => quote!(i64),
        IntType::U32 => quote!(u32),
        IntType::U64 => quote!(u64),
    }
}

/// The Rust type of a field's value (without `Option`).
pub fn value_type(ty: &Type) -> TokenStream {
    match ty {
        Type::String => quote!(String),
        Type::Secret => quote!(crate::Secret),
        Type::Bool => quote!(bool),
        Type::Int(int) => int_tokens(*int),
        Type::Float => quote!(f64),
        Type::Object(object) => {
            let name = ident(&object.name);
            quote!(#name)
        }
        Type::Enum(e) => {
            let name = ident(&e.name);
            quote!(#name)
        }
        Type::Array(item) => {
            let item = value_type(item);
            quote!(Vec<#item>)
        }
        Type::Map(value) => {
            let value = value_type(value);
            quote!(std::collections::BTreeMap<String, #value>)
        }
        Type::Json => quote!(serde_json::Value),
        Type::Named(r) => {
            let name = ident(&r.name);
            // Generated code sits in a category module or in `types`
            // itself, so the whole API's types are always `super::types`.
            if r.scope.is_empty() { quote!(super::types::#name) } else { quote!(#name) }
        }
    }
}

/// A setter/constructor argument: strings take `impl Into<..>`.
fn argument_type(ty: &Type) -> (TokenStream, bool) {
    match ty {
        Type::String => (quote!(impl Into<String>), true),
        Type::Secret => (quote!(impl Into<crate::Secret>), true),
        other => (value_type(other), false),
    }
}

fn field_doc(field: &Field) -> TokenStream {
    let mut text = docs::spec_text(&field.doc);
    if let Some(default) = &field.default {
        text.push_str(&format!(" WeChat's default: `{default}`."));
    }
    docs::lines(&[text])
}

/// The request type of an endpoint, with its nested types.
pub fn request(endpoint: &Endpoint) -> TokenStream {
    let name = format_ident!("{}Request", endpoint.type_prefix);
    let mut fields: Vec<&Field> = endpoint.query.iter().filter(|f| f.source == FieldSource::Caller).collect();
    let query_names: Vec<&str> = fields.iter().map(|f| f.rust_name.as_str()).collect();
    let (body_fields, files): (Vec<&Field>, &[FilePart]) = match &endpoint.body {
        Body::None | Body::AnyJson(_) => (Vec::new(), &[]),
        Body::Json(list) => (list.iter().filter(|f| f.source == FieldSource::Caller).collect(), &[]),
        Body::Multipart { files, fields } => (fields.iter().filter(|f| f.source == FieldSource::Caller).collect(), files),
    };
    fields.extend(body_fields);
    let json = matches!(endpoint.body, Body::Json(_));

    let mut nested = TokenStream::new();
    for field in &fields {
        nested_types(&field.ty, Direction::Request, &mut nested);
    }

    let doc = docs::lines(&[format!("Parameters of [`crate::Client::{}`].", endpoint.method_name)]);
    let mut struct_fields = Vec::new();
    let mut required_args = Vec::new();
    let mut inits = Vec::new();
    let mut setters = Vec::new();
    for field in &fields {
        let skip = if query_names.contains(&field.rust_name.as_str()) { quote!(#[serde(skip)]) } else { quote!() };
        let (decl, arg, init, setter) = field_parts(field, Direction::Request);
        let attrs = if json { quote!(#skip #decl) } else { quote!() };
        let doc = field_doc(field);
        let rust = ident(&field.rust_name);
        let ty = stored_type(field);
        struct_fields.push(quote! { #doc #attrs pub #rust: #ty, });
        if let Some(arg) = arg {
            required_args.push(arg);
        }
        inits.push(init);
        if let Some(setter) = setter {
            setters.push(setter);
        }
    }
    if let Body::AnyJson(doc) = &endpoint.body {
        let doc = docs::lines(&[docs::spec_text(doc)]);
        struct_fields.push(quote! { #doc pub payload: serde_json::Value, });
        required_args.push(quote!(payload: serde_json::Value));
        inits.push(quote!(payload));
    }
    let mut members = Members::default();
    file_members(files, &mut members);
    if let Some(choice) = &endpoint.choice {
        nested.extend(choice_member(choice, json, &mut members));
    }
    struct_fields.extend(members.decls);
    required_args.extend(members.args);
    inits.extend(members.inits);
    setters.extend(members.setters);
    let all_optional = required_args.is_empty();
    let derive = match (json, all_optional) {
        (true, true) => quote!(#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]),
        (true, false) => quote!(#[derive(Debug, Clone, PartialEq, serde::Serialize)]),
        (false, true) => quote!(#[derive(Debug, Clone, PartialEq, Default)]),
        (false, false) => quote!(#[derive(Debug, Clone, PartialEq)]),
    };
    let many = (required_args.len() > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    let new_doc = docs::lines(&["A request with the required parameters; set optional ones with the methods of the same name.".to_owned()]);
    let owned: Vec<Field> = fields.iter().map(|f| (*f).clone()).collect();
    let check = super::checks::check_method(&owned);
    quote! {
        #nested
        #doc
        #derive
        #[non_exhaustive]
        pub struct #name {
            #(#struct_fields)*
        }
        impl #name {
            #new_doc
            #many
            pub fn new(#(#required_args),*) -> Self {
                Self { #(#inits),* }
            }
            #(#setters)*
            #check
        }
    }
}

/// The field's type as stored: `Option<T>` unless required.
fn stored_type(field: &Field) -> TokenStream {
    let ty = value_type(&field.ty);
    if field.required { ty } else { quote!(Option<#ty>) }
}

/// Serde attributes, constructor argument, initialiser and setter of a field.
fn field_parts(field: &Field, direction: Direction) -> (TokenStream, Option<TokenStream>, TokenStream, Option<TokenStream>) {
    let rust = ident(&field.rust_name);
    let wire = &field.wire_name;
    let rename = (field.rust_name != field.wire_name).then(|| quote!(#[serde(rename = #wire)]));
    // Secrets are written to the wire from requests, and redacted when a
    // response is serialized (e.g. to be logged).
    let secret = match (&field.ty, direction, field.required) {
        (Type::Secret, Direction::Request, true) => quote!(#[serde(serialize_with = "crate::secret::serialize_exposed")]),
        (Type::Secret, Direction::Request, false) => quote!(#[serde(serialize_with = "crate::secret::serialize_exposed_option")]),
        (Type::Secret, Direction::Response, true) => quote!(#[serde(serialize_with = "crate::secret::serialize_redacted")]),
        (Type::Secret, Direction::Response, false) => quote!(#[serde(serialize_with = "crate::secret::serialize_redacted_option")]),
        _ => quote!(),
    };
    // Responses read scalars leniently: WeChat sends some numbers as strings
    // and some strings as numbers.
    let direction_read = if direction == Direction::Shared { Direction::Response } else { direction };
    let lenient = match (&field.ty, direction_read, field.required) {
        (Type::Int(_), Direction::Response, true) => quote!(#[serde(deserialize_with = "crate::runtime::lenient::int")]),
        (Type::Int(_), Direction::Response, false) => quote!(#[serde(deserialize_with = "crate::runtime::lenient::option_int")]),
        (Type::Float, Direction::Response, true) => quote!(#[serde(deserialize_with = "crate::runtime::lenient::float")]),
        (Type::Float, Direction::Response, false) => quote!(#[serde(deserialize_with = "crate::runtime::lenient::option_float")]),
        (Type::String, Direction::Response, true) => quote!(#[serde(deserialize_with = "crate::runtime::lenient::string")]),
        (Type::String, Direction::Response, false) => quote!(#[serde(deserialize_with = "crate::runtime::lenient::option_string")]),
        _ => quote!(),
    };
    let optional = if field.required {
        quote!()
    } else if direction != Direction::Request {
        quote!(#[serde(default, skip_serializing_if = "Option::is_none")])
    } else {
        quote!(#[serde(skip_serializing_if = "Option::is_none")])
    };
    let (arg_ty, converts) = argument_type(&field.ty);
    let value = if converts { quote!(#rust.into()) } else { quote!(#rust) };
    if field.required {
        let init = if converts { quote!(#rust: #value) } else { quote!(#rust) };
        (quote!(#rename #secret #lenient #optional), Some(quote!(#rust: #arg_ty)), init, None)
    } else {
        let doc = field_doc(field);
        let setter = quote! {
            #doc
            pub fn #rust(mut self, #rust: #arg_ty) -> Self {
                self.#rust = Some(#value);
                self
            }
        };
        (quote!(#rename #secret #lenient #optional), None, quote!(#rust: None), Some(setter))
    }
}

/// The response type of a JSON endpoint (nothing for binary and ack).
pub fn response(endpoint: &Endpoint) -> TokenStream {
    let Response::Json(fields) = &endpoint.response else { return quote!() };
    let doc = docs::lines(&[format!("What [`crate::Client::{}`] returns.", endpoint.method_name)]);
    object(&format!("{}Response", endpoint.type_prefix), fields, Direction::Response, doc)
}

fn object(name: &str, fields: &[Field], direction: Direction, doc: TokenStream) -> TokenStream {
    let name = ident(name);
    let mut nested = TokenStream::new();
    let mut decls = Vec::new();
    let mut args = Vec::new();
    let mut inits = Vec::new();
    let mut setters = Vec::new();
    for field in fields {
        nested_types(&field.ty, direction, &mut nested);
        let (attrs, arg, init, setter) = field_parts(field, direction);
        let field_doc = field_doc(field);
        let rust = ident(&field.rust_name);
        let ty = stored_type(field);
        decls.push(quote! { #field_doc #attrs pub #rust: #ty, });
        args.extend(arg);
        inits.push(init);
        setters.extend(setter);
    }
    let default = args.is_empty().then(|| quote!(Default,));
    let check = if direction != Direction::Response { super::checks::check_method(fields) } else { quote!() };
    let many = (args.len() > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    let new_doc = docs::lines(&["A value with the required fields; set optional ones with the methods of the same name.".to_owned()]);
    quote! {
        #nested
        #doc
        #[derive(Debug, Clone, PartialEq, #default serde::Serialize, serde::Deserialize)]
        #[non_exhaustive]
        pub struct #name {
            #(#decls)*
        }
        impl #name {
            #new_doc
            #many
            pub fn new(#(#args),*) -> Self {
                Self { #(#inits),* }
            }
            #(#setters)*
            #check
        }
    }
}

/// Request members beyond the described fields: declarations, constructor
/// arguments, initialisers and setters.
#[derive(Default)]
struct Members {
    decls: Vec<TokenStream>,
    args: Vec<TokenStream>,
    inits: Vec<TokenStream>,
    setters: Vec<TokenStream>,
}

/// The file parts of a multipart body: an `Upload` each, optional ones
/// with a setter.
fn file_members(files: &[FilePart], members: &mut Members) {
    for file in files {
        let rust = ident(&file.name);
        let doc = docs::lines(&[docs::spec_text(&file.doc)]);
        if file.required {
            members.decls.push(quote! { #doc pub #rust: crate::Upload, });
            members.args.push(quote!(#rust: crate::Upload));
            members.inits.push(quote!(#rust));
        } else {
            members.decls.push(quote! { #doc pub #rust: Option<crate::Upload>, });
            members.inits.push(quote!(#rust: None));
            members.setters.push(quote! {
                #doc
                pub fn #rust(mut self, #rust: crate::Upload) -> Self {
                    self.#rust = Some(#rust);
                    self
                }
            });
        }
    }
}

/// The choice's request member (a constructor argument, flattened into a
/// JSON body); returns its enum.
fn choice_member(choice: &Choice, json: bool, members: &mut Members) -> TokenStream {
    let rust = ident(&choice.rust_name);
    let ty = ident(&choice.type_name);
    let doc = docs::lines(&[docs::spec_text(&choice.doc)]);
    let flatten = json.then(|| quote!(#[serde(flatten)]));
    members.decls.push(quote! { #doc #flatten pub #rust: #ty, });
    members.args.push(quote!(#rust: #ty));
    members.inits.push(quote!(#rust));
    choice_enum(choice)
}

/// The enum of a request's `choice`: one variant per alternative, holding
/// the value (an upload for a file part).
fn choice_enum(choice: &Choice) -> TokenStream {
    let name = ident(&choice.type_name);
    let mut nested = TokenStream::new();
    let json = choice.alternatives.iter().any(|a| matches!(a.carrier, Carrier::Json(_)));
    let variants = choice.alternatives.iter().map(|alternative| {
        let variant = ident(&alternative.name);
        if let Carrier::Json(fields) = &alternative.carrier {
            return json_variant(&variant, &alternative.doc, fields, &mut nested);
        }
        let (ty, way) = match &alternative.carrier {
            Carrier::Query(field) => {
                nested_types(&field.ty, Direction::Request, &mut nested);
                (value_type(&field.ty), format!("Sent as the query parameter `{}`.", field.wire_name))
            }
            Carrier::File(file) => (quote!(crate::Upload), format!("Sent as the file part `{}` of a multipart body.", file.name)),
            Carrier::Json(_) => (quote!(), String::new()),
        };
        let doc = docs::lines(&[format!("{} {way}", docs::spec_text(&alternative.doc))]);
        quote! { #doc #variant(#ty), }
    });
    let variants: Vec<TokenStream> = variants.collect();
    let doc = docs::lines(&[format!("{} Each variant is one way the request can carry it.", docs::spec_text(&choice.doc))]);
    // JSON alternatives are struct variants whose members are flattened
    // into the body: the variant decides which members are sent.
    let derive = if json {
        quote!(#[derive(Debug, Clone, PartialEq, serde::Serialize)] #[serde(untagged)])
    } else {
        quote!(#[derive(Debug, Clone, PartialEq)])
    };
    quote! {
        #nested
        #doc
        #derive
        pub enum #name {
            #(#variants)*
        }
    }
}

/// `Variant { member: T, … }`, serialized as those members.
fn json_variant(variant: &proc_macro2::Ident, doc: &str, fields: &[Field], nested: &mut TokenStream) -> TokenStream {
    let members = fields.iter().map(|field| {
        nested_types(&field.ty, Direction::Request, nested);
        let (attrs, ..) = field_parts(field, Direction::Request);
        let rust = ident(&field.rust_name);
        let ty = stored_type(field);
        let doc = field_doc(field);
        quote! { #doc #attrs #rust: #ty, }
    });
    let wires: Vec<String> = fields.iter().map(|f| format!("`{}`", f.wire_name)).collect();
    let noun = if wires.len() == 1 { "member" } else { "members" };
    let doc = docs::lines(&[format!("{} Sent as the body {noun} {}.", docs::spec_text(doc), wires.join(", "))]);
    quote! { #doc #variant { #(#members)* }, }
}

/// The named types of one scope (a `types.yaml`), each with the structs
/// and enums nested in it.
pub fn named_types(types: &[&NamedType]) -> TokenStream {
    let mut out = TokenStream::new();
    for named in types {
        match &named.ty {
            Type::Object(o) => {
                let doc = docs::lines(&[docs::spec_text(&named.doc)]);
                out.extend(object(&o.name, &o.fields, Direction::Shared, doc));
            }
            other => nested_types(other, Direction::Shared, &mut out),
        }
    }
    out
}

/// Emits the structs and enums a field type needs, depth first.
fn nested_types(ty: &Type, direction: Direction, out: &mut TokenStream) {
    match ty {
        Type::Object(o) => {
            let doc = docs::lines(&[format!("The `{}` object.", o.name)]);
            out.extend(object(&o.name, &o.fields, direction, doc));
        }
        Type::Array(item) | Type::Map(item) => nested_types(item, direction, out),
        Type::Enum(e) => out.extend(enumeration(e)),
        _ => {}
    }
}

/// An enum with an `Other` fallback, so values the spec does not list yet
/// neither fail decoding nor block a caller.
fn enumeration(e: &EnumType) -> TokenStream {
    let name = ident(&e.name);
    let variants = e.variants.iter().map(|v| {
        let variant = ident(&v.name);
        let wire = match &v.value {
            EnumValue::Str(s) => format!("`{s}`"),
            EnumValue::Int(i) => format!("`{i}`"),
        };
        let text = match &v.doc {
            Some(doc) => format!("{wire}: {}", docs::spec_text(doc)),
            None => format!("{wire}."),
        };
        let doc = docs::lines(&[text]);
        quote! { #doc #variant, }
    });
    let doc = docs::lines(&[format!("Values of `{}`.", e.name)]);
    let other_doc = docs::lines(&["A value this version of the specs does not list.".to_owned()]);
    match e.int {
        None => {
            let to_wire = e.variants.iter().map(|v| {
                let variant = ident(&v.name);
                let EnumValue::Str(s) = &v.value else { unreachable!("string enum") };
                quote! { Self::#variant => #s, }
            });
            let from_wire = e.variants.iter().map(|v| {
                let variant = ident(&v.name);
                let EnumValue::Str(s) = &v.value else { unreachable!("string enum") };
                quote! { #s => Self::#variant, }
            });
            quote! {
                #doc
                #[derive(Debug, Clone, PartialEq, Eq, Hash)]
                #[non_exhaustive]
                pub enum #name {
                    #(#variants)*
                    #other_doc
                    Other(String),
                }
                impl #name {
                    /// The value on the wire.
                    pub fn as_str(&self) -> &str {
                        match self {
                            #(#to_wire)*
                            Self::Other(value) => value,
                        }
                    }
                }
                impl From<&str> for #name {
                    fn from(value: &str) -> Self {
                        match value {
                            #(#from_wire)*
                            other => Self::Other(other.to_owned()),
                        }
                    }
                }
                impl std::fmt::Display for #name {
                    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(self.as_str())
                    }
                }
                impl serde::Serialize for #name {
                    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                        serializer.serialize_str(self.as_str())
                    }
                }
                impl<'de> serde::Deserialize<'de> for #name {
                    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                        let value = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
                        Ok(Self::from(value.as_ref()))
                    }
                }
            }
        }
        Some(_) => {
            let to_wire = e.variants.iter().map(|v| {
                let variant = ident(&v.name);
                let EnumValue::Int(i) = &v.value else { unreachable!("integer enum") };
                let i = super::int_literal(*i);
                quote! { Self::#variant => #i, }
            });
            let from_wire = e.variants.iter().map(|v| {
                let variant = ident(&v.name);
                let EnumValue::Int(i) = &v.value else { unreachable!("integer enum") };
                let i = super::int_literal(*i);
                quote! { #i => Self::#variant, }
            });
            quote! {
                #doc
                #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
                #[non_exhaustive]
                pub enum #name {
                    #(#variants)*
                    #other_doc
                    Other(i64),
                }
                impl #name {
                    /// The value on the wire.
                    pub fn value(&self) -> i64 {
                        match self {
                            #(#to_wire)*
                            Self::Other(value) => *value,
                        }
                    }
                }
                impl From<i64> for #name {
                    fn from(value: i64) -> Self {
                        match value {
                            #(#from_wire)*
                            other => Self::Other(other),
                        }
                    }
                }
                impl std::fmt::Display for #name {
                    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(f, "{}", self.value())
                    }
                }
                impl serde::Serialize for #name {
                    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                        serializer.serialize_i64(self.value())
                    }
                }
                impl<'de> serde::Deserialize<'de> for #name {
                    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                        Ok(Self::from(<i64 as serde::Deserialize>::deserialize(deserializer)?))
                    }
                }
            }
        }
    }
}
