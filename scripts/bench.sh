#!/usr/bin/env bash
# Runs the benchmarks and prints one table. Every ratio compares with a
# baseline measured in the same run on the same machine.
#   scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

results=$(mktemp)
trap 'rm -f "$results"' EXIT
cargo bench --quiet --bench codegen --bench call_overhead 2>/dev/null | grep -E '^(codegen|overhead) ' >"$results"

echo "| measurement | endpoints | files | median | best |"
echo "| --- | ---: | ---: | ---: | ---: |"
awk '$1 == "codegen" { printf "| generate %s | %s | %s | %s ms | %s ms |\n", $2, $3, $4, $5, $6 }' "$results"
echo
echo "| call | per call (median of rounds) |"
echo "| --- | ---: |"
awk '$1 == "overhead" {
  printf "| hand-written reqwest call (baseline) | %s µs |\n", $2
  printf "| generated client call | %s µs |\n", $3
  printf "| ratio generated / baseline | %s (%+.2f %%) |\n", $4, ($4 - 1) * 100
}' "$results"
