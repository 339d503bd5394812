"""Parity of the torch-standard policies with torch.optim.lr_scheduler, over 1,000+ updates or epochs.

The mapping, also stated in the policies' docstrings (T: the run's length in the policy's unit):
- MultiStepDecay(m, g)              == MultiStepLR(milestones=m, gamma=g)
- ExponentialDecay(g)               == ExponentialLR(gamma=g)
- Constant(f, D)                    == ConstantLR(factor=f, total_iters=D)
- LinearDecay(s, e, D)              == LinearLR(start_factor=s, end_factor=e, total_iters=D or T)
- CosineRestarts(p, m, min_lr)      == CosineAnnealingWarmRestarts(T_0=p, T_mult=m, eta_min=min_lr)
- OneCycle(pct, div, final, a, 3p)  == OneCycleLR(max_lr=lr0, total_steps=T, ...), up to the end of the run
Each scheduler is stepped once per update for unit="step", once per epoch for unit="epoch", and
the LR in effect before each update (or epoch) is compared. torch computes most of these
recursively, so its values differ from the closed forms in the last bits: compare at rel 1e-12.
"""

import itertools
from dataclasses import replace

import parity
import pytest
from conftest import requires_extra

from lrpol import TrainContext
from lrpol.policies import (
    Constant,
    CosineRestarts,
    ExponentialDecay,
    LinearDecay,
    MultiStepDecay,
    OneCycle,
)

torch = requires_extra("torch")
from torch.optim import lr_scheduler  # noqa: E402

LR0 = 0.1
STEPS = TrainContext(initial_lr=LR0, total_epochs=10, steps_per_epoch=120)  # T = 1,200 updates
EPOCHS = TrainContext(initial_lr=LR0, total_epochs=1000, steps_per_epoch=3)  # T = 1,000 epochs


def torch_lrs(make_scheduler, count):
    """The LR torch gives for each of ``count`` updates (or epochs)."""
    return parity.torch_lrs(make_scheduler, count, LR0)


