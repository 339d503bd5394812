"""LRPolicyScheduler in a real lightning.Trainer fitting a tiny model on CPU: per update and per
epoch, a plateau on a logged validation metric through LRPolicyCallback, and every checkpoint
resumed with ckpt_path giving the LRs of the uninterrupted run; no fit warns about the scheduler."""

from __future__ import annotations

import pytest
from conftest import requires_extra
from warnings_check import no_scheduler_warnings

import lrpol
from lrpol import TrainContext

torch = requires_extra("torch")
requires_extra("lightning")
import lightning.pytorch as pl  # noqa: E402
from lightning.pytorch.callbacks import ModelCheckpoint  # noqa: E402

from lrpol.integrations.lightning import LRPolicyCallback  # noqa: E402
from lrpol.integrations.torch import LRPolicyScheduler  # noqa: E402

EPOCHS, BATCHES = 4, 5
LR0 = 0.1
#: The validation metric each epoch logs (lower is better).
RESULTS = [1.0, 1.0, 1.0, 0.5]

SETUPS = {
    "step": (lrpol.Warmup(duration=3, policy=lrpol.ReduceCosine(unit="step")), BATCHES, "step"),
    "epoch": (lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=1, unit="epoch"), None, "epoch"),
    "plateau": (lrpol.ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, mode="min", policy=lrpol.ReducePoly(poly_power=1)), BATCHES, "step"),
}


class Recorder(pl.Callback):
    def __init__(self) -> None:
        self.lrs: list[float] = []

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: object, batch_idx: int) -> None:
        self.lrs.append(trainer.optimizers[0].param_groups[0]["lr"])


class TinyModel(pl.LightningModule):
    def __init__(self, setup: str):
        super().__init__()
        self.setup_name = setup
        self.net = torch.nn.Linear(4, 1)

    def training_step(self, batch: tuple, batch_idx: int) -> torch.Tensor:
        inputs, targets = batch
        return torch.nn.functional.mse_loss(self.net(inputs), targets)

    def validation_step(self, batch: tuple, batch_idx: int) -> None:
        self.log("val_loss", RESULTS[self.current_epoch])

    def configure_optimizers(self) -> dict:
        policy, steps_per_epoch, interval = SETUPS[self.setup_name]
        optimizer = torch.optim.SGD(self.parameters(), lr=LR0)
        scheduler = LRPolicyScheduler(optimizer, policy, TrainContext(initial_lr=LR0, total_epochs=EPOCHS, steps_per_epoch=steps_per_epoch))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": interval}}


def loader() -> torch.utils.data.DataLoader:
    generator = torch.Generator().manual_seed(0)
    inputs, targets = torch.randn(BATCHES * 2, 4, generator=generator), torch.randn(BATCHES * 2, 1, generator=generator)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(inputs, targets), batch_size=2)


def fit(setup: str, root: object, ckpt_path: str | None = None) -> list[float]:
    recorder = Recorder()
    callbacks = [recorder, LRPolicyCallback(monitor="val_loss"), ModelCheckpoint(dirpath=root, save_top_k=-1, every_n_epochs=1, filename="{epoch}"), ModelCheckpoint(dirpath=root, save_top_k=-1, every_n_train_steps=7, filename="s{step}")]
    trainer = pl.Trainer(max_epochs=EPOCHS, accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False, callbacks=callbacks, num_sanity_val_steps=1)
    torch.manual_seed(0)
    with no_scheduler_warnings():  # Lightning's own FutureWarnings pass; none may be lrpol's or a scheduler's
        trainer.fit(TinyModel(setup), loader(), loader(), ckpt_path=ckpt_path)
    return recorder.lrs


@pytest.mark.parametrize("setup", sorted(SETUPS))
def test_a_fit_runs_the_policys_lrs_and_every_checkpoint_resumes_on_them(setup, tmp_path):
    whole = fit(setup, tmp_path / "run")
    policy = SETUPS[setup][0]
    shape = TrainContext(initial_lr=LR0, total_epochs=EPOCHS, steps_per_epoch=BATCHES)
    if setup == "epoch":
        expected = [LR0 * 0.5**epoch for epoch in range(EPOCHS) for _ in range(BATCHES)]
    else:
        expected = lrpol.curve(policy, shape, metrics=RESULTS if policy.reads_metric else None).tolist()
    assert whole == expected
    if setup == "plateau":  # halved after each of the two results that did not improve on the first
        poly = lrpol.curve(lrpol.ReducePoly(poly_power=1), shape).tolist()
        assert [whole[epoch * BATCHES] / poly[epoch * BATCHES] for epoch in range(EPOCHS)] == [1.0, 1.0, 0.5, 0.25]
    checkpoints = sorted((tmp_path / "run").glob("*.ckpt"))
    assert len(checkpoints) >= EPOCHS
    for checkpoint in checkpoints:
        resumed = fit(setup, tmp_path / "resumed", str(checkpoint))
        assert resumed == whole[len(whole) - len(resumed) :], checkpoint.name
