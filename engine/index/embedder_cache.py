"""What an embedding model folder says about itself, and the on-disk cache of its converted forms.

Both are plain Python on purpose: reading a model folder (sentence_bert_config.json, modules.json,
1_Pooling/config.json) must not import torch, or a cached OpenVINO model would pay torch's import on every
`lectern search`. The heavy converter itself lives in embedder.py and is handed in as a callable.

Cache layout: `cache_dir()/embedders/<label>-<backend>-<folder hash>-<key>/` holding the converted model,
tokenizer.json and manifest.json (written last). The key hashes the model files' names, sizes and mtimes, the
runtime's version and our format version, so an upgraded model or runtime converts afresh (and the older copy of
the same model folder is removed). A folder appears only by renaming a finished
temporary folder, so a reader never sees half a conversion and two processes converting at once both succeed:
the second rename fails and its work is discarded.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ModelLoadError
from ..paths import bundled_embedders_dir, cache_dir, packaged_embedder_dir

log = logging.getLogger(__name__)

FORMAT_VERSION = 1  # bump when the converted graph or the manifest changes meaning
PACKAGED_NAME = "all-MiniLM-L6-v2"
_POOLING_ORDER = ("cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean", "lasttoken")
_LEGACY_POOLING = {"pooling_mode_cls_token": "cls", "pooling_mode_max_tokens": "max",
                   "pooling_mode_mean_tokens": "mean", "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
                   "pooling_mode_weightedmean_tokens": "weightedmean", "pooling_mode_lasttoken": "lasttoken"}
_WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")
_STALE_SECONDS = 3600  # temporary folders older than this were left by a crashed conversion

R = TypeVar("R")


@dataclass(frozen=True)
class ModelSpec:
    """An embedding model folder as sentence-transformers would assemble it, read without importing torch."""

    root: Path
    transformer_dir: Path
    name: str
    max_seq_length: int
    do_lower_case: bool
    pooling: tuple[str, ...]
    dim: int
    pad_token_id: int
    query_prompt: str = ""
    document_prompt: str = ""
    unsupported: str | None = None  # why only sentence-transformers itself can run this model

    def tokenizer_json(self) -> str | None:
        path = self.transformer_dir / "tokenizer.json"
        return path.read_text(encoding="utf-8") if path.is_file() else None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"The embedding model file {path} cannot be read: {exc}") from exc


def _json_if_exists(path: Path) -> dict:
    data = _read_json(path) if path.is_file() else {}
    return data if isinstance(data, dict) else {}


def _pooling_modes(config: dict) -> tuple[str, ...]:
    mode = config.get("pooling_mode")
    if mode:
        return (mode,) if isinstance(mode, str) else tuple(mode)
    modes = tuple(m for key, m in _LEGACY_POOLING.items() if config.get(key))
    return modes or ("mean",)


def read_model_spec(model_path: str | os.PathLike | None) -> ModelSpec:
    """Describe the model in `model_path` (None or "" means the packaged all-MiniLM-L6-v2).

    Raises:
        ModelLoadError: the folder is missing, or holds no Hugging Face model (config, weights, tokenizer).
    """
    # Without a path the packaged model is meant, and its absence raises a ModelLoadError naming the package.
    root = Path(model_path).expanduser() if model_path else packaged_embedder_dir()
    if not root.exists():
        raise ModelLoadError(f"The embedding model folder {root} does not exist. Set embedder.model_path to a "
                             "sentence-transformers model folder, or leave it empty for the packaged model.")
    if not root.is_dir():
        raise ModelLoadError(f"The embedding model {root} is a file; embedder.model_path must name the folder "
                             "of a sentence-transformers model.")
    root = root.resolve()

    transformer_dir, pooling_config, unsupported = root, {}, []
    modules = _read_json(root / "modules.json") if (root / "modules.json").is_file() else None
    if modules is not None:
        if not isinstance(modules, list):
            raise ModelLoadError(f"{root / 'modules.json'} is not a sentence-transformers module list.")
        for module in modules:
            kind = str(module.get("type", "")).rsplit(".", 1)[-1]
            folder = root / str(module.get("path", ""))
            if kind == "Transformer":
                transformer_dir = folder
            elif kind == "Pooling":
                pooling_config = _json_if_exists(folder / "config.json")
            elif kind != "Normalize":
                unsupported.append(kind or "an unnamed module")

    config_path = transformer_dir / "config.json"
    if not config_path.is_file():
        raise ModelLoadError(f"{root} is not a sentence-transformers or Hugging Face model folder: "
                             f"{config_path.name} is missing.")
    config = _json_if_exists(config_path)
    if not any((transformer_dir / w).is_file() for w in _WEIGHTS):
        raise ModelLoadError(f"The embedding model folder {root} has no weights (model.safetensors or "
                             "pytorch_model.bin).")
    if not any((transformer_dir / t).is_file() for t in ("tokenizer.json", "tokenizer_config.json", "vocab.txt")):
        raise ModelLoadError(f"The embedding model folder {root} has no tokenizer files.")

    st_config = _json_if_exists(transformer_dir / "sentence_bert_config.json")
    tok_config = _json_if_exists(transformer_dir / "tokenizer_config.json")
    limits = [st_config.get("max_seq_length"), tok_config.get("model_max_length"),
              config.get("max_position_embeddings")]
    max_seq_length = min((int(x) for x in limits if isinstance(x, (int, float)) and 0 < x < 1_000_000), default=512)
    if st_config.get("max_seq_length"):
        max_seq_length = int(st_config["max_seq_length"])

    pooling = _pooling_modes(pooling_config)
    bad = [m for m in pooling if m not in _POOLING_ORDER]
    if bad:
        unsupported.append(f"pooling {', '.join(bad)}")
    hidden = int(pooling_config.get("word_embedding_dimension") or pooling_config.get("embedding_dimension")
                 or config.get("hidden_size") or config.get("d_model") or 0)

    st_model_config = _json_if_exists(root / "config_sentence_transformers.json")
    prompts = st_model_config.get("prompts") or {}
    query_prompt = str(prompts.get("query", ""))
    document_prompt = next((str(prompts[k]) for k in ("document", "passage", "corpus") if prompts.get(k)),
                           str(prompts.get(st_model_config.get("default_prompt_name") or "", "")))
    if (query_prompt or document_prompt) and pooling_config.get("include_prompt") is False:
        unsupported.append("prompts excluded from pooling")

    pad = config.get("pad_token_id")
    spec_facts = {"config": config, "pooling": pooling, "max_seq_length": max_seq_length, "prompts": prompts,
                  "lower": bool(st_config.get("do_lower_case")), "unsupported": unsupported,
                  "weights": sorted((w, (transformer_dir / w).stat().st_size) for w in _WEIGHTS
                                    if (transformer_dir / w).is_file())}
    fingerprint = hashlib.sha1(json.dumps(spec_facts, sort_keys=True, default=str).encode()).hexdigest()[:8]
    if root == _packaged_dir():
        name = PACKAGED_NAME
    else:
        label = root.parent.name if root.name.lower() in ("model", "models", "") else root.name
        name = f"{label}-{'+'.join(pooling)}-{fingerprint}"

    return ModelSpec(
        root=root, transformer_dir=transformer_dir, name=name, max_seq_length=max_seq_length,
        do_lower_case=bool(st_config.get("do_lower_case")), pooling=pooling, dim=hidden * len(pooling),
        pad_token_id=int(pad) if isinstance(pad, int) else 0, query_prompt=query_prompt,
        document_prompt=document_prompt,
        unsupported=("the model has modules only sentence-transformers runs: " + ", ".join(unsupported))
        if unsupported else None)


def _packaged_dir() -> Path | None:
    try:
        return packaged_embedder_dir().resolve()
    except ModelLoadError:
        return None


# --------------------------------------------------------------------------- the conversion cache
def cache_folder(spec: ModelSpec, backend: str, runtime_version: str) -> Path:
    """Where `spec` converted for `backend` lives; a different model file, size or runtime gives another folder."""
    files = []
    for folder in sorted({spec.transformer_dir, spec.root}):
        for entry in sorted(folder.iterdir()):
            if entry.is_file():
                st = entry.stat()
                files.append((str(entry), st.st_size, st.st_mtime_ns))
    facts = {"format": FORMAT_VERSION, "backend": backend, "runtime": runtime_version, "files": files,
             "max_seq_length": spec.max_seq_length, "pad": spec.pad_token_id}
    key = hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:12]
    return cache_dir() / "embedders" / f"{_family(spec, backend)}-{key}"


def _family(spec: ModelSpec, backend: str) -> str:
    """The part of a cache folder's name shared by every conversion of one model folder for one backend."""
    label = re.sub(r"[^A-Za-z0-9._-]+", "_", spec.name)[:48]
    where = hashlib.sha256(str(spec.root).encode()).hexdigest()[:8]
    return f"{label}-{backend}-{where}"


