"""Where a policy is in its run, in steps or epochs, and the shifted clocks of phases.

A policy with ``unit: "epoch"`` reads (t, T) = (epoch, total_epochs); with ``unit: "step"``
it reads (global_step, total_steps), where total_steps = total_epochs * steps_per_epoch.

Composite policies (Warmup, Sequential) hand their nested policies a :class:`PhaseContext`:
the run's context with the clock restarted at the phase's start and the horizon set to
the phase's length, so a nested ReduceCosine anneals over its phase, not over the run.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, NamedTuple

from .arguments import MAX_INTEGER
from .context import RunView, TrainContext, known_steps_per_epoch

if TYPE_CHECKING:
    from .policy import LRPolicy

UNITS = ("step", "epoch")


def position(ctx: RunView, unit: str) -> tuple[int, int]:
    """(t, T): how far the run is, and how long it lasts, counted in ``unit``.

    >>> from lrpol import TrainContext
    >>> position(TrainContext(initial_lr=1, total_epochs=3, steps_per_epoch=10, global_step=25, epoch=2), "step")
    (25, 30)
    """
    if unit == "epoch":
        return ctx.epoch, ctx.total_epochs
    total = ctx.total_steps
    if total is None:
        raise ValueError("unit 'step' needs ctx.steps_per_epoch, to know the run's length in steps")
    return ctx.global_step, total


def elapsed(ctx: RunView, unit: str) -> int:
    """t alone: the run's position in ``unit``, which (unlike its length) needs no ``steps_per_epoch``."""
    return ctx.global_step if unit == "step" else ctx.epoch


_UNKNOWN = None


class PhaseContext:
    """What a policy nested in a phase reads: the names of :class:`TrainContext`, with the
    clock counted from the phase's start and the horizon the phase's length.

    Epochs stay whole: a phase that starts mid-epoch (a phase counted in steps) gives an
    epoch-counting policy its first epoch at the next epoch boundary. Without
    ``steps_per_epoch`` a phase counted in epochs cannot restart a step clock (nor one counted
    in steps an epoch clock); reading that clock is then an error, not a silent wrong value.
    ``metric`` and ``metric_count`` pass through, so a nested ReduceOnPlateau sees the results.
    """

    __slots__ = ("initial_lr", "steps_per_epoch", "current_lr", "metric", "metric_count", "_step", "_epoch", "_total_epochs", "_total_steps")

    def __init__(self, ctx: RunView, step: int | None, epoch: int | None, total_epochs: int | None, total_steps: int | None, metric_count: int):
        self.initial_lr = ctx.initial_lr
        self.steps_per_epoch = ctx.steps_per_epoch
        self.current_lr = ctx.current_lr
        self.metric = ctx.metric
        self.metric_count = metric_count
        self._step, self._epoch, self._total_epochs, self._total_steps = step, epoch, total_epochs, total_steps

    @property
    def global_step(self) -> int:
        return self._known(self._step, "a phase counted in epochs cannot restart a step clock")

    @property
    def epoch(self) -> int:
        return self._known(self._epoch, "a phase counted in steps cannot restart an epoch clock")

    @property
    def total_epochs(self) -> int:
        return self._known(self._total_epochs, "a phase counted in steps cannot tell its length in epochs")

    @property
    def total_steps(self) -> int | None:
        return self._total_steps  # None, like TrainContext's: position() says what is missing

    @staticmethod
    def _known(value: int | None, why: str) -> int:
        if value is _UNKNOWN:
            raise ValueError(f"{why} without ctx.steps_per_epoch")
        return value


class Phase(NamedTuple):
    """Where a phase lies in a run, in both clocks; None marks what needs an unknown
    ``steps_per_epoch``."""

    first_step: int | None
    first_epoch: int | None
    epochs: int | None  # its length in epochs
    steps: int | None  # its length in steps


def phase_geometry(ctx: RunView, start: int, length: int | None, unit: str) -> Phase:
    """The :class:`Phase` that starts at ``start`` and lasts ``length`` (None: to the end of the
    run), both counted in ``unit``, in a run shaped like ``ctx``. Reads of ``ctx`` are only
    those the phase needs: a phase's own context may not know every length."""
    spe = ctx.steps_per_epoch
    if unit == "epoch":
        return phase_of(start, length, unit, ctx.total_epochs, None, spe)
    return phase_of(start, length, unit, ctx.total_epochs if spe else None, ctx.total_steps, spe)


