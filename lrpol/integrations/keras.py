"""Keras 3: a callback that drives the optimizer's learning rate, on any backend.

    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-3), loss="mse")
    callback = LRPolicyCallback(policy, ctx, monitor="val_loss")
    model.fit(x, y, validation_data=(xv, yv), epochs=ctx.total_epochs, callbacks=[callback])

- The LR of update 0 is set when training begins; after every batch ``hook.step()`` sets
  the next one. The optimizer's learning rate must be a number (a variable), not a Keras
  schedule: lrpol is the schedule.
- With ``monitor``, ``logs[monitor]`` at the end of each epoch (``val_loss``, say) is
  reported as the validation result.
- ``ctx.steps_per_epoch`` may be None: it is then taken from ``fit``'s steps per epoch.
- ``state_dict()`` / ``load_state_dict()`` checkpoint the hook; a loaded state is applied
  when the next ``fit`` begins (pass ``initial_epoch`` to ``fit`` as usual).
"""

from __future__ import annotations

from collections.abc import Callable

import keras

from ..context import TrainContext
from ..errors import did_you_mean
from ..hook import LRHook
from ..policy import LRPolicy


class LRPolicyCallback(keras.callbacks.Callback):
    def __init__(self, policy: LRPolicy | None, ctx: TrainContext, *, monitor: str | None = None, reduce_metric: Callable[[float], float] | None = None):
        super().__init__()
        self.policy = policy
        self.ctx = ctx
        self.monitor = monitor
        self.reduce_metric = reduce_metric
        self.hook: LRHook | None = None
        self._pending_state: dict | None = None

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        variable = self.model.optimizer.learning_rate
        if not isinstance(variable, keras.Variable):
            raise TypeError("the optimizer's learning_rate is a Keras schedule; give it a number and let the lrpol policy schedule it")
        steps = self.params.get("steps")
        if self.ctx.steps_per_epoch is None and steps:
            self.ctx.steps_per_epoch = steps
        self.hook = LRHook(self.policy, self.ctx, variable.assign, reduce_metric=self.reduce_metric)
        if self._pending_state is not None:
            self.hook.load_state_dict(self._pending_state)
            self._pending_state = None

    def on_train_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        self._started().step()

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if self.monitor is not None:
            logs = logs or {}
            if self.monitor not in logs:
                raise LookupError(f"no {self.monitor!r} in this epoch's logs; {did_you_mean(self.monitor, list(logs), listing='they have')}")
            self._started().report_metric(logs[self.monitor])
        if self.ctx.steps_per_epoch is None:
            self._started().next_epoch()

    def _started(self) -> LRHook:
        # Keras calls on_train_begin first; a callback driven by hand may not have.
        if self.hook is None:
            raise RuntimeError("training has not begun: on_train_begin makes the hook")
        return self.hook

    def state_dict(self) -> dict:
        if self.hook is None:
            raise RuntimeError("nothing to save before training has begun")
        return self.hook.state_dict()

    def load_state_dict(self, state: dict) -> None:
        if self.hook is None:
            self._pending_state = state  # applied when fit() begins
        else:
            self.hook.load_state_dict(state)
