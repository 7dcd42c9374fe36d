#!/usr/bin/env bash
# The bpbench GitHub Action's work (action.yml runs it), usable anywhere:
# gate a program of the repository in the current folder at its head
# against a base ref, both measured on this machine with the same command.
#
#   1. check out the base into a temporary git worktree;
#   2. build the program in both (INPUT_BUILD, in each side's
#      INPUT_WORKING_DIRECTORY);
#   3. bpbench run --cmd INPUT_COMMAND --baseline-dir BASE: base and head
#      interleaved under the same caps, into one folder;
#   4. bpbench gate on it, then bpbench report (report.html);
#   5. append the verdict to $GITHUB_STEP_SUMMARY and write the outputs
#      verdict (pass, regression or error), report-path and out-dir to
#      $GITHUB_OUTPUT, when they are set.
#
# It exits 0 when the head passes, 1 on a regression (or when a side could
# not be measured at all), 2 on bad input.
#
# The inputs are environment variables, as GitHub passes an action's:
#
#   BPBENCH                  the bpbench binary (required)
#   INPUT_COMMAND            the command to measure, the same at base and head (required)
#   INPUT_BUILD              shell lines that build it in a checkout (default: none)
#   INPUT_BASE_REF           the base (default: origin/$GITHUB_BASE_REF, a pull request's base)
#   INPUT_NAME               the benchmark's name (default: bpbench's, from the command)
#   INPUT_COUNT              runs per side (default 6)
#   INPUT_MEMLIMIT           GOMEMLIMIT (default 128MiB); node takes --max-old-space-size in the command
#   INPUT_HARD_LIMIT         the hard cap (default 1.25 x memlimit)
#   INPUT_THRESHOLDS         UNIT=PCT entries, separated by spaces, commas or lines
#   INPUT_WORKING_DIRECTORY  where the command runs and builds, relative to the repository root (default .)
#   INPUT_OUT                the output folder (default $RUNNER_TEMP/bpbench-gate, else ./bpbench-gate)
#   INPUT_SUDO               auto, true or false: run bpbench with sudo -E so it can make
#                            memory cgroups (the kernel's cap); auto does on GitHub's runners
#   INPUT_RUN_ARGS           more bpbench run flags, e.g. --timeout 5m
set -euo pipefail

say() { echo "bpbench-gate: $*" >&2; }
fail() { say "$*"; output verdict error; exit 2; }
output() { if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >>"$GITHUB_OUTPUT"; fi; }
summary() { if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat >>"$GITHUB_STEP_SUMMARY"; else cat >/dev/null; fi; }

[ -n "${BPBENCH:-}" ] && [ -x "$BPBENCH" ] || fail "BPBENCH=${BPBENCH:-} is not an executable: build bpbench first (go build -o DIR/ ./cmd/bpbench ./cmd/bpbench-workload)"
command=${INPUT_COMMAND:-}
[ -n "${command//[[:space:]]/}" ] || fail "the command input is empty: give the program to measure, e.g. command: ./myserver --load 3"
BPBENCH=$(cd "$(dirname "$BPBENCH")" && pwd)/$(basename "$BPBENCH")

