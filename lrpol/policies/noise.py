"""Noise: timm's deterministic LR noise over another policy's LR."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..arguments import ArgumentError, arg
from ..clock import UNITS, Phase, phase_clock, span
from ..context import RunView, TrainContext, known_steps_per_epoch
from ..policy import LRPolicy, PhasedPolicy, Runner, raising, slot
from ..registry import register
from ..schedule import CHUNK
from ..torch_generator import rand, randn_within

DISTRIBUTIONS = ("normal", "uniform")

#: The largest ``std`` / ``limit``: beyond it, so few normal draws lie within the limit that
#: redrawing until one does (as timm does) would take hundreds of draws an update, and with
#: timm's arguments unbounded, for ever. At 100, 0.8% of draws are kept.
_STD_PER_LIMIT = 100


@register
@dataclass(frozen=True)
class Noise(PhasedPolicy):
    """Add timm's seeded noise to the wrapped policy's LR for t in [start, end).

    Formula, with t the position in ``unit`` (counted from where this policy starts), target(t)
    the wrapped policy's LR (lr0 without one), L = ``limit``, s = ``seed``, and ``start`` and
    ``end`` counts in ``unit`` (a number f in (0, 1) is ceil(f * T), T the length of the run
    or of the phase this policy runs in; ``end`` None is T)::

        lr(t) = target(t) + target(t) * n(t)    for start <= t < end
        lr(t) = target(t)                       otherwise

        n(t), "uniform": 2 * (u - 0.5) * L, u = torch.rand(1) of a generator seeded with s + t
        n(t), "normal":  the first x * std with |x * std| < L, x drawn by torch.randn(1) from
                         a generator seeded with s + t (drawn again until one is kept)

    - Base: ``unit`` ("step": a new draw every update; "epoch": one draw per epoch, held
      within it). n(t) depends on s + t alone, so the curve, a resumed run and any update
      evaluated out of order give the same LR; torch is not needed (the draws of torch's CPU
      generator are reproduced bit for bit, see :mod:`lrpol.torch_generator`).
    - The LR stays within target * (1 - L) and target * (1 + L), strictly for "normal";
      "uniform" reaches target * (1 - L) when u = 0 (so 0 when L = 1, once in 2**24 draws).
    - First update with noise: t = ``start`` (0 by default: from the first update). Last:
      t = ``end`` - 1; ``end`` defaults to T, so after the run the LR is the wrapped
      policy's, without noise. Give ``end`` past the run's length to keep the noise after
      it, as timm does when ``noise_range_t`` is one number. A window that turns out empty
      (a fraction ``end`` at or before a count ``start``) adds no noise.
    - Same as timm's noise on any of its schedulers (``noise_range_t=(a, b)``,
      ``noise_type``, ``noise_pct``, ``noise_std``, ``noise_seed``, ``t_in_epochs``) with
      start=a, end=b, distribution=noise_type, limit=noise_pct, std=noise_std,
      seed=noise_seed, unit="epoch" if t_in_epochs else "step", over the policy that is that
      scheduler without noise; ``noise_range_t=a`` is start=a (and end past the run, for
      timm's noise after it). timm compares t with float bounds, and an integer t is in
      [a, b) exactly when it is in [ceil(a), ceil(b)): its fractions (``--lr-noise f0 f1``,
      ``create_scheduler_v2(noise=[f0, f1])``, bounds f * t_initial) are start=f0, end=f1
      over a run (or phase) t_initial long, rounded up the same way. Only timm's
      PlateauLRScheduler takes ``noise_type`` as an argument; the others draw normal noise
      unless their attribute ``noise_type`` is changed. timm's LR at t is what its
      ``step(t)`` (per epoch) or ``step_update(t)`` (per update) sets; its train.py never
      calls them with t = 0, so there its first update runs without noise.
    - timm accepts a ``noise_pct`` above 1 (an LR that may turn negative) and a ``noise_std``
      so large that it redraws for ever; ``limit`` is at most 1 here, and ``std`` at most
      100 * ``limit`` (0.8% of draws kept).

    >>> from dataclasses import replace
    >>> from lrpol.torch_generator import rand
    >>> ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=6)
    >>> policy = Noise(start=2, end=4, distribution="uniform", limit=0.5)
    >>> [policy.evaluate(replace(ctx, global_step=s)) for s in range(6)]
    [1.0, 1.0, 1.219590425491333, 0.6869475245475769, 1.0, 1.0]
    >>> 0.5 + rand(42 + 2)  # with limit 0.5, lr0 * (1 + 2 * (u - 0.5) * 0.5) is 0.5 + u
    1.219590425491333
    """

    policy: LRPolicy | None = arg(default=None, doc="the policy whose LR the noise scales (default: a constant lr0)")
    start: float = arg(default=0, ge=0, fraction=True, doc="the first t with noise, in unit")
    end: float | None = arg(default=None, ge=1, fraction=True, doc="the first t without noise again, in unit (null: the end of the run, or of the phase)")
    unit: str = arg(default="step", choices=UNITS, doc="what t counts: 'step' (a new draw every update) or 'epoch' (one draw per epoch)")
    distribution: str = arg(default="normal", choices=DISTRIBUTIONS, doc="'normal': a normal draw of std, drawn again until within limit; 'uniform': uniform in [-limit, limit)")
    limit: float = arg(default=0.67, gt=0, le=1, doc="the largest change of the LR, as a fraction of the wrapped policy's LR")
    std: float = arg(default=1.0, gt=0, doc="the normal draw's standard deviation, as a fraction of the LR, before draws beyond limit are drawn again ('normal' only)")
    seed: int = arg(default=42, ge=0, doc="the generator is seeded with seed + t")

    def __post_init__(self) -> None:
        super().__post_init__()
        # Counts, or fractions, compare now; a count and a fraction only once T is known (an
        # empty window then has no noise).
        if self.end is not None and isinstance(self.end, int) == isinstance(self.start, int) and self.end <= self.start:
            raise ArgumentError("end", f"must be > start ({self.start}), got {self.end}", code="out-of-range")
        if self.distribution == "normal" and self.std > _STD_PER_LIMIT * self.limit:
            raise ArgumentError(
                "std",
                f"must be <= {_STD_PER_LIMIT} * limit ({_STD_PER_LIMIT * self.limit:g}) for 'normal' noise, got {self.std:g}: "
                "each update draws until a draw lies within limit, and so few would",
                "use distribution 'uniform' for noise spread evenly over [-limit, limit)",
                code="out-of-range",
            )

    def noise(self, t: int) -> float:
        """n(t): the LR's relative change at t, drawn as timm draws it for seed + t."""
        if self.distribution == "normal":
            return randn_within(self.seed + t, self.std, self.limit)
        return 2 * (rand(self.seed + t) - 0.5) * self.limit

    def _noise_function(self) -> Callable[[int], float]:
        """:meth:`noise` as a run's function calls it at every update: per epoch, remembering
        the last t and its draw (the hook asks once an update, and an epoch's draw is one).
        What it remembers is the function's own, never the policy's, and is n(t) whatever
        order t comes in."""
        noise = self.noise
        if self.unit != "epoch":
            return noise
        remembered = (-1, 0.0)  # (t, n(t)), one tuple so that the two always agree

        def per_epoch(t: int) -> float:
            nonlocal remembered
            last, value = remembered
            if t != last:
                value = noise(t)
                remembered = t, value
            return value

        return per_epoch

    def _window(self, phase: Phase) -> tuple[int, int, int]:
        """(where t is 0 on the run's clock of ``unit``, the first t with noise, the first after
        it), fractions and a missing end worked out on ``phase``'s length; a ValueError says
        what the phase cannot know."""
        start, end = self.start, self.end
        reads_length = end is None or isinstance(start, float) or isinstance(end, float)
        first, total = phase_clock(phase, self.unit, reads_length)
        if end is None:
            assert total is not None  # asked for, so known: phase_clock raises otherwise
            return first, span(start, total), total
        return first, span(start, total), span(end, total)

    def run_in(self, phase: Phase, ctx: RunView) -> Runner:
        try:
            offset, start, end = self._window(phase)
        except ValueError as error:
            return raising(error)
        target = None if self.policy is None else self.policy.run_in(phase, ctx)
        by_epoch, noise = self.unit == "epoch", self._noise_function()

        def noised(c: RunView, history: dict, results_before: int) -> float:
            lr = c.initial_lr if target is None else target(c, slot(history, "policy"), results_before)
            t = (c.epoch if by_epoch else c.global_step) - offset
            if t < 0:  # before its phase (inside a warmup that restarts it): the phase's first t
                t = 0
            return lr + lr * noise(t) if start <= t < end else lr

        return noised

    def bind_phase(self, phase: Phase, ctx: RunView) -> Callable[[RunView], float] | None:
        """The noise over the wrapped policy's own bound function, the window worked out once."""
        if self.reads_metric:
            return None  # history to keep: run on every update
        try:
            offset, start, end = self._window(phase)
        except ValueError:
            return None
        lr0 = ctx.initial_lr
        target = (lambda c: lr0) if self.policy is None else self.policy.bind_phase(phase, ctx)
        if target is None:
            return None
        by_epoch, noise = self.unit == "epoch", self._noise_function()

        def noised(c: RunView) -> float:
            lr = target(c)
            t = (c.epoch if by_epoch else c.global_step) - offset
            if t < 0:
                t = 0
            return lr + lr * noise(t) if start <= t < end else lr

        return noised

    def curve_in(self, run: TrainContext, phase: Phase, begin: int, end: int, metrics: Sequence[float], results_before: int) -> Any:
        import numpy as np

        if self.policy is None:
            lrs = np.full(max(end - begin, 0), run.initial_lr)
        else:
            lrs = self.policy.curve_in(run, phase, begin, end, metrics, results_before)
            if lrs is None:
                return None
            lrs = np.asarray(lrs, dtype=float)
            if not lrs.flags.writeable:  # a broadcast constant: an array of its own, to scale
                lrs = lrs.copy()
        offset, start, stop = self._window(phase)
        per_unit = known_steps_per_epoch(run) if self.unit == "epoch" else 1  # updates per t
        # Update u reads t = u // per_unit - offset, 0 before the phase (inside a warmup that
        # restarts it). Only the window's t that [begin, end) reaches are drawn; then the updates
        # they cover, [low, high), are scaled in place, a chunk at a time, as lr + lr * n(t) does.
        reached = range(max(begin // per_unit - offset, 0), max((end - 1) // per_unit - offset, 0) + 1)
        drawn = range(max(start, reached.start), min(stop, reached.stop))
        if not drawn:
            return lrs
        noise = np.array([self.noise(t) for t in drawn])
        low = begin if drawn.start == 0 else max(begin, (offset + drawn.start) * per_unit)
        high = min(end, (offset + drawn.stop) * per_unit)
        for chunk in range(low, high, CHUNK):
            step = np.arange(chunk, min(chunk + CHUNK, high))
            if step[-1] < offset * per_unit:  # all before the phase: t = 0 (and offset may be past int64)
                index: Any = 0
            else:
                index = np.maximum(step // per_unit - offset, 0) - drawn.start
            part = lrs[chunk - begin : chunk - begin + len(step)]
            part += part * noise[index]
        return lrs
