"""The torch-standard policies: golden tables, argument checks, configs, and curve() == evaluate.

MultiStepDecay, ExponentialDecay, Constant, LinearDecay, CosineRestarts, OneCycle and Cyclic, and the
momentum schedules OneCycleMomentum and CyclicMomentum. Parity with torch's schedulers is in
test_torch_parity_standard.py and test_parity_cyclic.py (skipped without torch).
"""

import copy
import math
import re
from dataclasses import replace

import jsonschema
import numpy as np
import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from lrpol import ConfigError, TrainContext, build, curve, validate
from lrpol.policies import (
    Constant,
    CosineRestarts,
    Cyclic,
    CyclicMomentum,
    ExponentialDecay,
    InverseSqrt,
    InverseTimeDecay,
    LinearDecay,
    MultiStepDecay,
    OneCycle,
    OneCycleMomentum,
    TanhDecay,
    Warmup,
    WarmupStableDecay,
)
from lrpol.schema import LR_POLICY, generate

RUN = TrainContext(initial_lr=0.1, total_epochs=2, steps_per_epoch=5)  # T = 10 updates


def at_steps(policy, steps, ctx=RUN):
    """The LR of each update in ``steps``, with the epoch that update belongs to."""
    spe = ctx.steps_per_epoch
    return [policy.evaluate(replace(ctx, global_step=s, epoch=s // spe if spe else 0)) for s in steps]


def at_epochs(policy, epochs, ctx=RUN):
    return [policy.evaluate(replace(ctx, epoch=e)) for e in epochs]


# -- golden tables (entry i is the LR of update / epoch i, worked out by hand) --------------------

def test_multi_step_decay_golden():
    # milestones 3 and 5: lr0 for t = 0..2, lr0 * g for 3..4, lr0 * g**2 from 5 on, the run's end (10) included
    policy = MultiStepDecay(milestones=[3, 5], gamma=0.5)
    assert at_steps(policy, range(12)) == [0.1] * 3 + [0.05] * 2 + [0.025] * 7
    assert policy.evaluate(replace(RUN, global_step=10**9)) == 0.025


def test_multi_step_decay_in_epochs_reads_the_epoch():
    policy = MultiStepDecay(milestones=[1], gamma=0.1, unit="epoch")
    assert at_steps(policy, range(12)) == pytest.approx([0.1] * 5 + [0.01] * 7, rel=1e-15)
    assert policy.evaluate(replace(RUN, global_step=0, epoch=1)) == pytest.approx(0.01, rel=1e-15)


def test_multi_step_decay_works_without_steps_per_epoch():
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, global_step=7)
    assert MultiStepDecay(milestones=[2, 4, 7], gamma=0.5).evaluate(ctx) == 0.125


def test_multi_step_decay_keeps_the_milestones_as_a_tuple():
    milestones = [3, 5]
    policy = MultiStepDecay(milestones=milestones, gamma=0.5)
    assert policy.milestones == (3, 5)
    milestones.append(7)  # the caller's list is not shared
    assert policy.milestones == (3, 5)


def test_exponential_decay_golden():
    policy = ExponentialDecay(gamma=0.5)
    assert at_steps(policy, range(5)) == [0.1, 0.05, 0.025, 0.0125, 0.00625]
    # no end: it keeps decaying past the run's 10 updates
    assert at_steps(policy, [9, 10, 20]) == [0.1 * 0.5**9, 0.1 * 0.5**10, 0.1 * 0.5**20]


def test_exponential_decay_in_epochs():
    policy = ExponentialDecay(gamma=0.9, unit="epoch")
    assert at_steps(policy, range(12)) == pytest.approx([0.1] * 5 + [0.09] * 5 + [0.081] * 2, rel=1e-15)


def test_constant_by_default_is_lr0_throughout():
    assert at_steps(Constant(), [0, 1, 9, 10, 10**6]) == [0.1] * 5


def test_constant_golden():
    # factor 0.25 for t = 0..2, lr0 from t = 3 on
    policy = Constant(factor=0.25, duration=3)
    ctx = replace(RUN, initial_lr=0.4)
    assert at_steps(policy, range(5), ctx) == [0.1, 0.1, 0.1, 0.4, 0.4]
    assert at_steps(policy, [10, 11], ctx) == [0.4, 0.4]


def test_constant_without_duration_holds_the_factor_for_ever():
    assert at_steps(Constant(factor=0.5), [0, 9, 10, 10**6]) == [0.05] * 4


def test_constant_in_epochs():
    assert at_steps(Constant(factor=0.5, duration=1, unit="epoch"), range(7)) == [0.05] * 5 + [0.1] * 2


def test_linear_decay_over_the_run_by_default():
    # D = T = 5 updates: (5 - t) / 5 of lr0, 0 from t = 5 (just past the last update) on
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=5)
    assert at_steps(LinearDecay(), range(8), ctx) == [1.0, 0.8, 0.6, 0.4, 0.2, 0.0, 0.0, 0.0]


def test_linear_decay_up_and_held():
    # from 0.5 * lr0 to lr0 over 4 updates: lr0 * (0.5 + 0.5 * t / 4)
    policy = LinearDecay(start_factor=0.5, end_factor=1.0, duration=4)
    expected = [0.2 * 0.5, 0.2 * 0.625, 0.2 * 0.75, 0.2 * 0.875, 0.2, 0.2, 0.2]
    ctx = replace(RUN, initial_lr=0.2)
    assert at_steps(policy, range(7), ctx) == pytest.approx(expected, rel=1e-15)
    assert at_steps(policy, [10, 100], ctx) == [0.2, 0.2]


def test_linear_decay_in_epochs():
    # D = T = 2 epochs: 1.0 in epoch 0, 0.5 in epoch 1, 0 after the run
    ctx = TrainContext(initial_lr=1.0, total_epochs=2, steps_per_epoch=3)
    assert at_steps(LinearDecay(unit="epoch"), range(8), ctx) == [1.0] * 3 + [0.5] * 3 + [0.0] * 2


def test_linear_decay_to_zero_keeps_relative_precision_at_the_last_update():
    # a million updates: the last runs at lr0 / 10**6, exact to the last bits (no 1 - (T - 1) / T)
    ctx = TrainContext(initial_lr=1.0, total_epochs=1000, steps_per_epoch=1000)
    assert LinearDecay().evaluate(replace(ctx, global_step=999_999, epoch=999)) == 1e-6


def test_linear_decay_needs_the_run_length_only_without_duration():
    ctx = TrainContext(initial_lr=1.0, total_epochs=3, global_step=1)
    assert LinearDecay(duration=4).evaluate(ctx) == 0.75
    with pytest.raises(ValueError, match=re.escape("needs ctx.steps_per_epoch")):
        LinearDecay().evaluate(ctx)


C1, C2, C3 = (1 + math.cos(math.pi / 4)) / 2, 0.5, (1 - math.cos(math.pi / 4)) / 2  # 0.8536, 0.5, 0.1464


def test_cosine_restarts_golden():
    # period 4: 1, c(1/4), c(2/4), c(3/4), then back to 1 at t = 4, 8, ...; c(x) = (1 + cos(pi * x)) / 2
    ctx = replace(RUN, initial_lr=1.0)
    expected = [1.0, C1, C2, C3] * 3
    assert at_steps(CosineRestarts(period=4), range(12), ctx) == pytest.approx(expected, rel=1e-15)


def test_cosine_restarts_with_growing_periods():
    # period 2, then 4, then 8: restarts at t = 2, 6, 14
    ctx = replace(RUN, initial_lr=1.0)
    policy = CosineRestarts(period=2, period_mult=2)
    expected = [1.0, 0.5, 1.0, C1, C2, C3, 1.0]
    assert at_steps(policy, range(7), ctx) == pytest.approx(expected, rel=1e-15)
    last_of_third = (1 + math.cos(math.pi * 7 / 8)) / 2
    assert at_steps(policy, [13, 14], ctx) == pytest.approx([last_of_third, 1.0], rel=1e-12)


def test_cosine_restarts_with_a_floor():
    policy = CosineRestarts(period=4, min_lr=0.1)
    ctx = replace(RUN, initial_lr=1.0)
    assert at_steps(policy, [0, 2, 4], ctx) == pytest.approx([1.0, 0.1 + 0.9 * 0.5, 1.0], rel=1e-15)


def test_cosine_restarts_fall_exactly_on_integer_boundaries():
    # period 5, times 3: period i lasts 5 * 3**i and starts at S_i = 5 * (3**i - 1) / 2, so
    # S_4 = 200, T_4 = 405, S_5 = 605. A float logarithm (torch's step(epoch) closed form)
    # puts t = 605 in period 4.
    ctx = TrainContext(initial_lr=1.0, total_epochs=1)
    policy = CosineRestarts(period=5, period_mult=3)
    assert at_steps(policy, [604, 605], ctx) == [(1 + math.cos(math.pi * 404 / 405)) / 2, 1.0]


def test_cosine_restarts_fall_exactly_on_integer_boundaries_far_out():
    # period 1, doubling: S_48 = 2**48 - 1; the update before is the last of period 47 (T = 2**47)
    ctx = TrainContext(initial_lr=1.0, total_epochs=1)
    policy = CosineRestarts(period=1, period_mult=2)
    start = 2**48 - 1
    before, at = at_steps(policy, [start - 1, start], ctx)
    assert at == 1.0
    assert before == (1 + math.cos(math.pi * (2**47 - 1) / 2**47)) / 2 and before < 1e-20


def test_cosine_restarts_in_epochs():
    ctx = TrainContext(initial_lr=1.0, total_epochs=4, steps_per_epoch=3)
    assert at_steps(CosineRestarts(period=2, unit="epoch"), range(9), ctx) == pytest.approx([1.0] * 3 + [0.5] * 3 + [1.0] * 3, rel=1e-15)


def test_cosine_restarts_curve_with_a_period_longer_than_the_run():
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=4)
    policy = CosineRestarts(period=2**53)  # the largest period an argument may have
    assert curve(policy, ctx).tolist() == at_steps(policy, range(4), ctx)


