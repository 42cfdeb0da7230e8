#!/usr/bin/env bash
# Runs the `analyze` fuzz target for SECONDS (default 60) on the checked-in seed corpus.
# Installs cargo-fuzz under target/tools when missing. Nightly features come from
# RUSTC_BOOTSTRAP=1 on the stable toolchain (sanitizer + libFuzzer instrumentation).
set -euo pipefail
seconds="${1:-60}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
tools="$root/target/tools"
if [ ! -x "$tools/bin/cargo-fuzz" ]; then
    cargo install cargo-fuzz --locked --root "$tools"
fi
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$root/target/fuzz}"
# New inputs go to the first corpus directory (under target/), so the checked-in seeds
# (second directory, read only) stay as written.
work="$CARGO_TARGET_DIR/corpus-analyze"
mkdir -p "$work"
cd "$here"
"$tools/bin/cargo-fuzz" run analyze "$work" "$here/corpus/analyze" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048
