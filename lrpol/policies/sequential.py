"""Sequential: policies one after another, each on its own clock."""

import functools
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from ..arguments import ArgumentError, arg
from ..clock import UNITS, Phase, phase_clock, phase_time, within
from ..context import RunView, TrainContext, known_steps_per_epoch
from ..errors import show_value
from ..policy import LRPolicy, PhasedPolicy, Runner, nested_in, raising, slot, state_key
from ..registry import register


@register
@dataclass(frozen=True)
class Sequential(PhasedPolicy):
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

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.milestones) != len(self.policies) - 1:
            raise ArgumentError("milestones", f"needs {len(self.policies) - 1} milestone(s) for {len(self.policies)} policies, got {len(self.milestones)}", code="wrong-count")

    def _phase(self, index: int, outer: Phase, steps_per_epoch: int | None) -> Phase:
        """Phase ``index``: from its milestone (0 for the first) to the next (the end of ``outer``)."""
        start = self.milestones[index - 1] if index else 0
        length = self.milestones[index] - start if index < len(self.milestones) else None
        return within(outer, start, length, self.unit, steps_per_epoch)

    def run_in(self, phase: Phase, ctx: RunView) -> Runner:
        try:
            offset = phase_clock(phase, self.unit, False)[0]  # where the Sequential's t is 0
        except ValueError as error:
            return raising(error)
        # Each phase's runner is made when the phase is first run: a run visits its phases in
        # turn, and one evaluate() visits one of them.
        runners: list[Runner | None] = [None] * len(self.policies)
        milestones, by_epoch, spe = self.milestones, self.unit == "epoch", ctx.steps_per_epoch

        def phased(c: RunView, history: dict, results_before: int) -> float:
            index = bisect_right(milestones, (c.epoch if by_epoch else c.global_step) - offset)
            # Per phase, the results this Sequential had counted when the phase began: its
            # policy counts only those reported since.
            counts = history.get(RESULTS_BEFORE)
            if counts is None:
                counts = history[RESULTS_BEFORE] = [None] * len(runners)
            before = counts[index]
            if before is None:  # the phase's first update
                before = counts[index] = c.metric_count - results_before
            run = runners[index]
            if run is None:
                run = runners[index] = self.policies[index].run_in(self._phase(index, phase, spe), ctx)
            return run(c, slot(history, _phase_key(index)), results_before + before)

        return phased

    def bind_phase(self, phase: Phase, ctx: RunView) -> Callable[[RunView], float] | None:
        """Each phase's bound function, the phases worked out once; a phase is found by bisection."""
        if self.reads_metric:
            return None  # results counted per phase: evaluated on every update
        try:
            offset = phase_clock(phase, self.unit, False)[0]  # where the Sequential's t is 0
        except ValueError:
            return None
        bound = []
        for index, policy in enumerate(self.policies):
            function = policy.bind_phase(self._phase(index, phase, ctx.steps_per_epoch), ctx)
            if function is None:
                return None
            bound.append(function)
        milestones = self.milestones
        by_epoch = self.unit == "epoch"
        if offset == 0:  # the run's own clock: no shift to make
            return lambda c: bound[bisect_right(milestones, c.epoch if by_epoch else c.global_step)](c)
        return lambda c: bound[bisect_right(milestones, (c.epoch if by_epoch else c.global_step) - offset)](c)

    def curve_in(self, run: TrainContext, phase: Phase, begin: int, end: int, metrics: Sequence[float], results_before: int) -> Any:
        import numpy as np

        spe = known_steps_per_epoch(run)
        per_unit = spe if self.unit == "epoch" else 1  # updates per unit
        first = phase_clock(phase, self.unit, False)[0] * per_unit  # the update where t = 0
        edges = [first + milestone * per_unit for milestone in self.milestones]
        values = np.empty(max(end - begin, 0))
        for index, policy in enumerate(self.policies):
            low = max(begin, edges[index - 1]) if index else begin
            high = min(end, edges[index]) if index < len(edges) else end
            if low >= high:
                continue
            # The phase begins when update `low` is stepped to, before the result of the epoch
            # that update `low - 1` ends is reported: that result is the phase's first.
            counted = min(max(low - 1, 0) // spe, len(metrics))
            part = policy.curve_in(run, self._phase(index, phase, spe), low, high, metrics, counted)
            if part is None:
                return None
            values[low - begin : high - begin] = part
        return values

    def save_history(self, history: dict) -> dict:
        saved = super().save_history(history)
        if self.reads_metric:
            saved[RESULTS_BEFORE] = list(history.get(RESULTS_BEFORE, [None] * len(self.policies)))
        return saved

    def load_history(self, state: dict) -> dict:
        if not isinstance(state, dict):
            raise ValueError(f"Sequential state must be an object, got {type(state).__name__}")
        counts = state.get(RESULTS_BEFORE, [None] * len(self.policies))
        if not (isinstance(counts, list) and len(counts) == len(self.policies) and all(c is None or (type(c) is int and c >= 0) for c in counts)):
            raise ValueError(f"Sequential state: results_before_phase must be {len(self.policies)} integers >= 0 or nulls, got {show_value(counts)}")
        started = [c for c in counts if c is not None]
        if any(b < a for a, b in pairwise(started)):  # a later phase cannot begin before an earlier one's results
            raise ValueError(f"Sequential state: results_before_phase must not decrease from phase to phase, got {show_value(counts)}")
        history = super().load_history({key: value for key, value in state.items() if key != RESULTS_BEFORE})
        history[RESULTS_BEFORE] = list(counts)
        return history

    def check_history(self, ctx: RunView, phase: Phase, history: dict, results_before: int) -> None:
        t = phase_time(ctx, phase, self.unit)
        current = bisect_right(self.milestones, t)
        counts = history.get(RESULTS_BEFORE, [None] * len(self.policies))
        own_count = ctx.metric_count - results_before
        for index, before in enumerate(counts):
            if before is None:
                continue
            if index > current:
                raise ValueError(f"Sequential state: results_before_phase[{index}] is {show_value(before)}, but phase {index} has not started at {self.unit} {t}")
            if before > own_count:
                raise ValueError(f"Sequential state: results_before_phase[{index}] is {show_value(before)}, more than the context's metric_count {own_count}")
        # The running phase's policy counts the results since it began; phases to come have seen none.
        for index in range(current, len(self.policies)):
            before = counts[index]
            # None: the phase's next update is its first, which counts from the results so far.
            counted_from = results_before + before if index == current and before is not None else ctx.metric_count
            key = _phase_key(index)
            with nested_in(key):
                self.policies[index].check_history(ctx, self._phase(index, phase, ctx.steps_per_epoch), history.get(key, {}), counted_from)


#: Where a Sequential's history keeps, per phase, the results counted before the phase began.
RESULTS_BEFORE = "results_before_phase"


@functools.cache
def _phase_key(index: int) -> str:
    """Phase ``index``'s part of the history, named as its policy is in the config."""
    return state_key(("policies", index))
