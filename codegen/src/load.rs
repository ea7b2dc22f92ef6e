//! Reading spec files: from a folder (the only I/O of the pipeline before
//! writing) and from text into the spec model.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::spec::{EndpointSpec, EventSpec, GlobalErrorsSpec, TypesFileSpec};

/// The name of the shared error table at the root of the spec folder.
pub const GLOBAL_ERRORS_FILE: &str = "errors.yaml";

/// The name of a file of named types: at the root for the whole API, in a
/// category folder for that category.
pub const TYPES_FILE: &str = "types.yaml";

/// The folder of a category that holds its pushed events, one file each.
pub const EVENTS_DIR: &str = "events";

/// One spec file's text, before parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Path relative to the spec root, `/`-separated (`login/code2_session.yaml`).
    pub path: String,
    /// The file's text.
    pub text: String,
}

/// A parsed file with where it came from.
#[derive(Debug, Clone)]
pub(crate) struct LoadedFile<T> {
    pub file: FileInfo,
    pub spec: T,
}

#[derive(Debug, Clone)]
pub(crate) struct FileInfo {
    pub path: String,
    pub stem: String,
    pub category: String,
    pub text: String,
}

/// Every spec file parsed, with the problems met while parsing.
#[derive(Debug, Clone, Default)]
pub(crate) struct SpecSet {
    pub endpoints: Vec<LoadedFile<EndpointSpec>>,
    pub global_errors: Option<LoadedFile<GlobalErrorsSpec>>,
    /// `types.yaml` files; `file.category` is empty for the root one.
    pub types: Vec<LoadedFile<TypesFileSpec>>,
    /// `<category>/events/*.yaml`: pushed messages and events.
    pub events: Vec<LoadedFile<EventSpec>>,
    pub diagnostics: Diagnostics,
}

/// Reads every `.yaml`/`.yml` file below `root`, sorted by path, so the
/// result does not depend on the order the file system lists them in. A
/// file that is not UTF-8 fails the whole read; [`read_dir_checked`] makes
/// it a diagnostic instead.
pub fn read_dir(root: &Path) -> std::io::Result<Vec<SourceFile>> {
    read_files(root)?
        .into_iter()
        .map(|(path, bytes)| {
            String::from_utf8(bytes)
                .map(|text| SourceFile { path: path.clone(), text })
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{path}: not UTF-8")))
        })
        .collect()
}

/// Like [`read_dir`], but a file that is not UTF-8 is reported as a
/// problem at its first invalid byte, the way a YAML syntax error is, and
/// read with the invalid bytes replaced by U+FFFD so that the rest of the
/// set is still checked (and the file's other problems found).
pub fn read_dir_checked(root: &Path) -> std::io::Result<(Vec<SourceFile>, Diagnostics)> {
    let mut sources = Vec::new();
    let mut diagnostics = Diagnostics::default();
    for (path, bytes) in read_files(root)? {
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                let valid_up_to = error.utf8_error().valid_up_to();
                let bytes = error.into_bytes();
                let valid = std::str::from_utf8(&bytes[..valid_up_to]).unwrap_or_default();
                let line_start = valid.rfind('\n').map_or(0, |i| i + 1);
                diagnostics.push(Diagnostic {
                    file: path.clone(),
                    line: valid.matches('\n').count() + 1,
                    column: valid[line_start..].chars().count() + 1,
                    key_path: String::new(),
                    message: "the file is not UTF-8 text".to_owned(),
                });
                String::from_utf8_lossy(&bytes).into_owned()
            }
        };
        sources.push(SourceFile { path, text });
    }
    Ok((sources, diagnostics))
}

