"""ReduceOnPlateau: cut the LR when the validation metric stops improving."""

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from ..arguments import MAX_INTEGER, arg
from ..clock import epochs_spanned, per_epoch
from ..context import RunView, TrainContext, known_steps_per_epoch
from ..errors import show_value
from ..policy import LRPolicy
from ..registry import register


@dataclass
class PlateauState:
    """Everything ReduceOnPlateau remembers between validations (JSON-ready)."""

    seen: int = 0  # validation results counted so far (matches ctx.metric_count)
    best: float | None = None
    bad_count: int = 0  # results in a row that did not improve on best
    cooldown_left: int = 0
    reductions: int = 0


@register
@dataclass(frozen=True)
class ReduceOnPlateau(LRPolicy):
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

    So with a flat metric the first reduction comes at result ``trigger + 1``.
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
    _state: PlateauState = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "_state", PlateauState())

    @property
    def reads_metric(self) -> bool:
        return True

    def evaluate(self, ctx: RunView) -> float:
        state = self._state
        if ctx.metric_count != state.seen:
            self._observe(ctx)
        # The wrapped policy is evaluated on every call, so a policy nested in it counts results too.
        base = ctx.initial_lr if self.policy is None else self.policy.evaluate(ctx)
        if not state.reductions:  # the common case, and the hot path: no pow, no builtins
            return base
        lr = base * self.reduction_rate**state.reductions
        return lr if lr >= self.min_lr else min(self.min_lr, base)

    def _observe(self, ctx: RunView) -> None:
        state = self._state
        if ctx.metric_count != state.seen + 1:
            raise ValueError(
                f"ReduceOnPlateau has counted {show_value(state.seen)} validation results but the context reports "
                f"{show_value(ctx.metric_count)}: evaluate after every report, and restore the policy and the context together"
            )
        metric = ctx.metric
        if metric is None or not _is_finite_number(metric):
            raise ValueError(f"ReduceOnPlateau: validation metric must be a finite number, got {show_value(metric)}")
        state.seen += 1
        if state.best is None or self._improves(metric, state.best):
            state.best, state.bad_count = float(metric), 0
        else:
            state.bad_count += 1
        if state.cooldown_left > 0:
            state.cooldown_left -= 1
            state.bad_count = 0
        if state.bad_count >= self.plateau_count_trigger:
            state.reductions += 1
            state.bad_count = 0
            state.cooldown_left = self.cooldown

    def evaluate_curve(self, ctx: TrainContext, steps: int, metrics: Sequence[float] | None = None) -> Any:
        import numpy as np

        # The reduction count per epoch: epoch e runs with the reductions of results 0 .. e - 1.
        counter = replace(self, policy=None)  # the same counting, with a fresh state
        run = TrainContext(initial_lr=1.0, total_epochs=ctx.total_epochs)
        spe = known_steps_per_epoch(ctx)
        reductions = np.empty(epochs_spanned(steps, spe))
        for epoch in range(len(reductions)):
            counter.evaluate(run)
            reductions[epoch] = counter._state.reductions
            if metrics is not None and epoch < len(metrics):
                run.metric, run.metric_count = metrics[epoch], run.metric_count + 1
        scale = self.reduction_rate**reductions

        def reduced(base: Any, scale: Any) -> Any:
            return np.where(scale == 1.0, base, np.maximum(base * scale, np.minimum(self.min_lr, base)))

        if self.policy is None:  # one value per epoch, repeated: no work per update
            return per_epoch(reduced(np.full(len(scale), ctx.initial_lr), scale), steps, spe)
        base = self.policy.evaluate_curve(ctx, steps, metrics)
        if base is None:
            return None  # no whole-curve formula below: the caller steps through evaluate
        return reduced(base, per_epoch(scale, steps, spe))

    def _improves(self, metric: float, best: float) -> bool:
        margin = self.threshold * abs(best)
        return metric > best + margin if self.mode == "max" else metric < best - margin

    def state_dict(self) -> dict:
        state = asdict(self._state)
        state.update(super().state_dict())  # the nested policy's, under "policy", if it has one
        return state

    def load_state_dict(self, state: dict) -> None:
        expected = {f.name for f in fields(PlateauState)}
        if not isinstance(state, dict) or not expected <= set(state) <= expected | {"policy"}:
            found = show_value(list(state)) if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"ReduceOnPlateau state must have the keys {sorted(expected)} (and 'policy' for a nested one), got {found}")
        own = {name: state[name] for name in expected}
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
        super().load_state_dict({key: value for key, value in state.items() if key == "policy"})
        object.__setattr__(self, "_state", PlateauState(**own))

    def check_state(self, ctx: RunView) -> None:
        # seen one short would replay the last result on the next evaluate; any other gap raises there, later.
        if self._state.seen != ctx.metric_count:
            raise ValueError(
                f"ReduceOnPlateau state: seen is {show_value(self._state.seen)} but the context's metric_count is {show_value(ctx.metric_count)}: "
                "restore the policy and the context from the same checkpoint"
            )
        super().check_state(ctx)


def _is_finite_number(value: object) -> bool:
    """A metric or a best value: a real number a float can hold, not a boolean."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond float's range
        return False
