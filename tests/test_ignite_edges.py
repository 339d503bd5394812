"""LRPolicyHandler at the edges of an Ignite run: an evaluation after the trainer completed."""

from __future__ import annotations

from conftest import requires_extra

import lrpol
from lrpol import TrainContext

torch = requires_extra("torch")
requires_extra("ignite")
from ignite.engine import Engine, Events  # noqa: E402

from lrpol.integrations.ignite import LRPolicyHandler  # noqa: E402
from lrpol.integrations.torch import attach  # noqa: E402


def test_an_evaluation_after_the_trainer_completed_is_not_reported_to_the_run():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    hook = attach(optimizer, lrpol.ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, mode="min"), TrainContext(initial_lr=0.1, total_epochs=2))
    trainer, evaluator = Engine(lambda engine, batch: None), Engine(lambda engine, batch: None)
    evaluator.add_event_handler(Events.COMPLETED, lambda engine: engine.state.metrics.update(val_loss=1.0))
    LRPolicyHandler(hook, "val_loss").attach(trainer, evaluator)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda: evaluator.run([0]))
    trainer.run([0, 1], max_epochs=2)
    assert (hook.ctx.metric_count, optimizer.param_groups[0]["lr"]) == (2, 0.05)  # the second result halved it
    evaluator.run([0])  # a final test, after training
    assert (hook.ctx.metric_count, optimizer.param_groups[0]["lr"]) == (2, 0.05)
    trainer.run([0, 1], max_epochs=3)  # the run continued: its evaluations are results again
    assert (hook.ctx.metric_count, optimizer.param_groups[0]["lr"]) == (3, 0.025)
