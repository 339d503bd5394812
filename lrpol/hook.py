"""LRHook: the few lines any training loop calls to run a policy."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

from .clock import run_phase
from .context import RunView, TrainContext
from .errors import show_value
from .policy import LRPolicy, nested_in

STATE_FORMAT = 1
_STATE_KEYS = ("format", "context", "policy")
_COUNTERS = ("global_step", "epoch", "metric", "metric_count")


class LRHook:
    """Evaluate ``policy`` on ``ctx`` and hand each LR to ``apply``, which sets it in the optimizer.

    ``policy`` may be None (what ``load`` returns for a disabled entry): the LR then stays lr0.

    - Constructing the hook applies the LR of update 0 and changes nothing else.
    - ``step()`` is called once after each optimizer update: it advances
      ``global_step`` (and ``epoch``, when ``steps_per_epoch`` is known), then
      evaluates and applies the LR of the next update, and returns it.
    - ``report_metric(value)`` records a validation result and applies the LR
      that follows from it at once. ``reduce_metric`` (optional) turns each value into
      the one the policy sees, such as a mean over distributed ranks.
    - ``next_epoch()`` advances the epoch for trainers that do not know ``steps_per_epoch``.
    - ``state_dict()``/``load_state_dict()`` hold the context's counters and its
      ``history`` (under "policy": what the policy remembers of the validation results) as
      JSON-ready data; together with the config they are the checkpoint.

    >>> from lrpol import DecayOnStep
    >>> lrs = []
    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=2, steps_per_epoch=2)
    >>> hook = LRHook(DecayOnStep(decay_ratio=0.5, decay_freq=2), ctx, lrs.append)
    >>> for _ in range(4):
    ...     _ = hook.step()
    >>> lrs
    [0.1, 0.1, 0.05, 0.05, 0.025]
    """

    __slots__ = ("_policy", "ctx", "_apply", "_reduce_metric", "_lr_of", "_lr0", "_epochs", "_steps_per_epoch")

    def __init__(
        self,
        policy: LRPolicy | None,
        ctx: TrainContext,
        apply: Callable[[float], object],
        *,
        reduce_metric: Callable[[float], float] | None = None,
    ):
        self.ctx = ctx
        self._apply = apply
        self._reduce_metric = reduce_metric
        self._set_policy(_KeepInitialLR() if policy is None else policy)  # the context's history stays
        self._refresh()

    @property
    def policy(self) -> LRPolicy:
        return self._policy

    @policy.setter
    def policy(self, policy: LRPolicy | None) -> None:
        """Another policy for the rest of the run. It starts with a history of its own, as a
        fresh policy did: what the previous one remembered is not its to read. None, as when
        constructed, keeps lr0."""
        self.ctx.history = {}
        self._set_policy(_KeepInitialLR() if policy is None else policy)

    def _set_policy(self, policy: LRPolicy) -> None:
        self._policy = policy
        self._bind()

    # A bound function is a closure: a copy or a pickle of the hook binds its own policy again.
    def __getstate__(self) -> dict:
        return {"policy": self._policy, "ctx": self.ctx, "apply": self._apply, "reduce_metric": self._reduce_metric}

    def __setstate__(self, state: dict) -> None:
        self.ctx, self._apply, self._reduce_metric = state["ctx"], state["apply"], state["reduce_metric"]
        self._set_policy(state["policy"])

    def step(self, metrics: None = None, epoch: None = None) -> float:
        """Advance past the update that just ran; apply and return the next update's LR.

        It takes no arguments: a validation result goes to :meth:`report_metric`, and one given
        here, as to torch's ``ReduceLROnPlateau.step``, is refused, saying so. (The torch
        scheduler built on the hook, ``LRPolicyScheduler``, takes it as torch's callers pass it.)
        """
        if metrics is not None or epoch is not None:
            return self._step_given(metrics, epoch)
        # The hot path: _refresh() written out, to save a call on every update.
        ctx = self.ctx
        steps_per_epoch = ctx.steps_per_epoch
        if steps_per_epoch is None:
            return self._step_in_unknown_epoch()
        step = ctx.global_step + 1
        ctx.global_step = step
        ctx.epoch = step // steps_per_epoch
        # The run's shape, as bound: compared by identity, the cheapest test (a value set again,
        # even an equal one, only binds again).
        if ctx.initial_lr is not self._lr0 or ctx.total_epochs is not self._epochs or steps_per_epoch is not self._steps_per_epoch:
            self._bind()
        lr = self._lr_of(ctx)
        ctx.current_lr = lr
        self._apply(lr)
        return lr

    def _step_given(self, metrics: object, epoch: object) -> float:
        """What ``step(metrics, epoch)`` does with an argument: refuses it (a subclass may take it)."""
        given = f"metrics={show_value(metrics)}" if metrics is not None else f"epoch={show_value(epoch)}"
        raise TypeError(f"LRHook.step() takes no arguments, got {given}: report a validation result with report_metric(value)")

    def _step_in_unknown_epoch(self) -> float:
        """``step()`` without ``steps_per_epoch``: the update count advances, and the epoch waits for
        :meth:`next_epoch` (a subclass may count epochs instead)."""
        self.ctx.global_step += 1
        return self._refresh()

    def _bind(self) -> None:
        """Bind the policy to the run's present shape: the function first, then the shape it is for,
        so that no update sees a new shape with an old function. A policy that cannot bind to
        this shape (say, a length that is not a number) is evaluated as it is, raising where it
        always did, at the update that needs what is wrong."""
        ctx = self.ctx
        shape = (ctx.initial_lr, ctx.total_epochs, ctx.steps_per_epoch)
        try:
            self._lr_of = self._policy.bind(ctx)
        except Exception:
            self._lr_of = self._policy.evaluate
        self._lr0, self._epochs, self._steps_per_epoch = shape

    def next_epoch(self) -> float:
        """Start the next epoch (only when ``steps_per_epoch`` is None); apply and return its LR."""
        if self.ctx.steps_per_epoch is not None:
            raise ValueError(f"epochs follow from steps_per_epoch={self.ctx.steps_per_epoch}; next_epoch() is for trainers that do not know it")
        self.ctx.epoch += 1
        return self._refresh()

    def report_metric(self, value: float) -> float:
        """Record a validation result; apply and return the LR that follows from it.

        With ``reduce_metric`` (say, a mean over distributed ranks) the policy sees the
        reduced value. It is reduced before it is checked, so that a NaN on one rank stops
        every rank, not just the one that saw it.
        """
        metric = as_float(value)
        if self._reduce_metric is not None:
            metric = as_float(self._reduce_metric(metric))
        if not math.isfinite(metric):
            raise _not_finite(metric)
        self.ctx.metric = metric
        self.ctx.metric_count += 1
        return self._refresh()

    def state_dict(self) -> dict:
        """The context's counters and its history, JSON-serialisable."""
        ctx = self.ctx
        return {
            "format": STATE_FORMAT,
            "context": {name: getattr(ctx, name) for name in _COUNTERS},
            "policy": self.policy.save_history(ctx.history),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` output and apply the restored update's LR.

        All or nothing: if the state is refused (a ValueError that names the field), the
        hook and its context are left as they were, and nothing is applied. Refused:
        anything :meth:`state_dict` cannot have written, such as a history that counted other
        validation results than the context reports.
        """
        counters = self._checked_counters(state)
        with nested_in("policy"):
            history = self.policy.load_history(state["policy"])
        ctx = self.ctx
        before = ({name: getattr(ctx, name) for name in _COUNTERS}, ctx.history)
        try:
            for name in _COUNTERS:
                setattr(ctx, name, counters[name])
            ctx.history = history
            with nested_in("policy"):
                self.policy.check_history(ctx, run_phase(ctx), history, 0)  # the history against the restored counters
            self.policy.evaluate(ctx)  # its own checks too, before anything is applied
        except Exception:
            for name in _COUNTERS:
                setattr(ctx, name, before[0][name])
            ctx.history = before[1]
            raise
        self._refresh()

    def _checked_counters(self, state: object) -> dict:
        # The integer 1 exactly: True and 1.0 compare equal to it, but no state_dict() wrote them.
        if not isinstance(state, dict) or type(state.get("format")) is not int or state["format"] != STATE_FORMAT:
            found = state.get("format") if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"not an lrpol hook state of format {STATE_FORMAT} (found format {show_value(found)})")
        unknown = [key for key in state if key not in _STATE_KEYS]
        if unknown:
            raise ValueError(f"hook state: unknown key {show_value(unknown[0])} (a hook state has {list(_STATE_KEYS)})")
        counters = state.get("context")
        if not isinstance(counters, dict) or set(counters) != set(_COUNTERS):
            raise ValueError(f"hook state: 'context' must have the keys {list(_COUNTERS)}")
        if "policy" not in state:
            raise ValueError("hook state: missing 'policy' (the policy's state, {} for a stateless one)")
        ctx = self.ctx
        checked = TrainContext(initial_lr=ctx.initial_lr, total_epochs=ctx.total_epochs, steps_per_epoch=ctx.steps_per_epoch, **counters)
        spe = ctx.steps_per_epoch
        if spe is not None and checked.epoch != checked.global_step // spe:
            raise ValueError(
                f"hook state: epoch {checked.epoch} does not follow from global_step {checked.global_step} "
                f"with steps_per_epoch={spe} (was the run saved with another steps_per_epoch?)"
            )
        if (checked.metric is None) != (checked.metric_count == 0):
            raise ValueError(
                f"hook state: context.metric is {show_value(checked.metric)} with metric_count {checked.metric_count}: "
                "the metric is null exactly until the first result"
            )
        return {name: getattr(checked, name) for name in _COUNTERS}

    def _refresh(self) -> float:
        ctx = self.ctx
        if ctx.initial_lr is not self._lr0 or ctx.total_epochs is not self._epochs or ctx.steps_per_epoch is not self._steps_per_epoch:
            self._bind()
        lr = self._lr_of(ctx)
        self.ctx.current_lr = lr
        self._apply(lr)
        return lr


def drive(hook: LRHook, until_step: int, metrics: Sequence[float] | None = None, *, epoch_ends_only: bool = False) -> Iterator[tuple[int, float]]:
    """Run ``hook`` as a training loop does, from the update its context is at up to
    ``until_step``: yield (step, LR) before each update runs (the loop's body stands for the
    update), then step past it. After the last update of epoch e, ``metrics[e]`` is reported
    when there is one: the rule for one validation result per epoch, written once.

    ``epoch_ends_only`` visits only the last update of each epoch, the clock jumping there
    (the updates in between are not evaluated). That is exact for policies whose state moves
    with validation results alone, as every built-in policy's does, and costs O(epochs)
    however long an epoch is.

    >>> from lrpol import DecayOnStep
    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=2, steps_per_epoch=2)
    >>> list(drive(LRHook(DecayOnStep(decay_ratio=0.5, decay_freq=2), ctx, lambda lr: None), 4))
    [(0, 0.1), (1, 0.1), (2, 0.05), (3, 0.05)]
    """
    ctx = hook.ctx
    steps_per_epoch = ctx.steps_per_epoch
    if steps_per_epoch is None:
        raise ValueError("drive() needs ctx.steps_per_epoch: the epoch of each update must be known")
    lr = ctx.current_lr
    assert lr is not None  # the hook applied one when it was built
    while ctx.global_step < until_step:
        if epoch_ends_only:
            last = min(until_step, (ctx.global_step // steps_per_epoch + 1) * steps_per_epoch) - 1
            if ctx.global_step < last:
                ctx.global_step = last - 1  # step() sets the epoch, and evaluates the update jumped to
                lr = hook.step()
        yield ctx.global_step, lr
        lr = hook.step()
        # step() moved the clock: epoch is the one that starts now, if one does.
        if metrics is not None and ctx.global_step % steps_per_epoch == 0 and ctx.epoch <= len(metrics):
            lr = hook.report_metric(metrics[ctx.epoch - 1])


def as_float(value: object) -> float:
    """A validation result as a float (a numpy or torch scalar too); strings and booleans are refused."""
    if isinstance(value, (str, bytes, bool)):
        raise TypeError(f"metric must be a number, got {show_value(value)}")
    try:
        return float(value)  # type: ignore[arg-type]  # float() itself says what it cannot take
    except OverflowError:  # an integer beyond float's range: as infinite, refused as such
        return math.inf if value > 0 else -math.inf  # type: ignore[operator]  # only ints overflow


def checked_metric(value: object) -> float:
    """A validation result as a float; NaN, infinity and non-numbers are refused, naming the value."""
    metric = as_float(value)
    if not math.isfinite(metric):
        raise _not_finite(metric)
    return metric


def _not_finite(metric: float) -> ValueError:
    return ValueError(f"metric is {metric}: a NaN or infinite validation result cannot drive a policy")


class _KeepInitialLR(LRPolicy):
    """No policy (a disabled entry): every update runs at lr0."""

    def evaluate(self, ctx: RunView) -> float:
        return ctx.initial_lr
