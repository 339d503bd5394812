"""A policy in a phase reads the phase's clock as numbers (clock.within, Schedule.in_phase). It
must give what it gave when it read the phase through a view over the run's context (the
reference in reference_phases.py), one phase deep or two, with the same error where the phase
cannot know a clock."""

from __future__ import annotations

import copy
import pickle
from dataclasses import dataclass, replace

import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_phases import shifted

from lrpol import (
    Constant,
    CosineRestarts,
    DecayOnStep,
    ExponentialDecay,
    LinearDecay,
    LRHook,
    MultiStepDecay,
    OneCycle,
    ReduceCosine,
    ReduceOnPlateau,
    ReducePoly,
    Sequential,
    TrainContext,
    Warmup,
    curve,
)
from lrpol.clock import run_phase, within
from lrpol.context import RunView
from lrpol.schedule import Schedule

UNITS = st.sampled_from(["step", "epoch"])


def schedules() -> st.SearchStrategy[Schedule]:
    return st.one_of(
        st.builds(DecayOnStep, decay_ratio=st.floats(0.05, 1.0), decay_freq=st.integers(1, 7)),
        st.builds(ReducePoly, poly_power=st.floats(0.5, 3.0), unit=UNITS, min_lr=st.sampled_from([0.0, 0.01])),
        st.builds(ReduceCosine, unit=UNITS, min_lr=st.sampled_from([0.0, 0.01])),
        st.builds(MultiStepDecay, milestones=st.just((2, 5)), gamma=st.floats(0.1, 1.0), unit=UNITS),
        st.builds(LinearDecay, duration=st.one_of(st.none(), st.integers(1, 9)), unit=UNITS),
        st.builds(CosineRestarts, period=st.integers(1, 5), period_mult=st.integers(1, 3), unit=UNITS),
        st.builds(OneCycle, pct_start=st.floats(0.0, 1.0), three_phase=st.booleans(), unit=UNITS),
    )


def outcome(call):
    try:
        return ("lr", call())
    except ValueError as error:
        return ("error", str(error))


def contexts(epochs: int, steps_per_epoch: int | None, step: int) -> TrainContext:
    ctx = TrainContext(initial_lr=0.3, total_epochs=epochs, steps_per_epoch=steps_per_epoch)
    return replace(ctx, global_step=step, epoch=step // steps_per_epoch if steps_per_epoch else step % (epochs + 3))


@settings(max_examples=examples(3000), deadline=None)
@given(
    policy=schedules(),
    start=st.integers(0, 12),
    length=st.one_of(st.none(), st.integers(1, 12)),
    unit=UNITS,
    epochs=st.integers(1, 8),
    steps_per_epoch=st.one_of(st.none(), st.integers(1, 5)),
    step=st.integers(0, 60),
)
def test_a_schedule_reads_its_phase_as_the_reference_view_gives_it(policy, start, length, unit, epochs, steps_per_epoch, step):
    ctx = contexts(epochs, steps_per_epoch, step)
    expected = outcome(lambda: policy.evaluate(shifted(ctx, start, length, unit)))
    got = outcome(lambda: policy.in_phase(within(run_phase(ctx), start, length, unit, steps_per_epoch), ctx))
    assert got[0] == expected[0], (got, expected)
    if got[0] == "lr":
        assert got[1] == pytest.approx(expected[1], rel=1e-15)
    else:
        assert got == expected


@settings(max_examples=examples(3000), deadline=None)
@given(
    policy=schedules(),
    outer=st.tuples(st.integers(0, 12), st.one_of(st.none(), st.integers(1, 12)), UNITS),
    inner=st.tuples(st.integers(0, 12), st.one_of(st.none(), st.integers(1, 12)), UNITS),
    epochs=st.integers(1, 8),
    steps_per_epoch=st.one_of(st.none(), st.integers(1, 5)),
    step=st.integers(0, 60),
)
def test_a_phase_in_a_phase_reads_as_the_reference_view_in_a_view(policy, outer, inner, epochs, steps_per_epoch, step):
    ctx = contexts(epochs, steps_per_epoch, step)
    expected = outcome(lambda: policy.evaluate(shifted(shifted(ctx, *outer), *inner)))
    got = outcome(lambda: policy.in_phase(within(within(run_phase(ctx), *outer, steps_per_epoch), *inner, steps_per_epoch), ctx))
    # Where the view raised on reading a length the phase's policy never uses, the numbers
    # may still give an LR; where both give one, it is the same.
    if expected[0] == "lr":
        assert got == ("lr", pytest.approx(expected[1], rel=1e-15)), (got, expected)
    elif got[0] == "error":
        assert "steps_per_epoch" in got[1]


# -- found by comparing the core with its previous version --------------------------------------


def test_a_constant_reads_no_clock_so_it_runs_in_any_phase():
    ctx = TrainContext(initial_lr=0.1, total_epochs=3, epoch=1)  # no steps_per_epoch
    assert Warmup(duration=1, unit="epoch", policy=Constant(factor=0.5)).evaluate(ctx) == 0.05
    assert Sequential(policies=(Constant(factor=0.5, unit="epoch"),), milestones=(), unit="step").evaluate(TrainContext(initial_lr=0.1, total_epochs=2)) == 0.05
    plateau = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, policy=Constant(factor=0.5))
    assert Warmup(duration=1, unit="epoch", policy=plateau).evaluate(ctx) == 0.05


