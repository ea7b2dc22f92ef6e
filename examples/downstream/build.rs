//! Generates this crate's endpoints from `specs/` into `OUT_DIR/api`, where
//! `src/lib.rs` includes them. The code names wxa's runtime as
//! `wxa::runtime` and puts the client methods on the extension trait
//! `PluginApi`, implemented for `wxa::Client`.

use std::path::Path;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let specs = Path::new(&root).join("specs");
    let out = Path::new(&out).join("api");
    // Cargo scans a directory given here recursively for changes.
    println!("cargo::rerun-if-changed=specs");
    let options = wxa_codegen::Options::downstream("api", "PluginApi");
    match wxa_codegen::generate_dir_with(&specs, &options) {
        Ok(generation) => {
            if let Err(error) = wxa_codegen::write::ensure_files(&out, &generation.files) {
                eprintln!("cannot write generated code to {}: {error}", out.display());
                std::process::exit(1);
            }
        }
        Err(error) => {
            // Every problem of the whole folder, one per line, as
            // `file:line:column: error: message (at key.path)`.
            for line in error.to_string().lines() {
                println!("cargo::warning={line}");
            }
            eprintln!("{error}");
            std::process::exit(1);
        }
    }
}
