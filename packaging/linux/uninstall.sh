#!/usr/bin/env bash
# Remove what install.sh put in place: the bundle, the launcher, the icons and the ~/.local/bin link.
# Libraries (your documents' indexes) and settings are left alone; the script says where they are.
set -euo pipefail
data="${XDG_DATA_HOME:-$HOME/.local/share}"
# lectern/app, not lectern/: Lectern's libraries live in $data/Lectern, the same folder on a
# case-insensitive file system, and an uninstall must never reach them.
dest="$data/lectern/app"
apps="$data/applications"
icons="$data/icons/hicolor"

rm -f "$apps/lectern.desktop"
for f in "$icons"/*/apps/lectern.png "$icons"/scalable/apps/lectern.svg; do
  [ -e "$f" ] && rm -f "$f"
done
link="$HOME/.local/bin/lectern"
if [ -L "$link" ] && [ "$(readlink "$link")" = "$dest/lectern" ]; then
  rm -f "$link"
fi
# Only a folder that holds a Lectern bundle is removed, never whatever else the path might name.
if [ -x "$dest/lectern" ]; then
  rm -rf "$dest"
fi
rmdir "$(dirname "$dest")" 2>/dev/null || true
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$icons" 2>/dev/null || true
echo "Lectern is uninstalled. Your libraries and settings stay in $data/Lectern and ~/.config (delete them by hand)."
