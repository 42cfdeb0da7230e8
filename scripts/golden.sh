#!/usr/bin/env bash
# Writes the golden sample exports: the sample study, coded by two fictional raters (the answer
# key in sample/expected-codes.csv, and a second rater who differs from it now and then), exported
# with a fixed clock (SOURCE_DATE_EPOCH) so every byte is reproducible. `make golden` writes them to
# exports/sample/; a test runs this script again and compares byte for byte.
#   scripts/golden.sh [OUT_DIR]      (CODEBENCH=path/to/codebench to use another binary)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${CODEBENCH:-$ROOT/target/debug/codebench}
OUT=${1:-$ROOT/exports/sample}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1669852800   # 2022-12-01T00:00:00Z
study="$work/sample.codebench"
"$BIN" --study "$study" init --sample >/dev/null
keys="$ROOT/sample/expected-codes.csv"
awk -F, 'NR == 1 { print "rater,unit,dimension,code"; next } { print "answer-key," $0 }' "$keys" > "$work/a.csv"
# The second rater: every fifth project kind differs, every fourth purpose code is missing.
awk -F, 'NR == 1 { print "rater,unit,dimension,code"; next }
  $2 == "kind" { k++; code = (k % 5 == 0 && $3 != "toolkit") ? "toolkit" : $3; print "second-rater," $1 ",kind," code; next }
  { p++; if (p % 4 != 0) print "second-rater," $0 }' "$keys" > "$work/b.csv"
"$BIN" --study "$study" import codings "$work/a.csv" >/dev/null
"$BIN" --study "$study" import codings "$work/b.csv" >/dev/null
rm -rf "$OUT"
"$BIN" --study "$study" export --out "$OUT" >/dev/null
echo "golden exports written to $OUT"
