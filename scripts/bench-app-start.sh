#!/usr/bin/env bash
# The app's start, process to interactive ("Who is coding?" drawn, its buttons live), under
# Xvfb on the sample study: N runs of the release build, median and p95 against the 1 s budget,
# beside the same Xvfb starting a trivial X client (xdpyinfo) as the baseline of the display.
#   scripts/bench-app-start.sh [RUNS]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${1:-10}
APP=${CODEBENCH_APP:-${CARGO_TARGET_DIR:-$ROOT/target}/release/codebench-app}
if [ ! -x "$APP" ]; then
  (cd "$ROOT/ui" && npm run build >/dev/null)
  cargo build --release -p codebench-app >&2
fi
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
ms() { date +%s%N; }
app_times=() base_times=()
for i in $(seq 1 "$RUNS"); do
  out=$(HOME=$home XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config CODEBENCH_STARTUP_PROBE=1 \
    timeout 60 xvfb-run -a -s "-screen 0 1280x800x24" "$APP" 2>/dev/null | grep -o 'interactive after [0-9.]* ms' || true)
  [ -n "$out" ] || { echo "bench-app-start: run $i did not become interactive within 60 s" >&2; exit 1; }
  app_times+=("$(echo "$out" | grep -o '[0-9.]*' | head -1)")
  t0=$(ms); xvfb-run -a -s "-screen 0 1280x800x24" xdpyinfo >/dev/null 2>&1 || true; t1=$(ms)
  base_times+=("$(( (t1 - t0) / 1000000 ))")
done
stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; p=a[int(NR*0.95+0.999)]; if (p=="") p=a[NR]; printf "%.0f %.0f", m, p}'; }
read -r am ap <<<"$(stats "${app_times[@]}")"
read -r bm bp <<<"$(stats "${base_times[@]}")"
echo "app start to interactive (process start -> rater screen, $RUNS runs, sample study): median ${am} ms, p95 ${ap} ms (budget 1000 ms)"
echo "baseline: xvfb-run + a trivial X client (display start-up included there, not in the app figure): median ${bm} ms, p95 ${bp} ms"
awk -v a="$am" -v b="$bm" 'BEGIN { printf "ratio app/baseline (medians): %.2fx\n", a / b }'
