"""What the parity tests share: the LRs a peer's scheduler gives, lrpol's for the same run, and
the comparison, which also reports the largest relative difference it saw."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence

from lrpol import LRHook, LRPolicy, TrainContext, curve


def torch_lrs(make_scheduler: Callable, count: int, lr0: float, *, per_update: Callable | None = None) -> list[float]:
    """The LR a torch scheduler puts in effect for each of ``count`` updates (or epochs): read
    before each, stepped after each but the last (OneCycleLR refuses to go more than one step past
    its total). ``make_scheduler(optimizer)`` builds it on an SGD optimizer with lr0;
    ``per_update(scheduler)`` steps it instead of ``scheduler.step()``."""
    import torch

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr0, momentum=0.9)
    scheduler = make_scheduler(optimizer)
    lrs = []
    step = per_update or (lambda s: s.step())
    for i in range(count):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if i < count - 1:
            step(scheduler)
    return lrs


def lrpol_lrs(policy: LRPolicy, ctx: TrainContext, count: int | None = None, *, per_epoch: bool = False) -> list[float]:
    """lrpol's LR for each update of a run shaped like ``ctx`` (each epoch's first update, with
    ``per_epoch``), through :class:`LRHook` step by step; :func:`lrpol.curve` must give the same."""
    spe = ctx.steps_per_epoch or 1
    steps = (count * spe if per_epoch else count) if count is not None else ctx.total_epochs * spe
    stepped: list[float] = []
    hook = LRHook(policy, TrainContext(initial_lr=ctx.initial_lr, total_epochs=ctx.total_epochs, steps_per_epoch=ctx.steps_per_epoch), stepped.append)
    for _ in range(steps - 1):
        hook.step()
    whole = curve(policy, TrainContext(initial_lr=ctx.initial_lr, total_epochs=ctx.total_epochs, steps_per_epoch=ctx.steps_per_epoch), steps=steps).tolist()
    assert_matches(whole, stepped, 1e-12, what="curve against the hook")
    return stepped[::spe] if per_epoch else stepped


def relative_difference(ours: Sequence[float], theirs: Sequence[float]) -> float:
    """The largest |ours - theirs| / |theirs| (absolute where theirs is 0)."""
    assert len(ours) == len(theirs), (len(ours), len(theirs))
    return max((abs(a - b) / abs(b) if b else abs(a) for a, b in zip(ours, theirs)), default=0.0)


def assert_matches(ours: Sequence[float], theirs: Sequence[float], rel: float, *, what: str = "lrpol against the peer") -> float:
    """Every value within ``rel`` (relative; absolute at 0); the first that is not is named."""
    assert len(ours) == len(theirs), f"{what}: {len(ours)} values against {len(theirs)}"
    for index, (a, b) in enumerate(zip(ours, theirs)):
        assert math.isclose(a, b, rel_tol=rel, abs_tol=rel * 1e-3 if b == 0 else 0.0), f"{what}: update {index}: {a!r} != {b!r}"
    difference = relative_difference(ours, theirs)
    log = os.environ.get("LRPOL_PARITY_LOG")  # the figures of the README's parity table: see there
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"{os.environ.get('PYTEST_CURRENT_TEST', '?').split(' ')[0]}\t{what}\t{difference:.2g}\n")
    return difference
