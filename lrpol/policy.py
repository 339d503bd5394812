"""LRPolicy: the one interface every learning-rate policy implements."""

from __future__ import annotations

import abc
import contextlib
import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

from .arguments import Component, arguments_of, check_fields
from .clock import Phase, phase_context, run_phase
from .context import RunView, TrainContext
from .errors import show_value

#: A policy run in a phase: (the run's context, its part of the history, the results reported
#: before it started) -> LR. See :meth:`LRPolicy.run_in`.
Runner = Callable[[RunView, dict, int], float]


class LRPolicy(Component, abc.ABC):
    """A learning-rate policy: ``evaluate(ctx)`` returns the LR for update ``ctx.global_step``.

    Policies describe a schedule; they never touch an optimizer (the hook does). They are
    values: built-in policies are frozen dataclasses whose fields are declared with
    :func:`lrpol.arguments.arg`, so their constructors check every argument, and nothing in
    them changes afterwards. What a metric-driven policy remembers of the validation results
    (ReduceOnPlateau's counters) lives in the run, in ``ctx.history``, which :class:`LRHook`
    saves and restores with its state.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Set before @dataclass runs, so it keeps this repr instead of writing its own.
        if "__repr__" not in vars(cls):
            cls.__repr__ = LRPolicy.__repr__  # type: ignore[method-assign]
        # A subclass that changes how it is evaluated is run through its own methods in a phase
        # too, and its curve is stepped: what its base works out no longer describes it.
        own = vars(cls)
        if "evaluate" in own and "lr_in" not in own:
            cls.lr_in = LRPolicy.lr_in  # type: ignore[method-assign]
        if "evaluate" in own or "lr_in" in own:
            for method in ("bind_phase", "run_in"):
                if method not in own:
                    setattr(cls, method, getattr(LRPolicy, method))
        if ("evaluate" in own or "evaluate_curve" in own) and "curve_in" not in own:
            cls.curve_in = LRPolicy.curve_in  # type: ignore[method-assign]

    def __post_init__(self) -> None:
        check_fields(self)

    def __repr__(self) -> str:
        """``Name(arg=value, ...)`` with the arguments that differ from their defaults, as a config would say it."""
        shown = [
            f"{argument.name}={getattr(self, argument.name)!r}"
            for argument in arguments_of(type(self))
            if argument.required or getattr(self, argument.name) != argument.default
        ]
        return f"{type(self).__name__}({', '.join(shown)})"

    @property
    def reads_metric(self) -> bool:
        """True when validation results drive this policy (or a policy nested in it)."""
        return any(child.reads_metric for _, child in self.children())

    def children(self) -> list[tuple[str | tuple[str, int], LRPolicy]]:
        """The policies nested in this one's arguments, as (argument name or (name, index), policy)."""
        found: list[tuple[str | tuple[str, int], LRPolicy]] = []
        for argument in arguments_of(type(self)):
            if not argument.is_policy:
                continue
            value = getattr(self, argument.name)
            if argument.many:
                found += [((argument.name, index), child) for index, child in enumerate(value)]
            elif value is not None:
                found.append((argument.name, value))
        return found

    @classmethod
    def summary(cls) -> str:
        """The first line of the class's docstring, as plain text."""
        return (inspect.getdoc(cls) or "").split("\n", 1)[0].rstrip(".").replace("``", "")

    @abc.abstractmethod
    def evaluate(self, ctx: RunView) -> float:
        """The LR for the update at ``ctx.global_step`` / ``ctx.epoch``."""

    def bind(self, ctx: RunView) -> Callable[[RunView], float]:
        """The function that gives the LR of an update of a run shaped like ``ctx`` (its lr0,
        length and steps_per_epoch): what :class:`LRHook` calls on every update, and binds again
        whenever that shape changes. What :meth:`bind_phase` gives for the whole run, or
        :meth:`evaluate` itself when it gives nothing."""
        bound = self.bind_phase(run_phase(ctx), ctx)
        return self.evaluate if bound is None else bound

    def bind_phase(self, phase: Phase, ctx: RunView) -> Callable[[RunView], float] | None:
        """:meth:`lr_in` in ``phase`` of a run shaped like ``ctx`` as a function of the run's
        clock alone, with everything that does not change during the run worked out once; or
        None (the default), and the policy is evaluated on every update. Closed forms and
        composites of them bind; a policy that keeps history, or is written with ``evaluate``
        alone, does not."""
        return None

    def evaluate_curve(self, ctx: TrainContext, steps: int, metrics: Sequence[float] | None) -> Any:
        """The LRs of updates 0 .. steps - 1 of a fresh run shaped like ``ctx``, as a numpy
        array; see :func:`lrpol.curve`. None (the default) means: step through ``evaluate``.
        A policy with a closed form may override it with a vectorised formula."""
        return

    # -- in a phase: how composites run the policies nested in them ---------------------------

    def lr_in(self, ctx: RunView, phase: Phase, history: dict, results_before: int) -> float:
        """The LR at ``ctx``'s update when this policy runs in ``phase`` (see
        :mod:`lrpol.clock`), with ``history`` its own part of the run's history and
        ``results_before`` the validation results reported before it started.

        Built-in policies read the phase as numbers; this default hands ``evaluate`` a
        :class:`TrainContext` of the phase.
        """
        return self.evaluate(phase_context(ctx, phase, history, results_before))

    def run_in(self, phase: Phase, ctx: RunView) -> Runner:
        """:meth:`lr_in` in ``phase`` of a run shaped like ``ctx``, as a function of (the run's
        context, this policy's part of the history, the results before it started), with what
        does not change during the run worked out once: what a composite that keeps history
        calls on every update. By default the bound function when there is one, else
        :meth:`lr_in`."""
        bound = self.bind_phase(phase, ctx)
        if bound is not None:
            return lambda c, history, results_before: bound(c)
        lr_in = self.lr_in
        return lambda c, history, results_before: lr_in(c, phase, history, results_before)

    def curve_in(self, run: TrainContext, phase: Phase, begin: int, end: int, metrics: Sequence[float], results_before: int) -> Any:
        """:meth:`lr_in` for the run's updates ``begin`` .. ``end`` - 1 at once, as a numpy
        array, in a fresh run shaped like ``run`` where ``metrics[e]`` is reported after epoch
        e; None (the default) when there is no whole-curve formula: the caller then steps."""
        return

    # -- history: what metric-driven policies remember, kept in ctx.history ----------------------

    def save_history(self, history: dict) -> dict:
        """``history`` (this policy's part of ``ctx.history``) as :class:`LRHook` saves it: JSON
        data, empty for a policy that remembers nothing, and for a composite the parts of its
        nested policies that are not empty."""
        saved: dict = {}
        for where, child in self.children():
            key = state_key(where)
            child_saved = child.save_history(history.get(key, {}))
            if child_saved:
                saved[key] = child_saved
        return saved

    def load_history(self, state: dict) -> dict:
        """The history :meth:`save_history` wrote, checked: a new dict to become this policy's
        part of ``ctx.history``. A refusal is a ValueError naming the field, prefixed by where
        the nested policy sits (``policies[1]: ReduceOnPlateau state: ...``)."""
        if not isinstance(state, dict):
            raise ValueError(f"{type(self).__name__} state must be an object, got {type(state).__name__}")
        children = {state_key(where): child for where, child in self.children()}
        unknown = sorted(set(state) - set(children), key=str)
        if unknown:
            listed = repr(unknown) if all(isinstance(key, str) for key in unknown) else show_value(unknown)
            raise ValueError(f"{type(self).__name__} has no state for {listed}")
        history = {}
        for key, child in children.items():
            with nested_in(key):
                history[key] = child.load_history(state.get(key, {}))
        return history

    def check_history(self, ctx: RunView, phase: Phase, history: dict, results_before: int) -> None:
        """Raise ValueError, naming the field, when ``history`` does not fit ``ctx``'s counters:
        a loaded history that counted other validation results than the context reports, say.

        :class:`LRHook` calls it after loading a state, with the restored counters. The default
        checks the nested policies in the same phase; a composite that gives them phases of
        their own (Warmup, Sequential) checks them in those.
        """
        for where, child in self.children():
            key = state_key(where)
            with nested_in(key):
                child.check_history(ctx, phase, history.get(key, {}), results_before)


