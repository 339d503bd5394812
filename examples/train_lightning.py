"""Train a small model with a Lightning Trainer, its LR schedule from an MMAR train config.

    python examples/train_lightning.py [CONFIG] [--epochs N]

configure_optimizers hands Lightning an LRPolicyScheduler stepped after every update; a
ReduceOnPlateau policy reads the logged val_score through LRPolicyCallback. Each epoch prints the LR
it trained at, the training loss and the validation score (1 / (1 + MSE): larger is better).
"""

import argparse
from pathlib import Path

import lightning.pytorch as pl
import torch

import lrpol
from lrpol.integrations.lightning import LRPolicyCallback
from lrpol.integrations.torch import LRPolicyScheduler

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "reduce_poly.yaml"
BATCH = 32


class Regression(pl.LightningModule):
    def __init__(self, policy: lrpol.LRPolicy | None, ctx: lrpol.TrainContext):
        super().__init__()
        self.policy, self.ctx = policy, ctx
        self.net = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
        self.epoch_lr, self.losses = 0.0, []

    def on_train_epoch_start(self) -> None:
        self.epoch_lr, self.losses = self.optimizers().param_groups[0]["lr"], []

    def training_step(self, batch: tuple, batch_idx: int) -> torch.Tensor:
        loss = torch.nn.functional.mse_loss(self.net(batch[0]), batch[1])
        self.losses.append(loss.item())
        return loss

    def validation_step(self, batch: tuple, batch_idx: int) -> None:
        self.log("val_score", 1.0 / (1.0 + torch.nn.functional.mse_loss(self.net(batch[0]), batch[1]).item()))

    def on_validation_epoch_end(self) -> None:
        if not self.trainer.sanity_checking:
            score = float(self.trainer.callback_metrics["val_score"])
            print(f"epoch {self.current_epoch:3d}  lr {self.epoch_lr:.6e}  loss {sum(self.losses) / len(self.losses):.6f}  val_score {score:.6f}")

    def configure_optimizers(self) -> dict:
        optimizer = torch.optim.Adam(self.parameters(), lr=self.ctx.initial_lr)
        scheduler = LRPolicyScheduler(optimizer, self.policy, self.ctx)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def loaders(generator: torch.Generator) -> tuple:
    x = torch.randn(512, 8, generator=generator)
    y = torch.sin(x[:, :1]) + 0.5 * x[:, 1:2] - 0.25 * x[:, 2:3] ** 2
    train = torch.utils.data.TensorDataset(x[:384], y[:384])
    return torch.utils.data.DataLoader(train, batch_size=BATCH, shuffle=True, generator=generator), torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x[384:], y[384:]), batch_size=128)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", nargs="?", default=str(DEFAULT_CONFIG))
    parser.add_argument("--epochs", type=int, help="override the config's epochs")
    options = parser.parse_args(argv)
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    train, validation = loaders(generator)
    policy, ctx = lrpol.load_run(options.config, steps_per_epoch=len(train))
    if options.epochs:
        ctx.total_epochs = options.epochs
    print(f"{options.config}: {policy}, lr0={ctx.initial_lr:g}, {ctx.total_epochs} epochs of {len(train)} updates")
    trainer = pl.Trainer(
        max_epochs=ctx.total_epochs, accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, num_sanity_val_steps=0, callbacks=[LRPolicyCallback(monitor="val_score")],
    )
    trainer.fit(Regression(policy, ctx), train, validation)


if __name__ == "__main__":
    main()
