"""OneCycle and CosineRestarts (TanhDecay too) bind to a run with their phase and period tables
worked out once (the restarting ones also remember the period their last update fell in), Cyclic
with its levels and cycle, PiecewiseInterpolate with its segments; their momentum twins
(OneCycleMomentum, CyclicMomentum) bind as they do. The function the hook then calls at every
update must still give the formula's float, bit for bit: at any t and in any order of t (a
resumed run jumps), before its phase starts, far past the run's end, on either clock."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from itertools import chain

import pytest
from conftest import examples
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lrpol import CosineRestarts, Cyclic, CyclicMomentum, LRHook, OneCycle, OneCycleMomentum, PiecewiseInterpolate, TanhDecay, TrainContext
from lrpol.policies import interpolate
from lrpol.policies.periods import ARITHMETICS, period_starts, whole_periods
from lrpol.policies.restarts import Restarting
from lrpol.schedule import SCALAR, Schedule

UNITS = st.sampled_from(["step", "epoch"])
LR0 = st.floats(1e-6, 10.0) | st.sampled_from([1.0, 0.1, 0.3])
#: Where a phase's clock starts: the run's own clock (0), or a phase's, which can start late.
FIRSTS = st.sampled_from([0, 0, 1]) | st.integers(0, 10**6)


def outcome(call: Callable[[], float]) -> tuple[str, str]:
    """The LR as its exact bits (so -0.0 is not 0.0), or the error raised, by type and message."""
    try:
        return ("lr", call().hex())
    except (OverflowError, TypeError, ValueError) as error:
        return (type(error).__name__, str(error))


def at(unit: str, clock: int, other: int) -> TrainContext:
    """A context whose clock of ``unit`` reads ``clock``, and whose other clock reads ``other``:
    a function that read the wrong one would give another LR."""
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=1)
    # Set after construction: the clocks go past what a context accepts, as a long run's do.
    ctx.global_step, ctx.epoch = (clock, other) if unit == "step" else (other, clock)
    return ctx


def expected(policy: Schedule, first: int, total: int | None, lr0: float, clock: int) -> tuple[str, str]:
    """The formula at the phase's t: the clock counted from ``first``, 0 before it (the run's own
    clock, first = 0, is taken as it is)."""
    t = clock - first
    if first:
        t = max(t, 0)
    return outcome(lambda: policy.formula(t, total, lr0, SCALAR))


def check_in_order(policy: Schedule, first: int, total: int | None, lr0: float, clocks: list[int], others: list[int]) -> None:
    """One bound function, called at every clock in turn, gives the formula's LR at each."""
    bound = policy._bound(first, policy.unit, total, lr0)
    for clock, other in zip(clocks, chain(others, [0] * len(clocks))):
        got = outcome(lambda: bound(at(policy.unit, clock, other)))  # noqa: B023
        assert got == expected(policy, first, total, lr0, clock), (policy, first, total, lr0, clock)


# -- OneCycle ------------------------------------------------------------------------------------

def one_cycles() -> st.SearchStrategy[OneCycle]:
    return st.builds(
        OneCycle,
        pct_start=st.sampled_from([0.0, 1.0, 0.5, 0.3, 0.25]) | st.floats(0.0, 1.0),
        div_factor=st.sampled_from([1.0, 25.0]) | st.floats(1.0, 1e4),
        final_div_factor=st.sampled_from([1.0, 1e4]) | st.floats(1.0, 1e6),
        anneal=st.sampled_from(["cos", "linear"]),
        three_phase=st.booleans(),
        unit=UNITS,
    )


def one_cycle_momenta() -> st.SearchStrategy[OneCycleMomentum]:
    return st.builds(
        OneCycleMomentum,
        pct_start=st.sampled_from([0.0, 1.0, 0.5, 0.3, 0.25]) | st.floats(0.0, 1.0),
        anneal=st.sampled_from(["cos", "linear"]),
        three_phase=st.booleans(),
        unit=UNITS,
        base_momentum=st.sampled_from([0.0, 0.85]) | st.floats(0.0, 0.9),
        max_momentum=st.none() | st.just(0.95),
    )


