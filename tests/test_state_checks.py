"""LRHook.load_state_dict refuses every state that state_dict() cannot have written, with a
ValueError naming the field, and leaves the hook, its policy and its context as they were."""

import copy
import json

import pytest
from conftest import assert_resumes_exactly
from hypothesis import given, settings
from hypothesis import strategies as st

from lrpol import (
    LRHook,
    ReduceCosine,
    ReduceOnPlateau,
    ReducePoly,
    Sequential,
    TrainContext,
    Warmup,
)
from lrpol.curve import fresh_copy
from lrpol.hook import drive

PLATEAU_METRICS = [0.5, 0.4, 0.4]  # then: seen 3, best 0.5, bad_count 2 (trigger 3)
SEQUENTIAL_METRICS = [0.9, 0.8, 0.8]  # then, at epoch 3 (phase 1 of 3): results_before_phase [0, 1, null]


def plateau_hook():
    """A hook after three epochs of two updates, each followed by a result."""
    applied = []
    ctx = TrainContext(initial_lr=0.1, total_epochs=10, steps_per_epoch=2)
    hook = LRHook(ReduceOnPlateau(plateau_count_trigger=3, reduction_rate=0.5, cooldown=2), ctx, applied.append)
    for _ in drive(hook, 6, PLATEAU_METRICS):
        pass
    return hook, applied


def sequential_hook():
    """Cosine for epochs 0-1, then a plateau for epochs 2-3, then another: now at epoch 3."""
    applied = []
    ctx = TrainContext(initial_lr=1.0, total_epochs=6, steps_per_epoch=1)
    plateaus = [ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5) for _ in range(2)]
    hook = LRHook(Sequential(policies=(ReduceCosine(), *plateaus), milestones=(2, 4), unit="epoch"), ctx, applied.append)
    for _ in drive(hook, 3, SEQUENTIAL_METRICS):
        pass
    return hook, applied


def test_the_states_the_cases_start_from():
    assert plateau_hook()[0].state_dict() == {
        "format": 1,
        "context": {"global_step": 6, "epoch": 3, "metric": 0.4, "metric_count": 3},
        "policy": {"seen": 3, "best": 0.5, "bad_count": 2, "cooldown_left": 0, "reductions": 0},
    }
    assert sequential_hook()[0].state_dict()["policy"] == {
        "policies[1]": {"seen": 2, "best": 0.8, "bad_count": 0, "cooldown_left": 0, "reductions": 1},
        "policies[2]": {"seen": 0, "best": None, "bad_count": 0, "cooldown_left": 0, "reductions": 0},
        "results_before_phase": [0, 1, None],
    }


def assert_refused(start, change, message):
    """Load the hook's own state with ``change`` applied: refused with exactly ``message``, and
    afterwards the hook is as it was and goes on exactly as an untouched one."""
    hook, applied = start()
    before, applied_before = hook.state_dict(), list(applied)
    state = copy.deepcopy(before)
    change(state)
    with pytest.raises(ValueError) as info:
        hook.load_state_dict(json.loads(json.dumps(state)))
    assert str(info.value) == message
    assert hook.state_dict() == before and applied == applied_before and hook.ctx.current_lr == applied[-1]
    twin, twin_applied = start()
    for _ in range(4):
        hook.step()
        twin.step()
        hook.report_metric(0.3)
        twin.report_metric(0.3)
    assert applied == twin_applied


def _set(*path_and_value):
    *path, value = path_and_value

    def change(state):
        holder = state
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = value

    return change


# -- the hook's own fields --------------------------------------------------------------------------

def test_format_true_is_refused():
    assert_refused(plateau_hook, _set("format", True), "not an lrpol hook state of format 1 (found format true)")


def test_format_one_point_zero_is_refused():
    assert_refused(plateau_hook, _set("format", 1.0), "not an lrpol hook state of format 1 (found format 1.0)")


