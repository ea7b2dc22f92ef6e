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

step "formatting"
cargo fmt --all --check

step "clippy (warnings are errors, generated code included)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

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