def one_cycle_clocks(draw: Callable, policy: OneCycle, first: int, total: int) -> list[int]:
    """Clocks around the phases' ends (each side of p*T - 1, 2*p*T - 2, T - 1), anywhere in the run,
    before the phase, far past its end: in any order."""
    edges = [first + round(policy.pct_start * total) - 1, first + round(2 * policy.pct_start * total) - 2, first + total - 1]
    near = st.sampled_from(edges).flatmap(lambda edge: st.integers(max(edge - 2, 0), edge + 2))
    anywhere = st.integers(0, first + 2 * total)
    far = st.integers(first + total, 2**80)
    return draw(st.lists(near | anywhere | far, min_size=1, max_size=25))


@settings(max_examples=examples(3000), deadline=None)
@given(policy=one_cycles(), lr0=LR0, first=FIRSTS, total=st.integers(1, 50) | st.integers(1, 2**60), data=st.data())
def test_one_cycle_bound_is_its_formula_at_any_t_in_any_order(policy, lr0, first, total, data):
    clocks = one_cycle_clocks(data.draw, policy, first, total)
    others = data.draw(st.lists(st.integers(0, 2**70), min_size=len(clocks), max_size=len(clocks)))
    check_in_order(policy, first, total, lr0, clocks, others)


@settings(max_examples=examples(1000), deadline=None)
@given(policy=one_cycle_momenta(), v0=st.floats(0.9, 0.99), first=FIRSTS, total=st.integers(1, 50) | st.integers(1, 2**60), data=st.data())
def test_one_cycle_momentum_bound_is_its_formula_at_any_t_in_any_order(policy, v0, first, total, data):
    clocks = one_cycle_clocks(data.draw, policy, first, total)
    check_in_order(policy, first, total, v0, clocks, [])


@settings(max_examples=examples(1000), deadline=None)
@given(policy=one_cycles(), lr0=LR0, first=FIRSTS, total=st.integers(1, 300), data=st.data())
def test_one_cycle_bound_when_p_times_t_is_one(policy, lr0, first, total, data):
    # A one-update warm-up (torch divides by zero there): the first phase has no length.
    assume(1 / total * total == 1)
    policy = replace(policy, pct_start=1 / total)
    clocks = data.draw(st.permutations(range(max(first - 3, 0), first + total + 3)))
    check_in_order(policy, first, total, lr0, clocks, [])
    low = policy.formula(0, total, lr0, SCALAR)
    assert policy._bound(first, policy.unit, total, lr0)(at(policy.unit, first, 0)) == low == pytest.approx(lr0 / policy.div_factor, rel=1e-12)


@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("unit", ["step", "epoch"])
@pytest.mark.parametrize("first", [0, 3])
def test_one_cycle_bound_through_whole_short_runs_forward_and_back(anneal, three_phase, unit, first):
    # Every t of runs of 1 to 12 updates, for the edge shares (0, 1, p*T = 1, a half, torch's 0.3).
    for total in range(1, 13):
        for pct_start in (0.0, 1.0, 1 / total, 0.5, 0.3, 0.7):
            policy = OneCycle(pct_start=pct_start, anneal=anneal, three_phase=three_phase, unit=unit)
            forward = list(range(first + total + 3))
            check_in_order(policy, first, total, 0.1, forward + forward[::-1], [])


def test_one_cycle_without_a_usable_length_raises_as_its_formula_does():
    for total in (None, 10**400):  # no length; a length past floats
        policy = OneCycle()
        bound = policy._bound(0, "step", total, 0.1)
        assert outcome(lambda: bound(at("step", 5, 0))) == expected(policy, 0, total, 0.1, 5)  # noqa: B023
        assert outcome(lambda: bound(at("step", 5, 0)))[0] != "lr"  # noqa: B023


# -- CosineRestarts ------------------------------------------------------------------------------


def restarts() -> st.SearchStrategy[CosineRestarts]:
    return st.builds(
        CosineRestarts,
        period=st.integers(1, 50) | st.sampled_from([1, 1000, 2**53]) | st.integers(1, 2**53),
        period_mult=st.sampled_from([1, 1, 2, 3]) | st.integers(1, 5) | st.sampled_from([2**10, 2**53]),
        min_lr=st.sampled_from([0.0, 1e-4]) | st.floats(0.0, 1.0),
        unit=UNITS,
    )


