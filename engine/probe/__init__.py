"""The effective-context probe: needle-in-a-haystack and RULER-style tasks over lengths × depths.

    grid = ProbeGrid(lengths=(4096, 8192), depths=(0.1, 0.5, 0.9), tasks=("single", "vartrack"))
    result = run_probe(backend, grid, out_dir, progress=print, cancel=stop.is_set)
    print(result.table(), result.effective_context)

Importing this package is cheap: matplotlib loads only when a heatmap is drawn (heatmap.py).
"""
from .report import ProbeResult, effective_context, sweep_table
from .runner import DEFAULT_DEPTHS, ProbeGrid, default_lengths, load_result, run_probe
from .store import probe_key
from .tasks import ANSWER_TOKENS, TASKS, ProbeCase, build_case, score

__all__ = ["ProbeResult", "effective_context", "sweep_table", "DEFAULT_DEPTHS", "ProbeGrid", "default_lengths",
           "load_result", "run_probe", "probe_key", "ANSWER_TOKENS", "TASKS", "ProbeCase", "build_case", "score"]
