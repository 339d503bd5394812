"""Periods that restart a schedule: which one holds t, and how far into it t is.

A restarting schedule (:class:`~lrpol.policies.restarts.CosineRestarts`,
:class:`~lrpol.policies.tanh.TanhDecay`) runs its curve again and again, in periods that may
grow: period i lasts L_i = L_0 * m ** i and starts at S_i = L_0 + ... + L_(i-1). For a run,
the periods are worked out once, as a table; a formula then looks t up in it.

A table is ``(starts, rows)``. Row k is ``(start, base, length, index)``: the updates from
``start`` up to ``starts[k + 1]`` lie in period ``index``, of length ``length``, at
t_cur = (t - start) + base. ``starts`` holds one start more than there are rows, past the
table's bound. Each row is exact: t_cur there is the very float the arithmetic gives.

How the periods are placed is the arithmetic's choice (:data:`ARITHMETICS`):

- ``"exact"``: the numbers as written, exactly (a period_mult of 1.3 is 13/10). A period's
  first update is the first at or after S_i. With whole numbers the table is integers.
- ``"torch"``: torch's ``CosineAnnealingWarmRestarts`` stepped without an argument, which
  adds 1 to a float T_cur at each step and, when T_cur reaches T_i, takes T_cur % T_i and
  multiplies T_i by T_mult in floats: its roundings, reproduced to the bit.
- ``"timm"``: timm's ``CosineLRScheduler``, which finds the period with a float logarithm
  and t_cur = t - S_i with S_i in floats. The logarithm puts some restarts one update late
  (period 1, cycle_mul 3: t = 121; cycle_mul 10: t = 111), which this reproduces.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

#: How the periods are placed: exactly, or as a peer computes them in floats.
ARITHMETICS = ("exact", "torch", "timm")

#: A position no run reaches: tables in floats stop there (the last period found goes on).
FAR = 2**53

Row = tuple[int, float, float, int]
Table = tuple[tuple[int, ...], tuple[Row, ...]]


@functools.lru_cache(maxsize=256)
def as_ratio(number: float) -> tuple[int, int]:
    """``number`` as the fraction its decimal form writes (1.3 is 13/10, not the float's
    binary value): the number a config gives, taken exactly."""
    exact = Fraction(number) if isinstance(number, int) else Fraction(repr(number))
    return exact.numerator, exact.denominator


@functools.lru_cache(maxsize=64)
def divided(total: int, count: float) -> tuple[int, int]:
    """``total / count`` as a fraction (p, q), ``count`` taken as written (see :func:`as_ratio`)."""
    exact = Fraction(total) / Fraction(*as_ratio(count))
    return exact.numerator, exact.denominator


def whole_mult(mult: float) -> int | None:
    """``mult`` as an int when it is a whole number (the periods are then integers), else None."""
    return int(mult) if float(mult).is_integer() else None


def period_starts(t_max: int, period: int, period_mult: int) -> tuple[int, ...]:
    """The t at which each period starts, from 0 up to the first one past ``t_max``.

    Integers throughout: a period never ends a step early or late, however long the run.

    >>> period_starts(20, period=2, period_mult=3)
    (0, 2, 8, 26)
    """
    starts, length = [0], period
    while starts[-1] <= t_max:
        starts.append(starts[-1] + length)
        length *= period_mult
    return tuple(starts)


@functools.lru_cache(maxsize=64)
def whole_periods(bound: int, period: int, period_mult: int) -> Table:
    """The table of whole periods up to ``bound`` (t_cur an int, as t - start): remembered for
    the last few bounds, since a run's updates share them."""
    starts = period_starts(bound, period, period_mult)
    rows = tuple((start, 0, period * period_mult**index, index) for index, start in enumerate(starts[:-1]))
    return starts, rows


