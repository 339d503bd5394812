"""Cyclic: the LR goes up and down between a floor and lr0 in triangles (CLR), and its momentum twin.

The cycle's arithmetic lives in one place, :func:`cycle_height`, which :class:`Cyclic` (the
LR) and :class:`CyclicMomentum` (the momentum, cycled the other way) share through
:class:`CyclicShape`, so the two always turn at the same updates.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..arguments import ArgumentError, arg
from ..clock import UNITS, span
from ..context import RunView
from ..registry import register
from ..schedule import SCALAR, Schedule
from .momentum import MAX_MOMENTUM_DOC, check_momentum_levels

MODES = ("triangular", "triangular2", "exp_range")


@dataclass(frozen=True)
class CyclicShape(Schedule):
    """The triangular cycle of torch's CyclicLR, between two levels a subclass gives
    (:meth:`levels`): (floor, lr0) for :class:`Cyclic`, whose docstring gives the formula, and
    (max, base) for its momentum twin, which so moves against the LR at every update."""

    step_size_up: float = arg(doc="how long the cycle rises, from its low end to its top, in unit", ge=1, fraction=True)
    step_size_down: float | None = arg(default=None, ge=1, fraction=True, doc="how long it falls back, in unit (null: as long as it rises)")
    mode: str = arg(
        default="triangular", choices=MODES,
        doc="'triangular': every cycle as tall; 'triangular2': each cycle half as tall as the one before; 'exp_range': the height shrinks by gamma at every t",
    )
    gamma: float = arg(default=1.0, gt=0, le=1, doc="for mode 'exp_range': the factor the height shrinks by at every t")
    unit: str = arg(default="step", choices=UNITS, doc="what t counts: 'step' (every update) or 'epoch' (constant within an epoch)")

    @property
    def uses_length(self) -> bool:  # type: ignore[override]  # T is read only for a step size given as a fraction
        return isinstance(self.step_size_up, float) or isinstance(self.step_size_down, float)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.gamma != 1.0 and self.mode != "exp_range":
            raise ArgumentError("gamma", f"applies to mode 'exp_range' only, not to mode {self.mode!r}", "remove gamma, or set mode: exp_range", code="conflict")

    def levels(self, lr0: float) -> tuple[float, float]:
        """(start, top): the value where each cycle starts, and the one at its top (before the mode shrinks it)."""
        raise NotImplementedError

    def cycle(self, total: int | None) -> tuple[int, float, str, float]:
        """(L, r, mode, gamma): the cycle's length in a run of T = ``total``, the share of it spent
        rising, and how it shrinks."""
        up = span(self.step_size_up, total)
        length = up + (up if self.step_size_down is None else span(self.step_size_down, total))
        return length, up / length, self.mode, self.gamma

    def formula(self, t: Any, total: Any, lr0: float, ops: Any) -> Any:
        start, top = self.levels(lr0)
        return start + cycle_height(top - start, t, *self.cycle(total), ops)

    def _bound(self, first: int, unit: str, total: int | None, lr0: float) -> Callable[[RunView], float]:
        """:meth:`formula` for one run, its levels and cycle worked out once rather than at every update."""
        try:
            length, rising, mode, gamma = self.cycle(total)
        except ValueError:  # a fraction of a run of unknown length: the formula says so at each update
            return super()._bound(first, unit, total, lr0)
        start, top = self.levels(lr0)
        amplitude = top - start
        by_epoch = unit == "epoch"

        def cyclic(ctx: RunView) -> float:
            t = (ctx.epoch if by_epoch else ctx.global_step) - first
            if t < 0 and first:  # before its phase: the phase's first update
                t = 0
            return start + cycle_height(amplitude, t, length, rising, mode, gamma, SCALAR)

        return cyclic


def cycle_height(amplitude: float, t: Any, length: int, rising: float, mode: str, gamma: float, ops: Any) -> Any:
    """``amplitude`` times how far up its cycle t is (0 where a cycle starts, 1 at its top), shrunk as
    ``mode`` says: torch's operations, in its order, so the same float at every t.

    A signed amplitude serves both twins: start + (top - start) * s is torch's
    max_momentum - (max_momentum - base_momentum) * s to the bit, as negating is exact.
    """
    y = 1.0 + t / length
    cycle = y // 1  # floor(y), as a float, on numbers and arrays alike: 1 in the first cycle
    x = y - cycle  # how far through its cycle t is, in [0, 1)
    height = amplitude * ops.where(x <= rising, x / rising, (x - 1) / (rising - 1))
    if mode == "triangular2":
        return height * 0.5 ** (cycle - 1)  # torch's 1 / 2.0 ** (cycle - 1), without its overflow after 1,024 cycles
    if mode == "exp_range":
        return height * gamma**t
    return height


@register
@dataclass(frozen=True)
class Cyclic(CyclicShape):
    """Cycle the LR between a floor and lr0 in triangles (CLR), as torch's CyclicLR.

    lr0 = ``ctx.initial_lr`` is the top of the cycle (torch's ``max_lr``), f the floor (torch's
    ``base_lr``): ``min_lr``, or ``min_lr_ratio * lr0``. With t = ``global_step`` (``unit="step"``)
    or ``epoch`` (``unit="epoch"``), u = ``step_size_up``, d = ``step_size_down`` (u when None;
    either, a number in (0, 1): that fraction of the run's length T, rounded up), L = u + d and
    r = u / L::

        c     = floor(1 + t / L)            the cycle t is in, from 1
        x     = 1 + t / L - c               how far through it, in [0, 1)
        s     = x / r                       for x <= r (rising)
        s     = (x - 1) / (r - 1)           for x > r  (falling)
        lr(t) = f + (lr0 - f) * s * k

    with k = 1 (``mode="triangular"``), 1 / 2 ** (c - 1) (``"triangular2"``: each cycle half as
    tall as the one before) or gamma ** t (``"exp_range"``: the height shrinks at every t).

    - Base: updates by default, as torch steps it (per batch); ``unit="epoch"`` counts t and the
      step sizes in epochs. Only t is read (and T, for a step size given as a fraction), so
      step sizes given as counts work without ``steps_per_epoch``.
    - First update (t = 0): the floor. The top, lr0 * k, is reached at t = u; the floor again at
      t = L, where the next cycle starts.
    - After the end of the run: it keeps cycling, as torch does; the run's length plays no part.
    - The floor must be given, as torch's ``base_lr`` must: ``min_lr`` above 0 or ``min_lr_ratio``.
      There is no default, because a floor of 0 runs the first update of every cycle at LR 0,
      wasted, and any other floor is a choice about the model (the CLR paper finds it with an LR
      range test; it suggests lr0 / 4 to lr0 / 3). ``min_lr_ratio: 0`` cycles from 0, as torch
      does with ``base_lr=0``.
    - Same as torch ``CyclicLR(optimizer, base_lr=f, max_lr=lr0, step_size_up=u,
      step_size_down=d, mode=mode, gamma=gamma)`` stepped once per update (or epoch), with its
      default ``scale_fn``: "exp_range" then scales per iteration, "triangular2" per cycle.
      The momentum it cycles by default (``cycle_momentum=True``) is ``CyclicMomentum``.

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=1.0, total_epochs=1)
    >>> policy = Cyclic(step_size_up=2, mode="triangular2", min_lr_ratio=0.2)
    >>> [round(policy.evaluate(replace(ctx, global_step=s)), 12) for s in range(10)]
    [0.2, 0.6, 1.0, 0.6, 0.2, 0.4, 0.6, 0.4, 0.2, 0.3]
    """

    min_lr: float = arg(default=0.0, ge=0, doc="the floor each cycle starts from (torch's base_lr); give it or min_lr_ratio")
    min_lr_ratio: float | None = arg(default=None, ge=0, le=1, doc="the floor as a fraction of lr0 (torch's base_lr / max_lr); 0 cycles from LR 0")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.min_lr == 0.0 and self.min_lr_ratio is None:
            raise ArgumentError(
                "min_lr", "a cycle needs a floor above 0 (torch's base_lr): otherwise every cycle starts with an update at LR 0",
                "give min_lr (an LR) or min_lr_ratio (a fraction of lr0); min_lr_ratio: 0 cycles from 0 as torch allows",
                code="missing-floor",
            )

    def levels(self, lr0: float) -> tuple[float, float]:
        return self.floor(lr0), lr0


@register
@dataclass(frozen=True)
class CyclicMomentum(CyclicShape):
    """Cycle momentum against a Cyclic LR: highest at the LR's floor, lowest at its top.

    A schedule for the optimizer's momentum (SGD ``momentum``, Adam ``betas[0]``), evaluated with
    lr0 = v0, that momentum's initial value. With m = ``max_momentum`` (v0 when None), b =
    ``base_momentum``, and s and k the cycle's shape and shrink exactly as in ``Cyclic``
    (same t, step sizes, mode and gamma)::

        v(t) = m - (m - b) * s * k

    - Give it the step sizes, mode, gamma and unit of the LR's Cyclic, so that the two turn at
      the same updates: momentum is m where the LR is at its floor, b where it is at its top.
    - First update (t = 0): m. "triangular2" and "exp_range" shrink the swing as they shrink
      the LR's, so momentum then stays nearer m.
    - After the end of the run: it keeps cycling, as the LR does.
    - Same as the momentum torch ``CyclicLR(..., cycle_momentum=True, base_momentum=b,
      max_momentum=m)`` writes to ``param_groups[i]["momentum"]`` (SGD) or ``["betas"][0]``
      (Adam), stepped once per update (or epoch). torch overwrites the optimizer's momentum with
      its ``max_momentum`` (default 0.9) when built; here ``max_momentum=None`` keeps the
      optimizer's own as m, so give ``max_momentum: 0.9`` for torch's default.

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=0.9, total_epochs=1)  # initial_lr: the optimizer's momentum
    >>> policy = CyclicMomentum(step_size_up=2, base_momentum=0.8)
    >>> [round(policy.evaluate(replace(ctx, global_step=s)), 12) for s in range(6)]
    [0.9, 0.85, 0.8, 0.85, 0.9, 0.85]
    """

    base_momentum: float = arg(default=0.8, ge=0, lt=1, doc="the momentum at the top of the LR's cycle")
    max_momentum: float | None = arg(default=None, ge=0, lt=1, doc=MAX_MOMENTUM_DOC)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_momentum_levels(self.base_momentum, self.max_momentum)

    def levels(self, lr0: float) -> tuple[float, float]:
        return (lr0 if self.max_momentum is None else self.max_momentum), self.base_momentum
