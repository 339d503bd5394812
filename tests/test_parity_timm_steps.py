"""Parity of the step decays with timm's MultiStepLRScheduler and StepLRScheduler (warmup_t=0).

The mapping (T: the run's length in the unit; timm stepped per epoch with t_in_epochs=True,
per update with t_in_epochs=False and step_update):
- MultiStepLRScheduler(decay_t=[m...], decay_rate=g) == MultiStepDecay(milestones=[m - 1 ...], gamma=g):
  timm applies milestone m from t = m - 1 (it counts milestones <= t + 1, a convention it keeps).
- StepLRScheduler(decay_t=d, decay_rate=g), d an integer == DecayOnStep(decay_ratio=g, decay_freq=d,
  unit="epoch" if t_in_epochs else "step").
- StepLRScheduler with a float decay_t (timm's 2.4-epoch recipes; per update, 2.4 * 7 updates per
  epoch is the float 16.8, a little above 16.8): timm decays when t // d grows, at t = ceil(k * d)
  for the exact value of the float d, so MultiStepDecay(milestones=[ceil(k * d) ...]) is the same.
Noise over each is timm's noise on the scheduler. Compared at every update, through the hook and
lrpol.curve, at rel 1e-12 (timm computes in float64).
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from conftest import requires_extra
from parity import assert_matches
from peers import timm_scheduler

from lrpol import DecayOnStep, LRHook, MultiStepDecay, Noise, TrainContext, curve
from lrpol.hook import drive

torch = requires_extra("torch")

LR0 = 0.1


@pytest.fixture(scope="module")
def timm():
    return timm_scheduler()


def timm_lrs(make, per_epoch: bool, count: int) -> list[float]:
    """timm's LR for t = 0 .. count - 1: what step(t) (per epoch) or step_update(t) sets."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR0)
    scheduler = make(optimizer)
    lrs = []
    for t in range(count):
        (scheduler.step if per_epoch else scheduler.step_update)(t)
        lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


def assert_same_run(policy, theirs: list[float], per_epoch: bool, spe: int) -> None:
    """The hook's LR and curve's at every update of a run of len(theirs) units (and a few after
    for the hook and curve alike) equal timm's for the unit that update is in."""
    units = len(theirs)
    epochs = units if per_epoch else units // spe
    expected = [theirs[step // spe] for step in range(units * spe)] if per_epoch else theirs
    steps = len(expected)

    def fresh() -> TrainContext:
        return TrainContext(initial_lr=LR0, total_epochs=epochs, steps_per_epoch=spe)

    hook = [lr for _, lr in drive(LRHook(policy, fresh(), lambda lr: None), steps)]
    assert_matches(hook, expected, 1e-12, what="the hook against timm")
    assert_matches(curve(policy, fresh(), steps=steps).tolist(), expected, 1e-12, what="curve against timm")


MULTISTEP = [[30, 80, 81, 300], [2], list(range(50, 1200, 50)), [1199]]


@pytest.mark.parametrize("decay_t", MULTISTEP, ids=str)
def test_multistep_per_update_is_timms_with_each_milestone_one_earlier(timm, decay_t):
    theirs = timm_lrs(lambda o: timm.MultiStepLRScheduler(o, decay_t=decay_t, decay_rate=0.3, t_in_epochs=False), False, 1200)
    policy = MultiStepDecay(milestones=[m - 1 for m in decay_t], gamma=0.3)
    assert_same_run(policy, theirs, per_epoch=False, spe=120)


def test_multistep_per_epoch_is_timms_with_each_milestone_one_earlier(timm):
    theirs = timm_lrs(lambda o: timm.MultiStepLRScheduler(o, decay_t=[10, 40, 99], decay_rate=0.5), True, 100)
    assert_same_run(MultiStepDecay(milestones=[9, 39, 98], gamma=0.5, unit="epoch"), theirs, per_epoch=True, spe=3)
    assert theirs[8:10] == [LR0, LR0 * 0.5]  # milestone 10 applies from t = 9


def test_multistep_with_timms_noise(timm):
    make = lambda o: timm.MultiStepLRScheduler(o, decay_t=[300, 700], decay_rate=0.1, t_in_epochs=False, noise_range_t=(100, 1000), noise_pct=0.2, noise_std=0.4, noise_seed=17)
    theirs = timm_lrs(make, False, 1200)
    policy = Noise(policy=MultiStepDecay(milestones=[299, 699], gamma=0.1), start=100, end=1000, limit=0.2, std=0.4, seed=17)
    assert_same_run(policy, theirs, per_epoch=False, spe=120)


@pytest.mark.parametrize("decay_t, rate", [(30, 0.5), (1, 0.99), (250, 0.1), (5000, 0.5)])
def test_step_per_update_is_decay_on_step(timm, decay_t, rate):
    theirs = timm_lrs(lambda o: timm.StepLRScheduler(o, decay_t=decay_t, decay_rate=rate, t_in_epochs=False), False, 1200)
    assert_same_run(DecayOnStep(decay_ratio=rate, decay_freq=decay_t), theirs, per_epoch=False, spe=120)


@pytest.mark.parametrize("decay_t, rate", [(7, 0.8), (1, 0.97), (30, 0.1)])
def test_step_per_epoch_is_decay_on_step_per_epoch(timm, decay_t, rate):
    theirs = timm_lrs(lambda o: timm.StepLRScheduler(o, decay_t=decay_t, decay_rate=rate), True, 100)
    assert_same_run(DecayOnStep(decay_ratio=rate, decay_freq=decay_t, unit="epoch"), theirs, per_epoch=True, spe=3)


@pytest.mark.parametrize("per_epoch, decay_t", [(True, 2.4), (False, 2.4 * 7)], ids=["2.4 epochs", "2.4 epochs of 7 updates"])
def test_step_with_a_float_interval_is_multistep_at_each_ceiling(timm, per_epoch, decay_t):
    count = 100 if per_epoch else 700
    theirs = timm_lrs(lambda o: timm.StepLRScheduler(o, decay_t=decay_t, decay_rate=0.97, t_in_epochs=per_epoch), per_epoch, count)
    exact = Fraction(decay_t)  # the float's own value: 2.4 * 7 is a little above 16.8
    milestones = [math.ceil(k * exact) for k in range(1, int(count / decay_t) + 1)]
    if not per_epoch:
        assert milestones[:5] == [17, 34, 51, 68, 85]  # 85, not 84: 5 * 16.8 is a little above 84 too
    policy = MultiStepDecay(milestones=milestones, gamma=0.97, unit="epoch" if per_epoch else "step")
    assert_same_run(policy, theirs, per_epoch=per_epoch, spe=3 if per_epoch else 7)


def test_step_with_timms_noise_per_epoch(timm):
    make = lambda o: timm.StepLRScheduler(o, decay_t=10, decay_rate=0.5, noise_range_t=3, noise_pct=0.67, noise_seed=1)
    theirs = timm_lrs(make, True, 60)
    policy = Noise(policy=DecayOnStep(decay_ratio=0.5, decay_freq=10, unit="epoch"), start=3, end=10**6, unit="epoch", seed=1)
    assert_same_run(policy, theirs, per_epoch=True, spe=2)
