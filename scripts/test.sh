#!/usr/bin/env bash
# The test command: everything CI checks, in the order that fails fastest.
#   scripts/test.sh
# Needs only the Rust toolchain (with rustfmt and clippy); it installs
# anything else the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Snapshot tests compare only; review changes with `cargo insta review`.
export INSTA_UPDATE=no

step() { printf '\n== %s\n' "$*"; }

for tool in rustfmt cargo-clippy; do
  command -v "$tool" >/dev/null || { echo "missing $tool: rustup component add ${tool#cargo-}" >&2; exit 1; }
done

step "formatting"
cargo fmt --all --check

step "clippy (warnings are errors, generated code included)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "docs (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features --quiet

step "generated/ matches specs/"
cargo run --quiet -p wxa-codegen -- check

step "tests"
cargo test --workspace --all-features