def test_one_cycle_linear_three_phase_golden():
    # T = 10, lr0 = 1, low = 0.1, floor = 0.01; phase ends 0.25 * 10 - 1 = 1.5, 2 * 2.5 - 2 = 3, 9.
    # up 0.1 -> 1 over [0, 1.5], down to 0.1 over [1.5, 3], down to 0.01 over [3, 9]; held after.
    policy = OneCycle(pct_start=0.25, div_factor=10, final_div_factor=10, anneal="linear", three_phase=True)
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=10)
    expected = [0.1, 0.7, 0.7, 0.1, 0.085, 0.07, 0.055, 0.04, 0.025, 0.01, 0.01, 0.01]
    assert at_steps(policy, range(12), ctx) == pytest.approx(expected, rel=1e-12)


def test_one_cycle_cos_two_phase_golden():
    # T = 10, lr0 = 1, low = 0.1, floor = 0.001. The first phase ends at 0.3 * 10 - 1 =
    # 2.0000000000000004 (torch's float), so t = 2 is its last update, at the peak.
    policy = OneCycle(pct_start=0.3, div_factor=10, final_div_factor=100)
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=10)
    lrs = at_steps(policy, range(12), ctx)
    assert lrs[:3] == pytest.approx([0.1, 0.55, 1.0], rel=1e-12)
    # then t = 3 .. 9 is 1/7 .. 7/7 of the way down to the floor, and the floor is held
    down = [0.001 + 0.999 * (1 + math.cos(math.pi * k / 7)) / 2 for k in range(1, 8)]
    assert lrs[3:10] == pytest.approx(down, rel=1e-12)
    assert lrs[9:] == [0.001] * 3


