#!/usr/bin/env bash
# Gate this checkout against a base ref, both measured on this machine:
# builds bpbench at BASE_REF in a temporary worktree, runs the suite with
# base and head interleaved (bpbench run --baseline-bin) into OUT/suite,
# runs the backpressure guide's Node scripts the same way, each side its
# own checkout's script (bpbench run --cmd --baseline-dir) into
# OUT/node-NAME when node is on PATH, and gates head against base in each.
# OUT (default ci-gate-out, or $BPBENCH_GATE_OUT) gets the verdicts in
# verdict.md, also appended to $GITHUB_STEP_SUMMARY when set; it exits with
# the worst gate's code: 0 pass, 1 regression, 2 bad input.
#
#   scripts/ci-gate.sh origin/main                  # the default suite
#   scripts/ci-gate.sh origin/main --count 8 --workload 'tight-*'
#
# The flags go to the suite's run; the Node scripts' runs take
# $BPBENCH_GATE_NODE_ARGS (default --count 6).
set -euo pipefail
if [ $# -lt 1 ] || [ -z "$1" ] || [[ "$1" == -* ]]; then
  echo "usage: scripts/ci-gate.sh BASE_REF [bpbench run flags...]" >&2
  exit 2
fi
base_ref=$1; shift
cd "$(dirname "$0")/.."
out=${BPBENCH_GATE_OUT:-ci-gate-out}
if ! base_sha=$(git rev-parse --verify --quiet "$base_ref^{commit}"); then
  echo "ci-gate: $base_ref is not a commit here; fetch it first (git fetch origin main)" >&2
  exit 2
fi
work=$(mktemp -d)
cleanup() { git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
git worktree add --detach "$work/base" "$base_sha" >/dev/null
# Each side gets bpbench and, when its tree has one, the lean child
# bpbench-workload beside it; the children are lean on both sides or on none.
mkdir -p "$work/base-bin" "$work/head-bin"
(cd "$work/base" && go build -o "$work/base-bin/" ./cmd/bpbench && { go build -o "$work/base-bin/" ./cmd/bpbench-workload 2>/dev/null || true; })
go build -o "$work/head-bin/" ./cmd/bpbench ./cmd/bpbench-workload
rm -f "$out/verdict.md"
mkdir -p "$out"
worst=0
# gate DIR: judge one folder's head against its base; remember the worst code.
gate() {
  local code=0
  "$work/head-bin/bpbench" gate "$1" --summary "$out/verdict.md" || code=$?
  if [ $code -gt $worst ]; then worst=$code; fi
}

code=0
# As root in a delegated scope where sudo allows (capped.sh): a kernel
# memory cgroup per run.
capped=("$PWD/scripts/capped.sh") # the repository root, since the cd above
CAPPED_CHOWN=$out "${capped[@]}" "$work/head-bin/bpbench" run --baseline-bin "$work/base-bin/bpbench" --baseline-commit "$base_sha" --out "$out/suite" "$@" || code=$?
if [ $code -ne 0 ]; then
  echo "ci-gate: bpbench run exited $code" >&2
  exit $code
fi
gate "$out/suite"

# The Node scripts are embedded in bpbench, so --baseline-bin cannot run the
# base's: run each side's own file, the same command in each checkout.
if command -v node >/dev/null; then
  read -r -a node_args <<<"${BPBENCH_GATE_NODE_ARGS:---count 6}"
  for spec in write-with-backpressure:1000000 ignore-backpressure:5000000; do
    script=${spec%%:*} lines=${spec#*:}
    if [ ! -f "$work/base/workloads/node/$script.js" ]; then
      echo "ci-gate: the base has no workloads/node/$script.js; not gating it" >&2
      continue
    fi
    code=0
    CAPPED_CHOWN=$out "${capped[@]}" "$work/head-bin/bpbench" run --cmd "node --max-old-space-size=128 workloads/node/$script.js /dev/null $lines" \
      --name "node-$script" --baseline-dir "$work/base" --baseline-commit "$base_sha" --out "$out/node-$script" "${node_args[@]}" || code=$?
    if [ $code -ne 0 ]; then
      echo "ci-gate: bpbench run of $script exited $code" >&2
      exit $code
    fi
    gate "$out/node-$script"
  done
else
  echo "ci-gate: node is not on PATH: the Node scripts are not gated" >&2
fi

if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$out/verdict.md" ]; then
  cat "$out/verdict.md" >> "$GITHUB_STEP_SUMMARY"
fi
exit $worst
