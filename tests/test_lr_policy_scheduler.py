"""LRPolicyScheduler: an lrpol policy as a real torch LRScheduler, with the hook's exact LRs,
param-group ratios, metric route and resume through torch.save / torch.load(weights_only=True)."""

from __future__ import annotations

import io
import warnings

import pytest
from conftest import requires_extra
from parity import assert_matches, torch_lrs
from warnings_check import no_scheduler_warnings

import lrpol
from lrpol import DecayOnStep, LRHook, ReduceCosine, ReduceOnPlateau, ReducePoly, Sequential, TrainContext, Warmup

torch = requires_extra("torch")
from lrpol.integrations.torch import LRPolicyScheduler  # noqa: E402

LR0 = 0.1


def run_shape(steps_per_epoch: int | None = 5) -> TrainContext:
    return TrainContext(initial_lr=LR0, total_epochs=8, steps_per_epoch=steps_per_epoch)


def optimizer_with_two_groups() -> torch.optim.Optimizer:
    # the second group at a tenth of lr0: it runs at a tenth of the schedule
    return torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))]}, {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": LR0 / 10}], lr=LR0, momentum=0.9)


POLICY = Warmup(policy=ReducePoly(poly_power=0.9), duration=6)


def test_it_is_a_torch_scheduler_whose_lrs_are_the_hooks_in_every_group():
    optimizer = optimizer_with_two_groups()
    scheduler = LRPolicyScheduler(optimizer, POLICY, run_shape())
    assert isinstance(scheduler, torch.optim.lr_scheduler.LRScheduler)
    hook_lrs: list[float] = []
    hook = LRHook(POLICY, run_shape(), hook_lrs.append)
    seen = []
    for update in range(40):
        seen.append(scheduler.get_last_lr())
        assert scheduler.last_epoch == update
        optimizer.step()
        scheduler.step()
        hook.step()
    assert [lrs[0] for lrs in seen] == hook_lrs[:40]
    scale = optimizer.param_groups[1]["lrpol_scale"]  # 0.01 / 0.1, as a float gives it
    assert [lrs[1] for lrs in seen] == [lr * scale for lr in hook_lrs[:40]]
    assert scheduler.base_lrs == [LR0, LR0 * scale]
    assert scheduler._last_lr == scheduler.get_last_lr() == [group["lr"] for group in optimizer.param_groups]


def test_stepped_like_torch_it_gives_torchs_lrs():
    # torch's StepLR per update against lrpol's DecayOnStep run by the scheduler, read as torch reads it
    theirs = torch_lrs(lambda optimizer: torch.optim.lr_scheduler.StepLR(optimizer, step_size=7, gamma=0.5), 40, LR0)
    ours = torch_lrs(lambda optimizer: LRPolicyScheduler(optimizer, DecayOnStep(decay_ratio=0.5, decay_freq=7), run_shape()), 40, LR0)
    assert_matches(ours, theirs, 0.0)


def test_it_warns_about_nothing_and_never_wraps_the_optimizers_step():
    optimizer = optimizer_with_two_groups()
    step = optimizer.step
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler = LRPolicyScheduler(optimizer, POLICY, run_shape())
        scheduler.step()  # before any optimizer step: torch's own schedulers warn here
        for _ in range(5):
            optimizer.step()
            scheduler.step()
        scheduler.state_dict()
    assert optimizer.step == step and not hasattr(optimizer.step, "_wrapped_by_lr_sched")


def test_a_plain_training_loop_with_a_plateau_and_a_resume_records_no_warning_of_its_own():
    policy = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, policy=Warmup(policy=ReduceCosine(unit="step"), duration=3))
    model = torch.nn.Linear(3, 1)
    inputs, targets = torch.randn(10, 3, generator=torch.Generator().manual_seed(0)), torch.zeros(10, 1)
    with no_scheduler_warnings():
        optimizer = torch.optim.AdamW(model.parameters(), lr=LR0)
        scheduler = LRPolicyScheduler(optimizer, policy, run_shape())
        for _ in range(3):  # epochs
            for batch in range(5):
                loss = torch.nn.functional.mse_loss(model(inputs[2 * batch : 2 * batch + 2]), targets[2 * batch : 2 * batch + 2])
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                scheduler.step()
            scheduler.step(1.0)  # the same result each epoch: the second and third reduce
            scheduler.get_last_lr(), scheduler.get_lr(), scheduler.last_epoch, scheduler.base_lrs
        buffer = io.BytesIO()
        torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, buffer)
        buffer.seek(0)
        saved = torch.load(buffer, weights_only=True)
        resumed_optimizer = torch.optim.AdamW(model.parameters(), lr=LR0)
        resumed_optimizer.load_state_dict(saved["optimizer"])
        resumed = LRPolicyScheduler(resumed_optimizer, policy, run_shape())
        resumed.load_state_dict(saved["scheduler"])
        resumed.step()  # before any optimizer step of the resumed run: torch's own schedulers warn here
    assert scheduler.last_epoch == 15 and resumed.last_epoch == 16
    assert resumed.get_last_lr()[0] == lrpol.curve(policy, run_shape(), metrics=[1.0, 1.0, 1.0], steps=17)[16]


