"""LRPolicyTrainerCallback at the edges of a Trainer run: the evaluation made before the first
update, several evaluation datasets, and metric names as metric_for_best_model takes them."""

from __future__ import annotations

import pytest
from conftest import requires_extra

import lrpol
from lrpol import TrainContext

torch = requires_extra("torch")
requires_extra("transformers")
requires_extra("transformers", "accelerate")
from test_transformers_trainer import Examples  # noqa: E402  # the tiny dataset, here EXAMPLES long
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainerCallback, TrainingArguments  # noqa: E402

from lrpol.integrations.torch import LRPolicyScheduler  # noqa: E402
from lrpol.integrations.transformers import LRPolicyTrainerCallback  # noqa: E402

EPOCHS, EXAMPLES, BATCH = 3, 4, 2
LR0 = 1e-3


class Recorder(TrainerCallback):
    def __init__(self) -> None:
        self.lrs: list[float] = []

    def on_step_begin(self, args, state, control, optimizer=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.lrs.append(optimizer.param_groups[0]["lr"])


def train(output: object, metric: str = "eval_loss", eval_dataset: object = None, resume: str | None = None, **arguments: object) -> tuple[list[float], LRPolicyScheduler]:
    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig(vocab_size=32, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16, max_position_embeddings=16, num_labels=2))
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR0)
    # mode "max" on a loss: a result that is not the first never improves, and halves the LR
    policy = lrpol.ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, mode="max")
    scheduler = LRPolicyScheduler(optimizer, policy, TrainContext(initial_lr=LR0, total_epochs=EPOCHS, steps_per_epoch=EXAMPLES // BATCH))
    settings: dict = dict(
        output_dir=str(output), per_device_train_batch_size=BATCH, per_device_eval_batch_size=BATCH, num_train_epochs=EPOCHS, eval_strategy="epoch", save_strategy="epoch",
        report_to="none", use_cpu=True, seed=0, data_seed=0, logging_strategy="no", disable_tqdm=True,
    )  # fmt: skip
    recorder = Recorder()
    callbacks = [recorder, LRPolicyTrainerCallback(metric)]
    trainer = Trainer(model=model, args=TrainingArguments(**{**settings, **arguments}), train_dataset=Examples(EXAMPLES), eval_dataset=eval_dataset or Examples(EXAMPLES), optimizers=(optimizer, scheduler), callbacks=callbacks)
    trainer.train(resume_from_checkpoint=resume)
    return recorder.lrs, scheduler


def test_the_evaluation_before_the_first_update_is_not_reported_and_every_checkpoint_resumes_on_the_same_lrs(tmp_path):
    whole, scheduler = train(tmp_path / "run", eval_on_start=True)
    assert scheduler.ctx.metric_count == EPOCHS
    assert whole == [LR0] * 4 + [LR0 / 2] * 2  # the results after epochs 1 and 2 (the first is the best so far)
    checkpoints = sorted((tmp_path / "run").glob("checkpoint-*"), key=lambda path: int(path.name.rsplit("-", 1)[1]))
    for checkpoint in checkpoints[:-1]:
        resumed, _ = train(tmp_path / "resumed", resume=str(checkpoint), eval_on_start=True)
        assert resumed == whole[len(whole) - len(resumed) :], checkpoint.name


@pytest.mark.parametrize("metric", ["eval_b_loss", "eval_a_loss"])
def test_with_several_evaluation_datasets_the_named_ones_results_are_reported(tmp_path, metric):
    _, scheduler = train(tmp_path, metric, eval_dataset={"a": Examples(EXAMPLES, 1), "b": Examples(EXAMPLES, 2)}, save_strategy="no")
    assert scheduler.ctx.metric_count == EPOCHS


@pytest.mark.parametrize("metric", ["eval_loss", "eval_c_loss"])
def test_with_several_evaluation_datasets_a_metric_none_gives_is_an_error(tmp_path, metric):
    with pytest.raises(KeyError, match=f"no evaluation dataset gave the metric '{metric}'.*eval_a_loss.*eval_b_loss"):
        train(tmp_path, metric, eval_dataset={"a": Examples(EXAMPLES, 1), "b": Examples(EXAMPLES, 2)}, save_strategy="no")


def test_a_metric_is_named_as_metric_for_best_model_is(tmp_path):
    _, scheduler = train(tmp_path, "loss", save_strategy="no")
    assert scheduler.ctx.metric_count == EPOCHS
    with pytest.raises(KeyError, match=r"no metric 'eval_accuracy' in the evaluation; it gave .*'eval_loss'"):
        train(tmp_path, "accuracy", save_strategy="no")


def test_a_run_with_another_count_of_updates_per_epoch_is_refused_before_the_first_update(tmp_path):
    # steps_per_epoch=2 (batches), but two batches make one update with gradient_accumulation_steps=2
    with pytest.raises(ValueError, match=r"steps_per_epoch=2, but the Trainer makes 1 updates per epoch \(2 batches, gradient_accumulation_steps=2\): give steps_per_epoch=1"):
        train(tmp_path, save_strategy="no", gradient_accumulation_steps=2)


def test_a_trainer_without_an_lrpol_scheduler_is_refused_when_training_begins(tmp_path):
    # without optimizers=(...), the Trainer makes its own scheduler, and the results would reach no policy
    model = BertForSequenceClassification(BertConfig(vocab_size=32, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16, max_position_embeddings=16, num_labels=2))
    arguments = TrainingArguments(output_dir=str(tmp_path), per_device_train_batch_size=BATCH, num_train_epochs=1, eval_strategy="epoch", save_strategy="no", report_to="none", use_cpu=True, logging_strategy="no", disable_tqdm=True)
    trainer = Trainer(model=model, args=arguments, train_dataset=Examples(EXAMPLES), eval_dataset=Examples(EXAMPLES), callbacks=[LRPolicyTrainerCallback("eval_loss")])
    with pytest.raises(TypeError, match=r"the Trainer's scheduler is LambdaLR, not an LRPolicyScheduler: give Trainer\(\.\.\., optimizers="):
        trainer.train()
