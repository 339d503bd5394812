"""LRPolicyScheduler under a real accelerate.Accelerator on CPU (one process), with gradient
accumulation over 2 batches: the LR of each optimizer update is curve()'s, a plateau reads each
epoch's result, and a run resumed from accelerator.save_state / load_state continues on the same
LRs. The scheduler is registered for checkpointing and stepped after each real update (what the
README recommends), or handed to accelerator.prepare (the same in one process)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from conftest import requires_extra
from warnings_check import no_scheduler_warnings

import lrpol
from lrpol import TrainContext

torch = requires_extra("torch")
requires_extra("transformers", "accelerate")
from accelerate import Accelerator  # noqa: E402
from accelerate.state import AcceleratorState, GradientState  # noqa: E402

from lrpol.integrations.torch import LRPolicyScheduler  # noqa: E402

LR0, EPOCHS, EXAMPLES, BATCH, ACCUMULATE = 0.1, 3, 22, 2, 2
BATCHES = EXAMPLES // BATCH  # 11: the last update of each epoch accumulates one batch
UPDATES_PER_EPOCH = math.ceil(BATCHES / ACCUMULATE)  # 6
RESULTS = [1.0, 1.0, 1.0]  # lower is better: the first is the best, the next two reduce
POLICY = lrpol.ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, mode="min", policy=lrpol.Warmup(duration=4, policy=lrpol.ReduceCosine(unit="step")))
RUN = TrainContext(initial_lr=LR0, total_epochs=EPOCHS, steps_per_epoch=UPDATES_PER_EPOCH)
#: Where the uninterrupted run saves its state: after these updates, and after each epoch's report.
SAVE_AFTER_UPDATES = (3, 10)


@pytest.fixture(autouse=True)
def fresh_accelerate_state() -> Iterator[None]:
    """One Accelerator per run, as in a fresh process; and none left behind for other tests."""
    AcceleratorState._reset_state(True)
    GradientState._reset_state()
    yield
    AcceleratorState._reset_state(True)
    GradientState._reset_state()


def train(route: str, root: object, resume: str | None = None) -> tuple[list[float], list[str]]:
    """The LR of every optimizer update from the start (or from ``resume``), and the states saved."""
    AcceleratorState._reset_state(True)  # one Accelerator per run, as in a fresh process
    GradientState._reset_state()
    accelerator = Accelerator(cpu=True, gradient_accumulation_steps=ACCUMULATE)
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    generator = torch.Generator().manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(EXAMPLES, 4, generator=generator), torch.randn(EXAMPLES, 1, generator=generator))
    optimizer = torch.optim.SGD(model.parameters(), lr=LR0)
    scheduler = LRPolicyScheduler(optimizer, POLICY, TrainContext(initial_lr=LR0, total_epochs=EPOCHS, steps_per_epoch=UPDATES_PER_EPOCH))
    loader = torch.utils.data.DataLoader(data, batch_size=BATCH)
    if route == "prepared":
        model, optimizer, loader, prepared = accelerator.prepare(model, optimizer, loader, scheduler)
    else:
        model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
        accelerator.register_for_checkpointing(scheduler)
    start_epoch, updates_done = 0, 0
    if resume is not None:
        accelerator.load_state(resume)
        start_epoch, updates_done = divmod(scheduler.ctx.global_step, UPDATES_PER_EPOCH)  # where the saved run was
    lrs, saved = [], []
    for epoch in range(start_epoch, EPOCHS):
        batches = accelerator.skip_first_batches(loader, updates_done * ACCUMULATE) if updates_done else loader
        updates_done = 0
        for inputs, targets in batches:
            with accelerator.accumulate(model):
                accelerator.backward(torch.nn.functional.mse_loss(model(inputs), targets))
                if accelerator.sync_gradients:  # this batch ends an accumulation: the optimizer updates now
                    lrs.append(optimizer.param_groups[0]["lr"])
                optimizer.step()
                if route == "prepared":
                    prepared.step()  # AcceleratedScheduler steps it only when the optimizer really stepped
                elif accelerator.sync_gradients and not accelerator.optimizer_step_was_skipped:
                    scheduler.step()
                optimizer.zero_grad()
            if resume is None and accelerator.sync_gradients and scheduler.ctx.global_step in SAVE_AFTER_UPDATES:
                saved.append(save(accelerator, root, scheduler))
        scheduler.report_metric(RESULTS[epoch])
        if resume is None:
            saved.append(save(accelerator, root, scheduler))
    return lrs, saved


def save(accelerator: Accelerator, root: object, scheduler: LRPolicyScheduler) -> str:
    path = f"{root}/update{scheduler.ctx.global_step}_result{scheduler.ctx.metric_count}"
    accelerator.save_state(path)
    return path


@pytest.mark.parametrize("route", ["registered", "prepared"])
def test_each_update_runs_at_the_curves_lr_and_every_saved_state_resumes_on_the_same_lrs(route, tmp_path):
    with no_scheduler_warnings():
        whole, saved = train(route, tmp_path)
    assert len(whole) == EPOCHS * UPDATES_PER_EPOCH == 18
    assert whole == lrpol.curve(POLICY, RUN, metrics=RESULTS).tolist()
    plain = lrpol.curve(POLICY.policy, RUN).tolist()
    assert [whole[epoch * UPDATES_PER_EPOCH] / plain[epoch * UPDATES_PER_EPOCH] for epoch in range(EPOCHS)] == [1.0, 1.0, 0.5]
    assert [path.rsplit("/", 1)[1] for path in saved] == ["update3_result0", "update6_result1", "update10_result1", "update12_result2", "update18_result3"]
    for path in saved[:-1]:
        with no_scheduler_warnings():
            resumed, _ = train(route, tmp_path, resume=path)
        assert resumed == whole[len(whole) - len(resumed) :], path
        assert len(resumed) == len(whole) - int(path.rsplit("update", 1)[1].split("_")[0])


def test_prepared_on_two_processes_it_would_step_twice_per_update_which_is_why_the_readme_steps_it_itself(monkeypatch):
    import types

    import accelerate.scheduler

    accelerator = Accelerator(cpu=True)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR0)
    scheduler = LRPolicyScheduler(optimizer, POLICY, RUN)
    optimizer, prepared = accelerator.prepare(optimizer, scheduler)
    # what AcceleratedScheduler.step reads to step once per process (unless split_batches)
    monkeypatch.setattr(accelerate.scheduler, "AcceleratorState", lambda: types.SimpleNamespace(num_processes=2))
    optimizer.step()
    prepared.step()
    assert scheduler.last_epoch == 2
