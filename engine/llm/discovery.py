"""Find GGUF models already on this machine, so the settings panel can offer them without a file dialog.

Looks in the places the common local-LLM tools keep their downloads (LM Studio, GPT4All, Jan, the Hugging Face
cache, Ollama) plus ~/models and the folders named in LECTERN_MODEL_DIRS. The walk is bounded in depth and in
entries, follows folder symlinks at most once per folder (so loops end), and skips folders it may not read.

Ollama stores models as extension-less blobs named by digest; its manifests say which blob is the model layer
of which `name:tag`. Only blobs a manifest names as the model layer are offered: other GGUF blobs in the store are
vision projectors or adapters, which cannot answer on their own. Files named like `mmproj-*.gguf` and the second
and later parts of split models (`-00002-of-00003.gguf`) are skipped for the same reason.
"""
from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelLoadError
from ..paths import packaged_gguf_path
from .gguf import is_gguf_file

ENV_DIRS = "LECTERN_MODEL_DIRS"
MAX_DEPTH = 6
MAX_ENTRIES = 50_000  # directory entries looked at per root, so a huge ~/models cannot stall the panel
MAX_MODELS = 1_000
OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
_SPLIT_PART = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.IGNORECASE)
_SKIP_DIRS = {".git", "node_modules", "__pycache__", ".Trash"}


@dataclass(frozen=True)
class DiscoveredModel:
    """A GGUF file found on disk. `source` names where it came from ("packaged", "LM Studio", "Ollama" ...)."""

    path: Path
    name: str
    size: int
    source: str


def _search_roots(home: Path, env: dict[str, str]) -> list[tuple[str, Path]]:
    """(source, folder) pairs in the order they are offered."""
    roots: list[tuple[str, Path]] = []
    for part in env.get(ENV_DIRS, "").split(os.pathsep):
        if part.strip():
            roots.append(("LECTERN_MODEL_DIRS", Path(part.strip()).expanduser()))
    roots.append(("models folder", home / "models"))
    roots += [("LM Studio", home / ".lmstudio" / "models"), ("LM Studio", home / ".cache" / "lm-studio" / "models")]
    roots += [("GPT4All", home / ".local" / "share" / "nomic.ai" / "GPT4All"),
              ("GPT4All", home / "Library" / "Application Support" / "nomic.ai" / "GPT4All")]
    if env.get("LOCALAPPDATA"):
        roots.append(("GPT4All", Path(env["LOCALAPPDATA"]) / "nomic.ai" / "GPT4All"))
    roots += [("Jan", home / "jan" / "models"), ("Jan", home / ".jan"),
              ("Jan", home / ".config" / "Jan" / "data" / "models"),
              ("Jan", home / "Library" / "Application Support" / "Jan" / "data" / "models")]
    if env.get("APPDATA"):
        roots.append(("Jan", Path(env["APPDATA"]) / "Jan" / "data" / "models"))
    hub = (Path(env["HF_HUB_CACHE"]) if env.get("HF_HUB_CACHE")
           else Path(env["HF_HOME"]) / "hub" if env.get("HF_HOME") else home / ".cache" / "huggingface" / "hub")
    roots.append(("Hugging Face cache", hub.expanduser()))
    return roots


def _ollama_roots(home: Path, env: dict[str, str]) -> list[Path]:
    roots = [Path(env["OLLAMA_MODELS"]).expanduser()] if env.get("OLLAMA_MODELS") else []
    roots.append(home / ".ollama" / "models")
    if sys.platform.startswith("linux"):
        roots.append(Path("/usr/share/ollama/.ollama/models"))  # the systemd service's home
    return roots


def _walk_gguf(root: Path, max_depth: int = MAX_DEPTH, max_entries: int = MAX_ENTRIES) -> Iterator[Path]:
    """Yield .gguf files under `root`: depth-bounded, entry-bounded, each folder visited once (no symlink loops)."""
    seen: set[tuple[int, int]] = set()
    stack = [(root, 0)]
    budget = max_entries
    while stack and budget > 0:
        folder, depth = stack.pop()
        try:
            st = folder.stat()
            key = (st.st_dev, st.st_ino)
            if key in seen:
                continue
            seen.add(key)
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue  # unreadable, vanished, or a dangling link: silently not a source
        for entry in entries:
            budget -= 1
            if budget <= 0:
                break
            try:
                if entry.is_dir():
                    if depth < max_depth and entry.name not in _SKIP_DIRS:
                        stack.append((Path(entry.path), depth + 1))
                elif entry.name.lower().endswith(".gguf") and entry.is_file():
                    yield Path(entry.path)
            except OSError:
                continue


