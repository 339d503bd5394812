"""Where a policy is in its run, in steps or epochs, and the phases composites cut a run into.

A policy with ``unit: "epoch"`` reads (t, T) = (epoch, total_epochs); with ``unit: "step"``
it reads (global_step, total_steps), where total_steps = total_epochs * steps_per_epoch.

A policy nested in a composite (Warmup, Sequential) runs in a :class:`Phase`: a shifted,
bounded clock. Its t counts from the phase's start (0 before it) and its T is the phase's
length, so a nested ReduceCosine anneals over its phase, not over the run. Phases nest: a
phase inside a phase starts where the outer one starts plus its own offset. Built-in
policies read a phase as these numbers; a policy written with ``evaluate`` alone is handed a
:class:`TrainContext` of its phase (:func:`phase_context`).
"""

from __future__ import annotations

import functools
import math
from typing import Any, NamedTuple

from .arguments import MAX_INTEGER
from .context import RunView, TrainContext

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


class Phase(NamedTuple):
    """A stretch of a run, in both clocks: where it starts (in the run's updates and epochs)
    and how long it lasts. None marks what cannot be known without ``steps_per_epoch``."""

    first_step: int | None
    first_epoch: int | None
    epochs: int | None  # its length in epochs
    steps: int | None  # its length in steps


@functools.lru_cache(maxsize=256)
def whole_run(total_epochs: int, total_steps: int | None) -> Phase:
    """The run itself, as the phase every top-level policy runs in."""
    return Phase(0, 0, total_epochs, total_steps)


def run_phase(ctx: RunView) -> Phase:
    """:func:`whole_run` of ``ctx``'s run."""
    return whole_run(ctx.total_epochs, ctx.total_steps)


@functools.lru_cache(maxsize=1024)
def within(outer: Phase, start: int, length: int | None, unit: str, steps_per_epoch: int | None) -> Phase:
    """The phase that starts at ``start`` of ``outer``'s clock in ``unit`` and lasts ``length``
    (None: to the end of ``outer``). A pure function of numbers, remembered for the last few
    (a run asks the same at every update).

    Epochs stay whole: a phase counted in steps that starts inside an epoch begins its epoch
    clock at the next epoch boundary. A phase that would end before it starts (a warmup longer
    than the run) gets a length of 1.

    >>> within(whole_run(4, 12), 5, None, "step", 3)
    Phase(first_step=5, first_epoch=2, epochs=2, steps=7)
    """
    spe = steps_per_epoch
    if unit == "epoch":
        epochs = _length(start, length, outer.epochs)
        step_start = start * spe if spe else None
        return Phase(_plus(outer.first_step, step_start), _plus(outer.first_epoch, start), epochs, epochs * spe if spe and epochs else None)
    steps = _length(start, length, outer.steps)
    if not spe:
        return Phase(_plus(outer.first_step, start), None, None, steps)
    first_epoch = -(-start // spe)  # the first epoch boundary at or after the phase's start
    end_epoch = outer.epochs if length is None else -(-(start + length) // spe)
    epochs = None if end_epoch is None else max(1, end_epoch - first_epoch)
    return Phase(_plus(outer.first_step, start), _plus(outer.first_epoch, first_epoch), epochs, steps)


def _length(start: int, length: int | None, outer_length: int | None) -> int | None:
    if length is not None:
        return length
    return None if outer_length is None else max(1, outer_length - start)


def _plus(offset: int | None, start: int | None) -> int | None:
    return None if offset is None or start is None else offset + start


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


def phase_time(ctx: RunView, phase: Phase, unit: str) -> int:
    """t on ``phase``'s clock of ``unit`` at ``ctx``'s update: 0 before the phase starts."""
    first = phase_clock(phase, unit, False)[0]
    t = (ctx.epoch if unit == "epoch" else ctx.global_step) - first
    return t if t > 0 else 0


def phase_context(ctx: RunView, phase: Phase, history: dict, results_before: int) -> TrainContext:
    """What a policy written with ``evaluate`` alone reads in ``phase``: a :class:`TrainContext`
    whose clock counts from the phase's start, whose length is the phase's, whose count of
    validation results starts when the phase began (``metric`` is the run's latest), and
    whose ``history`` is the policy's own.

    Its length in steps is whole epochs of the phase. A clock the phase cannot know without
    ``steps_per_epoch`` is an error here, naming what is missing.
    """
    if phase == run_phase(ctx) and results_before == 0 and history is getattr(ctx, "history", None) and isinstance(ctx, TrainContext):
        return ctx
    first_step, first_epoch, epochs, _ = phase
    if first_epoch is None or epochs is None:
        raise ValueError("a phase counted in steps cannot restart an epoch clock without ctx.steps_per_epoch")
    if first_step is None:
        raise ValueError("a phase counted in epochs cannot restart a step clock without ctx.steps_per_epoch")
    return TrainContext(
        initial_lr=ctx.initial_lr,
        total_epochs=epochs,
        steps_per_epoch=ctx.steps_per_epoch,
        global_step=max(0, ctx.global_step - first_step),
        epoch=max(0, ctx.epoch - first_epoch),
        current_lr=ctx.current_lr,
        metric=ctx.metric,  # the run's latest result; only the count starts with the phase
        metric_count=ctx.metric_count - results_before,
        history=history,
    )


# -- whole curves: a run's positions as numpy arrays --------------------------------------------


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


def span(length: float, total: int | None) -> int:
    """A length declared with ``fraction=True`` as a count in its unit: a count is itself, and a
    fraction f of a run (or phase) T long is ceil(f * T), rounded up as Hugging Face rounds its
    ``warmup_ratio``, in the same float arithmetic (so 0.07 of 100 is 8, as there: 0.07 * 100
    is 7.000000000000001). A ValueError says when T is not known.

    >>> span(10, None), span(0.03, 1000), span(0.5, 7), span(0.07, 100)
    (10, 30, 4, 8)
    """
    if isinstance(length, int):
        return length
    if total is None:
        raise ValueError("a length given as a fraction of the run needs the run's length (ctx.steps_per_epoch, for steps)")
    return math.ceil(length * total)
