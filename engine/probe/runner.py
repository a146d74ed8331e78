"""Run the probe over a grid of lengths × depths × tasks × trials against a loaded backend.

Each finished trial is appended to the key's trial log before the next one starts, so a cancelled or killed run
loses at most the trial in progress, and running the same probe again (same model, same settings) runs only the
trials that are missing. Trials are ordered by length, then by depth from deep to shallow: the haystack of one
length is the same for every trial, so each prompt shares its start with the previous one and llama.cpp reuses
that part of its cache.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..cancel import ProgressCallback, check, report
from ..errors import Cancelled
from .report import ProbeResult
from .store import TrialLog, probe_key, read_json, write_json
from .tasks import ANSWER_TOKENS, TASKS, build_case, score

DEFAULT_DEPTHS = (0.1, 0.5, 0.9)
QUICK_DEPTHS = (0.25, 0.75)
TASK_VERSION = 1  # bump when prompts change, so old trials are not mixed with new ones


@dataclass(frozen=True)
class ProbeGrid:
    """What to run. Lengths are prompt + answer tokens; depths run from 0.0 (start) to 1.0 (end)."""

    lengths: tuple[int, ...]
    depths: tuple[float, ...] = DEFAULT_DEPTHS
    tasks: tuple[str, ...] = TASKS
    trials: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        bad = [t for t in self.tasks if t not in TASKS]
        if bad:
            raise ValueError(f"unknown probe task(s) {', '.join(bad)}; choose from {', '.join(TASKS)}")
        if not self.lengths or not self.depths or not self.tasks or self.trials < 1:
            raise ValueError("a probe needs at least one length, depth, task and trial")
        if any(not 0.0 <= d <= 1.0 for d in self.depths):
            raise ValueError("depths must be between 0 and 1")

    @classmethod
    def quick(cls, n_ctx: int) -> "ProbeGrid":
        """The settings panel's grid: 1k, 2k, 4k ... up to n_ctx, two depths, the single-needle task."""
        return cls(lengths=default_lengths(n_ctx), depths=QUICK_DEPTHS, tasks=("single",), trials=1)

    def as_dict(self) -> dict:
        return {**asdict(self), "task_version": TASK_VERSION}


@dataclass(frozen=True)
class _Trial:
    task: str
    length: int
    depth: float
    trial: int
    seed: int
    id: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", f"v{TASK_VERSION}|{self.task}|{self.length}|{self.depth:g}|{self.trial}|"
                                       f"{self.seed}")


def default_lengths(n_ctx: int) -> tuple[int, ...]:
    """1,024, 2,048, 4,096 ... up to n_ctx, and n_ctx itself."""
    out, n = [], 1024
    while n < n_ctx:
        out.append(n)
        n *= 2
    out.append(n_ctx)
    return tuple(out)


def plan_trials(grid: ProbeGrid, n_ctx: int) -> tuple[list[_Trial], list[int]]:
    """(trials in run order, lengths skipped because they exceed n_ctx)."""
    runnable = sorted({n for n in grid.lengths if n <= n_ctx})
    skipped = sorted({n for n in grid.lengths if n > n_ctx})
    trials = [_Trial(task, n, d, i, grid.seed) for n in runnable for d in sorted(grid.depths, reverse=True)
              for task in grid.tasks for i in range(grid.trials)]
    return trials, skipped


