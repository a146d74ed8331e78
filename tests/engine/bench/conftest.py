"""Fixtures of the benchmark tests: one real embedder for the session, handed to each engine."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine import Engine


class SharedEmbedder:
    """The real packaged embedder, shared across tests; engines "close" it without unloading it."""

    def __init__(self, inner):
        self._inner = inner

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def close(self) -> None:
        pass


@pytest.fixture(scope="session")
def embedder(tmp_path_factory) -> Iterator[SharedEmbedder]:
    eng = Engine.open(tmp_path_factory.mktemp("embedder-library"))
    yield SharedEmbedder(eng.embedder)
    eng.close()


@pytest.fixture
def engine_factory(embedder):
    return lambda library_dir: Engine.open(library_dir, embedder=embedder)
