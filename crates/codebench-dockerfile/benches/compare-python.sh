#!/usr/bin/env bash
# Dockerfile analysis end to end, as a user runs it, against Python's `dockerfile-parse` on the
# same files, side by side in one run. A generated corpus of realistic Dockerfiles (written by
# benches/throughput.rs; no real repository text) is listed in a file, then timed as whole
# processes, warm page cache, best of ROUNDS, alternating:
#
#   codebench:        $BULK_CMD > out.ndjson   (default: the crate's example analyze_bulk, which
#                     does exactly what `codebench analyze dockerfile --format ndjson
#                     --from-list LIST` does, through the library)
#   dockerfile-parse: python parse_list.py LIST (reads every file of the list and parses it:
#                     the instruction list and the base image; writes nothing)
#
# Prints MB/s (wall) and CPU seconds (user + system, all threads) for both, the ratios, and
# NDJSON bytes / input bytes. Also prints the in-process figures of benches/throughput.rs
# (analysis alone, one core). Creates a virtualenv under the target directory and installs
# dockerfile-parse from PyPI into it.
#
#   crates/codebench-dockerfile/benches/compare-python.sh [MEGABYTES]   (default 20)
#
# BULK_CMD is run by bash in the corpus' parent directory (the list holds paths relative to it,
# `dockerfile-bench-corpus/000123.Dockerfile`, like `owner/repo/Dockerfile` in a checkout), with
# LIST (the list's absolute path) and ROOT (the repository) exported; for the CLI:
#   BULK_CMD='"$ROOT/target/release/codebench" analyze dockerfile --format ndjson --from-list "$LIST"'
# ROUNDS (default 3) sets the timed runs of each side.
set -euo pipefail
mb="${1:-20}"
rounds="${ROUNDS:-3}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
corpus="$target/dockerfile-bench-corpus"
list="$target/dockerfile-bench-corpus.list"
venv="$target/dockerfile-bench-venv"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check 'dockerfile-parse>=2,<3'

cd "$root"
echo "== in process, analysis only (benches/throughput.rs, one core)"
cargo bench --quiet -p codebench-dockerfile --bench throughput -- --mb "$mb" --write-corpus "$corpus"
(cd "$target" && find dockerfile-bench-corpus -type f -name '*.Dockerfile' | sort > "$list")

if [ -z "${BULK_CMD:-}" ]; then
    cargo build --quiet --release -p codebench-dockerfile --example analyze_bulk
    BULK_CMD="\"$target/release/examples/analyze_bulk\" --quiet --from-list \"\$LIST\""
fi
export LIST="$list" ROOT="$root"

cat > "$target/dockerfile-bench-parse_list.py" <<'PY'
import io, sys
from dockerfile_parse import DockerfileParser

n = 0
with open(sys.argv[1], "rb") as paths:
    for line in paths:
        path = line.rstrip(b"\r\n")
        if not path:
            continue
        with open(path, "rb") as f:
            data = f.read()
        p = DockerfileParser(fileobj=io.BytesIO(data))
        n += len(p.structure)   # the parsed instruction list
        p.baseimage             # and the base image, as a study would read it
print(n)
PY

echo "== end to end, whole processes (warm cache, best of $rounds)"
echo "codebench:        $BULK_CMD > out.ndjson"
echo "dockerfile-parse: $venv/bin/python parse_list.py \$LIST"
cd "$target"
"$venv/bin/python" - "$list" "$rounds" "$BULK_CMD" "$venv/bin/python" \
    "$target/dockerfile-bench-parse_list.py" "$target/dockerfile-bench-out.ndjson" <<'PY'
import os, resource, subprocess, sys, time

lst, rounds, bulk_cmd, python, parse_list, out_path = sys.argv[1:7]
rounds = int(rounds)
with open(lst, "rb") as f:
    paths = [l.rstrip(b"\n") for l in f if l.strip()]
total = sum(os.path.getsize(p) for p in paths)

def timed(argv, stdout, shell=False):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv, stdout=stdout, shell=shell, check=True,
                   executable="/bin/bash" if shell else None)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu

def rust():
    with open(out_path, "wb") as out:
        return timed(bulk_cmd, out, shell=True)

def py():
    return timed([python, parse_list, lst], subprocess.DEVNULL)

# Warm the page cache and both programs once, then alternate.
rust(); py()
best = {"codebench": [float("inf")] * 2, "dockerfile-parse": [float("inf")] * 2}
for _ in range(rounds):
    for name, f in (("codebench", rust), ("dockerfile-parse", py)):
        wall, cpu = f()
        best[name][0] = min(best[name][0], wall)
        best[name][1] = min(best[name][1], cpu)

out_bytes = os.path.getsize(out_path)
with open(out_path, "rb") as f:
    lines = sum(1 for _ in f)
assert lines == len(paths), f"{lines} NDJSON lines for {len(paths)} files"
mb = total / 1e6
print(f"corpus: {len(paths)} files, {mb:.1f} MB; {os.cpu_count()} CPUs visible")
for name, (wall, cpu) in best.items():
    print(f"{name:17} {wall:7.3f} s wall {mb / wall:8.1f} MB/s   {cpu:7.3f} s CPU {mb / cpu:8.1f} MB/CPU-s")
(rw, rc), (pw, pc) = best["codebench"], best["dockerfile-parse"]
print(f"ratio (wall): codebench is {pw / rw:.1f}x faster than dockerfile-parse end to end")
print(f"ratio (CPU):  {pc / rc:.1f}x less CPU time")
print(f"NDJSON: {out_bytes} bytes for {total} input bytes = {out_bytes / total:.3f} of the input")
print(f"E2E_RATIO_WALL={pw / rw:.1f}")
print(f"E2E_RATIO_CPU={pc / rc:.1f}")
print(f"NDJSON_RATIO={out_bytes / total:.3f}")
PY
