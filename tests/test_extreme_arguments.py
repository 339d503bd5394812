"""Arguments at the far ends of what validate accepts: each policy either refuses them as a config
problem, or runs in the hook and in curve() with finite LRs >= 0, the same in both, without an
exception and without numpy's RuntimeWarnings."""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np
import pytest

from lrpol import ExponentialDecay, InverseSqrt, InverseTimeDecay, LRHook, TrainContext, WarmupStableDecay, curve, validate
from lrpol.hook import drive

HUGE, TINY = 1.7976931348623157e308, 5e-324


def hook_and_curve(policy, total_epochs: int = 3, steps_per_epoch: int = 4, extra: int = 3) -> tuple[list[float], list[float]]:
    """The LRs of updates 0 .. total + extra - 1 through the hook, and through curve(); any warning is an error."""
    steps = total_epochs * steps_per_epoch + extra
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hook = LRHook(policy, TrainContext(initial_lr=0.1, total_epochs=total_epochs, steps_per_epoch=steps_per_epoch), lambda lr: None)
        stepped = [lr for _, lr in drive(hook, steps)]
        whole = curve(policy, TrainContext(initial_lr=0.1, total_epochs=total_epochs, steps_per_epoch=steps_per_epoch), steps=steps).tolist()
    assert all(math.isfinite(lr) and lr >= 0 for lr in stepped), stepped
    np.testing.assert_allclose(whole, stepped, rtol=1e-12, atol=0)
    return stepped, whole


@pytest.mark.parametrize("gamma, max_lr", [(HUGE, 1.0), (1e10, 1e300), (1e300, 1e10), (2.0, HUGE)])
def test_growth_by_a_huge_factor_stops_at_the_ceiling_without_overflowing(gamma, max_lr):
    # One factor past the ceiling was past the largest float: gamma ** (reach + 1) raised OverflowError.
    stepped, _ = hook_and_curve(ExponentialDecay(gamma=gamma, max_lr=max_lr), total_epochs=1, steps_per_epoch=1100)
    assert stepped[0] == 0.1 and stepped == sorted(stepped)
    if max_lr / 0.1 < 1e307:  # a ceiling within a float's reach of lr0 is reached exactly
        assert stepped[-1] == max_lr


def test_cosine_cycles_whose_angle_is_past_the_largest_float_are_a_config_problem(write):
    # pi * k * 2.0 was inf for k > 2.86e307, and math.cos(inf) raised ValueError in the hook.
    path = write("wsd.yaml", "name: WarmupStableDecay\nargs:\n  decay_duration: 5\n  decay_shape: cosine\n  cosine_cycles: 1.0e+308\n")
    (problem,) = validate(path)
    assert (problem.line, problem.json_path, problem.code) == (5, "$.args.cosine_cycles", "out-of-range")
    assert problem.message == "must be > 0 and <= 2.861117485757028e+307, got 1e+308"
    largest = sys.float_info.max / 2.0 / math.pi  # the largest k with a finite angle still runs
    hook_and_curve(WarmupStableDecay(decay_duration=5, decay_shape="cosine", cosine_cycles=largest))


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay_at_rate_0_holds_lr0_whatever_decay_steps(staircase):
    # t / 5e-324 is inf, and 0 * inf made every LR after the first NaN.
    stepped, whole = hook_and_curve(InverseTimeDecay(decay_steps=TINY, decay_rate=0.0, staircase=staircase))
    assert stepped == whole == [0.1] * 15


@pytest.mark.parametrize(
    "policy",
    [
        InverseSqrt(timescale=TINY),
        InverseTimeDecay(decay_steps=TINY, decay_rate=1.0),
        InverseTimeDecay(decay_steps=TINY, decay_rate=1.0, staircase=True),
        InverseTimeDecay(decay_steps=1.0, decay_rate=HUGE),
        WarmupStableDecay(decay_duration=5, stable_shape="rsqrt", stable_timescale=TINY),
    ],
    ids=repr,
)
def test_a_decay_whose_arithmetic_overflows_gives_the_hooks_lrs_in_the_curve_without_a_warning(policy):
    # t / 5e-324 (or 1.8e308 * t) is inf, as Python's float arithmetic makes it in the hook (an LR
    # of 0, or below 1e-300); the curve computed the same but with numpy's "overflow" RuntimeWarning.
    stepped, whole = hook_and_curve(policy)
    assert stepped == whole and stepped[0] == 0.1 and all(lr < 1e-300 for lr in stepped[1:])
