"""Train a small model with Hugging Face Accelerate, its LR schedule from an MMAR train config.

    python examples/train_accelerate.py [CONFIG] [--epochs N]

Gradients accumulate over 2 batches, so the policy's clock counts optimizer updates: the run's
steps_per_epoch is the updates per epoch, and the LRPolicyScheduler is stepped after each update
the optimizer really made (not handed to accelerator.prepare, which on N processes would step it N
times per update). It is registered for accelerator.save_state. A ReduceOnPlateau policy reads the
validation score through report_metric. Each epoch prints the LR it trained at, the training loss
and the validation score (1 / (1 + MSE): larger is better).
"""

import argparse
import math
from pathlib import Path

import torch
from accelerate import Accelerator

import lrpol
from lrpol.integrations.torch import LRPolicyScheduler

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "reduce_poly.yaml"
BATCH, ACCUMULATE = 16, 2


def datasets(generator: torch.Generator) -> tuple:
    x = torch.randn(512, 8, generator=generator)
    y = torch.sin(x[:, :1]) + 0.5 * x[:, 1:2] - 0.25 * x[:, 2:3] ** 2
    return torch.utils.data.TensorDataset(x[:384], y[:384]), (x[384:], y[384:])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", nargs="?", default=str(DEFAULT_CONFIG))
    parser.add_argument("--epochs", type=int, help="override the config's epochs")
    options = parser.parse_args(argv)
    accelerator = Accelerator(cpu=True, gradient_accumulation_steps=ACCUMULATE)
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    train, (x_val, y_val) = datasets(generator)
    model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    loader = torch.utils.data.DataLoader(train, batch_size=BATCH, shuffle=True, generator=generator)
    model, loader = accelerator.prepare(model, loader)
    updates_per_epoch = math.ceil(len(loader) / ACCUMULATE)  # this process's loader; the last update may take fewer batches
    policy, ctx = lrpol.load_run(options.config, steps_per_epoch=updates_per_epoch)
    if options.epochs:
        ctx.total_epochs = options.epochs
    optimizer = torch.optim.Adam(model.parameters(), lr=ctx.initial_lr)
    scheduler = LRPolicyScheduler(optimizer, policy, ctx)  # not prepared: stepped below, once per update
    optimizer = accelerator.prepare(optimizer)
    accelerator.register_for_checkpointing(scheduler)  # saved and loaded by accelerator.save_state / load_state
    print(f"{options.config}: {policy}, lr0={ctx.initial_lr:g}, {ctx.total_epochs} epochs of {updates_per_epoch} updates")
    for epoch in range(ctx.total_epochs):
        lr, losses = optimizer.param_groups[0]["lr"], []
        for inputs, targets in loader:
            with accelerator.accumulate(model):
                loss = torch.nn.functional.mse_loss(model(inputs), targets)
                accelerator.backward(loss)
                optimizer.step()
                if accelerator.sync_gradients and not accelerator.optimizer_step_was_skipped:
                    scheduler.step()  # one optimizer update made
                optimizer.zero_grad()
            losses.append(loss.item())
        with torch.no_grad():
            score = 1.0 / (1.0 + torch.nn.functional.mse_loss(model(x_val), y_val).item())
        scheduler.report_metric(score)
        print(f"epoch {epoch:3d}  lr {lr:.6e}  loss {sum(losses) / len(losses):.6f}  val_score {score:.6f}")


if __name__ == "__main__":
    main()
