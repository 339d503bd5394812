"""LRHook: what it applies and when, metrics, explicit epochs, and its JSON state."""

import json
import math

import pytest
from conftest import CONFIGS, assert_resumes_exactly

from lrpol import (
    DecayOnStep,
    LRHook,
    ReduceCosine,
    ReduceOnPlateau,
    ReducePoly,
    TrainContext,
    load,
)
from lrpol.hook import drive


class Recorder:
    """An apply() that keeps every LR it is given, like an optimizer's param group would."""

    def __init__(self):
        self.applied = []

    def __call__(self, lr):
        self.applied.append(lr)


def test_construction_applies_step_zero_and_nothing_else():
    ctx = TrainContext(initial_lr=0.1, total_epochs=3, steps_per_epoch=4)
    apply = Recorder()
    LRHook(DecayOnStep(decay_ratio=0.5, decay_freq=2), ctx, apply)
    assert apply.applied == [0.1]
    assert (ctx.global_step, ctx.epoch, ctx.current_lr, ctx.metric_count) == (0, 0, 0.1, 0)


def test_step_advances_the_step_and_the_epoch_and_applies_the_next_lr():
    ctx = TrainContext(initial_lr=1.0, total_epochs=4, steps_per_epoch=3)
    apply = Recorder()
    hook = LRHook(ReducePoly(poly_power=1), ctx, apply)
    returned = [hook.step() for _ in range(13)]
    # updates 0-2 are epoch 0 (lr 1), 3-5 epoch 1 (0.75), 6-8 epoch 2 (0.5), 9-11 epoch 3 (0.25), 12 after the run (0)
    assert apply.applied == [1.0] * 3 + [0.75] * 3 + [0.5] * 3 + [0.25] * 3 + [0.0] * 2
    assert returned == apply.applied[1:]
    assert (ctx.global_step, ctx.epoch) == (13, 4)


def test_report_metric_applies_the_reduction_at_once():
    ctx = TrainContext(initial_lr=0.1, total_epochs=10, steps_per_epoch=2)
    apply = Recorder()
    hook = LRHook(ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5), ctx, apply)
    hook.step()
    hook.step()
    assert hook.report_metric(0.7) == 0.1  # first result: new best
    hook.step()
    assert hook.report_metric(0.7) == 0.05  # no improvement: reduced before the next update
    assert apply.applied == [0.1, 0.1, 0.1, 0.1, 0.1, 0.05]
    assert (ctx.metric, ctx.metric_count) == (0.7, 2)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_metric_is_an_error_naming_it(bad):
    ctx = TrainContext(initial_lr=0.1, total_epochs=1)
    hook = LRHook(ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5), ctx, Recorder())
    with pytest.raises(ValueError, match=f"metric is {bad}"):
        hook.report_metric(bad)
    assert ctx.metric_count == 0


@pytest.mark.parametrize("bad", ["0.5", True, None])
def test_non_numeric_metric_is_a_type_error(bad):
    hook = LRHook(ReducePoly(poly_power=1), TrainContext(initial_lr=0.1, total_epochs=1), Recorder())
    with pytest.raises(TypeError):
        hook.report_metric(bad)


def test_numpy_scalar_metric_is_accepted():
    import numpy as np
    ctx = TrainContext(initial_lr=0.1, total_epochs=1)
    LRHook(ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5), ctx, Recorder()).report_metric(np.float32(0.25))
    assert ctx.metric == 0.25 and type(ctx.metric) is float


def plateau_run() -> LRHook:
    """lr0 = 1, two updates per epoch, halved at the first result that does not improve."""
    return LRHook(ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5), TrainContext(initial_lr=1.0, total_epochs=3, steps_per_epoch=2), Recorder())


def test_drive_reports_each_result_after_the_last_update_of_its_epoch():
    hook = plateau_run()
    # Result 0 after update 1 sets the best; result 1, after update 3, does not improve on it.
    assert list(drive(hook, 6, [1.0, 1.0])) == [(0, 1.0), (1, 1.0), (2, 1.0), (3, 1.0), (4, 0.5), (5, 0.5)]
    assert (hook.ctx.global_step, hook.ctx.epoch, hook.ctx.metric_count) == (6, 3, 2)


