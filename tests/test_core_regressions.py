"""Regressions found by comparing the core (history in the run, phases as numbers) with its
previous version (62a92bf), where the behaviour was promised to stay the same."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from lrpol import Constant, LRHook, LRPolicy, ReduceOnPlateau, Sequential, TrainContext, Warmup


@dataclass(frozen=True)
class LastMetric(LRPolicy):
    """A user policy: lr0 scaled by the latest validation result (lr0 before the first)."""

    def evaluate(self, ctx):
        return ctx.initial_lr if ctx.metric is None else ctx.initial_lr * ctx.metric


def plateau(**arguments) -> ReduceOnPlateau:
    return ReduceOnPlateau(plateau_count_trigger=arguments.pop("trigger", 1), reduction_rate=0.5, **arguments)


def test_a_policy_set_on_a_running_hook_does_not_inherit_the_previous_policys_counters():
    # Before: the new plateau had counted no results while the run had reported two, and the
    # next update said so. Now it silently takes over the previous plateau's history (its
    # reduction and a cooldown_left of 2 that its own cooldown of 0 could never reach) and
    # applies lr0 * 0.5 as if it had made that reduction itself.
    ctx = TrainContext(initial_lr=0.1, total_epochs=6, steps_per_epoch=2)
    hook = LRHook(plateau(cooldown=2), ctx, lambda lr: None)
    for metric in (0.5, 0.4):
        hook.step()
        hook.step()
        hook.report_metric(metric)
    hook.policy = plateau(cooldown=0)
    with pytest.raises(ValueError, match=re.escape("ReduceOnPlateau has counted 0 validation results but the context reports 2")):
        hook.step()


def test_a_sequential_set_on_a_running_hook_runs_its_own_phases():
    # Before: the new Sequential started its phase 2 at the next update, at lr0. Now it reads
    # the previous Sequential's results_before_phase (two phases) and fails with an IndexError.
    ctx = TrainContext(initial_lr=0.1, total_epochs=6, steps_per_epoch=1)
    hook = LRHook(Sequential(policies=(plateau(), plateau()), milestones=(1,), unit="epoch"), ctx, lambda lr: None)
    hook.step()
    hook.step()
    hook.policy = Sequential(policies=(plateau(), plateau(), plateau()), milestones=(1, 2), unit="epoch")
    assert hook.step() == 0.1


def test_a_user_policy_in_a_sequential_phase_reads_the_latest_result_as_before():
    # The result comes just before the phase starting at epoch 1: the policy in that phase
    # reads ctx.metric as the latest result; only metric_count counts from the phase.
    ctx = TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=1)
    hook = LRHook(Sequential(policies=(Constant(), LastMetric()), milestones=(1,), unit="epoch"), ctx, lambda lr: None)
    hook.step()
    assert hook.report_metric(0.5) == pytest.approx(0.05)


def test_a_user_policy_in_a_phase_that_cannot_know_its_step_clock_is_refused_at_once():
    # Without steps_per_epoch a phase counted in epochs cannot restart a step clock. A user
    # policy there is handed a TrainContext, which needs one: refused when the phase begins,
    # naming what is missing (the documented difference from a view that raised on reading).
    ctx = TrainContext(initial_lr=0.1, total_epochs=4)
    hook = LRHook(Sequential(policies=(Constant(), LastMetric()), milestones=(1,), unit="epoch"), ctx, lambda lr: None)
    hook.step()
    hook.report_metric(0.5)
    with pytest.raises(ValueError, match=re.escape("a phase counted in epochs cannot restart a step clock without ctx.steps_per_epoch")):
        hook.next_epoch()


def test_a_user_policy_in_a_phase_starting_inside_an_epoch_reads_the_latest_result_as_before():
    # The same with steps_per_epoch: a step milestone inside epoch 1, after epoch 0's result.
    ctx = TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=2)
    hook = LRHook(Sequential(policies=(Constant(), LastMetric()), milestones=(3,)), ctx, lambda lr: None)
    hook.step()
    hook.step()
    hook.report_metric(0.5)
    assert hook.step() == pytest.approx(0.05)


def test_an_unknown_key_in_a_saved_state_is_refused_with_the_same_message():
    hook = LRHook(Warmup(duration=2), TrainContext(initial_lr=0.1, total_epochs=2, steps_per_epoch=2), lambda lr: None)
    state = hook.state_dict()
    state["policy"] = {"bogus": {}}
    with pytest.raises(ValueError) as refused:
        hook.load_state_dict(state)
    assert str(refused.value) == "policy: Warmup has no state for ['bogus']"
