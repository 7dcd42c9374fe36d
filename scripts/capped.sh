#!/usr/bin/env bash
# capped.sh COMMAND...: runs a bpbench command where it can give every run
# a kernel memory cgroup, then gives what it wrote back to this user.
#
# Memory cgroups take root. On cgroup v2 (GitHub's runners, recent
# distributions) bpbench also needs a cgroup that holds it alone, since v2
# lets no cgroup hold both processes and child cgroups: a systemd scope with
# Delegate=yes is one. On cgroup v1 root is enough. Without passwordless
# sudo the command runs as it is, and bpbench caps with its watchdog (its
# summary's cap: line says which).
#
#   scripts/capped.sh bin/bpbench run --out out
#   CAPPED_CHOWN=out scripts/capped.sh ...   # what to give back (default .)
set -euo pipefail
if [ "$(id -u)" = 0 ]; then
  asroot=()
elif [ "$(uname)" = Linux ] && sudo -n true 2>/dev/null; then
  asroot=(sudo -E env "PATH=$PATH")
else
  echo "capped.sh: no passwordless sudo: running $1 as $(id -un); bpbench will cap with its watchdog" >&2
  exec "$@"
fi
if [ -f /sys/fs/cgroup/cgroup.controllers ] && command -v systemd-run >/dev/null; then
  scope=(systemd-run --scope -p Delegate=yes --quiet --)
  if [ ${#asroot[@]} -gt 0 ]; then
    asroot=(sudo -E "${scope[@]}" env "PATH=$PATH")
  else
    asroot=("${scope[@]}")
  fi
fi
code=0
"${asroot[@]}" "$@" || code=$?
if [ "$(id -u)" != 0 ]; then
  sudo -n chown -R "$(id -u):$(id -g)" "${CAPPED_CHOWN:-.}" || true
fi
exit $code
