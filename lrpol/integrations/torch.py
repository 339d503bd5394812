"""PyTorch: drive a ``torch.optim`` optimizer's learning rate with an lrpol policy.

    hook = attach(optimizer, policy, ctx)
    for batch in loader:
        loss = model(batch).mean(); loss.backward()
        optimizer.step(); optimizer.zero_grad()
        hook.step()                      # after each update
    hook.report_metric(val_dice)         # after each validation

- Every param group is written, and keeps its ratio to lr0: a group whose LR is k * lr0
  when attached runs at k * LR. The ratio is stored in the group itself (as
  ``"lrpol_scale"``), so it travels with ``optimizer.state_dict()`` and survives a resume
  whether or not the optimizer's own state is loaded.
- ``optimizer.step`` is never wrapped or patched, and nothing warns: the hook only
  writes ``param_group["lr"]``. A tensor LR (for ``torch.compile``) is updated in place,
  so compiled steps do not recompile.
- ``schedules={"momentum": policy, "weight_decay": policy}`` schedules other hyperparameters
  the same way (see :mod:`lrpol.hyperparameters`), each from its value in the group when
  first attached (kept in the group, as ``"lrpol_initial_momentum"`` and so on). Momentum
  is SGD's ``momentum``, or ``betas[0]`` for Adam and its kin, as torch's OneCycleLR and
  CyclicLR cycle it.
- Under ``torch.distributed``, ``reduce_metric="mean"`` (or "max", "min") combines each
  validation result over the ranks first, so every rank takes the same plateau decision,
  and a NaN on any rank is refused on every rank. Every rank must then call ``report_metric``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import torch
from torch.optim.lr_scheduler import LRScheduler

from ..context import RunView, TrainContext
from ..hook import LRHook
from ..hyperparameters import value_function
from ..policy import LRPolicy

if TYPE_CHECKING:  # torch.distributed is imported only when a distributed_metric is made
    from torch.distributed import ProcessGroup

#: The param-group key holding the group's LR as a multiple of lr0.
SCALE_KEY = "lrpol_scale"
_REDUCTIONS = ("mean", "max", "min")


def attach(
    optimizer: torch.optim.Optimizer,
    policy: LRPolicy | None,
    ctx: TrainContext,
    *,
    reduce_metric: str | Callable[[float], float] | None = None,
    schedules: Mapping[str, LRPolicy] | None = None,
    group_policies: Sequence[LRPolicy | None] | None = None,
) -> LRHook:
    """An :class:`LRHook` that writes ``policy``'s LR into every param group of ``optimizer``,
    and each of ``schedules`` (by hyperparameter name) into its hyperparameter.

    A group's scale is its LR divided by ``ctx.initial_lr`` when first attached (kept
    from a loaded ``optimizer.state_dict()`` if it holds one). Attaching applies the LR
    of update ``ctx.global_step``. ``group_policies[i]``, when given and not None, runs
    group i on a policy of its own instead (torch's ``LambdaLR`` with a list of lambdas),
    from the group's own LR when first attached; such a policy cannot read validation results.
    """
    return LRHook(policy, ctx, _applier(optimizer, ctx, schedules, group_policies), reduce_metric=_reducer(reduce_metric))


def _applier(optimizer: torch.optim.Optimizer, ctx: TrainContext, schedules: Mapping[str, LRPolicy] | None, group_policies: Sequence[LRPolicy | None] | None) -> Callable[[float], None]:
    """What :func:`attach` hands the hook: a function that writes an LR into every group at its
    scale (and each of ``schedules``, and each group's own policy), setting the scales first."""
    for group in optimizer.param_groups:
        if SCALE_KEY not in group:
            group[SCALE_KEY] = float(group["lr"]) / ctx.initial_lr
    own = {index: group_policy for index, group_policy in enumerate(group_policies or ()) if group_policy is not None}
    if len(group_policies or ()) > len(optimizer.param_groups):
        raise ValueError(f"group_policies has {len(group_policies or ())} entries for {len(optimizer.param_groups)} param groups")
    # A copy or a pickle made mid-run starts from the LR its context last applied, not from lr0.
    writers = [_writer(optimizer, set(own), ctx.initial_lr, ctx.initial_lr if ctx.current_lr is None else ctx.current_lr)]
    writers += [_hyperparameter_writer(optimizer, "lr", group_policy, ctx, {index}) for index, group_policy in own.items()]
    writers += [_hyperparameter_writer(optimizer, name, schedule, ctx) for name, schedule in (schedules or {}).items()]
    return writers[0] if len(writers) == 1 else _all_of(writers)


class LRPolicyScheduler(LRHook, LRScheduler):  # type: ignore[misc]  # step() takes torch's arguments, and a metric
    """A torch ``LRScheduler`` that runs an lrpol policy, for whatever takes a torch scheduler:
    Lightning, the Hugging Face Trainer, MONAI's ``LrScheduleHandler``, Accelerate, a plain loop.
    It is the :class:`LRHook` :func:`attach` makes, with torch's scheduler interface.

    - ``step()`` after each optimizer update advances one update, as :meth:`LRHook.step` does;
      with ``ctx.steps_per_epoch`` None, for frameworks that step once per epoch, it advances
      one epoch instead (and a policy that counts updates is refused: it would never move).
    - ``step(metric)`` reports a validation result, the way torch's ``ReduceLROnPlateau.step``
      takes one, and applies the LR that follows from it; so does :meth:`report_metric`.
    - Every param group runs at its ratio to lr0, as with :func:`attach`; ``optimizer.step`` is
      never wrapped, and nothing warns.
    - ``state_dict()`` is JSON-ready data (the hook's), so it goes through ``torch.save`` and
      ``torch.load(weights_only=True)``; a fresh optimizer and scheduler that load it (and the
      optimizer's state) continue on exactly the same LRs.

    >>> import torch, lrpol
    >>> optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    >>> scheduler = LRPolicyScheduler(optimizer, lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=2), lrpol.TrainContext(initial_lr=0.1, total_epochs=1, steps_per_epoch=4))
    >>> for _ in range(3):
    ...     optimizer.step()
    ...     lr = scheduler.step()  # the next update's LR, as LRHook.step returns it
    >>> lr, scheduler.get_last_lr(), scheduler.last_epoch
    (0.05, [0.05], 3)
    """

    #: torch's count of step() calls, which nothing here reads: Accelerate's scheduler wrapper adds to it
    #: while accumulating gradients (with adjust_scheduler), so it is there to be added to.
    _step_count: int = 1

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        policy: LRPolicy | None,
        ctx: TrainContext,
        *,
        reduce_metric: str | Callable[[float], float] | None = None,
        schedules: Mapping[str, LRPolicy] | None = None,
        group_policies: Sequence[LRPolicy | None] | None = None,
    ):
        # LRScheduler.__init__ is not called, as torch's own ReduceLROnPlateau does not call it: it
        # would wrap optimizer.step, take a first step (moving the clock to update 1) and arm
        # warnings about the order of calls. The hook is this object itself, so that step() is the
        # hook's own, with no call in between.
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not a torch.optim.Optimizer")
        _refuse_counting_updates(policy, ctx)
        for index, group_policy in enumerate(group_policies or ()):  # each runs on the same clock
            _refuse_counting_updates(group_policy, ctx, f"group_policies[{index}]: ")
        for name, schedule in (schedules or {}).items():
            _refuse_counting_updates(schedule, ctx, f"schedules[{name!r}]: ")
        self.optimizer = optimizer
        # What the writers and the reducer are made from: a copy or a pickle makes its own, for its own optimizer.
        self._made_from = (schedules, group_policies, reduce_metric)
        LRHook.__init__(self, policy, ctx, _applier(optimizer, ctx, schedules, group_policies), reduce_metric=_reducer(reduce_metric))
        for group in optimizer.param_groups:  # as torch's schedulers leave it, for code that reads it
            group.setdefault("initial_lr", group["lr"])

    def __setattr__(self, name: str, value: object) -> None:
        # The writers (schedules, group_policies, added groups) read the context they were made
        # with: another one would move the LR and leave them behind. (Never on the per-update path.)
        if name == "ctx" and hasattr(self, "ctx"):
            raise AttributeError("LRPolicyScheduler's ctx cannot be replaced (its writers read the one it was made with): set the context's fields, or make a new scheduler")
        super().__setattr__(name, value)

    @property
    def policy(self) -> LRPolicy:
        return self._policy

    @policy.setter
    def policy(self, policy: LRPolicy | None) -> None:
        """Another policy for the rest of the run (see :attr:`LRHook.policy`), refused as the
        constructor refuses it when it counts updates and this scheduler steps once per epoch."""
        _refuse_counting_updates(policy, self.ctx)
        LRHook.policy.fset(self, policy)  # type: ignore[attr-defined]  # the hook's own setter

    def _step_given(self, metrics: object, epoch: object) -> float:
        if epoch is not None:
            raise TypeError("LRPolicyScheduler.step takes no epoch: the run's position is the hook's, restored with load_state_dict")
        return self.report_metric(metrics)  # type: ignore[arg-type]  # report_metric checks it

    def _step_in_unknown_epoch(self) -> float:
        return self.next_epoch()  # stepped once per epoch

    @property
    def last_epoch(self) -> int:
        """torch's count of ``step()`` calls: updates, or epochs without ``steps_per_epoch``."""
        ctx = self.ctx
        return ctx.epoch if ctx.steps_per_epoch is None else ctx.global_step

    @last_epoch.setter
    def last_epoch(self, value: int) -> None:
        # torch's SequentialLR rewinds its schedulers this way; the position is the hook's
        raise TypeError(f"LRPolicyScheduler's position cannot be set ({_NOT_NESTED})")

    @property
    def base_lrs(self) -> list[float]:  # type: ignore[override]
        """Each group's LR at lr0 (torch's ``base_lrs``): lr0 times its scale (a group added since
        the last step at the scale it is about to be adopted at)."""
        lr0, in_effect = self.ctx.initial_lr, self.ctx.current_lr
        return [lr0 * (group[SCALE_KEY] if SCALE_KEY in group else _joining_scale(group, in_effect or lr0, lr0)) for group in self.optimizer.param_groups]

    @property
    def _last_lr(self) -> list[float]:  # type: ignore[override]  # MONAI's LrScheduleHandler reads it directly
        return self.get_last_lr()

    def get_last_lr(self) -> list[float]:  # type: ignore[override]
        """Each group's LR now: the LR of the next update."""
        return [float(group["lr"]) for group in self.optimizer.param_groups]

    def get_lr(self) -> list[float]:  # type: ignore[override]
        return self.get_last_lr()

    def state_dict(self) -> dict:
        return {"lrpol": LRHook.state_dict(self)}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore :meth:`state_dict` output and apply the restored update's LR (all or nothing, as :meth:`LRHook.load_state_dict`)."""
        if not isinstance(state_dict, dict) or set(state_dict) != {"lrpol"}:
            raise ValueError("not an LRPolicyScheduler state: expected {'lrpol': <hook state>}")
        LRHook.load_state_dict(self, state_dict["lrpol"])

    # A copy or a pickle holds the hook's state and torch's attributes; its writers are made again,
    # for the copy's own optimizer (a function is copied as itself, still writing into the original's).
    def __getstate__(self) -> dict:
        return {**LRHook.__getstate__(self), "apply": None, "reduce_metric": None, "attributes": dict(vars(self))}

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state["attributes"])
        schedules, group_policies, reduce_metric = self._made_from
        apply = _applier(self.optimizer, state["ctx"], schedules, group_policies)
        LRHook.__setstate__(self, {**state, "apply": apply, "reduce_metric": _reducer(reduce_metric)})

    def _initial_step(self) -> None:
        # torch's SequentialLR restarts its schedulers with this; it would move lrpol's clock
        raise TypeError(f"LRPolicyScheduler cannot be restarted ({_NOT_NESTED})")