def test_one_cycle_without_warmup_starts_in_the_decay():
    # pct_start = 0: the decay "starts" at t = -1, so t = 0 is 1/10 of the way down
    policy = OneCycle(pct_start=0.0, div_factor=10, final_div_factor=10, anneal="linear")
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=10)
    assert at_steps(policy, [0, 9], ctx) == pytest.approx([1.0 - 0.99 * 0.1, 0.01], rel=1e-12)


def test_one_cycle_warmup_of_exactly_one_update_starts_low():
    # pct_start * T = 1: the first phase is [0, 0] (torch divides by zero there); t = 0 runs at low
    policy = OneCycle(pct_start=0.1, div_factor=10, final_div_factor=10, anneal="linear")
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=10)
    assert at_steps(policy, [0, 1], ctx) == pytest.approx([0.1, 1.0 - 0.99 / 9], rel=1e-12)
    assert curve(policy, ctx)[0] == policy.evaluate(ctx)


def test_one_cycle_in_epochs():
    # T = 4 epochs; phase ends 0.5 * 4 - 1 = 1 and 3: 0.1, 1, then halfway and all the way down
    policy = OneCycle(pct_start=0.5, div_factor=10, final_div_factor=10, anneal="linear", unit="epoch")
    ctx = TrainContext(initial_lr=1.0, total_epochs=4, steps_per_epoch=2)
    expected = [0.1, 1.0, 1.0 - 0.99 / 2, 0.01, 0.01]
    assert at_epochs(policy, range(5), ctx) == pytest.approx(expected, rel=1e-12)
    assert at_steps(policy, range(10), ctx) == pytest.approx([v for v in expected for _ in range(2)], rel=1e-12)


def test_one_cycle_holds_the_last_lr_after_the_run():
    for anneal in ("cos", "linear"):
        policy = OneCycle(anneal=anneal)
        last = policy.evaluate(replace(RUN, global_step=9, epoch=1))
        assert last == pytest.approx(0.1 / 25 / 1e4, rel=1e-12)
        assert at_steps(policy, [10, 11, 1000]) == [last] * 3


def test_one_cycle_with_a_horizon_shorter_than_the_run_holds_its_floor():
    # horizon 5 in a run of 10: the doctest's cycle, then its floor held
    policy = OneCycle(pct_start=0.4, div_factor=10, final_div_factor=10, anneal="linear", horizon=5)
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=10)
    assert at_steps(policy, range(12), ctx) == pytest.approx([0.1, 1.0, 0.67, 0.34] + [0.01] * 8, rel=1e-12)
    assert curve(policy, ctx).tolist() == at_steps(policy, range(10), ctx)


def test_one_cycle_with_a_horizon_longer_than_the_run_ends_part_way():
    # horizon 10 in a run of 5 updates: the first half of a 10-update cycle (ends 3, 9)
    policy = OneCycle(pct_start=0.4, div_factor=10, final_div_factor=10, anneal="linear", horizon=10)
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=5)
    assert at_steps(policy, range(5), ctx) == pytest.approx([0.1, 0.4, 0.7, 1.0, 1.0 - 0.99 / 6], rel=1e-12)


def test_one_cycle_momentum_linear_three_phase_golden():
    # T = 10, v0 = 0.95, b = 0.85; ends 1.5, 3, 9: down to b over [0, 1.5], back up over [1.5, 3], then m held
    policy = OneCycleMomentum(pct_start=0.25, anneal="linear", three_phase=True)
    ctx = TrainContext(initial_lr=0.95, total_epochs=1, steps_per_epoch=10)
    expected = [0.95, 0.95 - 0.1 * 2 / 3, 0.85 + 0.1 / 3] + [0.95] * 9
    assert at_steps(policy, range(12), ctx) == pytest.approx(expected, rel=1e-12)


def test_one_cycle_momentum_max_momentum_replaces_the_optimizers():
    policy = OneCycleMomentum(pct_start=0.4, anneal="linear", base_momentum=0.8, max_momentum=0.9)
    ctx = TrainContext(initial_lr=0.5, total_epochs=1, steps_per_epoch=5)  # v0 = 0.5 plays no part
    assert at_steps(policy, range(6), ctx) == pytest.approx([0.9, 0.8, 0.8 + 0.1 / 3, 0.8 + 0.2 / 3, 0.9, 0.9], rel=1e-12)


def test_cyclic_asymmetric_golden():
    # u = 2, d = 3: L = 5, r = 0.4; up from the floor 0.2 to 1 in 2 updates, down in 3, and again
    policy = Cyclic(step_size_up=2, step_size_down=3, min_lr=0.2)
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=5)
    one_cycle = [0.2, 0.6, 1.0, 0.2 + 0.8 * 2 / 3, 0.2 + 0.8 / 3]
    assert at_steps(policy, range(15), ctx) == pytest.approx(one_cycle * 3, rel=1e-12)  # cycling on after the run


