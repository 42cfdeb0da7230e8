#!/usr/bin/env bash
# Reads the exports back the way a paper's analysis would: with pandas (in a virtualenv from
# PyPI) and with R's readr (Debian's r-cran-readr), each using the column types documented in
# exports/README.md, and fails on any value that does not read as documented.
#   scripts/readback.sh            the golden sample exports, and the sample study with the
#                                  reference study's kind labels when ../shared is there
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${CODEBENCH:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/codebench}
VENV=$ROOT/target/readback-venv
PANDAS=2.3.3
[ -x "$BIN" ] || { echo "readback: $BIN is missing: cargo build -p codebench-cli" >&2; exit 1; }
command -v Rscript >/dev/null || { echo "readback: Rscript not found; install: apt-get install r-base-core r-cran-readr (scripts/deps.sh does)" >&2; exit 1; }
if ! "$VENV/bin/python" -c "import pandas; assert pandas.__version__ == '$PANDAS'" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "pandas==$PANDAS"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dirs=("$ROOT/exports/sample")
labels=$ROOT/../shared/reference/ease2022/manual-labeling.csv
if [ -f "$labels" ]; then
  "$BIN" --study "$work/s.codebench" init --sample >/dev/null
  "$BIN" --study "$work/s.codebench" import labels --rater ease2022 --dimension kind \
    --unit-column repos --code-column manual_topic "$labels" >/dev/null 2>&1 || true
  "$BIN" --study "$work/s.codebench" export --out "$work/with-labels" >/dev/null
  dirs+=("$work/with-labels")
else
  echo "readback: $labels not found; checking the golden exports only" >&2
fi
"$VENV/bin/python" "$ROOT/scripts/readback/dictionary.py" "$ROOT/exports/README.md" > "$work/types.csv"
(cd "$ROOT/scripts/readback" && "$VENV/bin/python" check.py "$ROOT/exports/README.md" "${dirs[@]}")
Rscript "$ROOT/scripts/readback/check.R" "$work/types.csv" "${dirs[@]}"
