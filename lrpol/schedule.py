"""Closed-form schedules: an LR that is a formula of where the run is, written once.

A :class:`Schedule` states its formula in :meth:`Schedule.formula`, a function of t (the
run's position in the policy's unit), T (the run's length in that unit) and lr0. The same
code runs on one number, for ``evaluate`` and the hook's every step, and on a numpy array of
positions, for the whole curve at once: only the few operations that differ between the two
(``where``, ``cos``, ...) come from the ``ops`` it is handed, :data:`SCALAR` or :data:`ARRAY`.
So a curve can never disagree with the steps, and a new schedule is one formula.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any, ClassVar

from .arguments import MAX_INTEGER, ArgumentError
from .clock import Phase, epochs_spanned, phase_clock, position, run_length
from .context import RunView, TrainContext, known_steps_per_epoch
from .policy import LRPolicy, same_methods


def _where(condition: bool, yes: Any, no: Any) -> Any:
    return yes if condition else no


def _pick(values: Sequence[float], index: Any) -> Any:
    return values[index]


def _same(t: Any) -> Any:
    return t


def _minimum(a: Any, b: Any) -> Any:
    """min(a, b), the same object (the first of equals; a NaN first is kept), without the builtin's
    generic iteration, which costs more than a Python call for two numbers."""
    return b if b < a else a


def _maximum(a: Any, b: Any) -> Any:
    """max(a, b), the same object, likewise."""
    return b if b > a else a


def _divide(numerator: Any, denominator: Any) -> Any:
    return numerator / denominator if denominator else 0.0


def _first_reaching(ends: Sequence[float], t: Any) -> int:
    """The index of the first of ``ends`` at or after t; the last index when none is."""
    last = len(ends) - 1
    for index in range(last):
        if t <= ends[index]:
            return index
    return last


#: The operations a formula needs, on Python numbers: the hook's path, so plain functions in a
#: namespace (the cheapest lookup), and no numpy.
SCALAR = SimpleNamespace(
    pi=math.pi, cos=math.cos, sqrt=math.sqrt, tanh=math.tanh, minimum=_minimum, maximum=_maximum, where=_where, count_passed=bisect_right,
    first_reaching=_first_reaching, pick=_pick, largest=_same, divide=_divide, power=pow,
)


class ArrayOps:
    """The same operations as :data:`SCALAR`, element-wise on numpy arrays (the whole-curve path)."""

    pi = math.pi

    @staticmethod
    def cos(x: Any) -> Any:
        import numpy as np

        return np.cos(x)

    @staticmethod
    def sqrt(x: Any) -> Any:
        """Correctly rounded, as math.sqrt: the same float on both paths (``x ** 0.5`` is not,
        in Python, and the difference grows in 1 - sqrt(x) near x = 1)."""
        import numpy as np

        return np.sqrt(x)

    @staticmethod
    def power(base: Any, exponent: Any) -> Any:
        """base ** exponent element-wise, each as Python computes it (the C library's pow), so the
        same float on both paths: numpy's own power differs from it in the last bit for some
        arguments, and a formula such as k ** x - k near k = 1 magnifies that past 1e-12. Slower
        than numpy's: for the formulas that need it."""
        import numpy as np

        bases, exponents = np.broadcast_arrays(np.asarray(base, dtype=float), np.asarray(exponent, dtype=float))
        powers = map(pow, bases.ravel().tolist(), exponents.ravel().tolist())
        return np.fromiter(powers, float, bases.size).reshape(bases.shape)

    @staticmethod
    def tanh(x: Any) -> Any:
        """math.tanh element-wise: the same float on both paths. numpy's own tanh is an ulp off
        the C library's for a quarter of arguments, and 1 - tanh(x) near the top magnifies that."""
        import numpy as np

        values = np.asarray(x, dtype=float)
        return np.fromiter(map(math.tanh, values.ravel().tolist()), float, values.size).reshape(values.shape)

    @staticmethod
    def minimum(a: Any, b: Any) -> Any:
        import numpy as np

        return np.minimum(a, b)

    @staticmethod
    def maximum(a: Any, b: Any) -> Any:
        import numpy as np

        return np.maximum(a, b)

    @staticmethod
    def where(condition: Any, yes: Any, no: Any) -> Any:
        import numpy as np

        return np.where(condition, yes, no)

    @staticmethod
    def count_passed(edges: Sequence[float], t: Any) -> Any:
        import numpy as np

        return np.searchsorted(np.asarray(edges), t, side="right")

    @staticmethod
    def divide(numerator: Any, denominator: Any) -> Any:
        """numerator / denominator, and 0 where the denominator is 0."""
        import numpy as np

        return np.where(denominator != 0, numerator / np.where(denominator != 0, denominator, 1), 0.0)

    @staticmethod
    def first_reaching(ends: Sequence[float], t: Any) -> Any:
        import numpy as np

        index = np.full(np.shape(t), len(ends) - 1)
        for i in range(len(ends) - 2, -1, -1):
            index = np.where(t <= ends[i], i, index)
        return index

    @staticmethod
    def pick(values: Sequence[Any], index: Any) -> Any:
        """``values[index]`` for every index; for values that are tuples (rows), a tuple of
        arrays, one per column, as a tuple picked from a list unpacks."""
        import numpy as np

        table = np.asarray(values)
        if table.dtype == object:  # integers past int64 (a period of 2**70 updates): as floats
            table = np.asarray(values, dtype=float)
        picked = table[index]
        return tuple(np.moveaxis(picked, -1, 0)) if picked.ndim > np.ndim(index) else picked

    @staticmethod
    def largest(t: Any) -> Any:
        return int(t.max(initial=0))


ARRAY = ArrayOps()


def _writes(klass: type, name: str) -> bool:
    """Whether ``klass`` itself writes the method ``name``: a function, not an argument or a
    class attribute that happens to bear the name (a plugin's ``prepared: bool`` argument)."""
    return callable(vars(klass).get(name))


class Schedule(LRPolicy):
    """A policy whose LR is a closed-form function of the run's position: :meth:`formula`.

    Subclasses are frozen dataclasses that declare their arguments, write :meth:`formula` (or
    :meth:`prepared`), and say whether it reads the run's length (``uses_length``). Their
    ``unit`` argument (if they have one; "step" otherwise) says what t counts: the update
    (``global_step``, of ``total_epochs * steps_per_epoch``) or the epoch (``epoch``, of
    ``total_epochs``).
    """

    #: Whether the formula reads T; one that does not works without ``steps_per_epoch``.
    uses_length: ClassVar[bool] = True
    #: Whether it reads t at all; one that does not (a constant) reads no clock, so it runs in any phase.
    uses_position: ClassVar[bool] = True
    #: :meth:`prepared` as this class runs it: the nearest class that writes its math decides (see there).
    _prepare: ClassVar[Callable[[Schedule, Any, float, Any], Callable[[Any], Any]]]
    #: The nearest :meth:`prepared` a class writes (None: none does), which :meth:`formula` runs.
    _closed_form: ClassVar[Callable[[Schedule, Any, float, Any], Callable[[Any], Any]] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        writer = next(klass for klass in cls.__mro__ if _writes(klass, "formula") or _writes(klass, "prepared"))
        cls._prepare = vars(writer)["prepared"] if writer is not Schedule and _writes(writer, "prepared") else Schedule.prepared
        cls._closed_form = next((vars(klass)["prepared"] for klass in cls.__mro__ if klass is not Schedule and _writes(klass, "prepared")), None)

    def formula(self, t: Any, total: Any, lr0: float, ops: Any) -> Any:
        """The LR at position t of a run of length T (None when ``uses_length`` is False), for
        lr0; t is a number (``ops`` is :data:`SCALAR`) or a numpy array (:data:`ARRAY`)."""
        closed_form = type(self)._closed_form  # not self.prepared: an argument may bear the name
        if closed_form is None:
            raise NotImplementedError(f"{type(self).__name__} writes neither formula nor prepared")
        return closed_form(self, total, lr0, ops)(t)

    def prepared(self, total: Any, lr0: float, ops: Any) -> Callable[[Any], Any]:
        """:meth:`formula` with T, lr0 and ops fixed: a function of t alone, which the hook calls on
        every update. A schedule may write its formula here instead of in :meth:`formula` (which
        then calls it), to work out once what does not depend on t; a subclass that writes
        :meth:`formula` again is run through its own. Write one of the two per class: which one
        runs is settled when the class is made, so a ``formula`` patched onto a class later (a test
        double) changes :meth:`evaluate` only."""
        formula = self.formula
        return lambda t: formula(t, total, lr0, ops)

    #: What t counts; subclasses with a ``unit`` argument override it.
    unit: str = "step"
    #: An explicit length in ``unit`` that replaces the run's (or phase's) as T; subclasses that
    #: read T may declare it as an argument (torch's ``T_max`` or ``total_iters``, optax's
    #: ``decay_steps``). None: T is the run's length.
    horizon: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if getattr(self, "min_lr_ratio", None) is not None and getattr(self, "min_lr", 0.0) != 0.0:
            raise ArgumentError("min_lr_ratio", "give min_lr (an LR) or min_lr_ratio (a fraction of lr0), not both", code="conflict")

    def floor(self, lr0: float) -> float:
        """The floor the schedule decays to: ``min_lr``, or ``min_lr_ratio * lr0`` when that is given."""
        ratio = getattr(self, "min_lr_ratio", None)
        return getattr(self, "min_lr", 0.0) if ratio is None else ratio * lr0

    @property
    def reads_run_length(self) -> bool:
        """Whether T comes from the run (or phase): the formula reads it and no ``horizon`` is given."""
        return self.uses_length and self.horizon is None

    def clock_in(self, phase: Phase) -> tuple[int, int | None]:
        """(where t is 0 on the run's clock of ``unit``, T) for this schedule in ``phase``: T is
        the horizon when one is given; a ValueError says what the phase cannot know."""
        first, total = phase_clock(phase, self.unit, self.reads_run_length)
        return first, (total if self.horizon is None else self.horizon)

    def evaluate(self, ctx: RunView) -> float:
        # The hot path: clock.position written out. A formula without T never reads the run's
        # length, and one without t no clock: a phase may not know them.
        if not self.uses_position:
            return self.formula(0, self.horizon, ctx.initial_lr, SCALAR)
        if not self.reads_run_length:
            return self.formula(ctx.epoch if self.unit == "epoch" else ctx.global_step, self.horizon, ctx.initial_lr, SCALAR)
        if self.unit == "epoch":
            return self.formula(ctx.epoch, ctx.total_epochs, ctx.initial_lr, SCALAR)
        total = ctx.total_steps
        if total is None:
            position(ctx, "step")  # raises, saying what is missing
        return self.formula(ctx.global_step, total, ctx.initial_lr, SCALAR)

    def bind_phase(self, phase: Phase, ctx: RunView) -> Callable[[RunView], float] | None:
        """The formula with T and lr0 fixed once, on ``phase``'s clock (see :meth:`in_phase`); None
        when the phase cannot know the clock it reads (:meth:`in_phase` raises, saying so), and
        for a subclass that changes how it is evaluated."""
        if plain_schedule(self) is None:
            return None
        if not self.uses_position:
            return self._bound(0, self.unit, self.horizon, ctx.initial_lr)
        try:
            first, total = self.clock_in(phase)
            return self._bound(first, self.unit, total, ctx.initial_lr)
        except ValueError:  # what the formula reads is not known here: evaluated (and raising) where it is needed
            return None

    def _bound(self, first: int, unit: str, total: int | None, lr0: float) -> Callable[[RunView], float]:
        lr_at = self._prepare(total, lr0, SCALAR)
        if not self.uses_position:
            return lambda ctx: lr_at(0)
        if first == 0:  # the run's own clock
            if unit == "epoch":
                return lambda ctx: lr_at(ctx.epoch)
            return lambda ctx: lr_at(ctx.global_step)

        if unit == "epoch":

            def in_epoch_phase(ctx: RunView) -> float:
                t = ctx.epoch - first
                return lr_at(t if t > 0 else 0)

            return in_epoch_phase

        def in_step_phase(ctx: RunView) -> float:
            t = ctx.global_step - first
            return lr_at(t if t > 0 else 0)

        return in_step_phase

    def in_phase(self, phase: Phase, ctx: RunView) -> float:
        """The LR at ``ctx``'s update when this schedule runs in ``phase``: its clock counted
        from the phase's start (0 before it), its length the phase's. Only the clock it reads
        is read, so a phase that cannot know the other clock is no error."""
        if not self.uses_position:
            return self.formula(0, self.horizon, ctx.initial_lr, SCALAR)
        first, total = self.clock_in(phase)
        t = (ctx.epoch if self.unit == "epoch" else ctx.global_step) - first
        return self.formula(t if t > 0 else 0, total, ctx.initial_lr, SCALAR)

    def lr_in(self, ctx: RunView, phase: Phase, history: dict, results_before: int) -> float:
        return self.in_phase(phase, ctx)  # a closed form remembers nothing

    def curve_in(self, run: TrainContext, phase: Phase, begin: int, end: int, metrics: Sequence[float], results_before: int) -> Any:
        if plain_schedule(self) is None:
            return None  # a subclass that changes how it runs: stepped through its own methods
        return self.curve_in_phase(phase, begin, end, known_steps_per_epoch(run), run.initial_lr)

    def curve_in_phase(self, phase: Phase, begin: int, end: int, steps_per_epoch: int, lr0: float) -> Any:
        """:meth:`in_phase` for the run's updates ``begin`` .. ``end`` - 1, as a numpy array; None
        when the phase lies beyond numpy's exact integers (the caller then steps through it)."""
        import numpy as np

        if not self.uses_position:
            constant = self._prepare(self.horizon, lr0, ARRAY)
            return in_chunks(begin, end, lambda step: constant(0))
        first, total = self.clock_in(phase)
        if max(first, total or 0) > MAX_INTEGER:
            return None
        per_epoch, lr_at = self.unit == "epoch", self._prepare(total, lr0, ARRAY)

        def compute(step: Any) -> Any:
            return lr_at(np.maximum((step // steps_per_epoch if per_epoch else step) - first, 0))

        return in_chunks(begin, end, compute)

    def evaluate_curve(self, ctx: TrainContext, steps: int, metrics: Sequence[float] | None = None) -> Any:
        if type(self).evaluate is not Schedule.evaluate:
            return None  # a subclass changed evaluate: its curve is stepped through it, not the formula
        unit = self.unit
        total = run_length(ctx, unit) if self.reads_run_length else self.horizon
        if self.reads_run_length and total is None:
            return None  # a run longer than numpy's exact integers: stepped through evaluate
        lr_at = self._prepare(total, ctx.initial_lr, ARRAY)
        if unit == "step":
            return in_chunks(0, steps, lr_at)
        # One value per epoch, then each update takes its epoch's: the formula runs once an epoch.
        spe = known_steps_per_epoch(ctx)
        per_epoch = in_chunks(0, epochs_spanned(steps, spe), lr_at)
        return in_chunks(0, steps, lambda step: per_epoch[step // spe])


def plain_schedule(policy: object) -> Schedule | None:
    """``policy`` when its LR is exactly its formula, so a composite may read the formula on its
    phase's clock; None for any other policy, and for a Schedule whose subclass overrides how it
    is evaluated (it is then run through its own methods, as any policy is)."""
    if isinstance(policy, Schedule) and same_methods(policy, Schedule, "evaluate", "evaluate_curve", "in_phase", "curve_in_phase"):
        return policy
    return None


#: Updates (or epochs) a whole curve computes at once: a formula's temporaries are this long,
#: not as long as the run, so a curve's memory stays close to its own array's.
CHUNK = 1 << 16


def in_chunks(begin: int, end: int, compute: Callable[[Any], Any]) -> Any:
    """The values for positions ``begin`` .. ``end`` - 1 as a numpy array, ``compute(positions)``
    filling them a chunk at a time (a number fills its chunk, for a constant)."""
    import numpy as np

    out = np.empty(max(end - begin, 0))
    # A product or quotient past the largest float is inf, as Python's float * and / make it on
    # the hook's path, silently (t / 5e-324 for a subnormal timescale, whose decay then gives 0):
    # the same floats here, without numpy's warning. A NaN still warns.
    with np.errstate(over="ignore"):
        for start in range(begin, end, CHUNK):
            positions = np.arange(start, min(start + CHUNK, end))
            out[start - begin : start - begin + len(positions)] = compute(positions)
    return out
