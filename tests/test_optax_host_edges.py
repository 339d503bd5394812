"""HostLR at the edges: the state's own dtype, an optimizer that cannot take the LR, a run without
steps_per_epoch."""

from __future__ import annotations

import pytest
from conftest import requires_extra

import lrpol
from lrpol import TrainContext

requires_extra("optax")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

from lrpol.integrations.optax import HostLR, schedule  # noqa: E402

PLATEAU = lrpol.ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5)


def run() -> TrainContext:
    return TrainContext(initial_lr=0.1, total_epochs=2, steps_per_epoch=3)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16"])
def test_the_lr_is_written_in_the_states_dtype_and_a_jitted_step_is_traced_once(dtype):
    optimizer = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1)
    params = {"w": jnp.zeros(2, dtype)}
    traces = []

    @jax.jit
    def update(state, grads):
        traces.append(1)
        return optimizer.update(grads, state, params)

    host, grads = HostLR(PLATEAU, run()), {"w": jnp.ones(2, dtype)}
    state = optimizer.init(params)
    _, state = update(state, grads)  # an update before the first LR is set
    state = host.report_metric(host.report_metric(state, 1.0), 1.0)  # halved
    updates, state = update(state, grads)
    assert len(traces) == 1
    assert state.hyperparams["learning_rate"].dtype == jnp.dtype(dtype)
    assert float(updates["w"][0]) == -float(jnp.asarray(0.05, dtype))


def test_an_optimizer_without_the_injected_hyperparameter_is_refused_by_name():
    state = optax.sgd(0.1).init({"w": jnp.zeros(2)})
    with pytest.raises(ValueError, match=r"holds no 'learning_rate': build the optimizer with optax.inject_hyperparams"):
        HostLR(PLATEAU, run()).apply(state)


def test_a_hyperparameter_given_as_a_schedule_is_refused():
    # inject_hyperparams computes a schedule anew at each update, over what the host set
    state = optax.inject_hyperparams(optax.sgd)(learning_rate=optax.constant_schedule(0.1)).init({"w": jnp.zeros(2)})
    with pytest.raises(ValueError, match=r"given to optax\.inject_hyperparams as a schedule"):
        HostLR(PLATEAU, run()).apply(state)


def test_a_run_without_steps_per_epoch_is_refused():
    # step() counts updates: an epoch-unit policy would never move
    with pytest.raises(ValueError, match="steps_per_epoch is required"):
        HostLR(lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=1, unit="epoch"), TrainContext(initial_lr=0.1, total_epochs=3))


def test_a_disabled_policy_is_a_schedule_at_lr0():
    # what lrpol.load gives for a disabled entry, and what LRHook and HostLR accept
    lr = jax.jit(schedule(None, run()))
    assert [float(lr(count)) for count in (0, 5, 6, 100)] == [float(jnp.float32(0.1))] * 4
