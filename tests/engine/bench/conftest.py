"""Fixtures of the benchmark tests; the shared real embedder (`embedder`) comes from tests/conftest.py."""
from __future__ import annotations

import pytest

from engine import Engine


@pytest.fixture
def engine_factory(embedder):
    return lambda library_dir: Engine.open(library_dir, embedder=embedder)
