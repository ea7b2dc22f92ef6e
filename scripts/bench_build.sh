#!/usr/bin/env bash
# Build cost: how long a user's first (cold) debug build takes when they add
# wxa to a program that downloads one temporary media file, against the same
# program written with wechat-mp-sdk 0.3.0 from crates.io.
#
#   scripts/bench_build.sh [--runs N] [--only a,b,c] [--keep] [--timings] [--repo DIR]
#
# Three binary crates are made in a temp dir, each calling "get temp media"
# from a tokio main (same tokio features in all three):
#   (a) wxa, default features           wxa = { path = REPO }
#   (b) wxa, customer_service only      default-features = false,
#                                       features = ["customer_service"]
#       (skipped, with a note, while REPO's Cargo.toml has no such feature)
#   (c) wechat-mp-sdk = "=0.3.0"        its default features (rustls)
# Each is built with `cargo build` (debug) into its own fresh, empty
# CARGO_TARGET_DIR, one after the other, and timed with a monotonic clock
# (only `cargo build`: the crates are fetched first, so no download is
# timed). With --runs N the trio is built N times and the median is shown.
#
# Fairness and reproducibility choices:
# - Lockfiles: every crate starts from a copy of REPO's Cargo.lock, then
#   `cargo fetch` completes it. Cargo keeps every locked version that still
#   applies, drops the rest and resolves only what is missing. So (a) and
#   (b) build exactly the versions wxa is tested with, and the crates that
#   (c) shares with wxa (tokio, serde, hyper, h2, rustls, ...) are at the
#   same versions too; what only (c) uses (reqwest 0.12, ring, ...) is the
#   newest compatible version on the day of the run. The output lists the
#   versions built of reqwest, rustls, aws-lc-sys, ring, h2, tera, tokio.
#   Builds then run with --frozen: nothing is resolved or downloaded while
#   timed.
# - CARGO_INCREMENTAL=0: wxa is a path dependency here, and cargo would
#   build it incrementally (slower, extra files), which a user who gets wxa
#   from crates.io never pays. RUSTC_WRAPPER is unset so a cache such as
#   sccache cannot make a "cold" build warm. RUSTFLAGS and the cargo config
#   of the temp dir's parents (~/.cargo/config.toml) apply to all three alike;
#   REPO's own .cargo/config.toml, if any, does not.
# - All crates share one CARGO_HOME (yours), so the registry is downloaded
#   and unpacked once, before the timing.
# - Nothing in REPO is written: the build script's output goes to OUT_DIR
#   inside the temp target dir, and the lockfile copies are the temp crates'.
#
# Options:
#   --runs N      build the trio N times (default 1), report the medians
#   --only LIST   build only some of a,b,c (e.g. --only a,c); ratios need c
#   --keep        keep the temp dir (crates, logs, target dirs) and print it
#   --timings     pass --timings to cargo build (reports in each target dir,
#                 cargo-timings/; use with --keep)
#   --repo DIR    the wxa checkout to build (default: this script's repo)
# Needs only the Rust toolchain and access to crates.io. Heavy: each run is
# three cold builds; on a shared machine run it under `nice -n 10`.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
runs=1
only=a,b,c
keep=0
timings=0

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

while (($#)); do
  case $1 in
    --runs) runs=${2:?--runs needs a number}; shift 2 ;;
    --runs=*) runs=${1#--runs=}; shift ;;
    --only) only=${2:?--only needs a list such as a,c}; shift 2 ;;
    --only=*) only=${1#--only=}; shift ;;
    --keep) keep=1; shift ;;
    --timings) timings=1; shift ;;
    --repo) repo=$(cd "${2:?--repo needs a directory}" && pwd); shift 2 ;;
    --repo=*) repo=$(cd "${1#--repo=}" && pwd); shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "--runs needs a positive whole number, not '$runs'" >&2; exit 2; }
