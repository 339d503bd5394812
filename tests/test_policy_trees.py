"""Random trees of built-in policies (composites in composites, plateaus anywhere): the whole
curve equals the hook's LR at every update, never by stepping, and a run saved at any update
resumes on exactly the same LRs."""

from __future__ import annotations

import importlib
import json

import numpy as np
import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from lrpol import (
    Clip,
    Constant,
    CosineRestarts,
    Cyclic,
    CyclicMomentum,
    DecayOnStep,
    ExponentialDecay,
    InverseSqrt,
    InverseTimeDecay,
    LinearDecay,
    LRHook,
    Noise,
    OneCycle,
    OneCycleMomentum,
    PiecewiseInterpolate,
    Product,
    ReduceCosine,
    ReduceOnPlateau,
    ReducePoly,
    Sequential,
    TanhDecay,
    TrainContext,
    Warmup,
    WarmupStableDecay,
    curve,
)
from lrpol.hook import drive

UNITS = st.sampled_from(["step", "epoch"])
HORIZONS = st.none() | st.integers(1, 12)


def leaves() -> st.SearchStrategy:
    return st.one_of(
        st.builds(DecayOnStep, decay_ratio=st.floats(0.3, 0.9), decay_freq=st.integers(1, 5)),
        st.builds(ReducePoly, poly_power=st.floats(0.5, 2.0), unit=UNITS),
        st.builds(ReducePoly, poly_power=st.floats(0.5, 2.0), unit=UNITS, horizon=HORIZONS, cycle=st.booleans(), min_lr_ratio=st.sampled_from([None, 0.1])),
        st.builds(ReduceCosine, unit=UNITS, min_lr=st.sampled_from([0.0, 0.01])),
        st.builds(ReduceCosine, unit=UNITS, horizon=HORIZONS, min_lr=st.sampled_from([0.0, 0.01]), after=st.just("torch")),
        st.builds(
            ReduceCosine, unit=UNITS, horizon=HORIZONS, min_lr_ratio=st.sampled_from([None, 0.1]),
            exponent=st.sampled_from([1.0, 0.5, 2.0]), after=st.sampled_from(["hold", "continue"]),
        ),
        st.builds(ExponentialDecay, gamma=st.floats(0.3, 1.0), every=st.integers(1, 4), staircase=st.booleans(), min_lr=st.sampled_from([0.0, 0.02]), unit=UNITS),
        st.builds(ExponentialDecay, gamma=st.floats(1.1, 3.0), every=st.integers(1, 4), staircase=st.booleans(), max_lr=st.sampled_from([0.05, 0.3]), unit=UNITS),
        st.builds(
            lambda knots, interpolation, unit: PiecewiseInterpolate(boundaries=[b for b, _ in knots], scales=[s for _, s in knots], interpolation=interpolation, unit=unit),
            st.lists(st.tuples(st.integers(-3, 12), st.sampled_from([0.0, 0.5, 0.8, 2.0])), min_size=1, max_size=4, unique_by=lambda knot: knot[0]).map(sorted),
            st.sampled_from(["linear", "cosine", "constant"]),
            UNITS,
        ),
        st.builds(Constant, factor=st.sampled_from([0.0, 0.2, 0.7]), duration=st.one_of(st.integers(1, 6), st.sampled_from([0.2, 0.5]))),
        st.builds(LinearDecay, start_factor=st.sampled_from([0.0, 1.0]), end_factor=st.sampled_from([0.0, 0.3]), duration=st.sampled_from([None, 3, 0.4]), unit=UNITS),
        st.builds(CosineRestarts, period=st.integers(1, 4), period_mult=st.integers(1, 2), unit=UNITS),
        restartings(CosineRestarts, k_decay=st.sampled_from([1.0, 0.5, 2.0]), wave=st.sampled_from(["half", "full"])),
        restartings(TanhDecay, lb=st.sampled_from([-7.0, -1.0]), ub=st.sampled_from([3.0, 1.0])),
        st.builds(InverseSqrt, timescale=st.floats(0.5, 5.0), hold=st.integers(0, 4), unit=UNITS),
        st.builds(InverseTimeDecay, decay_steps=st.sampled_from([1.0, 2.0, 2.5]), decay_rate=st.floats(0.0, 2.0), staircase=st.booleans(), unit=UNITS),
        wsds(),
        st.builds(OneCycle, pct_start=st.floats(0.1, 0.9), unit=UNITS, horizon=st.none() | st.integers(1, 30)),
        st.builds(OneCycleMomentum, pct_start=st.floats(0.1, 0.9), three_phase=st.booleans(), unit=UNITS, max_momentum=st.none() | st.just(0.95)),
        st.builds(
            Cyclic, step_size_up=st.integers(1, 5) | st.sampled_from([0.1, 0.3]), step_size_down=st.none() | st.integers(1, 5),
            mode=st.sampled_from(["triangular", "triangular2"]),
            unit=UNITS, min_lr_ratio=st.sampled_from([0.0, 0.25]),
        ),
        st.builds(CyclicMomentum, step_size_up=st.integers(1, 5), mode=st.just("exp_range"), gamma=st.floats(0.8, 1.0), unit=UNITS),
        plateaus(st.none()),
        noises(st.none()),
    )