def test_an_unknown_top_level_key_is_refused():
    assert_refused(plateau_hook, _set("optimizer", {}), "hook state: unknown key \"optimizer\" (a hook state has ['format', 'context', 'policy'])")


def test_a_missing_policy_is_refused():
    assert_refused(plateau_hook, lambda state: state.pop("policy"), "hook state: missing 'policy' (the policy's state, {} for a stateless one)")


def test_a_null_metric_with_results_counted_is_refused():
    assert_refused(plateau_hook, _set("context", "metric", None),
                   "hook state: context.metric is null with metric_count 3: the metric is null exactly until the first result")


def test_a_metric_with_no_result_counted_is_refused():
    assert_refused(plateau_hook, _set("context", "metric_count", 0),
                   "hook state: context.metric is 0.4 with metric_count 0: the metric is null exactly until the first result")


# -- ReduceOnPlateau's fields -----------------------------------------------------------------------

def test_a_plateau_one_result_behind_the_context_is_refused_not_replayed():
    # Accepted before: the next evaluate counted result 3 a second time.
    assert_refused(plateau_hook, _set("policy", "seen", 2),
                   "policy: ReduceOnPlateau state: seen is 2 but the context's metric_count is 3: restore the policy and the context from the same checkpoint")


def test_a_plateau_ahead_of_the_context_is_refused():
    assert_refused(plateau_hook, _set("policy", "seen", 4),
                   "policy: ReduceOnPlateau state: seen is 4 but the context's metric_count is 3: restore the policy and the context from the same checkpoint")


def test_a_best_with_no_result_seen_is_refused():
    assert_refused(plateau_hook, _set("policy", "seen", 0),
                   "policy: ReduceOnPlateau state: best is 0.5 with seen 0: best is null exactly until the first result")


def test_no_best_after_results_is_refused():
    assert_refused(plateau_hook, _set("policy", "best", None),
                   "policy: ReduceOnPlateau state: best is null with seen 3: best is null exactly until the first result")


@pytest.mark.parametrize("bad_count", [3, 4])
def test_a_bad_count_at_or_above_the_trigger_is_refused(bad_count):
    assert_refused(plateau_hook, _set("policy", "bad_count", bad_count),
                   f"policy: ReduceOnPlateau state: bad_count must be < plateau_count_trigger (3), got {bad_count}")


def test_a_cooldown_left_above_the_cooldown_is_refused():
    assert_refused(plateau_hook, _set("policy", "cooldown_left", 3),
                   "policy: ReduceOnPlateau state: cooldown_left must be <= cooldown (2), got 3")


# -- Sequential's per-phase bookkeeping -------------------------------------------------------------

def test_a_count_for_a_phase_not_yet_started_is_refused():
    assert_refused(sequential_hook, _set("policy", "results_before_phase", [0, 1, 3]),
                   "policy: Sequential state: results_before_phase[2] is 3, but phase 2 has not started at epoch 3")


def test_counts_that_decrease_from_phase_to_phase_are_refused():
    assert_refused(sequential_hook, _set("policy", "results_before_phase", [2, 1, None]),
                   "policy: Sequential state: results_before_phase must not decrease from phase to phase, got [2, 1, null]")


def test_a_count_above_the_contexts_results_is_refused():
    assert_refused(sequential_hook, _set("policy", "results_before_phase", [0, 9, None]),
                   "policy: Sequential state: results_before_phase[1] is 9, more than the context's metric_count 3")


def test_a_stale_count_that_disagrees_with_the_running_phases_plateau_is_refused():
    # Accepted before, then a ValueError from the phase's plateau two steps later.
    assert_refused(sequential_hook, _set("policy", "results_before_phase", [0, 2, None]),
                   "policy: policies[1]: ReduceOnPlateau state: seen is 2 but the context's metric_count is 1: "
                   "restore the policy and the context from the same checkpoint")


