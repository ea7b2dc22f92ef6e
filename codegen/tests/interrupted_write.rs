//! A generation killed at any moment leaves the output folder either as it
//! was or as the finished run makes it, never a mix: the `wxa-codegen`
//! command is killed (SIGKILL on Unix) at delays spread over its run, and
//! once [`wxa_codegen::write::recover`] has run, the folder must equal one
//! of two snapshots taken beforehand.

mod support;
use support::copy_dir;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wxa_codegen::{SourceFile, synthetic, write};

/// Endpoints in the new spec set: enough that writing takes a while.
const ENDPOINTS: usize = 100;

/// How many times the command is killed.
const KILLS: u32 = 20;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wxa-codegen-kill-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn write_specs(dir: &Path, sources: &[SourceFile]) {
    for source in sources {
        let path = dir.join(&source.path);
        fs::create_dir_all(path.parent().expect("below the folder")).expect("mkdir");
        fs::write(path, &source.text).expect("write a spec");
    }
}

/// Every file below `dir`, relative, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in fs::read_dir(&current).unwrap_or_else(|e| panic!("{}: {e}", current.display())) {
            let entry = entry.expect("entry");
            if entry.file_type().expect("type").is_dir() {
                stack.push(entry.path());
            } else {
                let relative = entry.path().strip_prefix(dir).expect("below").to_string_lossy().into_owned();
                out.insert(relative, fs::read(entry.path()).expect("read"));
            }
        }
    }
    out
}

/// Puts the old output back in `out`, with no leftover of a killed run.
fn reset(out: &Path, pristine: &Path) {
    for suffix in ["", ".wxa-staging", ".wxa-previous"] {
        let _ = fs::remove_dir_all(format!("{}{suffix}", out.display()));
    }
    copy_dir(pristine, out);
}

fn generate(specs: &Path, out: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wxa-codegen"));
    command.args(["generate", "--specs", specs.to_str().expect("UTF-8"), "--out", out.to_str().expect("UTF-8")]);
    command
}

#[test]
fn a_generation_killed_at_any_moment_leaves_the_old_or_the_new_output() {
    let root = scratch("output");
    let (old_specs, new_specs, pristine, out) = (root.join("old-specs"), root.join("new-specs"), root.join("pristine"), root.join("out"));

    // The new set; the old one had every other summary worded differently
    // and 10 endpoints more, so the run writes, keeps and removes files.
    let new_sources = synthetic::sources(ENDPOINTS);
    let mut old_sources = synthetic::sources(ENDPOINTS + 10);
    for source in old_sources.iter_mut().step_by(2) {
        source.text = source.text.replace("summary: A", "summary: Formerly a");
    }
    write_specs(&old_specs, &old_sources);
    write_specs(&new_specs, &new_sources);

    // Both outcomes, in memory. A file the generator did not write belongs
    // to both.
    let old_generation = wxa_codegen::generate_dir(&old_specs, "api").expect("old specs are valid");
    write::ensure_files(&pristine, &old_generation.files).expect("old output");
    fs::write(pristine.join("notes.txt"), "written by a person").expect("a file the generator did not write");
    let old = snapshot(&pristine);
    let new_generation = wxa_codegen::generate_dir(&new_specs, "api").expect("new specs are valid");
    reset(&out, &pristine);
    let report = write::ensure_files(&out, &new_generation.files).expect("new output");
    assert!(report.unchanged > 0 && !report.written.is_empty() && report.removed.len() == 10, "{report:?}");
    let new = snapshot(&out);
    assert_ne!(old, new);

    // One whole run, to time it.
    reset(&out, &pristine);
    let started = Instant::now();
    let whole = generate(&new_specs, &out).output().expect("run wxa-codegen");
    let run_time = started.elapsed();
    assert!(whole.status.success(), "{}", String::from_utf8_lossy(&whole.stderr));
    assert_eq!(snapshot(&out), new, "the command writes what the library does");
    // The command says when generating ended and writing began, and when
    // it was done, both from its own start.
    let stdout = String::from_utf8_lossy(&whole.stdout);
    let millis = |label: &str| -> Duration {
        let ms: f64 = stdout
            .split(label)
            .nth(1)
            .and_then(|rest| rest.split(" ms").next())
            .and_then(|ms| ms.parse().ok())
            .unwrap_or_else(|| panic!("no `{label}` timing in {stdout}"));
        Duration::from_secs_f64(ms / 1e3)
    };
    let (write_starts, write_ends) = (millis("generated in "), millis("total "));

    // A few kills while generating, most of them while writing, where an
    // interruption could leave a mix (the window is widened for the
    // process's start and for timing noise), and the last after the end
    // (`None`: once the process has exited, however long it takes).
    let mut delays: Vec<Option<Duration>> = (0..4).map(|i| Some(write_starts * i / 4)).collect();
    let (from, to) = (write_starts.saturating_sub(Duration::from_millis(5)), write_ends + Duration::from_millis(15));
    let in_window = KILLS - 5;
    delays.extend((0..in_window).map(|i| Some(from + (to - from) * i / (in_window - 1))));
    delays.push(None);

    let (mut saw_old, mut saw_new) = (0, 0);
    for delay in delays {
        reset(&out, &pristine);
        let mut child = generate(&new_specs, &out).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn wxa-codegen");
        match delay {
            Some(delay) => std::thread::sleep(delay),
            None => {
                let deadline = Instant::now() + run_time * 20;
                while child.try_wait().expect("try_wait").is_none() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
        // SIGKILL on Unix; a child that already exited is not an error.
        child.kill().expect("kill");
        child.wait().expect("wait");
        write::recover(&out).expect("recover");
        let after = snapshot(&out);
        if after == old {
            saw_old += 1;
        } else if after == new {
            saw_new += 1;
        } else {
            let differ: Vec<&String> = after.keys().chain(new.keys()).filter(|k| after.get(*k) != new.get(*k)).take(5).collect();
            panic!("killed after {delay:?}: the output is neither the old nor the new one; unlike the new one in {differ:?}");
        }
        for suffix in [".wxa-staging", ".wxa-previous"] {
            assert!(!Path::new(&format!("{}{suffix}", out.display())).exists(), "recover left {suffix} after {delay:?}");
        }
    }
    assert!(saw_old > 0 && saw_new > 0, "kills before and after the write: {saw_old} old, {saw_new} new");

    // And the next normal run finishes the job.
    let rerun = generate(&new_specs, &out).output().expect("run wxa-codegen");
    assert!(rerun.status.success());
    assert_eq!(snapshot(&out), new);
    let _ = fs::remove_dir_all(&root);
}
