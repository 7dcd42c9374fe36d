#!/usr/bin/env bash
# streamcore's speed and memory targets live in its benchmarks: the backpressure guide's
# drain-aware million-line writer next to a bufio.Writer loop writing the same
# lines, to a file and to /dev/null. Writes streamcore-bench.txt and prints
# benchstat's summary when benchstat is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -run '^$' -bench "${BENCH:-.}" -count "${COUNT:-6}" ./streamcore/ | tee streamcore-bench.txt
if command -v benchstat >/dev/null 2>&1; then
  benchstat -col /impl streamcore-bench.txt
fi
