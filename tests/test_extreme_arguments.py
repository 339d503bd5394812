"""Arguments at the far ends of what validate accepts: each policy either refuses them as a config
problem, or runs in the hook and in curve() with finite LRs >= 0, the same in both, without an
exception and without numpy's RuntimeWarnings."""

from __future__ import annotations

import copy
import json
import math
import sys
import warnings

import numpy as np
import pytest

from lrpol import ExponentialDecay, InverseSqrt, InverseTimeDecay, LRHook, TrainContext, WarmupStableDecay, build, curve, validate
from lrpol.arguments import arguments_of
from lrpol.hook import drive
from lrpol.registry import builtin

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


# -- every number argument at its extremes, in entries that reach each mode ------------------------

COSINE = {"name": "ReduceCosine", "args": {"unit": "step"}}

#: Entries of the policies, one per mode or shape an argument may apply to only (a conflict would
#: refuse the extreme before it is run).
ENTRIES = [
    {"name": "ExponentialDecay", "args": {"gamma": 0.99}},
    {"name": "ExponentialDecay", "args": {"gamma": 1.5, "max_lr": 1.0, "every": 2}},
    {"name": "ExponentialDecay", "args": {"gamma": 0.5, "every": 3, "staircase": True, "min_lr_ratio": 0.1, "unit": "epoch"}},
    {"name": "WarmupStableDecay", "args": {"warmup_duration": 2, "decay_duration": 5, "decay_shape": "cosine", "cosine_cycles": 0.5, "warmup_start_factor": 0.1}},
    {"name": "WarmupStableDecay", "args": {"decay_duration": 0.5, "decay_shape": "power", "decay_power": 0.5, "min_lr": 0.01, "horizon": 20}},
    {"name": "WarmupStableDecay", "args": {"decay_duration": 3, "stable_duration": 4, "decay_shape": "exp", "decay_ratio": 0.1, "min_lr_ratio": 0.1}},
    {"name": "WarmupStableDecay", "args": {"warmup_duration": 2, "decay_duration": 3, "stable_shape": "power", "stable_timescale": 2, "stable_power": 0.5, "unit": "epoch"}},
    {"name": "Cyclic", "args": {"step_size_up": 2, "min_lr": 0.01}},
    {"name": "Cyclic", "args": {"step_size_up": 0.2, "step_size_down": 3, "mode": "exp_range", "gamma": 0.9, "min_lr_ratio": 0.1}},
    {"name": "CyclicMomentum", "args": {"step_size_up": 2, "step_size_down": 0.5, "base_momentum": 0.05, "mode": "exp_range", "gamma": 0.9}},
    {"name": "CyclicMomentum", "args": {"step_size_up": 2, "base_momentum": 0.05, "max_momentum": 0.09, "mode": "triangular2", "unit": "epoch"}},
    {"name": "OneCycle", "args": {"pct_start": 0.25}},
    {"name": "OneCycle", "args": {"pct_start": 0.6, "three_phase": True, "anneal": "linear", "horizon": 7, "unit": "epoch"}},
    {"name": "OneCycleMomentum", "args": {"pct_start": 0.25, "base_momentum": 0.05, "horizon": 5}},
    {"name": "OneCycleMomentum", "args": {"pct_start": 0.5, "three_phase": True, "base_momentum": 0.05, "max_momentum": 0.09}},
    {"name": "InverseSqrt", "args": {"timescale": 3}},
    {"name": "InverseSqrt", "args": {"timescale": 3, "hold": 2, "unit": "epoch"}},
    {"name": "InverseTimeDecay", "args": {"decay_steps": 2, "decay_rate": 0.5}},
    {"name": "InverseTimeDecay", "args": {"decay_steps": 2.5, "decay_rate": 0.5, "staircase": True, "unit": "epoch"}},
    {"name": "PiecewiseInterpolate", "args": {"boundaries": [2, 5], "scales": [0.5, 0.1]}},
    {"name": "PiecewiseInterpolate", "args": {"boundaries": [-2, 7], "scales": [0.5, 2.0], "interpolation": "cosine"}},
    {"name": "PiecewiseInterpolate", "args": {"boundaries": [3], "scales": [0.0], "interpolation": "constant", "unit": "epoch"}},
    {"name": "Noise", "args": {"policy": COSINE, "start": 1, "end": 9, "limit": 0.5, "std": 0.5}},
    {"name": "Noise", "args": {"start": 0.2, "end": 0.9, "distribution": "uniform", "limit": 1, "unit": "epoch", "seed": 7}},
    {"name": "Warmup", "args": {"duration": 2, "policy": COSINE}},
    {"name": "Warmup", "args": {"duration": 0.3, "start_factor": 0, "ramp_to": "lr0", "clock": "global", "unit": "epoch", "policy": {"name": "ReduceCosine"}}},
    {"name": "Product", "args": {"policies": [COSINE, {"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": 2}}]}},
    {"name": "Clip", "args": {"policy": COSINE, "min_lr": 0.01, "max_lr": 0.05}},
    {"name": "ReduceCosine", "args": {"unit": "step", "horizon": 5, "exponent": 2, "after": "continue", "min_lr_ratio": 0.1, "rate": 0.6}},
    {"name": "ReduceCosine", "args": {"min_lr": 0.01}},
    {"name": "ReducePoly", "args": {"poly_power": 2, "unit": "step", "horizon": 4, "cycle": True, "min_lr_ratio": 0.1}},
    {"name": "ReducePoly", "args": {"poly_power": 0.9, "min_lr": 0.01}},
    {"name": "Constant", "args": {"factor": 0.5, "duration": 0.5}},
    {"name": "LinearDecay", "args": {"start_factor": 0, "end_factor": 1, "duration": 0.3, "unit": "epoch"}},
    {"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": 2, "unit": "epoch"}},
    {"name": "MultiStepDecay", "args": {"milestones": [2, 5], "gamma": 0.5}},
    {"name": "ReduceOnPlateau", "args": {"plateau_count_trigger": 1, "reduction_rate": 0.5, "eps": 0.001, "threshold_mode": "rel_signed", "threshold": 0.1, "threshold_abs": 0.01, "min_lr_ratio": 0.1}},
    {"name": "ReduceOnPlateau", "args": {"plateau_count_trigger": 2, "reduction_rate": 0.5, "threshold_mode": "abs", "threshold": 0.1, "cooldown": 1, "min_lr": 0.01, "policy": COSINE}},
    {"name": "Sequential", "args": {"policies": [{"name": "Constant"}, {"name": "ReducePoly", "args": {"poly_power": 1}}], "milestones": [5]}},
    {"name": "CosineRestarts", "args": {"period": 3, "period_mult": 1.5, "peak_decay": 0.5, "amplitude_decay": 0.8, "period_limit": 4, "k_decay": 2, "min_lr": 0.01}},
    {"name": "CosineRestarts", "args": {"periods": 2.5, "period_mult": 2, "wave": "full", "min_lr_ratio": 0.1, "horizon": 10, "unit": "epoch"}},
    {"name": "CosineRestarts", "args": {"period": 2, "period_mult": 1.3, "arithmetic": "torch", "horizon": 9}},
    {"name": "CosineRestarts", "args": {"period": 2, "period_mult": 3, "arithmetic": "timm", "k_decay": 0.5, "unit": "epoch"}},
    {"name": "TanhDecay", "args": {"period": 3, "period_mult": 1.5, "lb": -5, "ub": 2, "period_limit": 3, "peak_decay": 0.5, "arithmetic": "timm"}},
    {"name": "TanhDecay", "args": {"periods": 1, "min_lr_ratio": 0.1}},
]


