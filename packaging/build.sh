#!/usr/bin/env bash
# Build the Lectern bundle and its tarball: dist/lectern/ (run dist/lectern/lectern) and
# dist/lectern-<version>-linux-<arch>.tar.gz (unpack, then ./install.sh).
#
# Needs the development venv (scripts/setup.sh) plus PyInstaller: `.venv/bin/pip install -e ".[package]"`.
# Steps: convert the packaged embedder to OpenVINO (needs torch; REUSE_EMBEDDERS=1 keeps an earlier conversion),
# run PyInstaller on packaging/lectern.spec (which leaves torch out), pack the tarball. Prints each step's time.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
BUILD="${BUILD_DIR:-build}"
DIST="${DIST_DIR:-dist}"
export LECTERN_BUILD_EMBEDDERS="$PWD/$BUILD/embedders"

if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
  echo "build.sh: PyInstaller is not installed: $PY -m pip install -e \".[package]\"" >&2
  exit 2
fi
t0=$(date +%s)
if [ "${REUSE_EMBEDDERS:-0}" = "1" ] && ls "$LECTERN_BUILD_EMBEDDERS"/*-openvino*/manifest.json >/dev/null 2>&1; then
  echo "== reusing the converted embedder in $LECTERN_BUILD_EMBEDDERS (REUSE_EMBEDDERS=1)"
else
  echo "== converting the embedder to OpenVINO"
  "$PY" packaging/convert_embedder.py "$LECTERN_BUILD_EMBEDDERS"
fi
t1=$(date +%s)
echo "== PyInstaller"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN --distpath "$DIST" --workpath "$BUILD/pyinstaller" \
  packaging/lectern.spec
t2=$(date +%s)

name="$("$PY" -c 'import sys; sys.path.insert(0, "packaging"); import bundle_contents as b; print(b.tarball_name())')"
if [ "$(uname -s)" = "Linux" ]; then
  echo "== tarball"
  stage="$BUILD/tarball/$name"
  rm -rf "$BUILD/tarball"
  mkdir -p "$stage"
  cp -a "$DIST/lectern" "$stage/lectern"
  cp packaging/linux/install.sh packaging/linux/uninstall.sh packaging/linux/lectern.desktop "$stage/"
  [ -f packaging/README.md ] && cp packaging/README.md "$stage/README.md"
  tar -C "$BUILD/tarball" -czf "$DIST/$name.tar.gz" "$name"
fi
t3=$(date +%s)
echo "== done: converting $((t1 - t0)) s, PyInstaller $((t2 - t1)) s, tarball $((t3 - t2)) s, total $((t3 - t0)) s"
echo "bundle: $(du -sh "$DIST/lectern" | cut -f1) in $DIST/lectern"
[ -f "$DIST/$name.tar.gz" ] && echo "tarball: $(du -h "$DIST/$name.tar.gz" | cut -f1) $DIST/$name.tar.gz"
exit 0
