"""In-process runner for ../shared/eval/score.py (same JSON shapes as the CLI, without process start-up per call).

    python ../shared/eval/score.py ../shared/eval/sets/squad-dev --runner scripts/eval_runner.py:EngineRunner
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from engine import Engine  # noqa: E402


class EngineRunner:
    def __init__(self, library: str, **settings):
        self.eng = Engine.open(library)
        for name, value in settings.items():
            self.eng.settings.set(name.replace("__", "."), value)

    def ingest(self, paths):
        rep = self.eng.ingest(paths)
        return rep.to_json()

    def search(self, q, k):
        return {"sources": [s.to_json() for s in self.eng.search(q, k=k)]}

    def ask(self, q):
        return self.eng.ask(q).to_json()

    def close(self):
        self.eng.close()
