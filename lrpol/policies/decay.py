"""Plain decays of lr0: at milestones, exponential, linear, and a constant factor.

Each counts t in updates (``unit="step"``, the default, as their torch counterparts are
usually stepped per update) or in epochs (``unit="epoch"``, constant within an epoch).
"""

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..arguments import ArgumentError, arg
from ..clock import UNITS, span
from ..registry import register
from ..schedule import Schedule

_UNIT_DOC = "what t counts: 'step' (every update) or 'epoch' (constant within an epoch)"


@register
@dataclass(frozen=True)
class MultiStepDecay(Schedule):
    """Multiply the LR by ``gamma`` at each milestone.

    Formula, with lr0 = ``ctx.initial_lr``, t = ``global_step`` (``unit="step"``) or
    ``epoch`` (``unit="epoch"``), and k(t) = how many milestones m satisfy m <= t::

        lr(t) = lr0 * gamma ** k(t)

    - Base: updates by default; ``unit="epoch"`` counts t and the milestones in epochs.
      Only t is read, so it works without ``steps_per_epoch``.
    - First change: at t = milestones[0]; t = 0 .. milestones[0] - 1 run at lr0.
    - Last change: at t = milestones[-1], to lr0 * gamma ** len(milestones).
    - After the end of the run: that last value, held (the run's length plays no part).
    - Same as torch ``MultiStepLR(milestones, gamma)`` stepped once per update (or epoch).

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=1)
    >>> policy = MultiStepDecay(milestones=[2, 4], gamma=0.5)
    >>> [policy.evaluate(replace(ctx, global_step=s)) for s in range(6)]
    [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    """

    milestones: tuple[int, ...] = arg(doc="the t at which the LR is multiplied by gamma", ge=1, min_items=1, increasing=True)
    gamma: float = arg(doc="factor applied to the LR at each milestone", gt=0, le=1)
    unit: str = arg(default="step", choices=UNITS, doc=_UNIT_DOC)

    uses_length = False

    def formula(self, t: Any, total: Any, lr0: float, ops: Any) -> Any:
        return lr0 * self.gamma ** ops.count_passed(self.milestones, t)


