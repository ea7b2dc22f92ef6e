//! wxa-codegen turns the YAML endpoint specs of `specs/` into the Rust glue
//! of the `wxa` client.
//!
//! The pipeline: [`load`] reads text into the spec model, `validate`
//! checks it (every problem at once, with `file:line:column`) and lowers it
//! to an IR, `emit` turns the IR into tokens, `format` pretty-prints them,
//! and [`write`](mod@write) puts them on disk: nothing when nothing changed,
//! otherwise the whole output folder at once, so that an interrupted run
//! never leaves a mix. Everything up to formatting is pure, so `build.rs`,
//! the CLI, tests and benchmarks share it and only the edges do I/O.

#![warn(missing_docs)]

#[cfg(feature = "catalog")]
mod catalog;
mod chars;
pub mod diagnostics;
mod emit;
mod format;
mod ir;
pub mod load;
pub mod locate;
mod names;
mod spec;
pub mod synthetic;
mod validate;
pub mod write;

use std::collections::BTreeMap;
use std::path::Path;

pub use diagnostics::{Diagnostic, Diagnostics};
pub use format::GeneratedFile;
pub use load::SourceFile;

/// The result of a generation: the files and a summary of what they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    /// Every output file, in a stable order.
    pub files: Vec<GeneratedFile>,
    /// Endpoint count per category, sorted by category.
    pub endpoints_per_category: BTreeMap<String, usize>,
    /// Number of codes in the shared error table.
    pub common_errors: usize,
}

impl Generation {
    /// Total number of endpoints.
    pub fn endpoint_count(&self) -> usize {
        self.endpoints_per_category.values().sum()
    }
}

/// Why a generation from a folder failed.
#[derive(Debug)]
pub enum GenerateError {
    /// The folder could not be read.
    Io(std::io::Error),
    /// The specs have problems; nothing was generated.
    Invalid(Diagnostics),
}

impl std::fmt::Display for GenerateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GenerateError::Io(e) => write!(f, "cannot read the specs: {e}"),
            GenerateError::Invalid(d) => write!(f, "{d}"),
        }
    }
}

impl std::error::Error for GenerateError {}

/// What the generated code is for: where it sits and which crate's runtime
/// it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Where the files sit below `OUT_DIR` (the `include!` paths of the
    /// module tree point there); empty for `OUT_DIR` itself. Also the name
    /// of the module the crate includes `mod.rs` in (`crate::api`).
    pub include_dir: String,
    /// How the generated code names the wxa crate: `crate` inside wxa,
    /// `wxa` (or `::wxa`, or a re-export's path) anywhere else. Generated
    /// code reaches the runtime only through `<crate_path>::runtime`.
    pub crate_path: String,
    /// `None`: the client methods are inherent methods of `Client`, which
    /// only wxa itself can write. Otherwise the name of the extension trait
    /// that holds them, implemented for `wxa::Client`.
    pub client_trait: Option<String>,
    /// Put each category behind the cargo feature of its name.
    pub category_features: bool,
    /// Generate only these categories (all when `None`); every spec is
    /// still checked. A `build.rs` passes the categories whose features are
    /// on, so a build with one category does not format the others.
    pub only_categories: Option<Vec<String>>,
    /// Whether answer types derive `Serialize` as well as `Deserialize`.
    pub serialize_answers: SerializeAnswers,
}

/// Whether the types of answers can be serialized again (to cache them, to
/// hand them on as JSON). Requests always serialize and answers always
/// deserialize; serializers for 565 answer types were a third of wxa's
/// compile time, so wxa puts them behind a feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SerializeAnswers {
    /// Always derived.
    Always,
    /// Never derived.
    Never,
    /// Derived when this cargo feature of the generating crate is on.
    WithFeature(String),
}

impl Options {
    /// wxa's own endpoints: inherent `Client` methods, one feature per
    /// category, in `crate::<include_dir>`.
    pub fn wxa(include_dir: &str) -> Options {
        Options {
            include_dir: include_dir.to_owned(),
            crate_path: "crate".to_owned(),
            client_trait: None,
            category_features: true,
            only_categories: None,
            serialize_answers: SerializeAnswers::WithFeature("serialize-answers".to_owned()),
        }
    }

