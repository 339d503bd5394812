"""lrpol.integrations.keras with a real model.fit on the torch backend."""

import os
import re

import numpy as np
import pytest
from conftest import requires_extra

os.environ["KERAS_BACKEND"] = "torch"  # must be set before keras is imported; torch is what CI installs

import lrpol
from lrpol import TrainContext, curve

requires_extra("torch")  # the backend these tests run Keras on
keras = requires_extra("keras")
from lrpol.integrations.keras import LRPolicyCallback  # noqa: E402


class LRRecorder(keras.callbacks.Callback):
    """The LR each batch trains at, read from the optimizer before the batch."""

    def __init__(self):
        super().__init__()
        self.lrs = []

    def on_train_batch_begin(self, batch, logs=None):
        self.lrs.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5], dtype="float32"))[:, None]
    return x, y


def model_with(lr):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
    return model


def test_keras_backend_is_torch():
    assert keras.backend.backend() == "torch"


def test_plateau_on_val_loss_in_a_real_fit():
    x, y = data()
    model = model_with(0.05)
    policy = lrpol.ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, mode="min", threshold=0.5)
    ctx = TrainContext(initial_lr=0.05, total_epochs=6)  # steps_per_epoch comes from fit: 64 / 16 = 4
    recorder = LRRecorder()
    history = model.fit(x, y, batch_size=16, epochs=6, validation_data=(x, y), verbose=0, shuffle=False,
                        callbacks=[LRPolicyCallback(policy, ctx, monitor="val_loss"), recorder])
    val_loss = history.history["val_loss"]
    assert ctx.steps_per_epoch == 4 and ctx.metric_count == 6 and ctx.metric == pytest.approx(val_loss[-1])
    expected = curve(lrpol.ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, mode="min", threshold=0.5),
                     TrainContext(initial_lr=0.05, total_epochs=6, steps_per_epoch=4), metrics=val_loss)
    np.testing.assert_allclose(recorder.lrs, expected, rtol=1e-6)  # Keras keeps the LR in float32
    assert min(recorder.lrs) < 0.05  # the loss stopped halving at some point, so the LR was cut


def test_step_policy_and_resume_with_initial_epoch():
    x, y = data()
    policy = lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=3)
    full = LRRecorder()
    model_with(0.1).fit(x, y, batch_size=16, epochs=4, verbose=0, shuffle=False,
                        callbacks=[LRPolicyCallback(policy, TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=4)), full])
    first = LRPolicyCallback(lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=3), TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=4))
    part1, part2 = LRRecorder(), LRRecorder()
    model = model_with(0.1)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False, callbacks=[first, part1])
    saved = first.state_dict()
    second = LRPolicyCallback(lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=3), TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=4))
    second.load_state_dict(saved)
    model.fit(x, y, batch_size=16, epochs=4, initial_epoch=2, verbose=0, shuffle=False, callbacks=[second, part2])
    np.testing.assert_allclose(part1.lrs + part2.lrs, full.lrs, rtol=1e-7)
    np.testing.assert_allclose(full.lrs, [0.1 * 0.5 ** (s // 3) for s in range(16)], rtol=1e-7)


def test_a_schedule_on_the_optimizer_is_refused():
    x, y = data()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)), loss="mse")
    with pytest.raises(TypeError, match="learning_rate is a Keras schedule"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[LRPolicyCallback(lrpol.ReduceCosine(), TrainContext(initial_lr=0.1, total_epochs=1))])


def test_a_missing_monitor_names_the_logs_there_are():
    x, y = data()
    with pytest.raises(LookupError, match=re.escape("no 'val_los' in this epoch's logs; did you mean 'val_loss'?")):
        model_with(0.1).fit(x, y, epochs=1, verbose=0, validation_data=(x, y),
                            callbacks=[LRPolicyCallback(lrpol.ReduceCosine(), TrainContext(initial_lr=0.1, total_epochs=1), monitor="val_los")])
