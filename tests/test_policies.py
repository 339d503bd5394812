"""The four Clara policies: golden tables, purity, argument checks, plateau semantics."""

import json
import math
from dataclasses import replace

import pytest

from lrpol import DecayOnStep, ReduceCosine, ReduceOnPlateau, ReducePoly, TrainContext

CTX = TrainContext(initial_lr=0.1, total_epochs=10)


def at_steps(policy, steps, ctx=CTX):
    return [policy.evaluate(replace(ctx, global_step=s)) for s in steps]


def at_epochs(policy, epochs, ctx=CTX):
    return [policy.evaluate(replace(ctx, epoch=e)) for e in epochs]


# -- golden tables (base LR 0.1; entry i is the LR of update / epoch i) ------------------------

def test_decay_on_step_golden():
    expected = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125]
    assert at_steps(DecayOnStep(decay_ratio=0.5, decay_freq=3), range(12)) == expected


def test_decay_on_step_reads_steps_not_epochs():
    policy = DecayOnStep(decay_ratio=0.1, decay_freq=100)
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, global_step=250, epoch=7)
    assert policy.evaluate(ctx) == pytest.approx(0.01, rel=1e-15)
    assert policy.evaluate(replace(ctx, epoch=0)) == policy.evaluate(ctx)


def test_decay_on_step_keeps_decaying_past_the_run():
    policy = DecayOnStep(decay_ratio=0.5, decay_freq=1)
    assert policy.evaluate(replace(CTX, global_step=20, epoch=50)) == 0.1 * 0.5**20


def test_reduce_poly_golden():
    # (1 - e/10) ** 0.9, worked out by hand: 0.9**0.9 = exp(0.9 * ln 0.9) = 0.909532576...
    expected = [
        0.1, 0.09095325760829623, 0.08180521460508584, 0.072541784693722, 0.06314458674893553,
        0.05358867312681466, 0.043838329055408694, 0.033838346190164986, 0.023492378861760376,
        0.01258925411794167, 0.0, 0.0,
    ]
    assert at_epochs(ReducePoly(poly_power=0.9), range(12)) == pytest.approx(expected, rel=1e-12, abs=0)


def test_reduce_poly_linear_is_exact():
    policy = ReducePoly(poly_power=1)
    ctx = TrainContext(initial_lr=1.0, total_epochs=4)
    assert at_epochs(policy, range(6), ctx) == [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]


def test_reduce_cosine_golden():
    # 0.05 * (1 + cos(pi * e / 10)); held at 0 from e = 10 on (torch would rise to 0.00245 at e = 11)
    expected = [
        0.1, 0.09755282581475769, 0.09045084971874738, 0.07938926261462367, 0.06545084971874739,
        0.05000000000000001, 0.03454915028125264, 0.020610737385376353, 0.009549150281252635,
        0.002447174185242324, 0.0, 0.0,
    ]
    assert at_epochs(ReduceCosine(), range(12)) == pytest.approx(expected, rel=1e-12, abs=1e-18)


def test_reduce_cosine_rate_scales_the_whole_curve():
    assert at_epochs(ReduceCosine(rate=1.0), [0, 5, 10]) == pytest.approx([0.2, 0.1, 0.0], rel=1e-15, abs=1e-18)


def test_epoch_policies_are_constant_within_an_epoch():
    ctx = TrainContext(initial_lr=0.1, total_epochs=10, steps_per_epoch=50)
    for policy in (ReduceCosine(), ReducePoly(poly_power=0.9)):
        values = {policy.evaluate(replace(ctx, epoch=3, global_step=s)) for s in range(150, 200)}
        assert len(values) == 1


@pytest.mark.parametrize("policy", [DecayOnStep(decay_ratio=0.9, decay_freq=2), ReduceCosine(), ReducePoly(poly_power=2.0)])
def test_closed_form_policies_are_pure(policy):
    ctx = TrainContext(initial_lr=0.3, total_epochs=5, global_step=7, epoch=3)
    first = policy.evaluate(ctx)
    assert [policy.evaluate(ctx) for _ in range(3)] == [first] * 3
    assert ctx.history == {} and policy.save_history(ctx.history) == {}  # nothing to remember


# -- constructors check every argument ----------------------------------------------------------

