//! Emitters name the runtime as `crate::runtime::…`, which is right inside
//! wxa. For another crate the same tokens are rewritten here to name the
//! runtime through the configured crate path (`wxa::runtime::…`), so no
//! emitter needs to know which crate it writes for.

use proc_macro2::{Group, Literal, Spacing, TokenStream, TokenTree};

/// `tokens` with every `crate::runtime` path (also inside string literals,
/// as in serde attributes and doc links) moved under `crate_path`.
/// Unchanged when `crate_path` is `crate`.
pub fn relocate(tokens: TokenStream, crate_path: &str) -> TokenStream {
    if crate_path == "crate" {
        return tokens;
    }
    let replacement: TokenStream = crate_path.parse().unwrap_or_else(|_| panic!("`{crate_path}` is not a Rust path"));
    rewrite(tokens, &replacement, crate_path)
}

fn rewrite(tokens: TokenStream, replacement: &TokenStream, crate_path: &str) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(trees.len());
    let mut i = 0;
    while i < trees.len() {
        match &trees[i] {
            TokenTree::Ident(ident) if ident == "crate" && names_runtime(&trees[i + 1..]) => {
                out.extend(replacement.clone());
            }
            TokenTree::Group(group) => {
                let mut new = Group::new(group.delimiter(), rewrite(group.stream(), replacement, crate_path));
                new.set_span(group.span());
                out.push(TokenTree::Group(new));
            }
            TokenTree::Literal(literal) => out.push(TokenTree::Literal(rewrite_literal(literal, crate_path))),
            other => out.push(other.clone()),
        }
        i += 1;
    }
    out.into_iter().collect()
}

/// Whether the trees start `::runtime`.
fn names_runtime(rest: &[TokenTree]) -> bool {
    matches!(rest, [TokenTree::Punct(a), TokenTree::Punct(b), TokenTree::Ident(name), ..]
        if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':' && name == "runtime")
}

/// A string literal naming `crate::runtime::` (a serde attribute, a doc
/// link) names the runtime through `crate_path` instead.
fn rewrite_literal(literal: &Literal, crate_path: &str) -> Literal {
    let text = literal.to_string();
    if !text.contains("crate::runtime::") && !text.contains(CLIENT_LINK) {
        return literal.clone();
    }
    match syn::parse_str::<syn::LitStr>(&text) {
        Ok(string) => {
            let value = unlink_client_methods(&string.value()).replace("crate::runtime::", &format!("{crate_path}::runtime::"));
            let mut new = Literal::string(&value);
            new.set_span(literal.span());
            new
        }
        Err(_) => literal.clone(),
    }
}

/// How docs inside wxa link a client method.
const CLIENT_LINK: &str = "[`crate::Client::";

/// Elsewhere the methods are the extension trait's, not `Client`'s: the
/// link `[`crate::Client::name`]` becomes plain `name`.
fn unlink_client_methods(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(CLIENT_LINK) {
        out.push_str(&rest[..at]);
        let after = &rest[at + CLIENT_LINK.len()..];
        match after.find("`]") {
            Some(end) => {
                out.push('`');
                out.push_str(&after[..end]);
                out.push('`');
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(CLIENT_LINK);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    #[test]
    fn moves_runtime_paths_and_serde_strings_only() {
        let tokens = quote! {
            impl crate::runtime::Operation for X {
                #[serde(deserialize_with = "crate::runtime::lenient::int")]
                fn f() -> crate::api::Y { crate::runtime::call(self, r) }
            }
        };
        let moved = relocate(tokens, "::wxa").to_string();
        assert!(moved.contains(":: wxa :: runtime :: Operation"), "{moved}");
        assert!(moved.contains("\"::wxa::runtime::lenient::int\""), "{moved}");
        let doc = relocate(
            quote!(
                #[doc = " See [`Media`](crate::runtime::Media)."]
                struct S;
            ),
            "wxa",
        )
        .to_string();
        assert!(doc.contains("(wxa::runtime::Media)"), "{doc}");
        let doc = relocate(
            quote!(
                #[doc = " Parameters of [`crate::Client::get_x`]."]
                struct S;
            ),
            "wxa",
        )
        .to_string();
        assert!(doc.contains("Parameters of `get_x`."), "{doc}");
        assert!(moved.contains("crate :: api :: Y"), "other crate paths stay: {moved}");
        assert!(!moved.contains("crate :: runtime"), "{moved}");
    }

    #[test]
    fn inside_wxa_nothing_changes() {
        let tokens = quote!(crate::runtime::Media);
        assert_eq!(relocate(tokens.clone(), "crate").to_string(), tokens.to_string());
    }
}