def restartings(cls: type, **shape: st.SearchStrategy) -> st.SearchStrategy:
    """Periods of each kind: a whole or growing length, a count over the run (or a horizon), each
    arithmetic, decaying peaks and heights, a limit, an end."""
    lengths = st.one_of(
        st.fixed_dictionaries({"period": st.integers(1, 4), "period_mult": st.sampled_from([1, 1.5, 2, 2.5, 1.3]), "arithmetic": st.sampled_from(["exact", "torch", "timm"])}),
        st.fixed_dictionaries({"periods": st.sampled_from([1, 2, 3, 0.5, 2.5, 1.3]), "period_mult": st.sampled_from([1, 1.5, 2])}),
    )
    return st.builds(
        lambda length, **others: cls(**length, **others),
        lengths,
        horizon=HORIZONS,
        period_limit=st.none() | st.integers(1, 3),
        peak_decay=st.sampled_from([1.0, 0.7]),
        amplitude_decay=st.sampled_from([1.0, 0.8]),
        min_lr_ratio=st.sampled_from([None, 0.1]),
        unit=UNITS,
        **shape,
    )


def noises(child: st.SearchStrategy) -> st.SearchStrategy:
    return st.builds(
        Noise,
        policy=child,
        start=st.one_of(st.integers(0, 4), st.sampled_from([0.2, 0.5])),
        end=st.one_of(st.none(), st.integers(5, 12), st.sampled_from([0.6, 0.9])),
        unit=UNITS,
        distribution=st.sampled_from(["normal", "uniform"]),
        limit=st.sampled_from([0.1, 0.67, 1.0]),
        seed=st.integers(0, 2**40),
    )


def wsds() -> st.SearchStrategy:
    """Warmup, stable and decay from the run's length or given, with each shape and floor."""

    def build(warmup: float, decay: float, stable: float | None, warmup_shape: str, decay_shape: str, rsqrt: bool, ratio: float | None, unit: str) -> WarmupStableDecay:
        falling = {"stable_shape": "rsqrt", "stable_timescale": 2.0} if rsqrt else {}
        return WarmupStableDecay(
            warmup_duration=warmup, decay_duration=decay, stable_duration=stable, warmup_shape=warmup_shape, decay_shape=decay_shape,
            min_lr_ratio=ratio, unit=unit, **falling,
        )

    fractions = st.sampled_from([0.2, 0.5])
    return st.builds(
        build, st.integers(0, 4) | fractions, st.integers(1, 6) | fractions, st.none() | st.integers(0, 4) | fractions, st.sampled_from(["linear", "cosine", "1-sqrt"]),
        st.sampled_from(["linear", "cosine", "1-sqrt", "power", "exp"]), st.booleans(), st.sampled_from([None, 0.1]), UNITS,
    )