@pytest.mark.parametrize(
    "cls, kwargs, argument",
    [
        (DecayOnStep, {"decay_ratio": 0.5, "decay_freq": 0}, "decay_freq"),
        (DecayOnStep, {"decay_ratio": 0.5, "decay_freq": True}, "decay_freq"),
        (DecayOnStep, {"decay_ratio": 0.5, "decay_freq": 2.5}, "decay_freq"),
        (DecayOnStep, {"decay_ratio": 0.0, "decay_freq": 1}, "decay_ratio"),
        (DecayOnStep, {"decay_ratio": 1.5, "decay_freq": 1}, "decay_ratio"),
        (DecayOnStep, {"decay_ratio": math.nan, "decay_freq": 1}, "decay_ratio"),
        (DecayOnStep, {"decay_ratio": "0.5", "decay_freq": 1}, "decay_ratio"),
        (ReducePoly, {"poly_power": 0}, "poly_power"),
        (ReducePoly, {"poly_power": math.inf}, "poly_power"),
        (ReduceCosine, {"rate": -0.5}, "rate"),
        (ReduceCosine, {"rate": False}, "rate"),
        (ReduceOnPlateau, {"plateau_count_trigger": 0, "reduction_rate": 0.5}, "plateau_count_trigger"),
        (ReduceOnPlateau, {"plateau_count_trigger": 1, "reduction_rate": 1.0}, "reduction_rate"),
        (ReduceOnPlateau, {"plateau_count_trigger": 1, "reduction_rate": 0.5, "mode": "maximum"}, "mode"),
        (ReduceOnPlateau, {"plateau_count_trigger": 1, "reduction_rate": 0.5, "threshold": -0.1}, "threshold"),
        (ReduceOnPlateau, {"plateau_count_trigger": 1, "reduction_rate": 0.5, "min_lr": -math.inf}, "min_lr"),
        (ReduceOnPlateau, {"plateau_count_trigger": 1, "reduction_rate": 0.5, "cooldown": -1}, "cooldown"),
    ],
)
def test_constructor_rejects_bad_argument_naming_it(cls, kwargs, argument):
    with pytest.raises(ValueError) as info:
        cls(**kwargs)
    assert str(info.value).startswith(f"{argument}: ")


def test_constructor_accepts_whole_floats_as_integers():
    policy = DecayOnStep(decay_ratio=1, decay_freq=4.0)
    assert policy.decay_freq == 4 and type(policy.decay_freq) is int
    assert policy.decay_ratio == 1.0 and type(policy.decay_ratio) is float


def test_missing_argument_is_a_type_error_from_python():
    with pytest.raises(TypeError, match="poly_power"):
        ReducePoly()


# -- ReduceOnPlateau ------------------------------------------------------------------------------

def run_plateau(policy, metrics, *, lr0=0.1, evaluations_per_result=1, ctx=None):
    """The LR after each validation result, as the hook would produce it, in ``ctx`` (a new one by default)."""
    ctx = ctx or TrainContext(initial_lr=lr0, total_epochs=len(metrics))
    lrs = []
    for metric in metrics:
        ctx.metric, ctx.metric_count = metric, ctx.metric_count + 1
        for _ in range(evaluations_per_result):
            lr = policy.evaluate(ctx)
        lrs.append(lr)
    return lrs


def test_plateau_truth_table_flat_metric():
    policy = ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5)
    ctx = TrainContext(initial_lr=0.1, total_epochs=7)
    assert run_plateau(policy, [0.9] * 7, ctx=ctx) == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125]
    assert ctx.history == {"seen": 7, "best": 0.9, "bad_count": 0, "cooldown_left": 0, "reductions": 3}


def test_plateau_improvement_resets_the_counter():
    policy = ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5)
    # result:      1     2 (bad)  3 (better)  4 (bad)  5 (bad: reduce)
    lrs = run_plateau(policy, [0.5, 0.5, 0.6, 0.6, 0.55])
    assert lrs == [0.1, 0.1, 0.1, 0.1, 0.05]


def test_plateau_trigger_one_reduces_on_every_non_improving_result():
    policy = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.1)
    assert run_plateau(policy, [1.0, 1.0, 2.0, 1.5], lr0=1.0) == pytest.approx([1.0, 0.1, 0.1, 0.01], rel=1e-15)


def test_plateau_counts_each_result_once_however_often_evaluated():
    lrs = run_plateau(ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5), [0.9] * 5, evaluations_per_result=7)
    assert lrs == [0.1, 0.1, 0.05, 0.05, 0.025]


def test_plateau_mode_min():
    policy = ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5, mode="min")
    # a falling loss improves; a rising one does not
    assert run_plateau(policy, [1.0, 0.8, 0.9, 0.95, 0.7, 0.71, 0.72]) == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]


def test_plateau_threshold_is_relative_to_best():
    policy = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, threshold=0.1)
    # best 1.0: 1.05 is within 10%, so not an improvement (reduce); 1.2 is (best = 1.2); 1.3 < 1.32 (reduce)
    assert run_plateau(policy, [1.0, 1.05, 1.2, 1.3]) == [0.1, 0.05, 0.05, 0.025]


