#!/usr/bin/env bash
# streamcore's speed and memory targets live in its benchmarks: the backpressure guide's
# drain-aware million-line writer next to a bufio.Writer loop writing the same
# lines, to a file and to /dev/null. Writes streamcore-bench.txt and prints
# benchstat's summary when benchstat is installed.
#
# COUNT rounds run every benchmark in turn, so bufio and streamcore are
# measured interleaved; on a noisy machine prefer many short rounds:
#   BENCH=MillionLineWriter COUNT=20 BENCHTIME=20x scripts/bench-streamcore.sh
set -euo pipefail
cd "$(dirname "$0")/.."
args=(-run '^$' -bench "${BENCH:-.}" -count "${COUNT:-6}")
if [[ -n "${BENCHTIME:-}" ]]; then
  args+=(-benchtime "$BENCHTIME")
fi
go test "${args[@]}" ./streamcore/ | tee streamcore-bench.txt
if command -v benchstat >/dev/null 2>&1; then
  benchstat -col /impl streamcore-bench.txt
fi
