"""ReduceCosine: half a cosine from lr0 down to a floor over the run, per epoch or per update."""

from dataclasses import dataclass
from math import cos, pi

from ..arguments import arg
from ..clock import UNITS, position
from ..context import TrainContext
from ..curve import per_update, run_length, unit_ticks
from ..policy import LRPolicy
from ..registry import register


@register
@dataclass(frozen=True)
class ReduceCosine(LRPolicy):
    """Cosine annealing from ``2 * rate * lr0`` to ``min_lr`` at the end of the run.

    Formula, with lr0 = ``ctx.initial_lr``, top = 2 * rate * lr0 and (t, T) = (epoch,
    total_epochs) for ``unit="epoch"`` or (global_step, total_epochs * steps_per_epoch)
    for ``unit="step"``::

        lr(t) = min_lr + (top - min_lr) * (1 + cos(pi * t / T)) / 2    for t < T
        lr(t) = min_lr                                                 for t >= T

    - Base: epochs by default (the LR is constant within an epoch, as in Clara);
      ``unit="step"`` gives the smooth per-update curve.
    - First epoch/update (t = 0): top, which is lr0 for the default rate = 0.5.
      Last (t = T - 1): just above min_lr.
    - After the end (t >= T): min_lr, held. torch's ``CosineAnnealingLR`` rises again
      past ``T_max``; this never does.
    - With rate = 0.5, same as torch ``CosineAnnealingLR(T_max=T, eta_min=min_lr)``
      stepped once per epoch (or per update), up to the end of the run.

    >>> from dataclasses import replace
    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=4)
    >>> policy = ReduceCosine()
    >>> [round(policy.evaluate(replace(ctx, epoch=e)), 12) for e in range(6)]
    [0.1, 0.085355339059, 0.05, 0.014644660941, 0.0, 0.0]
    """

    rate: float = arg(default=0.5, doc="scale of the curve: the LR starts at 2 * rate * lr0", gt=0)
    unit: str = arg(default="epoch", choices=UNITS, doc="what t counts: 'epoch' (constant within an epoch) or 'step' (every update)")
    min_lr: float = arg(default=0.0, ge=0, doc="the floor the LR anneals to, and stays at after the run")

    def evaluate(self, ctx: TrainContext) -> float:
        if self.unit == "epoch":
            t, total = ctx.epoch, ctx.total_epochs
        else:
            t, total = position(ctx, "step")
        floor = self.min_lr
        if t >= total:
            return floor
        if not floor:  # the common case, and the hot path: the same value in fewer operations
            return ctx.initial_lr * self.rate * (1.0 + cos(pi * t / total))
        return floor + (2.0 * self.rate * ctx.initial_lr - floor) * (1.0 + cos(pi * t / total)) / 2.0

    def evaluate_curve(self, ctx: TrainContext, steps: int, metrics=None):
        import numpy as np

        t, total = unit_ticks(ctx, steps, self.unit), run_length(ctx, self.unit)
        if total is None:
            return None
        top = 2.0 * self.rate * ctx.initial_lr
        values = np.where(t < total, self.min_lr + (top - self.min_lr) * (1.0 + np.cos(np.pi * t / total)) / 2.0, self.min_lr)
        return per_update(values, ctx, steps, self.unit)