[[ $only =~ ^[abc](,[abc])*$ ]] || { echo "--only takes a list of a, b, c such as a,c, not '$only'" >&2; exit 2; }
[[ -f $repo/Cargo.toml ]] || { echo "no Cargo.toml in $repo" >&2; exit 2; }
wanted() { [[ ,$only, == *,$1,* ]]; }

work=$(mktemp -d "${TMPDIR:-/tmp}/wxa-bench-build.XXXXXX")
cleanup() {
  if ((keep)); then
    echo "kept $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Seconds are printed and sorted with a decimal point whatever the locale.
export LC_ALL=C
# The timed builds get no compiler cache and no incremental compilation.
unset RUSTC_WRAPPER CARGO_BUILD_RUSTC_WRAPPER
export CARGO_INCREMENTAL=0

# Does REPO's Cargo.toml declare a customer_service feature? Looks at the
# keys of its [features] table only.
has_feature() {
  awk -v want="$1" '
    /^[[:space:]]*\[/ { in_features = ($0 ~ /^[[:space:]]*\[features\][[:space:]]*$/); next }
    in_features && $0 ~ "^[[:space:]]*\"?" want "\"?[[:space:]]*=" { found = 1 }
    END { exit !found }' "$repo/Cargo.toml"
}

b_skip=""
if wanted b && ! has_feature customer_service; then
  b_skip="(b) skipped: no customer_service feature yet"
fi

tokio_dep='tokio = { version = "1", features = ["macros", "rt-multi-thread"] }'

# make_crate KEY NAME DEPENDENCY-LINE MAIN-RS
make_crate() {
  local dir=$work/crates/$1
  mkdir -p "$dir/src"
  cat >"$dir/Cargo.toml" <<EOF
[package]
name = "$2"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$3
$tokio_dep

# Not part of any workspace above the temp dir.
[workspace]
EOF
  printf '%s\n' "$4" >"$dir/src/main.rs"
  if [[ -f $repo/Cargo.lock ]]; then
    cp "$repo/Cargo.lock" "$dir/Cargo.lock"
  fi
}

wxa_main='#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = wxa::Client::new("wx1234567890abcdef", "app-secret")?;
    let media = client
        .get_temp_media(wxa::api::customer_service::GetTempMediaRequest::new("MEDIA_ID"))
        .await?;
    println!("{} bytes", media.bytes.len());
    Ok(())
}'

sdk_main='use wechat_mp_sdk::types::{AppId, AppSecret};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = wechat_mp_sdk::WechatMp::builder()
        .appid(AppId::new("wx1234567890abcdef")?)
        .secret(AppSecret::new("app-secret")?)
        .build()?;
    // The customer-service "get temp media" (GET /cgi-bin/media/get).
    let bytes = client.get_temp_media("MEDIA_ID").await?;
    println!("{} bytes", bytes.len());
    Ok(())
}'

