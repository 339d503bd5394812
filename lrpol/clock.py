"""Where a policy is in its run, in steps or epochs, and the shifted clocks of phases.

A policy with ``unit: "epoch"`` reads (t, T) = (epoch, total_epochs); with ``unit: "step"``
it reads (global_step, total_steps), where total_steps = total_epochs * steps_per_epoch.

Composite policies (Warmup, Sequential) hand their nested policies a :class:`PhaseContext`:
the run's context with the clock restarted at the phase's start and the horizon set to
the phase's length, so a nested ReduceCosine anneals over its phase, not over the run.
"""

from __future__ import annotations

from dataclasses import dataclass

UNITS = ("step", "epoch")


def position(ctx, unit: str) -> tuple[int, float]:
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


def elapsed(ctx, unit: str) -> int:
    """t alone: the run's position in ``unit``, which (unlike its length) needs no ``steps_per_epoch``."""
    return ctx.global_step if unit == "step" else ctx.epoch


@dataclass(slots=True)
class PhaseContext:
    """What a policy nested in a phase reads: the same names as :class:`TrainContext`, with
    the clock counted from the phase's start and the horizon the phase's length.

    ``total_epochs`` may be fractional here (a phase of 500 updates is 500 / steps_per_epoch
    epochs long). ``metric`` and ``metric_count`` pass through, so a nested ReduceOnPlateau
    sees every result (counted from the phase's start when the phase says so).
    """

    initial_lr: float
    total_epochs: float
    steps_per_epoch: int | None
    global_step: int
    epoch: int
    current_lr: float | None
    metric: float | None
    metric_count: int
    total_steps: float | None


def shifted(ctx, start: int, length: int | None, unit: str, *, metric_count: int | None = None) -> PhaseContext:
    """The context of a phase that starts at ``start`` and lasts ``length`` (None: to the end of
    the run), both counted in ``unit``. Before the phase starts its clock reads 0.

    Without ``steps_per_epoch`` a phase in epochs cannot restart a step clock, nor a phase in
    steps an epoch clock: those read the run's own.
    """
    spe = ctx.steps_per_epoch
    run_steps = ctx.total_steps
    if unit == "epoch":
        epochs = ctx.total_epochs - start if length is None else length
        step_start = start * spe if spe else 0
        steps = epochs * spe if spe else None
        epoch = max(0, ctx.epoch - start)
    else:
        if run_steps is None and length is None:
            raise ValueError("unit 'step' needs ctx.steps_per_epoch, to know the run's length in steps")
        steps = (run_steps - start) if length is None else length
        step_start = start
        epochs = steps / spe if spe else ctx.total_epochs
        epoch = max(0, ctx.global_step - start) // spe if spe else ctx.epoch
    return PhaseContext(
        initial_lr=ctx.initial_lr,
        total_epochs=epochs,
        steps_per_epoch=spe,
        global_step=max(0, ctx.global_step - step_start),
        epoch=epoch,
        current_lr=ctx.current_lr,
        metric=ctx.metric,
        metric_count=ctx.metric_count if metric_count is None else metric_count,
        total_steps=steps,
    )