def our_lrs(policy, ctx, count):
    """Ours for the same ``count`` updates, or epochs for unit="epoch"."""
    spe = ctx.steps_per_epoch
    if policy.unit == "epoch":
        return [policy.evaluate(replace(ctx, epoch=e, global_step=e * spe)) for e in range(count)]
    return [policy.evaluate(replace(ctx, global_step=s, epoch=s // spe)) for s in range(count)]


def assert_close(ours, theirs):
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-300), f"index {i}: {a!r} != {b!r}"


S = lr_scheduler

CASES = [
    # (policy, torch scheduler, how many updates or epochs to compare)
    (MultiStepDecay(milestones=[100, 300, 301, 900], gamma=0.3), lambda o: S.MultiStepLR(o, [100, 300, 301, 900], 0.3), 1200),
    (MultiStepDecay(milestones=[1], gamma=0.5), lambda o: S.MultiStepLR(o, [1], 0.5), 1200),
    (MultiStepDecay(milestones=list(range(50, 1200, 50)), gamma=0.9), lambda o: S.MultiStepLR(o, list(range(50, 1200, 50)), 0.9), 1200),
    (MultiStepDecay(milestones=[10, 400, 999], gamma=0.1, unit="epoch"), lambda o: S.MultiStepLR(o, [10, 400, 999], 0.1), 1000),
    (ExponentialDecay(gamma=0.97), lambda o: S.ExponentialLR(o, 0.97), 1200),
    (ExponentialDecay(gamma=0.999), lambda o: S.ExponentialLR(o, 0.999), 1200),
    (ExponentialDecay(gamma=1.0), lambda o: S.ExponentialLR(o, 1.0), 1200),
    (ExponentialDecay(gamma=0.995, unit="epoch"), lambda o: S.ExponentialLR(o, 0.995), 1000),
    (Constant(factor=0.3, duration=500), lambda o: S.ConstantLR(o, 0.3, 500), 1200),
    (Constant(factor=0.25, duration=1), lambda o: S.ConstantLR(o, 0.25, 1), 1200),
    (Constant(factor=0.5), lambda o: S.ConstantLR(o, 0.5, 10**9), 1200),
    (Constant(), lambda o: S.ConstantLR(o, 1.0, 10**9), 1200),
    (Constant(factor=0.1, duration=37, unit="epoch"), lambda o: S.ConstantLR(o, 0.1, 37), 1000),
    (LinearDecay(), lambda o: S.LinearLR(o, 1.0, 0.0, 1200), 1210),
    (LinearDecay(start_factor=0.01, end_factor=1.0, duration=1000), lambda o: S.LinearLR(o, 0.01, 1.0, 1000), 1200),
    (LinearDecay(start_factor=0.7, end_factor=0.1, duration=1100), lambda o: S.LinearLR(o, 0.7, 0.1, 1100), 1200),
    (LinearDecay(start_factor=1.0, end_factor=0.5, duration=1), lambda o: S.LinearLR(o, 1.0, 0.5, 1), 1200),
    (LinearDecay(unit="epoch"), lambda o: S.LinearLR(o, 1.0, 0.0, 1000), 1005),
    (CosineRestarts(period=7, min_lr=1e-4), lambda o: S.CosineAnnealingWarmRestarts(o, 7, 1, 1e-4), 1200),
    (CosineRestarts(period=100), lambda o: S.CosineAnnealingWarmRestarts(o, 100), 1200),
    (CosineRestarts(period=5, period_mult=3), lambda o: S.CosineAnnealingWarmRestarts(o, 5, 3), 1200),
    (CosineRestarts(period=1, period_mult=2), lambda o: S.CosineAnnealingWarmRestarts(o, 1, 2), 1200),
    (CosineRestarts(period=10, period_mult=2, min_lr=1e-3), lambda o: S.CosineAnnealingWarmRestarts(o, 10, 2, 1e-3), 1200),
    (CosineRestarts(period=20, period_mult=2, unit="epoch"), lambda o: S.CosineAnnealingWarmRestarts(o, 20, 2), 1000),
]


def one_cycle_case(pct_start, anneal, three_phase, div_factor=25.0, final_div_factor=1e4, unit="step"):
    total = STEPS.total_steps if unit == "step" else EPOCHS.total_epochs
    policy = OneCycle(pct_start=pct_start, div_factor=div_factor, final_div_factor=final_div_factor, anneal=anneal, three_phase=three_phase, unit=unit)

    def scheduler(optimizer):
        return S.OneCycleLR(
            optimizer, max_lr=LR0, total_steps=total, pct_start=pct_start, anneal_strategy=anneal,
            div_factor=div_factor, final_div_factor=final_div_factor, three_phase=three_phase,
        )

    return policy, scheduler, total


# pct_start 0.001 * 1200 = 1.2: a warm-up shorter than two updates; 0.7 with three phases cuts the last off
CASES += [one_cycle_case(*args) for args in itertools.product([0.3, 0.25, 0.0, 0.001, 0.45, 0.7, 1.0], ["cos", "linear"], [False, True])]
CASES += [
    one_cycle_case(0.3, "cos", False, div_factor=10.0, final_div_factor=100.0),
    one_cycle_case(0.4, "linear", True, div_factor=1.0, final_div_factor=1.0),
    one_cycle_case(0.3, "cos", False, unit="epoch"),
    one_cycle_case(0.25, "linear", True, unit="epoch"),
]


def _id(case):
    policy = case[0]
    return f"{policy!r}".replace(" ", "")


@pytest.mark.parametrize("policy, scheduler, count", CASES, ids=[_id(c) for c in CASES])
def test_equals_torch(policy, scheduler, count):
    ctx = STEPS if policy.unit == "step" else EPOCHS
    assert count >= 1000
    assert_close(our_lrs(policy, ctx, count), torch_lrs(scheduler, count))


def test_one_cycle_holds_the_last_lr_where_torch_overshoots_then_raises():
    policy, scheduler, total = one_cycle_case(0.3, "linear", False)
    ours = our_lrs(policy, STEPS, total + 3)
    theirs = torch_lrs(scheduler, total + 1)  # torch's value for t = T, one past the last update
    assert_close(ours[:total], theirs[:total])
    assert ours[total:] == [ours[total - 1]] * 3
    assert theirs[total] < 0  # the linear anneal carried on past the floor
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR0)
    stepped = scheduler(optimizer)
    for _ in range(total):
        optimizer.step()
        stepped.step()
    optimizer.step()
    with pytest.raises(ValueError, match="Tried to step"):
        stepped.step()


def test_one_cycle_warmup_of_one_update_where_torch_divides_by_zero():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR0)
    with pytest.raises(ZeroDivisionError):
        S.OneCycleLR(optimizer, max_lr=LR0, total_steps=1000, pct_start=0.001)  # 0.001 * 1000 - 1 == 0
    policy = OneCycle(pct_start=0.001)
    ctx = TrainContext(initial_lr=LR0, total_epochs=1, steps_per_epoch=1000)
    assert policy.evaluate(ctx) == pytest.approx(LR0 / 25, rel=1e-12)  # low: where the phase starts


def test_cosine_restarts_stay_exact_where_torchs_float_closed_form_slips():
    # step(epoch) takes a float logarithm: it puts t = 605 (the start of period 5 for T_0 = 5,
    # T_mult = 3) at the end of period 4. Stepping one by one, torch and we restart there.
    policy = CosineRestarts(period=5, period_mult=3)
    ctx = TrainContext(initial_lr=LR0, total_epochs=1, global_step=605)
    assert policy.evaluate(ctx) == LR0
    assert torch_lrs(lambda o: S.CosineAnnealingWarmRestarts(o, 5, 3), 606)[605] == LR0
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR0)
    jumped = S.CosineAnnealingWarmRestarts(optimizer, 5, 3)
    jumped.step(605)
    assert optimizer.param_groups[0]["lr"] == 0.0
