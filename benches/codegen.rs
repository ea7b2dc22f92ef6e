//! Generator speed: the real `specs/` and a synthetic set of 1,000
//! endpoints that uses every feature of the format. Prints one line per
//! case: `codegen <case> <endpoints> <files> <median ms> <min ms>`.
//!
//! Run with `cargo bench --bench codegen` (or `scripts/bench.sh`).

use std::path::Path;
use std::time::Instant;

fn measure(label: &str, runs: usize, mut f: impl FnMut() -> (usize, usize)) {
    let mut times = Vec::with_capacity(runs);
    let mut counts = (0, 0);
    for _ in 0..runs {
        let started = Instant::now();
        counts = f();
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!("codegen {label} {} {} {:.1} {:.1}", counts.0, counts.1, times[times.len() / 2], times[0]);
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let specs = wxa_codegen::load::read_dir(&root.join("specs")).expect("specs/");
    let synthetic = wxa_codegen::synthetic::sources(1000);
    let scratch = std::env::temp_dir().join(format!("wxa-bench-codegen-{}", std::process::id()));

    measure("specs-in-memory", 20, || {
        let generation = wxa_codegen::generate(&specs).expect("valid specs");
        (generation.endpoint_count(), generation.files.len())
    });
    measure("synthetic-1000-in-memory", 5, || {
        let generation = wxa_codegen::generate(&synthetic).expect("valid synthetic specs");
        (generation.endpoint_count(), generation.files.len())
    });
    // The whole command: read the files, generate, write a fresh folder.
    let synthetic_dir = scratch.join("specs");
    for source in &synthetic {
        let path = synthetic_dir.join(&source.path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, &source.text).expect("write spec");
    }
    let mut run = 0;
    measure("synthetic-1000-read-generate-write", 5, || {
        run += 1;
        let out = scratch.join(format!("out{run}"));
        let generation = wxa_codegen::generate_dir(&synthetic_dir, "api").expect("valid");
        wxa_codegen::write::ensure_files(&out, &generation.files).expect("write");
        (generation.endpoint_count(), generation.files.len())
    });
    let _ = std::fs::remove_dir_all(&scratch);
}