def test_a_validation_result_reaches_a_plateau_policy_through_step_and_report_metric():
    plateau = ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5, mode="min")
    optimizer = optimizer_with_two_groups()
    scheduler = LRPolicyScheduler(optimizer, plateau, run_shape())
    assert scheduler.get_last_lr() == [LR0, LR0 / 10]
    scheduler.step(1.0)
    scheduler.step(1.0)
    assert scheduler.report_metric(1.0) == LR0 / 2  # two results without improvement after the best: reduced once
    assert scheduler.get_last_lr() == [LR0 / 2, LR0 / 20]
    assert scheduler.last_epoch == 0  # results do not move the clock
    with pytest.raises(ValueError, match="nan"):
        scheduler.step(float("nan"))


def test_without_steps_per_epoch_each_step_is_an_epoch():
    optimizer = optimizer_with_two_groups()
    scheduler = LRPolicyScheduler(optimizer, DecayOnStep(decay_ratio=0.5, decay_freq=2, unit="epoch"), run_shape(None))
    lrs = []
    for _ in range(6):
        lrs.append(scheduler.get_last_lr()[0])
        scheduler.step()
    assert lrs == [LR0, LR0, LR0 / 2, LR0 / 2, LR0 / 4, LR0 / 4]
    assert scheduler.last_epoch == 6


@pytest.mark.parametrize("policy", [POLICY, ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5, policy=ReduceCosine())], ids=["warmup", "plateau"])
def test_a_resumed_run_continues_on_exactly_the_same_lrs(policy):
    metrics = [1.0, 0.9, 0.95, 0.96, 0.97, 0.9, 0.91, 0.92]

    def train(scheduler, optimizer, epochs: range, lrs: list) -> None:
        for epoch in epochs:
            for _ in range(5):
                lrs.append(scheduler.get_last_lr())
                optimizer.step()
                scheduler.step()
            scheduler.step(metrics[epoch])

    whole: list = []
    optimizer = optimizer_with_two_groups()
    train(LRPolicyScheduler(optimizer, policy, run_shape()), optimizer, range(8), whole)

    first: list = []
    optimizer = optimizer_with_two_groups()
    scheduler = LRPolicyScheduler(optimizer, policy, run_shape())
    train(scheduler, optimizer, range(3), first)
    buffer = io.BytesIO()
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)

    resumed_optimizer = optimizer_with_two_groups()
    resumed_optimizer.load_state_dict(saved["optimizer"])
    resumed = LRPolicyScheduler(resumed_optimizer, policy, run_shape())
    resumed.load_state_dict(saved["scheduler"])
    rest: list = []
    train(resumed, resumed_optimizer, range(3, 8), rest)
    assert first + rest == whole


def test_a_foreign_state_is_refused_and_changes_nothing():
    optimizer = optimizer_with_two_groups()
    scheduler = LRPolicyScheduler(optimizer, POLICY, run_shape())
    scheduler.step()
    before = scheduler.get_last_lr()
    with pytest.raises(ValueError, match="not an LRPolicyScheduler state"):
        scheduler.load_state_dict(torch.optim.lr_scheduler.StepLR(optimizer_with_two_groups(), step_size=2).state_dict())
    assert scheduler.get_last_lr() == before and scheduler.last_epoch == 1


