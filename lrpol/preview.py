"""See a schedule before spending GPU hours on it: the whole LR curve of a policy, as a
table, a CSV file or a PNG plot.

The curve is :func:`lrpol.curve`: what :class:`LRHook` applies at every update when it
is stepped once per update and, when there are metrics, told one validation result at
the end of each epoch. What the preview shows is therefore what training will do.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .context import TrainContext
from .curve import curve, fresh_copy
from .hook import LRHook, drive
from .policies.plateau import ReduceOnPlateau
from .policy import LRPolicy, state_key

if TYPE_CHECKING:  # numpy is imported where a curve is computed, not when lrpol is
    import numpy as np
    from numpy.typing import NDArray

#: The table shows at most this many epochs; longer runs show every k-th one.
MAX_TABLE_ROWS = 40


@dataclass
class Curve:
    """The LR of every update of a run, with what happened at the end of each epoch."""

    steps_per_epoch: int
    lrs: NDArray[np.float64]  # lrs[s] is the LR update s runs at
    final_lr: float  # the LR after the last update (what a longer run would start at)
    metrics: dict[int, float] = field(default_factory=dict)  # epoch -> result reported after it
    reductions: list[int] = field(default_factory=list)  # epochs after whose result the LR dropped

    @property
    def epochs(self) -> int:
        return len(self.lrs) // self.steps_per_epoch

    def epoch_rows(self) -> list[tuple[int, float, float]]:
        """(epoch, LR of its first update, LR of its last update) for every epoch."""
        spe = self.steps_per_epoch
        return [(e, float(self.lrs[e * spe]), float(self.lrs[e * spe + spe - 1])) for e in range(self.epochs)]


#: Updates a preview computes (8 bytes each): a run longer than this is refused, not attempted.
MAX_UPDATES = 100_000_000


def simulate(policy: LRPolicy | None, ctx: TrainContext, metrics: list[float] | None = None) -> Curve:
    """Run ``policy`` over ``ctx.total_epochs`` epochs of ``ctx.steps_per_epoch`` updates.

    ``metrics[e]`` is reported after epoch e (fewer metrics: no more validations after them).
    """
    spe, steps = ctx.steps_per_epoch, ctx.total_steps
    if spe is None or steps is None:
        raise ValueError("a preview needs ctx.steps_per_epoch: the epoch of each update must be known")
    if steps > MAX_UPDATES:
        raise ValueError(f"the run has {steps:,} updates; a preview covers at most {MAX_UPDATES:,} (pass a smaller --epochs or --steps-per-epoch)")
    with_after = curve(policy, ctx, steps=steps + 1, metrics=metrics)  # one more: the LR after the run
    lrs = with_after[:steps]
    metrics = metrics or []
    reported = {epoch: metrics[epoch] for epoch in range(min(len(metrics), ctx.total_epochs))}
    reductions = reduction_epochs(policy, ctx, list(reported.values())) if policy is not None and policy.reads_metric else []
    return Curve(steps_per_epoch=spe, lrs=lrs, final_lr=float(with_after[steps]), metrics=reported, reductions=reductions)


def reduction_epochs(policy: LRPolicy, ctx: TrainContext, metrics: list[float]) -> list[int]:
    """The epochs whose validation result made a ReduceOnPlateau (anywhere in the policy) reduce."""
    spe = ctx.steps_per_epoch
    if spe is None:
        raise ValueError("a preview needs ctx.steps_per_epoch: the epoch of each update must be known")
    run = TrainContext(initial_lr=ctx.initial_lr, total_epochs=ctx.total_epochs, steps_per_epoch=spe)
    hook = LRHook(fresh_copy(policy), run, lambda lr: None)
    # As in training, with a result after each epoch; only the updates that end an epoch
    # matter for counting, so the ones between them are skipped.
    lr0 = run.initial_lr
    counts = [plateau_reductions(policy, run.history, lr0) for _ in drive(hook, len(metrics) * spe, metrics, epoch_ends_only=True)]
    counts.append(plateau_reductions(policy, run.history, lr0))  # after the last result
    return [epoch for epoch in range(len(metrics)) if counts[epoch + 1] > counts[epoch]]


def plateau_reductions(policy: LRPolicy, history: dict, lr0: float | None = None) -> int:
    """How many reductions the ReduceOnPlateau policies in ``policy`` (itself included) have
    made in a run whose ``ctx.history`` is ``history``, each read from its saved ``reductions``.
    Given the run's ``lr0``, a plateau with ``eps`` counts none past its ``last_reduction``:
    those were skipped, the LR did not move."""
    saved = policy.save_history(history)

    def total(policy: LRPolicy, saved: dict) -> int:
        own = 0
        if isinstance(policy, ReduceOnPlateau):
            own = saved["reductions"] if lr0 is None else min(saved["reductions"], policy.last_reduction(lr0))
        return own + sum(total(child, saved.get(state_key(where), {})) for where, child in policy.children())

    return total(policy, saved)


def synthetic_metrics(epochs: int, mode: str = "max") -> list[float]:
    """The stand-in validation metric for a plateau policy: it improves linearly over the
    first half of the epochs, then stays flat (it falls instead when ``mode`` is "min").

    >>> synthetic_metrics(6)
    [0.0, 0.3333333333333333, 0.6666666666666666, 1.0, 1.0, 1.0]
    """
    half = max(1, epochs // 2)
    rising = [min(epoch, half) / half for epoch in range(epochs)]
    return rising if mode == "max" else [1.0 - value for value in rising]


def metric_mode(policy: LRPolicy) -> str:
    """"max" or "min": how the first metric-driven policy in the tree (depth first) reads results."""
    mode = getattr(policy, "mode", None)  # any policy may have one, not only ReduceOnPlateau
    if isinstance(mode, str) and mode in ("min", "max"):
        return mode
    for _, child in policy.children():
        if child.reads_metric:
            return metric_mode(child)
    return "max"


def table(run: Curve, max_rows: int = MAX_TABLE_ROWS) -> list[str]:
    """Lines of a compact table: every epoch, or every k-th (and the last) for long runs."""
    rows = run.epoch_rows()
    every = max(1, math.ceil(len(rows) / max_rows))
    shown = [row for row in rows if row[0] % every == 0 or row[0] == len(rows) - 1]
    with_metric = bool(run.metrics)
    header = f"{'epoch':>6}  {'first lr':>14}  {'last lr':>14}" + (f"  {'metric':>10}" if with_metric else "")
    lines = [header]
    for epoch, first, last in shown:
        line = f"{epoch:>6}  {first:>14.6e}  {last:>14.6e}"
        if with_metric:
            metric = run.metrics.get(epoch)
            line += f"  {'' if metric is None else format(metric, '.4g'):>10}"
            if epoch in run.reductions:
                line += "  reduced"
        lines.append(line)
    if every > 1:
        lines.append(f"(every {every} epochs shown; --csv writes every update)")
    lines.append(f"after the run: {run.final_lr:.6e}")
    return lines


def write_csv(run: Curve, path: str | Path) -> None:
    """One row per update: step, epoch, lr, and the metric reported after the epoch's last update."""
    spe = run.steps_per_epoch
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["step", "epoch", "lr", "metric"])
        for step, lr in enumerate(run.lrs.tolist()):
            epoch = step // spe
            metric = run.metrics.get(epoch, "") if step % spe == spe - 1 else ""
            writer.writerow([step, epoch, repr(lr), metric if metric == "" else repr(metric)])


