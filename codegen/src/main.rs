//! `wxa-codegen`: regenerate `generated/` from `specs/`, or check it.
//!
//! ```text
//! cargo run -p wxa-codegen -- generate          # rewrite what changed
//! cargo run -p wxa-codegen -- check             # fail when generated/ drifts
//! cargo run -p wxa-codegen -- validate          # only check the specs
//! cargo run -p wxa-codegen -- generate --specs DIR --out DIR
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: wxa-codegen <generate|check|validate> [--specs DIR] [--out DIR]";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(command) = args.next() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    // Defaults are the workspace's folders, wherever the command runs from.
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.parent().map(PathBuf::from).unwrap_or(manifest);
    let mut specs = root.join("specs");
    let mut out = root.join("generated");
    while let Some(flag) = args.next() {
        let value = args.next();
        match (flag.as_str(), value) {
            ("--specs", Some(dir)) => specs = PathBuf::from(dir),
            ("--out", Some(dir)) => out = PathBuf::from(dir),
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    if !matches!(command.as_str(), "generate" | "check" | "validate") {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }

    let started = Instant::now();
    // `build.rs` puts the same output in `OUT_DIR/api`.
    let generation = match wxa_codegen::generate_dir(&specs, "api") {
        Ok(generation) => generation,
        Err(error) => {
            eprintln!("{error}");
            eprintln!("nothing was written");
            return ExitCode::FAILURE;
        }
    };
    let generated_in = started.elapsed();

    if command == "validate" {
        println!("{} endpoints valid, {} shared error codes", generation.endpoint_count(), generation.common_errors);
        return ExitCode::SUCCESS;
    }

    if command == "check" {
        return match wxa_codegen::write::check(&out, &generation.files) {
            Ok(drift) if drift.is_empty() => {
                println!("{} is up to date ({} files)", out.display(), generation.files.len());
                ExitCode::SUCCESS
            }
            Ok(drift) => {
                eprintln!("{} differs from what the specs produce:\n{drift}run `cargo run -p wxa-codegen -- generate`", out.display());
                ExitCode::FAILURE
            }
            Err(error) => {
                eprintln!("cannot read {}: {error}", out.display());
                ExitCode::FAILURE
            }
        };
    }

    let report = match wxa_codegen::write::ensure_files(&out, &generation.files) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("cannot write {}: {error}", out.display());
            return ExitCode::FAILURE;
        }
    };
    println!("{} endpoints, {} shared error codes", generation.endpoint_count(), generation.common_errors);
    for (category, count) in &generation.endpoints_per_category {
        println!("  {category:<24} {count}");
    }
    println!(
        "{}: {} written, {} unchanged, {} removed; generated in {:.1} ms, total {:.1} ms",
        out.display(),
        report.written.len(),
        report.unchanged,
        report.removed.len(),
        generated_in.as_secs_f64() * 1e3,
        started.elapsed().as_secs_f64() * 1e3
    );
    for path in report.written.iter() {
        println!("  wrote {path}");
    }
    for path in report.removed.iter() {
        println!("  removed {path}");
    }
    ExitCode::SUCCESS
}
