"""Train a tiny randomly initialised BERT with the Hugging Face Trainer, its LR schedule from an
MMAR train config (no download: the model is built from a config).

    python examples/train_transformers.py [CONFIG] [--epochs N]

The Trainer is handed an LRPolicyScheduler (optimizers=(optimizer, scheduler)), which it steps
after every update; a ReduceOnPlateau policy reads each evaluation's score through
LRPolicyTrainerCallback. Each epoch prints the LR it trained at, the training loss and the
validation score (the accuracy: larger is better).
"""

import argparse
import math
import tempfile
from pathlib import Path

import torch
from transformers import BertConfig, BertForSequenceClassification, PrinterCallback, Trainer, TrainerCallback, TrainingArguments

import lrpol
from lrpol.integrations.torch import LRPolicyScheduler
from lrpol.integrations.transformers import LRPolicyTrainerCallback

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "reduce_poly.yaml"
BATCH, EXAMPLES, TOKENS = 16, 192, 8


class Parity(torch.utils.data.Dataset):
    """Token sequences labelled by whether token 1 appears an odd number of times."""

    def __init__(self, seed: int):
        generator = torch.Generator().manual_seed(seed)
        self.inputs = torch.randint(0, 4, (EXAMPLES, TOKENS), generator=generator)
        self.labels = (self.inputs == 1).sum(dim=1) % 2

    def __len__(self) -> int:
        return EXAMPLES

    def __getitem__(self, index: int) -> dict:
        return {"input_ids": self.inputs[index], "attention_mask": torch.ones(TOKENS, dtype=torch.long), "labels": self.labels[index]}


class Report(TrainerCallback):
    """One line per epoch: the LR it started at, its training loss, the validation score."""

    def __init__(self) -> None:
        self.lr, self.loss = 0.0, math.nan

    def on_epoch_begin(self, args, state, control, optimizer=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.lr = optimizer.param_groups[0]["lr"]

    def on_log(self, args, state, control, logs=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if logs and "loss" in logs:
            self.loss = logs["loss"]

    def on_evaluate(self, args, state, control, metrics=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        print(f"epoch {round(state.epoch) - 1:3d}  lr {self.lr:.6e}  loss {self.loss:.6f}  val_score {metrics['eval_score']:.6f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", nargs="?", default=str(DEFAULT_CONFIG))
    parser.add_argument("--epochs", type=int, help="override the config's epochs")
    parser.add_argument("--output", help="the Trainer's output folder (default: a temporary one)")
    options = parser.parse_args(argv)
    torch.manual_seed(0)
    steps_per_epoch = EXAMPLES // BATCH
    policy, ctx = lrpol.load_run(options.config, steps_per_epoch=steps_per_epoch)
    if options.epochs:
        ctx.total_epochs = options.epochs
    print(f"{options.config}: {policy}, lr0={ctx.initial_lr:g}, {ctx.total_epochs} epochs of {steps_per_epoch} updates")
    with tempfile.TemporaryDirectory() as temporary:
        train(policy, ctx, options.output or temporary)


def train(policy: lrpol.LRPolicy | None, ctx: lrpol.TrainContext, output: str) -> None:
    model = BertForSequenceClassification(BertConfig(vocab_size=8, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32, max_position_embeddings=TOKENS, num_labels=2))
    optimizer = torch.optim.AdamW(model.parameters(), lr=ctx.initial_lr)
    scheduler = LRPolicyScheduler(optimizer, policy, ctx)
    arguments = TrainingArguments(
        output_dir=output, per_device_train_batch_size=BATCH, per_device_eval_batch_size=64, num_train_epochs=ctx.total_epochs,
        eval_strategy="epoch", logging_strategy="epoch", save_strategy="no", report_to="none", use_cpu=True, seed=0, data_seed=0, disable_tqdm=True,
    )
    trainer = Trainer(
        model=model, args=arguments, train_dataset=Parity(0), eval_dataset=Parity(1), optimizers=(optimizer, scheduler),
        compute_metrics=lambda prediction: {"score": float((prediction.predictions.argmax(-1) == prediction.label_ids).mean())},
        callbacks=[Report(), LRPolicyTrainerCallback("eval_score")],
    )
    trainer.remove_callback(PrinterCallback)  # its log lines would mix with ours
    trainer.train()


if __name__ == "__main__":
    main()
