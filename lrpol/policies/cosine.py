"""ReduceCosine: half a cosine from lr0 down to a floor over the run (or a horizon), per epoch or per update."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..arguments import ArgumentError, arg
from ..clock import UNITS
from ..registry import register
from ..schedule import Schedule
from .torch_cosine import torch_cosine

#: What the LR does past T: stay at the floor, or follow the cosine back up (torch's CosineAnnealingLR).
AFTER = ("hold", "continue", "torch")


@register
@dataclass(frozen=True)
class ReduceCosine(Schedule):
    """Cosine annealing from ``2 * rate * lr0`` to a floor at the end of the run (or of ``horizon``).

    Formula, with lr0 = ``ctx.initial_lr``, top = 2 * rate * lr0, floor = ``min_lr`` (or
    ``min_lr_ratio * lr0``), p = ``exponent``, t the position in ``unit`` and T the
    ``horizon``, or the run's length in ``unit`` (total_epochs, or total_epochs *
    steps_per_epoch) when it is None::

        c(t)  = (1 + cos(pi * t / T)) / 2
        lr(t) = floor + (top - floor) * c(t) ** p    for t < T
        lr(t) = floor                                for t >= T  (after="hold")
        lr(t) = floor + (top - floor) * c(t) ** p    for t >= T  (after="continue")

    - Base: epochs by default (the LR is constant within an epoch, as in Clara);
      ``unit="step"`` gives the smooth per-update curve. With ``horizon`` the run's length
      plays no part (and ``unit="step"`` needs no ``steps_per_epoch``).
    - First epoch/update (t = 0): top, which is lr0 for the default rate = 0.5.
      Last before T (t = T - 1): just above the floor; the floor itself is reached at t = T.
    - After T: the floor, held (``after="hold"``, the default). ``after="continue"`` follows
      the cosine on: back up to top at 2T, down to the floor at 3T, and so on.
    - With rate = 0.5, same as torch ``CosineAnnealingLR(T_max=horizon or T,
      eta_min=min_lr)`` stepped once per epoch (or per update), up to T; with
      ``after="continue"`` past it too. torch steps recursively, and with eta_min > 0 its
      rise after T_max drifts from the cosine by up to ~1e-10 relative over thousands of
      updates (this is the exact cosine, as torch's own ``step(epoch)`` closed form is).
      ``after="torch"`` computes torch's recursion itself (:mod:`lrpol.policies.torch_cosine`),
      so its LRs equal torch's to the bit, drift included; it needs rate 0.5 and exponent 1,
      and keeps the LRs up to the furthest t asked for (8 bytes each).
    - Same as optax ``cosine_decay_schedule(init_value=lr0, decay_steps=horizon,
      alpha=min_lr_ratio, exponent=p)`` and Keras ``CosineDecay(lr0, decay_steps=horizon,
      alpha=min_lr_ratio)`` with ``unit="step"``; Hugging Face's ``min_lr_rate`` is
      ``min_lr_ratio``. Keras's ``warmup_target`` is ``Warmup(duration=warmup_steps,
      start_factor=initial_learning_rate / warmup_target, policy=...)`` with lr0 = warmup_target,
      and optax's ``warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps,
      decay_steps, end_value, exponent)`` is ``Warmup(duration=warmup_steps, start_factor=
      init_value / peak_value, policy=ReduceCosine(unit="step", horizon=decay_steps -
      warmup_steps, min_lr=end_value, exponent=exponent))`` with lr0 = peak_value.

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=4)
    >>> policy = ReduceCosine()
    >>> [round(policy.evaluate(replace(ctx, epoch=e)), 12) for e in range(6)]
    [0.1, 0.085355339059, 0.05, 0.014644660941, 0.0, 0.0]
    >>> rising = ReduceCosine(unit="step", horizon=2, min_lr_ratio=0.1, after="continue")
    >>> [round(rising.evaluate(replace(ctx, global_step=s)), 12) for s in range(5)]
    [0.1, 0.055, 0.01, 0.055, 0.1]
    """

    rate: float = arg(default=0.5, doc="scale of the curve: the LR starts at 2 * rate * lr0", gt=0)
    unit: str = arg(default="epoch", choices=UNITS, doc="what t counts: 'epoch' (constant within an epoch) or 'step' (every update)")
    min_lr: float = arg(default=0.0, ge=0, doc="the floor the LR anneals to, as an LR")
    min_lr_ratio: float | None = arg(default=None, ge=0, doc="the floor as a fraction of lr0 (optax's and Keras's alpha), instead of min_lr")
    horizon: int | None = arg(default=None, ge=1, doc="T, the length of the anneal in unit (torch's T_max, optax's decay_steps); null: the run's length")
    exponent: float = arg(default=1.0, gt=0, doc="power of the cosine factor (optax's exponent): above 1 falls faster early")
    after: str = arg(default="hold", choices=AFTER, doc="past T: 'hold' the floor, 'continue' the cosine back up to top at 2T, or 'torch': torch's recursion, to the bit")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.after == "torch" and (self.rate != 0.5 or self.exponent != 1.0):
            raise ArgumentError("after", "'torch' is torch's CosineAnnealingLR, which has no rate or exponent: keep rate 0.5 and exponent 1", code="conflict")

    def prepared(self, total: Any, lr0: float, ops: Any) -> Callable[[Any], Any]:
        # (top - floor) * c ** p with top = 2 * rate * lr0, written as (rate * lr0 - floor / 2) * 2c so
        # that nothing is doubled (the same bits, as doubling and halving are exact, but no overflow near
        # the float limit), and so that p = 1 costs no power.
        exponent, after = self.exponent, self.after
        floor = self.floor(lr0)
        if after == "torch":  # torch's own recursion, worked out up to the furthest t asked for
            return lambda t: ops.pick(torch_cosine(total, lr0, floor, int(ops.largest(t))), t)
        height = self.rate * lr0 - floor / 2.0
        cos, pi, power, where = ops.cos, ops.pi, ops.power, ops.where

        def cosine(t: Any) -> Any:
            wave = 1.0 + cos(pi * t / total)  # 2c: 2 at t = 0, 0 at T, 2 again at 2T
            if exponent != 1.0:  # the C library's power on both paths: a floor above top subtracts nearly equal terms
                wave = 2.0 * power(wave / 2.0, exponent)
            lr = floor + height * wave
            return lr if after == "continue" else where(t < total, lr, floor)

        return cosine
