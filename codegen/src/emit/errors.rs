//! Error enums: the shared `CommonError` and one enum per endpoint. Both
//! are invocations of the runtime's macros, which hold everything the enums
//! share; the generated code lists only what the spec says: each code, its
//! variant, its meaning and its retry kind.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Context, docs, ident};
use crate::ir::{Endpoint, ErrorCode, RetryKind};

fn retry_ident(retry: RetryKind) -> proc_macro2::Ident {
    ident(match retry {
        RetryKind::None => "None",
        RetryKind::Transient => "Transient",
        RetryKind::Throttle => "Throttle",
        RetryKind::RefreshToken => "RefreshToken",
    })
}

/// `/// doc` `Name = code => Retry, is_name;` for each code.
fn rows(errors: &[ErrorCode]) -> Vec<TokenStream> {
    errors
        .iter()
        .map(|e| {
            let doc = docs::lines(&[format!("`{}`: {} (retry: {})", e.code, docs::spec_text(&e.doc), docs::retry_name(e.retry))]);
            let name = ident(&e.name);
            let code = super::int_literal(e.code);
            let retry = retry_ident(e.retry);
            let predicate = format_ident!("is_{}", crate::names::snake_case(&e.name));
            quote! { #doc #name = #code => #retry, #predicate; }
        })
        .collect()
}

/// The shared table, from `specs/errors.yaml`.
pub fn common_errors(errors: &[ErrorCode]) -> TokenStream {
    let rows = rows(errors);
    quote! {
        crate::runtime::common_error! {
            /// An error code from the shared table that any endpoint may return.
            pub enum CommonError {
                #(#rows)*
            }
        }
    }
}

/// The error enum of one endpoint: its own codes, `Common`, `Unknown`.
pub fn endpoint_error(endpoint: &Endpoint, cx: &Context) -> TokenStream {
    let name = format_ident!("{}Error", endpoint.type_prefix);
    let doc = docs::lines(&[
        format!("An error code returned by {}.", cx.method_link(endpoint)),
        String::new(),
        "Codes the endpoint documents have their own variants (their meaning here wins over the shared table); other known codes are `Common`; the rest `Unknown`.".to_owned(),
    ]);
    let rows = rows(&endpoint.errors);
    let common = cx.common_errors();
    quote! {
        crate::runtime::api_error! {
            common = #common;
            #doc
            pub enum #name {
                #(#rows)*
            }
        }
    }
}