@functools.lru_cache(maxsize=256)
def phase_of(start: int, length: int | None, unit: str, total_epochs: int | None, total_steps: int | None, steps_per_epoch: int | None) -> Phase:
    """Where a phase starts and how long it lasts, in both clocks, for one run shape. A pure
    function of numbers, remembered for the last few (a run asks the same at every update).

    Epochs stay whole: a phase counted in steps that starts inside an epoch begins its epoch
    clock at the next epoch boundary. A phase that would end before it starts (a warmup longer
    than the run) gets a length of 1.

    >>> phase_of(5, None, "step", total_epochs=4, total_steps=12, steps_per_epoch=3)
    Phase(first_step=5, first_epoch=2, epochs=2, steps=7)
    """
    spe = steps_per_epoch
    if unit == "epoch":
        epochs = max(1, (total_epochs - start) if length is None else length)  # type: ignore[operator]
        return Phase((start * spe if spe else None), start, epochs, (epochs * spe if spe else None))
    steps = None if length is None and total_steps is None else max(1, (total_steps - start) if length is None else length)  # type: ignore[operator]
    if not spe:
        return Phase(start, None, None, steps)
    first_epoch = -(-start // spe)  # the first epoch boundary at or after the phase's start
    end_epoch = total_epochs if length is None else -(-(start + length) // spe)
    return Phase(start, first_epoch, max(1, end_epoch - first_epoch), steps)  # type: ignore[operator]


def phase_clock(phase: Phase, unit: str, needs_length: bool) -> tuple[int, int | None]:
    """(where the clock of ``unit`` starts, the phase's length in it) for a policy in ``phase``;
    the length is None when the policy does not read it. A ValueError says what cannot be
    known without ``steps_per_epoch``."""
    first_step, first_epoch, epochs, steps = phase
    if unit == "epoch":
        if first_epoch is None:
            raise ValueError("a phase counted in steps cannot restart an epoch clock without ctx.steps_per_epoch")
        if needs_length and epochs is None:
            raise ValueError("a phase counted in steps cannot tell its length in epochs without ctx.steps_per_epoch")
        return first_epoch, (epochs if needs_length else None)
    # In the order clock.position reads them: the length in steps first, then the step.
    if needs_length and steps is None:
        raise ValueError("unit 'step' needs ctx.steps_per_epoch, to know the run's length in steps")
    if first_step is None:
        raise ValueError("a phase counted in epochs cannot restart a step clock without ctx.steps_per_epoch")
    return first_step, (steps if needs_length else None)


def shifted(ctx: RunView, start: int, length: int | None, unit: str, *, metric_count: int | None = None, geometry: Phase | None = None) -> PhaseContext:
    """The context of a phase that starts at ``start`` and lasts ``length`` (None: to the end of
    the run), both counted in ``unit``. Before the phase starts its clock reads 0.
    ``geometry`` is :func:`phase_geometry`'s result, when the caller has it already.
    """
    first_step, first_epoch, epochs, steps = geometry or phase_geometry(ctx, start, length, unit)
    step = _UNKNOWN if first_step is None else max(0, ctx.global_step - first_step)
    epoch = _UNKNOWN if first_epoch is None else max(0, ctx.epoch - first_epoch)
    return PhaseContext(ctx, step, epoch, epochs, steps, ctx.metric_count if metric_count is None else metric_count)


# -- ticks: a run's positions as numpy arrays, for whole curves ---------------------------------


def per_epoch(values: Any, steps: int, steps_per_epoch: int) -> Any:
    """Expand one value per epoch into one per update (the first ``steps`` of them).

    Indexed by each update's epoch, so the cost is ``steps``, however long an epoch is.
    """
    import numpy as np

    return np.asarray(values)[np.arange(steps) // steps_per_epoch]


def run_length(ctx: RunView, unit: str) -> int | None:
    """T, the run's length in ``unit``, for a vectorised formula; None beyond 2**53.

    total_epochs * steps_per_epoch can reach 2**106, past numpy's integers, and numpy's
    floats would round what ``evaluate`` computes exactly with Python integers. The caller
    then returns None, and the curve steps through ``evaluate`` (still O(steps)).
    """
    total = position(ctx, unit)[1]
    return total if total <= MAX_INTEGER else None


def epochs_spanned(steps: int, steps_per_epoch: int) -> int:
    """How many epochs (the last one maybe partial) ``steps`` updates touch."""
    return -(-steps // steps_per_epoch)


def phase_curve(policy: LRPolicy, ctx: TrainContext, start: int, length: int | None, unit: str, steps: int) -> Any:
    """What ``policy`` gives at run updates 0 .. steps - 1 when it runs in a phase (see
    :func:`lrpol.clock.shifted`): its start value before the phase, then its own curve.

    None when the phase starts inside an epoch, where the nested epoch clock and step clock
    do not line up with a fresh run's; the caller then steps through ``evaluate``.
    """
    import numpy as np

    part = phase_part(policy, ctx, start, length, unit, steps)
    if part is None:
        return None
    first_step, inside = part
    return np.concatenate([np.full(min(first_step, steps), inside[0]), inside[: max(0, steps - first_step)]])


def phase_part(policy: LRPolicy, ctx: TrainContext, start: int, length: int | None, unit: str, steps: int) -> tuple[int, Any] | None:
    """(first step, values) of a phase: what ``policy`` gives at run updates first step ..
    steps - 1 (at least one value), or None as for :func:`phase_curve`, and when the policy
    has no whole-curve formula (its ``evaluate_curve`` says None).

    The cost is the phase's own updates, so a composite of many phases stays O(steps).
    """
    first_step, first_epoch, epochs, phase_steps = phase_geometry(ctx, start, length, unit)
    spe = known_steps_per_epoch(ctx)
    if first_step is None or first_epoch is None or epochs is None or first_step != first_epoch * spe:
        return None
    phase = TrainContext(initial_lr=ctx.initial_lr, total_epochs=epochs, steps_per_epoch=spe)
    if phase.total_steps != phase_steps:
        return None
    inside = policy.evaluate_curve(phase, max(1, steps - first_step), None)
    return None if inside is None else (first_step, inside)