root=$(git rev-parse --show-toplevel 2>/dev/null) || fail "$PWD is not in a git repository: check out the repository first (actions/checkout)"
wd=${INPUT_WORKING_DIRECTORY:-.}
case $wd in /*) fail "working-directory $wd: give it relative to the repository root" ;; esac
[ -d "$root/$wd" ] || fail "working-directory $wd: no such folder in $root"

base_ref=${INPUT_BASE_REF:-}
if [ -z "$base_ref" ]; then
  [ -n "${GITHUB_BASE_REF:-}" ] || fail "no base-ref: this is not a pull request, so say what to compare with, e.g. base-ref: origin/main"
  base_ref=origin/$GITHUB_BASE_REF
fi
if ! base_sha=$(git -C "$root" rev-parse --verify --quiet "$base_ref^{commit}"); then
  # actions/checkout fetches only the head by default: fetch the base.
  if [[ $base_ref == origin/* ]] && git -C "$root" fetch --quiet --no-tags origin "${base_ref#origin/}" >&2; then
    base_sha=$(git -C "$root" rev-parse --verify --quiet FETCH_HEAD^{commit}) || true
  fi
  [ -n "${base_sha:-}" ] || fail "base-ref $base_ref is not a commit here: fetch it first (actions/checkout with fetch-depth: 0)"
fi

out=${INPUT_OUT:-}
if [ -z "$out" ]; then
  out=${RUNNER_TEMP:-$PWD}/bpbench-gate
fi
mkdir -p "$out" && out=$(cd "$out" && pwd)
output out-dir "$out"

# Root may make memory cgroups; on cgroup v2 (GitHub's runners) bpbench also
# needs a cgroup of its own to make them in, since v2 lets no cgroup hold
# both processes and child cgroups: a systemd scope with Delegate=yes holds
# bpbench alone.
asroot=(sudo -E env "PATH=$PATH")
if [ -f /sys/fs/cgroup/cgroup.controllers ] && command -v systemd-run >/dev/null; then
  asroot=(sudo -E systemd-run --scope -p Delegate=yes --quiet -- env "PATH=$PATH")
fi
sudo=()
case ${INPUT_SUDO:-auto} in
  true) sudo=("${asroot[@]}") ;;
  false) ;;
  auto)
    if [ "$(id -u)" != 0 ] && [ "${GITHUB_ACTIONS:-}" = true ] && [ "$(uname)" = Linux ] && sudo -n true 2>/dev/null; then
      sudo=("${asroot[@]}")
    fi ;;
  *) fail "sudo: ${INPUT_SUDO} is not auto, true or false" ;;
esac

work=$(mktemp -d)
cleanup() {
  if [ ${#sudo[@]} -gt 0 ]; then
    # What the program wrote as root goes back to this user.
    sudo -n chown -R "$(id -u):$(id -g)" "$work" "$root/$wd" "$out" 2>/dev/null || true
  fi
  git -C "$root" worktree remove --force "$work/base" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
git -C "$root" worktree add --quiet --detach "$work/base" "$base_sha" >&2
base_wd=$work/base/$wd
[ -d "$base_wd" ] || fail "working-directory $wd does not exist at the base ($base_ref)"

if [ -n "${INPUT_BUILD:-}" ]; then
  for side in base head; do
    dir=$base_wd
    [ $side = head ] && dir=$root/$wd
    say "building the $side in $dir"
    if ! (cd "$dir" && bash -eo pipefail -c "$INPUT_BUILD") >&2; then
      say "the build failed at the $side"
      output verdict error
      printf '### ❌ bpbench gate: the %s does not build\n\n`%s` failed; see the log.\n' "$side" "$INPUT_BUILD" | summary
      exit 1
    fi
  done
fi

args=(run --cmd "$command" --baseline-dir "$base_wd" --baseline-commit "$base_sha" --count "${INPUT_COUNT:-6}" --out "$out")
[ -z "${INPUT_NAME:-}" ] || args+=(--name "$INPUT_NAME")
[ -z "${INPUT_MEMLIMIT:-}" ] || args+=(--memlimit "$INPUT_MEMLIMIT")
[ -z "${INPUT_HARD_LIMIT:-}" ] || args+=(--hard-limit "$INPUT_HARD_LIMIT")
if [ -n "${INPUT_RUN_ARGS:-}" ]; then
  read -r -a more <<<"$INPUT_RUN_ARGS"
  args+=("${more[@]}")
fi
gate_args=(gate "$out" --summary "$out/verdict.md")
for t in ${INPUT_THRESHOLDS//,/ }; do
  gate_args+=(--threshold "$t")
done

cd "$root/$wd"
set +e
"${sudo[@]}" "$BPBENCH" "${args[@]}"
run_code=$?
set -e
if [ ${#sudo[@]} -gt 0 ]; then
  sudo -n chown -R "$(id -u):$(id -g)" "$out" || true
fi
if [ $run_code -eq 2 ] || [ ! -s "$out/results.txt" ]; then
  say "bpbench run exited $run_code"
  output verdict error
  printf '### ❌ bpbench gate: nothing to judge\n\n`bpbench run` exited %d; see the log.\n' "$run_code" | summary
  exit $((run_code == 0 ? 2 : run_code))
fi

rm -f "$out/verdict.md"
set +e
"$BPBENCH" "${gate_args[@]}"
gate_code=$?
set -e
"$BPBENCH" report "$out" >/dev/null || say "bpbench report failed; the verdict stands"
[ -f "$out/report.html" ] && output report-path "$out/report.html"
if [ -f "$out/verdict.md" ]; then
  summary <"$out/verdict.md"
fi

verdict=pass
code=$gate_code
case $gate_code in
  0) if [ $run_code -ne 0 ]; then verdict=error; code=$run_code; say "a side could not be measured at all (bpbench run exited $run_code)"; fi ;;
  1) verdict=regression ;;
  *) verdict=error ;;
esac
output verdict "$verdict"
say "verdict: $verdict; report: $out/report.html"
exit $code
