#!/usr/bin/env bash
# Run the paired suite and show drain and naive side by side (bpbench
# compare; benchstat -col /variant reads the same results.txt). Extra
# arguments go to bpbench run, e.g.
#   scripts/suite.sh --workload 'tight-*' --count 6 --out out
set -euo pipefail
cd "$(dirname "$0")/.."
out=bpbench-out
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --out|-out)
      if (( i + 1 >= ${#args[@]} )); then
        echo "suite.sh: --out needs a folder, e.g. --out out" >&2
        exit 2
      fi
      out="${args[i+1]}" ;;
    --out=*|-out=*) out="${args[i]#*=}" ;;
  esac
done
go run ./cmd/bpbench run "$@"
go run ./cmd/bpbench compare "$out"
