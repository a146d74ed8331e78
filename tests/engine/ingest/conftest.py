"""Shared fixtures of the ingestion tests."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from engine.paths import packaged_embedder_dir


@pytest.fixture(scope="session")
def count_tokens():
    """The packaged embedder's own tokenizer (padding and truncation off: tokenizer.json pads everything to 128),
    so chunk sizes are checked in the tokens that get embedded."""
    import tokenizers

    tok = tokenizers.Tokenizer.from_file(str(packaged_embedder_dir() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return lambda texts: [len(e.ids) for e in tok.encode_batch(list(texts))]


def write_source(root: Path, rel: str, source: str) -> Path:
    """Write dedented `source` to root/rel (parents created)."""
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(source).lstrip("\n"))
    return p
