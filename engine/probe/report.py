"""A probe's result: accuracy by task, length and depth, the effective context, a suggested budget, a table.

Effective context (the issue's definition, made strict): the longest probed length L such that the mean accuracy
at every probed length up to L is at least 85% of the accuracy at the shortest probed length. "Every length up to
L" keeps one lucky long cell from hiding a failure in between. A model that fails even at the shortest length has
no effective context (0): there is nothing to stay close to.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from statistics import mean

RETAIN = 0.85
PROMPT_MARGIN = 400  # instructions, question, history and template tokens; the same margin as answer/ask.py


@dataclass
class ProbeResult:
    """Everything one probe measured, for one model + settings (`key`)."""

    key: str
    model: str
    settings: dict
    grid: dict
    trials: list[dict]
    skipped_lengths: list[int] = field(default_factory=list)
    max_answer_tokens: int = 384
    created: str = ""
    complete: bool = True
    json_path: str | None = None
    png_path: str | None = None

    # ------------------------------------------------------------------ figures
    def accuracy(self, *, task: str | None = None, length: int | None = None,
                 depth: float | None = None) -> float | None:
        """Mean score of the trials matching the filters; None when there are none."""
        scores = [t["score"] for t in self.trials
                  if (task is None or t["task"] == task) and (length is None or t["length"] == length)
                  and (depth is None or abs(t["depth"] - depth) < 1e-9)]
        return mean(scores) if scores else None

    @property
    def lengths(self) -> list[int]:
        return sorted({t["length"] for t in self.trials})

    @property
    def depths(self) -> list[float]:
        return sorted({t["depth"] for t in self.trials})

    @property
    def tasks(self) -> list[str]:
        order = list(self.grid.get("tasks") or [])
        found = {t["task"] for t in self.trials}
        return [t for t in order if t in found] + sorted(found - set(order))

    def by_length(self) -> dict[int, float]:
        """Mean accuracy over all tasks and depths at each probed length."""
        return {n: self.accuracy(length=n) or 0.0 for n in self.lengths}

    @property
    def effective_context(self) -> int:
        return effective_context(self.by_length())

    @property
    def effective_is_lower_bound(self) -> bool:
        """True when even the longest probed length held up: the real effective context may be longer."""
        return bool(self.trials) and self.effective_context == max(self.lengths)

    @property
    def suggested_budget(self) -> int:
        """The largest cache budget the measurement supports (0 when there is no effective context)."""
        eff = min(self.effective_context, int(self.settings.get("n_ctx") or self.effective_context))
        return max(0, eff - self.max_answer_tokens - PROMPT_MARGIN) if eff else 0

    # ------------------------------------------------------------------ text
    def describe_settings(self) -> str:
        s = self.settings
        rope = str(s.get("rope_mode", "?"))
        factor = float(s.get("rope_factor") or 1.0)
        if factor > 1.0:
            rope += f" ×{factor:g}"
        kv = s.get("type_k", "?") if s.get("type_k") == s.get("type_v") else f"{s.get('type_k')}/{s.get('type_v')}"
        return (f"{self.model} · n_ctx {int(s.get('n_ctx') or 0):,} · RoPE {rope} · KV {kv} · "
                f"flash attention {'on' if s.get('flash_attn') else 'off'}")

    def table(self) -> str:
        """Accuracy per task (rows: lengths, columns: depths), then the overall figures."""
        lines = [self.describe_settings()]
        depths = self.depths
        for task in self.tasks:
            n = max((t["trial"] for t in self.trials if t["task"] == task), default=0) + 1
            lines.append(f"\n{task} ({n} trial{'s' if n > 1 else ''} per cell)")
            lines.append("length  " + "".join(f"{'d=' + format(d, '.2f'):>8}" for d in depths) + "    mean")
            for length in self.lengths:
                cells = [self.accuracy(task=task, length=length, depth=d) for d in depths]
                row = "".join(f"{'—' if c is None else format(c, '.2f'):>8}" for c in cells)
                m = self.accuracy(task=task, length=length)
                lines.append(f"{_k(length):>6}  {row}  {'—' if m is None else format(m, '.2f'):>6}")
        overall = self.by_length()
        lines.append("\nall tasks: " + ", ".join(f"{_k(n)} {a:.2f}" for n, a in overall.items()))
        if self.skipped_lengths:
            lines.append("not run (longer than n_ctx): " + ", ".join(_k(n) for n in self.skipped_lengths))
        lines.append(self.verdict())
        return "\n".join(lines)

    def verdict(self) -> str:
        overall = self.by_length()
        if not overall:
            return "effective context: nothing measured"
        first = min(overall)
        if not self.complete:
            head = "partial result (interrupted); "
        else:
            head = ""
        eff = self.effective_context
        if not eff:
            return (f"{head}effective context: none — accuracy at {_k(first)} is {overall[first]:.2f}, "
                    f"so there is no short-context baseline to keep")
        at_least = "at least " if self.effective_is_lower_bound else ""
        return (f"{head}effective context: {at_least}{eff:,} tokens (accuracy ≥ {RETAIN:.0%} of "
                f"{overall[first]:.2f} at {_k(first)}); suggested cache budget: {self.suggested_budget:,} tokens")

    # ------------------------------------------------------------------ JSON
    def to_json(self) -> dict:
        return {"key": self.key, "model": self.model, "settings": self.settings, "grid": self.grid,
                "created": self.created, "complete": self.complete,
                "effective_context": self.effective_context, "suggested_budget": self.suggested_budget,
                "effective_is_lower_bound": self.effective_is_lower_bound,
                "max_answer_tokens": self.max_answer_tokens,
                "accuracy_by_length": {str(k): v for k, v in self.by_length().items()},
                "accuracy": [{"task": task, "length": n, "depth": d,
                              "accuracy": self.accuracy(task=task, length=n, depth=d)}
                             for task in self.tasks for n in self.lengths for d in self.depths
                             if self.accuracy(task=task, length=n, depth=d) is not None],
                "skipped_lengths": self.skipped_lengths, "json_path": self.json_path, "png_path": self.png_path,
                "trials": self.trials}

    @classmethod
    def from_json(cls, data: dict) -> "ProbeResult":
        return cls(key=data["key"], model=data.get("model", ""), settings=data.get("settings") or {},
                   grid=data.get("grid") or {}, trials=list(data.get("trials") or []),
                   skipped_lengths=list(data.get("skipped_lengths") or []),
                   max_answer_tokens=int(data.get("max_answer_tokens", 384)), created=data.get("created", ""),
                   complete=bool(data.get("complete", True)), json_path=data.get("json_path"),
                   png_path=data.get("png_path"))


def effective_context(by_length: dict[int, float], retain: float = RETAIN) -> int:
    """The longest length whose accuracy, and that of every shorter length, is ≥ `retain` × the shortest's.

    Args:
        by_length: mean accuracy per length.
        retain: the share of the short-length accuracy that must be kept.
    Returns:
        The effective context in tokens; 0 if nothing was measured or the shortest length scores 0.
    """
    if not by_length:
        return 0
    lengths = sorted(by_length)
    base = by_length[lengths[0]]
    if base <= 0:
        return 0
    eff = 0
    for n in lengths:
        if by_length[n] + 1e-9 < retain * base:
            break
        eff = n
    return eff


def sweep_table(results: list[ProbeResult]) -> str:
    """One row per configuration: accuracy (all tasks) at each length and the effective context."""
    lengths = sorted({n for r in results for n in r.lengths} | {n for r in results for n in r.skipped_lengths})
    head = f"{'RoPE':8} {'KV':6} {'n_ctx':>7} " + "".join(f"{_k(n):>7}" for n in lengths) + "  effective"
    lines = [head]
    for r in results:
        s = r.settings
        acc = r.by_length()
        cells = "".join(f"{format(acc[n], '.2f') if n in acc else '—':>7}" for n in lengths)
        eff = r.effective_context
        shown = ("≥ " if r.effective_is_lower_bound else "") + format(eff, ",") if eff else "none"
        lines.append(f"{str(s.get('rope_mode')):8} {str(s.get('type_k')):6} {int(s.get('n_ctx') or 0):>7} {cells}"
                     f"  {shown}")
    return "\n".join(lines)


def _k(n: int) -> str:
    return f"{n // 1024}k" if n % 1024 == 0 else f"{n:,}"