def test_cyclic_exp_range_from_zero_golden():
    # u = d = 1, gamma = 0.5: the top of each cycle (odd t) is 0.5 ** t; the floor, 0, at even t
    policy = Cyclic(step_size_up=1, mode="exp_range", gamma=0.5, min_lr_ratio=0.0)
    ctx = TrainContext(initial_lr=1.0, total_epochs=1)
    assert at_steps(policy, range(6), ctx) == [0.0, 0.5, 0.0, 0.125, 0.0, 0.03125]


def test_cyclic_in_epochs():
    policy = Cyclic(step_size_up=1, unit="epoch", min_lr=0.05)
    ctx = TrainContext(initial_lr=0.1, total_epochs=3, steps_per_epoch=2)
    assert at_steps(policy, range(8), ctx) == [0.05, 0.05, 0.1, 0.1, 0.05, 0.05, 0.1, 0.1]


def test_cyclic_step_sizes_as_fractions_of_the_run():
    # 0.25 of 8 updates is 2 up; 0.3 of 8 is 2.4, rounded up to 3 down: L = 5, as in the asymmetric table
    policy = Cyclic(step_size_up=0.25, step_size_down=0.3, min_lr=0.2)
    ctx = TrainContext(initial_lr=1.0, total_epochs=2, steps_per_epoch=4)
    assert at_steps(policy, range(10), ctx) == at_steps(Cyclic(step_size_up=2, step_size_down=3, min_lr=0.2), range(10), ctx)
    assert policy.uses_length and not Cyclic(step_size_up=2, min_lr=0.2).uses_length
    with pytest.raises(ValueError, match="steps_per_epoch"):  # a fraction needs the run's length
        policy.evaluate(TrainContext(initial_lr=1.0, total_epochs=2))


def test_a_fraction_of_the_run_may_be_any_real_number_as_a_float_argument_may():
    # np.float32(0.5) was refused as "expected an integer >= 1, or a number > 0 and < 1", while
    # every float argument takes it.
    for value in (np.float32(0.25), np.float64(0.25), 0.25):
        policy = Cyclic(step_size_up=value, min_lr=0.2)
        assert type(policy.step_size_up) is float and policy.step_size_up == 0.25
    assert Warmup(duration=np.float32(2.0)).duration == 2  # a whole float32 is a count, as 2.0 is


def test_cyclic_momentum_golden():
    # u = 1, d = 3: L = 4, r = 0.25; m = v0 = 0.9 at the LR's floor, b = 0.8 at its top
    policy = CyclicMomentum(step_size_up=1, step_size_down=3)
    ctx = TrainContext(initial_lr=0.9, total_epochs=1)
    assert at_steps(policy, range(6), ctx) == pytest.approx([0.9, 0.8, 0.9 - 0.1 * 2 / 3, 0.9 - 0.1 / 3, 0.9, 0.8], rel=1e-12)
    explicit = CyclicMomentum(step_size_up=1, step_size_down=3, base_momentum=0.85, max_momentum=0.95)
    assert at_steps(explicit, range(3), replace(ctx, initial_lr=0.5)) == pytest.approx([0.95, 0.85, 0.95 - 0.1 * 2 / 3], rel=1e-12)


def test_cyclic_and_its_momentum_turn_together():
    shape = {"step_size_up": 3, "step_size_down": 5, "mode": "triangular2"}
    lrs = at_steps(Cyclic(**shape, min_lr=0.0, min_lr_ratio=0.0), range(40), TrainContext(initial_lr=1.0, total_epochs=1))
    momenta = at_steps(CyclicMomentum(**shape, base_momentum=0.0), range(40), TrainContext(initial_lr=1.0, total_epochs=1))
    assert [lr + momentum for lr, momentum in zip(lrs, momenta)] == pytest.approx([1.0] * 40, rel=1e-12)


POLICIES = [
    MultiStepDecay(milestones=[2, 4], gamma=0.5),
    ExponentialDecay(gamma=0.9),
    ExponentialDecay(gamma=1.001, every=3, max_lr=1.0),
    Constant(factor=0.5, duration=3),
    LinearDecay(),
    CosineRestarts(period=3, period_mult=2),
    OneCycle(),
    InverseSqrt(timescale=100),
    InverseTimeDecay(decay_steps=1000, decay_rate=0.5, staircase=True),
    WarmupStableDecay(warmup_duration=3000, decay_duration=200_000, decay_shape="1-sqrt"),
    OneCycle(horizon=3, three_phase=True),
    OneCycleMomentum(),
    Cyclic(step_size_up=3, mode="triangular2", min_lr=0.01),
    CyclicMomentum(step_size_up=3, step_size_down=400_000, mode="exp_range", gamma=0.99999),
]


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: type(p).__name__)
def test_policies_are_pure(policy):
    ctx = replace(RUN, global_step=7, epoch=1)
    first = policy.evaluate(ctx)
    assert [policy.evaluate(ctx) for _ in range(3)] == [first] * 3
    assert ctx.history == {} and policy.save_history(ctx.history) == {}  # nothing to remember


# -- constructors check every argument ----------------------------------------------------------