def plateaus(child: st.SearchStrategy) -> st.SearchStrategy:
    @st.composite
    def build(draw: st.DrawFn) -> ReduceOnPlateau:
        policy = draw(child)
        threshold_mode = draw(st.sampled_from(["rel", "abs", "rel_signed"]))
        floor = draw(st.sampled_from([{}, {"min_lr": 0.02}, {"min_lr_ratio": 0.3}]))
        return ReduceOnPlateau(
            plateau_count_trigger=draw(st.integers(1, 3)),
            reduction_rate=draw(st.floats(0.1, 0.9)),
            mode=draw(st.sampled_from(["min", "max"])),
            threshold_mode=threshold_mode,
            threshold=draw(st.sampled_from([0.0, 0.1])),
            threshold_abs=0.0 if threshold_mode == "abs" else draw(st.sampled_from([0.0, 0.05])),
            cooldown=draw(st.integers(0, 2)),
            eps=0.0 if policy is not None else draw(st.sampled_from([0.0, 0.01])),  # eps needs a known LR
            policy=policy,
            **floor,
        )

    return build()


def sequentials(child: st.SearchStrategy) -> st.SearchStrategy:
    def build(parts: list, gaps: list, unit: str) -> Sequential:
        milestones = tuple(np.cumsum(gaps[: len(parts) - 1]).tolist())
        return Sequential(policies=tuple(parts), milestones=milestones, unit=unit)

    return st.builds(build, st.lists(child, min_size=1, max_size=3), st.lists(st.integers(1, 6), min_size=2, max_size=2), UNITS)


def trees() -> st.SearchStrategy:
    return st.recursive(
        leaves(),
        lambda child: st.one_of(
            st.builds(
                Warmup,
                duration=st.one_of(st.integers(1, 7), st.sampled_from([0.1, 0.5])),
                unit=UNITS,
                clock=st.sampled_from(["restart", "global"]),
                start_factor=st.sampled_from([None, 0.0, 0.5]),
                ramp_to=st.sampled_from(["policy", "lr0"]),
                policy=child,
            ),
            st.builds(Product, policies=st.lists(child, min_size=2, max_size=2).map(tuple)),
            st.builds(Clip, policy=child, min_lr=st.sampled_from([0.0, 0.03]), max_lr=st.sampled_from([None, 0.08])),
            plateaus(child),
            noises(child),
            sequentials(child),
        ),
        max_leaves=5,
    )


def hook_run(policy, epochs: int, steps_per_epoch: int, steps: int, metrics: list[float]) -> list[float]:
    ctx = TrainContext(initial_lr=0.1, total_epochs=epochs, steps_per_epoch=steps_per_epoch)
    return [lr for _, lr in drive(LRHook(policy, ctx, lambda lr: None), steps, metrics)]


@settings(max_examples=examples(400), deadline=None)
@given(
    policy=trees(),
    epochs=st.integers(1, 8),
    steps_per_epoch=st.integers(1, 4),
    extra=st.integers(0, 6),
    metrics=st.lists(st.sampled_from([0.1, 0.5, 0.5, 0.9, -0.3]), max_size=10),
)
def test_the_curve_of_any_tree_is_the_hooks_without_stepping(policy, epochs, steps_per_epoch, extra, metrics):
    steps = epochs * steps_per_epoch + extra
    expected = hook_run(policy, epochs, steps_per_epoch, steps, metrics)

    def no_stepping(*args: object) -> None:
        raise AssertionError("a built-in policy's curve was stepped")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(importlib.import_module("lrpol.curve"), "stepped_curve", no_stepping)
        ours = curve(policy, TrainContext(initial_lr=0.1, total_epochs=epochs, steps_per_epoch=steps_per_epoch), steps=steps, metrics=metrics)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-18)