def restart_clocks(draw: Callable, policy: CosineRestarts, first: int) -> list[int]:
    """Clocks each side of restarts, anywhere, before the phase and far past any run (some past
    floats: the formula raises there, and so must the bound function): in any order."""
    if policy.period_mult == 1:  # periods of one length: some early restarts, some late ones
        starts = [k * policy.period for k in (0, 1, 2, 3, 10**6, 2**40)]
    else:
        starts = list(period_starts(2**80, policy.period, int(policy.period_mult)))
    return draw(clocks_around([first + start for start in starts], first + 40 * policy.period, 2**1000))


def clocks_around(edges: list[int], span: int, past_floats: int) -> st.SearchStrategy:
    """Lists of clocks, in any order: each side of ``edges``, anywhere below ``span``, and far past
    any run, some from ``past_floats`` on (where the formula raises, and so must a bound function)."""
    near = st.sampled_from(edges).flatmap(lambda edge: st.integers(max(edge - 2, 0), edge + 2))
    far = st.integers(0, 2**80) | st.integers(past_floats, 2**1100)
    return st.lists(near | st.integers(0, span) | far, min_size=1, max_size=25)


@settings(max_examples=examples(3000), deadline=None)
@given(policy=restarts(), lr0=LR0, first=FIRSTS, data=st.data())
def test_cosine_restarts_bound_is_its_formula_at_any_t_in_any_order(policy, lr0, first, data):
    clocks = restart_clocks(data.draw, policy, first)
    others = data.draw(st.lists(st.integers(0, 2**70), min_size=len(clocks), max_size=len(clocks)))
    check_in_order(policy, first, None, lr0, clocks, others)


@settings(max_examples=examples(500), deadline=None)
@given(policy=restarts(), lr0=LR0, first=FIRSTS, data=st.data())
def test_cosine_restarts_bound_after_resumes(policy, lr0, first, data):
    # A run that goes forward a while, jumps (a resume, back or ahead), and goes forward again.
    clocks: list[int] = []
    for start in data.draw(st.lists(st.integers(0, first + 10 * policy.period) | st.integers(0, 2**64), min_size=1, max_size=4)):
        clocks += range(start, start + data.draw(st.integers(1, 30)))
    check_in_order(policy, first, None, lr0, clocks, [])


@pytest.mark.parametrize("period_mult", [1, 2, 3])
@pytest.mark.parametrize("unit", ["step", "epoch"])
@pytest.mark.parametrize("first", [0, 5])
def test_cosine_restarts_bound_through_periods_forward_and_back(period_mult, unit, first):
    for period in (1, 2, 3, 7):
        policy = CosineRestarts(period=period, period_mult=period_mult, min_lr=0.01, unit=unit)
        forward = list(range(first + 200))
        check_in_order(policy, first, None, 0.1, forward + forward[::-1] + forward[::7] + forward[::-3], [])


def test_cosine_restarts_bound_looks_a_period_up_only_when_t_leaves_it():
    policy = CosineRestarts(period=4, period_mult=2)
    bound = policy._bound(0, "step", None, 0.1)
    looked_up = lambda: whole_periods.cache_info().hits + whole_periods.cache_info().misses
    before = looked_up()
    for step in range(60):  # periods [0, 4), [4, 12), [12, 28), [28, 60): the first is known from the start
        bound(at("step", step, 0))
    assert looked_up() - before == 3
    bound(at("step", 5, 0))  # a jump back: looked up again
    assert looked_up() - before == 4


def test_cosine_restarts_bound_on_a_clock_below_zero():
    # Not a clock a run has, but the run's own clock is taken as it is: as the formula takes it.
    for period_mult in (1, 2, 3):
        policy = CosineRestarts(period=3, period_mult=period_mult)
        check_in_order(policy, 0, None, 0.1, [5, -1, -7, 0, -2**70, 12, -4, 3], [])


# -- restarting schedules beyond SGDR's arguments ----------------------------------------------------

MULTS = st.sampled_from([1, 2, 3, 1.5, 1.3, 2.5, 1.01]) | st.floats(1.01, 4.0)