def test_drive_goes_on_from_where_the_hook_is_and_stops_reporting_when_results_run_out():
    hook = plateau_run()
    assert list(drive(hook, 3, [1.0, 1.0])) == [(0, 1.0), (1, 1.0), (2, 1.0)]
    assert list(drive(hook, 6, [1.0, 1.0])) == [(3, 1.0), (4, 0.5), (5, 0.5)]
    assert list(drive(plateau_run(), 6, [1.0])) == [(0, 1.0), (1, 1.0), (2, 1.0), (3, 1.0), (4, 1.0), (5, 1.0)]


def test_drive_at_epoch_ends_only_jumps_to_the_last_update_of_each_epoch():
    hook = plateau_run()
    assert list(drive(hook, 6, [1.0, 1.0], epoch_ends_only=True)) == [(1, 1.0), (3, 1.0), (5, 0.5)]
    assert hook.ctx.history["reductions"] == 1
    assert list(drive(plateau_run(), 5, [1.0, 1.0], epoch_ends_only=True)) == [(1, 1.0), (3, 1.0), (4, 0.5)]  # a last, partial epoch


def test_drive_needs_steps_per_epoch():
    hook = LRHook(ReducePoly(poly_power=1), TrainContext(initial_lr=1.0, total_epochs=3), Recorder())
    with pytest.raises(ValueError) as info:
        next(drive(hook, 3))
    assert str(info.value) == "drive() needs ctx.steps_per_epoch: the epoch of each update must be known"


def test_next_epoch_for_trainers_without_steps_per_epoch():
    ctx = TrainContext(initial_lr=0.1, total_epochs=4)
    apply = Recorder()
    hook = LRHook(ReduceCosine(), ctx, apply)
    for _ in range(5):
        hook.step()  # steps do not move the epoch when steps_per_epoch is unknown
    assert ctx.epoch == 0
    assert [hook.next_epoch() for _ in range(4)] == pytest.approx([0.085355339059327, 0.05, 0.014644660940673, 0.0], rel=1e-12, abs=1e-18)
    assert ctx.epoch == 4


def test_next_epoch_refuses_when_steps_drive_the_epoch():
    hook = LRHook(ReduceCosine(), TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=10), Recorder())
    with pytest.raises(ValueError, match="steps_per_epoch=10"):
        hook.next_epoch()


@pytest.mark.parametrize("config", sorted(CONFIGS.glob("*.json")), ids=lambda p: p.stem)
def test_resume_from_json_state_follows_the_same_curve(config):
    metrics = [0.1, 0.2, 0.2, 0.2, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2]

    def start():
        lrs = []
        return LRHook(load(config), TrainContext(initial_lr=1e-3, total_epochs=6, steps_per_epoch=4), lrs.append), lrs

    assert_resumes_exactly(start, metrics, steps_per_epoch=4, total_steps=40)


def test_state_dict_is_json_and_versioned():
    ctx = TrainContext(initial_lr=0.1, total_epochs=5, steps_per_epoch=2)
    hook = LRHook(ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5), ctx, Recorder())
    hook.step()
    hook.report_metric(0.3)
    state = hook.state_dict()
    assert json.loads(json.dumps(state)) == state
    assert state == {
        "format": 1,
        "context": {"global_step": 1, "epoch": 0, "metric": 0.3, "metric_count": 1},
        "policy": {"seen": 1, "best": 0.3, "bad_count": 0, "cooldown_left": 0, "reductions": 0},
    }


@pytest.mark.parametrize(
    "state, message",
    [
        ({"format": 2}, "format 1"),
        ([], "format 1"),
        ({"format": 1, "context": {"global_step": 1}}, "'context' must have the keys"),
        ({"format": 1, "context": {"global_step": -1, "epoch": 0, "metric": None, "metric_count": 0}, "policy": {}}, "global_step"),
        ({"format": 1, "context": {"global_step": 1, "epoch": 0, "metric": "x", "metric_count": 0}, "policy": {}}, "metric"),
    ],
)
def test_bad_state_is_refused_and_changes_nothing(state, message):
    ctx = TrainContext(initial_lr=0.1, total_epochs=5)
    apply = Recorder()
    hook = LRHook(DecayOnStep(decay_ratio=0.5, decay_freq=1), ctx, apply)
    hook.step()
    with pytest.raises(ValueError, match=message):
        hook.load_state_dict(state)
    assert (ctx.global_step, apply.applied) == (1, [0.1, 0.05])


