"""OneCycle: up from a low LR to the peak lr0, then down far below the start (1cycle).

The phases and their anneal live in :class:`OneCycleShape`, which OneCycle shares with
:class:`~lrpol.policies.one_cycle_momentum.OneCycleMomentum`: the two differ only in the
levels the phases move between.
"""

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..arguments import arg
from ..clock import UNITS
from ..context import RunView
from ..registry import register
from ..schedule import Schedule

ANNEALS = ("cos", "linear")


@dataclass(frozen=True)
class OneCycleShape(Schedule):
    """The 1cycle's phases and anneal, between three levels a subclass gives (:meth:`levels`):
    (start, peak, end) are (low, lr0, floor) for :class:`OneCycle`, whose docstring gives the
    formula, and (max, base, max) for its momentum twin. One place for torch's phase ends and
    anneal arithmetic, so the two cycles stay in step at every update.
    """

    pct_start: float = arg(default=0.3, doc="the share of the cycle (the run, or horizon) spent in its first phase, the LR going up to lr0", ge=0, le=1)
    anneal: str = arg(default="cos", choices=ANNEALS, doc="the shape of each phase: 'cos' or 'linear'")
    three_phase: bool = arg(default=False, doc="go back down to where the cycle started before the final phase, as in the paper")
    unit: str = arg(default="step", choices=UNITS, doc="what t counts: 'step' (every update) or 'epoch' (constant within an epoch)")
    horizon: int | None = arg(default=None, ge=1, doc="the cycle's length T in unit (torch's total_steps), when it is not the run's (null: the run's)")

    def levels(self, lr0: float) -> tuple[float, float, float]:
        """(start, peak, end): where the cycle starts, the level its first phase reaches, and where it ends."""
        raise NotImplementedError

    def formula(self, t: Any, total: Any, lr0: float, ops: Any) -> Any:
        t = ops.minimum(t, total - 1)  # after the end, hold the last update's value
        ends, phases = _phases(self.pct_start, self.three_phase, total, *self.levels(lr0))
        # The first phase whose end is at or after t, the last one otherwise (as torch's loop;
        # with three phases and pct_start above 1/2 the ends are not in order).
        begin, end, a, z = ops.pick(phases, ops.first_reaching(ends, t))
        x = ops.divide(t - begin, end - begin)
        if self.anneal == "cos":
            return z + (a - z) / 2.0 * (ops.cos(ops.pi * x) + 1)
        return (z - a) * x + a

    def _bound(self, first: int, unit: str, total: int | None, lr0: float) -> Callable[[RunView], float]:
        """:meth:`formula` for one run, its phases worked out here once rather than at every update.

        The phase table is the formula's own (:func:`_phases`), unpacked into locals: each
        phase's begin, its length end - begin, and the two numbers its anneal adds and
        multiplies by ((z, (a - z) / 2.0) for "cos", (a, z - a) for "linear"), each computed
        as the formula computes it. The update then reads its clock, compares t with at most
        two ends and does the formula's remaining operations, in the formula's order: the
        same float at every t.
        """
        if total is None:  # no length: the formula raises, saying so, at each update
            return super()._bound(first, unit, total, lr0)
        try:
            ends, phases = _phases(self.pct_start, self.three_phase, total, *self.levels(lr0))
        except OverflowError:  # a length past floats: likewise
            return super()._bound(first, unit, total, lr0)
        last = total - 1
        cosine = self.anneal == "cos"
        rows = [(begin, end - begin, z, (a - z) / 2.0) if cosine else (begin, end - begin, a, z - a) for begin, end, a, z in phases]
        # Two phases are three whose second never ends, so that one closure serves both: t is
        # in the first phase when t <= e0, the second when t <= e1, the last otherwise.
        first_end, second_end = ends[0], (ends[1] if len(ends) == 3 else math.inf)
        first_row, second_row, last_row = rows[0], rows[1], rows[-1]
        by_epoch = unit == "epoch"
        cos, pi = math.cos, math.pi

        def one_cycle(ctx: RunView) -> float:
            t = (ctx.epoch if by_epoch else ctx.global_step) - first
            if t < 0 and first:  # before its phase: the phase's first update
                t = 0
            if t > last:  # after the end, hold the last update's value
                t = last
            if t <= first_end:
                begin, length, base, scale = first_row
            elif t <= second_end:
                begin, length, base, scale = second_row
            else:
                begin, length, base, scale = last_row
            x = t - begin
            x = x / length if length else 0.0  # ops.divide: a phase of no length is at its start
            if cosine:  # 1.0 for the formula's 1: the same sum, without converting 1 at every update
                return base + scale * (cos(pi * x) + 1.0)
            return scale * x + base

        return one_cycle