@st.composite
def restartings(draw: Callable) -> tuple[Restarting, int | None]:
    """A CosineRestarts or TanhDecay with any of the periods' arguments, and the T it runs with
    (None when its periods go on for ever)."""
    cls = draw(st.sampled_from([CosineRestarts, TanhDecay]))
    if draw(st.booleans()):
        length = {"period": draw(st.integers(1, 50) | st.sampled_from([1, 1000, 2**53])), "arithmetic": draw(st.sampled_from(ARITHMETICS))}
    else:
        length = {"periods": draw(st.sampled_from([1, 2, 3, 0.5, 2.5, 1.3, 7 / 16]) | st.floats(0.01, 100.0))}
    horizon = draw(st.none() | st.integers(1, 10**4) | st.integers(1, 2**53))
    if "periods" in length and horizon is None:
        horizon = draw(st.integers(1, 10**4))  # the run's length, passed as T
    shape = (
        {"k_decay": draw(st.sampled_from([1.0, 0.5, 2.0])), "wave": draw(st.sampled_from(["half", "full"]))}
        if cls is CosineRestarts else {"lb": draw(st.sampled_from([-7.0, -1.0])), "ub": draw(st.sampled_from([3.0, 0.5]))}
    )
    floor = draw(st.sampled_from([{}, {"min_lr": 1e-4}, {"min_lr_ratio": 0.1}]))
    policy = cls(
        **length, **shape, **floor, period_mult=draw(MULTS), period_limit=draw(st.none() | st.integers(1, 5)),
        peak_decay=draw(st.sampled_from([1.0, 0.5]) | st.floats(0.1, 1.0)), amplitude_decay=draw(st.sampled_from([1.0, 0.8])), unit=draw(UNITS),
    )
    return policy, horizon if policy._ends() else None


def restarting_clocks(draw: Callable, policy: Restarting, total: int | None, first: int) -> list[int]:
    """Clocks each side of the restarts the table holds and of T, anywhere, before the phase and
    far past any run."""
    edges = [0, 1, 2**40] if policy._one_whole_length() else list(policy.table(2**60, total)[0])
    edges = [first + edge for edge in edges + ([total] if total is not None else [])]
    near = st.sampled_from(edges).flatmap(lambda edge: st.integers(max(edge - 2, 0), edge + 2))
    anywhere = st.integers(0, first + 40 * (policy.period or 1))
    far = st.integers(0, 2**80) | st.integers(2**1000, 2**1100)
    return draw(st.lists(near | anywhere | far, min_size=1, max_size=25))


@settings(max_examples=examples(2000), deadline=None)
@given(case=restartings(), lr0=LR0, first=FIRSTS, data=st.data())
def test_restarting_bound_is_its_formula_at_any_t_in_any_order(case, lr0, first, data):
    policy, total = case
    clocks = restarting_clocks(data.draw, policy, total, first)
    others = data.draw(st.lists(st.integers(0, 2**70), min_size=len(clocks), max_size=len(clocks)))
    check_in_order(policy, first, total, lr0, clocks, others)


@settings(max_examples=examples(500), deadline=None)
@given(case=restartings(), lr0=LR0, first=FIRSTS, data=st.data())
def test_restarting_bound_after_resumes(case, lr0, first, data):
    policy, total = case
    clocks: list[int] = []
    for start in data.draw(st.lists(st.integers(0, first + 10 * (policy.period or 1)) | st.integers(0, 2**64), min_size=1, max_size=4)):
        clocks += range(start, start + data.draw(st.integers(1, 30)))
    check_in_order(policy, first, total, lr0, clocks, [])


@pytest.mark.parametrize("arithmetic", ARITHMETICS)
@pytest.mark.parametrize("unit", ["step", "epoch"])
@pytest.mark.parametrize("first", [0, 5])
def test_restarting_bound_through_periods_forward_and_back(arithmetic, unit, first):
    forward = list(range(first + 300))
    for period_mult in (1.5, 1.3, 3):
        policy = CosineRestarts(period=2, period_mult=period_mult, arithmetic=arithmetic, peak_decay=0.9, period_limit=6, unit=unit)
        check_in_order(policy, first, None, 0.1, forward + forward[::-1] + forward[::7] + forward[::-3], [])
        policy = TanhDecay(periods=3.5, period_mult=period_mult, min_lr_ratio=0.01, unit=unit)
        check_in_order(policy, first, 250, 0.1, forward + forward[::-1] + forward[::7] + forward[::-3], [])


