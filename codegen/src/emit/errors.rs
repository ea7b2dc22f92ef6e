//! Error enums: the shared `CommonError` and one enum per endpoint.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{docs, ident};
use crate::ir::{Endpoint, ErrorCode, RetryKind};

fn retry_tokens(retry: RetryKind) -> TokenStream {
    match retry {
        RetryKind::None => quote!(crate::RetryKind::None),
        RetryKind::Transient => quote!(crate::RetryKind::Transient),
        RetryKind::Throttle => quote!(crate::RetryKind::Throttle),
        RetryKind::RefreshToken => quote!(crate::RetryKind::RefreshToken),
    }
}

fn variant_doc(e: &ErrorCode) -> TokenStream {
    docs::lines(&[format!("`{}`: {} (retry: {})", e.code, docs::spec_text(&e.doc), docs::retry_name(e.retry))])
}

/// `snake_case` of a variant, for `is_*` methods.
fn predicate(name: &str) -> proc_macro2::Ident {
    format_ident!("is_{}", crate::names::snake_case(name))
}

/// The pieces both kinds of error enum have, one entry per code: the
/// variant declarations, the variant names, and the `is_*` predicates.
struct Variants {
    declarations: Vec<TokenStream>,
    names: Vec<proc_macro2::Ident>,
    predicates: Vec<TokenStream>,
}

fn variants(errors: &[ErrorCode]) -> Variants {
    let mut out = Variants { declarations: Vec::new(), names: Vec::new(), predicates: Vec::new() };
    for e in errors {
        let doc = variant_doc(e);
        let name = ident(&e.name);
        let method = predicate(&e.name);
        let predicate_doc = docs::lines(&[format!("Whether this is `{}` ({}).", e.name, e.code)]);
        out.declarations.push(quote! { #doc #name(crate::ErrorBody), });
        out.predicates.push(quote! { #predicate_doc pub fn #method(&self) -> bool { matches!(self, Self::#name(_)) } });
        out.names.push(name);
    }
    out
}

/// The shared table, from `specs/errors.yaml`.
pub fn common_errors(errors: &[ErrorCode]) -> TokenStream {
    let Variants { declarations: variants, names, predicates } = variants(errors);
    let from_code = errors.iter().map(|e| {
        let name = ident(&e.name);
        let code = super::int_literal(e.code);
        quote! { #code => Ok(Self::#name(body)), }
    });
    let name_strs = errors.iter().map(|e| e.name.as_str());
    let retries = errors.iter().map(|e| retry_tokens(e.retry));
    quote! {
        /// An error code from the shared table that any endpoint may return.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum CommonError {
            #(#variants)*
        }
        impl CommonError {
            /// The variant for `body.code`, or the body back when the table
            /// does not list the code.
            #[allow(clippy::result_large_err)]
            pub fn from_body(body: crate::ErrorBody) -> Result<Self, crate::ErrorBody> {
                match body.code {
                    #(#from_code)*
                    _ => Err(body),
                }
            }
            /// The errcode and errmsg as WeChat sent them.
            pub fn body(&self) -> &crate::ErrorBody {
                match self {
                    #(Self::#names(body))|* => body,
                }
            }
            /// The variant's name, for logs.
            pub fn name(&self) -> &'static str {
                match self {
                    #(Self::#names(_) => #name_strs,)*
                }
            }
            /// How the client treats this code.
            pub fn retry_kind(&self) -> crate::RetryKind {
                match self {
                    #(Self::#names(_) => #retries,)*
                }
            }
            #(#predicates)*
        }
    }
}

/// The error enum of one endpoint: its own codes, `Common`, `Unknown`.
pub fn endpoint_error(endpoint: &Endpoint) -> TokenStream {
    let name = format_ident!("{}Error", endpoint.type_prefix);
    let doc = docs::lines(&[
        format!("An error code returned by [`crate::Client::{}`].", endpoint.method_name),
        String::new(),
        "Codes the endpoint documents have their own variants (their meaning here wins over the shared table); other known codes are `Common`; the rest `Unknown`.".to_owned(),
    ]);
    let own = &endpoint.errors;
    let from_common = quote! {
        match super::common::CommonError::from_body(body) {
            Ok(common) => Self::Common(common),
            Err(body) => Self::Unknown(body),
        }
    };
    let from_body = if own.is_empty() {
        from_common
    } else {
        let arms = own.iter().map(|e| {
            let name = ident(&e.name);
            let code = super::int_literal(e.code);
            quote! { #code => Self::#name(body), }
        });
        quote! {
            match body.code {
                #(#arms)*
                _ => #from_common,
            }
        }
    };
    let Variants { declarations: variants, names, predicates } = variants(own);
    let name_strs = own.iter().map(|e| e.name.as_str());
    let retries = own.iter().map(|e| retry_tokens(e.retry));
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
            /// A code from the shared table (`specs/errors.yaml`).
            Common(super::common::CommonError),
            /// A code no spec lists; kept whole.
            Unknown(crate::ErrorBody),
        }
        impl #name {
            /// The errcode.
            pub fn code(&self) -> i64 {
                crate::ApiError::body(self).code
            }
            /// The errmsg, as WeChat sent it.
            pub fn message(&self) -> &str {
                &crate::ApiError::body(self).message
            }
            /// The request id WeChat put at the end of errmsg, if any.
            pub fn rid(&self) -> Option<&str> {
                crate::ApiError::body(self).rid()
            }
            /// How the client treats this error.
            pub fn retry_kind(&self) -> crate::RetryKind {
                crate::ApiError::retry_kind(self)
            }
            /// The variant's name, for logs.
            pub fn name(&self) -> &'static str {
                match self {
                    #(Self::#names(_) => #name_strs,)*
                    Self::Common(common) => common.name(),
                    Self::Unknown(_) => "Unknown",
                }
            }
            #(#predicates)*
        }
        impl crate::ApiError for #name {
            fn from_body(body: crate::ErrorBody) -> Self {
                #from_body
            }
            fn body(&self) -> &crate::ErrorBody {
                match self {
                    #(Self::#names(body) => body,)*
                    Self::Common(common) => common.body(),
                    Self::Unknown(body) => body,
                }
            }
            fn retry_kind(&self) -> crate::RetryKind {
                match self {
                    #(Self::#names(_) => #retries,)*
                    Self::Common(common) => common.retry_kind(),
                    Self::Unknown(_) => crate::RetryKind::None,
                }
            }
            fn is_documented(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }
        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let body = crate::ApiError::body(self);
                write!(f, "{} ({})", body, self.name())
            }
        }
        impl std::error::Error for #name {}
    }
}