@pytest.mark.parametrize(
    "cls, kwargs, argument",
    [
        (MultiStepDecay, {"milestones": [], "gamma": 0.5}, "milestones"),
        (MultiStepDecay, {"milestones": [5, 5], "gamma": 0.5}, "milestones"),
        (MultiStepDecay, {"milestones": [5, 3], "gamma": 0.5}, "milestones"),
        (MultiStepDecay, {"milestones": [0, 3], "gamma": 0.5}, "milestones[0]"),
        (MultiStepDecay, {"milestones": [3, 4.5], "gamma": 0.5}, "milestones[1]"),
        (MultiStepDecay, {"milestones": 3, "gamma": 0.5}, "milestones"),
        (MultiStepDecay, {"milestones": [3], "gamma": 0.0}, "gamma"),
        (MultiStepDecay, {"milestones": [3], "gamma": 1.5}, "gamma"),
        (MultiStepDecay, {"milestones": [3], "gamma": 0.5, "unit": "epochs"}, "unit"),
        (ExponentialDecay, {"gamma": 0.0}, "gamma"),
        (ExponentialDecay, {"gamma": 1.01}, "max_lr"),  # growth needs a ceiling
        (ExponentialDecay, {"gamma": 0.9, "max_lr": 1.0}, "max_lr"),  # a ceiling is for growth
        (ExponentialDecay, {"gamma": 0.9, "every": 0}, "every"),
        (ExponentialDecay, {"gamma": math.nan}, "gamma"),
        (Constant, {"factor": -0.5}, "factor"),
        (Constant, {"factor": 1.5}, "factor"),
        (Constant, {"duration": 0}, "duration"),
        (Constant, {"duration": 2.5}, "duration"),
        (Constant, {"unit": "update"}, "unit"),
        (LinearDecay, {"start_factor": -0.1}, "start_factor"),
        (LinearDecay, {"start_factor": 1.5}, "start_factor"),
        (LinearDecay, {"end_factor": -0.1}, "end_factor"),
        (LinearDecay, {"end_factor": 1.1}, "end_factor"),
        (LinearDecay, {"duration": 0}, "duration"),
        (CosineRestarts, {"period": 0}, "period"),
        (CosineRestarts, {"period": 2.5}, "period"),
        (CosineRestarts, {"period": 2, "period_mult": 0}, "period_mult"),
        (CosineRestarts, {"period": 2, "period_mult": 1.005}, "period_mult"),
        (CosineRestarts, {"period": 2, "min_lr": -1e-6}, "min_lr"),
        (OneCycle, {"pct_start": -0.1}, "pct_start"),
        (OneCycle, {"pct_start": 1.1}, "pct_start"),
        (OneCycle, {"div_factor": 0.5}, "div_factor"),
        (OneCycle, {"final_div_factor": 0.0}, "final_div_factor"),
        (OneCycle, {"anneal": "cosine"}, "anneal"),
        (OneCycle, {"three_phase": 1}, "three_phase"),
        (OneCycle, {"unit": "epoch "}, "unit"),
        (OneCycle, {"horizon": 0}, "horizon"),
        (OneCycle, {"horizon": 2.5}, "horizon"),
        (OneCycleMomentum, {"base_momentum": 1.0}, "base_momentum"),
        (OneCycleMomentum, {"max_momentum": -0.1}, "max_momentum"),
        (OneCycleMomentum, {"base_momentum": 0.9, "max_momentum": 0.85}, "base_momentum"),
        (OneCycleMomentum, {"pct_start": 1.5}, "pct_start"),
        (Cyclic, {"step_size_up": 0, "min_lr": 0.01}, "step_size_up"),
        (Cyclic, {"step_size_up": 2.5, "min_lr": 0.01}, "step_size_up"),
        (Cyclic, {"step_size_up": 0.0, "min_lr": 0.01}, "step_size_up"),
        (Cyclic, {"step_size_up": 2, "step_size_down": 1.5, "min_lr": 0.01}, "step_size_down"),
        (Cyclic, {"step_size_up": 2, "step_size_down": 0, "min_lr": 0.01}, "step_size_down"),
        (Cyclic, {"step_size_up": 2, "mode": "triangle", "min_lr": 0.01}, "mode"),
        (Cyclic, {"step_size_up": 2, "mode": "exp_range", "gamma": 0.0, "min_lr": 0.01}, "gamma"),
        (Cyclic, {"step_size_up": 2, "mode": "exp_range", "gamma": 1.5, "min_lr": 0.01}, "gamma"),
        (Cyclic, {"step_size_up": 2, "gamma": 0.9, "min_lr": 0.01}, "gamma"),
        (Cyclic, {"step_size_up": 2, "min_lr": -0.01}, "min_lr"),
        (Cyclic, {"step_size_up": 2, "min_lr_ratio": 1.5}, "min_lr_ratio"),
        (Cyclic, {"step_size_up": 2}, "min_lr"),
        (Cyclic, {"step_size_up": 2, "min_lr": 0.0}, "min_lr"),
        (Cyclic, {"step_size_up": 2, "min_lr": 0.01, "min_lr_ratio": 0.1}, "min_lr_ratio"),
        (Cyclic, {"step_size_up": 2, "min_lr": 0.01, "unit": "batch"}, "unit"),
        (CyclicMomentum, {"step_size_up": 2, "base_momentum": -0.1}, "base_momentum"),
        (CyclicMomentum, {"step_size_up": 2, "max_momentum": 1.0}, "max_momentum"),
        (CyclicMomentum, {"step_size_up": 2, "base_momentum": 0.9, "max_momentum": 0.8}, "base_momentum"),
        (CyclicMomentum, {"step_size_up": 2, "gamma": 0.5}, "gamma"),
    ],
)
def test_constructor_rejects_bad_argument_naming_it(cls, kwargs, argument):
    with pytest.raises(ValueError) as info:
        cls(**kwargs)
    assert str(info.value).startswith(f"{argument}: ")


@pytest.mark.parametrize("cls", [MultiStepDecay, Cyclic, CyclicMomentum])
def test_missing_argument_is_a_type_error_from_python(cls):
    with pytest.raises(TypeError):
        cls()


def test_cosine_restarts_needs_a_period_or_a_count_of_them():
    with pytest.raises(ValueError, match=r"^period: give period \(the first period's length, in unit\) or periods"):
        CosineRestarts()