def test_restarting_bound_on_a_clock_below_zero():
    for policy in (CosineRestarts(period=3, period_mult=1.5), CosineRestarts(period=3, arithmetic="torch", period_mult=1.5, peak_decay=0.5), TanhDecay(period=3, period_limit=2)):
        check_in_order(policy, 0, None, 0.1, [5, -1, -7, 0, -2**70, 12, -4, 3], [])


# -- Cyclic ----------------------------------------------------------------------------------------

MODES = st.sampled_from(["triangular", "triangular2", "exp_range"])
STEP_SIZES = st.integers(1, 50) | st.sampled_from([1, 2000]) | st.integers(1, 2**53)


@st.composite
def cyclics(draw: Callable) -> Cyclic | CyclicMomentum:
    mode = draw(MODES)
    shape = {
        "step_size_up": draw(STEP_SIZES), "step_size_down": draw(st.none() | STEP_SIZES), "mode": mode,
        "gamma": draw(st.floats(0.5, 1.0) | st.just(0.999)) if mode == "exp_range" else 1.0, "unit": draw(UNITS),
    }
    if draw(st.booleans()):
        return CyclicMomentum(**shape, base_momentum=draw(st.sampled_from([0.8, 0.0])), max_momentum=draw(st.none() | st.just(0.95)))
    floor = draw(st.sampled_from([{"min_lr": 1e-3}, {"min_lr_ratio": 0.0}, {"min_lr_ratio": 0.25}]) | st.floats(1e-6, 1.0).map(lambda lr: {"min_lr": lr}))
    return Cyclic(**shape, **floor)


def cyclic_clocks(draw: Callable, policy: Cyclic | CyclicMomentum, first: int) -> list[int]:
    """Clocks each side of the cycle's turns (starts, tops), early and late, before the phase, and far
    past any run (some past floats: the formula raises there, and so must the bound function)."""
    up = policy.step_size_up
    length = up + (policy.step_size_down or up)
    edges = [first + k * length + turn for k in (0, 1, 2, 1024, 10**6) for turn in (0, up)]
    return draw(clocks_around(edges, first + 5 * length, 2**1030))


@settings(max_examples=examples(3000), deadline=None)
@given(policy=cyclics(), lr0=LR0, first=FIRSTS, data=st.data())
def test_cyclic_bound_is_its_formula_at_any_t_in_any_order(policy, lr0, first, data):
    clocks = cyclic_clocks(data.draw, policy, first)
    others = data.draw(st.lists(st.integers(0, 2**70), min_size=len(clocks), max_size=len(clocks)))
    check_in_order(policy, first, None, lr0, clocks, others)


@settings(max_examples=examples(500), deadline=None)
@given(up=st.floats(0.01, 0.99), down=st.none() | st.floats(0.01, 0.99) | st.integers(1, 9), lr0=LR0, first=FIRSTS, total=st.integers(1, 50) | st.integers(1, 2**40), data=st.data())
def test_cyclic_bound_with_step_sizes_as_fractions(up, down, lr0, first, total, data):
    policy = Cyclic(step_size_up=up, step_size_down=down, min_lr=0.01)
    check_in_order(policy, first, total, lr0, data.draw(st.lists(st.integers(0, first + 3 * total), min_size=1, max_size=25)), [])
    without_length = policy._bound(first, "step", None, lr0)  # the formula's error, at each update
    assert outcome(lambda: without_length(at("step", first + 3, 0))) == expected(policy, first, None, lr0, first + 3)
    assert outcome(lambda: without_length(at("step", first + 3, 0)))[0] == "ValueError"


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
@pytest.mark.parametrize("unit", ["step", "epoch"])
@pytest.mark.parametrize("first", [0, 5])
def test_cyclic_bound_through_cycles_forward_and_back(mode, unit, first):
    gamma = 0.97 if mode == "exp_range" else 1.0
    for up, down in ((1, None), (2, 5), (7, 3)):
        for policy in (Cyclic(step_size_up=up, step_size_down=down, mode=mode, gamma=gamma, unit=unit, min_lr=0.01), CyclicMomentum(step_size_up=up, step_size_down=down, mode=mode, gamma=gamma, unit=unit)):
            forward = list(range(first + 100))
            check_in_order(policy, first, None, 0.9, forward + forward[::-1] + forward[::7], [])


