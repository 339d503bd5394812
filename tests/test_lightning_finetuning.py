"""A backbone unfrozen mid-fit by Lightning's BaseFinetuning (which adds it to the optimizer as a new
param group at a tenth of the LR in effect) follows the policy from there at that ratio, and a fit
resumed from any checkpoint after it runs both groups on the same LRs."""

from __future__ import annotations

from conftest import requires_extra
from warnings_check import no_scheduler_warnings

import lrpol
from lrpol import TrainContext

torch = requires_extra("torch")
requires_extra("lightning")
import lightning.pytorch as pl  # noqa: E402
from lightning.pytorch.callbacks import BaseFinetuning, ModelCheckpoint  # noqa: E402

from lrpol.integrations.torch import LRPolicyScheduler  # noqa: E402

EPOCHS, BATCHES, UNFREEZE_AT = 4, 3, 2
LR0 = 0.1
POLICY = lrpol.Warmup(duration=2, policy=lrpol.ReduceCosine(unit="step"))
RUN = TrainContext(initial_lr=LR0, total_epochs=EPOCHS, steps_per_epoch=BATCHES)


class UnfreezeBackbone(BaseFinetuning):
    def freeze_before_training(self, pl_module: pl.LightningModule) -> None:
        self.freeze(pl_module.backbone)

    def finetune_function(self, pl_module: pl.LightningModule, epoch: int, optimizer: torch.optim.Optimizer) -> None:
        if epoch == UNFREEZE_AT:  # a new group at a tenth of the first group's LR (Lightning's initial_denom_lr)
            self.unfreeze_and_add_param_group(pl_module.backbone, optimizer)


class Recorder(pl.Callback):
    def __init__(self) -> None:
        self.lrs: list[list[float]] = []

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: object, batch_idx: int) -> None:
        self.lrs.append([group["lr"] for group in trainer.optimizers[0].param_groups])


class Backboned(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.backbone, self.head = torch.nn.Linear(4, 4), torch.nn.Linear(4, 1)

    def training_step(self, batch: tuple, batch_idx: int) -> torch.Tensor:
        inputs, targets = batch
        return torch.nn.functional.mse_loss(self.head(self.backbone(inputs)), targets)

    def configure_optimizers(self) -> dict:
        optimizer = torch.optim.SGD(filter(lambda parameter: parameter.requires_grad, self.parameters()), lr=LR0)
        scheduler = LRPolicyScheduler(optimizer, POLICY, TrainContext(initial_lr=LR0, total_epochs=EPOCHS, steps_per_epoch=BATCHES))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def fit(root: object, ckpt_path: str | None = None) -> list[list[float]]:
    recorder = Recorder()
    checkpoints = ModelCheckpoint(dirpath=root, save_top_k=-1, every_n_train_steps=2, filename="s{step}")
    trainer = pl.Trainer(max_epochs=EPOCHS, accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False, callbacks=[recorder, UnfreezeBackbone(), checkpoints])
    generator = torch.Generator().manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(BATCHES * 2, 4, generator=generator), torch.randn(BATCHES * 2, 1, generator=generator))
    torch.manual_seed(0)
    with no_scheduler_warnings():
        trainer.fit(Backboned(), torch.utils.data.DataLoader(data, batch_size=2), ckpt_path=ckpt_path)
    return recorder.lrs


def test_an_unfrozen_backbone_follows_the_policy_at_its_ratio_and_resumes_on_the_same_lrs(tmp_path):
    whole = fit(tmp_path / "run")
    curve = lrpol.curve(POLICY, RUN).tolist()
    joined = UNFREEZE_AT * BATCHES  # the first update the backbone trains in
    scale = (curve[joined - 1] / 10) / curve[joined - 1]  # a tenth of the LR in effect when it was added
    expected = [[lr] for lr in curve[:joined]] + [[lr, lr * scale] for lr in curve[joined:]]
    assert whole[joined - 1] == [curve[joined - 1]] and whole[joined][1] != curve[joined - 1] / 10  # it joined, and moved on at once
    assert whole == expected
    checkpoints = sorted((tmp_path / "run").glob("s*.ckpt"), key=lambda path: int(path.stem.split("step=")[-1]))
    assert len(checkpoints) == EPOCHS * BATCHES // 2
    for checkpoint in checkpoints:
        done = int(checkpoint.stem.split("step=")[-1])
        if done == joined:
            # Saved at the last update before the unfreezing epoch: resumed from it, Lightning's BaseFinetuning
            # never unfreezes the backbone (the same with torch's own StepLR), so no scheduler can follow it there.
            continue
        assert fit(tmp_path / f"from{done}", ckpt_path=str(checkpoint)) == whole[done:], checkpoint.name
