"""The check that names what to install when Qt could not open a window (app/display_check.py)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import display_check
from app.display_check import debian_package, display_problem

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("soname", "package"), [
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("libdbus-1.so.3", "libdbus-1-3"),
    ("libEGL.so.1", "libegl1"),
    ("libxcb-render-util.so.0.0.0", "libxcb-render-util0"),
])
def test_debian_package_follows_the_library_naming_policy(soname, package):
    assert debian_package(soname) == package


def test_missing_libraries_are_named_with_their_packages():
    problem = display_problem({"DISPLAY": ":0"}, "linux",
                              lambda: ["libxcb-icccm.so.4", "libxcb-cursor.so.0"])
    assert "libxcb-icccm.so.4, libxcb-cursor.so.0" in problem
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4." in problem


def test_no_display_says_how_to_start_and_what_works_headless():
    problem = display_problem({}, "linux", lambda: [])
    assert "DISPLAY" in problem and "xvfb-run" in problem and "--self-test" in problem


@pytest.mark.parametrize("env", [
    {"QT_QPA_PLATFORM": "offscreen"},             # the user chose another plugin
    {"WAYLAND_DISPLAY": "wayland-0"},              # Qt may use Wayland, not checked
    {"DISPLAY": ":0", display_check.SKIP_ENV: "1"},
])
def test_silent_when_qt_would_not_use_the_x11_plugin_or_the_user_opted_out(env):
    assert display_problem(env, "linux", lambda: ["libxcb-icccm.so.4"]) is None


def test_silent_off_linux_and_when_nothing_is_missing():
    assert display_problem({}, "darwin", lambda: ["x"]) is None
    assert display_problem({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, "linux", lambda: []) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the X11 plugin is Linux's")
def test_missing_libraries_found_by_ldd_are_shared_libraries():
    # What the real plugin lacks here (often nothing): every name is a shared library file, listed once.
    missing = display_check.missing_xcb_libraries()
    assert display_check.xcb_plugin().exists()
    assert all(".so" in name for name in missing) and len(missing) == len(set(missing))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt aborts without a display on Linux")
def test_the_app_without_a_display_exits_with_the_message_not_an_abort(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}}
    env["XDG_STATE_HOME"] = str(tmp_path)  # the log folder, away from the real one
    run = subprocess.run([sys.executable, str(ROOT / "main.py")], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr[-2000:]
    assert "lectern: Lectern's window needs a desktop session" in run.stderr
    # started from a file manager there is no terminal: the log file has it too
    logs = list(tmp_path.rglob("lectern.log"))
    assert len(logs) == 1 and "window needs a desktop session" in logs[0].read_text(encoding="utf-8")
