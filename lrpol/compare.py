"""Two configs' LR curves side by side, for reviewing a schedule change: where they first
part, how far apart they get, and the LR at the start, the quarters and the end of both.

Both curves are worked out on one run length, so that update s of one is update s of the
other: ``epochs`` from a flag (an argument here), else from NEW, the run the change will
train, else from OLD. Each curve starts from its own config's lr0 (its ``learning_rate``; a
Clara 4 optimizer's ``lr`` or its scheduler's ``max_lr``), the other's when it sets none, or
the flag's for both. When the two configs set different values, the comparison says so
(:attr:`Comparison.shape_changes`), and a changed ``epochs`` counts as a difference even where
the two policies agree on NEW's length.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from .config import build_run
from .config_kind import without_policy
from .context import EPOCHS, LEARNING_RATE, TrainContext
from .document import Document
from .environment import Environment, load_environment
from .errors import ConfigError, Problem
from .policy import LRPolicy
from .preview import Curve, metric_mode, simulate, synthetic_metrics
from .reading import read_document

#: Where the summary reads both curves, as fractions of the run (the end is the last update).
POINTS = (("start", 0.0), ("25%", 0.25), ("50%", 0.5), ("75%", 0.75), ("end", 1.0))


@dataclass(frozen=True)
class Side:
    """One of the two configs: its file, its policy (None when disabled or absent), the run
    settings it sets, and how it trains without a policy."""

    file: str
    policy: LRPolicy | None
    settings: dict
    no_policy: str = "disabled (the LR stays at lr0)"

    def described(self) -> str:
        return repr(self.policy) if self.policy is not None else self.no_policy


@dataclass(frozen=True)
class ShapeChange:
    """A run setting the two configs set differently (None: that config does not set it)."""

    setting: str
    old: object
    new: object


@dataclass(frozen=True)
class Point:
    """Both LRs at one update; ``relative`` is (new - old) / old, infinite when old is 0 and new is not."""

    label: str
    update: int
    epoch: int
    old: float
    new: float

    @property
    def relative(self) -> float:
        if self.new == self.old:
            return 0.0
        return (self.new - self.old) / self.old if self.old != 0 else math.copysign(math.inf, self.new)


@dataclass
class Comparison:
    """The two curves on one run shape, and what sets them apart."""

    old: Side
    new: Side
    ctx: TrainContext  # NEW's run: the length both were worked out on, and NEW's lr0
    old_curve: Curve
    new_curve: Curve
    shape_changes: list[ShapeChange] = field(default_factory=list)
    synthetic_metric: bool = False  # a policy reads metrics and none were given: the preview's stand-in was used
    old_lr0: float | None = None  # OLD's lr0, where the old curve starts from (None: NEW's)

    @property
    def curves_identical(self) -> bool:
        return self.first_difference is None

    @property
    def identical(self) -> bool:
        """The same LR at every update, and the same run length."""
        return self.curves_identical and not any(change.setting == EPOCHS.name for change in self.shape_changes)

    @cached_property
    def first_difference(self) -> Point | None:
        """The first update whose LRs differ (at all: no tolerance), or None."""
        import numpy as np

        differs = np.flatnonzero(self.old_curve.lrs != self.new_curve.lrs)
        return self.point("first difference", int(differs[0])) if len(differs) else None

    @cached_property
    def largest_difference(self) -> Point | None:
        """The update with the largest relative difference (the first of equals), or None when identical.
        Where OLD's LR is 0 and NEW's is not the difference is infinite, and the first of those is it."""
        import numpy as np

        old, new = self.old_curve.lrs, self.new_curve.lrs
        with np.errstate(divide="ignore", invalid="ignore"):
            relative = np.where(old == new, 0.0, np.abs(new - old) / np.abs(old))
        if not len(relative) or relative.max() == 0:
            return None
        return self.point("largest difference", int(np.argmax(relative)))

    def points(self) -> list[Point]:
        """Both LRs at the start, the quarters and the last update of the run."""
        last = len(self.old_curve.lrs) - 1
        return [self.point(label, math.floor(fraction * last)) for label, fraction in POINTS]

    def point(self, label: str, update: int) -> Point:
        spe = self.old_curve.steps_per_epoch
        return Point(label, update, update // spe, float(self.old_curve.lrs[update]), float(self.new_curve.lrs[update]))


class MissingSettings(ValueError):
    """Neither config (nor an argument) gives a setting the run needs; ``names`` lists them."""

    def __init__(self, names: Sequence[str]):
        self.names = tuple(names)
        super().__init__(f"neither config sets {' or '.join(self.names)}")


def compare(
    old: str | os.PathLike | Document,
    new: str | os.PathLike | Document,
    *,
    lr: float | None = None,
    epochs: int | None = None,
    steps_per_epoch: int = 1,
    metrics: Sequence[float] | None = None,
    pointer: str | None = None,
    variables: Mapping | None = None,
    environment: str | os.PathLike | Environment | None = None,
    allow_paths: Iterable[str] = (),
) -> Comparison:
    """Compare the LR curves of the configs ``old`` and ``new`` (files or parsed documents).

    ``lr`` and ``epochs`` override both configs' ``learning_rate`` and ``epochs``; ``pointer``,
    ``variables``, ``environment`` and ``allow_paths`` apply to both, as in :func:`lrpol.load`. Raises
    :class:`ConfigError` with the problems of both configs, and :class:`MissingSettings`
    when neither sets what the run needs.

    >>> import lrpol
    >>> from lrpol.document import from_mapping
    >>> entry = lambda power: from_mapping({"name": "ReducePoly", "args": {"poly_power": power}})
    >>> result = lrpol.compare(entry(1), entry(2), lr=1.0, epochs=4)
    >>> result.first_difference
    Point(label='first difference', update=1, epoch=1, old=0.75, new=0.5625)
    """
    read = None if environment is None else load_environment(environment)
    old_side, new_side = _sides(old, new, pointer=pointer, variables=variables, environment=read, allow_paths=tuple(allow_paths))
    shape, changes = _shape(old_side, new_side, lr=lr, epochs=epochs)
    old_ctx, ctx = (TrainContext(initial_lr=lr0, total_epochs=shape[EPOCHS.name], steps_per_epoch=steps_per_epoch) for lr0 in shape[LEARNING_RATE.name])
    given = None if metrics is None else list(metrics)
    readers = [side.policy for side in (old_side, new_side) if side.policy is not None and side.policy.reads_metric]
    if given is None and readers:  # both see the same results: the stand-in in the first reader's mode
        given = synthetic_metrics(ctx.total_epochs, metric_mode(readers[0]))
    curves = [simulate(side.policy, run, given) for side, run in ((old_side, old_ctx), (new_side, ctx))]
    return Comparison(old_side, new_side, ctx, curves[0], curves[1], changes, synthetic_metric=metrics is None and bool(readers), old_lr0=old_ctx.initial_lr)


def _sides(old: str | os.PathLike | Document, new: str | os.PathLike | Document, *, pointer: str | None, variables: Mapping | None, environment: Environment | None, allow_paths: Iterable[str]) -> tuple[Side, Side]:
    """Both configs read and built; the problems of both at once when either has any."""
    sides: list[Side] = []
    problems: list[Problem] = []
    for source in (old, new):
        try:
            doc = source if isinstance(source, Document) else read_document(source)
            policy, settings = build_run(doc, pointer=pointer, variables=variables, environment=environment, allow_paths=allow_paths)
            sides.append(Side(doc.file or "<config>", policy, settings, without_policy(doc.data, pointer)))
        except ConfigError as error:
            problems += error.problems
    if problems:
        raise ConfigError(problems)
    return sides[0], sides[1]


def _shape(old: Side, new: Side, *, lr: float | None, epochs: int | None) -> tuple[dict, list[ShapeChange]]:
    """The run settings the curves use (lr0 as an (old, new) pair: each its own), and those the
    configs set differently (unless an argument overrides it)."""
    shape: dict = {}
    changes = []
    for setting, given in ((LEARNING_RATE, lr), (EPOCHS, epochs)):
        was, now = old.settings.get(setting.name), new.settings.get(setting.name)
        if given is None and was != now:
            changes.append(ShapeChange(setting.name, was, now))
        value = given if given is not None else now if now is not None else was
        if value is not None and setting is LEARNING_RATE:
            value = (value, value) if given is not None else (was if was is not None else now, value)
        if value is not None:
            shape[setting.name] = value
    missing = [setting.name for setting in (LEARNING_RATE, EPOCHS) if setting.name not in shape]
    if missing:
        raise MissingSettings(missing)
    return shape, changes