def _refuse_counting_updates(policy: LRPolicy | None, ctx: TrainContext, where: str = "") -> None:
    """A ValueError when ``ctx`` has no steps_per_epoch (the scheduler steps once per epoch) and
    ``policy`` counts updates: its clock would never move."""
    counting = _counting_updates(policy) if ctx.steps_per_epoch is None else None
    if counting is not None:
        raise ValueError(
            f"{where}{counting} counts optimizer updates (unit 'step'), and without ctx.steps_per_epoch this scheduler steps once per epoch, so its LR would never move: "
            "give ctx.steps_per_epoch and step after each update, or use unit='epoch'"
        )


def _counting_updates(policy: LRPolicy | None) -> str | None:
    """The name of a policy in ``policy``'s tree whose clock is the update count, if any."""
    stack = [] if policy is None else [policy]
    while stack:
        node = stack.pop()
        if getattr(node, "unit", None) == "step" and getattr(node, "uses_position", True):  # a constant reads no clock
            return type(node).__name__
        stack.extend(child for _, child in node.children())
    return None


#: Why torch's SequentialLR cannot hold an LRPolicyScheduler, and what to do instead.
_NOT_NESTED = "it cannot be nested in torch's SequentialLR: compose policies in lrpol (Sequential, Warmup, Product); a resumed run's position comes from load_state_dict"


