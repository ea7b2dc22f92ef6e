//! Tokens → formatted Rust text, with the "generated, do not edit" header.

use quote::ToTokens;

use crate::emit::FileJob;

/// A finished output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path below the output folder, `/`-separated.
    pub path: String,
    /// Full text.
    pub contents: String,
}

fn header(source: &str, regenerate: &str) -> String {
    format!("{} from {source}. Do not edit by hand:\n// change the spec and {regenerate}.\n\n", crate::write::GENERATED_MARKER)
}

/// Formats one file. An error here is a generator bug: the tokens did not parse.
pub fn format_file(file: &FileJob<'_>) -> Result<GeneratedFile, String> {
    let mut syntax: syn::File =
        syn::parse2(file.tokens()).map_err(|e| format!("generated code for {} does not parse: {e}", file.source))?;
    let printed = take_row_macros(&mut syntax);
    let mut contents = header(&file.source, file.regenerate_hint());
    contents.push_str(&put_back(&prettyplease::unparse(&syntax), &printed));
    Ok(GeneratedFile { path: file.path.clone(), contents })
}

/// Formats all files, spread over the available cores; output order is the
/// input order.
pub fn format_all(files: &[FileJob<'_>]) -> Result<Vec<GeneratedFile>, String> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(files.len().max(1));
    let chunk = files.len().div_ceil(threads).max(1);
    let results: Vec<Result<Vec<GeneratedFile>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            files.chunks(chunk).map(|part| scope.spawn(move || part.iter().map(format_file).collect::<Result<Vec<_>, _>>())).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|payload| {
                    // Keep the panic's message: the report must say what broke.
                    let message = payload
                        .downcast_ref::<&str>()
                        .map(|m| (*m).to_owned())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    Err(format!("formatting thread panicked: {message}"))
                })
            })
            .collect()
    });
    let mut out = Vec::with_capacity(files.len());
    for part in results {
        out.extend(part?);
    }
    Ok(out)
}

/// The runtime's macros whose invocations are printed here rather than by
/// prettyplease, which leaves a macro's body on as few lines as it can.
const ROW_MACROS: &[&str] = &["answer_object", "api_error", "common_error", "string_enum", "int_enum", "setters"];

