"""PyTorch Ignite (and MONAI's engines, which are Ignite engines): an event handler.

    handler = LRPolicyHandler(attach(optimizer, policy, ctx), metric_name="val_mean_dice")
    handler.attach(trainer, evaluator)

- ``hook.step()`` runs after every training iteration (``Events.ITERATION_COMPLETED``).
- After each run of ``evaluator`` (``Events.COMPLETED``) while the trainer runs,
  ``evaluator.state.metrics[metric_name]`` is reported, so ReduceOnPlateau sees every validation
  result once; an evaluation after the trainer completed (a final test) is no result of the run.
- When ``ctx.steps_per_epoch`` is None, it is taken from the trainer's ``epoch_length``
  when the run starts; for data without a length, epochs are counted at each
  ``Events.EPOCH_COMPLETED``.
- The handler has ``state_dict``/``load_state_dict`` (the hook's), so it goes into an
  Ignite ``Checkpoint``'s ``to_save`` next to the model and the optimizer.
"""

from __future__ import annotations

from ignite.engine import Engine, Events

from ..errors import did_you_mean
from ..hook import LRHook


class LRPolicyHandler:
    """Drives an :class:`LRHook` from an Ignite trainer and, optionally, an evaluator's metric."""

    def __init__(self, hook: LRHook, metric_name: str | None = None):
        self.hook = hook
        self.metric_name = metric_name
        self._training = False

    def attach(self, trainer: Engine, evaluator: Engine | None = None) -> LRPolicyHandler:
        if evaluator is not None and self.metric_name is None:
            raise ValueError("give metric_name: which of the evaluator's state.metrics the policy reads")
        trainer.add_event_handler(Events.STARTED, self._learn_epoch_length)
        trainer.add_event_handler(Events.EPOCH_STARTED, self._set_training, True)
        trainer.add_event_handler(Events.COMPLETED | Events.TERMINATE, self._set_training, False)
        trainer.add_event_handler(Events.ITERATION_COMPLETED, self._step)
        trainer.add_event_handler(Events.EPOCH_COMPLETED, self._end_epoch)
        if evaluator is not None:
            evaluator.add_event_handler(Events.COMPLETED, self._report)
        return self

    def _learn_epoch_length(self, trainer: Engine) -> None:
        ctx = self.hook.ctx
        if ctx.steps_per_epoch is None and trainer.state.epoch_length:
            ctx.steps_per_epoch = trainer.state.epoch_length
            ctx.epoch = ctx.global_step // ctx.steps_per_epoch

    def _set_training(self, trainer: Engine, training: bool) -> None:
        self._training = training

    def _step(self, trainer: Engine) -> None:
        self.hook.step()

    def _end_epoch(self, trainer: Engine) -> None:
        # Data without a length: the epoch's size is known only now, or never; count epochs by hand.
        if self.hook.ctx.steps_per_epoch is None:
            self.hook.next_epoch()

    def _report(self, evaluator: Engine) -> None:
        if not self._training:
            return
        metrics = evaluator.state.metrics
        if self.metric_name not in metrics:
            hint = did_you_mean(self.metric_name, list(metrics), listing="it has")
            raise LookupError(f"the evaluator computed no metric {self.metric_name!r}; {hint}")
        self.hook.report_metric(metrics[self.metric_name])

    def state_dict(self) -> dict:
        return self.hook.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.hook.load_state_dict(state)
