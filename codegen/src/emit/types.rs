//! Request, response, object and enum types.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{docs, ident};
use crate::SerializeAnswers;
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
        Type::Secret => quote!(crate::runtime::Secret),
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
        Type::Json => quote!(crate::runtime::serde_json::Value),
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
        Type::Secret => (quote!(impl Into<crate::runtime::Secret>), true),
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
        nested_types(&field.ty, Direction::Request, &mut nested, &SerializeAnswers::Never);
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
        struct_fields.push(quote! { #doc pub payload: crate::runtime::serde_json::Value, });
        required_args.push(quote!(payload: crate::runtime::serde_json::Value));
        inits.push(quote!(payload));
    }
    let mut members = Members::default();
    file_members(files, &mut members);
    if let Some(choice) = &endpoint.choice {
        nested.extend(choice_member(choice, json, &mut members));
    }
    if endpoint.signing.as_ref().is_some_and(|s| s.user_signature) {
        session_key_member(&mut members);
    }
    struct_fields.extend(members.decls);
    required_args.extend(members.args);
    inits.extend(members.inits);
    setters.extend(members.setters);
    let all_optional = required_args.is_empty();
    let derive = match (json, all_optional) {
        (true, true) => {
            quote!(#[derive(Debug, Clone, PartialEq, Default, crate::runtime::Serialize)] #[serde(crate = "crate::runtime::serde")])
        }
        (true, false) => quote!(#[derive(Debug, Clone, PartialEq, crate::runtime::Serialize)] #[serde(crate = "crate::runtime::serde")]),
        (false, true) => quote!(#[derive(Debug, Clone, PartialEq, Default)]),
        (false, false) => quote!(#[derive(Debug, Clone, PartialEq)]),
    };
    let many = (required_args.len() > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    let new_doc = docs::lines(&["A request with the required parameters; set optional ones with the methods of the same name.".to_owned()]);
    let owned: Vec<Field> = fields.iter().map(|f| (*f).clone()).collect();
    let check = super::checks::check_method(&owned);
    let setters = setters_block(&setters);
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
            #setters
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
    let mut serde = Vec::new();
    if field.rust_name != field.wire_name {
        serde.push(quote!(rename = #wire));
    }
    // Secrets are written to the wire from requests, and redacted when a
    // response is serialized (e.g. to be logged).
    let secret = match (&field.ty, direction, field.required) {
        (Type::Secret, Direction::Request, true) => Some("crate::runtime::serialize_exposed"),
        (Type::Secret, Direction::Request, false) => Some("crate::runtime::serialize_exposed_option"),
        (Type::Secret, Direction::Response, true) => Some("crate::runtime::serialize_redacted"),
        (Type::Secret, Direction::Response, false) => Some("crate::runtime::serialize_redacted_option"),
        _ => None,
    };
    serde.extend(secret.map(|path| quote!(serialize_with = #path)));
    // Responses (and types shared by both directions) read scalars
    // leniently: WeChat sends some numbers as strings and some strings as
    // numbers.
    let direction_read = if direction == Direction::Shared { Direction::Response } else { direction };
    let lenient = match (&field.ty, direction_read, field.required) {
        (Type::Int(_), Direction::Response, true) => Some("crate::runtime::lenient::int"),
        (Type::Int(_), Direction::Response, false) => Some("crate::runtime::lenient::option_int"),
        (Type::Float, Direction::Response, true) => Some("crate::runtime::lenient::float"),
        (Type::Float, Direction::Response, false) => Some("crate::runtime::lenient::option_float"),
        (Type::String, Direction::Response, true) => Some("crate::runtime::lenient::string"),
        (Type::String, Direction::Response, false) => Some("crate::runtime::lenient::option_string"),
        _ => None,
    };
    serde.extend(lenient.map(|path| quote!(deserialize_with = #path)));
    if !field.required {
        if direction != Direction::Request {
            serde.push(quote!(default));
        }
        serde.push(quote!(skip_serializing_if = "Option::is_none"));
    }
    let attrs = if serde.is_empty() { quote!() } else { quote!(#[serde(#(#serde),*)]) };
    let (arg_ty, converts) = argument_type(&field.ty);
    if field.required {
        let init = if converts { quote!(#rust: #rust.into()) } else { quote!(#rust) };
        (attrs, Some(quote!(#rust: #arg_ty)), init, None)
    } else {
        (attrs, None, quote!(#rust: None), Some(quote!(#rust: #arg_ty;)))
    }
}

/// The setters of the optional fields, one row each, written by the
/// runtime's `setters!`.
fn setters_block(setters: &[TokenStream]) -> TokenStream {
    if setters.is_empty() {
        return quote!();
    }
    quote! {
        crate::runtime::setters! {
            #(#setters)*
        }
    }
}

/// The response type of a JSON endpoint (nothing for binary and ack).
///
/// Answers are `answer_object!`s, read by the runtime member by member
/// (a derived deserializer per type was most of wxa's compile time); they
/// serialize as `answers` says (behind a feature in wxa: a third of its
/// compile time went into serializers few callers use).
pub fn response(endpoint: &Endpoint, answers: &SerializeAnswers) -> TokenStream {
    let Response::Json(fields) = &endpoint.response else { return quote!() };
    let doc = docs::lines(&[format!("What [`crate::Client::{}`] returns.", endpoint.method_name)]);
    object(&format!("{}Response", endpoint.type_prefix), fields, Direction::Response, doc, answers)
}

/// A pushed event's struct: read like an answer.
pub fn event_struct(name: &str, fields: &[Field], doc: TokenStream, answers: &SerializeAnswers) -> TokenStream {
    answer_object(name, fields, doc, answers)
}

fn object(name: &str, fields: &[Field], direction: Direction, doc: TokenStream, answers: &SerializeAnswers) -> TokenStream {
    if direction == Direction::Response {
        return answer_object(name, fields, doc, answers);
    }
    let name = ident(name);
    let mut nested = TokenStream::new();
    let mut decls = Vec::new();
    let mut args = Vec::new();
    let mut inits = Vec::new();
    let mut setters = Vec::new();
    for field in fields {
        nested_types(&field.ty, direction, &mut nested, answers);
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
    let check = match direction {
        Direction::Request => super::checks::check_method(fields),
        // A type of the whole API is checked from the requests that name
        // it, whose categories may all be off in a build.
        Direction::Shared if super::checks::has_constraints(fields) => {
            let method = super::checks::check_method(fields);
            quote!(#[allow(dead_code, reason = "called by the requests that name this type, whose categories may be off")] #method)
        }
        _ => quote!(),
    };
    let derive = match direction {
        Direction::Request => quote!(#[derive(Debug, Clone, PartialEq, #default crate::runtime::Serialize)]),
        // Answers went to `answer_object` above.
        Direction::Shared | Direction::Response => {
            quote!(#[derive(Debug, Clone, PartialEq, #default crate::runtime::Serialize, crate::runtime::Deserialize)])
        }
    };
    let constructor = constructor(&name, &args, &inits, &setters, check);
    quote! {
        #nested
        #doc
        #derive
        #[serde(crate = "crate::runtime::serde")]
        #[non_exhaustive]
        pub struct #name {
            #(#decls)*
        }
        #constructor
    }
}

/// An answer's struct as an invocation of the runtime's `answer_object!`
/// (one row a member: `pub name: Type = "wire";`), then its constructor
/// and setters. Serialization attributes are written only when answers
/// serialize, under the same condition as the derive.
fn answer_object(name: &str, fields: &[Field], doc: TokenStream, answers: &SerializeAnswers) -> TokenStream {
    let name = ident(name);
    let mut nested = TokenStream::new();
    let (mut rows, mut args, mut inits, mut setters) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for field in fields {
        nested_types(&field.ty, Direction::Response, &mut nested, answers);
        let (_, arg, init, setter) = field_parts(field, Direction::Response);
        let field_doc = field_doc(field);
        let rust = ident(&field.rust_name);
        let ty = stored_type(field);
        let wire = &field.wire_name;
        let mut serde = Vec::new();
        if field.rust_name != field.wire_name {
            serde.push(quote!(rename = #wire));
        }
        if matches!(field.ty, Type::Secret) {
            let path = if field.required { "crate::runtime::serialize_redacted" } else { "crate::runtime::serialize_redacted_option" };
            serde.push(quote!(serialize_with = #path));
        }
        if !field.required {
            serde.push(quote!(skip_serializing_if = "Option::is_none"));
        }
        let attr = if serde.is_empty() { quote!() } else { serialize_attr(answers, quote!(#(#serde),*)) };
        rows.push(quote! { #field_doc #attr pub #rust: #ty = #wire; });
        args.extend(arg);
        inits.push(init);
        setters.extend(setter);
    }
    let default = args.is_empty().then(|| quote!(, Default));
    let serialize = match answers {
        SerializeAnswers::Always => quote!(#[derive(crate::runtime::Serialize)]),
        SerializeAnswers::Never => quote!(),
        SerializeAnswers::WithFeature(feature) => quote!(#[cfg_attr(feature = #feature, derive(crate::runtime::Serialize))]),
    };
    let serde_crate = match answers {
        SerializeAnswers::Never => quote!(),
        _ => serialize_attr(answers, quote!(crate = "crate::runtime::serde")),
    };
    let constructor = constructor(&name, &args, &inits, &setters, quote!());
    quote! {
        #nested
        crate::runtime::answer_object! {
            #doc
            #[derive(Debug, Clone, PartialEq #default)]
            #serialize
            #serde_crate
            #[non_exhaustive]
            pub struct #name {
                #(#rows)*
            }
        }
        #constructor
    }
}

/// An object's `new` with its required members, the setters of the
/// optional ones, and its limit check if any.
fn constructor(
    name: &proc_macro2::Ident,
    args: &[TokenStream],
    inits: &[TokenStream],
    setters: &[TokenStream],
    check: TokenStream,
) -> TokenStream {
    let many = (args.len() > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    let new_doc = docs::lines(&["A value with the required fields; set optional ones with the methods of the same name.".to_owned()]);
    let setters = setters_block(setters);
    quote! {
        impl #name {
            #new_doc
            #many
            pub fn new(#(#args),*) -> Self {
                Self { #(#inits),* }
            }
            #setters
            #check
        }
    }
}

/// `#[serde(…)]` for serializing an answer, under the feature when there is one.
fn serialize_attr(answers: &SerializeAnswers, inner: TokenStream) -> TokenStream {
    match answers {
        SerializeAnswers::WithFeature(feature) => quote!(#[cfg_attr(feature = #feature, serde(#inner))]),
        _ => quote!(#[serde(#inner)]),
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
            members.decls.push(quote! { #doc pub #rust: crate::runtime::Upload, });
            members.args.push(quote!(#rust: crate::runtime::Upload));
            members.inits.push(quote!(#rust));
        } else {
            members.decls.push(quote! { #doc pub #rust: Option<crate::runtime::Upload>, });
            members.inits.push(quote!(#rust: None));
            members.setters.push(quote!(#rust: crate::runtime::Upload;));
        }
    }
}

/// The user's session key of a call signed with it: an argument of `new`,
/// never serialized.
fn session_key_member(members: &mut Members) {
    let doc = docs::lines(&[
        "The user's session key (from `code2Session`): the client signs the body with it (`signature`); it is never sent.".to_owned(),
    ]);
    members.decls.push(quote! { #doc #[serde(skip)] pub session_key: crate::runtime::Secret, });
    members.args.push(quote!(session_key: impl Into<crate::runtime::Secret>));
    members.inits.push(quote!(session_key: session_key.into()));
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
                nested_types(&field.ty, Direction::Request, &mut nested, &SerializeAnswers::Never);
                (value_type(&field.ty), format!("Sent as the query parameter `{}`.", field.wire_name))
            }
            Carrier::File(file) => (quote!(crate::runtime::Upload), format!("Sent as the file part `{}` of a multipart body.", file.name)),
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
        quote!(#[derive(Debug, Clone, PartialEq, crate::runtime::Serialize)] #[serde(crate = "crate::runtime::serde", untagged)])
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
        nested_types(&field.ty, Direction::Request, nested, &SerializeAnswers::Never);
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
                out.extend(object(&o.name, &o.fields, Direction::Shared, doc, &SerializeAnswers::Never));
            }
            other => nested_types(other, Direction::Shared, &mut out, &SerializeAnswers::Never),
        }
    }
    out
}

/// Emits the structs and enums a field type needs, depth first.
fn nested_types(ty: &Type, direction: Direction, out: &mut TokenStream, answers: &SerializeAnswers) {
    match ty {
        Type::Object(o) => {
            let doc = docs::lines(&[format!("The `{}` object.", o.name)]);
            out.extend(object(&o.name, &o.fields, direction, doc, answers));
        }
        Type::Array(item) | Type::Map(item) => nested_types(item, direction, out, answers),
        Type::Enum(e) => out.extend(enumeration(e)),
        _ => {}
    }
}

/// An enum with an `Other` fallback, so values the spec does not list yet
/// neither fail decoding nor block a caller: an invocation of the
/// runtime's `string_enum!` or `int_enum!`, which write what all such
/// enums share.
fn enumeration(e: &EnumType) -> TokenStream {
    let name = ident(&e.name);
    let variants = e.variants.iter().map(|v| {
        let variant = ident(&v.name);
        let (wire, value) = match &v.value {
            EnumValue::Str(s) => (format!("`{s}`"), quote!(#s)),
            EnumValue::Int(i) => (format!("`{i}`"), super::int_literal(*i)),
        };
        let text = match &v.doc {
            Some(doc) => format!("{wire}: {}", docs::spec_text(doc)),
            None => format!("{wire}."),
        };
        let doc = docs::lines(&[text]);
        quote! { #doc #variant = #value; }
    });
    let doc = docs::lines(&[format!("Values of `{}`.", e.name)]);
    let kind = if e.int.is_some() { quote!(int_enum) } else { quote!(string_enum) };
    quote! {
        crate::runtime::#kind! {
            #doc
            pub enum #name {
                #(#variants)*
            }
        }
    }
}