# -- configs: one valid dict per policy drives build, validate and the schema --------------------

VALID_ENTRIES = {
    "MultiStepDecay": {"name": "MultiStepDecay", "args": {"milestones": [30, 60, 90], "gamma": 0.1}},
    "ExponentialDecay": {"name": "ExponentialDecay", "args": {"gamma": 0.5, "every": 1000, "staircase": True, "min_lr": 1e-5}},
    "Constant": {"name": "Constant", "args": {"factor": 0.5, "duration": 100}},
    "LinearDecay": {"name": "LinearDecay", "args": {"start_factor": 1.0, "end_factor": 0.1, "duration": None}},
    "CosineRestarts": {"name": "CosineRestarts", "args": {"period": 10, "period_mult": 2, "min_lr": 1e-6}},
    "CosineRestarts-periods": {"name": "CosineRestarts", "args": {"periods": 2.5, "period_mult": 1.5, "wave": "full", "amplitude_decay": 0.8, "min_lr_ratio": 0.01, "horizon": 900}},
    "TanhDecay": {"name": "TanhDecay", "args": {"period": 100, "period_mult": 1.5, "peak_decay": 0.5, "period_limit": 3, "arithmetic": "timm", "lb": -5, "ub": 2}},
    "InverseSqrt": {"name": "InverseSqrt", "args": {"timescale": 10000, "hold": 10000}},
    "InverseTimeDecay": {"name": "InverseTimeDecay", "args": {"decay_steps": 2.5, "decay_rate": 1, "unit": "epoch"}},
    "WarmupStableDecay": {"name": "WarmupStableDecay", "args": {
        "warmup_duration": 10, "stable_duration": 500, "decay_duration": 90, "warmup_shape": "cosine", "warmup_start_factor": 0,
        "decay_shape": "exp", "decay_ratio": 0.05, "stable_shape": "rsqrt", "min_lr": 1e-5,
    }},
    "OneCycle": {"name": "OneCycle", "args": {"pct_start": 0.25, "anneal": "linear", "three_phase": True, "unit": "epoch", "horizon": 80}},
    "OneCycleMomentum": {"name": "OneCycleMomentum", "args": {"pct_start": 0.25, "three_phase": True, "base_momentum": 0.8, "max_momentum": 0.95}},
    "Cyclic": {"name": "Cyclic", "args": {"step_size_up": 2000, "step_size_down": 3000, "mode": "exp_range", "gamma": 0.9999, "min_lr": 1e-4}},
    "CyclicMomentum": {"name": "CyclicMomentum", "args": {"step_size_up": 2000, "mode": "triangular2", "base_momentum": 0.85, "max_momentum": 0.95}},
}

EXPECTED = {
    "MultiStepDecay": MultiStepDecay(milestones=(30, 60, 90), gamma=0.1),
    "ExponentialDecay": ExponentialDecay(gamma=0.5, every=1000, staircase=True, min_lr=1e-5),
    "Constant": Constant(factor=0.5, duration=100),
    "LinearDecay": LinearDecay(start_factor=1.0, end_factor=0.1),
    "CosineRestarts": CosineRestarts(period=10, period_mult=2, min_lr=1e-6),
    "CosineRestarts-periods": CosineRestarts(periods=2.5, period_mult=1.5, wave="full", amplitude_decay=0.8, min_lr_ratio=0.01, horizon=900),
    "TanhDecay": TanhDecay(period=100, period_mult=1.5, peak_decay=0.5, period_limit=3, arithmetic="timm", lb=-5.0, ub=2.0),
    "InverseSqrt": InverseSqrt(timescale=10000.0, hold=10000),
    "InverseTimeDecay": InverseTimeDecay(decay_steps=2.5, decay_rate=1.0, unit="epoch"),
    "WarmupStableDecay": WarmupStableDecay(
        warmup_duration=10, stable_duration=500, decay_duration=90, warmup_shape="cosine", warmup_start_factor=0.0,
        decay_shape="exp", decay_ratio=0.05, stable_shape="rsqrt", min_lr=1e-5,
    ),
    "OneCycle": OneCycle(pct_start=0.25, anneal="linear", three_phase=True, unit="epoch", horizon=80),
    "OneCycleMomentum": OneCycleMomentum(pct_start=0.25, three_phase=True, base_momentum=0.8, max_momentum=0.95),
    "Cyclic": Cyclic(step_size_up=2000, step_size_down=3000, mode="exp_range", gamma=0.9999, min_lr=1e-4),
    "CyclicMomentum": CyclicMomentum(step_size_up=2000, mode="triangular2", base_momentum=0.85, max_momentum=0.95),
}


def valid_entry(name):
    return copy.deepcopy(VALID_ENTRIES[name])


def broken(name, key, value):
    entry = valid_entry(name)
    entry["args"][key] = value
    return entry


SCHEMA = generate()[LR_POLICY]


@pytest.mark.parametrize("name", VALID_ENTRIES)
def test_a_valid_entry_builds_validates_and_matches_the_schema(name):
    entry = valid_entry(name)
    assert build(entry) == EXPECTED[name]
    assert validate(entry) == []
    jsonschema.Draft202012Validator(SCHEMA).validate(entry)


@pytest.mark.parametrize("name", ["Constant", "LinearDecay", "OneCycle", "OneCycleMomentum"])
def test_entries_without_args_need_only_a_name(name):
    assert build({"name": name}) == build({"name": name, "args": {}})


