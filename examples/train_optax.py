"""Train a small JAX model with optax, its LR schedule from an MMAR train config.

    python examples/train_optax.py [CONFIG] [--epochs N]

A policy that reads no validation results becomes an optax schedule used inside the jitted step;
a ReduceOnPlateau policy runs on the host (HostLR) and sets the LR of an
optax.inject_hyperparams optimizer. Each epoch prints the LR of its first update, the training
loss and the validation score (1 / (1 + MSE): larger is better).
"""

import argparse
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

import lrpol
from lrpol.integrations.optax import HostLR, schedule

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "reduce_poly.yaml"
BATCH = 32


def mse(params: dict, x: jax.Array, y: jax.Array) -> jax.Array:
    hidden = jnp.maximum(x @ params["w1"] + params["b1"], 0)
    return jnp.mean((hidden @ params["w2"] + params["b2"] - y) ** 2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", nargs="?", default=str(DEFAULT_CONFIG))
    parser.add_argument("--epochs", type=int, help="override the config's epochs")
    options = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 8)).astype(np.float32)
    y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:2] - 0.25 * x[:, 2:3] ** 2).astype(np.float32)
    steps_per_epoch = 384 // BATCH
    policy, ctx = lrpol.load_run(options.config, steps_per_epoch=steps_per_epoch)
    if options.epochs:
        ctx.total_epochs = options.epochs
    host = HostLR(policy, ctx) if policy is not None and policy.reads_metric else None
    if host is not None:
        optimizer = optax.inject_hyperparams(optax.adam)(learning_rate=ctx.initial_lr)
    else:
        optimizer = optax.adam(learning_rate=schedule(policy, ctx) if policy is not None else ctx.initial_lr)
    keys = jax.random.split(jax.random.PRNGKey(0), 2)
    params = {"w1": jax.random.normal(keys[0], (8, 32)) * 0.3, "b1": jnp.zeros(32), "w2": jax.random.normal(keys[1], (32, 1)) * 0.3, "b2": jnp.zeros(1)}
    state = optimizer.init(params)
    if host is not None:
        state = host.apply(state)

    @jax.jit
    def train_step(params: dict, state: optax.OptState, xb: jax.Array, yb: jax.Array) -> tuple:
        loss, grads = jax.value_and_grad(mse)(params, xb, yb)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    curve = lrpol.curve(policy, lrpol.TrainContext(initial_lr=ctx.initial_lr, total_epochs=ctx.total_epochs, steps_per_epoch=steps_per_epoch)) if policy is not None and host is None else None
    print(f"{options.config}: {policy}, lr0={ctx.initial_lr:g}, {ctx.total_epochs} epochs of {steps_per_epoch} updates")
    for epoch in range(ctx.total_epochs):
        lr = float(host.hook.ctx.current_lr) if host is not None else float(np.float32(curve[epoch * steps_per_epoch])) if curve is not None else ctx.initial_lr
        order = rng.permutation(384)
        total = 0.0
        for start in range(0, 384, BATCH):
            batch = order[start : start + BATCH]
            params, state, loss = train_step(params, state, x[batch], y[batch])
            total += float(loss)
            if host is not None:
                state = host.step(state)
        score = 1.0 / (1.0 + float(mse(params, x[384:], y[384:])))
        if host is not None:
            state = host.report_metric(state, score)
        print(f"epoch {epoch:3d}  lr {lr:.6e}  loss {total / steps_per_epoch:.6f}  val_score {score:.6f}")


if __name__ == "__main__":
    main()
