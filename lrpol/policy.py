"""LRPolicy: the one interface every learning-rate policy implements."""

from __future__ import annotations

import abc
import contextlib
import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .arguments import Component, arguments_of, check_fields
from .context import RunView, TrainContext


class LRPolicy(Component, abc.ABC):
    """A learning-rate policy: ``evaluate(ctx)`` returns the LR for update ``ctx.global_step``.

    Policies describe a schedule; they never touch an optimizer (the hook does).
    Built-in policies are frozen dataclasses whose fields are declared with
    :func:`lrpol.arguments.arg`, so their constructors check every argument.
    A policy whose LR depends on history (such as :class:`ReduceOnPlateau`) keeps
    that history in a small state that ``state_dict``/``load_state_dict`` round-trip
    through JSON, and ``check_state`` says whether a loaded state fits a context's
    counters; closed-form policies are pure functions of the context and have no state.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Set before @dataclass runs, so it keeps this repr instead of writing its own.
        if "__repr__" not in vars(cls):
            cls.__repr__ = LRPolicy.__repr__  # type: ignore[method-assign]

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
        whenever that shape changes. By default :meth:`evaluate` itself; closed forms and
        composites of them work out once, here, what does not change during the run."""
        return self.evaluate

    def evaluate_curve(self, ctx: TrainContext, steps: int, metrics: Sequence[float] | None) -> Any:
        """The LRs of updates 0 .. steps - 1 of a fresh run shaped like ``ctx``, as a numpy
        array; see :func:`lrpol.curve`. None (the default) means: step through ``evaluate``.
        Closed-form policies override it with a vectorised formula."""
        return

    def state_dict(self) -> dict:
        """The policy's state as JSON-serialisable data: empty for a stateless policy, and
        for a composite the states of its nested policies that have one."""
        state: dict = {}
        for where, child in self.children():
            child_state = child.state_dict()
            if child_state:
                state[_key(where)] = child_state
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned (checked first: a bad state changes nothing).

        A refusal is a ValueError naming the field, prefixed by where the nested policy
        sits (``policies[1]: ReduceOnPlateau state: ...``).
        """
        if not isinstance(state, dict):
            raise ValueError(f"{type(self).__name__} state must be an object, got {type(state).__name__}")
        children = {_key(where): child for where, child in self.children()}
        unknown = sorted(set(state) - set(children))
        if unknown:
            raise ValueError(f"{type(self).__name__} has no state for {unknown}")
        previous = {key: child.state_dict() for key, child in children.items()}
        try:
            for key, child in children.items():
                with nested_in(key):
                    child.load_state_dict(state.get(key, {}))
        except Exception:
            for key, child in children.items():
                child.load_state_dict(previous[key])
            raise

    def check_state(self, ctx: RunView) -> None:
        """Raise ValueError, naming the field, when this policy's state does not fit ``ctx``:
        a loaded state that counted other validation results than the context reports, say.

        :class:`LRHook` calls it after ``load_state_dict``, with the restored counters. The
        default checks the nested policies against the same context; a composite that gives
        them their own clock (Warmup, Sequential) checks them against that one.
        """
        for where, child in self.children():
            with nested_in(_key(where)):
                child.check_state(ctx)


def _key(where: str | tuple) -> str:
    """A nested policy's key in a state: ``"policy"`` or ``"policies[1]"``."""
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
