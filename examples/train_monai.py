"""Train a small model with an Ignite trainer and MONAI's own LrScheduleHandler, its LR schedule
from an MMAR train config, as a MONAI bundle's handler list would run it.

    python examples/train_monai.py [CONFIG] [--epochs N]

The trainer's LrScheduleHandler steps an LRPolicyScheduler after every iteration; for a
ReduceOnPlateau policy a second LrScheduleHandler on the evaluator hands it the validation score
(step_transform). Each epoch prints the LR it trained at, the training loss and the score
(1 / (1 + MSE): larger is better).
"""

import argparse
from pathlib import Path

import torch
from ignite.engine import Engine, Events
from monai.handlers import LrScheduleHandler

import lrpol
from lrpol.integrations.torch import LRPolicyScheduler

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "reduce_poly.yaml"
BATCH = 32


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", nargs="?", default=str(DEFAULT_CONFIG))
    parser.add_argument("--epochs", type=int, help="override the config's epochs")
    options = parser.parse_args(argv)
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    x = torch.randn(512, 8, generator=generator)
    y = torch.sin(x[:, :1]) + 0.5 * x[:, 1:2] - 0.25 * x[:, 2:3] ** 2
    batches = list(zip(x[:384].split(BATCH), y[:384].split(BATCH)))
    policy, ctx = lrpol.load_run(options.config, steps_per_epoch=len(batches))
    if options.epochs:
        ctx.total_epochs = options.epochs
    model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=ctx.initial_lr)
    scheduler = LRPolicyScheduler(optimizer, policy, ctx)

    def update(engine: Engine, batch: tuple) -> float:
        loss = torch.nn.functional.mse_loss(model(batch[0]), batch[1])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss.item()

    def evaluate(engine: Engine, batch: tuple) -> None:
        with torch.no_grad():
            engine.state.metrics["val_score"] = 1.0 / (1.0 + torch.nn.functional.mse_loss(model(x[384:]), y[384:]).item())

    trainer, evaluator = Engine(update), Engine(evaluate)
    LrScheduleHandler(scheduler, print_lr=False, epoch_level=False).attach(trainer)
    if policy is not None and policy.reads_metric:  # the score, handed to step() after each validation
        LrScheduleHandler(scheduler, print_lr=False, epoch_level=True, step_transform=lambda engine: engine.state.metrics["val_score"]).attach(evaluator)
    epoch_start: dict = {}
    trainer.add_event_handler(Events.EPOCH_STARTED, lambda engine: epoch_start.update(lr=optimizer.param_groups[0]["lr"], losses=[]))
    trainer.add_event_handler(Events.ITERATION_COMPLETED, lambda engine: epoch_start["losses"].append(engine.state.output))

    @trainer.on(Events.EPOCH_COMPLETED)
    def validate(engine: Engine) -> None:
        evaluator.run([None])
        losses = epoch_start["losses"]
        print(f"epoch {engine.state.epoch - 1:3d}  lr {epoch_start['lr']:.6e}  loss {sum(losses) / len(losses):.6f}  val_score {evaluator.state.metrics['val_score']:.6f}")

    print(f"{options.config}: {policy}, lr0={ctx.initial_lr:g}, {ctx.total_epochs} epochs of {len(batches)} updates")
    trainer.run(batches, max_epochs=ctx.total_epochs)


if __name__ == "__main__":
    main()