@pytest.mark.parametrize(
    "entry, json_path, code",
    [
        (broken("MultiStepDecay", "milestones", [30, 20]), "$.args.milestones", "not-increasing"),
        (broken("MultiStepDecay", "milestones", [30, 30]), "$.args.milestones", "not-increasing"),
        (broken("MultiStepDecay", "milestones", [30, 0]), "$.args.milestones[1]", "out-of-range"),
        (broken("MultiStepDecay", "milestones", [30, "60"]), "$.args.milestones[1]", "wrong-type"),
        (broken("MultiStepDecay", "milestones", []), "$.args.milestones", "too-few"),
        (broken("MultiStepDecay", "gamma", 0), "$.args.gamma", "out-of-range"),
        (broken("ExponentialDecay", "gamma", 0), "$.args.gamma", "out-of-range"),
        (broken("ExponentialDecay", "every", 2.5), "$.args.every", "wrong-type"),
        (broken("Constant", "duration", 0), "$.args.duration", "out-of-range"),
        (broken("LinearDecay", "start_factor", -1), "$.args.start_factor", "out-of-range"),
        (broken("CosineRestarts", "period_mult", 0.5), "$.args.period_mult", "out-of-range"),
        (broken("OneCycle", "anneal", "cosine"), "$.args.anneal", "invalid-choice"),
        (broken("OneCycle", "three_phase", "yes"), "$.args.three_phase", "wrong-type"),
        (broken("OneCycle", "horizon", 0), "$.args.horizon", "out-of-range"),
        (broken("OneCycleMomentum", "max_momentum", 1.2), "$.args.max_momentum", "out-of-range"),
        (broken("Cyclic", "step_size_down", 0), "$.args.step_size_down", "out-of-range"),
        (broken("Cyclic", "mode", "exp"), "$.args.mode", "invalid-choice"),
        (broken("CyclicMomentum", "base_momentum", 1), "$.args.base_momentum", "out-of-range"),
    ],
)
def test_a_bad_value_is_a_config_error_pointing_at_it(entry, json_path, code):
    with pytest.raises(ConfigError) as info:
        build(entry)
    assert [(p.json_path, p.code) for p in info.value.problems] == [(json_path, code)]
    assert [(p.json_path, p.code) for p in validate(entry)] == [(json_path, code)]
    if code == "not-increasing":
        return  # JSON Schema cannot say "strictly increasing"; validate() and build() do
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(entry)


# What JSON Schema cannot say about one value alone: the checks that tie two arguments together.
@pytest.mark.parametrize(
    "entry, json_path, code, message",
    [
        (
            {"name": "Cyclic", "args": {"step_size_up": 2000}}, "$.args.min_lr", "missing-floor",
            "$.args.min_lr: a cycle needs a floor above 0 (torch's base_lr): otherwise every cycle starts with an update at LR 0; "
            "give min_lr (an LR) or min_lr_ratio (a fraction of lr0); min_lr_ratio: 0 cycles from 0 as torch allows",
        ),
        (
            broken("Cyclic", "mode", "triangular"), "$.args.gamma", "conflict",
            "$.args.gamma: applies to mode 'exp_range' only, not to mode 'triangular'; remove gamma, or set mode: exp_range",
        ),
        (
            broken("Cyclic", "min_lr_ratio", 0.1), "$.args.min_lr_ratio", "conflict",
            "$.args.min_lr_ratio: give min_lr (an LR) or min_lr_ratio (a fraction of lr0), not both",
        ),
        (
            broken("CyclicMomentum", "base_momentum", 0.96), "$.args.base_momentum", "conflict",
            "$.args.base_momentum: must be <= max_momentum (0.95), got 0.96; momentum falls as the LR rises: base_momentum is the lower of the two",
        ),
        (
            broken("OneCycleMomentum", "max_momentum", 0.7), "$.args.base_momentum", "conflict",
            "$.args.base_momentum: must be <= max_momentum (0.7), got 0.8; momentum falls as the LR rises: base_momentum is the lower of the two",
        ),
    ],
)
def test_arguments_that_disagree_are_a_config_error_naming_one(entry, json_path, code, message):
    with pytest.raises(ConfigError) as info:
        build(entry)
    assert [(p.json_path, p.code) for p in info.value.problems] == [(json_path, code)]
    assert [(p.json_path, p.code) for p in validate(entry)] == [(json_path, code)]
    assert str(info.value) == f"<config>: {message}"


def test_a_cycle_from_zero_is_asked_for_with_a_ratio_of_zero():
    assert build({"name": "Cyclic", "args": {"step_size_up": 4, "min_lr_ratio": 0}}).evaluate(TrainContext(initial_lr=0.1, total_epochs=1)) == 0.0


def test_the_milestones_message_says_what_is_wrong():
    with pytest.raises(ConfigError) as info:
        build(broken("MultiStepDecay", "milestones", [30, 20]))
    assert str(info.value) == "<config>: $.args.milestones: must be strictly increasing, got [30, 20]"


# -- curve() equals evaluate, update by update ----------------------------------------------------

UNIT = st.sampled_from(["step", "epoch"])
MILESTONES = st.lists(st.integers(1, 700), min_size=1, max_size=6, unique=True).map(sorted)


