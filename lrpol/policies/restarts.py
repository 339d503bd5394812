"""CosineRestarts: cosine annealing that restarts at lr0, in periods that may grow (SGDR)."""

import functools
import itertools
import math
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..arguments import arg
from ..clock import UNITS
from ..context import RunView
from ..registry import register
from ..schedule import SCALAR, Schedule


def period_starts(t_max: int, period: int, period_mult: int) -> tuple[int, ...]:
    """The t at which each period starts, from 0 up to the first one past ``t_max``.

    Integers throughout: a period never ends a step early or late, however long the run.

    >>> period_starts(20, period=2, period_mult=3)
    (0, 2, 8, 26)
    """
    starts, length = [0], period
    while starts[-1] <= t_max:
        starts.append(starts[-1] + length)
        length *= period_mult
    return tuple(starts)


@functools.lru_cache(maxsize=64)
def _periods(bound: int, period: int, period_mult: int) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
    """The starts of the periods up to ``bound``, and each period as (start, length): remembered
    for the last few bounds, since a run's updates share them."""
    starts = period_starts(bound, period, period_mult)
    return starts, tuple(zip(starts, [b - a for a, b in itertools.pairwise(starts)]))


@register
@dataclass(frozen=True)
class CosineRestarts(Schedule):
    """Cosine annealing from lr0 to ``min_lr`` within periods, restarting at lr0 (SGDR).

    Formula, with lr0 = ``ctx.initial_lr``, t = ``global_step`` (``unit="step"``) or
    ``epoch`` (``unit="epoch"``), period i (i = 0, 1, ...) lasting
    T_i = period * period_mult ** i and starting at S_i = T_0 + ... + T_(i-1)::

        i     = the period holding t:  S_i <= t < S_i + T_i
        t_cur = t - S_i
        lr(t) = min_lr + (lr0 - min_lr) * (1 + cos(pi * t_cur / T_i)) / 2

    i, t_cur and T_i are found with integers (no float logarithm), so each restart falls
    exactly on t = S_i.

    - Base: updates by default; ``unit="epoch"`` counts t and the periods in epochs. Only
      t is read, so it works without ``steps_per_epoch``.
    - First change: at t = 1. Last update of a period (t = S_i + T_i - 1): just above
      min_lr, which is itself never reached; the next update restarts at lr0.
    - After the end of the run: it keeps restarting; the run's length plays no part.
    - Same as torch ``CosineAnnealingWarmRestarts(T_0=period, T_mult=period_mult,
      eta_min=min_lr)`` stepped once per update (or epoch), without an argument.

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=1.0, total_epochs=1)
    >>> policy = CosineRestarts(period=2, period_mult=2)
    >>> [round(policy.evaluate(replace(ctx, global_step=s)), 12) for s in range(8)]
    [1.0, 0.5, 1.0, 0.853553390593, 0.5, 0.146446609407, 1.0, 0.961939766256]
    """

    period: int = arg(doc="length of the first period, in unit", ge=1)
    period_mult: int = arg(default=1, doc="each period is this many times longer than the one before", ge=1)
    min_lr: float = arg(default=0.0, doc="the floor each period anneals towards", ge=0)
    unit: str = arg(default="step", choices=UNITS, doc="what t counts: 'step' (every update) or 'epoch' (constant within an epoch)")

    uses_length = False

    def formula(self, t: Any, total: Any, lr0: float, ops: Any) -> Any:
        if self.period_mult == 1:
            t_cur, length = t % self.period, self.period
        else:  # the period holding t, among the periods up to the next power of two past the
            # furthest t asked for, so that a run's updates share one list of periods
            starts, periods = _periods(2 ** int(ops.largest(t)).bit_length(), self.period, self.period_mult)
            start, length = ops.pick(periods, ops.count_passed(starts, t) - 1)
            t_cur = t - start
        # The same operations, in the same order, as torch: its values agree to the last bit.
        return self.min_lr + (lr0 - self.min_lr) * (1 + ops.cos(ops.pi * t_cur / length)) / 2

    def _bound(self, first: int, unit: str, total: int | None, lr0: float) -> Callable[[RunView], float]:
        """:meth:`formula` for one run, lr0 - min_lr computed once rather than at every update.

        With period_mult 1 a period is t % period, as in the formula. With growing periods the
        closure remembers the period its last t fell in, as (start, end, length), and looks a
        period up (as the formula does, with :func:`_periods`) only when t leaves it: once a
        period in a run that goes forward, at any t after a jump (a resumed run). What it
        remembers is its own, never the policy's. The LR is then the formula's operations, in
        its order: the same float at every t.
        """
        formula, min_lr, period, period_mult = self.formula, self.min_lr, self.period, self.period_mult
        span = lr0 - min_lr
        # Dividing by an int converts it to the float it is, as float() does: dividing by that float
        # is the same operation, without converting at every update. (So are 1.0 and 2.0 for 1 and 2.)
        length = float(period)
        by_epoch = unit == "epoch"
        cos, pi = math.cos, math.pi

        if period_mult == 1:

            def restarts(ctx: RunView) -> float:
                t = (ctx.epoch if by_epoch else ctx.global_step) - first
                if t < 0 and first:  # before its phase: the phase's first update
                    t = 0
                return min_lr + span * (1.0 + cos(pi * (t % period) / length)) / 2.0

            return restarts

        current = (0, period, length)  # the period last found, as (start, end, length): the first

        def growing_restarts(ctx: RunView) -> float:
            nonlocal current
            t = (ctx.epoch if by_epoch else ctx.global_step) - first
            start, end, length = current
            if not start <= t < end:  # t left the period remembered: the next one, or a jump
                if t < 0:
                    if not first:  # a clock below 0: whatever the formula makes of it
                        return formula(t, None, lr0, SCALAR)
                    t = 0  # before its phase: the phase's first update
                starts, periods = _periods(2 ** int(t).bit_length(), period, period_mult)
                start, length = periods[bisect_right(starts, t) - 1]
                end = start + length
                length = float(length)  # raises past floats, as the formula's division would
                current = start, end, length  # one tuple: start, end and length always agree
            return min_lr + span * (1.0 + cos(pi * (t - start) / length)) / 2.0

        return growing_restarts
