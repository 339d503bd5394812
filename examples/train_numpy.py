"""Fit a linear model with plain numpy SGD, with the LR policy of an MMAR train config.

    python examples/train_numpy.py [CONFIG] [--epochs N] [--lr X]

No framework: LRHook only needs a function that puts the LR where the update reads it.
Each epoch prints the LR it trained at, the training loss, and a validation score
(1 / (1 + validation MSE)), which is what a ReduceOnPlateau policy reads.
"""

import argparse
from pathlib import Path

import numpy as np

import lrpol

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "reduce_cosine.yaml"
BATCH = 16


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", nargs="?", default=str(DEFAULT_CONFIG))
    parser.add_argument("--epochs", type=int, help="override the config's epochs")
    parser.add_argument("--lr", type=float, default=0.05, help="lr0 for this toy problem (the config's learning_rate suits a deep network, not plain SGD)")
    options = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(320, 4))
    y = x @ np.array([1.5, -2.0, 0.5, 3.0]) + 0.1 * rng.normal(size=320)
    x_train, y_train, x_val, y_val = x[:256], y[:256], x[256:], y[256:]
    steps_per_epoch = len(x_train) // BATCH

    policy, ctx = lrpol.load_run(options.config, steps_per_epoch=steps_per_epoch)
    ctx.initial_lr = options.lr
    if options.epochs:
        ctx.total_epochs = options.epochs
    weights = np.zeros(4)
    step_size = {}  # where the hook puts the LR, and the update reads it
    hook = lrpol.LRHook(policy, ctx, apply=lambda lr: step_size.update(lr=lr))
    print(f"{options.config}: {policy}, lr0={ctx.initial_lr:g}, {ctx.total_epochs} epochs of {steps_per_epoch} updates")
    for epoch in range(ctx.total_epochs):
        lr = step_size["lr"]
        total = 0.0
        for batch in np.split(rng.permutation(len(x_train)), steps_per_epoch):
            error = x_train[batch] @ weights - y_train[batch]
            weights -= step_size["lr"] * 2 * x_train[batch].T @ error / len(batch)
            hook.step()
            total += float(np.mean(error**2))
        score = 1.0 / (1.0 + float(np.mean((x_val @ weights - y_val) ** 2)))
        hook.report_metric(score)
        print(f"epoch {epoch:3d}  lr {lr:.6e}  loss {total / steps_per_epoch:.6f}  val_score {score:.6f}")


if __name__ == "__main__":
    main()
