#!/usr/bin/env bash
# Installs what Codebench needs to build, run and test, and nothing that is already there:
# Debian packages (as root; otherwise prints the exact apt-get line and stops), the npm
# packages of ui/ and tests/e2e (npm ci, from package-lock.json), and tauri-driver under
# target/tools. Called by `make run` and `make test`; safe to run again.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# Debian packages: the WebKitGTK toolchain for Tauri, Xvfb and the WebKit WebDriver for E2E,
# docker-registry for the image tests, R with readr for reading the exports back (scripts/readback.sh),
# xmllint (libxml2-utils) for validating the .qdpx exports against the REFI-QDA schema.
PACKAGES=(libwebkit2gtk-4.1-dev build-essential pkg-config libssl-dev xvfb xauth x11-utils webkit2gtk-driver docker-registry git r-base-core r-cran-readr libxml2-utils)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "deps: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "deps: these Debian packages are missing; install them with:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

for tool in cargo node npm; do
  command -v "$tool" >/dev/null || { echo "deps: $tool not found (Rust via rustup, Node.js >= 20.19 with npm)" >&2; exit 1; }
done

# npm packages, only when the lock file changed since the last install.
for dir in ui tests/e2e; do
  stamp="$dir/node_modules/.codebench-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
    echo "deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$stamp"
  fi
done

# tauri-driver (the WebDriver bridge for Tauri apps), project-local.
if [ ! -x target/tools/bin/tauri-driver ]; then
  echo "deps: installing tauri-driver into target/tools"
  cargo install tauri-driver --locked --root target/tools --quiet
fi