def _all_of(writers: list[Callable[[float], None]]) -> Callable[[float], None]:
    def apply(lr: float) -> None:
        for write in writers:
            write(lr)

    return apply


def _hyperparameter_writer(optimizer: torch.optim.Optimizer, name: str, schedule: LRPolicy, ctx: TrainContext, groups: set[int] | None = None) -> Callable[[float], None]:
    """A writer that, whenever the LR is applied, sets ``name`` in every group (or in ``groups``)
    to ``schedule``'s value at ``ctx``'s update, from the group's own initial value."""
    key, initial_key = _group_key(optimizer, name), f"lrpol_initial_{name}"
    # What to write, worked out when the run's shape or the optimizer's groups change (load_state_dict
    # replaces them): each group with its value's function, one function per distinct initial value.
    plan: list[tuple[dict, Callable[[RunView], float]]] = []
    planned_for: tuple = (None, None, None, -1)

    def replan() -> None:
        nonlocal plan, planned_for
        functions: dict[float, Callable[[RunView], float]] = {}
        plan = []
        for index, group in enumerate(optimizer.param_groups):
            if groups is None or index in groups:
                # Its value when first seen (when attached, or added since), kept in the group to resume from.
                initial = group.setdefault(initial_key, float(group[key][0] if key == "betas" else group[key]))
                if initial not in functions:
                    functions[initial] = value_function(schedule, ctx, initial, name)
                plan.append((group, functions[initial]))
        planned_for = (optimizer.param_groups, ctx.total_epochs, ctx.steps_per_epoch, len(optimizer.param_groups))

    def apply(lr: float) -> None:
        param_groups, epochs, steps_per_epoch, count = planned_for
        if optimizer.param_groups is not param_groups or ctx.total_epochs is not epochs or ctx.steps_per_epoch is not steps_per_epoch or len(param_groups) != count:
            replan()
        for group, value_of in plan:
            if type(group[key]) is float:  # the common case first, without a call
                group[key] = value_of(ctx)
            else:
                _set(group, key, value_of(ctx))

    return apply


