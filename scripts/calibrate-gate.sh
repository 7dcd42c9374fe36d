#!/usr/bin/env bash
# Calibrates bpbench gate on this machine: A/A runs (the same binary as base
# and head) count false alarms; then each injected fault (a binary built
# with -tags bpbench_inject) must be caught, and a ballast of growing size
# (more peak RSS in every drain run) shows the smallest change the gate
# detects. Prints one line per gate run and a tally.
# Usage: scripts/calibrate-gate.sh [A/A RUNS] [COUNT] [-- run flags]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}; count=${2:-5}
shift $(( $# >= 2 ? 2 : $# )); [ "${1:-}" = "--" ] && shift
flags=("$@")
[ ${#flags[@]} -eq 0 ] && flags=(--workload 'million-line-writer,tight-loop-5m,gzip-pipeline,slow-consumer' --variant both)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/inj"
go build -o "$work/" ./cmd/bpbench ./cmd/bpbench-workload
go build -tags bpbench_inject -o "$work/inj/" ./cmd/bpbench ./cmd/bpbench-workload
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; flags: ${flags[*]} --count $count"
alarms=0
for i in $(seq 1 "$runs"); do
  "$work/bpbench" run "${flags[@]}" --count "$count" --baseline-bin "$work/bpbench" --out "$work/aa" >/dev/null 2>&1
  if "$work/bpbench" gate "$work/aa" >"$work/aa.txt"; then echo "A/A $i: pass"; else
    alarms=$((alarms+1)); echo "A/A $i: FALSE ALARM"; grep '^  FAIL' "$work/aa.txt" | sed 's/^/    /'; fi
done
echo "A/A: $alarms false alarms in $runs gate runs"
for fault in ignore-backpressure hwm-x8 leak ballast=512KiB ballast=1MiB ballast=2MiB ballast=4MiB; do
  BPBENCH_INJECT=$fault "$work/inj/bpbench" run "${flags[@]}" --variant drain --count "$count" --baseline-bin "$work/bpbench" --out "$work/f" >/dev/null 2>&1
  if "$work/bpbench" gate "$work/f" >"$work/f.txt"; then echo "fault $fault: MISSED"; else
    echo "fault $fault: caught"; grep '^  FAIL' "$work/f.txt" | sed 's/^/    /'; fi
done
