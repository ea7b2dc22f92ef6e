//! Reading spec files: from a folder (the only I/O of the pipeline before
//! writing) and from text into the spec model.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::spec::{EndpointSpec, GlobalErrorsSpec};

/// The name of the shared error table at the root of the spec folder.
pub const GLOBAL_ERRORS_FILE: &str = "errors.yaml";

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
    pub diagnostics: Diagnostics,
}

/// Reads every `.yaml`/`.yml` file below `root`, sorted by path, so the
/// result does not depend on the order the file system lists them in.
pub fn read_dir(root: &Path) -> std::io::Result<Vec<SourceFile>> {
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
                let bytes = std::fs::read(&path)?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{relative}: not UTF-8")))?;
                files.push(SourceFile { path: relative, text });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Parses sources into the spec model, noting syntax problems.
pub(crate) fn parse(sources: &[SourceFile]) -> SpecSet {
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
                message: format!("spec files live at `<category>/<name>.yaml`; only `{GLOBAL_ERRORS_FILE}` stands at the root"),
            }),
        }
    }
    if set.global_errors.is_none() && !sources.iter().any(|s| s.path == GLOBAL_ERRORS_FILE) {
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
            let (line, column) = error.location().map_or((1, 1), |l| (l.line(), l.column()));
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
