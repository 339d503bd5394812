"""LRPolicyScheduler in a real transformers.Trainer: a tiny randomly initialised model built from a
config (no downloads), a plateau fed by evaluation metrics through LRPolicyTrainerCallback, and
every checkpoint resumed with resume_from_checkpoint on the LRs of the uninterrupted run; no training warns about the
scheduler."""

from __future__ import annotations

from conftest import requires_extra
from warnings_check import no_scheduler_warnings

import lrpol
from lrpol import TrainContext

torch = requires_extra("torch")
requires_extra("transformers")
requires_extra("transformers", "accelerate")
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainerCallback, TrainingArguments  # noqa: E402

from lrpol.integrations.torch import LRPolicyScheduler  # noqa: E402
from lrpol.integrations.transformers import LRPolicyTrainerCallback  # noqa: E402

EPOCHS, EXAMPLES, BATCH = 4, 10, 2
UPDATES_PER_EPOCH = EXAMPLES // BATCH
LR0 = 1e-3
POLICY = lrpol.ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, mode="max", policy=lrpol.Warmup(duration=3, policy=lrpol.ReduceCosine(unit="step")))


class Examples(torch.utils.data.Dataset):
    """``count`` random token sequences with labels, the same for the same seed."""

    def __init__(self, count: int = EXAMPLES, seed: int = 0) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.count = count
        self.inputs, self.labels = torch.randint(0, 32, (count, 8), generator=generator), torch.randint(0, 2, (count,), generator=generator)

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> dict:
        return {"input_ids": self.inputs[index], "attention_mask": torch.ones(8, dtype=torch.long), "labels": self.labels[index]}


class Recorder(TrainerCallback):
    def __init__(self) -> None:
        self.lrs: list[float] = []
        self.results: list[float] = []

    def on_step_begin(self, args, state, control, optimizer=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.lrs.append(optimizer.param_groups[0]["lr"])

    def on_evaluate(self, args, state, control, metrics=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.results.append(metrics["eval_loss"])


def train(output: object, resume: str | None = None) -> Recorder:
    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig(vocab_size=32, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16, max_position_embeddings=16, num_labels=2))
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR0)
    scheduler = LRPolicyScheduler(optimizer, POLICY, TrainContext(initial_lr=LR0, total_epochs=EPOCHS, steps_per_epoch=UPDATES_PER_EPOCH))
    arguments = TrainingArguments(
        output_dir=str(output), per_device_train_batch_size=BATCH, per_device_eval_batch_size=BATCH, num_train_epochs=EPOCHS,
        eval_strategy="steps", eval_steps=3, save_strategy="steps", save_steps=3, report_to="none", use_cpu=True,
        seed=0, data_seed=0, logging_strategy="no", disable_tqdm=True,
    )
    recorder = Recorder()
    trainer = Trainer(model=model, args=arguments, train_dataset=Examples(), eval_dataset=Examples(), optimizers=(optimizer, scheduler), callbacks=[recorder, LRPolicyTrainerCallback("eval_loss")])
    with no_scheduler_warnings():  # and checked to see torch's, which importing accelerate hides
        trainer.train(resume_from_checkpoint=resume)
    return recorder


def test_the_trainer_runs_the_policy_its_evaluations_reach_the_plateau_and_every_checkpoint_resumes_on_the_same_lrs(tmp_path):
    whole = train(tmp_path / "run")
    assert len(whole.lrs) == EPOCHS * UPDATES_PER_EPOCH
    # The same policy through the hook, each evaluation's result reported after its update
    expected: list[float] = []
    hook = lrpol.LRHook(POLICY, TrainContext(initial_lr=LR0, total_epochs=EPOCHS, steps_per_epoch=UPDATES_PER_EPOCH), lambda lr: None)
    results = iter(whole.results)
    for update in range(EPOCHS * UPDATES_PER_EPOCH):
        expected.append(hook.ctx.current_lr)
        hook.step()
        if (update + 1) % 3 == 0:
            hook.report_metric(next(results))
    assert whole.lrs == expected
    without_results = lrpol.curve(POLICY.policy, TrainContext(initial_lr=LR0, total_epochs=EPOCHS, steps_per_epoch=UPDATES_PER_EPOCH)).tolist()
    assert len(whole.results) == 7  # every 3 updates, and after the last
    assert whole.lrs[-1] < without_results[-1] / 1.9  # the plateau reduced at least once
    checkpoints = sorted((tmp_path / "run").glob("checkpoint-*"), key=lambda path: int(path.name.rsplit("-", 1)[1]))
    assert len(checkpoints) >= 6
    for checkpoint in checkpoints:
        resumed = train(tmp_path / "resumed", str(checkpoint)).lrs
        assert resumed == whole.lrs[len(whole.lrs) - len(resumed) :], checkpoint.name
