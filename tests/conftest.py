"""Fixtures shared by every test folder: one real packaged embedder for the whole session."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine import Engine

# tests/eval/make_sets.py unpacks third-party projects (with their own test suites) under eval/*/docs/.
collect_ignore_glob = ["eval/*/docs"]


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
    """Loaded once (a few seconds) and handed to each test's engine through the facade's `embedder=`."""
    eng = Engine.open(tmp_path_factory.mktemp("embedder-library"))
    yield SharedEmbedder(eng.embedder)
    eng.close()
