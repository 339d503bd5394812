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
  training, before that position's checkpoint is saved. A checkpoint saved at an update whose
  evaluation comes later (evaluating per epoch but saving every N steps) holds no report of it,
  for torch's plateau as for lrpol's: save where you evaluate.
"""

from __future__ import annotations

import math
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from .torch import LRPolicyScheduler


class LRPolicyTrainerCallback(TrainerCallback):
    """Reports the evaluation metric ``metric`` (``"eval_loss"``, ``"eval_accuracy"``, ...) to the
    Trainer's :class:`LRPolicyScheduler` after each evaluation made during training."""

    def __init__(self, metric: str):
        self.metric = metric
        self._training = False

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        self._training = True

    def on_train_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        self._training = False  # a trainer.evaluate() after training is no result of the run

    def on_evaluate(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, metrics: dict | None = None, lr_scheduler: object = None, **kwargs: Any) -> None:
        if not self._training or not isinstance(lr_scheduler, LRPolicyScheduler):
            return
        if metrics is None or self.metric not in metrics:
            raise KeyError(f"LRPolicyTrainerCallback: no metric {self.metric!r} in the evaluation; it gave {sorted(metrics or {})}")
        value = float(metrics[self.metric])
        if not math.isfinite(value):
            raise ValueError(f"LRPolicyTrainerCallback: {self.metric} is {value}, not a result a plateau policy can read")
        lr_scheduler.report_metric(value)
