"""The torch schedulers Clara 4 names (lrpol.torch_schedulers) against torch itself: the same
arguments are handed to torch's scheduler, stepped per update or per epoch as Clara's
LrScheduleHandler steps it, and to the lrpol policy ``native(unit)`` translates them to; the LR
of every update must agree within 1e-12 (relative)."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import requires_extra
from parity import assert_matches, lrpol_lrs, torch_lrs

from lrpol import TrainContext
from lrpol.arguments import ArgumentError
from lrpol.policy import LRPolicy
from lrpol.torch_schedulers import (
    TORCH_SCHEDULERS,
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    PolynomialLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
    TorchScheduler,
)

LR0 = 0.01
#: Clara's own arguments, not torch's: they never reach the torch constructor.
NOT_TORCH = ("optimizer", "verbose")


def torch_scheduler(spec: TorchScheduler, optimizer: object) -> object:
    """torch's scheduler of the same name, built from the same arguments (nested ones too)."""
    import torch

    arguments = {}
    for field in dataclasses.fields(spec):
        if field.name in NOT_TORCH:
            continue
        value = getattr(spec, field.name)
        if field.name == "schedulers":
            value = [torch_scheduler(item, optimizer) for item in value]
        elif isinstance(value, tuple):
            value = list(value)
        arguments[field.name] = value
    return getattr(torch.optim.lr_scheduler, type(spec).__name__)(optimizer=optimizer, **arguments)


CASES = [
    StepLR(step_size=7, gamma=0.5),
    StepLR(step_size=5000),  # Clara 4's most common entry: never decays when stepped per epoch
    MultiStepLR(milestones=(3, 10, 11, 40), gamma=0.3),
    ExponentialLR(gamma=0.97),
    ConstantLR(),
    ConstantLR(factor=0.2, total_iters=13),
    LinearLR(),
    LinearLR(start_factor=0.01, end_factor=0.5, total_iters=30),
    PolynomialLR(total_iters=40, power=2.0),
    CosineAnnealingLR(T_max=60),
    CosineAnnealingLR(T_max=17, eta_min=1e-4),  # past T_max: torch's rise, by its own recursion
    CosineAnnealingWarmRestarts(T_0=9, T_mult=2, eta_min=1e-5),
    CosineAnnealingWarmRestarts(T_0=25),
    OneCycleLR(max_lr=0.05, total_steps=90),
    OneCycleLR(max_lr=0.2, epochs=9, steps_per_epoch=10, pct_start=0.25, anneal_strategy="linear", three_phase=True, div_factor=10.0, final_div_factor=100.0),
    CyclicLR(base_lr=0.001, max_lr=0.02, step_size_up=8),
    CyclicLR(base_lr=0.001, max_lr=0.02, step_size_up=5, step_size_down=11, mode="triangular2"),
    CyclicLR(base_lr=0.0, max_lr=0.02, step_size_up=6, mode="exp_range", gamma=0.99),
    SequentialLR(schedulers=(LinearLR(start_factor=0.1, total_iters=10), CosineAnnealingLR(T_max=80)), milestones=(10,)),
    SequentialLR(schedulers=(ConstantLR(factor=0.5, total_iters=100), ExponentialLR(gamma=0.95), StepLR(step_size=4)), milestones=(12, 30)),
    SequentialLR(schedulers=(StepLR(step_size=3),), milestones=()),
    ChainedScheduler(schedulers=(LinearLR(start_factor=0.2, total_iters=8), ExponentialLR(gamma=0.98))),
    ChainedScheduler(schedulers=(StepLR(step_size=10),)),
    ChainedScheduler(schedulers=(LinearLR(start_factor=0.1, total_iters=10), CosineAnnealingLR(T_max=90))),  # a cosine without a floor multiplies, up to T_max
]


@pytest.mark.parametrize("unit", ["step", "epoch"])
@pytest.mark.parametrize("spec", CASES, ids=repr)
def test_native_policy_equals_torch_stepped_the_same_way(spec: TorchScheduler, unit: str):
    requires_extra("torch")
    count = 90  # updates, or epochs
    ctx = TrainContext(initial_lr=spec.initial_lr(LR0), total_epochs=count, steps_per_epoch=3) if unit == "epoch" else TrainContext(initial_lr=spec.initial_lr(LR0), total_epochs=1, steps_per_epoch=count)
    theirs = torch_lrs(lambda optimizer: torch_scheduler(spec, optimizer), count, LR0)
    ours = lrpol_lrs(spec.native(unit), ctx, count, per_epoch=unit == "epoch")
    assert_matches(ours, theirs, 1e-12, what=f"{spec!r} per {unit}")


def test_every_scheduler_in_the_table_is_tested():
    assert {type(spec).__name__ for spec in CASES} | {"ReduceLROnPlateau"} == set(TORCH_SCHEDULERS)


def test_plateau_translates_patience_to_a_trigger_one_higher_and_keeps_the_rest():
    policy = ReduceLROnPlateau(mode="max", factor=0.5, patience=3, threshold=0.01, threshold_mode="abs", cooldown=2, min_lr=1e-6, eps=1e-9).native("epoch")
    assert repr(policy) == "ReduceOnPlateau(plateau_count_trigger=4, reduction_rate=0.5, threshold=0.01, threshold_mode='abs', min_lr=1e-06, cooldown=2, eps=1e-09)"


def test_cycling_schedulers_start_from_their_own_peak_not_the_optimizers_lr():
    assert OneCycleLR(max_lr=0.3, total_steps=10).initial_lr(0.01) == 0.3
    assert CyclicLR(base_lr=0.1, max_lr=0.4).initial_lr(0.01) == 0.4
    assert StepLR(step_size=2).initial_lr(0.01) == 0.01


