#!/usr/bin/env bash
# End-to-end tests of the Codebench desktop app: the real binary in the real webview, driven
# through WebDriver (tauri-driver + WebKitWebDriver) under a virtual X display.
#
#   tests/e2e/run.sh            run every spec in tests/e2e/specs
#   tests/e2e/run.sh FILE...    run some specs
#
# Builds nothing: `make` builds ui/dist, then target/debug/codebench-app and codebench. This script
# checks they exist and that the app is newer than the UI build it embeds, installs tauri-driver
# under target/tools if missing, starts Xvfb and tauri-driver, runs the specs with node's test
# runner, and always stops the driver. The app runs with HOME and the XDG folders in a scratch
# directory: it never touches the user's data. Screenshots land in tests/e2e/artifacts/.
set -euo pipefail

E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
APP=${CODEBENCH_APP:-$TARGET/debug/codebench-app}
CLI=${CODEBENCH_CLI:-$TARGET/debug/codebench}
TOOLS=$ROOT/target/tools
DRIVER=$TOOLS/bin/tauri-driver
PORT=${TAURI_DRIVER_PORT:-4444}
NATIVE_PORT=${TAURI_DRIVER_NATIVE_PORT:-4445}

fail() { echo "e2e: $*" >&2; exit 1; }

if [ -z "${CODEBENCH_E2E_IN_XVFB:-}" ]; then
  # Outside the virtual display: check what is needed, then run again inside xvfb-run.
  for tool in xvfb-run WebKitWebDriver node; do
    command -v "$tool" >/dev/null || fail "$tool not found; install: apt-get install xvfb xauth webkit2gtk-driver nodejs"
  done
  [ -f "$ROOT/ui/dist/index.html" ] || fail "ui/dist is missing: run (cd ui && npm ci && npm run build) first"
  [ -x "$APP" ] || fail "$APP is missing: run cargo build -p codebench-app first"
  [ -x "$CLI" ] || fail "$CLI is missing: run cargo build -p codebench-cli first"
  # (An installed app, outside the build tree, is what it is: no freshness check.)
  case "$APP" in "$TARGET"/*) [ "$APP" -nt "$ROOT/ui/dist/index.html" ] ;; *) true ;; esac \
    || fail "$APP is older than ui/dist (the UI is embedded at compile time): rebuild with cargo build -p codebench-app"
  if [ ! -x "$DRIVER" ]; then
    echo "e2e: installing tauri-driver into $TOOLS" >&2
    cargo install tauri-driver --locked --root "$TOOLS" >&2
  fi
  if [ ! -d "$E2E/node_modules/webdriverio" ]; then
    (cd "$E2E" && npm ci --no-audit --no-fund >&2)
  fi
  export CODEBENCH_E2E_IN_XVFB=1 CODEBENCH_APP="$APP" CODEBENCH_CLI="$CLI"
  # -noreset: by default Xvfb resets when its last client (the app) quits, and an app started
  # during the reset fails with "Failed to initialize GTK".
  exec xvfb-run -a -s "-screen 0 1280x800x24 -noreset" "$0" "$@"
fi

# Inside the virtual display.
# The app keeps the GitHub token in the kernel's keyring (keyutils), in the session keyring; a
# headless shell may have none, so the run joins a new anonymous session keyring of its own
# (`keyctl session -`, else the same system call from python3) and uses a keyring service of
# its own: the user's kept token is never read or replaced.
if [ -z "${CODEBENCH_E2E_SESSION_KEYRING:-}" ]; then
  export CODEBENCH_E2E_SESSION_KEYRING=1
  if command -v keyctl >/dev/null; then exec keyctl session - "$0" "$@"; fi
  if command -v python3 >/dev/null; then
    exec python3 -c '
import ctypes, os, sys
nr = {"x86_64": 250, "aarch64": 219}.get(os.uname().machine)  # keyctl(2)
if nr is not None:
    ctypes.CDLL(None).syscall(nr, 1, None)  # KEYCTL_JOIN_SESSION_KEYRING, anonymous
os.execv(sys.argv[1], sys.argv[1:])
' "$0" "$@"
  fi
  echo "e2e: neither keyctl nor python3 found: the token tests need a session keyring" >&2
fi
export CODEBENCH_KEYRING_SERVICE=codebench-e2e
WORK=$(mktemp -d "${TMPDIR:-/tmp}/codebench-e2e.XXXXXX")
DRIVER_PID=
cleanup() {
  status=$?
  if [ -n "$DRIVER_PID" ] && kill -0 "$DRIVER_PID" 2>/dev/null; then
    kill "$DRIVER_PID" 2>/dev/null || true
    wait "$DRIVER_PID" 2>/dev/null || true
  fi
  if [ $status -ne 0 ] && [ -s "$WORK/driver.log" ]; then
    echo "e2e: last lines of the driver log ($WORK/driver.log):" >&2
    tail -n 30 "$WORK/driver.log" >&2
  fi
  if [ $status -eq 0 ]; then
    # A webview process of the last app can still be writing into the scratch cache for a
    # moment after the driver is gone: try again for a few seconds; a leftover scratch folder
    # is reported, never a failure of a run whose tests passed.
    for _ in $(seq 1 50); do rm -rf "$WORK" 2>/dev/null && break; sleep 0.1; done
    [ ! -e "$WORK" ] || echo "e2e: could not remove the scratch folder $WORK" >&2
  else
    echo "e2e: scratch folder kept: $WORK" >&2
  fi
  exit $status
}
trap cleanup EXIT INT TERM

# The app's world: its own HOME and XDG folders, and an `xdg-open` that only writes down the URL.
mkdir -p "$WORK/home" "$WORK/data" "$WORK/config" "$WORK/cache" "$WORK/runtime" "$WORK/bin"
chmod 700 "$WORK/runtime"
cat > "$WORK/bin/xdg-open" <<SH
#!/bin/sh
printf '%s\n' "\$*" >> "$WORK/opened.txt"
SH
chmod +x "$WORK/bin/xdg-open"
export HOME="$WORK/home" XDG_DATA_HOME="$WORK/data" XDG_CONFIG_HOME="$WORK/config" \
  XDG_CACHE_HOME="$WORK/cache" XDG_RUNTIME_DIR="$WORK/runtime" PATH="$WORK/bin:$PATH" \
  CODEBENCH_E2E_WORK="$WORK" CODEBENCH_E2E_OPENED="$WORK/opened.txt" \
  CODEBENCH_E2E_ARTIFACTS="$E2E/artifacts" TAURI_DRIVER_PORT="$PORT" NO_AT_BRIDGE=1 \
  MESA_SHADER_CACHE_DISABLE=true MESA_GLSL_CACHE_DISABLE=true
mkdir -p "$E2E/artifacts"

"$DRIVER" --port "$PORT" --native-port "$NATIVE_PORT" >"$WORK/driver.log" 2>&1 &
DRIVER_PID=$!
for _ in $(seq 1 100); do
  if node -e "fetch('http://127.0.0.1:$PORT/status').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; then
    break
  fi
  kill -0 "$DRIVER_PID" 2>/dev/null || fail "tauri-driver exited at start"
  sleep 0.1
done
node -e "fetch('http://127.0.0.1:$PORT/status').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" \
  || fail "tauri-driver did not answer on port $PORT"

if [ $# -eq 0 ]; then set -- "$E2E"/specs/*.test.mjs; fi
# One spec file at a time: WebKitWebDriver serves one session at a time.
node --test --test-concurrency=1 --test-reporter=spec "$@"