def run_probe(backend, grid: ProbeGrid, out_dir: Path, *, resume: bool = True, max_answer_tokens: int = 384,
              progress: ProgressCallback = None, cancel: Callable[[], bool] | None = None,
              heatmap: bool = True) -> ProbeResult:
    """Run (or finish) the probe for this backend's model and settings; save JSON and the heatmap.

    Args:
        backend: a loaded LlmBackend (count_tokens, render_chat, generate, effective_settings).
        grid: the lengths, depths, tasks and trials.
        out_dir: folder for the trial log, the result JSON and the heatmap PNG.
        resume: keep trials already in the log for this key (False starts the log afresh).
        max_answer_tokens: the answer length the suggested budget leaves room for.
        progress: called with Progress(stage="probe", done, total, unit="trials", message).
        cancel: True once the caller wants to stop.
        heatmap: write the PNG (matplotlib) as well.
    Returns:
        ProbeResult, also saved as <out_dir>/<key>.json.
    Raises:
        Cancelled: `cancel()` turned True; finished trials are kept in the log, and the partial result is saved.
        ModelError: the backend failed.
    """
    cancelled = cancel or (lambda: False)
    effective = dict(backend.effective_settings())
    n_ctx = int(effective.get("n_ctx") or 0)
    key = probe_key(effective)
    out_dir = Path(out_dir)
    trial_log = TrialLog(out_dir / f"{key}.trials.jsonl")
    if not resume:
        trial_log.clear()
    done = trial_log.load()
    todo, skipped = plan_trials(grid, n_ctx)
    records = {t.id: done[t.id] for t in todo if t.id in done}
    total = len(todo)
    name = str(effective.get("model_name") or getattr(backend, "name", "") or "model")

    def result(complete: bool) -> ProbeResult:
        res = ProbeResult(key=key, model=name, settings={k: v for k, v in effective.items() if k != "n_threads"},
                          grid=grid.as_dict(), trials=[records[t.id] for t in todo if t.id in records],
                          skipped_lengths=skipped, max_answer_tokens=max_answer_tokens,
                          created=time.strftime("%Y-%m-%dT%H:%M:%S%z"), complete=complete)
        _save(res, out_dir, heatmap)
        return res

    try:
        for t in todo:
            if t.id in records:
                continue
            check(cancelled)
            report(progress, stage="probe", done=len(records), total=total, unit="trials",
                   message=_progress_line(len(records), total, t, records))
            records[t.id] = _run_trial(backend, t, cancelled)
            trial_log.append(records[t.id])
    except Cancelled:
        result(complete=False)
        raise
    report(progress, stage="probe", done=total, total=total, unit="trials",
           message=_progress_line(total, total, None, records))
    return result(complete=True)


def _run_trial(backend, t: _Trial, cancelled: Callable[[], bool]) -> dict:
    case = build_case(t.task, t.length, t.depth, t.trial, count_tokens=backend.count_tokens,
                      render_chat=backend.render_chat, seed=t.seed)
    started = time.perf_counter()
    answer, stats = "", None
    # The whole prompt goes in as the suffix: each trial's prompt is new, so saving its state as a cached prefix
    # would only cost time and memory. llama.cpp still reuses the start it shares with the previous prompt.
    for ev in backend.generate("", case.prompt, max_tokens=min(case.max_tokens, ANSWER_TOKENS), temperature=0.0,
                               stop=["<|im_end|>"], cancel=cancelled, seed=0):
        if hasattr(ev, "text"):
            answer += ev.text
        else:
            stats = ev
    return {"id": t.id, "task": t.task, "length": t.length, "depth": t.depth, "trial": t.trial, "seed": t.seed,
            "prompt_tokens": case.prompt_tokens, "expected": list(case.expected),
            "distractors": list(case.distractors), "answer": answer.strip(),
            "score": score(answer, case.expected, case.distractors),
            "seconds": round(time.perf_counter() - started, 2),
            "prefill_tokens_per_s": round(getattr(stats, "prefill_tokens_per_s", 0.0), 1),
            "cached_tokens": getattr(stats, "cached_tokens", 0)}


def _progress_line(done: int, total: int, t: _Trial | None, records: dict[str, dict]) -> str:
    width = 20
    filled = int(width * done / total) if total else width
    bar = "█" * filled + "░" * (width - filled)
    scores = [r["score"] for r in records.values()]
    acc = f" · accuracy so far {sum(scores) / len(scores):.2f}" if scores else ""
    now = f" · {t.task} at {t.length:,} tokens, depth {t.depth:g}" if t is not None else ""
    return f"probe {bar} {done}/{total} trials{now}{acc}"


def _save(res: ProbeResult, out_dir: Path, heatmap: bool) -> None:
    json_path = out_dir / f"{res.key}.json"
    res.json_path = str(json_path)
    if heatmap and res.trials:
        from .heatmap import write_heatmap

        png = out_dir / f"{res.key}.png"
        write_heatmap(res, png)
        res.png_path = str(png)
    write_json(json_path, res.to_json())


def load_result(out_dir: Path, effective: dict) -> ProbeResult | None:
    """The saved result for this model + settings in `out_dir`, or None."""
    data = read_json(Path(out_dir) / f"{probe_key(effective)}.json")
    if data is None or "key" not in data:
        return None
    try:
        return ProbeResult.from_json(data)
    except (KeyError, TypeError, ValueError):
        return None
