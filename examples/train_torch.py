"""Train a small PyTorch model on synthetic data, with the LR policy of an MMAR train config.

    python examples/train_torch.py [CONFIG] [--epochs N]

The config gives the policy (train.lr_policy), lr0 (learning_rate) and the run length
(epochs), as Clara's MMAR configs do. Each epoch prints the LR it trained at, the training
loss, and a validation score (1 / (1 + validation MSE): larger is better, like Dice), which
is what a ReduceOnPlateau policy reads.
"""

import argparse
from pathlib import Path

import torch

import lrpol
from lrpol.integrations.torch import attach

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "reduce_poly.yaml"
BATCH = 32


def synthetic_data(generator: torch.Generator):
    x = torch.randn(512, 8, generator=generator)
    y = torch.sin(x[:, :1]) + 0.5 * x[:, 1:2] - 0.25 * x[:, 2:3] ** 2
    return (x[:384], y[:384]), (x[384:], y[384:])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", nargs="?", default=str(DEFAULT_CONFIG))
    parser.add_argument("--epochs", type=int, help="override the config's epochs")
    options = parser.parse_args(argv)

    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    (x, y), (x_val, y_val) = synthetic_data(generator)
    steps_per_epoch = len(x) // BATCH
    policy, ctx = lrpol.load_run(options.config, steps_per_epoch=steps_per_epoch)
    if options.epochs:
        ctx.total_epochs = options.epochs

    model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=ctx.initial_lr)
    hook = attach(optimizer, policy, ctx)
    print(f"{options.config}: {policy}, lr0={ctx.initial_lr:g}, {ctx.total_epochs} epochs of {steps_per_epoch} updates")
    for epoch in range(ctx.total_epochs):
        lr = optimizer.param_groups[0]["lr"]
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for batch in order.split(BATCH):
            loss = torch.nn.functional.mse_loss(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            hook.step()
            total += loss.item()
        with torch.no_grad():
            score = 1.0 / (1.0 + torch.nn.functional.mse_loss(model(x_val), y_val).item())
        hook.report_metric(score)
        print(f"epoch {epoch:3d}  lr {lr:.6e}  loss {total / steps_per_epoch:.6f}  val_score {score:.6f}")


if __name__ == "__main__":
    main()
