"""LRPolicyCallback at the edges of a Lightning run: validations that are not results of the fit."""

from __future__ import annotations

import logging
import warnings

from conftest import requires_extra

import lrpol
from lrpol import TrainContext

torch = requires_extra("torch")
requires_extra("lightning")
import lightning.pytorch as pl  # noqa: E402

from lrpol.integrations.lightning import LRPolicyCallback  # noqa: E402
from lrpol.integrations.torch import LRPolicyScheduler  # noqa: E402

LR0 = 0.1


class ConstantLoss(pl.LightningModule):
    """Logs the same val_loss at every validation: the second result halves the LR."""

    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Linear(2, 1)

    def training_step(self, batch: tuple, batch_idx: int) -> torch.Tensor:
        return self.net(batch[0]).pow(2).mean()

    def validation_step(self, batch: tuple, batch_idx: int) -> None:
        self.log("val_loss", 1.0)

    def configure_optimizers(self) -> dict:
        optimizer = torch.optim.SGD(self.parameters(), lr=LR0)
        policy = lrpol.ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, mode="min")
        scheduler = LRPolicyScheduler(optimizer, policy, TrainContext(initial_lr=LR0, total_epochs=2, steps_per_epoch=2))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def trainer(*callbacks: pl.Callback) -> pl.Trainer:
    return pl.Trainer(
        max_epochs=2, accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False, callbacks=list(callbacks), num_sanity_val_steps=0
    )


def loader() -> torch.utils.data.DataLoader:
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(4, 2, generator=torch.Generator().manual_seed(0))), batch_size=2)


def test_a_validate_after_fit_is_not_reported_to_the_run(caplog):
    caplog.set_level(logging.ERROR)
    model, fitting = ConstantLoss(), trainer(LRPolicyCallback("val_loss"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitting.fit(model, loader(), loader())
        scheduler = fitting.lr_scheduler_configs[0].scheduler
        assert (scheduler.ctx.metric_count, scheduler.get_last_lr()) == (2, [0.05])
        fitting.validate(model, loader(), verbose=False)
        assert (scheduler.ctx.metric_count, scheduler.get_last_lr()) == (2, [0.05])
        # nor with the scheduler handed to a callback of a trainer that only validates
        trainer(LRPolicyCallback("val_loss", scheduler=scheduler)).validate(model, loader(), verbose=False)
    assert (scheduler.ctx.metric_count, scheduler.get_last_lr()) == (2, [0.05])
