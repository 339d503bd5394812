"""Product and Clip: policies whose LR is a function of other policies' LRs at the same update."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..arguments import ArgumentError, arg
from ..clock import Phase
from ..context import RunView, TrainContext
from ..policy import LRPolicy, PhasedPolicy, Runner, slot, state_key
from ..registry import register


class Pointwise(PhasedPolicy):
    """A composite whose nested policies run in its own phase, on its clock, and whose LR at an
    update is :meth:`combine` of theirs at that update. The nested policies keep their own
    history (a plateau among them counts every result), so only the combination is written here."""

    def combine(self, lrs: list[Any], lr0: float) -> Any:
        """The LR from the nested policies' LRs (numbers, or numpy arrays for a curve)."""
        raise NotImplementedError

    def run_in(self, phase: Phase, ctx: RunView) -> Runner:
        runners = [(state_key(where), child.run_in(phase, ctx)) for where, child in self.children()]
        combine = self.combine

        def combined(c: RunView, history: dict, results_before: int) -> float:
            return combine([run(c, slot(history, key), results_before) for key, run in runners], c.initial_lr)

        return combined

    def bind_phase(self, phase: Phase, ctx: RunView) -> Callable[[RunView], float] | None:
        if self.reads_metric:
            return None  # history to keep: evaluated on every update
        bound = [child.bind_phase(phase, ctx) for _, child in self.children()]
        functions = [function for function in bound if function is not None]
        if len(functions) < len(bound):
            return None
        return self.bound(functions, ctx.initial_lr)

    def bound(self, functions: list[Callable[[RunView], float]], lr0: float) -> Callable[[RunView], float]:
        """The hook's function from the nested policies' bound ones: :meth:`combine` of their values.
        A subclass may write its combination out for the common case, with the same floats."""
        combine = self.combine
        return lambda c: combine([function(c) for function in functions], lr0)

    def curve_in(self, run: TrainContext, phase: Phase, begin: int, end: int, metrics: Sequence[float], results_before: int) -> Any:
        import numpy as np

        parts = [child.curve_in(run, phase, begin, end, metrics, results_before) for _, child in self.children()]
        if any(part is None for part in parts):
            return None
        return self.combine([np.asarray(part, dtype=float) for part in parts], run.initial_lr)


@register
@dataclass(frozen=True)
class Product(Pointwise):
    """Multiply the factors of several policies: each one's LR as a fraction of lr0.

    Formula, with lr0 = ``ctx.initial_lr`` and lr_i(t) the LR of ``policies[i]`` at the same
    update, each on the product's own clock and horizon::

        lr(t) = lr0 * (lr_1(t) / lr0) * (lr_2(t) / lr0) * ...

    - Base: whatever the nested policies count; each reads its own ``unit``.
    - First update, last update, after the run: the product of the factors there. An LR
      of 0 in any factor gives 0.
    - Same as torch ``ChainedScheduler([A, B, ...])`` over multiplicative schedulers (StepLR,
      MultiStepLR, ExponentialLR, LinearLR, ConstantLR, and CosineAnnealingLR or
      PolynomialLR with no floor): a cosine with a step decay on top, say. A ReduceOnPlateau
      among the factors reduces the product.

    >>> from dataclasses import replace
    >>> from lrpol import DecayOnStep, ReduceCosine, TrainContext
    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=1, steps_per_epoch=4)
    >>> policy = Product(policies=(ReduceCosine(unit="step"), DecayOnStep(decay_ratio=0.5, decay_freq=2)))
    >>> [round(policy.evaluate(replace(ctx, global_step=s)), 12) for s in range(5)]
    [0.1, 0.085355339059, 0.025, 0.00732233047, 0.0]
    """

    policies: tuple[LRPolicy, ...] = arg(doc="the policies whose factors are multiplied", min_items=2)

    def combine(self, lrs: list[Any], lr0: float) -> Any:
        product = lr0
        for lr in lrs:
            product = product * (lr / lr0)
        return product

    def bound(self, functions: list[Callable[[RunView], float]], lr0: float) -> Callable[[RunView], float]:
        if len(functions) == 2:  # the common case, written out: the same operations as combine
            first, second = functions
            return lambda c: lr0 * (first(c) / lr0) * (second(c) / lr0)
        return super().bound(functions, lr0)


@register
@dataclass(frozen=True)
class Clip(Pointwise):
    """Keep another policy's LR within ``[min_lr, max_lr]``.

    Formula, with lr_p(t) the LR of ``policy``, on the clip's own clock and horizon::

        lr(t) = min(max(lr_p(t), min_lr), max_lr)

    - Base: whatever ``policy`` counts.
    - Unlike a policy's own ``min_lr`` (the floor its curve is scaled to reach), a clip cuts
      the curve where it crosses the bound: MONAI's ``WarmupCosineSchedule(end_lr=e)`` clips
      its cosine at e, and optax's ``exponential_decay(end_value=e)`` its decay.
    - First update, last update, after the run: the wrapped policy's LR there, clipped.

    >>> from dataclasses import replace
    >>> from lrpol import ReduceCosine, TrainContext
    >>> ctx = TrainContext(initial_lr=1.0, total_epochs=4)
    >>> policy = Clip(policy=ReduceCosine(), min_lr=0.2)
    >>> [round(policy.evaluate(replace(ctx, epoch=e)), 12) for e in range(5)]
    [1.0, 0.853553390593, 0.5, 0.2, 0.2]
    """

    policy: LRPolicy = arg(doc="the policy whose LR is clipped")
    min_lr: float = arg(default=0.0, ge=0, doc="the lowest LR")
    max_lr: float | None = arg(default=None, gt=0, doc="the highest LR (null: no ceiling)")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_lr is not None and self.max_lr < self.min_lr:
            raise ArgumentError("max_lr", f"must be >= min_lr ({self.min_lr}), got {self.max_lr}", code="out-of-range")

    def bound(self, functions: list[Callable[[RunView], float]], lr0: float) -> Callable[[RunView], float]:
        (function,) = functions
        low, high = self.min_lr, (math.inf if self.max_lr is None else self.max_lr)

        def clipped(c: RunView) -> float:
            lr = function(c)
            return low if lr < low else high if lr > high else lr  # min(max(lr, low), high), without the calls

        return clipped

    def combine(self, lrs: list[Any], lr0: float) -> Any:
        (lr,) = lrs
        high = math.inf if self.max_lr is None else self.max_lr
        if isinstance(lr, (int, float)):  # one update (numpy's float64 is a float too)
            return min(max(lr, self.min_lr), high)
        import numpy as np

        return np.clip(lr, self.min_lr, high)
