"""Schedules that restart: a curve from a peak down to a floor, run again in periods that may
grow (SGDR); CosineRestarts is the cosine one. The periods' arithmetic is in periods.py."""

import math
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..arguments import MAX_INTEGER, ArgumentError, arg
from ..clock import UNITS
from ..context import RunView
from ..registry import register
from ..schedule import SCALAR, Schedule
from .periods import ARITHMETICS, Table, as_ratio, divided, exact_periods, last_reached, timm_periods, torch_periods, whole_mult, whole_periods

#: The most periods ``periods`` may fit in a run: each is a row of the run's table.
MAX_PERIODS = 2**16
#: The fewest: a first period a billion runs long (longer ones would not be floats).
LEAST_PERIODS = 1e-9
#: A period_mult above 1 but below this would make a table of thousands of periods.
LEAST_GROWTH = 1.01

WAVES = ("half", "full")


@dataclass(frozen=True)
class Restarting(Schedule):
    """What every restarting schedule shares: its periods, their peaks and floor, and the end.

    A subclass writes :meth:`shape`, the curve within a period as a fraction of its height:
    1 at the peak, 0 at the floor. The LR of period i at t_cur updates into it, of length
    L_i, is then::

        lr = floor + height_i * shape(t_cur, L_i)
        height_i = (lr0 * peak_decay ** i - floor) * amplitude_decay ** i
    """

    period: int | None = arg(default=None, ge=1, doc="length of the first period, in unit (torch T_0, timm t_initial, Keras first_decay_steps); or give periods")
    periods: float | None = arg(
        default=None, ge=LEAST_PERIODS, le=MAX_PERIODS,
        doc="how many periods of the first one's length fit in the run (or the horizon): the first lasts T / periods, which need not be a whole number of updates (Hugging Face num_cycles); instead of period",
    )
    period_mult: float = arg(default=1.0, ge=1, le=MAX_INTEGER, doc=f"each period lasts period_mult times the one before (torch T_mult, timm cycle_mul, Keras t_mul): 1, or at least {LEAST_GROWTH}")
    period_limit: int | None = arg(default=None, ge=1, doc="how many periods run; after the last, the LR stays at the floor (timm cycle_limit); null: no limit")
    peak_decay: float = arg(default=1.0, gt=0, le=1, doc="the peak of period i is lr0 * peak_decay ** i, the floor staying where it is (timm cycle_decay)")
    amplitude_decay: float = arg(default=1.0, gt=0, le=1, doc="the height of period i above the floor is (lr0 - floor) * amplitude_decay ** i (Keras m_mul)")
    min_lr: float = arg(default=0.0, ge=0, doc="the floor each period anneals towards, as an LR (torch eta_min, timm lr_min)")
    min_lr_ratio: float | None = arg(default=None, ge=0, doc="the floor as a fraction of lr0 (Keras alpha, Hugging Face min_lr_rate); instead of min_lr")
    arithmetic: str = arg(
        default="exact", choices=ARITHMETICS,
        doc="where restarts fall when period_mult is not a whole number (or, for 'timm', is not 1): 'exact' (the numbers as written, exactly), 'torch' or 'timm' (that peer's float arithmetic, reproduced)",
    )
    unit: str = arg(default="step", choices=UNITS, doc="what t counts: 'step' (every update) or 'epoch' (constant within an epoch)")
    horizon: int | None = arg(
        default=None, ge=1,
        doc="T, in unit, where the periods end, the LR they reach there held after it (Hugging Face num_training_steps); null: the run's length with periods, no end with period",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.period is not None and self.periods is not None:
            raise ArgumentError("periods", "give period (the first period's length) or periods (how many fit in the run), not both", code="conflict")
        if self.period is None and self.periods is None:
            raise ArgumentError("period", "give period (the first period's length, in unit) or periods (how many fit in the run)", code="missing-argument")
        if 1 < self.period_mult < LEAST_GROWTH:
            raise ArgumentError(
                "period_mult", f"must be 1 or at least {LEAST_GROWTH}, got {self.period_mult!r}",
                "periods that grow by less than 1% each pile up by the thousand; give 1 for periods of one length", code="out-of-range",
            )
        if self.periods is not None and self.arithmetic != "exact":
            raise ArgumentError("arithmetic", f"{self.arithmetic!r} reproduces a peer whose first period is a whole number of updates: give period, not periods", code="conflict")

    @property
    def uses_length(self) -> bool:  # type: ignore[override]  # T is read only to divide it into periods
        return self.periods is not None

    def shape(self, t_cur: Any, length: Any, ops: Any) -> Any:
        """The LR within a period, as a fraction of its height: t_cur updates into a period of
        ``length`` (numbers, or numpy arrays with ``ops`` ARRAY)."""
        raise NotImplementedError

    def scalar_shape(self) -> Callable[[Any, Any], Any]:
        """:meth:`shape` for one update, as a function of (t_cur, length): what the hook calls. A
        subclass may write its common case out, with the same operations in the same order."""
        shape = self.shape
        return lambda t_cur, length: shape(t_cur, length, SCALAR)

    def height(self, index: Any, lr0: float, floor: float, ops: Any) -> Any:
        """How far period ``index``'s peak is above the floor."""
        height = lr0 - floor if self.peak_decay == 1 else lr0 * ops.power(self.peak_decay, index) - floor
        return height if self.amplitude_decay == 1 else height * ops.power(self.amplitude_decay, index)

    def _ends(self) -> bool:
        """Whether the periods end at T (held after it): with periods, or a horizon."""
        return self.periods is not None or self.horizon is not None

    def formula(self, t: Any, total: Any, lr0: float, ops: Any) -> Any:
        asked = t
        if self._ends():
            t = ops.minimum(t, total)  # held after T: no period past it is looked up
        index, t_cur, length = self.locate(t, total, ops)
        floor = self.floor(lr0)
        lr = floor + self.height(index, lr0, floor, ops) * self.shape(t_cur, length, ops)
        if self.period_limit is not None:
            lr = ops.where(index < self.period_limit, lr, floor)
        if self._ends():
            lr = ops.where(asked < total, lr, self.end_value(total, lr0))
        return lr

    def locate(self, t: Any, total: Any, ops: Any) -> tuple[Any, Any, Any]:
        """(i, t_cur, L_i) at t: the period holding t, how far into it t is, and its length."""
        if self._one_whole_length():
            period: int = self.period  # type: ignore[assignment]  # _one_whole_length: given
            return t // period, t % period, period
        # The table up to the next power of two past the furthest t asked for, so that a
        # run's updates share one table.
        starts, rows = self.table(2 ** int(ops.largest(t)).bit_length(), total)
        start, base, length, index = ops.pick(rows, ops.count_passed(starts, t) - 1)
        return index, (t - start) + base, length

    def _one_whole_length(self) -> bool:
        return self.periods is None and self.period_mult == 1

    def first_length(self, total: int | None) -> tuple[int, int]:
        """L_0 as a fraction (p, q): ``period``, or T / ``periods`` exactly."""
        if self.periods is None:
            return self.period, 1  # type: ignore[return-value]  # given, as periods is not
        return divided(total, self.periods)

    def table(self, bound: int, total: int | None) -> Table:
        """The periods up to ``bound`` (see periods.py), for a run (or horizon) of ``total``."""
        if self.periods is not None:  # no further than T: past it the LR is held
            return exact_periods(min(bound, total), self.first_length(total), as_ratio(self.period_mult))  # type: ignore[type-var]  # T is known with periods
        period: int = self.period  # type: ignore[assignment]  # given, as periods is not
        if self.arithmetic == "timm":
            return timm_periods(bound, period, self.period_mult)
        whole = whole_mult(self.period_mult)
        if whole is not None:  # whole numbers: torch's floats are exact too
            return whole_periods(bound, period, whole)
        if self.arithmetic == "torch":
            return torch_periods(bound, period, self.period_mult)
        return exact_periods(bound, (period, 1), as_ratio(self.period_mult))

    def end_value(self, total: int, lr0: float) -> float:
        """The LR held from T on: where the curve stands at T, reached from below (the end of
        a period, not the start of the next, when T is a boundary), worked out exactly."""
        index, t_cur, length = last_reached(total, self.first_length(total), as_ratio(self.period_mult))
        floor = self.floor(lr0)
        if self.period_limit is not None and index >= self.period_limit:
            return floor
        return floor + self.height(index, lr0, floor, SCALAR) * self.shape(t_cur, length, SCALAR)

    def _bound(self, first: int, unit: str, total: int | None, lr0: float) -> Callable[[RunView], float]:
        """:meth:`formula` for one run: the closure remembers the period its last t fell in (its
        range of t, t_cur's base, its length and height) and looks a period up only when t
        leaves it. The LR is then the formula's operations, in its order: the same float (or,
        far past any run, the same error)."""
        formula, shape, height_of, limit = self.formula, self.scalar_shape(), self.height, self.period_limit
        by_epoch = unit == "epoch"
        floor = self.floor(lr0)
        end = total if self._ends() else None
        held = self.end_value(total, lr0) if end is not None else floor  # type: ignore[arg-type]  # T given when the periods end
        current: tuple[int, int, Any, Any, Any] = (0, 0, 0, 1, None)  # (start, stop, base, length, height): none yet

        def restarting(ctx: RunView) -> float:
            nonlocal current
            t = (ctx.epoch if by_epoch else ctx.global_step) - first
            if t < 0:
                if not first:  # a clock below 0: whatever the formula makes of it
                    return formula(t, total, lr0, SCALAR)
                t = 0  # before its phase: the phase's first update
            if end is not None and t >= end:
                return held
            start, stop, base, length, height = current
            if start <= t < stop:
                t_cur = (t - start) + base
            else:  # t left the period remembered: the next one, or a jump
                start, stop, base, length, index = self._period_at(t, total)
                t_cur = (t - start) + base
                height = height_of(index, lr0, floor, SCALAR)  # also past period_limit, as the formula
                if limit is not None and index >= limit:
                    height = None
                current = start, stop, base, length, height
            fraction = shape(t_cur, length)  # also past period_limit, as the formula
            return floor if height is None else floor + height * fraction

        return restarting

    def _period_at(self, t: int, total: int | None) -> tuple[int, int, Any, Any, Any]:
        """(start, stop, base, length, index) of the period (or table row) holding t, as
        :meth:`locate` finds it: t_cur = (t - start) + base for start <= t < stop."""
        if self._one_whole_length():
            period: int = self.period  # type: ignore[assignment]  # _one_whole_length: given
            index = t // period
            return index * period, (index + 1) * period, 0, period, index
        starts, rows = self.table(2 ** int(t).bit_length(), total)
        row = bisect_right(starts, t) - 1
        start, base, length, index = rows[row]
        return start, starts[row + 1], base, length, index


@register
@dataclass(frozen=True)
class CosineRestarts(Restarting):
    """Cosine annealing from a peak to a floor within periods, restarting at the peak (SGDR).

    Formula, with lr0 = ``ctx.initial_lr``, t = ``global_step`` (``unit="step"``) or
    ``epoch`` (``unit="epoch"``), floor = ``min_lr`` (or ``min_lr_ratio * lr0``), and period
    i (i = 0, 1, ...) lasting L_i = L_0 * period_mult ** i from S_i = L_0 + ... + L_(i-1),
    where L_0 = ``period``, or T / ``periods`` with T the run's length in unit (or
    ``horizon``)::

        i      = the period holding t:  S_i <= t < S_i + L_i
        t_cur  = t - S_i
        q      = (t_cur / L_i) ** k_decay
        height = (lr0 * peak_decay ** i - floor) * amplitude_decay ** i
        lr(t)  = floor + height * (1 + cos(pi * q)) / 2        wave="half"
        lr(t)  = floor + height * (1 + cos(2 * pi * q)) / 2    wave="full"
        lr(t)  = floor                                         i >= period_limit

    ``arithmetic="exact"`` (default) places each restart exactly, on the first update at or
    after S_i, the numbers taken as written (a period_mult of 1.3 is 13/10); with whole
    numbers it counts in integers. ``"torch"`` and ``"timm"`` reproduce those peers' float
    arithmetic to the bit, restarts they put an update late included (timm with period 1
    and period_mult 3 runs t = 121 = S_5 at the end of period 4: its logarithm of 243 to
    the base 3 is 4.999999999999999).

    - Base: updates by default; ``unit="epoch"`` counts t and the periods in epochs. With
      ``period``, only t is read, so it works without ``steps_per_epoch``.
    - First change: at t = 1. Last update of a period: just above the floor, which
      wave="half" never reaches; the next update restarts at the (next) peak. wave="full"
      falls to the floor at mid-period and rises back to the peak at its end.
    - After the end of the run: with ``period``, it keeps restarting (up to period_limit),
      the run's length playing no part, unless a ``horizon`` ends it. With ``periods`` (or
      a horizon): from T on, the value at T reached from below, held: the floor when T ends
      a half-wave period.
    - Same as, stepped once per update (or epoch):

      - torch ``CosineAnnealingWarmRestarts(T_0=period, T_mult=period_mult, eta_min=min_lr)``
        stepped without an argument; a float T_mult (torch refuses one in its constructor,
        but takes one set afterwards) with ``arithmetic="torch"``.
      - timm ``CosineLRScheduler(t_initial=period, lr_min=min_lr, cycle_mul=period_mult,
        cycle_decay=peak_decay, cycle_limit=period_limit, k_decay=k_decay,
        t_in_epochs=unit == "epoch", warmup_t=0)`` with ``arithmetic="timm"``; timm's
        default cycle_limit is 1 (one period, then lr_min).
      - Keras ``CosineDecayRestarts(lr0, first_decay_steps=period, t_mul=period_mult,
        m_mul=amplitude_decay, alpha=min_lr_ratio)``, whose defaults are t_mul=2.0 and
        m_mul=1.0. In float64 Keras places every restart as this does; in float32 (its
        default) its logarithm puts some an update late, as the backend rounds it
        (first_decay_steps 2, t_mul 1.5: t = 5 with torch's), which this places exactly.
      - Hugging Face ``get_cosine_with_hard_restarts_schedule_with_warmup(num_cycles=c,
        num_training_steps=T, num_warmup_steps=0)`` is ``periods=c`` (``horizon=T`` when the
        run is longer); HF gives 0 from T on, this the value at T (0 for a whole c).
      - Hugging Face ``get_cosine_schedule_with_warmup(num_cycles=c, ...)`` is ``periods=c,
        wave="full"``; HF's wave goes on after T, this holds the value at T.

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=5)
    >>> policy = CosineRestarts(period=2, period_mult=2)
    >>> [round(policy.evaluate(replace(ctx, global_step=s)), 12) for s in range(8)]
    [1.0, 0.5, 1.0, 0.853553390593, 0.5, 0.146446609407, 1.0, 0.961939766256]
    >>> policy = CosineRestarts(period=2, period_mult=1.5, peak_decay=0.5)  # periods 2, 3, 4.5
    >>> [round(policy.evaluate(replace(ctx, global_step=s)), 12) for s in range(7)]
    [1.0, 0.5, 0.5, 0.375, 0.125, 0.25, 0.22075555539]
    >>> policy = CosineRestarts(periods=2, wave="full")  # two waves over the 5 updates
    >>> [round(policy.evaluate(replace(ctx, global_step=s)), 12) for s in range(7)]
    [1.0, 0.095491502813, 0.654508497187, 0.654508497187, 0.095491502813, 1.0, 1.0]
    """

    # At most 8: t_cur ** k and L_i ** k, as timm computes them, stay floats for any period a clock
    # of 2**53 reaches (L_i <= 2**106).
    k_decay: float = arg(default=1.0, gt=0, le=8, doc="the cosine runs over (t_cur / L_i) ** k_decay: above 1 the LR stays high longer, below 1 it drops sooner (timm k_decay)")
    wave: str = arg(
        default="half", choices=WAVES,
        doc="'half': each period falls from its peak to the floor, then the LR jumps back up (SGDR); 'full': a whole cosine wave, down to the floor at mid-period and back up (Hugging Face's cosine with num_cycles)",
    )

    def _waves_over_the_run(self) -> bool:
        """Whole cosine waves of one length over T, nothing else: Hugging Face's cosine with
        ``num_cycles``, whose phase, pi * c * 2 * (t / T), is computed as there, so that its LRs
        are the same floats near the troughs too, where 1 + cos loses the last digits."""
        return (
            self.wave == "full" and self.periods is not None and self.period_mult == 1 and self.k_decay == 1
            and self.peak_decay == 1 and self.amplitude_decay == 1 and self.period_limit is None
        )

    def formula(self, t: Any, total: Any, lr0: float, ops: Any) -> Any:
        if not self._waves_over_the_run():
            return super().formula(t, total, lr0, ops)
        floor = self.floor(lr0)
        turn = ops.pi * self.periods * 2.0 * (ops.minimum(t, total) / total)
        lr = floor + (lr0 - floor) * (0.5 * (1.0 + ops.cos(turn)))
        return ops.where(t < total, lr, self.end_value(total, lr0))

    def scalar_shape(self) -> Callable[[Any, Any], Any]:
        if self.k_decay == 1 and self.wave == "half":  # shape's common case, written out
            cos, pi = math.cos, math.pi
            return lambda t_cur, length: (1 + cos(pi * t_cur / length)) / 2
        return super().scalar_shape()

    def shape(self, t_cur: Any, length: Any, ops: Any) -> Any:
        k = self.k_decay
        # pi * t_cur / L in that order, as torch and timm compute it: their values to the last bit.
        turn = ops.pi * t_cur / length if k == 1 else ops.pi * ops.power(t_cur, k) / ops.power(length, k)
        if self.wave == "full":
            turn = 2.0 * turn
        return (1 + ops.cos(turn)) / 2

    def _bound(self, first: int, unit: str, total: int | None, lr0: float) -> Callable[[RunView], float]:
        """With SGDR's arguments alone (a whole period and period_mult, no end, decay or limit,
        a half wave): closures with the formula written out, lr0 - floor computed once.

        With period_mult 1 a period is t % period, as in the formula. With growing periods the
        closure remembers the period its last t fell in, as (start, end, length), and looks a
        period up (as the formula does, with :func:`whole_periods`) only when t leaves it: once
        a period in a run that goes forward, at any t after a jump (a resumed run). What it
        remembers is its own, never the policy's. Any other arguments: :meth:`Restarting._bound`.
        """
        mult = whole_mult(self.period_mult)
        plain = (
            not self._ends() and mult is not None and (mult == 1 or self.arithmetic != "timm") and self.period_limit is None
            and self.peak_decay == 1 and self.amplitude_decay == 1 and self.k_decay == 1 and self.wave == "half"
        )
        if self._waves_over_the_run():
            return Schedule._bound(self, first, unit, total, lr0)  # the formula as it is written
        if not plain:
            return super()._bound(first, unit, total, lr0)
        formula, period, period_mult = self.formula, self.period, mult
        assert period is not None and period_mult is not None  # plain: both given
        floor = self.floor(lr0)
        span = lr0 - floor
        # Dividing by an int converts it to the float it is, as float() does: dividing by that float
        # is the same operation, without converting at every update. (So are 1.0 and 2.0 for 1 and 2.)
        length = float(period)
        by_epoch = unit == "epoch"
        cos, pi = math.cos, math.pi

        if period_mult == 1:

            def restarts(ctx: RunView) -> float:
                t = (ctx.epoch if by_epoch else ctx.global_step) - first
                if t < 0 and first:  # before its phase: the phase's first update
                    t = 0
                return floor + span * (1.0 + cos(pi * (t % period) / length)) / 2.0

            return restarts

        current = (0, period, length)  # the period last found, as (start, end, length): the first

        def growing_restarts(ctx: RunView) -> float:
            nonlocal current
            t = (ctx.epoch if by_epoch else ctx.global_step) - first
            start, end, length = current
            if not start <= t < end:  # t left the period remembered: the next one, or a jump
                if t < 0:
                    if not first:  # a clock below 0: whatever the formula makes of it
                        return formula(t, None, lr0, SCALAR)
                    t = 0  # before its phase: the phase's first update
                starts, rows = whole_periods(2 ** int(t).bit_length(), period, period_mult)
                row = bisect_right(starts, t) - 1
                start, end, length = starts[row], starts[row + 1], float(rows[row][2])  # raises past floats, as the formula's division would
                current = start, end, length  # one tuple: start, end and length always agree
            return floor + span * (1.0 + cos(pi * (t - start) / length)) / 2.0

        return growing_restarts
