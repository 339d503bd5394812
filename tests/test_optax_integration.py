"""lrpol.integrations.optax: a policy as an optax schedule under jax.jit, equal to curve() in
float32 at every update, training a tiny model with a real optax optimizer; and a plateau run
from the host through optax.inject_hyperparams, warning about nothing."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import requires_extra
from warnings_check import no_scheduler_warnings

import lrpol
from lrpol import TrainContext

requires_extra("optax")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

from lrpol.integrations.optax import HostLR, schedule  # noqa: E402

RUN = TrainContext(initial_lr=0.1, total_epochs=6, steps_per_epoch=25)  # 150 updates
UPDATES = RUN.total_epochs * (RUN.steps_per_epoch or 1)

POLICIES = [
    lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=40),
    lrpol.ReduceCosine(),
    lrpol.Warmup(duration=10, start_factor=0, policy=lrpol.ReducePoly(poly_power=0.9)),
    lrpol.OneCycle(),
    lrpol.CosineRestarts(period=30, period_mult=2),
    lrpol.Cyclic(step_size_up=12, min_lr=0.01),
    lrpol.Sequential(policies=(lrpol.Constant(factor=0.1), lrpol.ExponentialDecay(gamma=0.97)), milestones=(2,)),
]


@pytest.mark.parametrize("policy", POLICIES, ids=lambda policy: type(policy).__name__)
def test_the_schedule_under_jit_is_the_curve_in_float32_and_holds_after_the_run(policy):
    run = TrainContext(initial_lr=RUN.initial_lr, total_epochs=RUN.total_epochs, steps_per_epoch=RUN.steps_per_epoch)
    expected = np.float32(lrpol.curve(policy, run, steps=UPDATES + 1))
    ours = np.asarray(jax.jit(jax.vmap(schedule(policy, run)))(jnp.arange(UPDATES + 20, dtype=jnp.int32)))
    assert ours.dtype == np.float32
    assert ours[: UPDATES + 1].tolist() == expected.tolist()
    assert set(ours[UPDATES:].tolist()) == {float(expected[-1])}


def test_a_tiny_model_trained_with_optax_in_a_jitted_step_takes_each_updates_lr():
    policy = lrpol.Warmup(duration=10, policy=lrpol.ReduceCosine(unit="step"))
    optimizer = optax.sgd(learning_rate=schedule(policy, RUN))
    params = {"w": jnp.zeros(3, dtype=jnp.float32)}
    state = optimizer.init(params)

    @jax.jit
    def train_step(params, state):
        grads = jax.grad(lambda p: jnp.sum(p["w"]))(params)  # a gradient of ones: each update moves w by -lr
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    for _ in range(UPDATES):
        params, state = train_step(params, state)
    w = np.float32(0.0)
    for lr in np.float32(lrpol.curve(policy, RUN)):
        w = np.float32(w + np.float32(-lr))
    assert np.asarray(params["w"]).tolist() == [float(w)] * 3


def test_a_plateau_runs_on_the_host_and_its_lr_reaches_the_jitted_step_without_retracing():
    policy = lrpol.ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5, mode="min", policy=lrpol.ReduceCosine(unit="step"))
    host = HostLR(policy, TrainContext(initial_lr=RUN.initial_lr, total_epochs=RUN.total_epochs, steps_per_epoch=RUN.steps_per_epoch))
    optimizer = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1)
    params = {"w": jnp.zeros(2, dtype=jnp.float32)}
    state = host.apply(optimizer.init(params))
    traces = []

    @jax.jit
    def train_step(params, state):
        traces.append(1)
        grads = jax.grad(lambda p: jnp.sum(p["w"]))(params)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    losses = [1.0, 0.8, 0.85, 0.9, 0.7, 0.75]
    used = []
    reference: list[float] = []
    hook = lrpol.LRHook(policy, TrainContext(initial_lr=RUN.initial_lr, total_epochs=RUN.total_epochs, steps_per_epoch=RUN.steps_per_epoch), reference.append)
    with no_scheduler_warnings():
        for epoch in range(RUN.total_epochs):
            for _ in range(RUN.steps_per_epoch or 1):
                used.append(float(state.hyperparams["learning_rate"]))
                params, state = train_step(params, state)
                state = host.step(state)
                hook.step()
            state = host.report_metric(state, losses[epoch])
            hook.report_metric(losses[epoch])
    assert len(traces) == 1
    expected = np.float32(lrpol.curve(policy, TrainContext(initial_lr=RUN.initial_lr, total_epochs=RUN.total_epochs, steps_per_epoch=RUN.steps_per_epoch), metrics=losses)).tolist()
    assert used == expected
    assert set(np.round(np.asarray(used) / np.float32(lrpol.curve(lrpol.ReduceCosine(unit="step"), RUN)), 6).tolist()) == {1.0, 0.5}  # halved once, after the 4th result


def test_what_a_schedule_cannot_say_is_refused_by_name():
    with pytest.raises(ValueError, match="ReduceOnPlateau reads validation results"):
        schedule(lrpol.ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5), RUN)
    with pytest.raises(ValueError, match="steps_per_epoch is required"):
        schedule(lrpol.ReduceCosine(), TrainContext(initial_lr=0.1, total_epochs=3))