def _wanted(path: Path) -> bool:
    name = path.name.lower()
    if "mmproj" in name:
        return False
    split = _SPLIT_PART.search(name)
    return split is None or split.group(1) == "00001"


def _file_size(path: Path) -> int:
    """Size in bytes; for the first part of a split model, the sum of its parts."""
    size = path.stat().st_size
    split = _SPLIT_PART.search(path.name)
    if split:
        for i in range(2, int(split.group(2)) + 1):
            part = path.with_name(_SPLIT_PART.sub(f"-{i:05d}-of-{split.group(2)}.gguf", path.name))
            try:
                size += part.stat().st_size
            except OSError:
                break
    return size


def _ollama_models(models_dir: Path) -> Iterator[tuple[str, Path]]:
    """(name:tag, blob path) for every manifest whose model layer is a GGUF blob."""
    manifests = models_dir / "manifests"
    seen: set[tuple[int, int]] = set()
    stack, budget = [(manifests, 0)], MAX_ENTRIES
    while stack and budget > 0:
        folder, depth = stack.pop()
        try:
            st = folder.stat()
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            budget -= 1
            try:
                if entry.is_dir():
                    if depth < 5:
                        stack.append((Path(entry.path), depth + 1))
                    continue
                found = _read_manifest(Path(entry.path), manifests, models_dir / "blobs")
            except OSError:
                continue
            if found is not None:
                yield found


def _read_manifest(path: Path, manifests: Path, blobs: Path) -> tuple[str, Path] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    layers = data.get("layers") if isinstance(data, dict) else None
    digest = next((layer.get("digest") for layer in layers or [] if isinstance(layer, dict)
                   and layer.get("mediaType") == OLLAMA_MODEL_LAYER), None)
    if not isinstance(digest, str) or ":" not in digest:
        return None
    # Blobs are named "sha256-<hex>"; releases before 0.1.30 used "sha256:<hex>", which Windows cannot store.
    blob = next((b for b in (blobs / digest.replace(":", "-"), blobs / digest) if b.is_file()), None)
    if blob is None or not is_gguf_file(blob):
        return None
    parts = path.relative_to(manifests).parts  # host / namespace / model / tag
    if len(parts) < 2:
        return None
    *where, model, tag = parts
    if where[:2] == ["registry.ollama.ai", "library"]:
        where = []
    elif where[:1] == ["registry.ollama.ai"]:
        where = where[1:]
    return "/".join([*where, model]) + f":{tag}", blob


def discover_models(*, home: Path | None = None, env: dict[str, str] | None = None,
                    include_packaged: bool = True) -> list[DiscoveredModel]:
    """GGUF models on this machine: the packaged default first, then each tool's folder in turn.

    Args:
        home: the user's home folder (tests pass a fake one); default Path.home().
        env: environment variables to read (LECTERN_MODEL_DIRS, LOCALAPPDATA, HF_HOME, OLLAMA_MODELS ...);
            default os.environ.
        include_packaged: offer the packaged SmolLM2 first.
    Returns:
        Models in offer order, each file once (the same file reached by two paths or links is listed once).
    """
    home = Path(home) if home is not None else Path.home()
    env = dict(os.environ if env is None else env)
    out: list[DiscoveredModel] = []
    seen: set[str] = set()

    def add(path: Path, name: str, source: str) -> None:
        try:
            real = os.path.realpath(path)
            if real in seen or len(out) >= MAX_MODELS:
                return
            size = _file_size(path)
        except OSError:
            return
        seen.add(real)
        out.append(DiscoveredModel(path=path, name=name, size=size, source=source))

    if include_packaged:
        try:
            add(packaged_gguf_path(), "SmolLM2-135M-Instruct (packaged)", "packaged")
        except ModelLoadError:
            pass
    for source, root in _search_roots(home, env):
        for path in sorted(_walk_gguf(root), key=lambda p: (p.name.lower(), str(p))):
            if _wanted(path) and is_gguf_file(path):
                add(path, path.name[:-5], source)
    for models_dir in _ollama_roots(home, env):
        # One blob may be tagged twice; its plainest name ("llama3.2:3b" over "hf.co/user/repo:tag") wins.
        for name, blob in sorted(_ollama_models(models_dir), key=lambda nb: (nb[0].count("/"), nb[0])):
            add(blob, name, "Ollama")
    return out
