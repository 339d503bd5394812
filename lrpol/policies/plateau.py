"""ReduceOnPlateau: cut the LR when the validation metric stops improving."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..arguments import MAX_INTEGER, arg
from ..clock import Phase
from ..context import RunView, TrainContext, known_steps_per_epoch
from ..errors import show_value
from ..policy import LRPolicy, PhasedPolicy, Runner, slot
from ..registry import register
from ..schedule import CHUNK

#: What ReduceOnPlateau remembers of the validation results, kept in ``ctx.history`` under
#: these names: the results counted so far (matching ctx.metric_count), the best one, the
#: results in a row that did not improve on it, the cooldown left, and the reductions made.
PlateauState = tuple[int, float | None, int, int, int]
FIELDS = ("seen", "best", "bad_count", "cooldown_left", "reductions")
FRESH: PlateauState = (0, None, 0, 0, 0)


@register
@dataclass(frozen=True)
class ReduceOnPlateau(PhasedPolicy):
    """Multiply the LR by ``reduction_rate`` when the metric has stopped improving.

    Base: validation results. The policy counts each *new* result once (a result is
    new when ``ctx.metric_count`` has grown since the last ``evaluate``), however
    often ``evaluate`` is called in between. For each new result m:

    1. m *improves* when it beats ``best`` by more than ``threshold * |best|``:
       ``m > best + threshold * |best|`` in mode "max",
       ``m < best - threshold * |best|`` in mode "min".
       Taking |best| keeps the margin on the right side for negative metrics.
       The first result always improves. An improvement sets ``best = m`` and the
       counter to 0; any other result adds 1 to the counter.
    2. During a cooldown (the ``cooldown`` results after a reduction) the counter is
       held at 0.
    3. When the counter reaches ``plateau_count_trigger``, that is one more reduction,
       k, and the counter restarts at 0.

    The LR is ``max(lr0 * reduction_rate ** k, min(min_lr, lr0))``: it starts at lr0,
    and reductions never take it below ``min_lr`` (nor raise it above lr0).

    Truth table, ``plateau_count_trigger=2``, a flat metric, lr0 = 0.1, rate 0.5::

        result   metric   counter after   LR for the updates that follow
        1        0.9      0 (new best)    0.1
        2        0.9      1               0.1
        3        0.9      2 -> reduce     0.05
        4        0.9      1               0.05
        5        0.9      2 -> reduce     0.025

    So with a flat metric the first reduction comes at result ``trigger + 1``. The counters
    are a ``PlateauState``, kept in the run (``ctx.history``), not in the policy:
    :meth:`observe` is the rule above as a function from one state to the next.
    torch's ``ReduceLROnPlateau(patience=p)`` reduces one result later; it matches
    ``plateau_count_trigger = p + 1`` (and its ``eps=0``).

    >>> policy = ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5)
    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=10)
    >>> lrs = []
    >>> for _ in range(5):
    ...     ctx.metric, ctx.metric_count = 0.9, ctx.metric_count + 1
    ...     lrs.append(policy.evaluate(ctx))
    >>> lrs
    [0.1, 0.1, 0.05, 0.05, 0.025]
    """

    plateau_count_trigger: int = arg(doc="validation results without improvement that trigger a reduction", ge=1)
    reduction_rate: float = arg(doc="factor applied to the LR at each reduction", gt=0, lt=1)
    mode: str = arg(default="max", choices=("min", "max"), doc="'max' when larger is better (Dice, accuracy), 'min' when smaller is better (loss)")
    threshold: float = arg(default=0.0, ge=0, doc="relative margin: improving means beating best by more than threshold * |best|")
    min_lr: float = arg(default=0.0, ge=0, doc="reductions never take the LR below this")
    cooldown: int = arg(default=0, ge=0, doc="validation results after a reduction that do not count towards the next one")
    policy: LRPolicy | None = arg(default=None, doc="the policy whose LR the reductions scale (default: a constant lr0)")

    @property
    def reads_metric(self) -> bool:
        return True

    def observe(self, state: PlateauState, metric: float) -> PlateauState:
        """The state after one more validation result, ``metric`` (a finite number)."""
        seen, best, bad_count, cooldown_left, reductions = state
        if best is None or self._improves(metric, best):
            best, bad_count = float(metric), 0
        else:
            bad_count += 1
        if cooldown_left > 0:
            cooldown_left -= 1
            bad_count = 0
        if bad_count >= self.plateau_count_trigger:
            reductions += 1
            bad_count = 0
            cooldown_left = self.cooldown
        return seen + 1, best, bad_count, cooldown_left, reductions

    def run_in(self, phase: Phase, ctx: RunView) -> Runner:
        target = None if self.policy is None else self.policy.run_in(phase, ctx)
        rate, min_lr, count_new_result = self.reduction_rate, self.min_lr, self._count_new_result

        def reduced(c: RunView, history: dict, results_before: int) -> float:
            if c.metric_count - results_before != history.get("seen", 0):
                count_new_result(c, history, results_before)
            # The wrapped policy runs on every call, so a policy nested in it counts results too.
            base = c.initial_lr if target is None else target(c, slot(history, "policy"), results_before)
            reductions = history.get("reductions", 0)
            if not reductions:  # the common case, and the hot path: no pow, no builtins
                return base
            lr = base * rate**reductions
            return lr if lr >= min_lr else min(min_lr, base)

        return reduced

    def _count_new_result(self, ctx: RunView, history: dict, results_before: int) -> None:
        state = (history.get("seen", 0), history.get("best"), history.get("bad_count", 0), history.get("cooldown_left", 0), history.get("reductions", 0))
        count = ctx.metric_count - results_before
        if count != state[0] + 1:
            raise ValueError(
                f"ReduceOnPlateau has counted {show_value(state[0])} validation results but the context reports "
                f"{show_value(count)}: evaluate after every report, and restore the policy and the context together"
            )
        metric = ctx.metric
        # A finite float (what the hook reports) passes at once: x - x is 0.0 only when x is finite.
        if (type(metric) is not float or metric - metric != 0.0) and (metric is None or not _is_finite_number(metric)):
            raise ValueError(f"ReduceOnPlateau: validation metric must be a finite number, got {show_value(metric)}")
        history["seen"], history["best"], history["bad_count"], history["cooldown_left"], history["reductions"] = self.observe(state, metric)

    def reductions_after(self, metrics: Sequence[float]) -> list[int]:
        """The reductions made after each number of results: entry k for ``metrics[:k]``."""
        state, counts = FRESH, [0]
        for metric in metrics:
            state = self.observe(state, metric)
            counts.append(state[-1])
        return counts

    def curve_in(self, run: TrainContext, phase: Phase, begin: int, end: int, metrics: Sequence[float], results_before: int) -> Any:
        import numpy as np

        if self.policy is None:
            base: Any = run.initial_lr
        else:
            base = self.policy.curve_in(run, phase, begin, end, metrics, results_before)
            if base is None:
                return None  # no whole-curve formula below: the caller steps
        # Update u runs with the reductions of the results reported before it: min(u // spe, n)
        # of the run's, the first results_before of them before this policy started.
        spe = known_steps_per_epoch(run)
        scale = self.reduction_rate ** np.asarray(self.reductions_after(metrics[results_before:]), dtype=float)
        first_epoch, last_epoch = begin // spe, max(begin, end - 1) // spe
        counted = np.clip(np.minimum(np.arange(first_epoch, last_epoch + 1), len(metrics)) - results_before, 0, None)
        per_epoch = scale[counted]
        lrs = base if isinstance(base, np.ndarray) and base.flags.writeable else np.full(max(end - begin, 0), base, dtype=float)
        for start in range(begin, end, CHUNK):  # a chunk at a time: temporaries stay small
            stop = min(start + CHUNK, end)
            factor = per_epoch[np.arange(start, stop) // spe - first_epoch]
            part = lrs[start - begin : stop - begin]  # scaled in place
            part[:] = np.where(factor == 1.0, part, np.maximum(part * factor, np.minimum(self.min_lr, part)))
        return lrs

    def _improves(self, metric: float, best: float) -> bool:
        margin = self.threshold * abs(best)
        return metric > best + margin if self.mode == "max" else metric < best - margin

    def save_history(self, history: dict) -> dict:
        saved = {name: history.get(name, default) for name, default in zip(FIELDS, FRESH)}
        saved.update(super().save_history(history))  # the nested policy's, under "policy", if it has one
        return saved

    def load_history(self, state: dict) -> dict:
        expected = set(FIELDS)
        if not isinstance(state, dict) or not expected <= set(state) <= expected | {"policy"}:
            found = show_value(list(state)) if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"ReduceOnPlateau state must have the keys {sorted(expected)} (and 'policy' for a nested one), got {found}")
        own = {name: state[name] for name in FIELDS}
        for name in ("seen", "bad_count", "cooldown_left", "reductions"):
            value = own[name]
            # Bounded like every integer argument: reduction_rate ** reductions must stay a float.
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INTEGER:
                raise ValueError(f"ReduceOnPlateau state: {name} must be an integer >= 0 and <= {MAX_INTEGER}, got {show_value(value)}")
        best = own["best"]
        if best is not None and not _is_finite_number(best):
            raise ValueError(f"ReduceOnPlateau state: best must be null or a finite number, got {show_value(best)}")
        # What counting results can reach: the first result always sets best, and the counters reset at their limits.
        if (best is None) != (own["seen"] == 0):
            raise ValueError(f"ReduceOnPlateau state: best is {show_value(best)} with seen {show_value(own['seen'])}: best is null exactly until the first result")
        if own["bad_count"] >= self.plateau_count_trigger:
            raise ValueError(f"ReduceOnPlateau state: bad_count must be < plateau_count_trigger ({self.plateau_count_trigger}), got {show_value(own['bad_count'])}")
        if own["cooldown_left"] > self.cooldown:
            raise ValueError(f"ReduceOnPlateau state: cooldown_left must be <= cooldown ({self.cooldown}), got {show_value(own['cooldown_left'])}")
        own.update(super().load_history({key: value for key, value in state.items() if key == "policy"}))
        return own

    def check_history(self, ctx: RunView, phase: Phase, history: dict, results_before: int) -> None:
        # seen one short would replay the last result on the next evaluate; any other gap raises there, later.
        seen, count = history.get("seen", 0), ctx.metric_count - results_before
        if seen != count:
            raise ValueError(
                f"ReduceOnPlateau state: seen is {show_value(seen)} but the context's metric_count is {show_value(count)}: "
                "restore the policy and the context from the same checkpoint"
            )
        super().check_history(ctx, phase, history, results_before)


def _is_finite_number(value: object) -> bool:
    """A metric or a best value: a real number a float can hold, not a boolean."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond float's range
        return False
