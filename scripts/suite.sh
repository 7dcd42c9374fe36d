#!/usr/bin/env bash
# Run the paired suite and, if benchstat is installed, show drain and naive
# side by side. Extra arguments go to bpbench run, e.g.
#   scripts/suite.sh --workload 'tight-*' --count 6 --out out
set -euo pipefail
cd "$(dirname "$0")/.."
out=bpbench-out
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --out) out="${args[i+1]}" ;;
    --out=*) out="${args[i]#--out=}" ;;
  esac
done
go run ./cmd/bpbench run "$@"
if command -v benchstat >/dev/null 2>&1; then
  benchstat -col /variant "$out/results.txt"
else
  echo "(install benchstat to compare: go install golang.org/x/perf/cmd/benchstat@latest)"
fi
