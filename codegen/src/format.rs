//! Tokens → formatted Rust text, with the "generated, do not edit" header.

use crate::emit::FileJob;

/// A finished output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path below the output folder, `/`-separated.
    pub path: String,
    /// Full text.
    pub contents: String,
}

fn header(source: &str) -> String {
    format!(
        "{} from {source}. Do not edit by hand:\n\
         // change the spec and run `cargo run -p wxa-codegen -- generate`.\n\n",
        crate::write::GENERATED_MARKER
    )
}

/// Formats one file. An error here is a generator bug: the tokens did not parse.
pub fn format_file(file: &FileJob<'_>) -> Result<GeneratedFile, String> {
    let syntax: syn::File = syn::parse2(file.tokens()).map_err(|e| format!("generated code for {} does not parse: {e}", file.source))?;
    let mut contents = header(&file.source);
    contents.push_str(&prettyplease::unparse(&syntax));
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