@functools.lru_cache(maxsize=64)
def exact_periods(bound: int, first: tuple[int, int], mult: tuple[int, int]) -> Table:
    """The table up to ``bound`` for a first period of ``first`` = (p, q), that is p / q
    updates, and a period_mult of ``mult`` = (a, b): S_i and L_i as integers over the common
    denominator q * b ** i, so each period's first update is exact."""
    (p, q), (a, b) = first, mult
    total, length, denominator = 0, p, q  # S_i, L_i (numerators) and their denominator
    starts: list[int] = []
    rows: list[Row] = []
    index = 0
    while True:
        start = -(-total // denominator)  # the first update at or after S_i
        if rows and start == starts[-1]:  # the period before holds no update
            starts.pop()
            rows.pop()
        if start > min(bound, FAR):
            break
        starts.append(start)
        rows.append((start, (start * denominator - total) / denominator, length / denominator, index))
        total, length, denominator, index = (total + length) * b, length * a, denominator * b, index + 1
    return (*starts, max(start, bound + 1)), tuple(rows)


@functools.lru_cache(maxsize=64)
def last_reached(end: int, first: tuple[int, int], mult: tuple[int, int]) -> tuple[int, float, float]:
    """(index, t_cur, length) where the periods stand at ``end`` approached from below: the
    period with S_i < end <= S_(i + 1), exactly (at a boundary, the end of the period before)."""
    (p, q), (a, b) = first, mult
    if a == b:  # periods of one length p / q: i = ceil(end * q / p) - 1
        index = -(-end * q // p) - 1
        return index, (end * q - index * p) / q, p / q
    total, length, denominator, index = 0, p, q, 0
    while total + length < end * denominator:  # S_(i + 1) < end
        total, length, denominator, index = (total + length) * b, length * a, denominator * b, index + 1
    return index, (end * denominator - total) / denominator, length / denominator


def exact_steps(value: float) -> int:
    """How many updates after one at t_cur = ``value`` count on exactly (value + 1, value + 2,
    ...): while the count stays below the next power of two, where the float's last bit stays
    1/2 or finer. 0 below 1, where adding 1 rounds."""
    if value < 1:
        return 0
    if value >= 2**52:
        return FAR  # no run goes this far: count on
    top = 2.0 ** math.frexp(value)[1]
    return math.ceil(top - value) - 1  # exact: top / 2 <= value < top


@functools.lru_cache(maxsize=64)
def torch_periods(bound: int, period: int, mult: float) -> Table:
    """The table up to ``bound`` as torch steps it: T_cur counts on by 1 in floats (exact
    within a power of two; the step across one rounds), restarts at T_cur >= T_i with
    T_cur % T_i, and T_i grows by a float multiplication."""
    starts: list[int] = []
    rows: list[Row] = []
    start, value, length, index = 0, 0.0, float(period), 0
    while start <= min(bound, FAR):
        starts.append(start)
        rows.append((start, value, length, index))
        run, need = exact_steps(value), math.ceil(length - value)
        if need <= run:  # it reaches T_i while counting exactly
            start, value = start + need, value + need
        else:  # it crosses a power of two first: that step rounds, as torch's does
            start, value = start + run + 1, (value + run) + 1.0
        if value >= length:
            value, length, index = value % length, length * mult, index + 1
    return (*starts, max(start, bound + 1)), tuple(rows)


def timm_index(t: int, period: int, mult: float) -> int:
    """The period timm puts t in (its float logarithm, as timm writes it)."""
    return math.floor(math.log(1 - t / period * (1 - mult), mult))


@functools.lru_cache(maxsize=64)
def timm_periods(bound: int, period: int, mult: float) -> Table:
    """The table up to ``bound`` as timm computes it: period i is where timm's logarithm puts
    t, and t_cur = t - S_i with S_i and L_i in floats, as timm computes them."""
    starts: list[int] = []
    rows: list[Row] = []
    start, index = 0, 0
    while start <= min(bound, FAR):
        offset = (1 - mult**index) / (1 - mult) * period
        length = mult**index * period
        after = _first_after(start, index, math.ceil(offset + length), period, mult)
        t = start
        while t < after:  # rows where t - offset counts on exactly
            value = t - offset
            starts.append(t)
            rows.append((t, value, length, index))
            t += exact_steps(value) + 1
        start, index = after, timm_index(after, period, mult)
    return (*starts, max(start, bound + 1)), tuple(rows)


def _first_after(start: int, index: int, guess: int, period: int, mult: float) -> int:
    """The first update after ``start`` that timm puts past period ``index``, from a guess
    that the logarithm's rounding may have put an update or two off."""
    t = max(guess, start + 1)
    while t > start + 1 and timm_index(t - 1, period, mult) > index:
        t -= 1
    while timm_index(t, period, mult) <= index:
        t += 1
    return t
