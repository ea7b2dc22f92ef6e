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

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let root = Path::new(&root);
    let out = Path::new(&out);
    generate(&root.join("specs"), &out.join("api"), &wxa_codegen::Options::wxa("api"));
    let fixtures = root.join("tests/fixtures/valid");
    if fixtures.is_dir() {
        // The fixtures' categories are no features of the crate.
        let options = wxa_codegen::Options { category_features: false, ..wxa_codegen::Options::wxa("fixture") };
        generate(&fixtures, &out.join("fixture"), &options);
    }
}