# -- all: a bound function is its own, and the hook runs it -------------------------------------


@pytest.mark.parametrize(
    "policy",
    [
        CosineRestarts(period=3, period_mult=2), CosineRestarts(period=3), OneCycle(), OneCycle(anneal="linear", three_phase=True),
        OneCycleMomentum(three_phase=True), Cyclic(step_size_up=3, mode="triangular2", min_lr=0.01), CyclicMomentum(step_size_up=2, step_size_down=5),
        PiecewiseInterpolate(boundaries=[-3, 10, 40], scales=[0.5, 0.1, 2.0], interpolation="cosine"),
    ],
)
def test_bound_functions_keep_nothing_on_the_policy_and_nothing_of_each_other(policy):
    before = copy.deepcopy(policy)
    total = 100 if policy.uses_length else None
    forward = policy._bound(0, policy.unit, total, 0.1)
    jumping = policy._bound(0, policy.unit, total, 0.1)
    for step in range(60):  # one run forward, another jumping about, interleaved
        jump = (step * 37) % 97
        assert forward(at(policy.unit, step, 0)) == policy.formula(step, total, 0.1, SCALAR)
        assert jumping(at(policy.unit, jump, 0)) == policy.formula(jump, total, 0.1, SCALAR)
    assert policy == before and vars(policy) == vars(before) and hash(policy) == hash(before)


@pytest.mark.parametrize("unit", ["step", "epoch"])
@pytest.mark.parametrize(
    "policy",
    [
        CosineRestarts(period=2, period_mult=2), CosineRestarts(period=3, min_lr=0.001), OneCycle(pct_start=0.25), OneCycle(anneal="linear", three_phase=True),
        OneCycleMomentum(pct_start=0.25, horizon=20), Cyclic(step_size_up=3, step_size_down=2, mode="exp_range", gamma=0.9, min_lr_ratio=0.1),
        CyclicMomentum(step_size_up=3, mode="triangular2"), PiecewiseInterpolate(boundaries=[5, 30], scales=[0.5, 0.1]),
    ],
)
def test_the_hook_applies_what_evaluate_gives(policy, unit):
    policy = replace(policy, unit=unit)
    applied: list[float] = []
    hook = LRHook(policy, TrainContext(initial_lr=0.1, total_epochs=6, steps_per_epoch=4), applied.append)
    wanted = [policy.evaluate(TrainContext(initial_lr=0.1, total_epochs=6, steps_per_epoch=4, global_step=0, epoch=0))]
    for step in range(1, 40):  # past the run's 24 updates
        hook.step()
        wanted.append(policy.evaluate(TrainContext(initial_lr=0.1, total_epochs=6, steps_per_epoch=4, global_step=step, epoch=step // 4)))
    assert [lr.hex() for lr in applied] == [lr.hex() for lr in wanted]


@pytest.mark.parametrize("first", [0, 3])
def test_piecewise_looks_its_segments_up_once_per_binding(monkeypatch, first):
    # The segments' cache is keyed by the lists themselves, hashed at each lookup: with 100,000
    # boundaries a lookup at every update made each update a millisecond.
    calls, segments = [], interpolate.segments

    def counted(*args: object) -> object:
        calls.append(args)
        return segments(*args)

    monkeypatch.setattr(interpolate, "segments", counted)
    policy = PiecewiseInterpolate(boundaries=list(range(1, 1001)), scales=[0.999] * 1000)
    bound = policy._bound(first, "step", None, 0.1)
    lrs = [bound(at("step", clock, 0)) for clock in range(50)]
    assert len(calls) == 1 and lrs == [policy.formula(max(clock - first, 0), None, 0.1, SCALAR) for clock in range(50)]
