"""ReduceCosine: half a cosine from lr0 down to a floor over the run, per epoch or per update."""

from dataclasses import dataclass
from typing import Any

from ..arguments import arg
from ..clock import UNITS
from ..registry import register
from ..schedule import Schedule


@register
@dataclass(frozen=True)
class ReduceCosine(Schedule):
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
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=4)
    >>> policy = ReduceCosine()
    >>> [round(policy.evaluate(replace(ctx, epoch=e)), 12) for e in range(6)]
    [0.1, 0.085355339059, 0.05, 0.014644660941, 0.0, 0.0]
    """

    rate: float = arg(default=0.5, doc="scale of the curve: the LR starts at 2 * rate * lr0", gt=0)
    unit: str = arg(default="epoch", choices=UNITS, doc="what t counts: 'epoch' (constant within an epoch) or 'step' (every update)")
    min_lr: float = arg(default=0.0, ge=0, doc="the floor the LR anneals to, and stays at after the run")

    def formula(self, t: Any, total: Any, lr0: float, ops: Any) -> Any:
        # (top - floor) * (1 + cos) / 2 with top = 2 * rate * lr0, written so that nothing is doubled
        # (the same bits, as doubling and halving are exact, but no overflow near the float limit).
        floor = self.min_lr
        return ops.where(t < total, floor + (self.rate * lr0 - floor / 2.0) * (1.0 + ops.cos(ops.pi * t / total)), floor)