def _set(group: dict, key: str, value: float) -> None:
    """Write ``value`` as the group's ``key``: the first of ``betas``; a tensor in place."""
    current = group[key]
    if key == "betas":
        group[key] = (value, *current[1:])
    elif type(current) is not float and isinstance(current, torch.Tensor):  # float first: the fast, common case
        current.fill_(value)  # in place, so compiled graphs that captured it stay valid
    else:
        group[key] = value


def _group_key(optimizer: torch.optim.Optimizer, name: str) -> str:
    """The param-group key that holds ``name``: momentum is ``betas`` (its first) for Adam and its kin."""
    if name == "momentum" and "betas" in optimizer.defaults:
        return "betas"
    if name not in optimizer.defaults:
        known = sorted(key for key, value in optimizer.defaults.items() if isinstance(value, (int, float)) and not isinstance(value, bool) and key != "lr")
        raise ValueError(f"{type(optimizer).__name__} has no hyperparameter {name!r} to schedule; it has {known}")
    return name


def _writer(optimizer: torch.optim.Optimizer, skipped: set[int], lr0: float, in_effect: float) -> Callable[[float], None]:
    """The LR writer: every group (but the ``skipped``, which run policies of their own) at its scale.
    ``in_effect`` is the LR last written (for a group added since, see _adopt_added_groups)."""
    if skipped:

        def apply_some(lr: float) -> None:
            nonlocal in_effect
            _adopt_added_groups(optimizer, in_effect, lr0)
            for index, group in enumerate(optimizer.param_groups):
                if index not in skipped:
                    _set(group, "lr", lr * group[SCALE_KEY])
            in_effect = lr

        return apply_some

    def apply(lr: float) -> None:
        nonlocal in_effect
        # param_groups is read on every call: optimizer.load_state_dict() replaces the group dicts.
        try:
            for group in optimizer.param_groups:
                value = lr * group[SCALE_KEY]
                current = group["lr"]
                if type(current) is not float and isinstance(current, torch.Tensor):  # float first: the fast, common case
                    current.fill_(value)  # in place, so compiled graphs that captured it stay valid
                else:
                    group["lr"] = value
        except KeyError:  # a group without a scale: added since (a try costs nothing until it catches)
            if not _adopt_added_groups(optimizer, in_effect, lr0):
                raise
            apply(lr)
        in_effect = lr

    return apply


