"""LRPolicyScheduler under MONAI's own LrScheduleHandler on Ignite engines, as a MONAI bundle's
handler list runs it: per iteration, per epoch, and with validation results for a plateau; none of
these runs warns about the scheduler."""

from __future__ import annotations

import pytest
from conftest import requires_extra
from warnings_check import no_scheduler_warnings

import lrpol
from lrpol import TrainContext

torch = requires_extra("torch")
requires_extra("ignite")
requires_extra("monai")
from ignite.engine import Engine, Events  # noqa: E402
from monai.handlers import LrScheduleHandler  # noqa: E402

from lrpol.integrations.torch import LRPolicyScheduler  # noqa: E402

LR0, EPOCHS, ITERATIONS = 0.1, 6, 4


def trainer_recording(optimizer: torch.optim.Optimizer, seen: list) -> Engine:
    """A trainer doing real updates; the LR each iteration runs at is recorded before its update."""
    parameter = optimizer.param_groups[0]["params"][0]

    def update(engine: Engine, batch: object) -> None:
        seen.append(optimizer.param_groups[0]["lr"])
        parameter.grad = torch.ones_like(parameter)
        optimizer.step()

    return Engine(update)


def fresh_optimizer() -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=LR0)


def test_iteration_level_gives_the_curve_of_the_run():
    policy = lrpol.Warmup(duration=5, policy=lrpol.ReduceCosine(unit="step"))
    ctx = TrainContext(initial_lr=LR0, total_epochs=EPOCHS, steps_per_epoch=ITERATIONS)
    optimizer, seen = fresh_optimizer(), []
    trainer = trainer_recording(optimizer, seen)
    LrScheduleHandler(LRPolicyScheduler(optimizer, policy, ctx), print_lr=False, epoch_level=False).attach(trainer)
    with no_scheduler_warnings():
        trainer.run(range(ITERATIONS), max_epochs=EPOCHS)
    assert seen == lrpol.curve(policy, TrainContext(initial_lr=LR0, total_epochs=EPOCHS, steps_per_epoch=ITERATIONS)).tolist()


def test_epoch_level_steps_one_epoch_at_a_time(caplog):
    policy = lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=2, unit="epoch")
    optimizer, seen = fresh_optimizer(), []
    trainer = trainer_recording(optimizer, seen)
    scheduler = LRPolicyScheduler(optimizer, policy, TrainContext(initial_lr=LR0, total_epochs=EPOCHS))  # no steps_per_epoch: step() is an epoch
    LrScheduleHandler(scheduler, print_lr=True, epoch_level=True).attach(trainer)
    with caplog.at_level("INFO"), no_scheduler_warnings():
        trainer.run(range(ITERATIONS), max_epochs=EPOCHS)
    per_epoch = [LR0, LR0, LR0 / 2, LR0 / 2, LR0 / 4, LR0 / 4]
    assert seen == [lr for lr in per_epoch for _ in range(ITERATIONS)]
    # MONAI prints the LR it reads from the scheduler after each step
    assert [record.getMessage() for record in caplog.records if "learning rate" in record.getMessage()][-1] == f"Current learning rate: {LR0 / 8}"


def test_a_plateau_reads_the_evaluators_metric_through_a_second_handler():
    policy = lrpol.ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5, mode="max")
    ctx = TrainContext(initial_lr=LR0, total_epochs=EPOCHS, steps_per_epoch=ITERATIONS)
    dice = iter([0.5, 0.6, 0.6, 0.6, 0.6, 0.7])
    optimizer, seen = fresh_optimizer(), []
    trainer = trainer_recording(optimizer, seen)
    scheduler = LRPolicyScheduler(optimizer, policy, ctx)
    evaluator = Engine(lambda engine, batch: None)

    @evaluator.on(Events.EPOCH_COMPLETED)  # before the handler below, as a metric is attached before it
    def score(engine: Engine) -> None:
        engine.state.metrics["val_mean_dice"] = next(dice)

    LrScheduleHandler(scheduler, print_lr=False, epoch_level=False).attach(trainer)
    # as a bundle's validate#handlers would hold it: the metric handed to step()
    LrScheduleHandler(scheduler, print_lr=False, epoch_level=True, step_transform=lambda engine: engine.state.metrics["val_mean_dice"]).attach(evaluator)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda engine: evaluator.run([0]))
    with no_scheduler_warnings():
        trainer.run(range(ITERATIONS), max_epochs=EPOCHS)
    # the best 0.6 after epoch 1, then two results without improvement: halved after epoch 3's
    expected_after_each = [LR0, LR0, LR0, LR0, LR0 / 2, LR0 / 2]
    assert seen == [lr for lr in expected_after_each for _ in range(ITERATIONS)]


def test_a_checkpointed_run_resumes_on_the_same_lrs(tmp_path):
    from ignite.handlers import Checkpoint, DiskSaver

    policy = lrpol.Warmup(duration=3, policy=lrpol.ReducePoly(poly_power=0.9))

    def run(resume: bool) -> list:
        optimizer, seen = fresh_optimizer(), []
        trainer = trainer_recording(optimizer, seen)
        scheduler = LRPolicyScheduler(optimizer, policy, TrainContext(initial_lr=LR0, total_epochs=EPOCHS, steps_per_epoch=ITERATIONS))
        LrScheduleHandler(scheduler, print_lr=False, epoch_level=False).attach(trainer)
        objects = {"trainer": trainer, "optimizer": optimizer, "lr_scheduler": scheduler}
        if resume:
            Checkpoint.load_objects(objects, torch.load(tmp_path / "checkpoint_3.pt", weights_only=True))
        else:
            trainer.add_event_handler(Events.EPOCH_COMPLETED, Checkpoint(objects, DiskSaver(tmp_path, require_empty=False), n_saved=None, global_step_transform=lambda engine, event: engine.state.epoch))
        trainer.run(range(ITERATIONS), max_epochs=EPOCHS)
        return seen

    whole = run(resume=False)  # saves a checkpoint after every epoch
    assert run(resume=True) == whole[3 * ITERATIONS :]  # from the one after epoch 3


@pytest.mark.parametrize("epoch_level", [True, False])
def test_print_lr_reads_what_the_optimizer_holds(epoch_level, caplog):
    optimizer = fresh_optimizer()
    scheduler = LRPolicyScheduler(optimizer, lrpol.ExponentialDecay(gamma=0.5, unit="epoch" if epoch_level else "step"), TrainContext(initial_lr=LR0, total_epochs=3, steps_per_epoch=None if epoch_level else 2))
    trainer = trainer_recording(optimizer, [])
    LrScheduleHandler(scheduler, epoch_level=epoch_level).attach(trainer)
    with caplog.at_level("INFO"):
        trainer.run(range(2), max_epochs=3)
    printed = [record.getMessage() for record in caplog.records if "learning rate" in record.getMessage()]
    assert printed[-1] == f"Current learning rate: {optimizer.param_groups[0]['lr']}"
    assert optimizer.param_groups[0]["lr"] == LR0 * 0.5 ** (3 if epoch_level else 6)
