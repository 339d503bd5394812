"""Sequential: policies one after another, each on its own clock."""

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from ..arguments import ArgumentError, arg
from ..clock import UNITS, elapsed, phase_geometry, phase_part, shifted
from ..context import RunView, TrainContext, known_steps_per_epoch
from ..errors import show_value
from ..policy import LRPolicy, nested_in, same_methods
from ..registry import register
from ..schedule import phase_schedule, plain_schedule


@register
@dataclass(frozen=True)
class Sequential(LRPolicy):
    """Run ``policies`` in phases: phase i starts at ``milestones[i - 1]`` (the first at 0).

    With milestones m_1 < m_2 < ... (in ``unit``), phase i covers [m_i, m_{i+1}), the last
    one running to the end of the run::

        lr(t) = policies[i].lr(t - m_i)    with its horizon m_{i+1} - m_i (the last: T - m_i)

    - Base: ``unit`` ("step" by default). Each phase's clock starts at 0 at its milestone and
      its horizon is the phase's length, so a ReduceCosine in a phase anneals over that phase.
    - Seams are not smoothed: each phase starts where its own policy starts (use Warmup
      inside a phase for a ramp).
    - A ReduceOnPlateau in a phase counts the validation results reported while its phase
      runs: from the phase's first update on. With ``LRHook``, ``step()`` comes before
      ``report_metric()``, so the result of the epoch before a milestone is reported at the
      milestone and is the new phase's first. The counts are part of the state, so a resume
      is exact.
    - There must be exactly one milestone fewer than policies. After the run: the last
      phase's policy past its horizon.

    >>> from dataclasses import replace
    >>> from lrpol import DecayOnStep, ReduceCosine
    >>> policy = Sequential(policies=(DecayOnStep(decay_ratio=0.5, decay_freq=1), ReduceCosine(unit="step")), milestones=(2,))
    >>> ctx = TrainContext(initial_lr=0.8, total_epochs=1, steps_per_epoch=6)
    >>> [round(policy.evaluate(replace(ctx, global_step=s)), 12) for s in range(7)]
    [0.8, 0.4, 0.8, 0.682842712475, 0.4, 0.117157287525, 0.0]
    """

    policies: tuple[LRPolicy, ...] = arg(doc="the phases' policies, in order", min_items=1)
    milestones: tuple[int, ...] = arg(doc="where each phase after the first starts, in unit", ge=1, increasing=True)
    unit: str = arg(default="step", choices=UNITS, doc="what milestones count: 'step' (updates) or 'epoch'")
    _results_before: list = field(init=False, repr=False, compare=False)  # per phase: results reported before it began

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.milestones) != len(self.policies) - 1:
            raise ArgumentError("milestones", f"needs {len(self.policies) - 1} milestone(s) for {len(self.policies)} policies, got {len(self.milestones)}", code="wrong-count")
        object.__setattr__(self, "_results_before", [None] * len(self.policies))

    def evaluate(self, ctx: RunView) -> float:
        t = elapsed(ctx, self.unit)
        phase = bisect_right(self.milestones, t)
        begin = self.milestones[phase - 1] if phase else 0
        length = self.milestones[phase] - begin if phase < len(self.milestones) else None
        if self._results_before[phase] is None:  # the phase's first update
            self._results_before[phase] = ctx.metric_count
        geometry = phase_geometry(ctx, begin, length, self.unit)
        policy = self.policies[phase]
        schedule = phase_schedule(policy)
        if schedule is not None:  # its formula, on the phase's clock: nothing to build
            return schedule.in_phase(geometry, ctx)
        inner = shifted(ctx, begin, length, self.unit, metric_count=ctx.metric_count - self._results_before[phase], geometry=geometry)
        return policy.evaluate(inner)

    def bind(self, ctx: RunView) -> Callable[[RunView], float]:
        """Each phase's bound function, the phases worked out once; a phase is found by bisection."""
        if not same_methods(self, Sequential, "evaluate"):
            return self.evaluate  # a subclass that changes evaluate is run through it
        if self.reads_metric:
            return self.evaluate  # results counted per phase: through evaluate
        starts = (0, *self.milestones)
        bound = []
        for phase, policy in enumerate(self.policies):
            length = self.milestones[phase] - starts[phase] if phase < len(self.milestones) else None
            schedule = plain_schedule(policy)
            function = None if schedule is None else schedule.bind_phase(phase_geometry(ctx, starts[phase], length, self.unit), ctx)
            if function is None:
                return self.evaluate
            bound.append(function)
        milestones = self.milestones
        epochs = self.unit == "epoch"
        return lambda c: bound[bisect_right(milestones, c.epoch if epochs else c.global_step)](c)

    def evaluate_curve(self, ctx: TrainContext, steps: int, metrics: Sequence[float] | None = None) -> Any:
        import numpy as np

        if self.reads_metric:
            return None  # results and phase clocks interleave: step through evaluate
        spe = known_steps_per_epoch(ctx)
        scale = spe if self.unit == "epoch" else 1  # updates per unit
        starts = (0, *self.milestones)
        values = np.empty(steps)
        for phase, policy in enumerate(self.policies):
            last = phase == len(self.milestones)
            length = None if last else self.milestones[phase] - starts[phase]
            begin = starts[phase] * scale
            end = steps if last else min(steps, self.milestones[phase] * scale)
            if begin >= steps:
                break
            schedule = plain_schedule(policy)
            if schedule is not None:  # on the phase's clock, wherever the phase starts
                inside = schedule.curve_in_phase(phase_geometry(ctx, starts[phase], length, self.unit), begin, end, spe, ctx.initial_lr)
                if inside is None:
                    return None
                values[begin:end] = inside
                continue
            part = phase_part(policy, ctx, starts[phase], length, self.unit, end)
            if part is None:
                return None
            values[begin:end] = part[1][: end - begin]  # the phase starts at update begin
        return values

    def state_dict(self) -> dict:
        state = super().state_dict()
        if self.reads_metric:
            state["results_before_phase"] = list(self._results_before)
        return state

    def load_state_dict(self, state: dict) -> None:
        if not isinstance(state, dict):
            raise ValueError(f"Sequential state must be an object, got {type(state).__name__}")
        counts = state.get("results_before_phase", [None] * len(self.policies))
        if not (isinstance(counts, list) and len(counts) == len(self.policies) and all(c is None or (type(c) is int and c >= 0) for c in counts)):
            raise ValueError(f"Sequential state: results_before_phase must be {len(self.policies)} integers >= 0 or nulls, got {show_value(counts)}")
        started = [c for c in counts if c is not None]
        if any(b < a for a, b in pairwise(started)):  # a later phase cannot begin before an earlier one's results
            raise ValueError(f"Sequential state: results_before_phase must not decrease from phase to phase, got {show_value(counts)}")
        super().load_state_dict({key: value for key, value in state.items() if key != "results_before_phase"})
        object.__setattr__(self, "_results_before", list(counts))

    def check_state(self, ctx: RunView) -> None:
        current = bisect_right(self.milestones, elapsed(ctx, self.unit))
        for phase, before in enumerate(self._results_before):
            if before is None:
                continue
            if phase > current:
                raise ValueError(f"Sequential state: results_before_phase[{phase}] is {show_value(before)}, but phase {phase} has not started at {self.unit} {elapsed(ctx, self.unit)}")
            if before > ctx.metric_count:
                raise ValueError(f"Sequential state: results_before_phase[{phase}] is {show_value(before)}, more than the context's metric_count {ctx.metric_count}")
        # The running phase's policy counts the results since it began; phases to come have seen none.
        for phase in range(current, len(self.policies)):
            begin = self.milestones[phase - 1] if phase else 0
            length = self.milestones[phase] - begin if phase < len(self.milestones) else None
            before = self._results_before[phase]
            # None: the phase's next update is its first, which sets before = metric_count.
            seen = ctx.metric_count - before if phase == current and before is not None else 0
            with nested_in(f"policies[{phase}]"):
                self.policies[phase].check_state(shifted(ctx, begin, length, self.unit, metric_count=seen))
