"""Schedules for an optimizer's other hyperparameters: momentum (or Adam's beta1), weight decay.

Any policy that does not read validation results schedules them as it schedules an LR, with the
hyperparameter's value when the run starts in place of lr0: ``ReduceCosine(unit="step",
min_lr=0.4)`` from a weight decay of 0.04 is DINO's cosine weight decay, and
``OneCycleMomentum`` is torch's OneCycleLR momentum cycling. A train config holds them beside
``lr_policy``, as ``train.momentum_policy`` and ``train.weight_decay_policy``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from .clock import run_phase
from .context import RunView, TrainContext
from .policy import LRPolicy

#: Where a train config holds each schedule, by the hyperparameter it sets.
CONFIG_KEYS = {"momentum": "momentum_policy", "weight_decay": "weight_decay_policy"}
#: Where a train config holds the policies of param groups that do not follow ``lr_policy``: a
#: list with an entry (or null, to follow it) per param group, as torch's LambdaLR takes a list.
GROUP_POLICIES_KEY = "group_lr_policies"


def value_function(policy: LRPolicy, ctx: TrainContext, initial: float, name: str = "the hyperparameter") -> Callable[[RunView], float]:
    """The value of ``name`` at each update of a run shaped like ``ctx``: ``policy`` with
    ``initial`` as its lr0, as a function of the run's counters (read from the context it is
    called with). A ValueError when the policy reads validation results, which belong to the LR.

    >>> from lrpol import ReduceCosine
    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=1, steps_per_epoch=4)
    >>> weight_decay = value_function(ReduceCosine(unit="step", min_lr=0.4), ctx, 0.04, "weight_decay")
    >>> [round(weight_decay(replace(ctx, global_step=s)), 12) for s in range(5)]
    [0.04, 0.092720779386, 0.22, 0.347279220614, 0.4]
    """
    if not initial > 0:
        raise ValueError(f"{name}: a schedule scales its initial value, which must be > 0, got {initial}")
    if policy.reads_metric:
        raise ValueError(f"{name}: a schedule for it cannot read validation results ({policy!r}); only the LR's policy can")
    shaped = replace(ctx, initial_lr=initial, history={}, metric=None, metric_count=0)
    # A bound function has lr0 worked in. Without one (a policy of the user's own, or a composite
    # over one) the policy reads lr0 from the context it is handed, on every update: hand it one
    # with the initial value. (bind() would then run it on the run's own context, and its lr0.)
    if policy.bind_phase(run_phase(shaped), shaped) is None:
        return lambda c: policy.evaluate(replace(c, initial_lr=initial, history={}))  # type: ignore[type-var]
    return policy.bind(shaped)
