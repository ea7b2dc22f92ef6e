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
    assert_eq!(generation.endpoint_count(), 6);
    assert_eq!(
        generation.files.len(),
        12,
        "mod.rs, common.rs, contract_tests.rs, API.md, types.rs, files/types.rs and one file per endpoint"
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
