"""TrainContext: the few numbers a policy reads about the run."""

from __future__ import annotations

import math
from dataclasses import dataclass


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

    def __post_init__(self) -> None:
        if isinstance(self.initial_lr, bool) or not isinstance(self.initial_lr, (int, float)):
            raise ValueError(f"initial_lr: expected a number, got {self.initial_lr!r}")
        if not (math.isfinite(self.initial_lr) and self.initial_lr > 0):
            raise ValueError(f"initial_lr: must be a finite number > 0, got {self.initial_lr!r}")
        self.initial_lr = float(self.initial_lr)
        _check_count("total_epochs", self.total_epochs, minimum=1)
        if self.steps_per_epoch is not None:
            _check_count("steps_per_epoch", self.steps_per_epoch, minimum=1)
        _check_count("global_step", self.global_step, minimum=0)
        _check_count("epoch", self.epoch, minimum=0)
        _check_count("metric_count", self.metric_count, minimum=0)
        if self.metric is not None and (isinstance(self.metric, bool) or not isinstance(self.metric, (int, float)) or not math.isfinite(self.metric)):
            raise ValueError(f"metric: must be None or a finite number, got {self.metric!r}")

    @property
    def total_steps(self) -> int | None:
        """Updates in the whole run, when ``steps_per_epoch`` is known."""
        if self.steps_per_epoch is None:
            return None
        return self.total_epochs * self.steps_per_epoch


def _check_count(name: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name}: expected an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name}: must be >= {minimum}, got {value}")
