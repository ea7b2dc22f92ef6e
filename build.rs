//! Generates the endpoint code from `specs/` into `OUT_DIR`. The same
//! output is checked in under `generated/` for review; a test fails when the
//! two drift. The fixture specs of the generator's tests are generated too
//! (into `OUT_DIR/fixture`), so the crate's own tests compile and run the
//! code every feature of the spec format produces.

use std::path::Path;

fn generate(specs: &Path, out: &Path, options: &wxa_codegen::Options) {
    // Cargo scans a directory given here recursively for changes.
    println!("cargo::rerun-if-changed={}", specs.display());
    match wxa_codegen::generate_dir_with(specs, options) {
        Ok(generation) => {
            if let Err(error) = wxa_codegen::write::ensure_files(out, &generation.files) {
                eprintln!("cannot write generated code to {}: {error}", out.display());
                std::process::exit(1);
            }
        }
        Err(error) => {
            for line in error.to_string().lines() {
                println!("cargo::warning={line}");
            }
            eprintln!("{error}");
            std::process::exit(1);
        }
    }
}

/// The categories (folders of `specs/`) whose cargo feature is on: only
/// those are generated, so a build with one category formats one.
fn enabled_categories(specs: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(specs) else { return Vec::new() };
    let mut enabled: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|category| std::env::var_os(format!("CARGO_FEATURE_{}", category.to_uppercase())).is_some())
        .collect();
    enabled.sort();
    enabled
}

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let root = Path::new(&root);
    let out = Path::new(&out);
    let specs = root.join("specs");
    let options = wxa_codegen::Options { only_categories: Some(enabled_categories(&specs)), ..wxa_codegen::Options::wxa("api") };
    generate(&specs, &out.join("api"), &options);
    let fixtures = root.join("tests/fixtures/valid");
    if fixtures.is_dir() {
        // The fixtures' categories are no features of the crate.
        let options = wxa_codegen::Options { category_features: false, ..wxa_codegen::Options::wxa("fixture") };
        generate(&fixtures, &out.join("fixture"), &options);
    }
}
