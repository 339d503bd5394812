"""Decays that fall as a power of time: inverse square root (Transformer, T5, Hugging Face) and
inverse time (Keras). Neither ever reaches 0, and neither reads the run's length."""

from dataclasses import dataclass
from typing import Any

from ..arguments import arg
from ..clock import UNITS
from ..registry import register
from ..schedule import Schedule

#: From here on every float is a whole number: its own floor.
_WHOLE = 2.0**53

_UNIT_DOC = "what t counts: 'step' (every update) or 'epoch' (constant within an epoch)"


def inverse_power(elapsed: Any, timescale: float, power: float) -> Any:
    """(1 + elapsed / timescale) ** -power: 1 at elapsed = 0, falling as elapsed ** -power once
    elapsed is well past the timescale. elapsed is a number or a numpy array, never negative.

    >>> inverse_power(3, 3.0, 0.5) == 2 ** -0.5
    True
    """
    return (1.0 + elapsed / timescale) ** -power


@register
@dataclass(frozen=True)
class InverseSqrt(Schedule):
    """Hold lr0 for ``hold``, then decay as one over the square root of time.

    Formula, with lr0 = ``ctx.initial_lr`` (the peak), tau = ``timescale``, h = ``hold`` and
    t = ``global_step`` (``unit="step"``) or ``epoch`` (``unit="epoch"``)::

        lr(t) = lr0                                    for t < h
        lr(t) = lr0 * (1 + (t - h) / tau) ** -0.5      for t >= h

    so the LR is lr0 / sqrt(2) at t = h + tau, and lr0 * sqrt(tau / t) when h = tau.

    - Base: updates by default; ``unit="epoch"`` counts t, h and tau in epochs. Only t is
      read, so it works without ``steps_per_epoch``.
    - First change: at t = h + 1 (t = 1 with the default h = 0); the LR never reaches 0.
    - After the end of the run: it keeps decaying (its formula has no length to hold at).
    - Hugging Face ``get_inverse_sqrt_schedule(num_warmup_steps=W, timescale=tau)`` (the
      same as ``get_scheduler("inverse_sqrt", ...)``): ``Warmup(duration=W, start_factor=0,
      policy=InverseSqrt(timescale=tau))`` (a ``warmup_ratio`` r is ``duration=r``). HF's
      ``shift`` (tau - W, added to the run's step) is the warmup's restart of the clock
      here. HF's timescale defaults to W, or to 10000 without a warmup; here it is always
      given. Like HF, it keeps decaying after the run.
    - Transformer ("Noam", Attention Is All You Need), lr = d ** -0.5 * min(s ** -0.5,
      s * w ** -1.5) for the update s = t + 1: lr0 = (d * w) ** -0.5 (the peak, at s = w)
      and ``Warmup(duration=w - 1, policy=InverseSqrt(timescale=w))``, whose default ramp
      starts at lr0 / w as Noam's does.
    - T5, lr = 1 / sqrt(max(t, k)): lr0 = 1 / sqrt(k) and ``InverseSqrt(timescale=k, hold=k)``.
    - timm ``WSDLRScheduler(stable_fn="rsqrt", stable_timescale=tau)``'s stable phase, and
      the big_vision "rsqrt" schedule, are this decay from the end of their warmup.

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=1.0, total_epochs=1)
    >>> policy = InverseSqrt(timescale=3)
    >>> [round(policy.evaluate(replace(ctx, global_step=s)), 12) for s in (0, 1, 3, 9)]
    [1.0, 0.866025403784, 0.707106781187, 0.5]
    >>> t5 = InverseSqrt(timescale=4, hold=4)
    >>> [t5.evaluate(replace(ctx, global_step=s)) for s in (0, 3, 4, 16)]
    [1.0, 1.0, 1.0, 0.5]
    """

    timescale: float = arg(doc="tau: the LR is lr0 / sqrt(2) tau after hold ends, in unit", gt=0)
    hold: int = arg(default=0, doc="how long the LR stays at lr0 before it decays, in unit", ge=0)
    unit: str = arg(default="step", choices=UNITS, doc=_UNIT_DOC)

    uses_length = False

    def formula(self, t: Any, total: Any, lr0: float, ops: Any) -> Any:
        return lr0 * inverse_power(ops.maximum(t - self.hold, 0), self.timescale, 0.5)


@register
@dataclass(frozen=True)
class InverseTimeDecay(Schedule):
    """Decay as one over time: lr0 / (1 + rate * t / steps), smoothly or in stairs.

    Formula, with lr0 = ``ctx.initial_lr``, r = ``decay_rate``, s = ``decay_steps`` and
    t = ``global_step`` (``unit="step"``) or ``epoch`` (``unit="epoch"``)::

        p(t)  = t / s             (staircase=False)
        p(t)  = floor(t / s)      (staircase=True)
        lr(t) = lr0 / (1 + r * p(t))

    - Base: updates by default; ``unit="epoch"`` counts t and s in epochs. Only t is read,
      so it works without ``steps_per_epoch``.
    - First change: at t = 1 (with staircase, at the first t >= s). The LR is lr0 / (1 + r)
      at t = s, and never reaches 0.
    - After the end of the run: it keeps decaying, as Keras does.
    - Same as Keras ``InverseTimeDecay(initial_learning_rate=lr0, decay_steps=s,
      decay_rate=r, staircase)`` (and TensorFlow's ``inverse_time_decay``), stepped once per
      update (or per epoch). Keras computes in float32, this in float64.

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=1.0, total_epochs=1)
    >>> policy = InverseTimeDecay(decay_steps=2, decay_rate=1)
    >>> [policy.evaluate(replace(ctx, global_step=s)) for s in range(5)]
    [1.0, 0.6666666666666666, 0.5, 0.4, 0.3333333333333333]
    >>> stairs = InverseTimeDecay(decay_steps=2, decay_rate=1, staircase=True)
    >>> [stairs.evaluate(replace(ctx, global_step=s)) for s in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.3333333333333333]
    >>> halves = InverseTimeDecay(decay_steps=2.5, decay_rate=1, staircase=True)
    >>> [halves.evaluate(replace(ctx, global_step=s)) for s in range(6)]
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.3333333333333333]
    """

    decay_steps: float = arg(doc="s: the t at which the LR is lr0 / (1 + decay_rate), in unit", gt=0)
    decay_rate: float = arg(doc="r: how fast the LR falls; 0 keeps it at lr0", ge=0)
    staircase: bool = arg(default=False, doc="decay in whole steps of decay_steps (floor(t / decay_steps)) rather than smoothly")
    unit: str = arg(default="step", choices=UNITS, doc=_UNIT_DOC)

    uses_length = False

    def formula(self, t: Any, total: Any, lr0: float, ops: Any) -> Any:
        if not self.decay_rate:  # lr0 throughout; 0 * p would be NaN where t / s overflows (s = 5e-324)
            return lr0
        p = t / self.decay_steps
        if self.staircase:  # floor(t / s), as Keras floors its quotient (t // s is another number: 1 // 0.1 is 9.0)
            p = ops.where(p < _WHOLE, ops.minimum(p, _WHOLE) // 1, p)  # from 2**53 on a float is whole, and inf // 1 is NaN
        return lr0 / (1.0 + self.decay_rate * p)
