//! The `wxa-codegen` command: writes only what changed, never writes from
//! invalid specs, and its check mode fails on drift.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wxa-codegen-cli-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).expect("copy");
        }
    }
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wxa-codegen")).args(args).output().expect("run wxa-codegen")
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in fs::read_dir(&current).expect("read") {
            let entry = entry.expect("entry");
            if entry.file_type().expect("type").is_dir() {
                stack.push(entry.path());
            } else {
                let meta = entry.metadata().expect("meta");
                out.push((entry.path().display().to_string(), fs::read(entry.path()).expect("read"), meta.modified().expect("mtime")));
            }
        }
    }
    out.sort();
    out
}

fn fixture_specs(dir: &Path) -> PathBuf {
    let specs = dir.join("specs");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/valid"), &specs);
    specs
}

#[test]
fn writes_only_what_changed_and_removes_what_no_spec_produces() {
    let dir = scratch("incremental");
    let specs = fixture_specs(&dir);
    let out = dir.join("generated");
    let (specs_arg, out_arg) = (specs.to_str().expect("utf-8"), out.to_str().expect("utf-8"));

    let first = run(&["generate", "--specs", specs_arg, "--out", out_arg]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stdout).contains("6 written, 0 unchanged"), "{}", String::from_utf8_lossy(&first.stdout));
    let before = snapshot(&out);

    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(out.join("files/stale.rs"), "// no spec makes this").expect("stale file");
    fs::write(out.join("files/download.rs.wxa-staging"), "half").expect("staging leftover");
    let second = run(&["generate", "--specs", specs_arg, "--out", out_arg]);
    assert!(second.status.success());
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(stdout.contains("0 written, 6 unchanged, 1 removed"), "{stdout}");
    assert_eq!(snapshot(&out), before, "unchanged files keep their bytes and modification times");

    // Changing one spec rewrites one file.
    let spec = specs.join("files/notify.yaml");
    fs::write(&spec, fs::read_to_string(&spec).expect("read").replace("Sends a notification.", "Sends a note.")).expect("edit");
    let third = run(&["generate", "--specs", specs_arg, "--out", out_arg]);
    assert!(String::from_utf8_lossy(&third.stdout).contains("1 written, 5 unchanged"), "{}", String::from_utf8_lossy(&third.stdout));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn invalid_specs_write_nothing_and_report_every_problem() {
    let dir = scratch("invalid");
    let specs = fixture_specs(&dir);
    let out = dir.join("generated");
    let (specs_arg, out_arg) = (specs.to_str().expect("utf-8"), out.to_str().expect("utf-8"));
    assert!(run(&["generate", "--specs", specs_arg, "--out", out_arg]).status.success());
    let before = snapshot(&out);

    fs::write(specs.join("files/notify.yaml"), "name: notify\nsummary: [broken\n").expect("break a spec");
    fs::write(
        specs.join("files/download.yaml"),
        fs::read_to_string(specs.join("files/download.yaml")).expect("read").replace("method: GET", "method: PATCH"),
    )
    .expect("edit");
    let failed = run(&["generate", "--specs", specs_arg, "--out", out_arg]);
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("files/notify.yaml:"), "{stderr}");
    assert!(stderr.contains("files/download.yaml:6:1: error: method `PATCH`"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(snapshot(&out), before, "the previous output is intact");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn check_mode_fails_on_drift_without_writing() {
    let dir = scratch("check");
    let specs = fixture_specs(&dir);
    let out = dir.join("generated");
    let (specs_arg, out_arg) = (specs.to_str().expect("utf-8"), out.to_str().expect("utf-8"));
    assert!(run(&["generate", "--specs", specs_arg, "--out", out_arg]).status.success());
    assert!(run(&["check", "--specs", specs_arg, "--out", out_arg]).status.success());

    fs::write(out.join("files/notify.rs"), "// edited by hand").expect("edit");
    fs::remove_file(out.join("files/upload.rs")).expect("remove");
    fs::write(out.join("extra.rs"), "// extra").expect("extra");
    let before = snapshot(&out);
    let check = run(&["check", "--specs", specs_arg, "--out", out_arg]);
    assert!(!check.status.success());
    let stderr = String::from_utf8_lossy(&check.stderr);
    for expected in ["changed: files/notify.rs", "missing: files/upload.rs", "not produced by any spec: extra.rs"] {
        assert!(stderr.contains(expected), "{expected} in {stderr}");
    }
    assert_eq!(snapshot(&out), before, "check writes nothing");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn bad_arguments_print_usage() {
    let output = run(&["frobnicate"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: wxa-codegen"));
}
