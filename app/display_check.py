"""Say plainly why the window cannot open on Linux, before Qt aborts with a message that names no package.

With no display, or with a system library its X11 plugin links against missing, Qt prints "could not load the Qt
platform plugin" and aborts the process. Neither names what to install, and the libraries Qt 6.5+ needs
(libxcb-cursor, libxcb-icccm, libxcb-keysyms ...) are missing from many fresh installs and containers. This check
runs before the QApplication is made, needs no Qt, and only speaks when it is sure Qt would fail.
"""
from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

# Qt 6.5+ loads libxcb-cursor with dlopen when the X11 plugin starts, so ldd does not list it.
DLOPENED_LIBRARIES = ("libxcb-cursor.so.0",)
# Set to start without the check (should it ever be wrong on some system).
SKIP_ENV = "LECTERN_NO_DISPLAY_CHECK"
_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.M)


def display_problem(env: Mapping[str, str] | None = None, platform: str = sys.platform,
                    missing_libraries: Callable[[], list[str]] | None = None) -> str | None:
    """Why Qt could not open a window here, in words a user can act on; None when nothing is known to be wrong.

    Args:
        env: the environment (default os.environ).
        platform: sys.platform; only Linux is checked.
        missing_libraries: returns the missing shared libraries (default: `missing_xcb_libraries`).
    """
    env = os.environ if env is None else env
    if not platform.startswith("linux") or env.get(SKIP_ENV):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "")
    if qpa and not qpa.startswith("xcb"):
        return None  # offscreen, wayland, vnc ...: the user chose; Qt reports on its own plugin
    if not qpa and env.get("WAYLAND_DISPLAY"):
        return None  # Qt may pick its Wayland plugin, which this does not check
    if not env.get("DISPLAY"):
        return ("Lectern's window needs a desktop session, and neither DISPLAY nor WAYLAND_DISPLAY is set. Start "
                "it from a desktop, over `ssh -X`, or under `xvfb-run`. Without a display, `python main.py "
                "--self-test` checks the installation and the `lectern` command reads and answers.")
    missing = (missing_libraries or missing_xcb_libraries)()
    if not missing:
        return None
    packages = " ".join(sorted({debian_package(name) for name in missing}))
    return (f"Qt's X11 plugin cannot load: the system libraries {', '.join(missing)} are missing. On Debian or "
            f"Ubuntu: sudo apt-get install {packages}. Elsewhere install the packages that provide them (on "
            f"Fedora: xcb-util-cursor, xcb-util-wm, xcb-util-keysyms).")


def missing_xcb_libraries(plugin: Path | None = None) -> list[str]:
    """Shared libraries Qt's X11 plugin needs and the system lacks, by file name, in the order found."""
    plugin = plugin or xcb_plugin()
    missing: list[str] = []
    ldd = shutil.which("ldd")
    if plugin is not None and plugin.exists() and ldd:
        try:
            out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""  # no verdict: better to let Qt try than to refuse a window that might open
        missing += _NOT_FOUND.findall(out)
    missing += [name for name in DLOPENED_LIBRARIES if not _loadable(name)]
    return list(dict.fromkeys(missing))  # ldd lists a library once per library that links it


def xcb_plugin() -> Path | None:
    """The X11 platform plugin of the installed PySide6 (also inside a frozen bundle), or None."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"


def debian_package(soname: str) -> str:
    """The Debian package that ships a shared library, by Debian's naming policy: libxcb-icccm.so.4 ->
    libxcb-icccm4, libxkbcommon-x11.so.0 -> libxkbcommon-x11-0 (a hyphen when the name ends in a digit)."""
    base, sep, version = soname.partition(".so.")
    if not sep:
        return soname.lower()
    version = version.split(".")[0]
    joiner = "-" if base[-1:].isdigit() else ""
    return f"{base}{joiner}{version}".lower()


def _loadable(name: str) -> bool:
    try:
        ctypes.CDLL(name)
    except OSError:
        return False
    return True