@pytest.mark.parametrize("mode, metrics", [("max", [-1.0] * 5), ("min", [-1.0] * 5)])
def test_plateau_negative_flat_metric_reduces(mode, metrics):
    # torch's rel threshold multiplies best by (1 +- threshold); for a negative best that moves the
    # bar the wrong way, so a flat -1.0 counts as an improvement for ever (pytorch #47513).
    policy = ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5, mode=mode, threshold=0.1)
    ctx = TrainContext(initial_lr=0.1, total_epochs=5)
    assert run_plateau(policy, metrics, ctx=ctx) == [0.1, 0.1, 0.05, 0.05, 0.025]
    assert ctx.history["best"] == -1.0


def test_plateau_negative_metric_margin_uses_abs_best():
    policy = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, mode="max", threshold=0.1)
    # best -1.0: improving needs > -0.9. -0.95 is not (reduce), -0.85 is.
    ctx = TrainContext(initial_lr=0.1, total_epochs=3)
    assert run_plateau(policy, [-1.0, -0.95, -0.85], ctx=ctx) == [0.1, 0.05, 0.05]
    assert ctx.history["best"] == -0.85


def test_plateau_cooldown_ignores_results_after_a_reduction():
    policy = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, cooldown=2)
    # result 2 reduces; results 3 and 4 are in cooldown; result 5 reduces again
    assert run_plateau(policy, [1.0] * 6) == [0.1, 0.05, 0.05, 0.05, 0.025, 0.025]


def test_plateau_min_lr_is_a_floor():
    policy = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.1, min_lr=0.002)
    assert run_plateau(policy, [1.0] * 5) == pytest.approx([0.1, 0.01, 0.002, 0.002, 0.002], rel=1e-15)


def test_plateau_min_lr_above_lr0_never_raises_the_lr():
    policy = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, min_lr=1.0)
    assert run_plateau(policy, [1.0] * 3) == [0.1, 0.1, 0.1]


def test_plateau_without_results_stays_at_lr0():
    policy = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5)
    assert policy.evaluate(replace(CTX, global_step=999, epoch=9)) == 0.1


def test_plateau_refuses_skipped_results():
    policy = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5)
    with pytest.raises(ValueError, match="has counted 0 validation results but the context reports 2"):
        policy.evaluate(replace(CTX, metric=0.5, metric_count=2))


def test_plateau_refuses_a_nan_metric_naming_it():
    policy = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5)
    ctx = TrainContext(initial_lr=0.1, total_epochs=1)
    ctx.metric, ctx.metric_count = math.nan, 1
    with pytest.raises(ValueError, match="got nan"):
        policy.evaluate(ctx)


def test_plateau_state_round_trips_through_json_and_continues_identically():
    metrics = [0.5, 0.6, 0.6, 0.6, 0.61, 0.6, 0.6, 0.6, 0.7, 0.7]
    reference = run_plateau(ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5, cooldown=1), metrics)
    for k in range(len(metrics) + 1):
        first = ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5, cooldown=1)
        ctx = TrainContext(initial_lr=0.1, total_epochs=10)
        lrs = []
        for metric in metrics[:k]:
            ctx.metric, ctx.metric_count = metric, ctx.metric_count + 1
            lrs.append(first.evaluate(ctx))
        saved = json.loads(json.dumps(first.save_history(ctx.history)))
        second = ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5, cooldown=1)
        ctx = replace(ctx, history=second.load_history(saved))
        for metric in metrics[k:]:
            ctx.metric, ctx.metric_count = metric, ctx.metric_count + 1
            lrs.append(second.evaluate(ctx))
        assert lrs == reference, k


@pytest.mark.parametrize(
    "state, message",
    [
        ({"seen": 1}, "must have the keys"),
        ({"seen": -1, "best": None, "bad_count": 0, "cooldown_left": 0, "reductions": 0}, "seen must be an integer >= 0"),
        ({"seen": 1, "best": "x", "bad_count": 0, "cooldown_left": 0, "reductions": 0}, "best must be null or a finite number"),
        ({"seen": 1, "best": math.nan, "bad_count": 0, "cooldown_left": 0, "reductions": 0}, "best must be null or a finite number"),
        ({"seen": 1, "best": 0.5, "bad_count": 0, "cooldown_left": 0, "reductions": 1.5}, "reductions must be an integer"),
    ],
)
def test_plateau_rejects_a_bad_state(state, message):
    policy = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5)
    with pytest.raises(ValueError, match=message):
        policy.load_history(state)


def test_stateless_policy_rejects_a_state():
    with pytest.raises(ValueError, match="has no state"):
        ReducePoly(poly_power=1.0).load_history({"seen": 3})
