"""Warmups and composites against the peers that have them: Hugging Face's get_scheduler, timm's
warmup, MONAI's WarmupCosineSchedule, Lightning Bolts' LinearWarmupCosineAnnealingLR (MONAI's
SwinUNETR recipes), and torch's ChainedScheduler and per-epoch StepLR.

Each peer is stepped as its users step it, and the LR in effect for every update (or epoch) is
compared with lrpol's, through the hook and the whole curve, within 1e-12 relative: every one of
these peers computes in float64.
"""

from __future__ import annotations

import math

import pytest
from conftest import requires_extra
from parity import assert_matches, lrpol_lrs, torch_lrs
from peers import bolts_lr_scheduler, timm_scheduler

from lrpol import (
    Clip,
    Constant,
    CosineRestarts,
    DecayOnStep,
    ExponentialDecay,
    LinearDecay,
    MultiStepDecay,
    Product,
    ReduceCosine,
    ReducePoly,
    Sequential,
    TrainContext,
    Warmup,
)

LR0 = 0.3
RUN = TrainContext(initial_lr=LR0, total_epochs=7, steps_per_epoch=13)  # T = 91 updates
T = 91


# -- Hugging Face get_scheduler: every warmup starts at exactly 0 -----------------------------------


def hf_lrs(name: str, warmup: int, count: int, **specific) -> list[float]:
    transformers = requires_extra("transformers")
    return torch_lrs(lambda optimizer: transformers.get_scheduler(name, optimizer, num_warmup_steps=warmup, num_training_steps=T, scheduler_specific_kwargs=specific or None), count, LR0)


@pytest.mark.parametrize("warmup", [1, 10, 0.07, 0.5])
@pytest.mark.parametrize(
    "name, specific, after, count",
    [
        ("linear", {}, LinearDecay(), T + 5),
        ("cosine", {}, ReduceCosine(unit="step"), T),  # HF's cosine rises again after the run; lrpol holds 0
        ("polynomial", {}, ReducePoly(poly_power=1, unit="step", min_lr=1e-7), T + 5),  # lr_end 1e-7 and power 1 by default
        ("polynomial", {"lr_end": 0.01, "power": 2.0}, ReducePoly(poly_power=2, unit="step", min_lr=0.01), T + 5),
        ("constant_with_warmup", {}, None, T + 5),
    ],
)
def test_hugging_face_schedules_with_their_warmup_from_zero(warmup, name, specific, after, count):
    # A warmup below 1 is Hugging Face's warmup_steps as a ratio of the run: ceil(T * ratio) updates,
    # as TrainingArguments.get_warmup_steps works it out; lrpol's fraction of the run is the same.
    steps = warmup if warmup >= 1 else math.ceil(T * warmup)
    theirs = hf_lrs(name, steps, count, **specific)
    ours = lrpol_lrs(Warmup(duration=warmup, start_factor=0, policy=after), RUN, count)
    assert ours[0] == 0.0
    assert_matches(ours, theirs, 1e-12)


@pytest.mark.parametrize("name, policy", [("linear", LinearDecay()), ("cosine", ReduceCosine(unit="step")), ("constant", Constant())])
def test_hugging_face_schedules_without_a_warmup(name, policy):
    assert_matches(lrpol_lrs(policy, RUN, T), hf_lrs(name, 0, T), 1e-12)


# -- timm: its warmup climbs to lr0 while the schedule runs on the run's clock ---------------------


@pytest.mark.parametrize("warmup_t, warmup_lr_init", [(5, 0.0), (12, 1e-4), (1, 0.03)])
@pytest.mark.parametrize("lr_min", [0.0, 1e-3])
def test_timm_cosine_with_its_warmup_per_update(warmup_t, warmup_lr_init, lr_min):
    scheduler = timm_scheduler()

    def make(optimizer):
        return scheduler.CosineLRScheduler(optimizer, t_initial=T, lr_min=lr_min, warmup_t=warmup_t, warmup_lr_init=warmup_lr_init, t_in_epochs=False)

    updates = iter(range(1, 10**6))
    theirs = torch_lrs(make, T + 4, LR0, per_update=lambda s: s.step_update(next(updates)))
    policy = Warmup(duration=warmup_t, start_factor=warmup_lr_init / LR0, ramp_to="lr0", clock="global", policy=ReduceCosine(unit="step", min_lr=lr_min))
    assert_matches(lrpol_lrs(policy, RUN, T + 4), theirs, 1e-12)


def test_timm_warmup_per_epoch():
    scheduler = timm_scheduler()
    epochs = iter(range(1, 10**6))
    theirs = torch_lrs(lambda o: scheduler.CosineLRScheduler(o, t_initial=7, warmup_t=3, warmup_lr_init=0.01), 7, LR0, per_update=lambda s: s.step(next(epochs)))
    policy = Warmup(duration=3, unit="epoch", start_factor=0.01 / LR0, ramp_to="lr0", clock="global", policy=ReduceCosine())
    assert_matches(lrpol_lrs(policy, RUN, 7, per_epoch=True), theirs, 1e-12)


