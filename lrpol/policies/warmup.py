"""Warmup: a linear ramp up to another policy's LR, then that policy."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..arguments import arg
from ..clock import UNITS, Phase, phase_clock, span, within
from ..context import RunView, TrainContext, known_steps_per_epoch
from ..policy import LRPolicy, PhasedPolicy, Runner, nested_in, raising, slot
from ..registry import register
from ..schedule import CHUNK, SCALAR, Schedule, plain_schedule

CLOCKS = ("restart", "global")
RAMP_TOPS = ("policy", "lr0")


@register
@dataclass(frozen=True)
class Warmup(PhasedPolicy):
    """Ramp the LR linearly up to the wrapped policy's LR over ``duration``, then hand over.

    Formula, with D = ``duration`` (a number in (0, 1): that fraction of the run, rounded
    up), f0 = ``start_factor`` (default 1 / (D + 1)), t the run's position in ``unit`` and
    target(t) the wrapped policy's LR (lr0 without one)::

        lr(t) = top(t) * (f0 + (1 - f0) * t / D)    for t < D
        lr(t) = target(t)                           for t >= D

    where top(t) = target(t) (``ramp_to="policy"``, the default) or lr0 (``ramp_to="lr0"``).

    - Base: ``unit`` ("step" by default: warmups are usually counted in updates).
    - The seam is continuous by construction: the ramp multiplies the live target and
      reaches factor 1 exactly at t = D, where the target takes over alone.
    - First update: f0 * target, not 0; with the default f0 the ramp climbs in D + 1
      equal steps, (t + 1) / (D + 1), and no update is wasted at LR 0. ``start_factor=0``
      starts at exactly 0, as every peer's warmup does: Hugging Face's ``get_scheduler``
      warmups are ``Warmup(duration=W, start_factor=0, policy=...)`` (``warmup_ratio`` r is
      ``duration=r``, rounded up as there), MONAI's ``warmup_multiplier`` m is f0 = m.
    - ``clock="restart"`` (default): the wrapped policy's clock starts at 0 at t = D and
      its horizon is the rest of the run, so it starts at its peak after warmup (during
      warmup it reads t = 0). This is torch's ``SequentialLR([LinearLR, X], [D])``.
      ``clock="global"``: the wrapped policy runs on the run's own clock throughout, so the
      warmup eats into its curve.
    - ``ramp_to="lr0"`` climbs to lr0 itself and then drops to the wrapped policy's LR at
      the seam, as timm does: timm's ``warmup_t=D, warmup_lr_init=i`` is ``Warmup(duration=D,
      start_factor=i / lr0, ramp_to="lr0", clock="global")`` (``clock="restart"`` for
      ``warmup_prefix=True``) around the schedule, with ``horizon`` = its ``t_initial``.
      The default ramps to the live target, so the seam is continuous.
    - After the run: whatever the wrapped policy gives. Validation results reach a wrapped
      ReduceOnPlateau from the first one on.

    >>> from dataclasses import replace
    >>> ctx = TrainContext(initial_lr=0.4, total_epochs=1, steps_per_epoch=6)
    >>> policy = Warmup(duration=3)
    >>> [policy.evaluate(replace(ctx, global_step=s)) for s in range(5)]
    [0.1, 0.2, 0.30000000000000004, 0.4, 0.4]
    """

    duration: float = arg(doc="length of the ramp, in unit", ge=1, fraction=True)
    policy: LRPolicy | None = arg(default=None, doc="the policy to warm up into (default: a constant lr0)")
    unit: str = arg(default="step", choices=UNITS, doc="what duration counts: 'step' (updates) or 'epoch'")
    start_factor: float | None = arg(default=None, ge=0, le=1, doc="the first update's LR as a fraction of the target (default 1 / (duration + 1)); 0 starts at exactly 0")
    clock: str = arg(default="restart", choices=CLOCKS, doc="'restart': the wrapped policy starts at 0 when warmup ends; 'global': it runs on the run's clock")
    ramp_to: str = arg(default="policy", choices=RAMP_TOPS, doc="'policy': the ramp scales the wrapped policy's LR and meets it at the seam; 'lr0': it climbs to lr0 (timm's warmup)")

    def run_in(self, phase: Phase, ctx: RunView) -> Runner:
        try:
            offset = phase_clock(phase, self.unit, False)[0]  # where the warmup's t is 0
            duration = self._duration(phase)
        except ValueError as error:
            return raising(error)
        policy = self.policy
        if policy is None:
            target = None
        else:
            target = policy.run_in(self._inner_phase(phase, ctx.steps_per_epoch, duration), ctx)
        (first, rest), by_epoch, to_lr0 = self._ramp_start(duration), self.unit == "epoch", self.ramp_to == "lr0"

        def ramped(c: RunView, history: dict, results_before: int) -> float:
            t = (c.epoch if by_epoch else c.global_step) - offset
            # The target runs on every update, in the ramp too: a plateau in it counts every result.
            lr = c.initial_lr if target is None else target(c, slot(history, "policy"), results_before)
            if t >= duration:
                return lr
            return (c.initial_lr if to_lr0 else lr) * (first + rest * (t if t > 0 else 0) / duration)

        return ramped

    def _duration(self, phase: Phase) -> int:
        """D as a count in ``unit``: a fraction is of the phase's length (a ValueError when the
        phase cannot know it)."""
        if isinstance(self.duration, int):
            return self.duration
        return span(self.duration, phase_clock(phase, self.unit, True)[1])

    def _inner_phase(self, phase: Phase, steps_per_epoch: int | None, duration: int) -> Phase:
        """Where the wrapped policy runs: from the end of the warmup ("restart"), or in the
        warmup's own phase ("global")."""
        return phase if self.clock == "global" else within(phase, duration, None, self.unit, steps_per_epoch)

    def _ramp_start(self, duration: int) -> tuple[float, float]:
        """(f0, 1 - f0): the ramp's first factor, and what it climbs by over ``duration``."""
        first = 1.0 / (duration + 1) if self.start_factor is None else self.start_factor
        return first, 1.0 - first

    def bind_phase(self, phase: Phase, ctx: RunView) -> Callable[[RunView], float] | None:
        """The ramp over the wrapped policy's own bound function, the phases worked out once."""
        if self.reads_metric:
            return None  # history to keep: evaluated on every update
        try:
            offset = phase_clock(phase, self.unit, False)[0]  # where the warmup's t is 0
            duration = self._duration(phase)
        except ValueError:
            return None
        policy, lr0 = self.policy, ctx.initial_lr
        if policy is None:
            target: Callable[[RunView], float] | None = lambda c: lr0
        elif self.clock == "global":
            target = policy.bind_phase(phase, ctx)
        else:
            inner = self._inner_phase(phase, ctx.steps_per_epoch, duration)
            schedule = plain_schedule(policy)
            handover = None if schedule is None else self._bound_handover(schedule, inner, offset, duration, lr0)
            if handover is not None:
                return handover
            target = policy.bind_phase(inner, ctx)
        if target is None:
            return None
        (first, rest), by_epoch, to_lr0 = self._ramp_start(duration), self.unit == "epoch", self.ramp_to == "lr0"

        def ramped(c: RunView) -> float:
            lr = target(c)
            t = (c.epoch if by_epoch else c.global_step) - offset
            if t >= duration:
                return lr
            return (lr0 if to_lr0 else lr) * (first + rest * (t if t > 0 else 0) / duration)

        return ramped

    def _bound_handover(self, schedule: Schedule, phase: Phase, offset: int, duration: int, lr0: float) -> Callable[[RunView], float] | None:
        """For the common case, a schedule on the warmup's own unit whose clock restarts when the
        warmup ends: one function, with no call to another on each update. During the ramp the
        schedule reads t = 0, so its value there is worked out once; after it, its formula runs
        on t - duration. None for anything else (a schedule with a bound function of its own)."""
        unit = self.unit
        if schedule.unit != unit or not schedule.uses_position or type(schedule)._bound is not Schedule._bound:
            return None
        try:
            start, total = schedule.clock_in(phase)
        except ValueError:
            return None
        if start != offset + duration:
            return None
        lr_at = schedule._prepare(total, lr0, SCALAR)
        at_start = lr0 if self.ramp_to == "lr0" else lr_at(0)
        (first, rest), by_epoch = self._ramp_start(duration), unit == "epoch"

        def warmed(c: RunView) -> float:
            t = (c.epoch if by_epoch else c.global_step) - offset
            if t >= duration:
                return lr_at(t - duration)
            return at_start * (first + rest * (t if t > 0 else 0) / duration)

        return warmed

    def check_history(self, ctx: RunView, phase: Phase, history: dict, results_before: int) -> None:
        if self.policy is None:
            return
        with nested_in("policy"):
            self.policy.check_history(ctx, self._inner_phase(phase, ctx.steps_per_epoch, self._duration(phase)), history.get("policy", {}), results_before)

    def curve_in(self, run: TrainContext, phase: Phase, begin: int, end: int, metrics: Sequence[float], results_before: int) -> Any:
        import numpy as np

        spe = known_steps_per_epoch(run)
        duration = self._duration(phase)
        if self.policy is None:
            target = np.full(max(end - begin, 0), run.initial_lr)
        else:
            target = self.policy.curve_in(run, self._inner_phase(phase, spe, duration), begin, end, metrics, results_before)
            if target is None:
                return None
        # The ramp covers the first `duration` units of the phase only: only those updates are
        # scaled (or, ramping to lr0, set), in place and a chunk at a time.
        first = phase_clock(phase, self.unit, False)[0]
        ramp_end = (first + duration) if self.unit == "step" else (first + duration) * spe
        target = np.asarray(target, dtype=float)
        if not target.flags.writeable:  # a broadcast constant: made an array of its own, to scale
            target = target.copy()
        (f0, rest), to_lr0 = self._ramp_start(duration), self.ramp_to == "lr0"
        for start in range(begin, min(end, ramp_end), CHUNK):
            step = np.arange(start, min(start + CHUNK, end, ramp_end))
            t = np.maximum((step if self.unit == "step" else step // spe) - first, 0)
            ramp = f0 + rest * t / duration
            chunk = slice(start - begin, start - begin + len(step))
            if to_lr0:
                target[chunk] = run.initial_lr * ramp
            else:
                target[chunk] *= ramp
        return target
