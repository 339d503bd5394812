"""Hugging Face Transformers: hand an :class:`~lrpol.integrations.torch.LRPolicyScheduler` to the
``Trainer`` and let evaluation metrics reach a plateau policy through a callback.

    scheduler = LRPolicyScheduler(optimizer, policy, ctx)    # ctx.steps_per_epoch: updates per epoch
    trainer = Trainer(..., optimizers=(optimizer, scheduler), callbacks=[LRPolicyTrainerCallback("eval_loss")])

- The Trainer steps the scheduler after every optimizer update it did not skip (with AMP, an
  update skipped for an overflow is not counted), and saves and loads its ``state_dict()`` in
  each checkpoint (``scheduler.pt``, read with ``weights_only=True``), so
  ``resume_from_checkpoint`` continues on the same LRs.
- The Trainer hands evaluation metrics only to torch's own ``ReduceLROnPlateau``;
  :class:`LRPolicyTrainerCallback` reports ``metrics[metric]`` after each evaluation made during
  training, before that position's checkpoint is saved. The evaluation ``eval_on_start`` makes
  before the first update is not reported (the Trainer's own plateau route skips it too, and a
  resumed run makes it again). A checkpoint saved at an update whose evaluation comes later
  (evaluating per epoch but saving every N steps) holds no report of it, for torch's plateau as
  for lrpol's: save where you evaluate.
- ``ctx.steps_per_epoch`` is the Trainer's updates per epoch: batches over
  ``gradient_accumulation_steps``, a last partial accumulation counted. On one process the
  callback refuses another count before the first update.
- The metric is named as ``metric_for_best_model`` is: ``"loss"`` means ``"eval_loss"``. With
  several evaluation datasets (``eval_dataset={"a": ..., "b": ...}``), name the one to follow,
  ``"eval_b_loss"``; the other datasets' evaluations are passed over.
"""

from __future__ import annotations

import math
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from .torch import LRPolicyScheduler

#: The key the Trainer adds to every evaluation's metrics, after the evaluation's prefix.
_RUNTIME = "_runtime"


class LRPolicyTrainerCallback(TrainerCallback):
    """Reports the evaluation metric ``metric`` (``"eval_loss"``, ``"eval_accuracy"``, ...) to the
    Trainer's :class:`LRPolicyScheduler` after each evaluation made during training. A Trainer
    whose scheduler is not an LRPolicyScheduler is refused when training begins."""

    def __init__(self, metric: str):
        self.metric = metric
        # As the Trainer reads metric_for_best_model: every evaluation metric carries the prefix.
        self._key = metric if metric.startswith("eval_") else f"eval_{metric}"
        self._training = False
        # Evaluations since the last update that were of other datasets, and whether one had the metric.
        self._passed_over: list[str] = []
        self._reported = False

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        self._training = False  # eval_on_start's evaluation, before the first epoch, is no result of the run
        self._passed_over, self._reported = [], False
        scheduler = kwargs.get("lr_scheduler")
        if not isinstance(scheduler, LRPolicyScheduler):  # the results would reach no policy
            raise TypeError(
                f"LRPolicyTrainerCallback: the Trainer's scheduler is {type(scheduler).__name__}, not an LRPolicyScheduler: "
                "give Trainer(..., optimizers=(optimizer, LRPolicyScheduler(optimizer, policy, ctx)))"
            )
        _check_updates_per_epoch(args, scheduler, kwargs.get("train_dataloader"))

    def on_epoch_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        self._training = True

    def on_step_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        self._check_round()

    def on_train_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        self._training = False  # a trainer.evaluate() after training is no result of the run
        self._check_round()

    def on_evaluate(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, metrics: dict | None = None, lr_scheduler: object = None, **kwargs: Any) -> None:
        if not self._training or not isinstance(lr_scheduler, LRPolicyScheduler):
            return
        metrics = metrics or {}
        if self._key not in metrics:
            prefix = _prefix(metrics)
            if prefix is not None and prefix != "eval" and not self._key.startswith(f"{prefix}_"):
                self._passed_over += sorted(metrics)  # another evaluation dataset's
                return
            raise KeyError(f"LRPolicyTrainerCallback: no metric {self._key!r} in the evaluation; it gave {sorted(metrics)}")
        value = float(metrics[self._key])
        if not math.isfinite(value):
            raise ValueError(f"LRPolicyTrainerCallback: {self._key} is {value}, not a result a plateau policy can read")
        self._reported = True
        lr_scheduler.report_metric(value)

    def _check_round(self) -> None:
        """After a round of evaluations of several datasets, one of them must have had the metric."""
        passed_over, reported = self._passed_over, self._reported
        self._passed_over, self._reported = [], False
        if passed_over and not reported:
            raise KeyError(f"LRPolicyTrainerCallback: no evaluation dataset gave the metric {self._key!r}; they gave {passed_over}")


def _prefix(metrics: dict) -> str | None:
    """The evaluation's metric_key_prefix (``"eval"``, or ``"eval_<dataset>"``), if the Trainer named it."""
    found = [key[: -len(_RUNTIME)] for key in metrics if key.endswith(_RUNTIME)]
    return found[0] if len(found) == 1 else None


def _check_updates_per_epoch(args: TrainingArguments, scheduler: LRPolicyScheduler, loader: object) -> None:
    """Refuse a run whose ``steps_per_epoch`` is not the Trainer's count of updates per epoch (on one
    process, where that count is the loader's length over ``gradient_accumulation_steps``)."""
    if scheduler.ctx.steps_per_epoch is None or args.world_size != 1:
        return
    try:
        batches = len(loader)  # type: ignore[arg-type]
    except TypeError:  # data without a length
        return
    accumulation = args.gradient_accumulation_steps
    updates = max(batches // accumulation + int(batches % accumulation > 0), 1)  # as the Trainer counts them
    if scheduler.ctx.steps_per_epoch != updates:
        raise ValueError(
            f"LRPolicyTrainerCallback: the LRPolicyScheduler's ctx has steps_per_epoch={scheduler.ctx.steps_per_epoch}, but the Trainer makes {updates} updates per epoch "
            f"({batches} batches, gradient_accumulation_steps={accumulation}): give steps_per_epoch={updates}"
        )
