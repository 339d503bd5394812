"""ReduceOnPlateau: cut the LR when the validation metric stops improving."""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..arguments import MAX_INTEGER, ArgumentError, arg
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

#: How a result must beat the best one to improve (see ReduceOnPlateau).
THRESHOLD_MODES = ("rel", "abs", "rel_signed")


@register
@dataclass(frozen=True)
class ReduceOnPlateau(PhasedPolicy):
    """Multiply the LR by ``reduction_rate`` when the metric has stopped improving.

    Base: validation results. The policy counts each *new* result once (a result is
    new when ``ctx.metric_count`` has grown since the last ``evaluate``), however
    often ``evaluate`` is called in between. For each new result m:

    1. m *improves* when it beats ``best`` by more than a margin, set by ``threshold_mode``::

           "rel" (default)  m > best + margin    (mode "max")    margin = threshold * |best| + threshold_abs
                            m < best - margin    (mode "min")
           "abs"            m > best + threshold                  (mode "max")
                            m < best - threshold                  (mode "min")
           "rel_signed"     m > best * (1 + threshold) + threshold_abs    (mode "max")
                            m < (1 - threshold) * best - threshold_abs    (mode "min")

       "rel" takes |best|, so the margin stays on the right side for negative metrics.
       "rel_signed" is the peers' relative rule, on the signed best, computed as they
       compute it; it is unsafe on negative metrics: there the margin changes side, so a
       flat negative metric never reduces and a slightly worse result becomes the new best
       (pytorch #47513). It is there so that a run migrated from torch, timm, Hugging Face
       or optax reproduces exactly. The first result always improves. An improvement
       sets ``best = m`` and the counter to 0; any other result adds 1 to the counter.
    2. During a cooldown (the ``cooldown`` results after a reduction) the counter is
       held at 0.
    3. When the counter reaches ``plateau_count_trigger``, that is one more reduction,
       k, and the counter restarts at 0.

    The LR, with base = lr0 (or the wrapped ``policy``'s LR) and floor = ``min_lr`` (or
    ``min_lr_ratio * lr0``)::

        lr = max(base * reduction_rate ** k, min(floor, base))

    It starts at base, and reductions never take it below the floor (nor raise it above
    base). With ``eps`` > 0 (torch's), k stops at the first reduction that would lower the
    LR by ``eps`` or less: that one is skipped, and so is every later one, since the LR no
    longer moves (lrpol decides on its own LRs, lr0 * reduction_rate ** k; torch's
    recursive product may decide otherwise where the decrease is within rounding of eps).
    Counting goes on, cooldowns included. eps is compared with known LRs, so it is refused
    with a wrapped ``policy``.

    Truth table, ``plateau_count_trigger=2``, a flat metric, lr0 = 0.1, rate 0.5::

        result   metric   counter after   LR for the updates that follow
        1        0.9      0 (new best)    0.1
        2        0.9      1               0.1
        3        0.9      2 -> reduce     0.05
        4        0.9      1               0.05
        5        0.9      2 -> reduce     0.025

    So with a flat metric the first reduction comes at result ``trigger + 1``. The counters
    are a ``PlateauState``, kept in the run (``ctx.history``), not in the policy:
    :meth:`observe` is the rule above as a function from one state to the next. After the
    last result the LR holds (or follows the wrapped policy, scaled).

    Peers, each equal at every result (tests/test_parity_plateau.py):

    - torch ``ReduceLROnPlateau(mode, factor, patience=p, threshold, threshold_mode,
      cooldown, min_lr, eps)``: ``plateau_count_trigger=p + 1``, ``reduction_rate=factor``,
      threshold_mode "rel" -> "rel_signed" and "abs" -> "abs", the rest by name. torch's
      defaults differ: mode "min", threshold 1e-4 "rel", eps 1e-8.
    - Hugging Face ``get_scheduler("reduce_lr_on_plateau", scheduler_specific_kwargs=...)``
      is torch's, with torch's defaults: its Trainer never passes a mode, so a metric to
      maximise is read as a loss; mode "min" reproduces that, mode "max" is what is meant.
    - timm ``PlateauLRScheduler(decay_rate, patience_t=p, threshold, cooldown_t, lr_min,
      mode)``: torch's with threshold_mode "rel_signed" and eps 1e-8 (its mode default is
      "max"). Its ``warmup_t=W`` with ``warmup_lr_init=w0`` ignores the results of the
      warmup: ``Sequential(policies=[Warmup(duration=W, unit="epoch", start_factor=w0 / lr0),
      ReduceOnPlateau(...)], milestones=[W + 1], unit="epoch")``.
    - Keras ``ReduceLROnPlateau(factor, patience=p, mode, min_delta=d, cooldown=c, min_lr)``:
      ``plateau_count_trigger=max(p, 1)``, threshold_mode "abs" with ``threshold=|d|``,
      ``cooldown=max(c - 1, 0)``: Keras counts the result that ends its cooldown, so its
      cooldown 0 and 1 are the same. Keras compares in float32.
    - optax ``contrib.reduce_on_plateau(factor, patience=p, rtol, atol, cooldown,
      accumulation_size=1, min_scale)``: mode "min", ``plateau_count_trigger=p``,
      threshold_mode "rel_signed" with ``threshold=rtol`` and ``threshold_abs=atol``,
      ``min_lr_ratio=min_scale``, cooldown by name. optax computes in float32; its
      patience 0 (a reduction at every improvement) has no equivalent.

    >>> policy = ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5)
    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=10)
    >>> lrs = []
    >>> for _ in range(5):
    ...     ctx.metric, ctx.metric_count = 0.9, ctx.metric_count + 1
    ...     lrs.append(policy.evaluate(ctx))
    >>> lrs
    [0.1, 0.1, 0.05, 0.05, 0.025]

    With eps: 0.1 -> 0.05 -> 0.025 lowers the LR by 0.05 and 0.025; the next reduction
    would lower it by 0.0125 <= eps, so the LR stays at 0.025:

    >>> policy = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, eps=0.02)
    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=10)
    >>> lrs = []
    >>> for _ in range(5):
    ...     ctx.metric, ctx.metric_count = 0.9, ctx.metric_count + 1
    ...     lrs.append(policy.evaluate(ctx))
    >>> lrs
    [0.1, 0.05, 0.025, 0.025, 0.025]
    """

    plateau_count_trigger: int = arg(doc="validation results without improvement that trigger a reduction", ge=1)
    reduction_rate: float = arg(doc="factor applied to the LR at each reduction", gt=0, lt=1)
    mode: str = arg(default="max", choices=("min", "max"), doc="'max' when larger is better (Dice, accuracy), 'min' when smaller is better (loss)")
    threshold: float = arg(default=0.0, ge=0, doc="margin a result must beat best by to improve: relative to best, or absolute with threshold_mode 'abs'")
    threshold_mode: str = arg(
        default="rel", choices=THRESHOLD_MODES,
        doc="'rel': margin threshold * |best| (safe on negative metrics); 'abs': margin threshold; "
        "'rel_signed': the peers' best * (1 +/- threshold), on the signed best (wrong on negative metrics, pytorch #47513)",
    )
    threshold_abs: float = arg(default=0.0, ge=0, doc="an absolute margin added to the relative one ('rel', 'rel_signed'), as optax's atol beside its rtol")
    min_lr: float = arg(default=0.0, ge=0, doc="reductions never take the LR below this")
    min_lr_ratio: float | None = arg(default=None, ge=0, doc="the floor as a fraction of lr0 instead of min_lr (optax's min_scale)")
    cooldown: int = arg(default=0, ge=0, doc="validation results after a reduction that do not count towards the next one")
    eps: float = arg(default=0.0, ge=0, doc="a reduction that would lower the LR by eps or less is skipped, and so are all later ones (torch's eps); not with a wrapped policy")
    policy: LRPolicy | None = arg(default=None, doc="the policy whose LR the reductions scale (default: a constant lr0)")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.min_lr_ratio is not None and self.min_lr != 0.0:
            raise ArgumentError("min_lr_ratio", "give min_lr (an LR) or min_lr_ratio (a fraction of lr0), not both", code="conflict")
        if self.threshold_abs and self.threshold_mode == "abs":
            raise ArgumentError("threshold_abs", "threshold_mode 'abs' takes its margin from threshold; threshold_abs adds to a relative one", code="conflict")
        if self.threshold_mode == "rel_signed" and self.mode == "min" and self.threshold >= 1:
            raise ArgumentError(
                "threshold", f"must be < 1 with threshold_mode 'rel_signed' in mode 'min', got {show_value(self.threshold)}",
                "(1 - threshold) * best is then 0 or below for every positive best", code="out-of-range",
            )
        if self.eps and self.policy is not None:
            raise ArgumentError("eps", "needs a plateau without a wrapped policy: it compares reductions of a known LR", code="conflict")

    def floor(self, lr0: float) -> float:
        """The LR reductions stop at: ``min_lr``, or ``min_lr_ratio * lr0`` when that is given."""
        return self.min_lr if self.min_lr_ratio is None else self.min_lr_ratio * lr0

    def last_reduction(self, lr0: float) -> int:
        """The most reductions that lower the LR for a run from lr0: with ``eps``, the first k
        whose reduction would lower lr(k) by eps or less; without, :data:`MAX_INTEGER`."""
        if not self.eps:
            return MAX_INTEGER
        eps, lr = self.eps, self._lr_after(lr0)

        def skipped(k: int) -> bool:
            return lr(k) - lr(k + 1) <= eps

        # lr(k) - lr(k + 1) only shrinks as k grows (up to rounding): double, then bisect.
        high = 1
        while not skipped(high):
            high *= 2
        low = 0  # the answer lies in [low, high]
        while low < high:
            middle = (low + high) // 2
            if skipped(middle):
                high = middle
            else:
                low = middle + 1
        return min(low, MAX_INTEGER)  # as many as a run can count

    def _lr_after(self, lr0: float) -> Callable[[int], float]:
        """The LR after k reductions of a constant lr0, computed as a run computes it."""
        rate, floor = self.reduction_rate, self.floor(lr0)

        def lr(k: int) -> float:
            value = lr0 * rate**k
            return value if value >= floor else min(floor, lr0)

        return lr

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
        rate, count_new_result = self.reduction_rate, self._count_new_result
        # Both read lr0: the hook runs this again when the run's lr0 changes.
        min_lr, last = self.floor(ctx.initial_lr), self.last_reduction(ctx.initial_lr)

        def reduced(c: RunView, history: dict, results_before: int) -> float:
            if c.metric_count - results_before != history.get("seen", 0):
                count_new_result(c, history, results_before)
            # The wrapped policy runs on every call, so a policy nested in it counts results too.
            base = c.initial_lr if target is None else target(c, slot(history, "policy"), results_before)
            reductions = history.get("reductions", 0)
            if not reductions:  # the common case, and the hot path: no pow, no builtins
                return base
            if reductions > last:  # with eps: the reductions past the last that lowered the LR
                reductions = last
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
        counts = np.minimum(self.reductions_after(metrics[results_before:]), self.last_reduction(run.initial_lr))
        scale = self.reduction_rate ** counts.astype(float)
        floor = self.floor(run.initial_lr)
        first_epoch, last_epoch = begin // spe, max(begin, end - 1) // spe
        counted = np.clip(np.minimum(np.arange(first_epoch, last_epoch + 1), len(metrics)) - results_before, 0, None)
        per_epoch = scale[counted]
        lrs = base if isinstance(base, np.ndarray) and base.flags.writeable else np.full(max(end - begin, 0), base, dtype=float)
        for start in range(begin, end, CHUNK):  # a chunk at a time: temporaries stay small
            stop = min(start + CHUNK, end)
            factor = per_epoch[np.arange(start, stop) // spe - first_epoch]
            part = lrs[start - begin : stop - begin]  # scaled in place
            part[:] = np.where(factor == 1.0, part, np.maximum(part * factor, np.minimum(floor, part)))
        return lrs

    def _improves(self, metric: float, best: float) -> bool:
        threshold, mode = self.threshold, self.threshold_mode
        if mode == "rel_signed":  # the peers' expressions, so that every float decides as theirs
            if self.mode == "max":
                return metric > best * (1.0 + threshold) + self.threshold_abs
            return metric < (1.0 - threshold) * best - self.threshold_abs
        margin = threshold if mode == "abs" else threshold * abs(best) + self.threshold_abs
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