def cached_conversion(spec: ModelSpec, backend: str, runtime_version: str,
                      convert: Callable[[Path], dict[str, Any]], open_model: Callable[[Path], R]) -> tuple[Path, R]:
    """Open `spec` converted for `backend`, converting it first if the cache lacks it (or holds a broken copy).

    Args:
        convert: writes the converted model and tokenizer.json into the folder given; returns manifest facts.
        open_model: opens a finished folder; an exception means the cached copy is broken.

    Returns:
        (the cache folder, what open_model returned).

    Raises:
        ModelLoadError: conversion failed now or on an earlier run (the marker file named says how to retry).
        Exception: whatever `convert` or `open_model` raised when a fresh conversion cannot be used either.
    """
    bundled = bundled_conversion(spec, backend, runtime_version)
    if bundled is not None:
        try:
            return bundled, open_model(bundled)
        except Exception as exc:  # a damaged bundle: the cache (and its converter, if installed) may still serve
            log.warning("The bundled embedder in %s cannot be opened (%s); using the cache instead.", bundled, exc)
    final = cache_folder(spec, backend, runtime_version)
    failed = final.with_name(final.name + ".failed")
    if failed.is_file():
        raise ModelLoadError(f"converting it failed on an earlier run ({failed.read_text(encoding='utf-8')}); "
                             f"delete {failed} to try again")
    for attempt in (1, 2):
        if not _is_complete(final):
            if final.exists():
                log.warning("The converted embedder in %s is incomplete; converting again.", final)
                _discard(final)
            _build(final, convert, failed, {"model": str(spec.root), "backend": backend,
                                            "runtime": runtime_version})
            _prune_older(final, _family(spec, backend))
        try:
            return final, open_model(final)
        except Exception as exc:
            if attempt == 2:
                _write_atomically(failed, f"{type(exc).__name__}: {exc}")
                raise
            log.warning("The converted embedder in %s cannot be opened (%s); converting again.", final, exc)
            _discard(final)
    raise AssertionError("unreachable")