class PhasedPolicy(LRPolicy):
    """A built-in policy written for phases: :meth:`run_in` and :meth:`curve_in` say everything,
    and the whole run is the phase a top-level policy runs in."""

    _written_run_in: ClassVar[Callable[..., Runner]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        written = vars(cls).get("run_in")
        super().__init_subclass__(**kwargs)
        if written is not None:  # what evaluate runs, also for a subclass whose evaluate calls it
            cls._written_run_in = written

    def evaluate(self, ctx: RunView) -> float:
        history = getattr(ctx, "history", None)  # a context of the trainer's own may have none: nothing to remember then
        return self._written_run_in(run_phase(ctx), ctx)(ctx, {} if history is None else history, 0)

    def lr_in(self, ctx: RunView, phase: Phase, history: dict, results_before: int) -> float:
        return self.run_in(phase, ctx)(ctx, history, results_before)

    def bind(self, ctx: RunView) -> Callable[[RunView], float]:
        """:meth:`bind_phase` for the whole run; without one (a policy that keeps history), its
        :meth:`run_in` on the whole run, reading the run's history on each update."""
        bound = self.bind_phase(run_phase(ctx), ctx)
        if bound is not None:
            return bound
        if type(self).evaluate is not PhasedPolicy.evaluate:
            return self.evaluate  # a subclass that changes evaluate is run through it
        run = self._written_run_in(run_phase(ctx), ctx)
        return lambda c: run(c, c.history, 0)

    def evaluate_curve(self, ctx: TrainContext, steps: int, metrics: Sequence[float] | None) -> Any:
        return self.curve_in(ctx, run_phase(ctx), 0, steps, metrics or [], 0)

    @abc.abstractmethod
    def run_in(self, phase: Phase, ctx: RunView) -> Runner: ...


def raising(error: Exception) -> Runner:
    """A runner for a phase that cannot be run: each update raises ``error``'s kind and message,
    where evaluating it always raised."""
    kind, message = type(error), str(error)

    def refuse(c: RunView, history: dict, results_before: int) -> float:
        raise kind(message)

    return refuse


def slot(history: dict, key: str) -> dict:
    """A nested policy's part of ``history``, made when it is first needed."""
    part = history.get(key)
    if part is None:
        part = history[key] = {}
    return part


def state_key(where: str | tuple) -> str:
    """A nested policy's key in a history or a saved state: ``"policy"`` or ``"policies[1]"``."""
    return where if isinstance(where, str) else f"{where[0]}[{where[1]}]"


@contextlib.contextmanager
def nested_in(key: str) -> Iterator[None]:
    """Prefix a ValueError raised inside with ``key``, so that a nested refusal says where it is."""
    try:
        yield
    except ValueError as error:
        raise ValueError(f"{key}: {error}") from error


def same_methods(policy: LRPolicy, base: type, *names: str) -> bool:
    """Whether ``policy``'s class keeps ``base``'s own ``names`` methods: a policy may then be run
    through what ``base`` works out for it (its bound function, its phase clock), and a subclass
    that changes one of them is run through its own."""
    kind = type(policy)
    return all(getattr(kind, name) is getattr(base, name) for name in names)