# TOML basic strings escape backslashes and quotes; a checkout path has neither
# in practice, but escape them anyway.
repo_toml=${repo//\\/\\\\}
repo_toml=${repo_toml//\"/\\\"}

keys=()
if wanted a; then
  make_crate a bench-wxa-default "wxa = { path = \"$repo_toml\" }" "$wxa_main"
  keys+=(a)
fi
if wanted b && [[ -z $b_skip ]]; then
  make_crate b bench-wxa-customer-service \
    "wxa = { path = \"$repo_toml\", default-features = false, features = [\"customer_service\"] }" "$wxa_main"
  keys+=(b)
fi
if wanted c; then
  make_crate c bench-wechat-mp-sdk 'wechat-mp-sdk = "=0.3.0"' "$sdk_main"
  keys+=(c)
fi
((${#keys[@]})) || { echo "nothing to build: ${b_skip:-empty --only}" >&2; exit 1; }

label() {
  case $1 in
    a) echo "(a) wxa, default features" ;;
    b) echo "(b) wxa, customer_service only" ;;
    c) echo "(c) wechat-mp-sdk 0.3.0, default features" ;;
  esac
}

# Lock and download everything before any timing.
for k in "${keys[@]}"; do
  echo "fetching $(label "$k") ..." >&2
  if ! (cd "$work/crates/$k" && cargo fetch --quiet) >"$work/fetch-$k.log" 2>&1; then
    cat "$work/fetch-$k.log" >&2
    echo "cargo fetch failed for $(label "$k")" >&2
    exit 1
  fi
  # The packages the build compiles (a lockfile also lists unused ones).
  (cd "$work/crates/$k" && cargo tree --frozen --edges normal,build --prefix none --format '{p}') |
    sed 's/ (\*)$//' | sort -u >"$work/tree-$k.txt"
done

# version_of KEY PACKAGE: the version(s) of PACKAGE built for crate KEY.
version_of() {
  awk -v want="$2" '$1 == want { v = $2; sub(/^v/, "", v); out = out (out ? "," : "") v }
    END { print (out ? out : "-") }' "$work/tree-$1.txt"
}

# median of the numbers given as arguments
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "-"; exit }
    if (NR % 2) printf "%.1f\n", v[(NR + 1) / 2]
    else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

build_args=(build --frozen --quiet)
((timings)) && build_args+=(--timings)

declare -A times=()
for ((run = 1; run <= runs; run++)); do
  line="run $run/$runs:"
  for k in "${keys[@]}"; do
    target=$work/target-$k-$run
    log=$work/build-$k-$run.log
    start=$(date +%s.%N)
    if ! (cd "$work/crates/$k" && CARGO_TARGET_DIR=$target cargo "${build_args[@]}") >"$log" 2>&1; then
      tail -n 40 "$log" >&2
      echo "cargo build failed for $(label "$k") (log: $log)" >&2
      keep=1
      exit 1
    fi
    end=$(date +%s.%N)
    secs=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')
    times[$k]="${times[$k]:-} $secs"
    line+=" $k ${secs}s"
    if ((!keep)); then
      rm -rf "$target"
    fi
  done
  echo "$line" >&2
done

declare -A med=()
for k in "${keys[@]}"; do
  # shellcheck disable=SC2086 # the list of seconds is meant to split
  med[$k]=$(median ${times[$k]})
done

echo
echo "Cold debug build (\`cargo build\`, empty target dir), $(rustc --version), nproc $(nproc), median of $runs run(s)"
echo
echo "| crate | seconds |"
echo "| --- | ---: |"
for k in a b c; do
  wanted "$k" || continue
  if [[ $k == b && -n $b_skip ]]; then
    echo "| $(label b) | skipped |"
  else
    echo "| $(label "$k") | ${med[$k]} |"
  fi
done
echo
if [[ -n ${med[c]:-} ]]; then
  echo "| ratio | value | target | met |"
  echo "| --- | ---: | ---: | --- |"
  for pair in "a 2.0" "b 1.3"; do
    read -r k limit <<<"$pair"
    wanted "$k" || continue
    if [[ -z ${med[$k]:-} ]]; then
      echo "| ($k)/(c) | - | ≤ $limit | skipped |"
      continue
    fi
    awk -v x="${med[$k]}" -v c="${med[c]}" -v k="$k" -v limit="$limit" 'BEGIN {
      r = sprintf("%.2f", x / c) + 0 # judged as shown
      printf "| (%s)/(c) | %.2f | ≤ %s | %s |\n", k, r, limit, (r <= limit + 0 ? "yes" : "no") }'
  done
  echo
fi
if [[ -n $b_skip ]]; then
  echo "$b_skip"
fi
for k in "${keys[@]}"; do
  echo "$(label "$k"): $(wc -l <"$work/tree-$k.txt") packages; reqwest $(version_of "$k" reqwest)," \
    "rustls $(version_of "$k" rustls), aws-lc-sys $(version_of "$k" aws-lc-sys), ring $(version_of "$k" ring)," \
    "h2 $(version_of "$k" h2), tera $(version_of "$k" tera), tokio $(version_of "$k" tokio)"
done