def test_the_ramp_scales_the_live_target_unless_it_ramps_to_lr0():
    cosine = ReduceCosine(unit="step")
    live = lrpol_lrs(Warmup(duration=10, start_factor=0, clock="global", policy=cosine), RUN, 12)
    to_lr0 = lrpol_lrs(Warmup(duration=10, start_factor=0, clock="global", ramp_to="lr0", policy=cosine), RUN, 12)
    target = lrpol_lrs(cosine, RUN, 12)
    assert live[:10] == [target[t] * (t / 10) for t in range(10)]  # meets the cosine at the seam
    assert to_lr0[:10] == [LR0 * (t / 10) for t in range(10)]  # timm's: climbs to lr0 whatever the cosine does
    assert live[10:] == to_lr0[10:] == target[10:]


# -- MONAI ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("warmup, multiplier, end_lr", [(10, 0.0, 0.0), (10, 0.1, 0.05), (1, 0.5, 0.0), (30, 0.0, 0.2)])
def test_monai_warmup_cosine_schedule(warmup, multiplier, end_lr):
    optimizers = requires_extra("monai", "monai.optimizers")
    theirs = torch_lrs(lambda o: optimizers.WarmupCosineSchedule(o, warmup_steps=warmup, t_total=T, end_lr=end_lr, warmup_multiplier=multiplier), T, LR0)
    policy = Warmup(duration=warmup, start_factor=multiplier, policy=Clip(policy=ReduceCosine(unit="step"), min_lr=end_lr))
    assert_matches(lrpol_lrs(policy, RUN, T), theirs, 1e-12)


@pytest.mark.parametrize("cycles", [1.0, 1.5, 3])
def test_monai_warmup_cosine_schedule_with_more_cycles_is_whole_waves(cycles):
    # MONAI's cycles c: the cosine of pi * c * 2 * progress, as Hugging Face's num_cycles.
    optimizers = requires_extra("monai", "monai.optimizers")
    theirs = torch_lrs(lambda o: optimizers.WarmupCosineSchedule(o, warmup_steps=7, t_total=T, end_lr=0.01, cycles=cycles, warmup_multiplier=0.1), T, LR0)
    policy = Warmup(duration=7, start_factor=0.1, policy=Clip(policy=CosineRestarts(periods=cycles, wave="full"), min_lr=0.01))
    assert_matches(lrpol_lrs(policy, RUN, T), theirs, 1e-12)


@pytest.mark.parametrize("warmup_epochs, warmup_start_lr, eta_min", [(3, 0.0, 0.0), (2, 0.01, 1e-4), (5, 1e-3, 0.0)])
def test_lightning_bolts_linear_warmup_cosine_annealing_per_epoch(warmup_epochs, warmup_start_lr, eta_min):
    # Bolts ramps over W - 1 epochs, so that epochs W - 1 and W both run at lr0, then anneals
    # over the remaining T - W: a Warmup of W - 1 epochs in a phase of W, then the cosine.
    bolts = bolts_lr_scheduler()
    epochs = 40
    run = TrainContext(initial_lr=LR0, total_epochs=epochs, steps_per_epoch=3)
    theirs = torch_lrs(lambda o: bolts.LinearWarmupCosineAnnealingLR(o, warmup_epochs=warmup_epochs, max_epochs=epochs, warmup_start_lr=warmup_start_lr, eta_min=eta_min), epochs, LR0)
    policy = Sequential(
        policies=(Warmup(duration=warmup_epochs - 1, unit="epoch", start_factor=warmup_start_lr / LR0), ReduceCosine(min_lr=eta_min)),
        milestones=(warmup_epochs,),
        unit="epoch",
    )
    assert_matches(lrpol_lrs(policy, run, epochs, per_epoch=True), theirs, 1e-12)


# -- torch: products of schedules (ChainedScheduler), StepLR per epoch ------------------------------


@pytest.mark.parametrize(
    "make, factors",
    [
        (lambda o, lr: [lr.CosineAnnealingLR(o, T_max=T), lr.StepLR(o, step_size=10, gamma=0.5)], (ReduceCosine(unit="step"), DecayOnStep(decay_ratio=0.5, decay_freq=10))),
        (lambda o, lr: [lr.ExponentialLR(o, gamma=0.98), lr.MultiStepLR(o, milestones=[20, 50], gamma=0.3)], (ExponentialDecay(gamma=0.98), MultiStepDecay(milestones=(20, 50), gamma=0.3))),
        (
            lambda o, lr: [lr.LinearLR(o, start_factor=0.1, total_iters=8), lr.PolynomialLR(o, total_iters=T, power=1.5), lr.ConstantLR(o, factor=0.5, total_iters=30)],
            (LinearDecay(start_factor=0.1, end_factor=1.0, duration=8), ReducePoly(poly_power=1.5, unit="step"), Constant(factor=0.5, duration=30)),
        ),
    ],
)
def test_products_are_torch_chained_schedulers(make, factors):
    torch = requires_extra("torch")
    lr = torch.optim.lr_scheduler
    theirs = torch_lrs(lambda o: lr.ChainedScheduler(make(o, lr)), T, LR0)
    assert_matches(lrpol_lrs(Product(policies=factors), RUN, T), theirs, 1e-12)


def test_decay_on_step_per_epoch_is_torch_step_lr_stepped_per_epoch():
    torch = requires_extra("torch")
    run = TrainContext(initial_lr=LR0, total_epochs=30, steps_per_epoch=4)
    theirs = torch_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.3), 30, LR0)
    assert_matches(lrpol_lrs(DecayOnStep(decay_ratio=0.3, decay_freq=7, unit="epoch"), run, 30, per_epoch=True), theirs, 1e-12)
