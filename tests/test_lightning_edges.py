"""LRPolicyCallback at the edges of a Lightning run: validations that are not results of the fit."""

from __future__ import annotations

import logging
import warnings

import pytest
from conftest import requires_extra

import lrpol
from lrpol import TrainContext

torch = requires_extra("torch")
requires_extra("lightning")
import lightning.pytorch as pl  # noqa: E402

from lrpol.integrations.lightning import LRPolicyCallback, steps_per_epoch  # noqa: E402
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


class Configured(ConstantLoss):
    """A module whose scheduler config is given: the scheduler steps per update unless told otherwise."""

    def __init__(self, config: dict, steps_per_epoch: int | None = 2) -> None:
        super().__init__()
        self.config, self.steps_per_epoch = config, steps_per_epoch

    def configure_optimizers(self) -> dict:
        optimizer = torch.optim.SGD(self.parameters(), lr=LR0)
        policy = lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=1, unit="step" if self.steps_per_epoch else "epoch")
        scheduler = LRPolicyScheduler(optimizer, policy, TrainContext(initial_lr=LR0, total_epochs=2, steps_per_epoch=self.steps_per_epoch))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, **self.config}} if self.config else {"optimizer": optimizer, "lr_scheduler": scheduler}


@pytest.mark.parametrize(
    ("config", "steps_per_epoch", "message"),
    [
        ({}, 2, r'steps once per update \(its ctx has steps_per_epoch=2\), but its config has interval "epoch".*give "interval": "step"'),
        ({"interval": "step"}, None, r'steps once per epoch \(its ctx has no steps_per_epoch\), but its config has interval "step".*give "interval": "epoch"'),
        ({"interval": "step", "frequency": 2}, 2, "frequency 2, so its clock would run 2 times slower"),
        ({"interval": "step", "reduce_on_plateau": True, "monitor": "val_loss"}, 2, "each result would count twice"),
    ],
)
def test_a_config_that_would_step_the_scheduler_at_another_pace_is_refused_before_the_first_update(config, steps_per_epoch, message, caplog):
    # Lightning's default interval is "epoch": a bare scheduler with a per-update ctx would advance one update per epoch
    caplog.set_level(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=message):
            trainer(LRPolicyCallback("val_loss")).fit(Configured(config, steps_per_epoch), loader(), loader())


def test_a_config_at_the_schedulers_pace_fits(caplog):
    caplog.set_level(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for config, steps_per_epoch in (({"interval": "step"}, 2), ({"interval": "epoch"}, None), ({}, None)):
            fitting = trainer(LRPolicyCallback("val_loss"))
            fitting.fit(Configured(config, steps_per_epoch), loader(), loader())
            assert fitting.lr_scheduler_configs[0].scheduler.get_last_lr() == [LR0 / 16 if steps_per_epoch else LR0 / 4]  # 4 updates, or 2 epochs


class Accumulating(ConstantLoss):
    """Four batches per epoch, two per update; the run's steps_per_epoch is given, or asked of Lightning."""

    def __init__(self, given: int | None) -> None:
        super().__init__()
        self.given = given

    def configure_optimizers(self) -> dict:
        optimizer = torch.optim.SGD(self.parameters(), lr=LR0)
        updates = self.given if self.given is not None else steps_per_epoch(self.trainer)
        scheduler = LRPolicyScheduler(optimizer, lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=1), TrainContext(initial_lr=LR0, total_epochs=2, steps_per_epoch=updates))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def accumulating_trainer(**settings: object) -> pl.Trainer:
    return pl.Trainer(
        max_epochs=2, accumulate_grad_batches=2, accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        callbacks=[LRPolicyCallback("val_loss")], num_sanity_val_steps=0, **settings,
    )  # fmt: skip


def four_batches() -> torch.utils.data.DataLoader:
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(8, 2, generator=torch.Generator().manual_seed(0))), batch_size=2)


def test_a_run_with_another_count_of_updates_per_epoch_is_refused_before_the_first_update(caplog):
    caplog.set_level(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"steps_per_epoch=4, but Lightning makes 2 updates per epoch \(4 batches, accumulate_grad_batches=2\)"):
            accumulating_trainer().fit(Accumulating(4), four_batches(), four_batches())


def test_steps_per_epoch_is_lightnings_count_of_updates_also_when_max_steps_shortens_the_run(caplog):
    # estimated_stepping_batches // max_epochs would be 3 // 2 = 1 here
    caplog.set_level(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitting = accumulating_trainer(max_steps=3)
        fitting.fit(Accumulating(None), four_batches(), four_batches())
    scheduler = fitting.lr_scheduler_configs[0].scheduler
    assert (scheduler.ctx.steps_per_epoch, scheduler.last_epoch, scheduler.ctx.epoch) == (2, 3, 1)


class TorchScheduled(ConstantLoss):
    def configure_optimizers(self) -> dict:
        optimizer = torch.optim.SGD(self.parameters(), lr=LR0)
        return {"optimizer": optimizer, "lr_scheduler": torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)}


def test_a_module_without_an_lrpol_scheduler_is_refused_at_fit_start(caplog):
    # the callback's results would reach no policy
    caplog.set_level(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(TypeError, match=r"configured no LRPolicyScheduler \(its schedulers: \['StepLR'\]\)"):
            trainer(LRPolicyCallback("val_loss")).fit(TorchScheduled(), loader(), loader())


class FirstEpochOnly(ConstantLoss):
    """Logs val_loss at the first validation only; later ones log another metric."""

    def validation_step(self, batch: tuple, batch_idx: int) -> None:
        self.log("val_loss" if self.current_epoch == 0 else "val_accuracy", 1.0)


def test_a_validation_that_did_not_log_the_monitor_is_an_error_not_a_repeat_of_the_last_value(caplog):
    # trainer.callback_metrics keeps val_loss from the first validation
    caplog.set_level(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitting = trainer(LRPolicyCallback("val_loss"))
        with pytest.raises(KeyError, match=r"this validation did not log 'val_loss'; trainer\.callback_metrics holds an earlier validation's value"):
            fitting.fit(FirstEpochOnly(), loader(), loader())
    assert fitting.lr_scheduler_configs[0].scheduler.ctx.metric_count == 1
