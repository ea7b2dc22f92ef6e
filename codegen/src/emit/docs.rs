//! Rustdoc text for generated items.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::{Auth, Endpoint, ErrorCode, HttpMethod, RetryKind};

/// `#[doc]` attributes, one per line, so prettyplease prints `///` lines.
/// A carriage return ends a line too: one left inside a `///` comment is a
/// "bare CR", which Rust rejects.
pub fn lines(lines: &[String]) -> TokenStream {
    let attrs = lines.iter().flat_map(|l| l.split("\r\n").flat_map(|l| l.split(['\n', '\r']))).map(|line| {
        let text = if line.is_empty() { String::new() } else { format!(" {line}") };
        quote! { #[doc = #text] }
    });
    quote! { #(#attrs)* }
}

/// Lines that continue a Markdown list item get the item's indentation,
/// so notes wrapped by hand render as one item (and clippy's
/// `doc_lazy_continuation` stays quiet).
fn indent_list_continuations(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut item_indent: Option<usize> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let leading = line.len() - trimmed.len();
        let marker = ["- ", "* ", "+ "].iter().any(|m| trimmed.starts_with(m))
            || trimmed.split_once(". ").is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if trimmed.is_empty() {
            item_indent = None;
            out.push(String::new());
        } else if marker {
            let width = if trimmed.starts_with(['-', '*', '+']) { 2 } else { trimmed.find(". ").map_or(3, |i| i + 2) };
            item_indent = Some(leading + width);
            out.push(line.to_owned());
        } else if let Some(indent) = item_indent.filter(|&i| leading < i) {
            out.push(format!("{}{trimmed}", " ".repeat(indent)));
        } else {
            out.push(line.to_owned());
        }
    }
    out
}

/// Spec text made safe for rustdoc: square brackets would be read as
/// intra-doc links.
pub fn spec_text(text: &str) -> String {
    let text = quote_bare_urls(&text.replace('[', "\\[").replace(']', "\\]"));
    // `<name>` placeholders would be read as HTML tags; autolinks stay.
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if c == '<' && !text[i..].starts_with("<http") {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Puts bare URLs in code spans: rustdoc warns about bare URLs, and spec
/// text often holds partial ones (`https://wxaurl.cn/...`).
fn quote_bare_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("http://").into_iter().chain(rest.find("https://")).min() {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let end = from.find(|c: char| c.is_whitespace() || matches!(c, ')' | '>' | '"' | '\'' | '`' | '，' | '。')).unwrap_or(from.len());
        let (url, after) = from.split_at(end);
        let url = url.trim_end_matches(['.', ',', ';', ':']);
        let quoted = before.ends_with('`') || before.ends_with('<') || before.ends_with("](");
        if quoted {
            out.push_str(url);
        } else {
            out.push('`');
            out.push_str(url);
            out.push('`');
        }
        rest = &from[url.len()..];
        let _ = after;
    }
    out.push_str(rest);
    out
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
        Auth::ComponentAccessToken => {
            "Authenticated with the third-party platform's component access token: call it through `Platform::component_client()`."
                .to_owned()
        }
        Auth::ComponentAccessTokenAsAccessToken => "Authenticated with the third-party platform's component access token, sent as \
             `access_token`: call it through `Platform::component_client()`."
            .to_owned(),
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
        out.extend(indent_list_continuations(notes).iter().map(|line| spec_text(line)));
    }
    out.push(String::new());
    out.push("# Errors".to_owned());
    out.push(String::new());
    out.push(
        "Transport, timeout, decoding and token failures as [`Error`](crate::runtime::Error); WeChat's error codes as its `Api` variant:"
            .to_owned(),
    );
    out.push(String::new());
    out.push("| errcode | variant | meaning | retry |".to_owned());
    out.push("| --- | --- | --- | --- |".to_owned());
    for e in errors {
        out.push(format!("| {} | `{}` | {} | {} |", e.code, e.name, spec_text(&e.doc).replace('|', "\\|"), retry_name(e.retry)));
    }
    out.push("| other | `Common` or `Unknown` | a code from the shared table, or one no spec lists | as the table says |".to_owned());
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn bare_urls_become_code_spans() {
        assert_eq!(super::spec_text("an https://wxaurl.cn/... address."), "an `https://wxaurl.cn/`... address.");
        assert_eq!(super::spec_text("see `https://a.b/c` or <https://x.y>"), "see `https://a.b/c` or <https://x.y>");
        assert_eq!(super::spec_text("[x](https://a.b)"), "\\[x\\](https://a.b)");
        assert_eq!(super::spec_text("form <name> - <n>"), "form \\<name> - \\<n>");
        assert_eq!(super::spec_text("the guide (https://a.b/c.html) says"), "the guide (`https://a.b/c.html`) says");
    }
}