def _adopt_added_groups(optimizer: torch.optim.Optimizer, in_effect: float, lr0: float) -> bool:
    """Give each group added with ``optimizer.add_param_group`` since the scales were set (as
    Lightning's finetuning callbacks do, unfreezing a backbone) a scale of its own: its LR's ratio
    to the LR in effect when it joined (to lr0 when that was 0), so that it follows the policy from
    there. Whether any was adopted."""
    added = [group for group in optimizer.param_groups if SCALE_KEY not in group]
    for group in added:
        group[SCALE_KEY] = _joining_scale(group, in_effect, lr0)
    return bool(added)


def _joining_scale(group: dict, in_effect: float, lr0: float) -> float:
    """The scale of a group that joins while ``in_effect`` is the LR: its LR's ratio to it (to lr0 when that is 0)."""
    return float(group["lr"]) / (in_effect or lr0)


def distributed_metric(op: str = "mean", group: ProcessGroup | None = None) -> Callable[[float], float]:
    """A ``reduce_metric`` that combines a validation result over ``torch.distributed`` ranks.

    ``op`` is "mean", "max" or "min". Every rank gathers every rank's value and combines
    the same list in rank order itself, so all ranks get the same bits, and a NaN (or an
    infinity) on any rank reaches all of them, for every ``op``: the hook then refuses it on
    every rank. (An all-reduce MAX or MIN on gloo would drop the NaN.) Without an
    initialised process group the value passes through unchanged, so the same script runs
    on one process.
    """
    if op not in _REDUCTIONS:
        raise ValueError(f"op must be one of {_REDUCTIONS}, got {op!r}")
    import torch.distributed as dist

    def reduce(value: float) -> float:
        if not (dist.is_available() and dist.is_initialized()):
            return value
        device = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend(group) == "nccl" else torch.device("cpu")
        mine = torch.tensor([value], dtype=torch.float64, device=device)
        gathered = [torch.empty_like(mine) for _ in range(dist.get_world_size(group))]
        dist.all_gather(gathered, mine, group=group)
        return _combined([tensor.item() for tensor in gathered], op)

    return reduce


def _combined(values: list[float], op: str) -> float:
    """The mean, max or min of the ranks' values; the first value that is not finite, if any.

    >>> _combined([0.5, 0.7], "mean"), _combined([0.5, 0.7], "max"), _combined([0.5, float("nan")], "min")
    (0.6, 0.7, nan)
    >>> _combined([0.5, float("inf"), float("nan")], "min")
    inf
    """
    for value in values:  # Python's max and min, too, would skip a NaN that is not first
        if not math.isfinite(value):
            return value
    if op == "mean":
        return sum(values) / len(values)
    return max(values) if op == "max" else min(values)


def _reducer(reduce_metric: str | Callable[[float], float] | None) -> Callable[[float], float] | None:
    if isinstance(reduce_metric, str):
        return distributed_metric(reduce_metric)
    return reduce_metric
