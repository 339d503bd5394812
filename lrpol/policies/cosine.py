"""ReduceCosine: half a cosine from lr0 down to 0 over the run's epochs."""

from dataclasses import dataclass
from math import cos, pi

from ..arguments import arg
from ..context import TrainContext
from ..curve import epochs_spanned, per_epoch
from ..policy import LRPolicy
from ..registry import register


@register
@dataclass(frozen=True)
class ReduceCosine(LRPolicy):
    """Cosine annealing from ``2 * rate * lr0`` to 0 at the end of the run.

    Formula, with lr0 = ``ctx.initial_lr``, e = ``ctx.epoch``, E = ``ctx.total_epochs``::

        lr(e) = lr0 * rate * (1 + cos(pi * e / E))    for e < E
        lr(e) = 0                                     for e >= E

    - Base: epochs. The LR is constant within an epoch.
    - First epoch (e = 0): 2 * rate * lr0, which is lr0 for the default rate = 0.5.
      Last epoch (e = E - 1): small but not 0.
    - After the end (e >= E): 0, held. torch's ``CosineAnnealingLR`` rises again
      past ``T_max``; this never does.
    - With rate = 0.5, same as torch ``CosineAnnealingLR(T_max=E)`` stepped once per
      epoch, up to the end of the run.

    >>> from dataclasses import replace
    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=4)
    >>> policy = ReduceCosine()
    >>> [round(policy.evaluate(replace(ctx, epoch=e)), 12) for e in range(6)]
    [0.1, 0.085355339059, 0.05, 0.014644660941, 0.0, 0.0]
    """

    rate: float = arg(default=0.5, doc="scale of the curve: the LR starts at 2 * rate * lr0", gt=0)

    def evaluate(self, ctx: TrainContext) -> float:
        if ctx.epoch >= ctx.total_epochs:
            return 0.0
        return ctx.initial_lr * self.rate * (1.0 + cos(pi * ctx.epoch / ctx.total_epochs))

    def evaluate_curve(self, ctx: TrainContext, steps: int, metrics=None):
        import numpy as np

        epoch = np.arange(epochs_spanned(steps, ctx.steps_per_epoch))
        values = ctx.initial_lr * self.rate * (1.0 + np.cos(np.pi * epoch / ctx.total_epochs))
        return per_epoch(np.where(epoch < ctx.total_epochs, values, 0.0), steps, ctx.steps_per_epoch)
