"""The reference for phases: the clock a policy nested in a phase read before phases were
numbers, as a view over the run's context (lrpol 0.x's PhaseContext). lrpol's composites
must give what a policy evaluated on this view gives, at every update and for every error."""

from __future__ import annotations

from lrpol.clock import Phase
from lrpol.context import RunView

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


def phase_geometry(ctx: RunView, start: int, length: int | None, unit: str) -> Phase:
    """The :class:`Phase` that starts at ``start`` and lasts ``length`` (None: to the end of the
    run), both counted in ``unit``, in a run shaped like ``ctx``. Reads of ``ctx`` are only
    those the phase needs: a phase's own context may not know every length."""
    spe = ctx.steps_per_epoch
    if unit == "epoch":
        return phase_of(start, length, unit, ctx.total_epochs, None, spe)
    return phase_of(start, length, unit, ctx.total_epochs if spe else None, ctx.total_steps, spe)


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


def shifted(ctx: RunView, start: int, length: int | None, unit: str, *, metric_count: int | None = None, geometry: Phase | None = None) -> PhaseContext:
    """The context of a phase that starts at ``start`` and lasts ``length`` (None: to the end of
    the run), both counted in ``unit``. Before the phase starts its clock reads 0.
    ``geometry`` is :func:`phase_geometry`'s result, when the caller has it already.
    """
    first_step, first_epoch, epochs, steps = geometry or phase_geometry(ctx, start, length, unit)
    step = _UNKNOWN if first_step is None else max(0, ctx.global_step - first_step)
    epoch = _UNKNOWN if first_epoch is None else max(0, ctx.epoch - first_epoch)
    return PhaseContext(ctx, step, epoch, epochs, steps, ctx.metric_count if metric_count is None else metric_count)
