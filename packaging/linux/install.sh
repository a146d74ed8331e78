#!/usr/bin/env bash
# Install a Lectern bundle for the current user, with its menu entry, icons and "Open with Lectern" for PDFs and
# folders. Nothing needs root.
#
#   ./install.sh [BUNDLE]        BUNDLE: the folder holding the `lectern` executable (default: ./lectern beside
#                                this script, as in the tarball)
#
# Where things go (XDG_DATA_HOME defaults to ~/.local/share):
#   $XDG_DATA_HOME/lectern/app/                 the bundle (replaced whole on reinstall)
#   $XDG_DATA_HOME/applications/lectern.desktop the launcher
#   $XDG_DATA_HOME/icons/hicolor/*/apps/lectern.{png,svg}
#   ~/.local/bin/lectern                        a link, when ~/.local/bin exists
# Run $XDG_DATA_HOME/lectern/app/uninstall.sh (or packaging/linux/uninstall.sh) to remove all of it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bundle="${1:-$here/lectern}"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
# lectern/app, not lectern/: Lectern's libraries live in $data/Lectern, the same folder on a
# case-insensitive file system, and an uninstall must never reach them.
dest="$data/lectern/app"
apps="$data/applications"
icons="$data/icons/hicolor"

if [ ! -x "$bundle/lectern" ]; then
  echo "install.sh: no Lectern bundle in $bundle (expected $bundle/lectern); build one with packaging/build.sh" >&2
  exit 2
fi
bundle="$(cd "$bundle" && pwd)"
# The bundle keeps its data beside the executable: _internal/ from PyInstaller 6 on.
res="$bundle/_internal/resources"
[ -d "$res" ] || res="$bundle/resources"
desktop_src="$bundle/_internal/packaging/linux/lectern.desktop"
[ -f "$desktop_src" ] || desktop_src="$here/lectern.desktop"

if [ "$bundle" != "$dest" ]; then
  tmp="$(dirname "$dest")/.installing.$$"
  rm -rf "$tmp"
  mkdir -p "$(dirname "$dest")"
  cp -a "$bundle" "$tmp"   # copy first, then swap: a failed copy leaves the old install working
  rm -rf "$dest"
  mv "$tmp" "$dest"
fi
cp "$here/uninstall.sh" "$dest/uninstall.sh" 2>/dev/null || true
chmod +x "$dest/uninstall.sh" 2>/dev/null || true

mkdir -p "$apps"
# Exec needs the absolute path; a path with spaces is quoted as the Desktop Entry spec requires.
exe="$dest/lectern"
sed -e "s|^Exec=.*|Exec=\"$exe\" %F|" -e "s|^TryExec=.*|TryExec=$exe|" "$desktop_src" > "$apps/lectern.desktop"
chmod 644 "$apps/lectern.desktop"

for png in "$res"/icons/lectern-*.png; do
  [ -f "$png" ] || continue
  size="$(basename "$png" .png)"; size="${size#lectern-}"
  mkdir -p "$icons/${size}x${size}/apps"
  cp "$png" "$icons/${size}x${size}/apps/lectern.png"
done
if [ -f "$res/lectern.svg" ]; then
  mkdir -p "$icons/scalable/apps"
  cp "$res/lectern.svg" "$icons/scalable/apps/lectern.svg"
fi

if [ -d "$HOME/.local/bin" ]; then
  ln -sfn "$exe" "$HOME/.local/bin/lectern"
fi

command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$icons" 2>/dev/null || true

echo "Lectern is installed in $dest"
echo "  menu entry: $apps/lectern.desktop"
echo "  check it:   \"$exe\" --self-test"
echo "  remove it:  \"$dest/uninstall.sh\""