/// Takes the invocations of [`ROW_MACROS`] out of `syntax`, leaving a
/// marker item in the place of each, and returns them printed one row a
/// line, doc attributes as `///` comments.
fn take_row_macros(syntax: &mut syn::File) -> Vec<String> {
    let mut printed = Vec::new();
    for item in &mut syntax.items {
        match item {
            syn::Item::Macro(item_macro) if item_macro.ident.is_none() => {
                if let Some(text) = print_row_macro(&item_macro.mac, 0) {
                    let marker = marker(printed.len());
                    *item = syn::parse_quote!(const #marker: () = (););
                    printed.push(text);
                }
            }
            syn::Item::Impl(item_impl) => {
                for impl_item in &mut item_impl.items {
                    let syn::ImplItem::Macro(impl_macro) = impl_item else { continue };
                    if let Some(text) = print_row_macro(&impl_macro.mac, 1) {
                        let marker = marker(printed.len());
                        *impl_item = syn::parse_quote!(const #marker: () = (););
                        printed.push(text);
                    }
                }
            }
            _ => {}
        }
    }
    printed
}

/// An invocation of one of [`ROW_MACROS`], printed at `depth`.
fn print_row_macro(mac: &syn::Macro, depth: usize) -> Option<String> {
    if !mac.path.segments.last().is_some_and(|s| ROW_MACROS.iter().any(|m| s.ident == m)) {
        return None;
    }
    let indent = "    ".repeat(depth);
    let path = mac.path.to_token_stream().to_string().replace(' ', "");
    let mut text = format!("{indent}{path}! {{\n");
    print_rows(mac.tokens.clone(), depth + 1, &mut text);
    text.push_str(&format!("{indent}}}\n"));
    Some(text)
}

fn marker(index: usize) -> proc_macro2::Ident {
    quote::format_ident!("__WXA_PRINTED_MACRO_{}", index)
}

/// Puts the printed invocations back where their markers are.
fn put_back(text: &str, printed: &[String]) -> String {
    let mut out = String::with_capacity(text.len() + printed.iter().map(String::len).sum::<usize>());
    for line in text.lines() {
        let index = line
            .trim_start()
            .strip_prefix("const __WXA_PRINTED_MACRO_")
            .and_then(|rest| rest.split(':').next())
            .and_then(|n| n.parse::<usize>().ok());
        match index.and_then(|i| printed.get(i)) {
            Some(invocation) => out.push_str(invocation),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// Prints a macro body: a line per row (ending in `;`), a `{ … }` group
/// indented, `#[doc = "…"]` as `///` lines.
fn print_rows(tokens: proc_macro2::TokenStream, depth: usize, out: &mut String) {
    use proc_macro2::{Delimiter, TokenTree};
    let indent = "    ".repeat(depth);
    let mut line = String::new();
    let mut trees = tokens.into_iter().peekable();
    while let Some(tree) = trees.next() {
        match &tree {
            TokenTree::Punct(p) if p.as_char() == '#' => {
                if let Some(TokenTree::Group(attr)) = trees.next() {
                    match doc_text(&attr) {
                        Some(doc) => out.push_str(&format!("{indent}///{doc}\n")),
                        None => out.push_str(&format!("{indent}#[{}]\n", tokens_text(attr.stream()))),
                    }
                }
            }
            TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => {
                out.push_str(&format!("{indent}{} {{\n", line.trim_end()));
                line.clear();
                print_rows(group.stream(), depth + 1, out);
                out.push_str(&format!("{indent}}}\n"));
            }
            TokenTree::Punct(p) if p.as_char() == ';' => {
                line.push(';');
                out.push_str(&format!("{indent}{line}\n"));
                line.clear();
            }
            TokenTree::Punct(p) => {
                let mut operator = p.as_char().to_string();
                let mut spacing = p.spacing();
                while spacing == proc_macro2::Spacing::Joint {
                    match trees.peek() {
                        Some(TokenTree::Punct(next)) => {
                            operator.push(next.as_char());
                            spacing = next.spacing();
                            trees.next();
                        }
                        _ => break,
                    }
                }
                push_piece(&mut line, &operator);
            }
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    _ => ("", ""),
                };
                let inner = format!("{open}{}{close}", tokens_text(group.stream()));
                // A call's parentheses follow their name.
                if open == "(" && line.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                    line.push_str(&inner);
                } else {
                    push_piece(&mut line, &inner);
                }
            }
            other => push_piece(&mut line, &other.to_string()),
        }
    }
    if !line.trim().is_empty() {
        out.push_str(&format!("{indent}{}\n", line.trim_end()));
    }
}

/// Appends a token's text with the spacing Rust is written with: none
/// around `::`, none before `,`, `;` and `:`, none inside `<…>`, none
/// after a unary minus.
fn push_piece(line: &mut String, piece: &str) {
    let unary_minus = line.ends_with(" -") && {
        let before = line[..line.len() - 2].trim_end();
        before.is_empty() || before.ends_with(['=', '>', '(', ','])
    };
    // Type arguments (`impl Into<String>`) and a field's `name: Type` read
    // as Rust is written: `<`, `>` and a single `:` glued to their left,
    // and nothing after `<`.
    let generic = piece == "<" || piece == ">" || line.ends_with('<');
    let glued = line.is_empty()
        || line.ends_with("::")
        || line.ends_with('(')
        || piece == "::"
        || matches!(piece, "," | ";" | ":")
        || generic
        || unary_minus;
    if !glued {
        line.push(' ');
    }
    line.push_str(piece);
}

/// A token stream on one line.
fn tokens_text(tokens: proc_macro2::TokenStream) -> String {
    let mut printed = String::new();
    print_rows(tokens, 0, &mut printed);
    printed.lines().collect::<Vec<_>>().join(" ")
}

/// The text of a `[doc = "…"]` attribute body.
fn doc_text(attr: &proc_macro2::Group) -> Option<String> {
    let meta: syn::Meta = syn::parse2(attr.stream()).ok()?;
    let syn::Meta::NameValue(name_value) = meta else { return None };
    if !name_value.path.is_ident("doc") {
        return None;
    }
    match name_value.value {
        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }) => Some(text.value()),
        _ => None,
    }
}
