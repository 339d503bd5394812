"""WarmupStableDecay: warm up, hold the peak, then decay to a floor over the run's last stretch
(MiniCPM's WSD, the "trapezoidal" schedule), with the warmup and decay shapes of Hugging Face and timm."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..arguments import ArgumentError, arg
from ..clock import UNITS, span
from ..context import RunView
from ..registry import register
from ..schedule import SCALAR, Schedule
from .inverse_sqrt import inverse_power


class Shape(NamedTuple):
    """How a ramp moves over its progress x in [0, 1]: ``rise`` goes from 0 to 1 (a warmup; None
    for a shape no peer warms up with), ``fall`` from 1 to 0 (a decay). Each is written in the
    form its peers compute, so that neither loses precision near its start.

    ``parameter`` names the argument that tunes the fall (None: no such argument), and
    ``default`` is its value when that argument is not given.
    """

    rise: Callable[[Any, Any], Any] | None
    fall: Callable[[Any, float, Any], Any]
    parameter: str | None = None
    default: float = 0.0


#: The ramps warmups and decays take, by name: (x, ops) -> rise and (x, parameter, ops) -> fall.
SHAPES: dict[str, Shape] = {
    "linear": Shape(rise=lambda x, ops: x, fall=lambda x, k, ops: 1.0 - x),
    # k: how many cosine waves the decay makes (Hugging Face's num_cycles); half a wave falls once.
    "cosine": Shape(
        rise=lambda x, ops: 0.5 * (1.0 - ops.cos(ops.pi * x)),
        fall=lambda x, k, ops: 0.5 * (1.0 + ops.cos(ops.pi * k * 2.0 * x)),
        parameter="cosine_cycles", default=0.5,
    ),
    "1-sqrt": Shape(rise=lambda x, ops: 1.0 - ops.sqrt(1.0 - x), fall=lambda x, k, ops: 1.0 - ops.sqrt(x)),
    # k: the exponent; 0.5 is "1-sqrt", 1 is "linear", 2 falls slowly first.
    # The powers of these two are the C library's on both paths (ops.power): 1 - x ** k for a small k,
    # and k ** x - k for a k near 1, magnify a last-bit difference in the power.
    "power": Shape(rise=None, fall=lambda x, k, ops: 1.0 - ops.power(x, k), parameter="decay_power", default=0.5),
    # k: the ratio an exponential decay would reach at x = 1, shifted and scaled to end at 0.
    "exp": Shape(rise=None, fall=lambda x, k, ops: (ops.power(k, x) - k) / (1.0 - k), parameter="decay_ratio", default=0.1),
}
WARMUP_SHAPES = tuple(name for name, shape in SHAPES.items() if shape.rise is not None)
DECAY_SHAPES = tuple(SHAPES)

#: The stable phase's peak: constant, or an inverse power of the time since the warmup (timm's
#: stable_fn): "rsqrt" is "power" with the exponent 0.5.
STABLE_SHAPES = ("constant", "rsqrt", "power")

#: The largest cosine_cycles whose fall has a finite angle, pi * k * 2.0 (math.cos(inf) raises): 2.86e307.
_MAX_COSINE_CYCLES = sys.float_info.max / 2.0 / math.pi

_UNIT_DOC = "what t counts: 'step' (every update) or 'epoch' (constant within an epoch)"


@register
@dataclass(frozen=True)
class WarmupStableDecay(Schedule):
    """Warm up to lr0, hold it (the stable phase), then decay to the floor over the last stretch.

    With lr0 = ``ctx.initial_lr``, (t, T) = (global_step, total_epochs * steps_per_epoch) for
    ``unit="step"`` or (epoch, total_epochs) for ``unit="epoch"`` (T = ``horizon`` when given),
    W = ``warmup_duration``, D = ``decay_duration``, S = ``stable_duration`` or, when that is
    None, the rest: T - W - D (each length a count in ``unit``, or a number in (0, 1): that
    fraction of T, rounded up as Hugging Face rounds its warmup_ratio). f0 =
    ``warmup_start_factor`` (default 1 / (W + 1)), floor = ``min_lr`` or ``min_lr_ratio *
    lr0``, rise and fall the shapes named by ``warmup_shape`` and ``decay_shape``::

        lr(t) = lr0 * (f0 + (1 - f0) * rise(t / W))            for t < W
        lr(t) = peak(t)                                         for W <= t < W + S
        lr(t) = floor + (peak(t) - floor) * fall((t - W - S) / D)   for W + S <= t < W + S + D
        lr(t) = floor                                           for t >= W + S + D

    peak(t) is lr0 for ``stable_shape="constant"`` (the default); for "rsqrt" and "power" it
    keeps falling from lr0 through the stable and decay phases, never below the floor:
    max(lr0 * (1 + (t - W) / tau) ** -p, floor), with tau = ``stable_timescale`` (default W)
    and p = 0.5 ("rsqrt") or ``stable_power`` ("power"). The shapes, over x in [0, 1]::

        shape     rise (warmup)             fall (decay)
        linear    x                         1 - x
        cosine    (1 - cos(pi * x)) / 2     (1 + cos(2 * pi * k * x)) / 2,  k = cosine_cycles (0.5)
        1-sqrt    1 - sqrt(1 - x)           1 - sqrt(x)
        power     -                         1 - x ** k,                     k = decay_power (0.5)
        exp       -                         (k ** x - k) / (1 - k),         k = decay_ratio (0.1)

    - Base: updates by default; ``unit="epoch"`` counts t and every duration in epochs. T
      (and so ``steps_per_epoch`` for ``unit="step"``) is read only when ``stable_duration``
      is None or a length is a fraction.
    - First update (t = 0): f0 * lr0, which is lr0 / (W + 1) by default, so no update runs at
      LR 0; ``warmup_start_factor=0`` starts at exactly 0, as the peers do. Without a warmup
      (W = 0, the default): lr0.
    - End of warmup: t = W is the first update at the peak. Start of the decay: t = W + S
      still runs at the peak; the last update of the decay (t = W + S + D - 1) is one step of
      the fall above the floor, which is first reached at t = W + S + D. With the default S
      that is T, just after the run, so no update runs at the floor (none at 0 by default).
    - After the end (t >= W + S + D, and after the run): the floor, held.
    - When W + D exceeds T (S None), S is negative: the decay still ends at T, as HF's does,
      and its first W + D - T updates fall under the warmup, which takes precedence; at t = W
      the LR is the decay's there (a jump, up or down, from the warmup's last update).
    - Hugging Face ``get_wsd_schedule`` (``get_scheduler("warmup_stable_decay", ...)``) with
      num_warmup_steps=W, num_decay_steps=D, num_stable_steps=S or num_training_steps=T,
      warmup_type, decay_type, min_lr_ratio=r, num_cycles=k: the same W, D, S or T (the
      run's length, or ``horizon``), ``warmup_shape``, ``decay_shape``, ``min_lr_ratio=r``,
      ``cosine_cycles=k`` (given only with the cosine decay), and ``warmup_start_factor=r``:
      HF's warmup starts at its floor (at exactly 0 when r = 0). HF's defaults, linear
      warmup and cosine decay, are these. The Trainer's ``warmup_ratio`` r is
      ``warmup_duration=r``.
    - timm ``WSDLRScheduler(t_initial, decay_t, lr_min, stable_fn, stable_timescale,
      stable_power, decay_fn, decay_power, decay_ratio, warmup_t, warmup_lr_init)``:
      ``warmup_duration=warmup_t``, ``decay_duration=decay_t``, ``stable_duration=t_initial -
      decay_t``, ``min_lr=lr_min``, ``stable_shape=stable_fn`` (with ``stable_timescale`` and
      ``stable_power``), ``decay_shape=decay_fn`` (with ``decay_power`` or ``decay_ratio``)
      and ``warmup_start_factor=warmup_lr_init / lr0``; the linear warmup, timm's only one, is
      the default. timm's default decay_fn is "1-sqrt"; ``unit="epoch"`` is its
      ``t_in_epochs=True``. A callable decay_fn has no config spelling.

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=10)
    >>> policy = WarmupStableDecay(warmup_duration=3, decay_duration=4, decay_shape="linear")
    >>> [policy.evaluate(replace(ctx, global_step=s)) for s in range(12)]
    [0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    >>> from_zero = WarmupStableDecay(warmup_duration=2, decay_duration=2, warmup_start_factor=0, min_lr_ratio=0.1)
    >>> [round(from_zero.evaluate(replace(ctx, global_step=s)), 12) for s in (0, 1, 2, 7, 8, 9, 10)]
    [0.0, 0.5, 1.0, 1.0, 1.0, 0.55, 0.1]
    """

    decay_duration: float = arg(doc="D: length of the decay that ends the schedule, in unit", ge=1, fraction=True)
    warmup_duration: float = arg(default=0, doc="W: length of the warmup, in unit (0: none)", ge=0, fraction=True)
    stable_duration: float | None = arg(default=None, doc="S: length of the stable phase, in unit (null: the rest of T)", ge=0, fraction=True)
    horizon: int | None = arg(default=None, doc="T: the length warmup, stable and decay fill when stable_duration is null, in unit (null: the run's)", ge=1)
    warmup_shape: str = arg(default="linear", choices=WARMUP_SHAPES, doc="how the warmup rises to lr0")
    warmup_start_factor: float | None = arg(default=None, doc="the first update's LR, as a fraction of lr0 (null: 1 / (warmup_duration + 1); 0 as the peers)", ge=0, le=1)
    decay_shape: str = arg(default="cosine", choices=DECAY_SHAPES, doc="how the decay falls to the floor")
    cosine_cycles: float | None = arg(default=None, doc="cosine waves over the decay, for decay_shape 'cosine' (null: 0.5, one fall)", gt=0, le=_MAX_COSINE_CYCLES)
    decay_power: float | None = arg(default=None, doc="k of 1 - x ** k, for decay_shape 'power' (null: 0.5)", gt=0)
    decay_ratio: float | None = arg(default=None, doc="where the exponential would end, for decay_shape 'exp' (null: 0.1)", gt=0, lt=1)
    stable_shape: str = arg(default="constant", choices=STABLE_SHAPES, doc="the peak during the stable phase: 'constant' lr0, or falling as 'rsqrt' or 'power'")
    stable_timescale: float | None = arg(default=None, doc="tau of the 'rsqrt' and 'power' stable shapes, in unit (null: warmup_duration)", gt=0)
    stable_power: float | None = arg(default=None, doc="p of the 'power' stable shape (null: 0.5)", gt=0)
    min_lr: float = arg(default=0.0, doc="the floor the decay ends at, as an LR", ge=0)
    min_lr_ratio: float | None = arg(default=None, doc="the floor as a fraction of lr0 (instead of min_lr)", ge=0, le=1)
    unit: str = arg(default="step", choices=UNITS, doc=_UNIT_DOC)

    def __post_init__(self) -> None:
        super().__post_init__()
        for shape in SHAPES.values():  # a shape's argument is given only with that shape
            if shape.parameter is not None and getattr(self, shape.parameter) is not None and SHAPES[self.decay_shape] is not shape:
                raise ArgumentError(shape.parameter, f"applies only to the decay_shape it tunes, not to {self.decay_shape!r}", code="conflict")
        if self.stable_shape == "constant" and self.stable_timescale is not None:
            raise ArgumentError("stable_timescale", "applies only to stable_shape 'rsqrt' or 'power'", code="conflict")
        if self.stable_shape != "power" and self.stable_power is not None:
            raise ArgumentError("stable_power", "applies only to stable_shape 'power'", code="conflict")
        if self.stable_shape != "constant" and self.stable_timescale is None and self.warmup_duration == 0:
            raise ArgumentError(
                "stable_timescale", f"stable_shape {self.stable_shape!r} needs a timescale", "it defaults to warmup_duration, which is 0: give stable_timescale", code="missing-argument"
            )
        if self.warmup_start_factor is not None and self.warmup_duration == 0:
            raise ArgumentError("warmup_start_factor", "applies only with a warmup (warmup_duration >= 1)", code="conflict")
        if self.horizon is not None and not self.uses_length:
            raise ArgumentError("horizon", "plays no part when stable_duration is given: give one or the other", code="conflict")

    @property
    def uses_length(self) -> bool:  # type: ignore[override]  # T is read for the rest of it, or for a fraction of it
        return self.stable_duration is None or any(isinstance(length, float) for length in (self.warmup_duration, self.stable_duration, self.decay_duration))

    def durations(self, total: int | None) -> tuple[int, int, int]:
        """(W, S, D) as counts: the warmup's, stable phase's and decay's lengths in a schedule of
        length T = ``total``, each given as a count or a fraction of T, S by default the rest."""
        warmup, decay = span(self.warmup_duration, total), span(self.decay_duration, total)
        if self.stable_duration is not None:
            return warmup, span(self.stable_duration, total), decay
        if total is None:
            raise ValueError("stable_duration null needs the length T: the run's (or phase's), or horizon")
        # Below 0 when warmup and decay outlast T: the decay still ends at T, its start under the warmup.
        return warmup, total - warmup - decay, decay

    def formula(self, t: Any, total: Any, lr0: float, ops: Any) -> Any:
        warmup, stable, decay = self.durations(total)
        floor, (rise, fall, tuning), start = self.floor(lr0), self._shapes(), self._start(warmup)
        decay_start = warmup + stable
        peak = self._peak(t, warmup, lr0, floor, ops)
        progress = ops.minimum(ops.maximum(t - decay_start, 0) / decay, 1.0)  # clipped: every branch is computed
        lr = ops.where(t < decay_start, peak, floor + (peak - floor) * fall(progress, tuning, ops))
        lr = ops.where(t < decay_start + decay, lr, floor)
        if not warmup:
            return lr
        ramp = lr0 * (start + (1.0 - start) * rise(ops.minimum(t / warmup, 1.0), ops))
        return ops.where(t < warmup, ramp, lr)

    def _shapes(self) -> tuple[Callable[[Any, Any], Any], Callable[[Any, float, Any], Any], float]:
        """(rise, fall, the fall's parameter): the warmup's and decay's shape functions."""
        rise, shape = SHAPES[self.warmup_shape].rise, SHAPES[self.decay_shape]
        assert rise is not None  # warmup_shape's choices are the shapes that rise
        given = None if shape.parameter is None else getattr(self, shape.parameter)
        return rise, shape.fall, shape.default if given is None else given

    def _start(self, warmup: int) -> float:
        """f0: the first factor of a warmup ``warmup`` long."""
        return 1.0 / (warmup + 1) if self.warmup_start_factor is None else self.warmup_start_factor

    def _falling_peak(self, warmup: int) -> tuple[float, float] | None:
        """(tau, p) of a stable phase whose peak falls as (1 + (t - W) / tau) ** -p after a warmup
        ``warmup`` long (tau's default); None for a constant one."""
        if self.stable_shape == "constant":
            return None
        power = 0.5 if self.stable_power is None else self.stable_power  # given only for "power"
        return (warmup if self.stable_timescale is None else self.stable_timescale), power

    def _peak(self, t: Any, warmup: int, lr0: float, floor: float, ops: Any) -> Any:
        """The LR the stable phase holds at t, from which the decay falls: lr0, or an inverse power
        of the time since the warmup, never below the floor."""
        falling = self._falling_peak(warmup)
        if falling is None:
            return lr0
        return ops.maximum(lr0 * inverse_power(ops.maximum(t - warmup, 0), *falling), floor)

    def _bound(self, first: int, unit: str, total: int | None, lr0: float) -> Callable[[RunView], float]:
        """:meth:`formula` for one run, its phases, floor and shapes worked out once: the update
        then goes straight to its phase and does the formula's operations there, in its order,
        so the LR is the same float at every t."""
        if total is None and self.uses_length:  # no length: the formula raises, saying so, at each update
            return super()._bound(first, unit, total, lr0)
        warmup, stable, decay = self.durations(total)
        floor, (rise, fall, tuning), start = self.floor(lr0), self._shapes(), self._start(warmup)
        decay_start = warmup + stable
        end = decay_start + decay
        rest = 1.0 - start
        falling = self._falling_peak(warmup)
        timescale, power = falling or (1.0, 0.0)
        by_epoch = unit == "epoch"

        def warmup_stable_decay(ctx: RunView) -> float:
            t = (ctx.epoch if by_epoch else ctx.global_step) - first
            if t < 0 and first:  # before its phase: the phase's first update
                t = 0
            if t < warmup:
                return lr0 * (start + rest * rise(min(t / warmup, 1.0), SCALAR))
            if t >= end:
                return floor
            top = lr0 if falling is None else max(lr0 * inverse_power(t - warmup, timescale, power), floor)  # _peak, as t >= warmup
            if t < decay_start:
                return top
            return floor + (top - floor) * fall(min(max(t - decay_start, 0) / decay, 1.0), tuning, SCALAR)

        return warmup_stable_decay
