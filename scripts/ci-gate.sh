#!/usr/bin/env bash
# Gate this checkout against a base ref, both measured on this machine:
# builds bpbench at BASE_REF in a temporary worktree, runs the suite with
# base and head interleaved (bpbench run --baseline-bin), and gates head
# against base. Writes the output folder (default ci-gate-out) with the
# verdict in verdict.md, appends it to $GITHUB_STEP_SUMMARY when set, and
# exits with the gate's code: 0 pass, 1 regression, 2 bad input.
#
#   scripts/ci-gate.sh origin/main                  # the default suite
#   scripts/ci-gate.sh origin/main --count 8 --workload 'tight-*'
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
set +e
"$work/head-bin/bpbench" run --baseline-bin "$work/base-bin/bpbench" --baseline-commit "$base_sha" --out "$out" "$@"
code=$?
set -e
if [ $code -ne 0 ]; then
  echo "ci-gate: bpbench run exited $code" >&2
  exit $code
fi
set +e
"$work/head-bin/bpbench" gate "$out" --summary "$out/verdict.md"
code=$?
set -e
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$out/verdict.md" ]; then
  cat "$out/verdict.md" >> "$GITHUB_STEP_SUMMARY"
fi
exit $code