/// Every spec file below `root` as (relative `/`-separated path, bytes),
/// sorted by path.
fn read_files(root: &Path) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
                let relative = path.strip_prefix(root).unwrap_or(&path);
                let relative = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                files.push((relative, std::fs::read(&path)?));
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// Parses sources into the spec model, noting syntax problems.
/// `errors_required`: the folder must have its own shared error table
/// (wxa's specs do; a downstream crate's may use wxa's).
pub(crate) fn parse(sources: &[SourceFile], errors_required: bool) -> SpecSet {
    let mut set = SpecSet::default();
    for source in sources {
        let parts: Vec<&str> = source.path.split('/').collect();
        let file_name = parts.last().copied().unwrap_or_default();
        let stem = file_name.rsplit_once('.').map_or(file_name, |(stem, _)| stem).to_owned();
        let info = |category: &str| FileInfo {
            path: source.path.clone(),
            stem: stem.clone(),
            category: category.to_owned(),
            text: source.text.clone(),
        };
        match parts.as_slice() {
            [name] if *name == GLOBAL_ERRORS_FILE => {
                if let Some(spec) = parse_one::<GlobalErrorsSpec>(source, &mut set.diagnostics) {
                    set.global_errors = Some(LoadedFile { file: info(""), spec });
                }
            }
            [name] if *name == TYPES_FILE => {
                if let Some(spec) = parse_one::<TypesFileSpec>(source, &mut set.diagnostics) {
                    set.types.push(LoadedFile { file: info(""), spec });
                }
            }
            [category, name] if *name == TYPES_FILE => {
                if let Some(spec) = parse_one::<TypesFileSpec>(source, &mut set.diagnostics) {
                    set.types.push(LoadedFile { file: info(category), spec });
                }
            }
            [category, dir, _] if *dir == EVENTS_DIR => {
                if let Some(spec) = parse_one::<EventSpec>(source, &mut set.diagnostics) {
                    set.events.push(LoadedFile { file: info(category), spec });
                }
            }
            [category, _] => {
                if let Some(spec) = parse_one::<EndpointSpec>(source, &mut set.diagnostics) {
                    set.endpoints.push(LoadedFile { file: info(category), spec });
                }
            }
            _ => set.diagnostics.push(Diagnostic {
                file: source.path.clone(),
                line: 0,
                column: 0,
                key_path: String::new(),
                message: format!(
                    "spec files live at `<category>/<name>.yaml` (events at `<category>/{EVENTS_DIR}/<name>.yaml`); only `{GLOBAL_ERRORS_FILE}` and `{TYPES_FILE}` stand at the root"
                ),
            }),
        }
    }
    if errors_required && set.global_errors.is_none() && !sources.iter().any(|s| s.path == GLOBAL_ERRORS_FILE) {
        set.diagnostics.push(Diagnostic {
            file: GLOBAL_ERRORS_FILE.to_owned(),
            line: 0,
            column: 0,
            key_path: String::new(),
            message: "the shared error table is missing".to_owned(),
        });
    }
    set
}

fn parse_one<T: DeserializeOwned>(source: &SourceFile, diagnostics: &mut Diagnostics) -> Option<T> {
    if source.text.trim().is_empty() {
        diagnostics.push(Diagnostic {
            file: source.path.clone(),
            line: 1,
            column: 1,
            key_path: String::new(),
            message: "the file is empty".to_owned(),
        });
        return None;
    }
    match serde_yaml::from_str::<T>(&source.text) {
        Ok(spec) => Some(spec),
        Err(error) => {
            let (line, column) = error.location().map_or((1, 1), |l| within(&source.text, l.line(), l.column()));
            let mut message = error.to_string();
            // The library appends " at line L column C"; the position is already in front.
            if let Some(cut) = message.find(" at line ") {
                message.truncate(cut);
            }
            diagnostics.push(Diagnostic {
                file: source.path.clone(),
                line,
                column,
                key_path: String::new(),
                message: format!("invalid YAML for a spec: {message}"),
            });
            None
        }
    }
}

/// `line:column` moved inside `text`: the YAML library reports an error at
/// the end of a file that lacks a last newline on the line after it, which
/// an editor cannot go to.
fn within(text: &str, line: usize, column: usize) -> (usize, usize) {
    let lines: Vec<&str> = text.split('\n').collect();
    let last = lines.len();
    let width = |line: usize| lines[line - 1].chars().count();
    if line > last {
        // Past the end: the end of the last line.
        return (last, width(last) + 1);
    }
    let line = line.max(1);
    (line, column.clamp(1, width(line) + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_point_inside_the_file() {
        assert_eq!(within("name: x\n{a: ", 3, 1), (2, 5));
        assert_eq!(within("name: x\n", 2, 1), (2, 1));
        assert_eq!(within("a\nbc\n", 2, 9), (2, 3));
        assert_eq!(within("", 1, 1), (1, 1));
    }
}
