"""packaging/linux/install.sh and uninstall.sh against a stand-in bundle in a scratch home (no build needed)."""
from __future__ import annotations

import configparser
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _bundle(tmp_path: Path) -> Path:
    """The shape of a PyInstaller onedir bundle: the executable and its _internal/ data."""
    bundle = tmp_path / "dist" / "lectern"
    internal = bundle / "_internal"
    shutil.copytree(ROOT / "resources", internal / "resources")
    shutil.copytree(LINUX, internal / "packaging" / "linux")
    exe = bundle / "lectern"
    exe.write_text("#!/bin/sh\necho lectern \"$@\"\n")
    exe.chmod(0o755)
    return bundle


def _run(script: str, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    return subprocess.run(["bash", str(LINUX / script), *args], env=env, capture_output=True, text=True,
                          timeout=60)


def test_install_puts_bundle_launcher_and_icons_in_place_and_uninstall_removes_them(tmp_path):
    home = tmp_path / "home"
    (home / ".local" / "bin").mkdir(parents=True)
    library = home / ".local" / "share" / "Lectern" / "library"
    library.mkdir(parents=True)
    (library / "lectern.sqlite").write_text("the user's index")
    run = _run("install.sh", home, str(_bundle(tmp_path)))
    assert run.returncode == 0, run.stderr

    share = home / ".local" / "share"
    exe = share / "lectern" / "app" / "lectern"
    assert subprocess.run([str(exe), "x.pdf"], capture_output=True, text=True).stdout.strip() == "lectern x.pdf"
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(share / "applications" / "lectern.desktop")
    assert entry["Desktop Entry"]["Exec"] == f'"{exe}" %F'
    assert entry["Desktop Entry"]["MimeType"] == "application/pdf;inode/directory;"
    icons = share / "icons" / "hicolor"
    for size in (16, 48, 256, 512):
        assert (icons / f"{size}x{size}" / "apps" / "lectern.png").is_file()
    assert (icons / "scalable" / "apps" / "lectern.svg").is_file()
    assert (home / ".local" / "bin" / "lectern").resolve() == exe.resolve()
    assert (share / "lectern" / "app" / "uninstall.sh").is_file()

    again = _run("install.sh", home, str(_bundle(tmp_path / "second")))  # a reinstall replaces the bundle
    assert again.returncode == 0, again.stderr

    run = _run("uninstall.sh", home)
    assert run.returncode == 0, run.stderr
    assert not (share / "lectern").exists()
    assert not (share / "applications" / "lectern.desktop").exists()
    assert not list(icons.rglob("lectern.*"))
    assert not (home / ".local" / "bin" / "lectern").is_symlink()
    assert (library / "lectern.sqlite").read_text() == "the user's index"  # the user's libraries stay


def test_install_refuses_a_folder_without_a_bundle(tmp_path):
    run = _run("install.sh", tmp_path / "home", str(tmp_path / "nothing-here"))
    assert run.returncode == 2 and "no Lectern bundle" in run.stderr
    assert not (tmp_path / "home" / ".local" / "share" / "lectern").exists()
