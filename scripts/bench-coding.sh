#!/usr/bin/env bash
# Issue 14's coding benchmark in the real app: a rater codes 200 Dockerfile units by keyboard on
# a generated study of 1,000+ projects (tests/e2e/bench/coding.bench.mjs, through tests/e2e/run.sh:
# Xvfb, tauri-driver, a scratch HOME; nothing leaves 127.0.0.1). Reports keystrokes per unit and
# the unit-to-unit time (p50 / p95) beside a trivial key-to-frame round-trip in the same webview.
# It fails only when the run fails, never for missing a goal.
#   scripts/bench-coding.sh
# The release build by default (built if missing, or rebuilt if older than ui/dist);
# CODEBENCH_APP and CODEBENCH_CLI choose others, e.g. the debug build while developing:
#   CODEBENCH_APP=target/debug/codebench-app CODEBENCH_CLI=target/debug/codebench scripts/bench-coding.sh
# BENCH_PROJECTS, BENCH_UNITS, BENCH_BASELINE and BENCH_THINK_MS (the least pause before each
# key, 150 ms) change the run (see the bench file).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
APP=${CODEBENCH_APP:-$TARGET/release/codebench-app}
CLI=${CODEBENCH_CLI:-$TARGET/release/codebench}
case "$APP" in /*) ;; *) APP=$PWD/$APP ;; esac
case "$CLI" in /*) ;; *) CLI=$PWD/$CLI ;; esac

if [ -z "${CODEBENCH_APP:-}" ] || [ -z "${CODEBENCH_CLI:-}" ]; then
  if [ ! -x "$APP" ] || [ ! -x "$CLI" ] || [ ! -f "$ROOT/ui/dist/index.html" ]; then
    echo "bench-coding: building the release app and CLI (a while on 2 cores)" >&2
    (cd "$ROOT/ui" && npm run build >/dev/null)
    (cd "$ROOT" && cargo build --release -p codebench-app -p codebench-cli >&2)
  elif [ "$ROOT/ui/dist/index.html" -nt "$APP" ]; then
    # The UI is embedded at compile time: measure the UI that is built, not an older one.
    echo "bench-coding: the release app is older than ui/dist; rebuilding it" >&2
    (cd "$ROOT" && cargo build --release -p codebench-app >&2)
  fi
fi

start=$(date +%s)
CODEBENCH_APP="$APP" CODEBENCH_CLI="$CLI" "$ROOT/tests/e2e/run.sh" "$ROOT/tests/e2e/bench/coding.bench.mjs"
echo "coding bench: done in $(( $(date +%s) - start )) s (Xvfb and driver start, study, import, coding, read-back); screenshot tests/e2e/artifacts/bench-coding.png"
