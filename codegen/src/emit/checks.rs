//! The client-side checks of documented limits: a `check_at` method on
//! each request type (and nested object) that has limits somewhere inside.

use proc_macro2::TokenStream;
use quote::quote;

use super::ident;
use crate::ir::{Constraints, Field, FieldSource, Type};

/// Whether `fields` hold a limit anywhere, nested objects and items included.
pub fn has_constraints(fields: &[Field]) -> bool {
    fields.iter().any(|f| f.source == FieldSource::Caller && (!f.constraints.is_empty() || type_has_constraints(&f.ty)))
}

fn type_has_constraints(ty: &Type) -> bool {
    match ty.resolved() {
        Type::Object(o) => has_constraints(&o.fields),
        Type::Array(item) => type_has_constraints(item),
        _ => false,
    }
}

fn opt_u64(v: Option<u64>) -> TokenStream {
    match v {
        Some(v) => {
            let v = proc_macro2::Literal::u64_unsuffixed(v);
            quote!(Some(#v))
        }
        None => quote!(None),
    }
}

fn opt_f64(v: Option<f64>) -> TokenStream {
    match v {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    }
}

/// Checks of one value (`value: &T`) named `name` below `parent`.
fn value_checks(ty: &Type, c: &Constraints, name: &str, value: TokenStream) -> TokenStream {
    let mut out = TokenStream::new();
    match ty.resolved() {
        Type::String | Type::Secret => {
            let text = if matches!(ty, Type::Secret) { quote!(#value.expose()) } else { quote!(#value) };
            if c.min_length.is_some() || c.max_length.is_some() {
                let (min, max) = (opt_u64(c.min_length), opt_u64(c.max_length));
                out.extend(quote! { crate::runtime::check::length(parent, #name, #text, #min, #max)?; });
            }
            if let Some(max) = c.max_bytes {
                out.extend(quote! { crate::runtime::check::bytes(parent, #name, #text, #max)?; });
            }
            if let Some(chars) = &c.chars {
                let ranges: String =
                    crate::chars::parse(chars).unwrap_or_default().into_iter().flat_map(|(low, high)| [low, high]).collect();
                out.extend(quote! { crate::runtime::check::chars(parent, #name, #text, #ranges, #chars)?; });
            }
        }
        Type::Int(_) | Type::Float if c.minimum.is_some() || c.maximum.is_some() => {
            let (min, max) = (opt_f64(c.minimum), opt_f64(c.maximum));
            let number = if matches!(ty, Type::Float) { quote!(*#value) } else { quote!(*#value as f64) };
            out.extend(quote! { crate::runtime::check::range(parent, #name, #number, #min, #max)?; });
        }
        Type::Array(item) => {
            if c.min_items.is_some() || c.max_items.is_some() {
                let (min, max) = (opt_u64(c.min_items), opt_u64(c.max_items));
                out.extend(quote! { crate::runtime::check::items(parent, #name, #value.len(), #min, #max)?; });
            }
            let default = Constraints::default();
            let item_constraints = c.item.as_deref().unwrap_or(&default);
            if !item_constraints.is_empty() || type_has_constraints(item) {
                let inner = value_checks(item, item_constraints, "", quote!(item));
                out.extend(quote! {
                    for (index, item) in #value.iter().enumerate() {
                        let path = crate::runtime::check::item_path(parent, #name, index);
                        let parent = path.as_str();
                        #inner
                    }
                });
            }
        }
        Type::Object(o) if has_constraints(&o.fields) => {
            out.extend(quote! {
                let path = if parent.is_empty() { #name.to_owned() } else { format!("{parent}.{}", #name) };
                #value.check_at(&path)?;
            });
        }
        _ => {}
    }
    out
}

/// The body of `check_at(&self, parent: &str)` for `fields`.
pub fn checks(fields: &[Field]) -> TokenStream {
    let mut out = TokenStream::new();
    for field in fields.iter().filter(|f| f.source == FieldSource::Caller) {
        if field.constraints.is_empty() && !type_has_constraints(&field.ty) {
            continue;
        }
        let rust = ident(&field.rust_name);
        let checks = value_checks(&field.ty, &field.constraints, &field.wire_name, quote!(value));
        if checks.is_empty() {
            continue;
        }
        out.extend(if field.required {
            quote! { { let value = &self.#rust; #checks } }
        } else {
            quote! { if let Some(value) = &self.#rust { #checks } }
        });
    }
    out
}

/// `fn check_at` for a type whose fields hold limits (nothing otherwise).
pub fn check_method(fields: &[Field]) -> TokenStream {
    if !has_constraints(fields) {
        return quote!();
    }
    let body = checks(fields);
    quote! {
        /// Checks the documented limits of every field; `parent` is this
        /// value's path in the request (empty at the top).
        #[inline]
        pub(crate) fn check_at(&self, parent: &str) -> Result<(), crate::runtime::PrepareError> {
            #body
            Ok(())
        }
    }
}
