"""The app's boundary, beyond import-linter: Qt is imported in one module only, and no heavy library anywhere."""
from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
HEAVY = {"llama_cpp", "faiss", "sentence_transformers", "torch", "fitz", "pymupdf", "sqlalchemy", "transformers",
         "numpy"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_only_app_qt_imports_pyside():
    importers = {p.relative_to(APP).as_posix() for p in APP.rglob("*.py")
                 if imported_modules(p) & {"PySide6", "shiboken6"}}
    assert importers == {"qt.py"}


def test_the_app_imports_no_heavy_library():
    for p in APP.rglob("*.py"):
        assert not imported_modules(p) & HEAVY, p


def test_the_app_uses_the_engine_facade_only():
    for p in APP.rglob("*.py"):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("engine."):
                raise AssertionError(f"{p} imports {node.module}; use `from engine import ...`")
