#!/usr/bin/env bash
# Renders an output folder's report.html in headless Chromium (Debian's
# chromium package) and saves a full-page screenshot, so a person can check
# that the report looks right in a real browser, offline.
#
#   scripts/check-report.sh bpbench-out            # writes bpbench-out/report.png
#   scripts/check-report.sh bpbench-out shot.png
set -euo pipefail
dir=${1:?usage: scripts/check-report.sh DIR [SCREENSHOT.png]}
shot=${2:-$dir/report.png}
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
profile=$(mktemp -d); trap 'rm -rf "$profile"' EXIT
# No network: the report must stand alone. --window-size sets the page
# width; the height is enough for the whole default report.
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --window-size=1280,9000 \
  --screenshot="$shot" "file://$html" >/dev/null 2>&1
echo "wrote $shot"