@register
@dataclass(frozen=True)
class OneCycle(OneCycleShape):
    """The 1cycle policy: anneal from ``lr0 / div_factor`` up to lr0, then down to a far lower floor.

    lr0 = ``ctx.initial_lr`` is the peak (torch's ``max_lr``). With (t, T) = (global_step,
    total_epochs * steps_per_epoch) for ``unit="step"`` or (epoch, total_epochs) for
    ``unit="epoch"`` (T = ``horizon`` when one is given), low = lr0 / div_factor,
    floor = low / final_div_factor and p = pct_start, the phases are (end e_i, from, to)::

        two phases (default):  (p * T - 1, low, lr0), (T - 1, lr0, floor)
        three_phase=True:      (p * T - 1, low, lr0), (2 * p * T - 2, lr0, low), (T - 1, low, floor)

    t belongs to the first phase i with t <= e_i (the last phase otherwise). With b_i its
    start (0 for the first phase, e_(i-1) after), and a, z its from and to LRs::

        x     = (t - b_i) / (e_i - b_i)
        lr(t) = z + (a - z) / 2 * (cos(pi * x) + 1)     anneal="cos"
        lr(t) = (z - a) * x + a                         anneal="linear"

    The phase ends are floats computed as torch computes them: 0.3 * 10 - 1 is
    2.0000000000000004, so t = 2 is still in the first phase (x = 0.9999999999999998),
    not at the start of the second.

    - Base: updates by default, as torch steps it; ``unit="epoch"`` counts t and T in epochs.
    - First update (t = 0): low. When p * T < 1 there is no warm-up: t = 0 is already in
      the decay, just below lr0. When p * T = 1 exactly (torch divides by zero there),
      the one-update warm-up runs at low.
    - The peak lr0 is reached at t = p * T - 1 when that is a whole number.
    - Last update (t = T - 1): floor (unless a three-phase p above 1/2 cuts the last phase off).
    - After the end (t >= T): the last update's LR, held. torch computes one more value at
      t = T, past the floor (above it for "cos", below it for "linear"), and raises after.
    - ``horizon``: a cycle of its own length rather than the run's. A run longer than it holds
      the floor from t = horizon on; a shorter one ends part-way through the cycle.
    - Same as torch ``OneCycleLR(max_lr=lr0, total_steps=T, pct_start=p, anneal_strategy=anneal,
      div_factor=div_factor, final_div_factor=final_div_factor, three_phase=three_phase)``
      stepped once per update (or epoch), up to the end of the cycle (T = horizon when torch's
      total_steps is not the run's length). The momentum it cycles by default
      (``cycle_momentum=True``) is ``OneCycleMomentum``.

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=5)
    >>> policy = OneCycle(pct_start=0.4, div_factor=10, final_div_factor=10, anneal="linear")
    >>> [round(policy.evaluate(replace(ctx, global_step=s)), 12) for s in range(7)]
    [0.1, 1.0, 0.67, 0.34, 0.01, 0.01, 0.01]
    """

    div_factor: float = arg(default=25.0, doc="the first LR is lr0 / div_factor", ge=1)
    final_div_factor: float = arg(default=1e4, doc="the last LR is lr0 / div_factor / final_div_factor", ge=1)

    def levels(self, lr0: float) -> tuple[float, float, float]:
        low = lr0 / self.div_factor
        return low, lr0, low / self.final_div_factor


@functools.lru_cache(maxsize=64)
def _phases(pct_start: float, three_phase: bool, total: int, start: float, peak: float, end: float) -> tuple[tuple, tuple]:
    """The phases' ends, and each phase as (begin, end, from level, to level), with the ends
    computed exactly as torch does.

    A pure function of the policy's arguments and the run, remembered here (not in the
    policy), since a run asks for the same phases at every update.
    """
    ends: tuple[float, ...]
    levels: tuple[tuple[float, float], ...]
    if three_phase:
        ends = (float(pct_start * total) - 1, float(2 * pct_start * total) - 2, total - 1)
        levels = ((start, peak), (peak, start), (start, end))
    else:
        ends = (float(pct_start * total) - 1, total - 1)
        levels = ((start, peak), (peak, end))
    begins = (0.0, *ends[:-1])
    return ends, tuple((begin, finish, a, z) for begin, finish, (a, z) in zip(begins, ends, levels))
