"""PiecewiseInterpolate: the LR through a list of knots, each a boundary and a factor, linearly,
along a half cosine, or as steps."""

import functools
import itertools
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..arguments import ArgumentError, arg
from ..clock import UNITS
from ..context import RunView
from ..registry import register
from ..schedule import SCALAR, Schedule

INTERPOLATIONS = ("linear", "cosine", "constant")

Segment = tuple[float, float, float, float]


@functools.lru_cache(maxsize=64)
def segments(boundaries: tuple[int, ...], scales: tuple[float, ...]) -> tuple[Segment, ...]:
    """Row k (k = how many boundaries t has passed) is the segment t lies in, as (where it
    starts, its length, the factor of lr0 there, the factor at its end): from 0 (factor 1) to
    the first boundary, then from each boundary to the next; the last row holds the final factor.

    Starts and lengths are floats, as a curve's table of rows holds them, so that (t - start) /
    length is the same float on both paths (a length past 2**53, between boundaries far apart,
    is not a float exactly, and an integer quotient would round otherwise).

    >>> segments((2, 6), (0.5, 0.5))
    ((0.0, 2.0, 1.0, 0.5), (2.0, 4.0, 0.5, 0.25), (6.0, 1.0, 0.25, 0.25))
    """
    factors = tuple(itertools.accumulate(scales, operator.mul, initial=1.0))
    starts = (0, *boundaries[:-1])
    # The segment before a boundary <= 0 is empty (t >= 0 is past it): its length only avoids 0.
    rows = [(float(start), float(max(end - start, 1)), factors[k], factors[k + 1]) for k, (start, end) in enumerate(zip(starts, boundaries))]
    return (*rows, (float(boundaries[-1]), 1.0, factors[-1], factors[-1]))


@register
@dataclass(frozen=True)
class PiecewiseInterpolate(Schedule):
    """Move the LR through knots of cumulative scales: linearly, along half cosines, or as steps.

    Formula, with lr0 = ``ctx.initial_lr``, t = ``global_step`` (``unit="step"``) or ``epoch``
    (``unit="epoch"``), boundaries b_1 < ... < b_n and scales s_1 .. s_n, the knots are
    (0, lr0) and (b_i, v_i) with v_i = lr0 * s_1 * ... * s_i (the scales multiply
    cumulatively). With k = how many b_i <= t, the segment holding t runs from a = b_k
    (0 when k = 0) to b = b_(k+1), from u = v_k (lr0 when k = 0) to v = v_(k+1), and x =
    (t - a) / (b - a)::

        lr(t) = u + (v - u) * x                        interpolation="linear"
        lr(t) = v + (u - v) / 2 * (1 + cos(pi * x))    interpolation="cosine"
        lr(t) = u                                      interpolation="constant"
        lr(t) = v_n                                    for t >= b_n

    - Base: updates by default; ``unit="epoch"`` counts t and the boundaries in epochs. Only
      t is read, so it works without ``steps_per_epoch``.
    - First update (t = 0): lr0 when b_1 > 0. A boundary <= 0 has passed by t = 0: its scale
      applies from the start, and a segment that started before 0 is partway at t = 0 (as in
      optax). A scale of 0 brings the LR to exactly 0 at its boundary (and keeps it there).
    - Each knot's value is reached exactly at its boundary; "constant" jumps there.
    - After the last boundary (and after the end of the run): v_n, held.
    - Same as optax ``piecewise_interpolate_schedule(interpolate_type, init_value=lr0,
      boundaries_and_scales=dict(zip(boundaries, scales)))`` for "linear" and "cosine", and
      optax ``piecewise_constant_schedule(lr0, boundaries_and_scales)`` for "constant", with
      ``unit="step"``.

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=1.0, total_epochs=1)
    >>> policy = PiecewiseInterpolate(boundaries=[4, 8], scales=[0.1, 0.01])
    >>> [round(policy.evaluate(replace(ctx, global_step=s)), 12) for s in range(0, 11, 2)]
    [1.0, 0.55, 0.1, 0.0505, 0.001, 0.001]
    >>> steps = PiecewiseInterpolate(boundaries=[2, 3], scales=[0.5, 0.5], interpolation="constant")
    >>> [steps.evaluate(replace(ctx, global_step=s)) for s in range(5)]
    [1.0, 1.0, 0.5, 0.25, 0.25]
    """

    boundaries: tuple[int, ...] = arg(doc="the t at which each scale has been applied in full, strictly increasing", min_items=1, increasing=True)
    scales: tuple[float, ...] = arg(doc="one factor per boundary, multiplying the LR cumulatively: after b_i it is lr0 * s_1 * ... * s_i", ge=0, min_items=1)
    interpolation: str = arg(default="linear", choices=INTERPOLATIONS, doc="between knots: 'linear', 'cosine' (a half cosine), or 'constant' (steps at the boundaries)")
    unit: str = arg(default="step", choices=UNITS, doc="what t counts: 'step' (every update) or 'epoch' (constant within an epoch)")

    uses_length = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.scales) != len(self.boundaries):
            raise ArgumentError("scales", f"needs one scale per boundary: {len(self.boundaries)} boundaries, got {len(self.scales)} scales", code="wrong-count")
        if not all(map(math.isfinite, itertools.accumulate(self.scales, operator.mul))):
            raise ArgumentError("scales", "multiply to more than a float holds (1.8e308): the LR would be infinite", code="out-of-range")

    def formula(self, t: Any, total: Any, lr0: float, ops: Any) -> Any:
        return self._through(segments(self.boundaries, self.scales), t, lr0, ops)

    def _bound(self, first: int, unit: str, total: int | None, lr0: float) -> Callable[[RunView], float]:
        """:meth:`formula` for one run, its segments looked up once: the cache's key is the lists
        themselves, hashed on every lookup (a millisecond an update for 100,000 boundaries)."""
        table, through, by_epoch = segments(self.boundaries, self.scales), self._through, unit == "epoch"

        def piecewise(ctx: RunView) -> float:
            t = (ctx.epoch if by_epoch else ctx.global_step) - first
            if t < 0 and first:  # before its phase: the phase's first update
                t = 0
            return through(table, t, lr0, SCALAR)

        return piecewise

    def _through(self, table: tuple[Segment, ...], t: Any, lr0: float, ops: Any) -> Any:
        """The LR at t on the knots of ``table`` (:func:`segments`)."""
        start, length, begin, end = ops.pick(table, ops.count_passed(self.boundaries, t))
        if self.interpolation == "constant":
            return lr0 * begin
        x = (t - start) / length
        if self.interpolation == "linear":
            return lr0 * ((end - begin) * x + begin)
        return lr0 * (end + (begin - end) / 2.0 * (ops.cos(ops.pi * x) + 1.0))