def bundled_name(spec: ModelSpec, backend: str) -> str:
    """The folder name of `spec` converted for `backend` inside a bundle's embedders folder."""
    return f"{spec.name}-{backend}"


def bundled_conversion(spec: ModelSpec, backend: str, runtime_version: str) -> Path | None:
    """A complete conversion of the packaged model shipped with a bundle for this runtime version, or None.

    Only the packaged model qualifies: a bundle converts nothing else at build time, and a user's model folder
    with the same name must not pick up its vectors.
    """
    root = bundled_embedders_dir()
    if root is None or spec.name != PACKAGED_NAME:
        return None
    folder = root / bundled_name(spec, backend)
    if not _is_complete(folder):
        return None
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("runtime") != runtime_version or manifest.get("backend") != backend:
        log.warning("The bundled embedder in %s was converted for %s %s, not %s; using the cache.", folder,
                    manifest.get("backend"), manifest.get("runtime"), runtime_version)
        return None
    return folder


def _build(final: Path, convert: Callable[[Path], dict[str, Any]], failed: Path, facts: dict[str, Any]) -> None:
    root = final.parent
    root.mkdir(parents=True, exist_ok=True)
    _sweep_stale(root)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=root))
    try:
        start = time.perf_counter()
        log.info("Converting the embedding model %s for %s (once; cached in %s)", facts["model"],
                 facts["backend"], final)
        try:
            facts.update(convert(tmp))
        except (OSError, ImportError):
            raise  # a full disk or a missing package may pass; do not remember it as a failed model
        except Exception as exc:
            _write_atomically(failed, f"{type(exc).__name__}: {exc}")
            raise
        facts["seconds"] = round(time.perf_counter() - start, 2)
        facts["format"] = FORMAT_VERSION
        facts["files"] = {p.name: p.stat().st_size for p in sorted(tmp.iterdir()) if p.is_file()}
        _write_atomically(tmp / "manifest.json", json.dumps(facts, indent=2))
        try:
            os.rename(tmp, final)
        except OSError:
            if not _is_complete(final):
                raise
            log.info("Another process finished converting %s first; using its copy.", final.name)
        else:
            log.info("Converted the embedding model in %.1f s", facts["seconds"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _is_complete(folder: Path) -> bool:
    """A finished conversion: its manifest names every file with its size, and they are all there."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        files = manifest["files"]
        return manifest.get("format") == FORMAT_VERSION and bool(files) and all(
            (folder / name).stat().st_size == size for name, size in files.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _discard(folder: Path) -> None:
    """Remove a broken cache folder; renaming it away first keeps others from reading it half-deleted."""
    trash = folder.with_name(f".trash-{folder.name}-{uuid.uuid4().hex[:8]}")
    try:
        os.rename(folder, trash)
    except FileNotFoundError:
        return  # another process discarded it already
    except OSError:
        trash = folder  # Windows refuses to rename a folder whose files are open; delete what we can
    shutil.rmtree(trash, ignore_errors=True)


def _prune_older(final: Path, family: str) -> None:
    """Remove this model's conversions for an older model file or runtime: each is as large as the model."""
    for entry in final.parent.glob(f"{family}-*"):
        if entry == final or entry.name == final.name + ".failed":
            continue
        if entry.is_dir():
            _discard(entry)
        else:
            entry.unlink(missing_ok=True)  # the failure marker of an older conversion


def _sweep_stale(root: Path) -> None:
    now = time.time()
    for entry in root.glob(".*"):
        try:
            if entry.is_dir() and now - entry.stat().st_mtime > _STALE_SECONDS:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            pass


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
