"""Lightning: hand an :class:`~lrpol.integrations.torch.LRPolicyScheduler` to a
``LightningModule`` and let validation results reach a plateau policy through a callback.

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters(), lr=ctx.initial_lr)
        scheduler = LRPolicyScheduler(optimizer, policy, ctx)   # ctx.steps_per_epoch: per update
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    trainer = lightning.Trainer(callbacks=[LRPolicyCallback(monitor="val_loss")], ...)

- ``interval: "step"`` with a run that knows ``steps_per_epoch`` (:func:`steps_per_epoch` gives
  Lightning's count of updates per epoch, inside ``configure_optimizers``) steps once per optimizer
  update; ``interval: "epoch"`` with ``steps_per_epoch=None`` once per epoch.
  ``trainer.estimated_stepping_batches // max_epochs`` is that count only when ``max_steps`` does
  not shorten the run. :class:`LRPolicyCallback` refuses, before the first update, a config that
  would step the scheduler at another pace than its run.
- :class:`LRPolicyCallback` reports the logged ``monitor`` after every validation, before that
  validation's checkpoint is saved, so a run resumed with ``ckpt_path`` continues on exactly the
  same LRs. A ``ModelCheckpoint(every_n_train_steps=N)`` saves at the end of the update instead,
  before a validation due at that update, and a run resumed from it never makes that validation
  (Lightning's loop does not): let validations save (a ``ModelCheckpoint`` without
  ``every_n_train_steps`` saves after each one), or save at updates where none is due.
  Lightning's own ``reduce_on_plateau`` route steps after the epoch's checkpoint and skips the
  epoch a run resumes in (Lightning issue 14699), so a resumed run would miss a result there:
  use the callback.
"""

from __future__ import annotations

import math
import re

import lightning.pytorch as pl
from lightning.pytorch.trainer.states import TrainerFn

from .torch import LRPolicyScheduler


class LRPolicyCallback(pl.Callback):
    """Reports ``trainer.callback_metrics[monitor]`` to every :class:`LRPolicyScheduler` the
    module configured (or to ``scheduler``) after each validation made while fitting; the sanity
    check's is not a result, nor is a ``trainer.validate()`` of its own. A missing monitor is an
    error that names the metrics there are, also when only an earlier validation logged it
    (``callback_metrics`` keeps its value); so, at fit start, is a module that configured no
    LRPolicyScheduler (the results would reach no policy)."""

    def __init__(self, monitor: str, scheduler: LRPolicyScheduler | None = None):
        self.monitor = monitor
        self.scheduler = scheduler

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Refuse a scheduler config that would step an LRPolicyScheduler at another pace than its
        run's (Lightning's default interval is "epoch"), or report to it a second time."""
        if self.scheduler is None and not _schedulers(trainer):  # the results would reach no policy
            found = [type(config.scheduler).__name__ for config in trainer.lr_scheduler_configs]
            raise TypeError(f"LRPolicyCallback: the module configured no LRPolicyScheduler (its schedulers: {found}): return one from configure_optimizers, or give scheduler=")
        if not pl_module.automatic_optimization:  # the module steps its schedulers itself
            return
        for config in trainer.lr_scheduler_configs:
            if isinstance(config.scheduler, LRPolicyScheduler):
                _check_config(config.scheduler, config.interval, config.frequency, config.reduce_on_plateau)

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Refuse an LRPolicyScheduler stepped per update whose run has another count of updates per
        epoch than Lightning will make (known now that the data is set up)."""
        updates = _updates_per_epoch(trainer)
        if not pl_module.automatic_optimization or updates is None:  # data without a length
            return
        batches = trainer.num_training_batches
        for config in trainer.lr_scheduler_configs:
            steps_per_epoch = config.scheduler.ctx.steps_per_epoch if isinstance(config.scheduler, LRPolicyScheduler) else None
            if steps_per_epoch is not None and steps_per_epoch != updates:
                raise ValueError(
                    f"LRPolicyCallback: the LRPolicyScheduler's ctx has steps_per_epoch={steps_per_epoch}, but Lightning makes {updates} updates per epoch "
                    f"({batches} batches, accumulate_grad_batches={trainer.accumulate_grad_batches}): give steps_per_epoch=lrpol.integrations.lightning.steps_per_epoch(self.trainer)"
                )

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or trainer.state.fn != TrainerFn.FITTING:  # validate() is no result of the run
            return
        schedulers = [self.scheduler] if self.scheduler is not None else _schedulers(trainer)
        if not schedulers:
            return
        if self.monitor not in trainer.callback_metrics:
            raise KeyError(f"LRPolicyCallback: no logged metric {self.monitor!r} after validation; logged: {sorted(trainer.callback_metrics)}")
        if _logged_before_only(trainer, self.monitor):
            raise KeyError(f"LRPolicyCallback: this validation did not log {self.monitor!r}; trainer.callback_metrics holds an earlier validation's value, which is no new result")
        value = float(trainer.callback_metrics[self.monitor])
        if not math.isfinite(value):
            raise ValueError(f"LRPolicyCallback: {self.monitor} is {value}, not a result a plateau policy can read")
        for scheduler in schedulers:
            scheduler.report_metric(value)


