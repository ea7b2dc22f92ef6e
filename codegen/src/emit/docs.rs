//! Rustdoc text for generated items.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::{Auth, Endpoint, ErrorCode, HttpMethod, RetryKind};

/// `#[doc]` attributes, one per line, so prettyplease prints `///` lines.
pub fn lines(lines: &[String]) -> TokenStream {
    let attrs = lines.iter().flat_map(|l| l.split('\n')).map(|line| {
        let text = if line.is_empty() { String::new() } else { format!(" {line}") };
        quote! { #[doc = #text] }
    });
    quote! { #(#attrs)* }
}

/// Spec text made safe for rustdoc: square brackets would be read as
/// intra-doc links.
pub fn spec_text(text: &str) -> String {
    text.replace('[', "\\[").replace(']', "\\]")
}

pub fn method_name(method: HttpMethod) -> &'static str {
    match method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
    }
}

pub fn retry_name(retry: RetryKind) -> &'static str {
    match retry {
        RetryKind::None => "none",
        RetryKind::Transient => "transient",
        RetryKind::Throttle => "throttle",
        RetryKind::RefreshToken => "refresh token",
    }
}

/// The client method's documentation: summary, call shape, link, notes and
/// the error table.
pub fn endpoint(endpoint: &Endpoint, errors: &[ErrorCode]) -> Vec<String> {
    let mut out = vec![spec_text(&endpoint.summary), String::new()];
    out.push(format!("`{} {}` · [official documentation]({})", method_name(endpoint.http_method), endpoint.path, endpoint.docs_url));
    out.push(String::new());
    let mut facts = vec![match endpoint.auth {
        Auth::AccessToken => "Authenticated with the client's access token.".to_owned(),
        Auth::None => "Sent without an access token.".to_owned(),
    }];
    facts.push(if endpoint.retry_safe {
        "Safe to retry.".to_owned()
    } else {
        "Not safe to retry: the client never sends it twice after an ambiguous failure.".to_owned()
    });
    if let Some(cloud) = &endpoint.cloud {
        facts.push(format!("Cloud call: `{cloud}`."));
    }
    out.push(facts.join(" "));
    if let Some(notes) = &endpoint.notes {
        out.push(String::new());
        out.extend(notes.lines().map(spec_text));
    }
    out.push(String::new());
    out.push("# Errors".to_owned());
    out.push(String::new());
    out.push("Transport, timeout, decoding and token failures as [`crate::Error`]; WeChat's error codes as its `Api` variant:".to_owned());
    out.push(String::new());
    out.push("| errcode | variant | meaning | retry |".to_owned());
    out.push("| --- | --- | --- | --- |".to_owned());
    for e in errors {
        out.push(format!("| {} | `{}` | {} | {} |", e.code, e.name, spec_text(&e.doc).replace('|', "\\|"), retry_name(e.retry)));
    }
    out.push("| other | `Common` or `Unknown` | a code from the shared table, or one no spec lists | as the table says |".to_owned());
    out
}