def test_native_policies_pass_through_sequential_and_chained_unchanged():
    from lrpol import Constant, DecayOnStep

    native = DecayOnStep(decay_ratio=0.5, decay_freq=2, unit="epoch")
    policy = SequentialLR(schedulers=(Constant(factor=0.5, duration=3, unit="epoch"), native), milestones=(3,)).native("epoch")
    assert isinstance(policy, LRPolicy) and policy.policies[1] is native


@pytest.mark.parametrize("make, message", [
    (lambda: StepLR(step_size=0), "step_size: must be >= 1, got 0"),
    (lambda: StepLR(step_size=2, optimizer="@other"), "optimizer:"),
    (lambda: StepLR(step_size=2, last_epoch=4), "last_epoch: must be >= -1 and <= -1, got 4"),
    (lambda: OneCycleLR(max_lr=0.1, epochs=3), "total_steps: OneCycleLR needs total_steps, or epochs and steps_per_epoch"),
    (lambda: CyclicLR(base_lr=0.2, max_lr=0.1), "base_lr: base_lr (0.2) is above max_lr (0.1)"),
    (lambda: SequentialLR(schedulers=(StepLR(step_size=2), ExponentialLR(gamma=0.9)), milestones=()), "milestones: 2 scheduler(s) need 1 milestone(s), got 0"),
    (lambda: SequentialLR(schedulers=(StepLR(step_size=2), OneCycleLR(max_lr=0.1, total_steps=9)), milestones=(3,)), "schedulers[1]: SequentialLR cannot hold OneCycleLR"),
    (lambda: ChainedScheduler(schedulers=(ReduceLROnPlateau(),)), "schedulers[0]: ChainedScheduler cannot hold ReduceLROnPlateau"),
    # torch applies a cosine's step to the LR the others set: no product of factors
    (lambda: ChainedScheduler(schedulers=(LinearLR(), CosineAnnealingLR(T_max=9, eta_min=1e-6))), "schedulers[1]: ChainedScheduler cannot hold CosineAnnealingLR: with an eta_min its step adds to the LR"),
    (lambda: ChainedScheduler(schedulers=(CosineAnnealingWarmRestarts(T_0=4), ExponentialLR(gamma=0.9))), "schedulers[0]: ChainedScheduler cannot hold CosineAnnealingWarmRestarts"),
    (lambda: ChainedScheduler(schedulers=(StepLR(step_size=2), SequentialLR(schedulers=(StepLR(step_size=3),), milestones=()))), "schedulers[1]: ChainedScheduler cannot hold SequentialLR"),
    # torch restarts a later phase with step(0), which these refuse (NotImplementedError)
    (lambda: SequentialLR(schedulers=(StepLR(step_size=2), ChainedScheduler(schedulers=(StepLR(step_size=3),))), milestones=(3,)), "schedulers[1]: SequentialLR cannot hold ChainedScheduler: torch restarts"),
    (lambda: SequentialLR(schedulers=(SequentialLR(schedulers=(StepLR(step_size=3),), milestones=()), StepLR(step_size=2)), milestones=(3,)), "schedulers[0]: SequentialLR cannot hold SequentialLR"),
    (lambda: ConstantLR(factor=0.0), "factor: must be > 0 and <= 1, got 0"),  # torch divides by it at total_iters
    (lambda: OneCycleLR(max_lr=0.1, total_steps=4, pct_start=0.25), "pct_start: pct_start 0.25 over 4 steps gives a phase of no steps"),
    (lambda: OneCycleLR(max_lr=0.1, total_steps=10, pct_start=1.0), "pct_start: pct_start 1.0 over 10 steps gives a phase of no steps"),
])
def test_arguments_torch_would_refuse_or_lrpol_cannot_follow_are_refused_by_name(make, message):
    with pytest.raises(ArgumentError) as caught:
        make()
    assert str(caught.value).startswith(message)


def test_a_chain_of_one_is_that_scheduler_whatever_it_is():
    requires_extra("torch")
    spec = ChainedScheduler(schedulers=(CosineAnnealingLR(T_max=9, eta_min=1e-4),))
    theirs = torch_lrs(lambda optimizer: torch_scheduler(spec, optimizer), 30, LR0)
    assert_matches(lrpol_lrs(spec.native("step"), TrainContext(initial_lr=LR0, total_epochs=1, steps_per_epoch=30), 30), theirs, 1e-12)


def test_a_growing_exponential_lr_grows_as_torch_does_without_a_ceiling():
    requires_extra("torch")
    spec = ExponentialLR(gamma=1.05)
    theirs = torch_lrs(lambda optimizer: torch_scheduler(spec, optimizer), 200, LR0)
    assert_matches(lrpol_lrs(spec.native("step"), TrainContext(initial_lr=LR0, total_epochs=1, steps_per_epoch=200), 200), theirs, 1e-12)
    assert theirs[-1] > 100 * LR0


def test_a_chain_follows_torch_only_up_to_its_cosines_t_max():
    spec = ChainedScheduler(schedulers=(StepLR(step_size=4), CosineAnnealingLR(T_max=30)))
    limit = spec.step_limit()
    assert limit is not None and limit.steps == 31 and limit.reason.startswith("past T_max (30) torch's CosineAnnealingLR adds to the LR")
    assert ChainedScheduler(schedulers=(CosineAnnealingLR(T_max=30),)).step_limit() is None  # alone, it is itself
    assert OneCycleLR(max_lr=0.1, total_steps=50).step_limit().steps == 50  # type: ignore[union-attr]
