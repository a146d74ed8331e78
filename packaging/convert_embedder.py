"""Convert the packaged embedder to an OpenVINO IR for the bundle: `python packaging/convert_embedder.py DEST`.

The conversion needs torch and transformers; running the IR needs neither. Doing it at build time lets the bundle
leave torch out (about 1 GB) and start its first ingest without a conversion. The result is the engine's own cache
folder (model.xml/.bin, tokenizer.json, manifest.json) per precision, copied to DEST/<model>-<backend>, where
engine/index/embedder_cache.bundled_conversion looks for it in a frozen bundle.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def convert(dest: Path) -> list[Path]:
    """Convert the packaged model into a fresh cache, once per precision, and copy each conversion to `dest`.

    Returns:
        The copied folders, the default precision's first.
    """
    import inspect

    with tempfile.TemporaryDirectory(prefix="lectern-convert-") as cache:
        os.environ["LECTERN_CACHE"] = cache  # never reuse (or touch) the developer's own cache
        os.environ.pop("LECTERN_BUNDLED_EMBEDDERS", None)
        from engine.index import embedder as emb
        from engine.index.embedder_cache import bundled_name, cache_folder, read_model_spec

        spec = read_model_spec(None)
        # Each precision the settings offer is its own conversion (int8 is quantized with NNCF at build time);
        # a bundle without the one a user picks would need torch to make it.
        variants = [("openvino", {})]
        if "precision" in inspect.signature(emb.Embedder.load).parameters:
            variants = [(emb._INT8, {"precision": "int8"}), ("openvino", {"precision": "float"})]
        out = []
        for key, kwargs in variants:
            embedder = emb.Embedder.load(None, backend="openvino", **kwargs)
            embedder.close()
            source = cache_folder(spec, key, emb._runtime_version(key))
            if not source.is_dir():
                raise SystemExit(f"the embedder did not convert to {key}: {embedder.fallback_reason}")
            target = dest / bundled_name(spec, key)
            if target.exists():
                shutil.rmtree(target)
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copytree(source, target)
            out.append(target)
    return out


if __name__ == "__main__":
    start = time.perf_counter()
    for out in convert(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "embedders"):
        size = sum(p.stat().st_size for p in out.iterdir()) / 1e6
        print(f"converted the embedder to {out} ({size:.0f} MB)")
    print(f"converting took {time.perf_counter() - start:.1f} s")
