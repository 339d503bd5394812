"""TrainContext: the few numbers a policy reads about the run."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

from .arguments import Argument


class RunView(Protocol):
    """What a policy reads of a run: the fields of :class:`TrainContext`."""

    @property
    def initial_lr(self) -> float: ...
    @property
    def total_epochs(self) -> int: ...
    @property
    def steps_per_epoch(self) -> int | None: ...
    @property
    def total_steps(self) -> int | None: ...
    @property
    def global_step(self) -> int: ...
    @property
    def epoch(self) -> int: ...
    @property
    def current_lr(self) -> float | None: ...
    @property
    def metric(self) -> float | None: ...
    @property
    def metric_count(self) -> int: ...
    @property
    def history(self) -> dict: ...


@dataclass(slots=True)
class TrainContext:
    """What policies read. The trainer (or :class:`lrpol.LRHook`) writes it; policies never do.

    - ``initial_lr``: lr0, the LR every policy's formula starts from.
    - ``total_epochs``: E, the run's length in epochs.
    - ``steps_per_epoch``: updates per epoch, or None when the trainer does not know
      (then the trainer advances ``epoch`` itself).
    - ``global_step``: 0-based index of the optimizer update about to run.
    - ``epoch``: 0-based index of the epoch that update belongs to.
    - ``current_lr``: the LR in effect (the last one applied), None before the first.
    - ``metric``: the latest validation result, None before the first.
    - ``metric_count``: how many validation results have been reported so far.
    - ``history``: what metric-driven policies remember of those results (ReduceOnPlateau's
      counters), as JSON data nested like the policy; policies keep it up to date as they
      are evaluated, and :class:`lrpol.LRHook` saves and restores it. A fresh run's is empty.

    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=10, steps_per_epoch=100)
    >>> ctx.total_steps
    1000
    """

    initial_lr: float
    total_epochs: int
    steps_per_epoch: int | None = None
    global_step: int = 0
    epoch: int = 0
    current_lr: float | None = None
    metric: float | None = None
    metric_count: int = 0
    history: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.history, dict):
            raise ValueError(f"history must be a dict, got {type(self.history).__name__}")
        for argument in _CHECKED:
            value = getattr(self, argument.name)
            if value is not None or argument.name not in _OPTIONAL:
                setattr(self, argument.name, argument.check(value))

    @property
    def total_steps(self) -> int | None:
        """Updates in the whole run, when ``steps_per_epoch`` is known."""
        if self.steps_per_epoch is None:
            return None
        return self.total_epochs * self.steps_per_epoch


#: The run's settings, declared once: a train config's top-level keys (checked by ``validate``,
#: described by the schema), ``lrpol preview``'s flags, and the context's own checks.
LEARNING_RATE = Argument("learning_rate", float, "the initial LR, lr0", gt=0)
EPOCHS = Argument("epochs", int, "the run's length in epochs", ge=1)
STEPS_PER_EPOCH = Argument("steps_per_epoch", int, "updates per epoch", ge=1)
#: The settings a train config holds at its top level; steps_per_epoch comes from the trainer's data.
RUN_SETTINGS = (LEARNING_RATE, EPOCHS)

# The same argument declarations policies use, so a context accepts what a policy accepts.
_CHECKED = (
    replace(LEARNING_RATE, name="initial_lr"),
    replace(EPOCHS, name="total_epochs"),
    STEPS_PER_EPOCH,
    Argument("global_step", int, "0-based update index", ge=0),
    Argument("epoch", int, "0-based epoch index", ge=0),
    Argument("metric", float, "latest validation result"),
    Argument("metric_count", int, "validation results so far", ge=0),
)
_OPTIONAL = {"steps_per_epoch", "metric"}


def known_steps_per_epoch(ctx: RunView) -> int:
    """``ctx.steps_per_epoch``, for what cannot be worked out without it (a whole curve)."""
    if ctx.steps_per_epoch is None:
        raise ValueError("this needs ctx.steps_per_epoch: the epoch of each update must be known")
    return ctx.steps_per_epoch
