//! `generated/` must be exactly what `specs/` produce: the checked-in copy is
//! what people review and read, and it must not drift from what the build
//! compiles. Fix a failure with `cargo run -p wxa-codegen -- generate`.

use std::path::Path;

#[test]
fn generated_matches_the_specs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let generation = wxa_codegen::generate_dir(&root.join("specs"), "api").expect("specs/ is valid");
    let drift = wxa_codegen::write::check(&root.join("generated"), &generation.files).expect("generated/ is readable");
    assert!(drift.is_empty(), "generated/ differs from what specs/ produce:\n{drift}run `cargo run -p wxa-codegen -- generate`");
}

/// The categories: the folders of `specs/`.
fn categories(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join("specs"))
        .expect("specs/ is readable")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The names in a TOML array of strings that starts on the line `start`.
fn toml_list(manifest: &str, start: &str) -> Vec<String> {
    let rest = manifest.split_once(start).map(|(_, rest)| rest).unwrap_or_default();
    let list = rest.split_once(']').map(|(list, _)| list).unwrap_or_default();
    let mut names: Vec<String> = list.split(',').map(|s| s.trim().trim_matches('"').to_owned()).filter(|s| !s.is_empty()).collect();
    names.sort();
    names
}

/// Every category is a cargo feature of its own name, and `full` (the
/// default) holds them all: a new folder in `specs/` needs its line in
/// Cargo.toml, and this says so.
#[test]
fn every_category_is_a_feature_and_full_has_them_all() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml is readable");
    let categories = categories(root);
    assert!(categories.len() > 30, "{categories:?}");
    for category in &categories {
        assert!(manifest.lines().any(|line| line.trim() == format!("{category} = []")), "Cargo.toml needs the feature `{category} = []`");
    }
    assert_eq!(toml_list(&manifest, "\nfull = ["), categories, "`full` must list exactly the categories");
    assert_eq!(toml_list(&manifest, "\ndefault = ["), vec!["full".to_owned()], "default = every category");
}
