"""LRPolicy: the one interface every learning-rate policy implements."""

from __future__ import annotations

import abc
import inspect
from typing import ClassVar

from .arguments import check_fields
from .context import TrainContext


class LRPolicy(abc.ABC):
    """A learning-rate policy: ``evaluate(ctx)`` returns the LR for update ``ctx.global_step``.

    Policies describe a schedule; they never touch an optimizer (the hook does).
    Built-in policies are frozen dataclasses whose fields are declared with
    :func:`lrpol.arguments.arg`, so their constructors check every argument.
    A policy whose LR depends on history (such as :class:`ReduceOnPlateau`) keeps
    that history in a small state that ``state_dict``/``load_state_dict`` round-trip
    through JSON; closed-form policies are pure functions of the context and have
    no state.
    """

    #: True for policies driven by validation results (the hook must report them).
    reads_metric: ClassVar[bool] = False

    def __post_init__(self) -> None:
        check_fields(self)

    @classmethod
    def summary(cls) -> str:
        """The first line of the class's docstring, as plain text."""
        return (inspect.getdoc(cls) or "").split("\n", 1)[0].rstrip(".").replace("``", "")

    @abc.abstractmethod
    def evaluate(self, ctx: TrainContext) -> float:
        """The LR for the update at ``ctx.global_step`` / ``ctx.epoch``."""

    def evaluate_curve(self, ctx: TrainContext, steps: int, metrics: list[float] | None):
        """The LRs of updates 0 .. steps - 1 of a fresh run shaped like ``ctx``, as a numpy
        array; see :func:`lrpol.curve`. None (the default) means: step through ``evaluate``.
        Closed-form policies override it with a vectorised formula."""
        return None

    def state_dict(self) -> dict:
        """The policy's state as JSON-serialisable data (empty for stateless policies)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""
        if state:
            raise ValueError(f"{type(self).__name__} has no state, but was given {sorted(state)}")
