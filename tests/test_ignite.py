"""lrpol.integrations.ignite on real Ignite engines."""

import re

import pytest
from conftest import requires_extra

import lrpol
from lrpol import TrainContext, curve

torch = requires_extra("torch")
requires_extra("ignite")
from ignite.engine import Engine, Events  # noqa: E402
from ignite.metrics import MeanSquaredError  # noqa: E402

from lrpol.integrations.ignite import LRPolicyHandler  # noqa: E402
from lrpol.integrations.torch import attach  # noqa: E402


def engines(optimizer, model, scripted=None):
    """A trainer doing real SGD updates and an evaluator computing a real MSE (or a scripted Dice)."""
    X = torch.randn(32, 3, generator=torch.Generator().manual_seed(0))
    y = X.sum(dim=1, keepdim=True)

    def train_step(engine, batch):
        inputs, targets = batch
        loss = torch.nn.functional.mse_loss(model(inputs), targets)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss.item()

    def eval_step(engine, batch):
        with torch.no_grad():
            return model(batch[0]), batch[1]

    trainer, evaluator = Engine(train_step), Engine(eval_step)
    MeanSquaredError().attach(evaluator, "mse")
    if scripted is not None:
        @evaluator.on(Events.COMPLETED)
        def script(engine):
            engine.state.metrics["dice"] = scripted[trainer.state.epoch - 1]

    batches = [(X[i:i + 8], y[i:i + 8]) for i in range(0, 32, 8)]
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda: evaluator.run(batches))
    return trainer, evaluator, batches


def recorded_lrs(trainer, optimizer):
    lrs = []
    trainer.add_event_handler(Events.ITERATION_STARTED, lambda: lrs.append(optimizer.param_groups[0]["lr"]))
    return lrs


def test_plateau_follows_the_evaluators_metric_in_a_real_engine_run():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    dice = [0.5, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7]
    policy = lrpol.ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5)
    ctx = TrainContext(initial_lr=0.1, total_epochs=8)  # steps_per_epoch comes from the engine
    trainer, evaluator, batches = engines(optimizer, model, scripted=dice)
    handler = LRPolicyHandler(attach(optimizer, policy, ctx), metric_name="dice").attach(trainer, evaluator)
    lrs = recorded_lrs(trainer, optimizer)
    trainer.run(batches, max_epochs=8)
    assert ctx.steps_per_epoch == 4 and ctx.global_step == 32 and ctx.metric_count == 8
    # results 3 and 4 do not improve on 0.6: halved after the 4th epoch; 6 and 7 on 0.7: after the 7th
    assert lrs == curve(lrpol.ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5), TrainContext(initial_lr=0.1, total_epochs=8, steps_per_epoch=4), metrics=dice).tolist()
    assert lrs == [0.1] * 16 + [0.05] * 12 + [0.025] * 4
    assert handler.state_dict()["policy"]["reductions"] == 2


def test_step_policy_with_a_real_metric_and_checkpointing():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    ctx = TrainContext(initial_lr=0.1, total_epochs=3, steps_per_epoch=4)
    trainer, evaluator, batches = engines(optimizer, model)
    handler = LRPolicyHandler(attach(optimizer, lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=5), ctx), metric_name="mse").attach(trainer, evaluator)
    lrs = recorded_lrs(trainer, optimizer)
    trainer.run(batches, max_epochs=3)
    assert lrs == [0.1] * 5 + [0.05] * 5 + [0.025] * 2
    assert ctx.metric == evaluator.state.metrics["mse"] and ctx.metric_count == 3
    state = handler.state_dict()
    assert state["context"]["global_step"] == 12
    resumed = LRPolicyHandler(attach(optimizer, lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=5), TrainContext(initial_lr=0.1, total_epochs=3, steps_per_epoch=4)))
    resumed.load_state_dict(state)
    assert optimizer.param_groups[0]["lr"] == 0.1 * 0.5**2


def test_a_missing_metric_names_the_ones_there_are():
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer, evaluator, batches = engines(optimizer, model)
    LRPolicyHandler(attach(optimizer, lrpol.ReduceCosine(), TrainContext(initial_lr=0.1, total_epochs=1)), metric_name="msee").attach(trainer, evaluator)
    with pytest.raises(LookupError, match=re.escape("the evaluator computed no metric 'msee'; did you mean 'mse'?")):
        trainer.run(batches, max_epochs=1)


def test_an_evaluator_needs_a_metric_name():
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer, evaluator, _ = engines(optimizer, model)
    with pytest.raises(ValueError, match="give metric_name"):
        LRPolicyHandler(attach(optimizer, lrpol.ReduceCosine(), TrainContext(initial_lr=0.1, total_epochs=1))).attach(trainer, evaluator)


def test_data_without_a_length_still_counts_epochs():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer, _, batches = engines(optimizer, model)
    ctx = TrainContext(initial_lr=0.1, total_epochs=3)
    LRPolicyHandler(attach(optimizer, lrpol.ReducePoly(poly_power=1), ctx)).attach(trainer)
    lrs = recorded_lrs(trainer, optimizer)

    class Stream:  # iterable again and again, but of no known length
        def __iter__(self):
            return iter(batches)

    trainer.run(Stream(), max_epochs=3)
    assert ctx.steps_per_epoch is None and ctx.epoch == 3
    assert lrs == pytest.approx([0.1] * 4 + [0.2 / 3] * 4 + [0.1 / 3] * 4)