def _logged_before_only(trainer: pl.Trainer, monitor: str) -> bool:
    """Whether validation logged ``monitor`` in an earlier run but not in the one that just ended:
    ``callback_metrics`` keeps a key's last value. Told from the validation loop's results (not
    public Lightning API), so a Lightning without them is taken as having logged it."""
    base = re.sub(r"/dataloader_idx_\d+$", "", monitor)
    names = {base, re.sub(r"_(epoch|step)$", "", base)}  # the name logged, before Lightning's suffixes
    try:
        results = list(trainer._results.values())  # type: ignore[union-attr]  # the active (validation) loop's
    except AttributeError:
        return False
    updated = [bool(getattr(result, "update_called", True)) for result in results if getattr(getattr(result, "meta", None), "name", None) in names]
    return bool(updated) and not any(updated)


def _schedulers(trainer: pl.Trainer) -> list[LRPolicyScheduler]:
    """Each LRPolicyScheduler the module configured, once (a module may list one twice)."""
    found: list[LRPolicyScheduler] = []
    for config in trainer.lr_scheduler_configs:
        if isinstance(config.scheduler, LRPolicyScheduler) and all(config.scheduler is not seen for seen in found):
            found.append(config.scheduler)
    return found


def _check_config(scheduler: LRPolicyScheduler, interval: str, frequency: int, reduce_on_plateau: bool) -> None:
    if reduce_on_plateau:
        raise ValueError(
            "LRPolicyCallback: a scheduler config with reduce_on_plateau steps this LRPolicyScheduler with the monitored metric, "
            "which the callback reports too (so each result would count twice): remove reduce_on_plateau and monitor from the config"
        )
    steps_per_epoch = scheduler.ctx.steps_per_epoch
    wanted = "epoch" if steps_per_epoch is None else "step"
    if interval != wanted:
        pace = "once per epoch (its ctx has no steps_per_epoch)" if steps_per_epoch is None else f"once per update (its ctx has steps_per_epoch={steps_per_epoch})"
        raise ValueError(f'LRPolicyCallback: the LRPolicyScheduler steps {pace}, but its config has interval "{interval}" (Lightning\'s default is "epoch"): give "interval": "{wanted}"')
    if frequency != 1:
        raise ValueError(f"LRPolicyCallback: the LRPolicyScheduler's config has frequency {frequency}, so its clock would run {frequency} times slower than the run: give frequency 1")


def steps_per_epoch(trainer: pl.Trainer) -> int:
    """The optimizer updates Lightning makes per epoch (batches, over ``accumulate_grad_batches``,
    a last partial accumulation counted), for a run's ``steps_per_epoch`` in ``configure_optimizers``."""
    trainer.estimated_stepping_batches  # noqa: B018  # sets up the training data, so that its length is known
    updates = _updates_per_epoch(trainer)
    if updates is None:
        raise ValueError("the training data has no length, so Lightning does not know the updates per epoch: step the scheduler per epoch (steps_per_epoch=None, interval 'epoch')")
    return updates


def _updates_per_epoch(trainer: pl.Trainer) -> int | None:
    """The updates Lightning makes per epoch once its data is set up; None for data without a length."""
    batches = trainer.num_training_batches
    return math.ceil(batches / trainer.accumulate_grad_batches) if math.isfinite(batches) else None
