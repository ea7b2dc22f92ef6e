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
