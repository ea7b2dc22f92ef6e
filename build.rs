//! Generates the endpoint code from `specs/` into `OUT_DIR`. The same
//! output is checked in under `generated/` for review; a test fails when the
//! two drift.

use std::path::Path;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let specs = Path::new(&root).join("specs");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    // Cargo scans a directory given here recursively for changes.
    println!("cargo::rerun-if-changed={}", specs.display());

    match wxa_codegen::generate_dir(&specs) {
        Ok(generation) => {
            if let Err(error) = wxa_codegen::write::ensure_files(Path::new(&out), &generation.files) {
                eprintln!("cannot write generated code to {out}: {error}");
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
