"""OneCycle: up from a low LR to the peak lr0, then down far below the start (1cycle)."""

from dataclasses import dataclass, field
from math import cos, pi

from ..arguments import arg
from ..clock import UNITS, position
from ..context import TrainContext
from ..curve import per_update, run_length, unit_ticks
from ..policy import LRPolicy
from ..registry import register

ANNEALS = ("cos", "linear")


@register
@dataclass(frozen=True)
class OneCycle(LRPolicy):
    """The 1cycle policy: anneal from ``lr0 / div_factor`` up to lr0, then down to a far lower floor.

    lr0 = ``ctx.initial_lr`` is the peak (torch's ``max_lr``). With (t, T) = (global_step,
    total_epochs * steps_per_epoch) for ``unit="step"`` or (epoch, total_epochs) for
    ``unit="epoch"``, low = lr0 / div_factor, floor = low / final_div_factor and
    p = pct_start, the phases are (end e_i, from, to)::

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
    - Same as torch ``OneCycleLR(max_lr=lr0, total_steps=T, pct_start=p, anneal_strategy=anneal,
      div_factor=div_factor, final_div_factor=final_div_factor, three_phase=three_phase)``
      stepped once per update (or epoch), up to the end of the run.

    >>> from dataclasses import replace
    >>> ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=5)
    >>> policy = OneCycle(pct_start=0.4, div_factor=10, final_div_factor=10, anneal="linear")
    >>> [round(policy.evaluate(replace(ctx, global_step=s)), 12) for s in range(7)]
    [0.1, 1.0, 0.67, 0.34, 0.01, 0.01, 0.01]
    """

    pct_start: float = arg(default=0.3, doc="the share of the run spent going up to lr0", ge=0, le=1)
    div_factor: float = arg(default=25.0, doc="the first LR is lr0 / div_factor", ge=1)
    final_div_factor: float = arg(default=1e4, doc="the last LR is lr0 / div_factor / final_div_factor", ge=1)
    anneal: str = arg(default="cos", choices=ANNEALS, doc="the shape of each phase: 'cos' or 'linear'")
    three_phase: bool = arg(default=False, doc="go back down to lr0 / div_factor before the final decay, as in the paper")
    unit: str = arg(default="step", choices=UNITS, doc="what t counts: 'step' (every update) or 'epoch' (constant within an epoch)")
    _memo: tuple = field(default=(None, None), init=False, repr=False, compare=False)  # ((lr0, T), phases)

    def _phases(self, ctx, total) -> list[tuple[float, float, float]]:
        """(end, from LR, to LR) of each phase, with the ends computed exactly as torch does."""
        peak = ctx.initial_lr
        low = peak / self.div_factor
        floor = low / self.final_div_factor
        if self.three_phase:
            return [
                (float(self.pct_start * total) - 1, low, peak),
                (float(2 * self.pct_start * total) - 2, peak, low),
                (total - 1, low, floor),
            ]
        return [(float(self.pct_start * total) - 1, low, peak), (total - 1, peak, floor)]

    def evaluate(self, ctx: TrainContext) -> float:
        t, total = position(ctx, self.unit)
        if t > total - 1:  # after the end, hold the last update's LR
            t = total - 1
        key = (ctx.initial_lr, total)
        if self._memo[0] != key:  # the phases depend only on lr0 and T: build them once per run
            object.__setattr__(self, "_memo", (key, self._phases(ctx, total)))
        phases = self._memo[1]
        # The first phase whose end is at or after t, the last one otherwise (as torch's loop).
        i = 0
        while i < len(phases) - 1 and t > phases[i][0]:
            i += 1
        begin = 0.0 if i == 0 else phases[i - 1][0]
        end, a, z = phases[i]
        x = (t - begin) / (end - begin) if end != begin else 0.0
        if self.anneal == "cos":
            return z + (a - z) / 2.0 * (cos(pi * x) + 1)
        return (z - a) * x + a

    def evaluate_curve(self, ctx: TrainContext, steps: int, metrics=None):
        import numpy as np

        total = run_length(ctx, self.unit)
        if total is None:
            return None
        t = np.minimum(unit_ticks(ctx, steps, self.unit), total - 1)
        count = len(t)
        phases = self._phases(ctx, total)
        ends = np.array([end for end, _, _ in phases])
        begins = np.array([0.0, *ends[:-1]])
        # The first phase whose end is at or after t, the last one otherwise, as in evaluate.
        index = np.full(count, len(phases) - 1)
        for i in reversed(range(len(phases) - 1)):
            index = np.where(t <= ends[i], i, index)
        begin, end = begins[index], ends[index]
        a = np.array([a for _, a, _ in phases])[index]
        z = np.array([z for _, _, z in phases])[index]
        span = end - begin
        x = np.where(span != 0, (t - begin) / np.where(span != 0, span, 1.0), 0.0)
        if self.anneal == "cos":
            values = z + (a - z) / 2.0 * (np.cos(np.pi * x) + 1)
        else:
            values = (z - a) * x + a
        return per_update(values, ctx, steps, self.unit)
