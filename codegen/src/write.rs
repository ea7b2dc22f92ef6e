//! Writing generated files: only what changed, each file atomically, and a
//! check mode that reports drift without writing. The only module that
//! writes to disk.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::format::GeneratedFile;

/// Suffix of staged files; leftovers of an interrupted run are removed.
const STAGING_SUFFIX: &str = ".wxa-staging";

/// What a write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or replaced.
    pub written: Vec<String>,
    /// Files already up to date, left untouched.
    pub unchanged: usize,
    /// Files removed because no spec produces them any more.
    pub removed: Vec<String>,
}

/// How the output folder differs from what the specs produce.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drift {
    /// Files whose contents differ.
    pub changed: Vec<String>,
    /// Files the specs produce that are missing.
    pub missing: Vec<String>,
    /// Files present that no spec produces.
    pub extra: Vec<String>,
}

impl Drift {
    /// Whether the folder matches exactly.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (label, list) in [("changed", &self.changed), ("missing", &self.missing), ("not produced by any spec", &self.extra)] {
            for path in list {
                writeln!(f, "  {label}: {path}")?;
            }
        }
        Ok(())
    }
}

/// Every regular file below `dir`, relative and `/`-separated, sorted.
fn existing_files(dir: &Path) -> io::Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in fs::read_dir(&current)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap_or(&path);
                out.insert(relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"));
            }
        }
    }
    Ok(out)
}

fn target(dir: &Path, relative: &str) -> PathBuf {
    relative.split('/').fold(dir.to_path_buf(), |path, part| path.join(part))
}

/// Compares `dir` with `files` without writing anything.
pub fn check(dir: &Path, files: &[GeneratedFile]) -> io::Result<Drift> {
    let mut present = existing_files(dir)?;
    let mut drift = Drift::default();
    for file in files {
        if present.remove(&file.path) {
            if fs::read(target(dir, &file.path))? != file.contents.as_bytes() {
                drift.changed.push(file.path.clone());
            }
        } else {
            drift.missing.push(file.path.clone());
        }
    }
    drift.extra = present.into_iter().collect();
    Ok(drift)
}

/// Makes `dir` hold exactly `files`.
///
/// Unchanged files are not touched (their modification times stay, so
/// nothing downstream rebuilds). Changed files are first all staged next to
/// their targets, then renamed into place, so an interruption while staging
/// leaves the previous output whole, and no file is ever half-written.
pub fn ensure_files(dir: &Path, files: &[GeneratedFile]) -> io::Result<WriteReport> {
    let present = existing_files(dir)?;
    // Staged files of an interrupted earlier run.
    for stale in present.iter().filter(|p| p.ends_with(STAGING_SUFFIX)) {
        fs::remove_file(target(dir, stale))?;
    }
    let mut report = WriteReport::default();
    let mut staged = Vec::new();
    for file in files {
        let path = target(dir, &file.path);
        if present.contains(&file.path) && fs::read(&path)? == file.contents.as_bytes() {
            report.unchanged += 1;
            continue;
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let staging = PathBuf::from(format!("{}{STAGING_SUFFIX}", path.display()));
        fs::write(&staging, &file.contents)?;
        staged.push((staging, path, file.path.clone()));
    }
    for (staging, path, relative) in staged {
        fs::rename(&staging, &path)?;
        report.written.push(relative);
    }
    let wanted: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    for path in present.iter().filter(|p| !wanted.contains(p.as_str()) && !p.ends_with(STAGING_SUFFIX)) {
        fs::remove_file(target(dir, path))?;
        report.removed.push(path.clone());
    }
    remove_empty_dirs(dir)?;
    Ok(report)
}

fn remove_empty_dirs(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            remove_empty_dirs(&entry.path())?;
            if fs::read_dir(entry.path())?.next().is_none() {
                fs::remove_dir(entry.path())?;
            }
        }
    }
    Ok(())
}
