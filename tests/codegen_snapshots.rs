//! Snapshots of the generator: the code each fixture spec produces, and the
//! diagnostics of a spec set full of mistakes. Review changes with
//! `cargo insta review` (or `INSTA_UPDATE=always cargo test`).

use std::path::Path;

use wxa_codegen::{SourceFile, generate, load};

fn fixture(name: &str) -> Vec<SourceFile> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    load::read_dir(&dir).expect("fixture folder")
}

#[test]
fn each_fixture_spec_generates_the_reviewed_code() {
    let generation = generate(&fixture("valid")).expect("the valid fixtures are valid");
    assert_eq!(generation.endpoint_count(), 8);
    assert_eq!(
        generation.files.len(),
        16,
        "mod.rs, common.rs, contract_tests.rs, API.md, types.rs, files/types.rs, events.rs, demo/events.rs and one file per endpoint"
    );
    for file in &generation.files {
        let name = file.path.replace(['/', '.'], "_");
        insta::assert_snapshot!(name, file.contents);
    }
}

#[test]
fn a_broken_spec_set_reports_every_problem_at_once() {
    let diagnostics = generate(&fixture("invalid")).expect_err("the invalid fixtures are invalid");
    // Each file with mistakes appears, and every mistake has a position.
    for file in [
        "errors.yaml",
        "broken/every_mistake.yaml",
        "broken/bad_choice.yaml",
        "broken/choice_beside_body.yaml",
        "broken/members_without_body.yaml",
        "broken/syntax_error.yaml",
        "broken/wrong_file_name.yaml",
        "dupes/get_thing.yaml",
        "more/get_thing.yaml",
        "more/types.yaml",
        "named/types.yaml",
        "named/use_types.yaml",
        "types.yaml",
        "broken/events/bad_event.yaml",
        "broken/events/text_twice.yaml",
        "broken/events/unknown.yaml",
        "broken/events/both_selectors.yaml",
    ] {
        assert!(diagnostics.0.iter().any(|d| d.file == file), "no diagnostic for {file}:\n{diagnostics}");
    }
    assert!(diagnostics.0.iter().all(|d| d.line > 0 && d.column > 0), "{diagnostics}");
    assert!(diagnostics.len() >= 25, "{diagnostics}");
    insta::assert_snapshot!("invalid_diagnostics", diagnostics.to_string());
}

#[test]
fn output_is_deterministic_whatever_the_input_order() {
    let mut sources = fixture("valid");
    let first = generate(&sources).expect("valid");
    sources.reverse();
    let second = generate(&sources).expect("valid");
    assert_eq!(first, second);
}

#[test]
fn the_real_specs_are_valid_and_cover_the_first_endpoints() {
    let specs = load::read_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("specs")).expect("specs");
    let generation = generate(&specs).expect("specs/ is valid");
    assert!(generation.endpoint_count() >= 8);
    for spec in specs.iter().filter(|s| s.path != "errors.yaml" && !s.path.ends_with("types.yaml")) {
        assert!(spec.text.contains("\ndocs: https://developers.weixin.qq.com/"), "{} has no official docs URL", spec.path);
    }
}

/// For another crate: every runtime path goes through `wxa::runtime`, the
/// client methods are an extension trait, and without its own error table
/// the crate uses wxa's.
#[test]
fn downstream_output_names_only_the_public_runtime() {
    // Pushed events are generated into wxa only.
    let sources: Vec<SourceFile> =
        fixture("valid").into_iter().filter(|s| s.path != "errors.yaml" && !s.path.contains("/events/")).collect();
    let options = wxa_codegen::Options::downstream("api", "FixtureApi");
    let generation = wxa_codegen::generate_with(&sources, &options).expect("valid without errors.yaml downstream");
    assert!(!generation.files.iter().any(|f| f.path == "common.rs"), "wxa's table is used, not a copy");
    for file in generation.files.iter().filter(|f| f.path.ends_with(".rs")) {
        for line in file.contents.lines().filter(|l| !l.trim_start().starts_with("//")) {
            assert!(!line.contains("crate::runtime"), "{}: `{line}` names wxa's runtime as `crate`", file.path);
        }
    }
    let root = generation.files.iter().find(|f| f.path == "mod.rs").expect("mod.rs");
    assert!(root.contents.contains("pub trait FixtureApi"), "{}", root.contents);
    assert!(root.contents.contains("impl FixtureApi for wxa::runtime::Client"), "{}", root.contents);
    insta::assert_snapshot!("downstream_mod_rs", root.contents);
    let endpoint = generation.files.iter().find(|f| f.path == "files/download.rs").expect("an endpoint file");
    assert!(endpoint.contents.contains("common = wxa::api::common::CommonError;"), "{}", endpoint.contents);
    insta::assert_snapshot!("downstream_files_download_rs", endpoint.contents);
}
