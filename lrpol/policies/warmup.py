"""Warmup: a linear ramp up to another policy's LR, then that policy."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..arguments import arg
from ..clock import UNITS, elapsed, phase_curve, phase_geometry, shifted
from ..context import RunView, TrainContext, known_steps_per_epoch
from ..policy import LRPolicy, nested_in, same_methods
from ..registry import register
from ..schedule import CHUNK, phase_schedule, plain_schedule

CLOCKS = ("restart", "global")


@register
@dataclass(frozen=True)
class Warmup(LRPolicy):
    """Ramp the LR linearly up to the wrapped policy's LR over ``duration``, then hand over.

    Formula, with D = ``duration``, f0 = ``start_factor`` (default 1 / (D + 1)), t the
    run's position in ``unit`` and target(t) the wrapped policy's LR (lr0 without one)::

        lr(t) = target(t) * (f0 + (1 - f0) * t / D)    for t < D
        lr(t) = target(t)                              for t >= D

    - Base: ``unit`` ("step" by default: warmups are usually counted in updates).
    - The seam is continuous by construction: the ramp multiplies the live target and
      reaches factor 1 exactly at t = D, where the target takes over alone.
    - First update: f0 * target, not 0; with the default f0 the ramp climbs in D + 1
      equal steps, (t + 1) / (D + 1), and no update is wasted at LR 0.
    - ``clock="restart"`` (default): the wrapped policy's clock starts at 0 at t = D and
      its horizon is the rest of the run, so it starts at its peak after warmup (during
      warmup it reads t = 0). This is torch's ``SequentialLR([LinearLR, X], [D])``.
      ``clock="global"``: the wrapped policy runs on the run's own clock throughout, so the
      warmup eats into its curve (timm's default).
    - After the run: whatever the wrapped policy gives. Validation results reach a wrapped
      ReduceOnPlateau from the first one on.

    >>> from dataclasses import replace
    >>> ctx = TrainContext(initial_lr=0.4, total_epochs=1, steps_per_epoch=6)
    >>> policy = Warmup(duration=3)
    >>> [policy.evaluate(replace(ctx, global_step=s)) for s in range(5)]
    [0.1, 0.2, 0.30000000000000004, 0.4, 0.4]
    """

    duration: int = arg(doc="length of the ramp, in unit", ge=1)
    policy: LRPolicy | None = arg(default=None, doc="the policy to warm up into (default: a constant lr0)")
    unit: str = arg(default="step", choices=UNITS, doc="what duration counts: 'step' (updates) or 'epoch'")
    start_factor: float | None = arg(default=None, gt=0, le=1, doc="the first update's LR as a fraction of the target (default 1 / (duration + 1))")
    clock: str = arg(default="restart", choices=CLOCKS, doc="'restart': the wrapped policy starts at 0 when warmup ends; 'global': it runs on the run's clock")

    def evaluate(self, ctx: RunView) -> float:
        t = elapsed(ctx, self.unit)
        policy = self.policy
        if policy is None:
            target = ctx.initial_lr
        elif self.clock == "global":
            target = policy.evaluate(ctx)
        else:  # the wrapped policy's clock starts when the warmup ends
            phase = phase_geometry(ctx, self.duration, None, self.unit)
            schedule = phase_schedule(policy)
            if schedule is not None:  # its formula, on the phase's clock: nothing to build
                target = schedule.in_phase(phase, ctx)
            else:
                target = policy.evaluate(shifted(ctx, self.duration, None, self.unit, geometry=phase))
        if t >= self.duration:
            return target
        first = 1.0 / (self.duration + 1) if self.start_factor is None else self.start_factor
        return target * (first + (1.0 - first) * t / self.duration)

    def bind(self, ctx: RunView) -> Callable[[RunView], float]:
        """The ramp over the wrapped policy's own bound function, the phase worked out once."""
        if not same_methods(self, Warmup, "evaluate"):
            return self.evaluate  # a subclass that changes evaluate is run through it
        policy = self.policy
        lr0 = ctx.initial_lr
        if policy is None:
            target: Callable[[RunView], float] | None = lambda c: lr0
        elif self.clock == "global":
            target = policy.bind(ctx)
        else:
            schedule = plain_schedule(policy)
            target = None if schedule is None else schedule.bind_phase(phase_geometry(ctx, self.duration, None, self.unit), ctx)
        if target is None:
            return self.evaluate  # a policy that reads its phase through a context
        duration = self.duration
        first = 1.0 / (duration + 1) if self.start_factor is None else self.start_factor
        rest = 1.0 - first
        if self.unit == "epoch":

            def ramped_by_epoch(c: RunView) -> float:
                lr, t = target(c), c.epoch
                return lr if t >= duration else lr * (first + rest * t / duration)

            return ramped_by_epoch

        def ramped_by_step(c: RunView) -> float:
            lr, t = target(c), c.global_step
            return lr if t >= duration else lr * (first + rest * t / duration)

        return ramped_by_step

    def check_state(self, ctx: RunView) -> None:
        if self.policy is None:
            return
        inner = ctx if self.clock == "global" else shifted(ctx, self.duration, None, self.unit)
        with nested_in("policy"):
            self.policy.check_state(inner)

    def evaluate_curve(self, ctx: TrainContext, steps: int, metrics: Sequence[float] | None = None) -> Any:
        import numpy as np

        if self.reads_metric:
            return None  # results and phase clocks interleave: step through evaluate
        spe = known_steps_per_epoch(ctx)
        if self.policy is None:
            target = np.full(steps, ctx.initial_lr)
        elif self.clock == "global":
            target = self.policy.evaluate_curve(ctx, steps, None)
        elif (schedule := plain_schedule(self.policy)) is not None:  # on the phase's clock, wherever the phase starts
            target = schedule.curve_in_phase(phase_geometry(ctx, self.duration, None, self.unit), 0, steps, spe, ctx.initial_lr)
        else:
            target = phase_curve(self.policy, ctx, self.duration, None, self.unit, steps)
        if target is None:
            return None
        # The ramp covers the first `duration` units only: only those updates are scaled, in
        # place and a chunk at a time.
        ramped = min(steps, self.duration if self.unit == "step" else self.duration * spe)
        first = 1.0 / (self.duration + 1) if self.start_factor is None else self.start_factor
        target = np.asarray(target, dtype=float)
        if not target.flags.writeable:  # a broadcast constant: made an array of its own, to scale
            target = target.copy()
        for start in range(0, ramped, CHUNK):
            step = np.arange(start, min(start + CHUNK, ramped))
            t = step if self.unit == "step" else step // spe
            target[start : start + len(step)] *= first + (1.0 - first) * t / self.duration
        return target
