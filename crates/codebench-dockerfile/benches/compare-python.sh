#!/usr/bin/env bash
# Times codebench-dockerfile's full analysis against the Python `dockerfile-parse` package on
# the same generated corpus (written by benches/throughput.rs; no real repository text), and
# prints MB/s for both and the ratio. Creates a virtualenv under target/ and installs
# dockerfile-parse from PyPI into it.
#
#   crates/codebench-dockerfile/benches/compare-python.sh [MEGABYTES]   (default 20)
set -euo pipefail
mb="${1:-20}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
corpus="$target/dockerfile-bench-corpus"
venv="$target/dockerfile-bench-venv"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check 'dockerfile-parse>=2,<3'

cd "$root"
rust_out="$(cargo bench --quiet -p codebench-dockerfile --bench throughput -- --mb "$mb" --write-corpus "$corpus")"
echo "$rust_out"
rust_mbps="$(echo "$rust_out" | sed -n 's/^RUST_MBPS=//p')"
rust_cpu_mbps="$(echo "$rust_out" | sed -n 's/^RUST_CPU_MBPS=//p')"

py_out="$("$venv/bin/python" - "$corpus" <<'PY'
import io, os, sys, time
from dockerfile_parse import DockerfileParser

corpus = sys.argv[1]
files = []
for name in sorted(os.listdir(corpus)):
    with open(os.path.join(corpus, name), "rb") as f:
        files.append(f.read())
total = sum(len(b) for b in files)

def run():
    n = 0
    for data in files:
        p = DockerfileParser(fileobj=io.BytesIO(data))
        n += len(p.structure)   # the parsed instruction list
        p.baseimage             # and the base image, as a study would read it
    return n

best = best_cpu = float("inf")
for _ in range(3):
    t0, c0 = time.perf_counter(), time.thread_time()
    run()
    best = min(best, time.perf_counter() - t0)
    best_cpu = min(best_cpu, time.thread_time() - c0)
import dockerfile_parse
print(f"dockerfile-parse {getattr(dockerfile_parse, '__version__', '?')}: {len(files)} files, "
      f"{total/1e6:.1f} MB, best of 3: {best:.3f} s wall, {total/1e6/best:.1f} MB/s; "
      f"on-CPU {best_cpu:.3f} s, {total/1e6/best_cpu:.1f} MB/s")
print(f"PY_MBPS={total/1e6/best:.1f}")
print(f"PY_CPU_MBPS={total/1e6/best_cpu:.1f}")
PY
)"
echo "$py_out"
py_mbps="$(echo "$py_out" | sed -n 's/^PY_MBPS=//p')"
py_cpu_mbps="$(echo "$py_out" | sed -n 's/^PY_CPU_MBPS=//p')"
awk -v r="$rust_mbps" -v p="$py_mbps" 'BEGIN { printf "ratio (wall): codebench-dockerfile is %.1fx faster than dockerfile-parse\n", r / p }'
if [ -n "$rust_cpu_mbps" ]; then
    awk -v r="$rust_cpu_mbps" -v p="$py_cpu_mbps" 'BEGIN { printf "ratio (on-CPU): %.1fx\n", r / p }'
fi