@dataclass(frozen=True)
class Floored(ReduceCosine):
    """A schedule whose subclass changes evaluate: a composite must go through it."""

    def evaluate(self, ctx: RunView) -> float:
        return max(super().evaluate(ctx), 0.05)


def test_a_schedule_subclass_that_overrides_evaluate_is_evaluated_in_a_phase():
    run = TrainContext(initial_lr=0.1, total_epochs=10, steps_per_epoch=1)
    policy = Warmup(duration=2, unit="epoch", policy=Floored(unit="epoch"))
    lrs = list(curve(policy, run))
    assert min(lrs[2:]) == 0.05 and lrs[-1] == 0.05  # floored, not the plain cosine's 0.0
    assert lrs == [lr for _, lr in zip(range(10), drive_lrs(policy, run))]


def drive_lrs(policy, run):
    hook = LRHook(policy, TrainContext(initial_lr=run.initial_lr, total_epochs=run.total_epochs, steps_per_epoch=run.steps_per_epoch), lambda lr: None)
    for _ in range(run.total_steps):
        yield hook.ctx.current_lr
        hook.step()


def test_curves_are_arrays_of_their_own():
    ctx = TrainContext(initial_lr=0.1, total_epochs=3, steps_per_epoch=4)
    for policy in (Constant(factor=0.5), ReduceCosine(unit="step"), ExponentialDecay(gamma=0.9)):
        lrs = curve(policy, ctx)
        assert lrs.flags.writeable and lrs.strides == (8,)


def test_periods_past_int64_still_give_a_curve():
    # Accepted values: the second period is 2048 * 2**53 updates long, past numpy's integers.
    policy = CosineRestarts(period=2048, period_mult=2**53)
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=3000)
    assert list(curve(policy, ctx)) == pytest.approx([policy.evaluate(replace(ctx, global_step=s)) for s in range(3000)], rel=1e-12)


def test_cosine_near_the_float_limit_does_not_overflow():
    policy = ReduceCosine(rate=0.9e308, unit="step")
    ctx = TrainContext(initial_lr=1.5, total_epochs=1, steps_per_epoch=4, global_step=2)
    assert policy.evaluate(ctx) == pytest.approx(1.35e308, rel=1e-12)


# -- the function the hook binds once per run shape ----------------------------------------------


def composites() -> st.SearchStrategy:
    inner = schedules()
    return st.one_of(
        inner,
        st.builds(Warmup, duration=st.integers(1, 12), unit=UNITS, clock=st.sampled_from(["restart", "global"]), policy=st.one_of(st.none(), inner)),
        st.builds(
            lambda policies, unit, gaps: Sequential(policies=tuple(policies), milestones=tuple(sum(gaps[: i + 1]) for i in range(len(policies) - 1)), unit=unit),
            st.lists(st.one_of(inner, st.builds(Warmup, duration=st.integers(1, 6), unit=UNITS, policy=inner)), min_size=1, max_size=4),
            UNITS,
            st.lists(st.integers(1, 6), min_size=3, max_size=3),
        ),
    )


@settings(max_examples=examples(2000), deadline=None)
@given(policy=composites(), epochs=st.integers(1, 8), steps_per_epoch=st.one_of(st.none(), st.integers(1, 5)), steps=st.lists(st.integers(0, 60), min_size=1, max_size=8))
def test_the_bound_function_gives_what_evaluate_gives(policy, epochs, steps_per_epoch, steps):
    ctx = TrainContext(initial_lr=0.3, total_epochs=epochs, steps_per_epoch=steps_per_epoch)
    bound = policy.bind(ctx)
    for step in steps:
        at = replace(ctx, global_step=step, epoch=step // steps_per_epoch if steps_per_epoch else step % (epochs + 3))
        assert outcome(lambda: bound(at)) == outcome(lambda: policy.evaluate(at))  # noqa: B023


def test_the_hook_binds_again_when_the_run_changes():
    applied = []
    ctx = TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=1)
    hook = LRHook(ReducePoly(poly_power=1.0), ctx, applied.append)
    hook.step()
    ctx.total_epochs = 8  # a trainer that learns the run is longer
    hook.step()
    ctx.initial_lr = 0.2
    hook.step()
    # lr0 * ((T - t) / T): epoch 1 of 4, then epoch 2 of 8, then epoch 3 of 8 at the new lr0.
    assert applied == [0.1, 0.1 * (3 / 4), 0.1 * (6 / 8), 0.2 * (5 / 8)]


# -- found by comparing the bound hook with the one that evaluated on every update ----------------