@register
@dataclass(frozen=True)
class ExponentialDecay(Schedule):
    """Multiply the LR by ``gamma`` at every update or epoch (or over each n of them: ``every=n``).

    Formula, with lr0 = ``ctx.initial_lr``, t = ``global_step`` (``unit="step"``) or
    ``epoch`` (``unit="epoch"``) and n = ``every``::

        e(t)  = t / n              (t // n with staircase=True)
        lr(t) = lr0 * gamma ** e(t)

    then held at a floor when decaying (gamma < 1: ``min_lr``, or ``min_lr_ratio * lr0``;
    none by default) or at a ceiling when growing (gamma > 1: ``max_lr``, which growth
    requires, so that the LR never runs off to infinity)::

        lr(t) = max(lr0 * gamma ** e(t), floor)      gamma <= 1
        lr(t) = min(lr0 * gamma ** e(t), max_lr)     gamma > 1

    - Base: updates by default; ``unit="epoch"`` decays once per epoch. Only t is read,
      so it works without ``steps_per_epoch``.
    - First change: at t = 1 (to lr0 * gamma ** (1 / n)); with staircase=True at t = n, to
      lr0 * gamma. A growing LR reaches max_lr exactly and holds it; a max_lr below lr0 is
      held from t = 0 (as optax does), and so is a floor above lr0.
    - After the end of the run: the same rule, for as long as it is stepped.
    - Same as torch ``ExponentialLR(gamma)`` stepped once per update (or epoch); torch
      multiplies update by update, so the two agree to rel 1e-12 rather than to the bit.
    - Same as optax ``exponential_decay(init_value=lr0, transition_steps=n,
      decay_rate=gamma, staircase=staircase, end_value=min_lr or max_lr)`` and Keras
      ``ExponentialDecay(lr0, decay_steps=n, decay_rate=gamma, staircase=staircase)`` with
      ``unit="step"``. optax's ``transition_begin`` B is ``Sequential(policies=[Constant(),
      ExponentialDecay(...)], milestones=[B])``. optax turns decay_rate = 0 into a constant;
      here gamma = 0 is refused.

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=1)
    >>> policy = ExponentialDecay(gamma=0.5)
    >>> [policy.evaluate(replace(ctx, global_step=s)) for s in range(4)]
    [0.1, 0.05, 0.025, 0.0125]
    >>> stairs = ExponentialDecay(gamma=0.5, every=2, staircase=True, min_lr=0.03)
    >>> [stairs.evaluate(replace(ctx, global_step=s)) for s in range(6)]
    [0.1, 0.1, 0.05, 0.05, 0.03, 0.03]
    >>> growth = ExponentialDecay(gamma=2.0, max_lr=0.5)
    >>> [growth.evaluate(replace(ctx, global_step=s)) for s in range(5)]
    [0.1, 0.2, 0.4, 0.5, 0.5]
    """

    gamma: float = arg(doc="the factor the LR is multiplied by over each `every` t: below 1 decays, above 1 grows (and needs max_lr)", gt=0)
    unit: str = arg(default="step", choices=UNITS, doc=_UNIT_DOC)
    every: int = arg(default=1, ge=1, doc="how many t one factor gamma spans (optax's transition_steps, Keras's decay_steps)")
    staircase: bool = arg(default=False, doc="apply gamma only at whole multiples of every, in steps, rather than smoothly in between")
    min_lr: float = arg(default=0.0, ge=0, doc="the floor a decaying LR (gamma <= 1) stops at, as an LR")
    min_lr_ratio: float | None = arg(default=None, ge=0, doc="the floor as a fraction of lr0, instead of min_lr")
    max_lr: float | None = arg(default=None, gt=0, doc="the ceiling a growing LR (gamma > 1) stops at, as an LR: required when growing")

    uses_length = False

    def __post_init__(self) -> None:
        super().__post_init__()
        growing = self.gamma > 1
        if growing and self.max_lr is None:
            raise ArgumentError("max_lr", "a growing LR (gamma > 1) needs a ceiling: give max_lr, the LR it stops at", code="missing-argument")
        if growing and (self.min_lr != 0.0 or self.min_lr_ratio is not None):
            floor = "min_lr" if self.min_lr != 0.0 else "min_lr_ratio"
            raise ArgumentError(floor, "a floor is for a decaying LR (gamma <= 1); a growing one stops at max_lr", code="conflict")
        if not growing and self.max_lr is not None:
            raise ArgumentError("max_lr", "a ceiling is for a growing LR (gamma > 1); a decaying one stops at min_lr or min_lr_ratio", code="conflict")

    def formula(self, t: Any, total: Any, lr0: float, ops: Any) -> Any:
        every, ceiling, ratio = self.every, self.max_lr, self.min_lr_ratio
        exponent = t if every == 1 else (t // every if self.staircase else t / every)
        if ceiling is not None:
            return self._grown(exponent, lr0, ceiling, ops)
        lr = lr0 * self.gamma**exponent
        floor = self.min_lr if ratio is None else ratio * lr0  # self.floor, written out: this runs every update
        return ops.maximum(lr, floor) if floor else lr

    def _grown(self, exponent: Any, lr0: float, ceiling: float, ops: Any) -> Any:
        # The exponent is cut one factor past where lr0 * gamma ** e reaches the ceiling, so that
        # the power never overflows (a float power raises where it would), and the ceiling holds;
        # and below where gamma ** e itself would overflow, for a gamma so large that one factor
        # past the ceiling is past the largest float (gamma = 1e300, say).
        log_gamma = math.log(self.gamma)
        reach = (math.log(ceiling) - math.log(lr0)) / log_gamma
        largest = (math.log(sys.float_info.max) - 1.0) / log_gamma  # gamma ** largest < max / e
        return ops.minimum(lr0 * self.gamma ** ops.minimum(exponent, min(reach + 1.0, largest)), ceiling)


@register
@dataclass(frozen=True)
class Constant(Schedule):
    """Hold ``factor * lr0`` for ``duration``, then lr0 (by default, lr0 throughout).

    Formula, with lr0 = ``ctx.initial_lr``, D = ``duration`` (None: for ever; a number in
    (0, 1): that fraction of the run, rounded up) and t = ``global_step`` (``unit="step"``)
    or ``epoch`` (``unit="epoch"``)::

        lr(t) = lr0 * factor    for t < D
        lr(t) = lr0             for t >= D

    - Base: updates by default; ``unit="epoch"`` counts D in epochs. Only t is read (and
      T, for a fraction), so a count works without ``steps_per_epoch``.
    - The only change: at t = D, back up to lr0. With ``duration=None`` there is none, and
      with the default ``factor=1`` this is a plain constant lr0.
    - After the end of the run: the same rule (lr0 once t >= D).
    - Same as torch ``ConstantLR(factor, total_iters=D)`` stepped once per update (or
      epoch). torch's default factor is 1/3; this one's is 1. ``factor=0`` holds an LR of
      exactly 0 (optax's ``constant_schedule(0)`` before a ``join_schedules`` boundary).

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=1)
    >>> policy = Constant(factor=0.5, duration=2)
    >>> [policy.evaluate(replace(ctx, global_step=s)) for s in range(4)]
    [0.05, 0.05, 0.1, 0.1]
    """

    factor: float = arg(default=1.0, doc="the LR as a fraction of lr0 while t < duration", ge=0, le=1)
    duration: float | None = arg(default=None, doc="how long factor applies, in unit (null: for ever)", ge=1, fraction=True)
    unit: str = arg(default="step", choices=UNITS, doc=_UNIT_DOC)

    @property
    def uses_length(self) -> bool:  # type: ignore[override]  # T is read only for a fraction
        return isinstance(self.duration, float)

    @property
    def uses_position(self) -> bool:  # type: ignore[override]  # with no duration, t plays no part
        return self.duration is not None

    def formula(self, t: Any, total: Any, lr0: float, ops: Any) -> Any:
        if self.duration is None:
            return lr0 * self.factor
        return ops.where(t >= span(self.duration, total), lr0, lr0 * self.factor)


@register
@dataclass(frozen=True)
class LinearDecay(Schedule):
    """Move the LR linearly from ``start_factor * lr0`` to ``end_factor * lr0`` over ``duration``.

    Formula, with lr0 = ``ctx.initial_lr``, s = ``start_factor``, e = ``end_factor``,
    (t, T) = (global_step, total_epochs * steps_per_epoch) for ``unit="step"`` or
    (epoch, total_epochs) for ``unit="epoch"``, and D = ``duration``, or T when None (a
    number in (0, 1): that fraction of T, rounded up)::

        lr(t) = lr0 * (s * (D - min(t, D)) + e * min(t, D)) / D

    which is lr0 * (s + (e - s) * min(t, D) / D), written so that no two nearly equal
    terms are subtracted (e = 0 keeps full relative precision up to the last update).

    - Base: updates by default; ``unit="epoch"`` counts t and D in epochs. T, and so
      ``steps_per_epoch`` for ``unit="step"``, is needed only when ``duration`` is None
      or a fraction.
    - First update (t = 0): s * lr0. Last update of the ramp (t = D - 1):
      lr0 * (s + (e - s) * (D - 1) / D); e * lr0 is reached at t = D. With the default
      D = T that is just after the run's last update, so no update runs at e * lr0
      (none at 0 for the default e = 0).
    - After D (and after the end of the run): e * lr0, held.
    - Same as torch ``LinearLR(start_factor=s, end_factor=e, total_iters=D)`` stepped once
      per update (or epoch). s and e are in [0, 1]: s = 0 starts at exactly 0, as optax's
      ``linear_schedule(0, ...)`` does (torch requires s > 0).

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=4)
    >>> policy = LinearDecay()
    >>> [policy.evaluate(replace(ctx, global_step=s)) for s in range(6)]
    [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    >>> [LinearDecay(start_factor=0.5, end_factor=1.0, duration=2).evaluate(replace(ctx, global_step=s)) for s in range(4)]
    [0.5, 0.75, 1.0, 1.0]
    """

    start_factor: float = arg(default=1.0, doc="the LR at t = 0, as a fraction of lr0", ge=0, le=1)
    end_factor: float = arg(default=0.0, doc="the LR from t = duration on, as a fraction of lr0", ge=0, le=1)
    duration: float | None = arg(default=None, doc="length of the ramp, in unit (null: the whole run)", ge=1, fraction=True)
    unit: str = arg(default="step", choices=UNITS, doc=_UNIT_DOC)

    @property
    def uses_length(self) -> bool:  # type: ignore[override]  # T is read only when duration is None or a fraction
        return not isinstance(self.duration, int)

    def prepared(self, total: Any, lr0: float, ops: Any) -> Callable[[Any], Any]:
        length = total if self.duration is None else span(self.duration, total)
        start, end, minimum = self.start_factor, self.end_factor, ops.minimum

        def linear(t: Any) -> Any:
            done = minimum(t, length)
            return lr0 * (start * (length - done) + end * done) / length

        return linear