    /// Another crate's endpoints, called through wxa's `Client` by the
    /// extension trait `client_trait`, in `crate::<include_dir>`. A spec
    /// folder without `errors.yaml` uses wxa's shared error table.
    pub fn downstream(include_dir: &str, client_trait: &str) -> Options {
        Options {
            include_dir: include_dir.to_owned(),
            crate_path: "wxa".to_owned(),
            client_trait: Some(client_trait.to_owned()),
            category_features: false,
            only_categories: None,
            serialize_answers: SerializeAnswers::Always,
        }
    }
}

/// Generates the client code for spec texts. Pure: no I/O.
pub fn generate(sources: &[SourceFile]) -> Result<Generation, Diagnostics> {
    generate_into(sources, "")
}

/// Like [`generate`], for output that will sit in `include_dir` below
/// `OUT_DIR` (the `include!` paths of the module tree point there).
pub fn generate_into(sources: &[SourceFile], include_dir: &str) -> Result<Generation, Diagnostics> {
    generate_with(sources, &Options::wxa(include_dir))
}

/// Generates the code for spec texts as `options` say. Pure: no I/O.
pub fn generate_with(sources: &[SourceFile], options: &Options) -> Result<Generation, Diagnostics> {
    generate_checked(sources, Diagnostics::default(), options)
}

/// [`generate_with`], with problems already found while reading (which
/// make it fail, together with every other problem of the set).
fn generate_checked(sources: &[SourceFile], read_problems: Diagnostics, options: &Options) -> Result<Generation, Diagnostics> {
    // Only wxa itself must have a shared error table: other crates may use wxa's.
    let mut set = load::parse(sources, options.crate_path == "crate");
    set.diagnostics.0.extend(read_problems.0);
    let mut api = validate::validate(&set)?;
    if options.crate_path != "crate"
        && let Some(event) = api.events.first()
    {
        return Err(Diagnostics(vec![Diagnostic {
            file: event.source_file.clone(),
            line: 1,
            column: 1,
            key_path: String::new(),
            message: "pushed events are generated only into wxa itself for now; send the spec upstream".to_owned(),
        }]));
    }
    if let Some(only) = &options.only_categories {
        api.endpoints.retain(|endpoint| only.contains(&endpoint.category));
        api.events.retain(|event| only.contains(&event.category));
    }
    let jobs = emit::files(&api, options);
    let internal = |message: String| {
        Diagnostics(vec![Diagnostic {
            file: "(generator)".to_owned(),
            line: 0,
            column: 0,
            key_path: String::new(),
            message: format!("internal error, please report: {message}"),
        }])
    };
    #[cfg_attr(not(feature = "catalog"), allow(unused_mut))]
    let mut files = format::format_all(&jobs).map_err(internal)?;
    #[cfg(feature = "catalog")]
    files.push(GeneratedFile { path: "API.md".to_owned(), contents: catalog::render(&api).map_err(internal)? });
    let mut endpoints_per_category = BTreeMap::new();
    for endpoint in &api.endpoints {
        *endpoints_per_category.entry(endpoint.category.clone()).or_insert(0) += 1;
    }
    Ok(Generation { files, endpoints_per_category, common_errors: api.common_errors.len() })
}

/// Reads the spec folder and generates from it, for output that will sit
/// in `include_dir` below `OUT_DIR`. A spec file that is not UTF-8 is one
/// of the problems reported, not a failure to read the folder.
pub fn generate_dir(specs: &Path, include_dir: &str) -> Result<Generation, GenerateError> {
    generate_dir_with(specs, &Options::wxa(include_dir))
}

/// Reads the spec folder and generates from it as `options` say: what a
/// downstream crate's `build.rs` calls for its own specs.
pub fn generate_dir_with(specs: &Path, options: &Options) -> Result<Generation, GenerateError> {
    let (sources, read_problems) = load::read_dir_checked(specs).map_err(GenerateError::Io)?;
    generate_checked(&sources, read_problems, options).map_err(GenerateError::Invalid)
}
