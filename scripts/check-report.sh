#!/usr/bin/env bash
# Renders an output folder's report.html in headless Chromium (Debian's
# chromium package), offline, and fails when the browser logs a console
# error or a chart is missing or empty: every chart file in DIR/plots must
# be in the page as an inline SVG that draws something, and the page may
# load no image from elsewhere. It keeps two full-page screenshots, at
# 1280 and at 900 pixels wide, for a person to look at.
#
#   scripts/check-report.sh bpbench-out            # writes bpbench-out-report.png and bpbench-out-report-900.png
#   scripts/check-report.sh bpbench-out shot.png   # writes shot.png and shot-900.png
#
# The screenshots go beside the folder, not into it: the folder holds only
# what bpbench wrote. Exit 0: the page rendered whole; 1: it did not; 2:
# bad usage, no report, or no chromium.
set -euo pipefail
dir=${1:?usage: scripts/check-report.sh DIR [SCREENSHOT.png]}
dir=${dir%/}
shot=${2:-$dir-report.png}
html=$(cd "$dir" && pwd)/report.html
if [ ! -f "$html" ]; then
  echo "check-report: $html not found: run bpbench report $dir first" >&2
  exit 2
fi
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "check-report: chromium not found: apt-get install chromium" >&2
  exit 2
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# chrome runs Chromium with a fresh profile and nothing that reaches the
# network: the report must stand alone.
chrome() {
  rm -rf "$work/profile"
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile" --hide-scrollbars "$@"
}

fail=0
problem() { echo "check-report: $*" >&2; fail=1; }

# 1. The page as the browser built it, with the console logged.
chrome --enable-logging=stderr --v=0 --dump-dom "file://$html" >"$work/dom.html" 2>"$work/log" ||
  problem "chromium failed to render $html (log: $(tail -n 3 "$work/log"))"
if grep -E 'CONSOLE\(|Uncaught|Failed to load resource|Refused to|Not allowed to load' "$work/log" >"$work/console"; then
  problem "the browser console reported errors:"; cat "$work/console" >&2
fi

# 2. Every chart there and drawn. The DOM on one line, one chart a line.
tr -d '\n' <"$work/dom.html" | grep -oP '<figure class="chart".*?</figure>' >"$work/figures" || true
figures=$(wc -l <"$work/figures")
drawn=$(grep -cP '<svg role="img"[^>]*>.*<path d="M[^"]+".*</svg>' "$work/figures" || true)
expected=$(find "$dir/plots" -maxdepth 1 -type f \( -name '*.svg' -o -name '*.png' \) 2>/dev/null | wc -l)
if [ "$figures" -eq 0 ]; then
  problem "the page shows no chart"
fi
if [ "$drawn" -ne "$figures" ]; then
  problem "$((figures - drawn)) of $figures charts are empty (an <svg> that draws nothing, or none)"
fi
if [ "$expected" -gt 0 ] && [ "$figures" -ne "$expected" ]; then
  problem "the page shows $figures charts; $dir/plots holds $expected"
fi
# Images: the report inlines its charts; an <img> is a broken or outside picture.
if imgs=$(tr -d '\n' <"$work/dom.html" | grep -oP '<img\b[^>]*>' | grep -v 'src="data:'); then
  problem "the page loads images from outside itself (broken offline):"; echo "$imgs" >&2
fi

# 3. The screenshots.
for w in 1280 900; do
  out=$shot
  [ "$w" = 900 ] && out=${shot%.png}-900.png
  chrome --window-size="$w,9000" --screenshot="$out" "file://$html" >/dev/null 2>&1 ||
    problem "no screenshot at ${w}px"
  [ -s "$out" ] || problem "the screenshot $out is empty"
done

if [ "$fail" -ne 0 ]; then
  echo "check-report: $html did not render whole; screenshots: $shot, ${shot%.png}-900.png" >&2
  exit 1
fi
echo "check-report: $figures charts drawn, no console error; screenshots: $shot, ${shot%.png}-900.png"