def _extremes(argument) -> list[object]:
    """The extremes of ``argument``'s kind and the neighbours of its bounds."""
    if argument.kind is int:
        values: list[object] = [0, 1, 2, 3, 2**31, 2**53 - 1, 2**53, -(2**53)]
    else:
        values = [HUGE, TINY, 1e-300, 1e300, 0.0, 1.0, 0.9999999999999999, 1.0000000000000002]
    for bound in (argument.gt, argument.ge, argument.lt, argument.le):
        if bound is not None:
            values += [bound, math.nextafter(bound, math.inf), math.nextafter(bound, -math.inf)]
    return values


def _cases() -> list[tuple[str, dict]]:
    cases = []
    for number, entry in enumerate(ENTRIES):
        for argument in arguments_of(builtin()[entry["name"]]):
            if argument.kind not in (int, float) or argument.choices:
                continue
            for value in dict.fromkeys(_extremes(argument), None):
                changed = copy.deepcopy(entry)
                changed["args"][argument.name] = [value] * len(entry["args"][argument.name]) if argument.many else value
                cases.append((f"{entry['name']}{number}.{argument.name}={value!r}", changed))
    return cases


CASES = _cases()


@pytest.mark.parametrize("entry", [entry for _, entry in CASES], ids=[label for label, _ in CASES])
def test_what_validates_at_an_extreme_runs_in_the_hook_and_the_curve(entry):
    if validate(entry, pointer=""):
        return  # a problem in the config: what this test asks of an extreme that cannot run
    policy = build(entry)
    for total_epochs, steps_per_epoch in ((3, 4), (1, 1)):
        steps = total_epochs * steps_per_epoch + 2
        metrics = [0.5, 0.4, 0.5]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            hook = LRHook(policy, TrainContext(initial_lr=0.1, total_epochs=total_epochs, steps_per_epoch=steps_per_epoch), lambda lr: None)
            stepped = [lr for _, lr in drive(hook, steps, metrics)]
            whole = curve(policy, TrainContext(initial_lr=0.1, total_epochs=total_epochs, steps_per_epoch=steps_per_epoch), steps=steps, metrics=metrics).tolist()
        assert all(math.isfinite(lr) and lr >= 0 for lr in stepped), stepped
        np.testing.assert_allclose(whole, stepped, rtol=1e-12, atol=0)
        resumed = LRHook(policy, TrainContext(initial_lr=0.1, total_epochs=total_epochs, steps_per_epoch=steps_per_epoch), lambda lr: None)
        resumed.load_state_dict(json.loads(json.dumps(hook.state_dict())))
        assert resumed.ctx.current_lr == hook.ctx.current_lr
