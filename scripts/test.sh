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

# The fleet tests (feature `redis`) start their own redis-server on free
# loopback ports; a fresh machine gets it from Debian's packages.
if ! command -v redis-server >/dev/null; then
  step "installing redis-server"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi
redis-server --version

# cargo-deny checks the dependency tree against deny.toml. Pinned so every
# CI run applies the same rules; an existing install of another version is
# used as it is (it only prints its version).
deny_version=0.20.2
if ! command -v cargo-deny >/dev/null; then
  step "installing cargo-deny $deny_version"
  cargo install --locked --quiet cargo-deny --version "$deny_version"
fi
cargo deny --version

step "formatting"
cargo fmt --all --check

step "supply chain (cargo deny)"
# cargo metadata wants every crate in Cargo.lock, other platforms' too;
# fetch them from crates.io first (the build needs most of them anyway).
# The check itself is offline: licenses, bans and sources need no advisory
# database (README.md says how to add `advisories`).
cargo fetch --quiet
cargo deny --offline --workspace check licenses bans sources

step "clippy (warnings are errors, generated code included)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "one category alone, and none: no category leans on another"
# Each category is a cargo feature; a user may build any one of them.
cargo clippy -p wxa --lib --no-default-features --features customer_service -- -D warnings
cargo clippy -p wxa --lib --no-default-features -- -D warnings
# Receiving pushes with one category's events.
cargo clippy -p wxa --lib --no-default-features --features receive-axum,customer_service -- -D warnings
# The default build: every category, answers without `Serialize`.
cargo clippy -p wxa --lib -- -D warnings

step "docs (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features --quiet

step "generated/ matches specs/"
cargo run --quiet -p wxa-codegen -- check

step "tests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --all-features 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole run (cargo prints one per test binary).
awk '/^test result:/ { for (i = 2; i <= NF; i++) { if ($i == "passed;") p += $(i - 1); if ($i == "failed;") f += $(i - 1) } }
     END { printf "\ntests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