def standard_policies():
    return st.one_of(
        st.builds(MultiStepDecay, milestones=MILESTONES, gamma=st.floats(0.01, 1.0), unit=UNIT),
        st.builds(ExponentialDecay, gamma=st.floats(0.5, 1.0), unit=UNIT),
        st.builds(
            ExponentialDecay, gamma=st.floats(0.1, 1.0), every=st.integers(1, 50), staircase=st.booleans(),
            min_lr_ratio=st.none() | st.floats(0.0, 0.5), unit=UNIT,
        ),
        st.builds(ExponentialDecay, gamma=st.floats(1.0, 3.0, exclude_min=True), every=st.integers(1, 50), max_lr=st.floats(0.01, 10.0), unit=UNIT),
        st.builds(Constant, factor=st.floats(0.01, 1.0), duration=st.none() | st.integers(1, 700), unit=UNIT),
        st.builds(
            LinearDecay, start_factor=st.floats(0.01, 1.0), end_factor=st.floats(0.0, 1.0),
            duration=st.none() | st.integers(1, 700), unit=UNIT,
        ),
        st.builds(CosineRestarts, period=st.integers(1, 50), period_mult=st.integers(1, 4), min_lr=st.sampled_from([0.0, 1e-4]), unit=UNIT),
        st.builds(
            CosineRestarts, period=st.integers(1, 50), period_mult=st.sampled_from([1.5, 1.3, 2.5]) | st.floats(1.01, 4.0),
            arithmetic=st.sampled_from(["exact", "torch", "timm"]), peak_decay=st.floats(0.3, 1.0), period_limit=st.none() | st.integers(1, 6),
            k_decay=st.sampled_from([1.0, 0.5, 3.0]), horizon=st.none() | st.integers(1, 700), unit=UNIT,
        ),
        st.builds(
            CosineRestarts, periods=st.sampled_from([1, 3, 0.5, 2.5]) | st.floats(0.05, 20.0), period_mult=st.sampled_from([1, 1.5, 2]),
            wave=st.sampled_from(["half", "full"]), amplitude_decay=st.floats(0.3, 1.0), min_lr_ratio=st.none() | st.floats(0.0, 0.5),
            horizon=st.none() | st.integers(1, 700), unit=UNIT,
        ),
        st.builds(
            TanhDecay, period=st.integers(1, 50), period_mult=st.sampled_from([1, 1.5, 2]), lb=st.floats(-8.0, 0.0), ub=st.floats(0.5, 8.0),
            arithmetic=st.sampled_from(["exact", "timm"]), period_limit=st.none() | st.integers(1, 6), unit=UNIT,
        ),
        st.builds(
            OneCycle, pct_start=st.floats(0.0, 1.0) | st.sampled_from([0.1, 0.25, 0.3, 0.5]), div_factor=st.floats(1.0, 100.0),
            final_div_factor=st.floats(1.0, 1e5), anneal=st.sampled_from(["cos", "linear"]), three_phase=st.booleans(), unit=UNIT,
            horizon=st.none() | st.integers(1, 700),
        ),
        st.builds(
            OneCycleMomentum, pct_start=st.floats(0.0, 1.0), anneal=st.sampled_from(["cos", "linear"]), three_phase=st.booleans(), unit=UNIT,
            horizon=st.none() | st.integers(1, 700), base_momentum=st.floats(0.0, 0.9), max_momentum=st.none() | st.just(0.95),
        ),
        st.builds(
            Cyclic, step_size_up=st.integers(1, 300) | st.floats(0.01, 0.99), step_size_down=st.none() | st.integers(1, 300) | st.floats(0.01, 0.99),
            mode=st.sampled_from(["triangular", "triangular2"]),
            unit=UNIT, min_lr_ratio=st.floats(0.0, 1.0),
        ),
        st.builds(
            CyclicMomentum, step_size_up=st.integers(1, 300), step_size_down=st.none() | st.integers(1, 300), mode=st.just("exp_range"),
            gamma=st.floats(0.9, 1.0), unit=UNIT, base_momentum=st.floats(0.0, 0.9), max_momentum=st.none() | st.just(0.95),
        ),
        st.builds(InverseSqrt, timescale=st.floats(0.5, 1000.0), hold=st.integers(0, 700), unit=UNIT),
        st.builds(InverseTimeDecay, decay_steps=st.floats(0.5, 700.0), decay_rate=st.floats(0.0, 10.0), staircase=st.booleans(), unit=UNIT),
        st.builds(
            WarmupStableDecay, warmup_duration=st.integers(0, 300) | st.sampled_from([0.1, 0.5]), decay_duration=st.integers(1, 700) | st.sampled_from([0.2, 0.9]),
            stable_duration=st.none() | st.integers(0, 700),
            warmup_shape=st.sampled_from(["linear", "cosine", "1-sqrt"]), decay_shape=st.sampled_from(["linear", "cosine", "1-sqrt", "exp"]),
            min_lr=st.sampled_from([0.0, 1e-4]), unit=UNIT,
        ),
    )


@settings(max_examples=examples(400), deadline=None)
@given(policy=standard_policies(), epochs=st.integers(1, 30), steps_per_epoch=st.integers(1, 20), extra_steps=st.integers(0, 40))
def test_curve_equals_evaluate_step_by_step(policy, epochs, steps_per_epoch, extra_steps):
    ctx = TrainContext(initial_lr=0.1, total_epochs=epochs, steps_per_epoch=steps_per_epoch)
    steps = epochs * steps_per_epoch + extra_steps  # past the end of the run, too
    ours = curve(policy, ctx, steps=steps)
    assert ours.shape == (steps,)
    np.testing.assert_allclose(ours, at_steps(policy, range(steps), ctx), rtol=1e-12, atol=0)


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: type(p).__name__)
def test_curve_over_a_million_updates(policy):
    ctx = TrainContext(initial_lr=0.1, total_epochs=100, steps_per_epoch=10_000)
    lrs = curve(policy, ctx)
    assert lrs.shape == (1_000_000,)
    probes = [0, 1, 2999, 299_999, 300_000, 999_999]
    np.testing.assert_allclose(lrs[probes], at_steps(policy, probes, ctx), rtol=1e-12, atol=0)