def plot(run: Curve, path: str | Path, *, title: str, log: bool = False, size: tuple[float, float] = (8.0, 4.5), dpi: int = 100) -> None:
    """Write a PNG of LR against step: epochs marked, plateau reductions annotated.

    Needs matplotlib (``pip install 'lrpol[plot]'``). It draws on an Agg canvas of its own,
    so no display is needed and a notebook's backend is not touched.
    """
    plot_curves([("LR", run)], path, title=title, log=log, size=size, dpi=dpi)


#: (colour, line style) of the 1st, 2nd, ... curve on one chart: the second dashed, so it
#: shows where it lies on the first.
_STYLES = (("tab:blue", "-"), ("tab:orange", "--"), ("tab:green", ":"))


def plot_curves(runs: list[tuple[str, Curve]], path: str | Path, *, title: str, log: bool = False, size: tuple[float, float] = (8.0, 4.5), dpi: int = 100) -> None:
    """:func:`plot` for one or more labelled curves of the same run shape on one chart (a
    legend names them when there are several)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise RuntimeError("--plot needs matplotlib: pip install 'lrpol[plot]'") from None
    figure = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(figure)  # this figure only: the caller's pyplot backend is left alone
    axes = figure.add_subplot()
    first = runs[0][1]
    spe = first.steps_per_epoch
    for (label, run), (color, style) in zip(runs, _STYLES * len(runs)):
        axes.step(range(len(run.lrs)), run.lrs, where="post", color=color, linestyle=style, linewidth=1.5, label=label)
    if log:
        axes.set_yscale("log")
    if first.epochs <= 50:
        for epoch in range(1, first.epochs):
            axes.axvline(epoch * spe, color="0.85", linewidth=0.8, zorder=0)
    for _, run in runs:
        for epoch in run.reductions:
            step = (epoch + 1) * spe
            lr = run.lrs[step] if step < len(run.lrs) else run.final_lr
            axes.annotate("reduced", (step, lr), xytext=(0, 14), textcoords="offset points", ha="center", fontsize=8, arrowprops={"arrowstyle": "->", "color": "tab:red"}, color="tab:red")
    axes.set_xlabel(f"update (epochs of {spe} updates marked)" if first.epochs <= 50 else "update")
    axes.set_ylabel("learning rate")
    axes.set_title(title, fontsize=9)
    axes.grid(True, which="major", axis="y", color="0.9")
    if len(runs) > 1:
        axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, format="png")