def test_torchs_sequential_lr_cannot_hold_it_since_it_would_move_its_clock():
    optimizer = optimizer_with_two_groups()
    with pytest.raises(TypeError, match="compose policies in lrpol"):
        torch.optim.lr_scheduler.SequentialLR(optimizer, [LRPolicyScheduler(optimizer, POLICY, run_shape()), LRPolicyScheduler(optimizer, Sequential(policies=[ReducePoly(poly_power=1)], milestones=[]), run_shape())], milestones=[3])
    with pytest.raises(TypeError, match="takes no epoch"):
        LRPolicyScheduler(optimizer, POLICY, run_shape()).step(epoch=3)  # type: ignore[arg-type]


def test_without_steps_per_epoch_a_policy_that_counts_updates_is_refused_as_it_would_never_move():
    with pytest.raises(ValueError, match="Warmup counts optimizer updates"):
        LRPolicyScheduler(optimizer_with_two_groups(), lrpol.Warmup(duration=3, policy=ReduceCosine()), run_shape(None))
    with pytest.raises(ValueError, match="DecayOnStep counts optimizer updates"):
        LRPolicyScheduler(optimizer_with_two_groups(), lrpol.Product(policies=[ReduceCosine(), DecayOnStep(decay_ratio=0.5, decay_freq=2)]), run_shape(None))
    LRPolicyScheduler(optimizer_with_two_groups(), ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5, policy=ReduceCosine()), run_shape(None))  # per epoch: fine


def test_a_copy_or_a_pickle_continues_on_its_own_optimizer_at_the_same_lrs():
    import copy
    import pickle

    plateau = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, policy=ReduceCosine())

    def run(updates: int) -> tuple[LRPolicyScheduler, list[float]]:
        optimizer = optimizer_with_two_groups()
        scheduler = LRPolicyScheduler(optimizer, plateau, run_shape())
        lrs = [scheduler.step() for _ in range(updates)]
        scheduler.step(1.0)
        scheduler.step(1.0)  # reduced once: the history must travel with the copy
        return scheduler, lrs

    scheduler, _ = run(7)
    later = [scheduler.step() for _ in range(5)]  # what the original does next
    scheduler, _ = run(7)
    before = scheduler.get_last_lr()
    for duplicate in (copy.deepcopy, lambda original: pickle.loads(pickle.dumps(original))):
        twin = duplicate(scheduler)
        assert twin.optimizer is not scheduler.optimizer and twin.state_dict() == scheduler.state_dict()
        assert [twin.step() for _ in range(5)] == later
        assert twin.get_last_lr() == [group["lr"] for group in twin.optimizer.param_groups] == [later[-1], later[-1] * twin.optimizer.param_groups[1]["lrpol_scale"]]
    assert scheduler.last_epoch == 7 and scheduler.get_last_lr() == before  # the original did not move, nor did its optimizer's LRs


def test_a_group_added_mid_run_follows_the_policy_from_its_ratio_to_the_lr_in_effect():
    # Lightning's BackboneFinetuning adds the unfrozen backbone as a group at a fraction of the LR in effect
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR0, momentum=0.9)
    momentum = lrpol.CyclicMomentum(step_size_up=2, base_momentum=0.8, max_momentum=0.9)
    scheduler = LRPolicyScheduler(optimizer, DecayOnStep(decay_ratio=0.5, decay_freq=1), run_shape(), schedules={"momentum": momentum})
    scheduler.step()
    scheduler.step()  # at LR0 / 4 now
    optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": LR0 / 40, "momentum": 0.85})
    assert scheduler.step() == LR0 / 8
    scale = (LR0 / 40) / (LR0 / 4)  # a tenth of the LR in effect when it joined, as it was (in floats)
    assert scheduler.get_last_lr() == [LR0 / 8, LR0 / 8 * scale]
    assert optimizer.param_groups[1]["lrpol_scale"] == scale and scheduler.base_lrs == [LR0, LR0 * scale]
    # its momentum follows the momentum schedule from its own value, as a group that started at 0.85 would
    alone = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR0, momentum=0.85)
    reference = LRPolicyScheduler(alone, DecayOnStep(decay_ratio=0.5, decay_freq=1), run_shape(), schedules={"momentum": momentum})
    for _ in range(3):
        reference.step()
    assert optimizer.param_groups[1]["lrpol_initial_momentum"] == 0.85
    assert optimizer.param_groups[1]["momentum"] == alone.param_groups[0]["momentum"] != 0.85
