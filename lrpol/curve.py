"""The LR of every update of a run at once, as a numpy array.

``curve(policy, ctx)`` gives what :class:`LRHook` would apply at updates 0, 1, 2, ...
of a run shaped like ``ctx`` (``initial_lr``, ``total_epochs``, ``steps_per_epoch``),
with one validation result reported at the end of each epoch when ``metrics`` are
given. Closed-form policies compute it with numpy in one pass; others (user policies)
are stepped through ``evaluate`` on a fresh copy. Either way it equals step-by-step
evaluation within 1e-12 relative, and its memory and time grow with ``steps`` alone:
never with ``steps_per_epoch``, a decay period or the run's length.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from typing import Any

from .arguments import arguments_of
from .context import TrainContext
from .errors import show_value
from .hook import LRHook, checked_metric, drive
from .policy import LRPolicy


def curve(policy: LRPolicy | None, ctx: TrainContext, *, steps: int | None = None, metrics: Sequence[float] | None = None) -> Any:
    """LRs of updates 0 .. ``steps`` - 1 (default: the whole run, ``ctx.total_steps``).

    The run starts afresh: the counters and the history in ``ctx`` are ignored (and
    untouched), only its shape matters. ``metrics[e]`` is the result
    reported after epoch e; with fewer metrics than epochs, validation stops after them.
    ``policy=None`` (a disabled entry) keeps lr0.

    >>> import lrpol
    >>> ctx = lrpol.TrainContext(initial_lr=0.1, total_epochs=2, steps_per_epoch=3)
    >>> curve(lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=2), ctx)
    array([0.1  , 0.1  , 0.05 , 0.05 , 0.025, 0.025])
    """
    import numpy as np

    if ctx.steps_per_epoch is None:
        raise ValueError("curve() needs ctx.steps_per_epoch: the epoch of each update must be known")
    steps = ctx.total_steps if steps is None else steps
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {show_value(steps)}")
    metrics = None if metrics is None else [checked_metric(m) for m in metrics]
    if policy is None:
        return np.full(steps, ctx.initial_lr)
    lrs = policy.evaluate_curve(ctx, steps, metrics)
    if lrs is None:
        lrs = stepped_curve(fresh_copy(policy), ctx, steps, metrics)
    return lrs


def stepped_curve(policy: LRPolicy, ctx: TrainContext, steps: int, metrics: list[float] | None) -> Any:
    """The curve by evaluating update after update, as LRHook does (the fallback for any policy)."""
    import numpy as np

    run = TrainContext(initial_lr=ctx.initial_lr, total_epochs=ctx.total_epochs, steps_per_epoch=ctx.steps_per_epoch)
    lrs = np.empty(steps)
    for step, lr in drive(LRHook(policy, run, lambda lr: None), steps, metrics):
        lrs[step] = lr
    return lrs


def fresh_copy(policy: LRPolicy) -> LRPolicy:
    """The same policy rebuilt, nested policies included: for a user policy that keeps state of its
    own in the object (built-in policies are values and keep none)."""
    if not dataclasses.is_dataclass(policy):
        return copy.deepcopy(policy)
    # Rebuilt from its arguments, a dataclass policy starts with fresh fields of its own.
    children = {}
    for argument in arguments_of(type(policy)):
        value = getattr(policy, argument.name)
        if argument.is_policy and value is not None:
            children[argument.name] = tuple(map(fresh_copy, value)) if argument.many else fresh_copy(value)
    return dataclasses.replace(policy, **children)
