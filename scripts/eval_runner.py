"""In-process runner for ../shared/eval/score.py (same JSON shapes as the CLI, without process start-up per call).

    python ../shared/eval/score.py ../shared/eval/sets/squad-dev --runner scripts/eval_runner.py:EngineRunner
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# one runner for the scorer, shared with `lectern bench`
from engine.bench.retrieval import EvalRunner as EngineRunner  # noqa: E402,F401
