"""ReducePoly: polynomial decay to zero over the run's epochs."""

from dataclasses import dataclass

from ..arguments import arg
from ..context import TrainContext
from ..curve import epochs_spanned, per_epoch
from ..policy import LRPolicy
from ..registry import register


@register
@dataclass(frozen=True)
class ReducePoly(LRPolicy):
    """Polynomial decay from lr0 to 0 at the end of the run.

    Formula, with lr0 = ``ctx.initial_lr``, e = ``ctx.epoch``, E = ``ctx.total_epochs``::

        lr(e) = lr0 * (1 - e / E) ** poly_power    for e < E
        lr(e) = 0                                  for e >= E

    - Base: epochs. The LR is constant within an epoch.
    - First epoch (e = 0): lr0. Last epoch (e = E - 1): lr0 * (1 / E) ** poly_power,
      never 0, so no epoch is wasted at LR 0.
    - After the end (e >= E): 0, held.
    - Same as torch ``PolynomialLR(total_iters=E, power=poly_power)`` stepped once per epoch.

    >>> from dataclasses import replace
    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=4)
    >>> policy = ReducePoly(poly_power=2)
    >>> [policy.evaluate(replace(ctx, epoch=e)) for e in range(6)]
    [0.1, 0.05625, 0.025, 0.00625, 0.0, 0.0]
    """

    poly_power: float = arg(doc="exponent of the decay: 1 is linear, larger falls faster early", gt=0)

    def evaluate(self, ctx: TrainContext) -> float:
        remaining = ctx.total_epochs - ctx.epoch
        if remaining <= 0:
            return 0.0
        return ctx.initial_lr * (remaining / ctx.total_epochs) ** self.poly_power

    def evaluate_curve(self, ctx: TrainContext, steps: int, metrics=None):
        import numpy as np

        remaining = ctx.total_epochs - np.arange(epochs_spanned(steps, ctx.steps_per_epoch))
        fraction = np.maximum(remaining, 0) / ctx.total_epochs
        return per_epoch(np.where(remaining > 0, ctx.initial_lr * fraction**self.poly_power, 0.0), steps, ctx.steps_per_epoch)