def hook_lrs(policy, ctx, steps: int) -> list[float]:
    applied: list[float] = []
    hook = LRHook(policy, ctx, applied.append)
    for _ in range(steps):
        hook.step()
    return applied


@dataclass(frozen=True)
class HalfWarmup(Warmup):
    def evaluate(self, ctx: RunView) -> float:
        return 0.5 * super().evaluate(ctx)


@dataclass(frozen=True)
class HalfSequential(Sequential):
    def evaluate(self, ctx: RunView) -> float:
        return 0.5 * super().evaluate(ctx)


@dataclass(frozen=True)
class Clipped(ReduceCosine):
    def in_phase(self, phase, ctx: RunView) -> float:
        return min(super().in_phase(phase, ctx), 0.3)


def test_subclasses_that_change_how_they_are_evaluated_are_run_through_their_own_methods():
    def run() -> TrainContext:  # a hook moves its context on: each run gets a new one
        return TrainContext(initial_lr=1.0, total_epochs=2, steps_per_epoch=2)

    plain = hook_lrs(Warmup(duration=2, policy=ReduceCosine(unit="step")), run(), 1)
    assert hook_lrs(HalfWarmup(duration=2, policy=ReduceCosine(unit="step")), run(), 1) == [0.5 * lr for lr in plain]
    assert hook_lrs(HalfSequential(policies=(Constant(),), milestones=()), run(), 1) == [0.5, 0.5]
    assert hook_lrs(Sequential(policies=(Constant(), Clipped(unit="step")), milestones=(1,)), run(), 2) == [1.0, 0.3, 0.3]


@dataclass(frozen=True)
class FormulaFloored(ReduceCosine):
    """Rewrites the formula of a schedule that writes its math in ``prepared``: its own formula runs."""

    def formula(self, t, total, lr0, ops):
        return ops.maximum(super().formula(t, total, lr0, ops), 0.4 * lr0)


def test_a_subclass_that_writes_formula_over_a_prepared_schedule_runs_its_formula_everywhere():
    def run(epochs: int = 4) -> TrainContext:  # a hook moves its context on: each run gets a new one
        return TrainContext(initial_lr=1.0, total_epochs=epochs, steps_per_epoch=1)

    cosine = [ReduceCosine().evaluate(replace(run(), epoch=e)) for e in range(4)]  # 1.0, 0.85, 0.5, 0.15
    expected = [max(lr, 0.4) for lr in cosine]
    assert expected[-1] == 0.4 and expected[0] == 1.0
    assert hook_lrs(FormulaFloored(), run(), 3) == expected  # the hook's bound function
    assert curve(FormulaFloored(), run()).tolist() == expected  # the whole curve
    assert hook_lrs(Warmup(duration=1, start_factor=0.5, unit="epoch", policy=FormulaFloored()), run(5), 4) == [0.5, *expected]  # nested, handed over


@dataclass
class Knob(Schedule):
    """A schedule without t whose argument its owner turns during the run."""

    uses_position = False
    scale: float = 1.0

    def formula(self, t, total, lr0, ops):
        return lr0 * self.scale


def test_a_schedule_without_t_is_computed_at_every_update():
    knob = Knob()
    applied: list[float] = []
    hook = LRHook(knob, TrainContext(initial_lr=1.0, total_epochs=2, steps_per_epoch=2), applied.append)
    knob.scale = 0.1
    hook.step()
    assert applied == [1.0, 0.1]


def test_a_policy_that_cannot_bind_raises_where_it_always_did_and_nothing_stale_is_applied():
    applied: list[float] = []
    ctx = TrainContext(initial_lr=1.0, total_epochs=4, steps_per_epoch=1)
    hook = LRHook(Constant(factor=0.5), ctx, applied.append)
    ctx.total_epochs = None  # a trainer that breaks its own context
    hook.policy = Sequential(policies=(Constant(), ReduceCosine()), milestones=(1,), unit="epoch")
    for _ in range(2):  # the new policy's error at every update, never the old policy's LR
        with pytest.raises(TypeError):
            hook.step()
    assert applied == [0.5]


def test_a_copied_or_pickled_hook_runs_on_its_own_policy():
    plateau = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5)
    ctx = TrainContext(initial_lr=1.0, total_epochs=4, steps_per_epoch=2)
    hook = LRHook(Warmup(duration=1, clock="global", policy=plateau), ctx, lambda lr: None)
    twin = copy.deepcopy(hook)
    for value in (0.5, 0.4, 0.3):
        twin.step()
        twin.report_metric(value)
    assert twin.state_dict()["policy"]["policy"]["seen"] == 3
    assert hook.state_dict()["policy"]["policy"]["seen"] == 0
    restored = pickle.loads(pickle.dumps(LRHook(ReduceCosine(unit="step"), TrainContext(initial_lr=1.0, total_epochs=2, steps_per_epoch=2), print)))
    assert restored.step() == ReduceCosine(unit="step").evaluate(TrainContext(initial_lr=1.0, total_epochs=2, steps_per_epoch=2, global_step=1))
