"""LRPolicyScheduler as the hook itself: what the hook's own methods do through the scheduler."""

import copy
import pickle
import re

import pytest

torch = pytest.importorskip("torch")

import lrpol  # noqa: E402
from lrpol.integrations.torch import LRPolicyScheduler  # noqa: E402


def _optimizer(lr: float = 0.1) -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def test_policy_setter_refuses_an_update_counting_policy_when_stepped_once_per_epoch():
    # Stepped once per epoch, a policy on the update clock never moves: the constructor refuses
    # it, and so does the policy setter, leaving the scheduler on its policy and history.
    ctx = lrpol.TrainContext(initial_lr=0.1, total_epochs=4)
    plateau = lrpol.ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5)
    scheduler = LRPolicyScheduler(_optimizer(), plateau, ctx)
    scheduler.report_metric(0.5)
    history = ctx.history
    with pytest.raises(ValueError, match="DecayOnStep counts optimizer updates"):
        scheduler.policy = lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=1)
    assert scheduler.policy is plateau and ctx.history is history
    # One on the epoch clock is taken, as LRHook's setter takes it.
    scheduler.policy = lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=1, unit="epoch")
    assert [scheduler.step(), scheduler.step()] == [0.05, 0.025]


@pytest.mark.parametrize("make_copy", [lambda s: s, copy.deepcopy, lambda s: pickle.loads(pickle.dumps(s))], ids=["original", "deepcopy", "pickle"])
def test_a_group_added_to_a_copy_joins_at_its_ratio_to_the_lr_in_effect(make_copy):
    # A copy made mid-run (LR 0.025, not lr0 0.1) adopts a group added before it steps at its
    # ratio to 0.025, as the original does: 0.1 here, so 0.00125 at the next LR, 0.0125.
    scheduler = LRPolicyScheduler(_optimizer(), lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=2), lrpol.TrainContext(initial_lr=0.1, total_epochs=3, steps_per_epoch=4))
    for _ in range(4):
        scheduler.step()
    scheduler = make_copy(scheduler)
    scheduler.optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.0025})
    for _ in range(2):
        scheduler.step()
    lrs = [group["lr"] for group in scheduler.optimizer.param_groups]
    assert lrs == [0.0125, 0.0125 * (0.0025 / 0.025)] and lrs[1] == pytest.approx(0.00125, rel=1e-15)


def test_base_lrs_between_add_param_group_and_the_next_step():
    # The added group (0.1x the LR in effect, 0.025) is at 0.1x lr0 before the step that adopts
    # it and after: base_lrs reads it either way, instead of a KeyError for its missing scale.
    optimizer = _optimizer()
    scheduler = LRPolicyScheduler(optimizer, lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=2), lrpol.TrainContext(initial_lr=0.1, total_epochs=3, steps_per_epoch=4))
    for _ in range(4):
        scheduler.step()
    optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.0025})
    before = scheduler.base_lrs
    scheduler.step()
    assert before == scheduler.base_lrs == [0.1, 0.1 * (0.0025 / 0.025)]


def test_ctx_cannot_be_replaced_and_copies_still_take_their_own():
    # Its momentum writer reads the context it was made with: another context would move the LR
    # and leave the momentum at 0.9, so it is refused (as when ctx was a read-only property).
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    ctx = lrpol.TrainContext(initial_lr=0.1, total_epochs=1, steps_per_epoch=4)
    scheduler = LRPolicyScheduler(optimizer, lrpol.LinearDecay(), ctx, schedules={"momentum": lrpol.LinearDecay()})
    with pytest.raises(AttributeError, match="ctx cannot be replaced"):
        scheduler.ctx = lrpol.TrainContext(initial_lr=0.1, total_epochs=1, steps_per_epoch=4)
    assert scheduler.ctx is ctx
    copied = copy.deepcopy(scheduler)
    assert copied.ctx is not ctx and copied.step() == 0.1 * 3 / 4
    assert copied.optimizer.param_groups[0]["momentum"] == 0.9 * 3 / 4 and ctx.global_step == 0


@pytest.mark.parametrize("entry", ["group_policies", "schedules"])
def test_stepped_once_per_epoch_a_group_policy_or_schedule_counting_updates_is_refused(entry):
    # Its clock would never move (group 1 would stay at 0.2, the momentum at 0.9): refused as the
    # main policy is, naming the entry. A constant reads no clock, and is taken.
    optimizer = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))]}, {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.2}], lr=0.1, momentum=0.9)
    ctx = lrpol.TrainContext(initial_lr=0.1, total_epochs=3)
    policy = lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=1, unit="epoch")
    counting = lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=1)
    made_with = {"group_policies": [None, counting]} if entry == "group_policies" else {"schedules": {"momentum": counting}}
    where = "group_policies[1]" if entry == "group_policies" else "schedules['momentum']"
    with pytest.raises(ValueError, match=rf"^{re.escape(where)}: DecayOnStep counts optimizer updates"):
        LRPolicyScheduler(optimizer, policy, ctx, **made_with)
    scheduler = LRPolicyScheduler(optimizer, policy, ctx, group_policies=[None, lrpol.Constant()])
    assert [scheduler.step(), optimizer.param_groups[1]["lr"]] == [0.05, 0.2]


def test_stepped_once_per_epoch_a_constant_phase_is_taken():
    # Constant() declares unit "step" but reads no clock: an epoch Sequential that starts with
    # one runs once per epoch (it was refused as counting updates), on curve()'s LRs.
    optimizer = _optimizer()
    policy = lrpol.Sequential(unit="epoch", milestones=(1,), policies=(lrpol.Constant(factor=0.1), lrpol.ReduceCosine()))
    scheduler = LRPolicyScheduler(optimizer, policy, lrpol.TrainContext(initial_lr=0.1, total_epochs=4))
    lrs = [optimizer.param_groups[0]["lr"]] + [scheduler.step() for _ in range(3)]
    assert lrs == [float(lr) for lr in lrpol.curve(policy, lrpol.TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=1))]
    assert lrs[:2] == [0.1 * 0.1, 0.1]
