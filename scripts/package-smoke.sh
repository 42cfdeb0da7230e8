#!/usr/bin/env bash
# The installed package, as a researcher gets it: installs the .deb that `PROFILE=debug
# scripts/package.sh` made with apt, checks what it put on the machine (the CLI on PATH, the
# desktop entry that opens a *.codebench, the MIME type, the icon), runs the installed CLI and
# a smoke E2E of the installed app (tests/e2e specs 01 and 24 against /usr/bin/codebench-app),
# and removes the package again (KEEP_INSTALLED=1 keeps it).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROFILE=${PROFILE:-debug}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
fail() { echo "package-smoke: $*" >&2; exit 1; }

deb=$(ls -1t "$TARGET/$PROFILE"/bundle/deb/*.deb 2>/dev/null | head -n 1 || true)
[ -n "$deb" ] || fail "no .deb under $TARGET/$PROFILE/bundle/deb: run PROFILE=$PROFILE scripts/package.sh"
if [ "$(id -u)" -eq 0 ]; then as_root=(); elif sudo -n true 2>/dev/null; then as_root=(sudo -n); else
  fail "installing $deb needs root: run as root, or with password-less sudo"
fi
if dpkg-query -W -f='${Status}' codebench 2>/dev/null | grep -q "install ok installed"; then
  fail "a codebench package is already installed on this machine; remove it first (apt-get remove codebench)"
fi
remove() {
  status=$?
  if [ -z "${KEEP_INSTALLED:-}" ]; then
    "${as_root[@]}" apt-get remove -y -qq codebench >/dev/null 2>&1 || true
  fi
  exit $status
}
trap remove EXIT INT TERM

echo "package-smoke: apt-get install $deb"
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "$deb" >/dev/null

[ "$(command -v codebench)" = /usr/bin/codebench ] || fail "the installed CLI is not /usr/bin/codebench on PATH"
version=$(codebench --version)
[ "$version" = "codebench $(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n 1)" ] \
  || fail "codebench --version says '$version'"
echo "package-smoke: $version"
[ "$(/usr/bin/codebench-app --version)" = "codebench-app ${version#codebench }" ] || fail "codebench-app --version"

desktop=$(dpkg -L codebench | grep -m 1 '\.desktop$' || true)
[ -n "$desktop" ] || fail "the package has no desktop entry"
grep -qx 'Exec=codebench-app %f' "$desktop" || fail "$desktop does not pass the opened file (Exec=codebench-app %f)"
grep -qx 'MimeType=application/x-codebench;' "$desktop" || fail "$desktop does not claim application/x-codebench"
dpkg -L codebench | grep -q '/usr/share/icons/hicolor/.*/apps/codebench-app.png' || fail "the package has no icon"
# shared-mime-info's dpkg trigger compiles the package's MIME definition into the database.
[ -f /usr/share/mime/application/x-codebench.xml ] || fail "application/x-codebench is not in the MIME database"
grep -q ':application/x-codebench:\*\.codebench' /usr/share/mime/globs2 \
  || fail "the MIME database has no *.codebench glob for application/x-codebench"
echo "package-smoke: desktop entry, MIME type and icon installed"

CODEBENCH_APP=/usr/bin/codebench-app CODEBENCH_CLI=/usr/bin/codebench \
  "$ROOT/tests/e2e/run.sh" "$ROOT/tests/e2e/specs/01-projects.test.mjs" "$ROOT/tests/e2e/specs/24-open-file.test.mjs"
echo "package-smoke: the installed app and CLI work"
