"""ReducePoly: polynomial decay over the run, per epoch or per update."""

from dataclasses import dataclass
from typing import Any

from ..arguments import arg
from ..clock import UNITS
from ..registry import register
from ..schedule import Schedule


@register
@dataclass(frozen=True)
class ReducePoly(Schedule):
    """Polynomial decay from lr0 to ``min_lr`` at the end of the run.

    Formula, with lr0 = ``ctx.initial_lr`` and (t, T) = (epoch, total_epochs) for
    ``unit="epoch"`` or (global_step, total_epochs * steps_per_epoch) for ``unit="step"``::

        lr(t) = min_lr + (lr0 - min_lr) * (1 - t / T) ** poly_power    for t < T
        lr(t) = min_lr                                                 for t >= T

    - Base: epochs by default (the LR is constant within an epoch, as in Clara);
      ``unit="step"`` gives the smooth per-update curve.
    - First epoch/update (t = 0): lr0. Last (t = T - 1): lr0 * (1 / T) ** poly_power
      above min_lr, never min_lr itself, so no update is wasted at the floor.
    - After the end (t >= T): min_lr, held.
    - With min_lr = 0, same as torch ``PolynomialLR(total_iters=T, power=poly_power)``
      stepped once per epoch (or per update).

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=2)
    >>> policy = ReducePoly(poly_power=2)
    >>> [policy.evaluate(replace(ctx, epoch=e)) for e in range(6)]
    [0.1, 0.05625, 0.025, 0.00625, 0.0, 0.0]
    >>> smooth = ReducePoly(poly_power=1, unit="step", min_lr=0.02)
    >>> [round(smooth.evaluate(replace(ctx, global_step=s)), 12) for s in range(9)]
    [0.1, 0.09, 0.08, 0.07, 0.06, 0.05, 0.04, 0.03, 0.02]
    """

    poly_power: float = arg(doc="exponent of the decay: 1 is linear, larger falls faster early", gt=0)
    unit: str = arg(default="epoch", choices=UNITS, doc="what t counts: 'epoch' (constant within an epoch) or 'step' (every update)")
    min_lr: float = arg(default=0.0, ge=0, doc="the floor the LR decays to, and stays at after the run")

    def formula(self, t: Any, total: Any, lr0: float, ops: Any) -> Any:
        # Past the end, (T - t) / T is held at 0, and so the LR at min_lr, exactly.
        return self.min_lr + (lr0 - self.min_lr) * (ops.maximum(total - t, 0) / total) ** self.poly_power