def test_a_phase_to_come_that_has_counted_results_is_refused():
    assert_refused(sequential_hook, _set("policy", "policies[2]", {"seen": 1, "best": 0.8, "bad_count": 0, "cooldown_left": 0, "reductions": 0}),
                   "policy: policies[2]: ReduceOnPlateau state: seen is 1 but the context's metric_count is 0: "
                   "restore the policy and the context from the same checkpoint")


def test_every_state_a_run_writes_is_accepted():
    for start, metrics in ((plateau_hook, PLATEAU_METRICS), (sequential_hook, SEQUENTIAL_METRICS)):
        hook, _ = start()
        saved = json.loads(json.dumps(hook.state_dict()))
        resumed, applied = start()
        resumed.load_state_dict(saved)
        assert resumed.state_dict() == saved and applied[-1] == hook.ctx.current_lr, metrics


def plateaus():
    return st.builds(
        ReduceOnPlateau, plateau_count_trigger=st.integers(1, 3), reduction_rate=st.just(0.5), cooldown=st.integers(0, 2),
        policy=st.one_of(st.none(), st.just(ReducePoly(poly_power=1))),
    )


def metric_driven():
    """Plateaus alone, in a Warmup, and in phases of a Sequential, on either clock."""
    return st.one_of(
        plateaus(),
        st.builds(Warmup, duration=st.integers(1, 5), unit=st.sampled_from(["step", "epoch"]), clock=st.sampled_from(["restart", "global"]), policy=plateaus()),
        st.builds(
            lambda first, second, milestone, unit: Sequential(policies=(first, second), milestones=(milestone,), unit=unit),
            st.one_of(plateaus(), st.just(ReduceCosine())), plateaus(), st.integers(1, 6), st.sampled_from(["step", "epoch"]),
        ),
    )


@settings(max_examples=60, deadline=None)
@given(policy=metric_driven(), steps_per_epoch=st.integers(1, 3), metrics=st.lists(st.sampled_from([0.3, 0.4, 0.5]), min_size=8, max_size=8))
def test_the_state_of_any_run_at_any_step_is_accepted_and_resumes_exactly(policy, steps_per_epoch, metrics):
    # The checks must never refuse what a real run writes: checkpoint after every update, resume, compare.
    def start():
        applied = []
        ctx = TrainContext(initial_lr=0.1, total_epochs=8, steps_per_epoch=steps_per_epoch)
        return LRHook(fresh_copy(policy), ctx, applied.append), applied

    assert_resumes_exactly(start, metrics, steps_per_epoch=steps_per_epoch, total_steps=8 * steps_per_epoch)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("reductions", 10**5000, "reductions must be an integer >= 0 and <= 9007199254740992, got an integer of 5001 digits"),
        ("bad_count", 2**53 + 1, "bad_count must be an integer >= 0 and <= 9007199254740992, got 9007199254740993"),
        ("best", 10**400, "best must be null or a finite number, got an integer of 401 digits"),
        ("best", float("nan"), "best must be null or a finite number, got nan"),
    ],
    ids=["huge-reductions", "bad_count-past-2**53", "huge-best", "nan-best"],
)
def test_huge_or_non_finite_plateau_fields_are_refused_naming_them(field, value, message):
    # Built in memory (json would refuse 5001 digits): each is refused, never an OverflowError later.
    hook, _ = plateau_hook()
    before = hook.state_dict()
    state = copy.deepcopy(before)
    state["policy"][field] = value
    with pytest.raises(ValueError) as info:
        hook.load_state_dict(state)
    assert str(info.value) == f"policy: ReduceOnPlateau state: {message}"
    assert hook.state_dict() == before


def test_a_plateau_state_with_odd_keys_is_refused_listing_them():
    policy = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5)
    with pytest.raises(ValueError) as info:
        policy.load_history({"seen": 0, 10**5000: 1})
    assert str(info.value) == (
        "ReduceOnPlateau state must have the keys ['bad_count', 'best', 'cooldown_left', 'reductions', 'seen'] "
        '(and \'policy\' for a nested one), got ["seen", an integer of 5001 digits]'
    )
