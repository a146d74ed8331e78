"""The probe's heatmap: accuracy by length (rows) and depth (columns), one panel per task.

The only module of Lectern that imports matplotlib, with the Agg backend (no display; safe in a worker thread).
"""
from __future__ import annotations

from pathlib import Path

from .report import ProbeResult, _k


def write_heatmap(result: ProbeResult, path: Path) -> Path:
    """Draw the result's accuracy grid to a PNG.

    Args:
        result: a probe result with at least one trial.
        path: the PNG to write (its folder must exist).
    Returns:
        path.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure  # a Figure without pyplot keeps no global state between threads

    tasks, lengths, depths = result.tasks, result.lengths, result.depths
    width = max(6.4, 1.6 + 1.3 * len(depths) * len(tasks) + 1.0)
    fig = Figure(figsize=(width, max(3.2, 1.8 + 0.45 * len(lengths))), dpi=110, layout="constrained")
    axes = fig.subplots(1, len(tasks), squeeze=False)[0]
    image = None
    for ax, task in zip(axes, tasks):
        grid = [[result.accuracy(task=task, length=n, depth=d) for d in depths] for n in lengths]
        values = [[float("nan") if v is None else v for v in row] for row in grid]
        image = ax.imshow(values, cmap="RdYlGn", vmin=0.0, vmax=1.0, aspect="auto")
        ax.set_xticks(range(len(depths)), [f"{d:g}" for d in depths])
        ax.set_yticks(range(len(lengths)), [_k(n) for n in lengths])
        ax.set_xlabel("needle depth")
        ax.set_title(task, fontsize=10)
        for i, row in enumerate(grid):
            for j, v in enumerate(row):
                if v is not None:
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8)
    axes[0].set_ylabel("length (tokens)")
    eff = result.effective_context
    model, _, knobs = result.describe_settings().partition(" · ")
    at_least = "at least " if result.effective_is_lower_bound else ""
    fig.suptitle(f"{model}\n{knobs}\neffective context: {f'{at_least}{eff:,} tokens' if eff else 'none'}",
                 fontsize=8)
    if image is not None:
        fig.colorbar(image, ax=list(axes), fraction=0.04, label="accuracy")
    fig.savefig(path)
    return Path(path)
