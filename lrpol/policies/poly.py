"""ReducePoly: polynomial decay over the run (or a horizon), per epoch or per update."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..arguments import arg
from ..clock import UNITS
from ..registry import register
from ..schedule import Schedule


@register
@dataclass(frozen=True)
class ReducePoly(Schedule):
    """Polynomial decay from lr0 to a floor at the end of the run (or of ``horizon``).

    Formula, with lr0 = ``ctx.initial_lr``, floor = ``min_lr`` (or ``min_lr_ratio * lr0``),
    t the position in ``unit`` and T the ``horizon``, or the run's length in ``unit``
    (total_epochs, or total_epochs * steps_per_epoch) when it is None::

        lr(t) = floor + (lr0 - floor) * (1 - t / T) ** poly_power    for t < T
        lr(t) = floor                                                for t >= T

    With ``cycle=True`` the decay starts again from a longer horizon each time it ends
    (Keras's ``cycle``): T becomes the first multiple of T at or past t, k * T with
    k = max(1, ceil(t / T)), so the LR reaches the floor at t = k * T and jumps up to
    floor + (lr0 - floor) * (1 - (k * T + 1) / ((k + 1) * T)) ** poly_power at the next update.

    - Base: epochs by default (the LR is constant within an epoch, as in Clara);
      ``unit="step"`` gives the smooth per-update curve. With ``horizon`` the run's length
      plays no part.
    - First epoch/update (t = 0): lr0. Last before T (t = T - 1): (lr0 - floor) * (1 / T) **
      poly_power above the floor, never the floor itself, so no update is wasted at it.
    - After T: the floor, held; with ``cycle=True``, the next, longer decay.
    - With the floor 0, same as torch ``PolynomialLR(total_iters=horizon or T,
      power=poly_power)`` stepped once per epoch (or per update).
    - Same as Keras ``PolynomialDecay(lr0, decay_steps=horizon, end_learning_rate=min_lr,
      power=poly_power, cycle=cycle)`` and optax ``polynomial_schedule(init_value=lr0,
      end_value=min_lr, power=poly_power, transition_steps=horizon)`` with ``unit="step"``
      (``linear_schedule`` is poly_power = 1). optax's ``transition_begin`` B is
      ``Sequential(policies=[Constant(), ReducePoly(...)], milestones=[B])``.

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=2)
    >>> policy = ReducePoly(poly_power=2)
    >>> [policy.evaluate(replace(ctx, epoch=e)) for e in range(6)]
    [0.1, 0.05625, 0.025, 0.00625, 0.0, 0.0]
    >>> smooth = ReducePoly(poly_power=1, unit="step", min_lr=0.02)
    >>> [round(smooth.evaluate(replace(ctx, global_step=s)), 12) for s in range(9)]
    [0.1, 0.09, 0.08, 0.07, 0.06, 0.05, 0.04, 0.03, 0.02]
    >>> cycling = ReducePoly(poly_power=1, unit="step", horizon=2, cycle=True)
    >>> [round(cycling.evaluate(replace(ctx, global_step=s)), 12) for s in range(6)]
    [0.1, 0.05, 0.0, 0.025, 0.0, 0.016666666667]
    """

    poly_power: float = arg(doc="exponent of the decay: 1 is linear, larger falls faster early", gt=0)
    unit: str = arg(default="epoch", choices=UNITS, doc="what t counts: 'epoch' (constant within an epoch) or 'step' (every update)")
    min_lr: float = arg(default=0.0, ge=0, doc="the floor the LR decays to, as an LR (optax's end_value, Keras's end_learning_rate)")
    min_lr_ratio: float | None = arg(default=None, ge=0, doc="the floor as a fraction of lr0, instead of min_lr")
    horizon: int | None = arg(default=None, ge=1, doc="T, the length of the decay in unit (torch's total_iters, Keras's decay_steps); null: the run's length")
    cycle: bool = arg(default=False, doc="past T, decay again over the next multiple of T (Keras's cycle) instead of holding the floor")

    def prepared(self, total: Any, lr0: float, ops: Any) -> Callable[[Any], Any]:
        floor = self.floor(lr0)
        height, power, maximum = lr0 - floor, self.poly_power, ops.maximum
        if self.cycle:

            def cycling(t: Any) -> Any:
                length = total * maximum(-(-t // total), 1)  # the first multiple of T at or past t (T itself at t = 0), in integers
                return floor + height * (maximum(length - t, 0) / length) ** power

            return cycling
        # Past the end, (T - t) / T is held at 0, and so the LR at the floor, exactly.
        return lambda t: floor + height * (maximum(total - t, 0) / total) ** power
