#!/usr/bin/env bash
# Build the bundle and prove it works: `packaging/check.sh` (or `packaging/check.sh --no-build` to test dist/;
# REUSE_EMBEDDERS=1 skips the embedder conversion when build/embedders holds one).
# Runs `dist/lectern/lectern --self-test` (headless: ingest, ask, verify a citation) with a scratch cache and
# library, then times the start to a shown window on Qt's offscreen platform. Prints the figures
# packaging/README.md records. Exit status: non-zero when the build or the self-test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
DIST="${DIST_DIR:-dist}"
if [ "${1:-}" != "--no-build" ]; then
  start=$(date +%s)
  packaging/build.sh
  echo "build time: $(( $(date +%s) - start )) s"
fi
exe="$DIST/lectern/lectern"
[ -x "$exe" ] || { echo "check.sh: no bundle at $exe" >&2; exit 2; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# A scratch cache proves the bundle converts nothing at run time (it has no torch to convert with).
export LECTERN_CACHE="$scratch/cache" XDG_CONFIG_HOME="$scratch/config" XDG_DATA_HOME="$scratch/data" \
  XDG_STATE_HOME="$scratch/state" XDG_CACHE_HOME="$scratch/xdg-cache"

echo "== self-test"
t0=$(date +%s.%N)
"$exe" --self-test
t1=$(date +%s.%N)
echo "self-test wall time: $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s"

echo "== start to first window (QT_QPA_PLATFORM=offscreen)"
for i in 1 2 3; do
  t0=$(date +%s.%N)
  QT_QPA_PLATFORM=offscreen LECTERN_QUIT_AFTER_START=1 "$exe" --library "$scratch/library" >/dev/null 2>&1
  t1=$(date +%s.%N)
  echo "start to window, run $i: $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s"
done
echo "bundle size: $(du -sh "$DIST/lectern" | cut -f1)"
