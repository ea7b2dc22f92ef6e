#!/usr/bin/env bash
# Runs the benchmarks and prints one table. Every ratio compares with a
# baseline measured in the same run on the same machine.
#   scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

results=$(mktemp)
errors=$(mktemp)
trap 'rm -f "$results" "$errors"' EXIT
command -v redis-server >/dev/null || { echo "the token benchmark needs redis-server (scripts/test.sh installs it)" >&2; exit 1; }
# Build noise goes to a file, shown only when a benchmark fails (media_memory
# exits with an error when streaming goes over its memory budget).
if ! cargo bench --quiet --features redis --bench codegen --bench call_overhead --bench token --bench platform_tokens --bench media_memory 2>"$errors" |
  grep -E '^(codegen|overhead|token|store|throughput|memory|upload) ' >"$results"; then
  cat "$errors" >&2
  echo "a benchmark failed" >&2
  exit 1
fi

echo "| measurement | endpoints | files | median | best |"
echo "| --- | ---: | ---: | ---: | ---: |"
awk '$1 == "codegen" { printf "| generate %s | %s | %s | %s ms | %s ms |\n", $2, $3, $4, $5, $6 }' "$results"
echo
echo "| call, mode | hand-written reqwest (baseline) | generated client | ratio |"
echo "| --- | ---: | ---: | ---: |"
awk '$1 == "overhead" {
  printf "| getTempMedia, %s | %s µs | %s µs | %s (%+.2f %%) |\n", $2, $3, $4, $5, ($5 - 1) * 100
}' "$results"
echo
echo "| token store | memory store (baseline) | Redis store | ratio Redis / memory |"
echo "| --- | ---: | ---: | ---: |"
awk '$1 == "token" { printf "| token for a call (warm, in-process copy) | %s ns | %s ns | %s |\n", $2, $3, $4 }
     $1 == "store" { printf "| one read of the shared token (refresh path) | %s µs | %s µs | %s |\n", $2, $3, $4 }
     $1 == "throughput" { printf "| 64 tasks sharing one token, getTempMedia | %s calls/s | %s calls/s | %s |\n", $2, $3, $4 }' "$results"
echo
echo "| 200 MiB file over loopback, peak heap above the start | MiB |"
echo "| --- | ---: |"
awk '$1 == "memory" {
  printf "| download read whole, get_temp_media (baseline) | %s |\n", $3
  printf "| download streamed into a sink, get_temp_media_stream | %s |\n", $2
  printf "| ratio streamed / whole | %s |\n", $4
}
$1 == "upload" {
  printf "| upload from memory, Upload::new (baseline) | %s |\n", $3
  printf "| upload streamed from disk, Upload::from_file | %s |\n", $2
  printf "| ratio from file / from memory | %s |\n", $4
}' "$results"
