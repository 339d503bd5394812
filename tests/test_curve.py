"""lrpol.curve: the whole run at once equals the hook stepped update by update."""

import copy
import dataclasses
import re

import numpy as np
import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from lrpol_sample_policies import ScaledConstant

from lrpol import (
    DecayOnStep,
    LRHook,
    ReduceCosine,
    ReduceOnPlateau,
    ReducePoly,
    TrainContext,
    curve,
)
from lrpol.hook import drive


def hook_lrs(policy, ctx, steps, metrics=None):
    """The LR in effect at each of updates 0 .. steps - 1 under LRHook, with a result after each epoch."""
    return [lr for _, lr in drive(LRHook(policy, ctx, lambda lr: None), steps, metrics)]


def policies():
    return st.one_of(
        st.builds(DecayOnStep, decay_ratio=st.floats(0.01, 1.0), decay_freq=st.integers(1, 50)),
        st.builds(ReducePoly, poly_power=st.floats(0.1, 5.0)),
        st.builds(ReduceCosine, rate=st.floats(0.1, 2.0)),
        st.builds(
            ReduceOnPlateau, plateau_count_trigger=st.integers(1, 4), reduction_rate=st.floats(0.05, 0.95),
            mode=st.sampled_from(["min", "max"]), threshold=st.sampled_from([0.0, 0.01]), min_lr=st.sampled_from([0.0, 1e-4]),
            cooldown=st.integers(0, 2),
        ),
    )


@settings(max_examples=examples(300), deadline=None)
@given(
    policy=policies(),
    epochs=st.integers(1, 30),
    steps_per_epoch=st.integers(1, 20),
    extra_steps=st.integers(0, 40),
    metrics=st.one_of(st.none(), st.lists(st.floats(-2, 2), max_size=40)),
)
def test_curve_equals_the_hook_step_by_step(policy, epochs, steps_per_epoch, extra_steps, metrics):
    ctx = TrainContext(initial_lr=0.1, total_epochs=epochs, steps_per_epoch=steps_per_epoch)
    steps = epochs * steps_per_epoch + extra_steps  # past the end of the run, too
    ours = curve(policy, ctx, steps=steps, metrics=metrics)
    fresh = dataclasses.replace(policy)  # the same arguments, a fresh state
    expected = hook_lrs(fresh, TrainContext(initial_lr=0.1, total_epochs=epochs, steps_per_epoch=steps_per_epoch), steps, metrics)
    assert ours.shape == (steps,)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=0)


def test_curve_of_a_run_with_plateau_scripted_metrics():
    ctx = TrainContext(initial_lr=1.0, total_epochs=6, steps_per_epoch=2)
    lrs = curve(ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5), ctx, metrics=[0.3, 0.3, 0.4, 0.4, 0.4, 0.5])
    # results 2, 4 and 5 do not improve: the LR halves after epochs 1, 3 and 4
    assert lrs.tolist() == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125]


def test_curve_does_not_touch_the_runs_history():
    policy = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5)
    ctx = TrainContext(initial_lr=1.0, total_epochs=4, steps_per_epoch=1)
    LRHook(policy, ctx, lambda lr: None).report_metric(1.0)
    before = copy.deepcopy(ctx.history)
    assert before["seen"] == 1
    assert curve(policy, ctx, metrics=[1.0] * 4).tolist() == [1.0, 1.0, 0.5, 0.25]
    assert ctx.history == before


def test_curve_of_a_user_policy_steps_through_evaluate():
    ctx = TrainContext(initial_lr=0.2, total_epochs=2, steps_per_epoch=2)
    assert curve(ScaledConstant(factor=0.5), ctx).tolist() == [0.1] * 4


def test_curve_of_no_policy_is_lr0():
    assert curve(None, TrainContext(initial_lr=0.3, total_epochs=1, steps_per_epoch=3)).tolist() == [0.3] * 3


def test_curve_over_a_million_steps():
    ctx = TrainContext(initial_lr=0.1, total_epochs=100, steps_per_epoch=10_000)
    lrs = curve(ReduceCosine(), ctx)
    assert lrs.shape == (1_000_000,)
    assert lrs[0] == 0.1 and lrs[-1] == pytest.approx(0.1 * 0.5 * (1 + np.cos(np.pi * 99 / 100)), rel=1e-15)


@pytest.mark.parametrize("bad, message", [({"steps": -1}, "steps must be an integer >= 0"), ({"metrics": [0.1, float("nan")]}, "metric is nan")])
def test_curve_refuses_bad_arguments(bad, message):
    with pytest.raises(ValueError, match=message):
        curve(ReducePoly(poly_power=1), TrainContext(initial_lr=0.1, total_epochs=2, steps_per_epoch=1), **bad)


def test_curve_needs_steps_per_epoch():
    with pytest.raises(ValueError, match=re.escape("needs ctx.steps_per_epoch")):
        curve(ReducePoly(poly_power=1), TrainContext(initial_lr=0.1, total_epochs=2))


def closed_forms():
    return st.one_of(
        st.builds(DecayOnStep, decay_ratio=st.floats(0.05, 1.0), decay_freq=st.integers(1, 7)),
        st.builds(ReducePoly, poly_power=st.floats(0.5, 3.0), unit=st.sampled_from(["step", "epoch"])),
        st.builds(ReduceCosine, unit=st.sampled_from(["step", "epoch"]), min_lr=st.sampled_from([0.0, 0.01])),
    )


@settings(max_examples=examples(300), deadline=None)
@given(
    inner=closed_forms(),
    second=closed_forms(),
    duration=st.integers(1, 12),
    unit=st.sampled_from(["step", "epoch"]),
    clock=st.sampled_from(["restart", "global"]),
    epochs=st.integers(1, 8),
    steps_per_epoch=st.integers(1, 5),
    extra=st.integers(0, 10),
    milestone=st.integers(1, 15),
)
def test_composite_curves_equal_the_hook_step_by_step(inner, second, duration, unit, clock, epochs, steps_per_epoch, extra, milestone):
    from lrpol import Sequential, Warmup

    steps = epochs * steps_per_epoch + extra
    for policy in (
        Warmup(duration=duration, unit=unit, clock=clock, policy=inner),
        Sequential(policies=(Warmup(duration=duration, unit=unit, policy=inner), second), milestones=(milestone,), unit=unit),
    ):
        ours = curve(policy, TrainContext(initial_lr=0.1, total_epochs=epochs, steps_per_epoch=steps_per_epoch), steps=steps)
        expected = hook_lrs(dataclasses.replace(policy), TrainContext(initial_lr=0.1, total_epochs=epochs, steps_per_epoch=steps_per_epoch), steps)
        np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-18)
