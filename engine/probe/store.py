"""Where probe results live: one key per model file + context settings, a trial log that survives interruption.

    <dir>/<key>.trials.jsonl   one line per finished trial, appended and flushed as each trial ends
    <dir>/<key>.json           the latest summarised result (ProbeResult.to_json)
    <dir>/<key>.png            its heatmap

The key names the model file (path, size, modification time) and every setting that changes what the model
computes (n_ctx, RoPE mode/factor/base, KV types, flash attention), so a result is found again exactly when the same
model runs with the same settings, and an interrupted run resumes only into a log of the same settings.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from pathlib import Path

log = logging.getLogger(__name__)

# What changes the model's output; threads and GPU layers only change speed.
KEY_SETTINGS = ("n_ctx", "rope_mode", "rope_factor", "rope_freq_base", "yarn_orig_ctx", "type_k", "type_v",
                "flash_attn")


def probe_key(effective: dict) -> str:
    """A file-name-safe key for a model + settings, e.g. `smollm2-135m-instruct-q4_1-ctx8192-none-f16-3fa2c1d0`.

    Args:
        effective: the backend's `effective_settings()` (model_path plus the settings in effect).
    Returns:
        The key.
    """
    path = str(effective.get("model_path") or effective.get("model_name") or "model")
    ident: dict = {k: effective.get(k) for k in KEY_SETTINGS}
    ident["model"] = path
    try:
        st = os.stat(path)
        ident["model"] = str(Path(path).resolve())
        ident["model_file"] = [st.st_size, st.st_mtime_ns]
    except OSError:
        pass
    digest = hashlib.sha1(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:8]
    stem = re.sub(r"[^a-z0-9_.]+", "-", Path(path).stem.lower()).strip("-")[:40] or "model"
    kv = str(effective.get("type_k", "f16"))
    if effective.get("type_v", kv) != kv:
        kv += "-" + str(effective.get("type_v"))
    return f"{stem}-ctx{effective.get('n_ctx', 0)}-{effective.get('rope_mode', 'model')}-{kv}-{digest}"


class TrialLog:
    """The finished trials of one key, one JSON object per line."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def load(self) -> dict[str, dict]:
        """Finished trials by id; a torn last line (the process was killed mid-write) is ignored."""
        out: dict[str, dict] = {}
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return out
        for line in lines:
            try:
                rec = json.loads(line)
            except ValueError:
                log.warning("ignoring a damaged line in %s", self.path)
                continue
            if isinstance(rec, dict) and "id" in rec:
                out[rec["id"]] = rec
        return out

    def append(self, record: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def write_json(path: Path, data: dict) -> None:
    """Write atomically, so a reader never sees half a result."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> dict | None:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
