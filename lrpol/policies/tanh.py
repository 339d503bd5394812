"""TanhDecay: a hyperbolic-tangent fall from a peak to a floor, in periods that may restart."""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..arguments import ArgumentError, arg
from ..registry import register
from .restarts import Restarting


@register
@dataclass(frozen=True)
class TanhDecay(Restarting):
    """A tanh curve from the peak down to a floor within each period, restarting at the next peak.

    Formula, with lr0 = ``ctx.initial_lr``, t = ``global_step`` (``unit="step"``) or
    ``epoch`` (``unit="epoch"``), floor = ``min_lr`` (or ``min_lr_ratio * lr0``), and period
    i, t_cur, L_i and height exactly as in :class:`CosineRestarts` (the same arguments: L_0 is
    ``period``, or T / ``periods``)::

        q     = t_cur / L_i
        lr(t) = floor + height * (1 - tanh(lb * (1 - q) + ub * q)) / 2
        lr(t) = floor                                                    i >= period_limit

    With the defaults lb = -7 and ub = 3 the LR stays near the peak for most of a period,
    then drops steeply in its last third.

    - Base: updates by default; ``unit="epoch"`` counts t and the periods in epochs. With
      ``period``, only t is read, so it works without ``steps_per_epoch``.
    - First update of a period (t_cur = 0): floor + height * (1 - tanh(lb)) / 2, just below
      the peak (0.99999917 of it for lb = -7). Last (t_cur = L_i - 1): the curve near
      tanh(ub), above the floor (by 0.0025 of the height for ub = 3).
    - After the end of the run: with ``period``, it keeps restarting (up to period_limit)
      unless a ``horizon`` ends it; with ``periods`` (or a horizon), from T on the value at
      T reached from below, held. For a single decay over the run, give ``periods=1``.
    - Same as timm ``TanhLRScheduler(t_initial=period, lb=lb, ub=ub, lr_min=min_lr,
      cycle_mul=period_mult, cycle_decay=peak_decay, cycle_limit=period_limit,
      t_in_epochs=unit == "epoch", warmup_t=0)`` with ``arithmetic="timm"`` (timm's default
      cycle_limit is 1: one period, then lr_min). timm's warmup is :class:`Warmup`'s. timm
      holds lr0 until its scheduler is first stepped, after the first update: its t = 0
      runs at lr0, this at the curve's start, 8.3e-7 below for lb = -7.

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=4)
    >>> policy = TanhDecay(periods=1, lb=-1, ub=1)  # q = t / 4: (1 - tanh(2 * q - 1)) / 2
    >>> [round(policy.evaluate(replace(ctx, global_step=s)), 12) for s in range(6)]
    [0.880797077978, 0.73105857863, 0.5, 0.26894142137, 0.119202922022, 0.119202922022]
    """

    lb: float = arg(default=-7.0, doc="where the tanh starts each period: the LR begins at floor + height * (1 - tanh(lb)) / 2 (timm lb)")
    ub: float = arg(default=3.0, doc="where it ends: the LR reaches floor + height * (1 - tanh(ub)) / 2 at the period's end (timm ub); above lb")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.lb < self.ub:
            raise ArgumentError("ub", f"must be above lb ({self.lb!r}), got {self.ub!r}", "the tanh runs from lb up to ub: the LR falls", code="out-of-range")

    def shape(self, t_cur: Any, length: Any, ops: Any) -> Any:
        q = t_cur / length
        return (1 - ops.tanh(self.lb * (1 - q) + self.ub * q)) / 2

    def scalar_shape(self) -> Callable[[Any, Any], Any]:
        tanh, lb, ub = math.tanh, self.lb, self.ub

        def shape(t_cur: Any, length: Any) -> Any:  # shape, written out for one update
            q = t_cur / length
            return (1 - tanh(lb * (1 - q) + ub * q)) / 2

        return shape
