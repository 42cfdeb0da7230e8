#!/usr/bin/env bash
# make package: the desktop app as a .deb and an .rpm (Tauri's bundler, offline), each holding
# the app, the `codebench` CLI in /usr/bin, a desktop entry that opens a double-clicked
# *.codebench, the icon and the application/x-codebench MIME type.
#
#   scripts/package.sh            release build (what a researcher installs)
#   PROFILE=debug scripts/package.sh   packages the debug build `make build` made (what `make test`
#                                 installs: the same bundler and files, without a second,
#                                 optimised build of the whole workspace)
#
# Packages land in target/<profile>/bundle/{deb,rpm}/. AppImage is not made: its bundler
# downloads linuxdeploy and its plugins at build time, which this project never does.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROFILE=${PROFILE:-release}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
TAURI=$ROOT/ui/node_modules/.bin/tauri
[ -x "$TAURI" ] || { echo "package: $TAURI is missing: run scripts/deps.sh" >&2; exit 1; }
[ -f "$ROOT/ui/dist/index.html" ] || { echo "package: ui/dist is missing: run make ui" >&2; exit 1; }
case "$PROFILE" in
  release)
    cargo build --release -p codebench-cli -p codebench-app
    # The release profile keeps line tables for profiling (`debug = 1`: 220 MB of the app's
    # 247 MB; the .deb shrinks from 103 MB to 23 MB). A researcher installs the programs
    # without them: strip the two binaries the package takes, in place (cargo does not notice;
    # a profiler who wants the tables back runs `cargo clean --release -p codebench-app -p codebench-cli`).
    strip --strip-debug "$TARGET/release/codebench-app" "$TARGET/release/codebench"
    flag= ;;
  debug)
    [ -x "$TARGET/debug/codebench-app" ] && [ -x "$TARGET/debug/codebench" ] \
      || { echo "package: the debug build is missing: run make build" >&2; exit 1; }
    flag=--debug ;;
  *) echo "package: PROFILE must be release or debug, not '$PROFILE'" >&2; exit 2 ;;
esac
# The CLI's path depends on the profile, so it is added here (a JSON merge into the
# configuration in src-tauri/tauri.conf.json, which holds everything else).
cli=$TARGET/$PROFILE/codebench
files="{\"/usr/bin/codebench\":\"$cli\"}"
cd "$ROOT/src-tauri"
"$TAURI" bundle $flag --ci --bundles deb,rpm \
  --config "{\"bundle\":{\"linux\":{\"deb\":{\"files\":$files},\"rpm\":{\"files\":$files}}}}"
# The bundler's unpacked staging folders are copies of the binaries: drop them, keep the packages.
find "$TARGET/$PROFILE/bundle/deb" "$TARGET/$PROFILE/bundle/rpm" -mindepth 1 -maxdepth 1 -type d \
  -exec rm -rf {} +
ls -1 "$TARGET/$PROFILE"/bundle/deb/*.deb "$TARGET/$PROFILE"/bundle/rpm/*.rpm