def test_plateau_resume_at_every_step_with_many_reductions():
    metrics = [0.5, 0.5, 0.5, 0.6, 0.6, 0.6, 0.6, 0.7, 0.69, 0.7, 0.7, 0.7]

    def start():
        ctx = TrainContext(initial_lr=0.1, total_epochs=len(metrics), steps_per_epoch=3)
        apply = Recorder()
        policy = ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5, cooldown=1, threshold=0.01)
        return LRHook(policy, ctx, apply), apply.applied

    reference = assert_resumes_exactly(start, metrics, steps_per_epoch=3, total_steps=len(metrics) * 3)
    assert len(set(reference)) >= 4  # several reductions happened


def test_refused_policy_state_leaves_everything_as_it_was():
    ctx = TrainContext(initial_lr=0.1, total_epochs=5)
    apply = Recorder()
    hook = LRHook(ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5), ctx, apply)
    hook.report_metric(0.5)
    hook.report_metric(0.5)
    before = hook.state_dict()
    # The policy has counted 3 results but the context says none were reported: refused as a whole.
    bad = {"format": 1, "context": {"global_step": 0, "epoch": 0, "metric": None, "metric_count": 0},
           "policy": {"seen": 3, "best": 0.5, "bad_count": 0, "cooldown_left": 0, "reductions": 1}}
    with pytest.raises(ValueError, match=r"^policy: ReduceOnPlateau state: seen is 3 but the context's metric_count is 0"):
        hook.load_state_dict(bad)
    assert hook.state_dict() == before
    assert hook.report_metric(0.5) == 0.025  # still counting where it was


def test_state_epoch_must_follow_from_the_step():
    hook = LRHook(ReduceCosine(), TrainContext(initial_lr=0.1, total_epochs=10, steps_per_epoch=4), Recorder())
    state = {"format": 1, "context": {"global_step": 5, "epoch": 9, "metric": None, "metric_count": 0}, "policy": {}}
    with pytest.raises(ValueError, match="epoch 9 does not follow from global_step 5 with steps_per_epoch=4"):
        hook.load_state_dict(state)


def test_hook_without_a_policy_keeps_lr0(write):
    policy = load(write("off.yaml", "train:\n  lr_policy: {name: ReduceCosine, disabled: true}\n"))
    assert policy is None
    apply = Recorder()
    hook = LRHook(policy, TrainContext(initial_lr=0.3, total_epochs=2, steps_per_epoch=1), apply)
    hook.step()
    hook.step()
    assert apply.applied == [0.3, 0.3, 0.3]


def test_resuming_with_more_epochs_follows_the_new_horizon_from_the_saved_step():
    # Documented: the config gives the run's shape, the state gives the position in it. A longer
    # run resumes at the same step and epoch, on the curve of the new length.
    policy = ReducePoly(poly_power=1)
    short = TrainContext(initial_lr=1.0, total_epochs=10, steps_per_epoch=2)
    hook = LRHook(policy, short, Recorder())
    for _ in range(10):
        hook.step()
    assert short.current_lr == 0.5  # epoch 5 of 10
    longer = TrainContext(initial_lr=1.0, total_epochs=20, steps_per_epoch=2)
    resumed = LRHook(ReducePoly(poly_power=1), longer, apply := Recorder())
    resumed.load_state_dict(json.loads(json.dumps(hook.state_dict())))
    assert (longer.global_step, longer.epoch, apply.applied[-1]) == (10, 5, 0.75)  # epoch 5 of 20
    for _ in range(30):
        resumed.step()
    assert (longer.epoch, longer.current_lr) == (20, 0.0)


def test_step_refuses_a_metric_as_torchs_plateau_takes_it_and_names_report_metric():
    ctx = TrainContext(initial_lr=0.1, total_epochs=2, steps_per_epoch=2)
    hook = LRHook(ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5), ctx, lambda lr: None)
    with pytest.raises(TypeError, match=r"takes no arguments, got metrics=0\.5: report a validation result with report_metric"):
        hook.step(0.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got epoch=3"):
        hook.step(epoch=3)  # type: ignore[arg-type]
    assert (ctx.global_step, ctx.metric_count) == (0, 0)  # nothing moved
