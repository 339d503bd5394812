"""JAX / optax: an lrpol policy as an optax schedule, a function of the step count that runs
under ``jax.jit``; and, for policies that read validation results, the LR set from the host.

    schedule = lrpol.integrations.optax.schedule(policy, ctx)   # the run's LRs, in float32
    optimizer = optax.adamw(learning_rate=schedule)

- The schedule is a table of the run's LRs (:func:`lrpol.curve`, then the LR after the run),
  rounded to float32 as optax computes in float32, kept as the updates where the LR changes:
  a step-decay over a million updates is a few entries, a cosine one per update (4 bytes
  each, plus 4 for its start). Update ``count`` runs at ``curve(policy, ctx)[count]``
  rounded to float32, exactly; from the end of the run on, at the LR after it.
- A plateau policy moves on validation results, which a jitted function of the step count
  cannot see. :class:`HostLR` runs it on the host: give the optimizer through
  ``optax.inject_hyperparams`` and let ``HostLR`` write each LR into the optimizer's state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..context import TrainContext
from ..curve import curve
from ..hook import LRHook
from ..policy import LRPolicy


def schedule(policy: LRPolicy | None, ctx: TrainContext) -> Callable[[Any], jax.Array]:
    """The optax schedule giving ``policy``'s LRs over the run ``ctx`` describes (its
    ``steps_per_epoch`` is required: optax counts updates). ``policy`` None (what ``load`` gives
    for a disabled entry) is lr0 throughout, as :class:`~lrpol.LRHook` runs it.

    >>> import lrpol
    >>> run = lrpol.TrainContext(initial_lr=0.1, total_epochs=2, steps_per_epoch=3)
    >>> lr = schedule(lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=2), run)
    >>> [float(lr(t)) for t in range(7)]
    [0.10000000149011612, 0.10000000149011612, 0.05000000074505806, 0.05000000074505806, 0.02500000037252903, 0.02500000037252903, 0.012500000186264515]
    """
    if policy is not None and policy.reads_metric:
        raise ValueError(f"{type(policy).__name__} reads validation results, which a schedule of the step count cannot see: run it with HostLR and optax.inject_hyperparams")
    if ctx.steps_per_epoch is None:
        raise ValueError("the run's steps_per_epoch is required: optax counts updates")
    updates = ctx.total_epochs * ctx.steps_per_epoch
    lrs = np.asarray(curve(policy, TrainContext(initial_lr=ctx.initial_lr, total_epochs=ctx.total_epochs, steps_per_epoch=ctx.steps_per_epoch), steps=updates + 1), dtype=np.float32)
    # Only the updates where the float32 LR changes, and a search for the last one at or before count
    starts = np.flatnonzero(np.concatenate(([True], lrs[1:] != lrs[:-1])))
    table_starts, table_lrs = jnp.asarray(starts, dtype=jnp.int32), jnp.asarray(lrs[starts], dtype=jnp.float32)

    def lr_at(count: Any) -> jax.Array:
        return table_lrs[jnp.searchsorted(table_starts, count, side="right") - 1]

    return lr_at


class HostLR:
    """Runs a policy on the host, through :class:`~lrpol.LRHook`, and writes each LR into an
    ``optax.inject_hyperparams`` optimizer's state, in the dtype the state holds it in (float32
    unless the parameters are of another float type: the same type each time, so a jitted step is
    traced once). The hyperparameter must be given to ``inject_hyperparams`` as a number: one given
    as a schedule is computed anew at each update, over what the host set. The run's
    ``steps_per_epoch`` is required, as for :func:`schedule`: ``step()`` counts updates.

    >>> import lrpol, optax
    >>> optimizer = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1)
    >>> host = HostLR(lrpol.ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5), lrpol.TrainContext(initial_lr=0.1, total_epochs=2, steps_per_epoch=3))
    >>> state = host.apply(optimizer.init({"w": jax.numpy.zeros(2)}))
    >>> state = host.report_metric(state, 1.0)  # the first result is the best so far
    >>> state = host.report_metric(state, 1.0)  # one without improvement: halved
    >>> float(state.hyperparams["learning_rate"])
    0.05000000074505806
    """

    def __init__(self, policy: LRPolicy | None, ctx: TrainContext, *, name: str = "learning_rate"):
        if ctx.steps_per_epoch is None:  # step() would count updates, and the epoch would never move
            raise ValueError("the run's steps_per_epoch is required: HostLR.step() counts updates, and without it the epoch would never move")
        self.name = name
        self.hook = LRHook(policy, ctx, lambda lr: None)
        self._dtype: Any = None  # the state's, found at the first apply

    def apply(self, state: Any) -> Any:
        """``state`` with the hook's present LR."""
        if self._dtype is None:
            self._dtype = self._checked_dtype(state)
        return optax.tree_utils.tree_set(state, **{self.name: jnp.asarray(self.hook.ctx.current_lr, dtype=self._dtype)})

    def _checked_dtype(self, state: Any) -> Any:
        """The dtype ``state`` holds the hyperparameter in; a state that holds it otherwise is refused."""
        found = [value for _, value in optax.tree_utils.tree_get_all_with_path(state, self.name)]
        if not found:
            raise ValueError(f"the optimizer state holds no {self.name!r}: build the optimizer with optax.inject_hyperparams(...)({self.name}=<a number>)")
        if any(not isinstance(value, (jax.Array, np.ndarray)) for value in found):
            raise ValueError(f"{self.name!r} is given to optax.inject_hyperparams as a schedule, which sets it anew at each update over what HostLR sets: give it a number")
        return found[0].dtype

    def step(self, state: Any) -> Any:
        """After each update: advance one update; ``state`` with the next update's LR."""
        self.hook.step()
        return self.apply(state)

    def report_metric(self, state: Any, value: float) -> Any:
        """After each validation: record the result; ``state`` with the LR that follows."""
        self.hook.report_metric(value)
        return self.apply(state)

    def state_dict(self) -> dict:
        return self.hook.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.hook.load_state_dict(state)