@settings(max_examples=examples(200), deadline=None)
@given(
    policy=trees(),
    epochs=st.integers(1, 6),
    steps_per_epoch=st.integers(1, 3),
    metrics=st.lists(st.sampled_from([0.1, 0.5, 0.5, 0.9]), min_size=1, max_size=8),
    cut=st.integers(0, 18),
)
def test_any_tree_resumes_from_json_on_the_same_lrs(policy, epochs, steps_per_epoch, metrics, cut):
    steps = epochs * steps_per_epoch
    expected = hook_run(policy, epochs, steps_per_epoch, steps, metrics)
    cut = min(cut, steps)
    ctx = TrainContext(initial_lr=0.1, total_epochs=epochs, steps_per_epoch=steps_per_epoch)
    first = LRHook(policy, ctx, lambda lr: None)
    lrs = [lr for _, lr in drive(first, cut, metrics)]
    saved = json.loads(json.dumps(first.state_dict()))
    resumed = LRHook(policy, TrainContext(initial_lr=0.1, total_epochs=epochs, steps_per_epoch=steps_per_epoch), lambda lr: None)
    resumed.load_state_dict(saved)
    assert resumed.state_dict() == saved
    lrs += [lr for _, lr in drive(resumed, steps, metrics)]
    assert lrs == expected


def test_one_policy_object_runs_in_two_runs_at_once():
    # A policy is a value: two runs of the same object keep apart histories.
    policy = Sequential(policies=(ReduceCosine(), ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5)), milestones=(1,), unit="epoch")
    rising, flat = ([0.5, 0.6, 0.7, 0.8], [0.5, 0.5, 0.5, 0.5])
    alone = [hook_run(policy, 5, 1, 5, metrics) for metrics in (rising, flat)]
    a = LRHook(policy, TrainContext(initial_lr=0.1, total_epochs=5, steps_per_epoch=1), lambda lr: None)
    b = LRHook(policy, TrainContext(initial_lr=0.1, total_epochs=5, steps_per_epoch=1), lambda lr: None)
    together = [[a.ctx.current_lr], [b.ctx.current_lr]]
    for epoch in range(4):
        for hook, metrics, lrs in ((a, rising, together[0]), (b, flat, together[1])):
            hook.step()
            lrs.append(hook.report_metric(metrics[epoch]))
    assert together == alone
    assert alone[0] != alone[1]


@pytest.mark.parametrize("tree", [
    Warmup(duration=3, policy=ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, policy=ReduceCosine(unit="step"))),
    Sequential(policies=(Warmup(duration=2), ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5)), milestones=(3,)),
])
def test_a_policy_is_the_same_value_after_a_run(tree):
    before = repr(tree), hash(tree)
    hook_run(tree, 4, 2, 8, [0.5] * 4)
    assert (repr(tree), hash(tree)) == before and vars(tree).keys() == {f for f in type(tree).__dataclass_fields__}


@settings(max_examples=examples(400), deadline=None)
@given(
    policy=trees(),
    epochs=st.integers(1, 6),
    steps_per_epoch=st.one_of(st.none(), st.integers(1, 4)),
    steps=st.lists(st.integers(0, 40), min_size=1, max_size=8),
)
def test_the_bound_function_of_any_tree_is_its_evaluate(policy, epochs, steps_per_epoch, steps):
    """What the hook calls (bind) against the policy's own evaluate, at updates in any order."""
    ctx = TrainContext(initial_lr=0.1, total_epochs=epochs, steps_per_epoch=steps_per_epoch)

    def outcome(call):
        try:
            return ("lr", call())
        except ValueError as error:
            return ("error", str(error))

    bound = outcome(lambda: policy.bind(ctx))
    for step in steps:
        epoch = step // steps_per_epoch if steps_per_epoch else step % (epochs + 2)
        at = TrainContext(initial_lr=0.1, total_epochs=epochs, steps_per_epoch=steps_per_epoch, global_step=step, epoch=epoch)
        expected = outcome(lambda at=at: policy.evaluate(at))
        if bound[0] == "lr":
            assert outcome(lambda at=at: bound[1](at)) == expected
