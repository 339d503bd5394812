"""Torch's schedulers as Clara 4 names them in ``train.lr_scheduler``, and the lrpol policy
that gives the same LRs: the one translation table.

Each class declares torch's own argument names, defaults and the values lrpol can follow,
so a config is checked (and typos get "did you mean") against what torch takes. ``native(unit)``
is the lrpol policy that equals the scheduler stepped once per ``unit``: per epoch, as Clara 4's
``LrScheduleHandler`` steps it by default, or per update (``"epoch_level": false``). The
README's "Coming from torch" table states each equality and the test that measures it.

``optimizer`` is the reference Clara resolves to the train optimizer; only ``"@optimizer"``
is accepted, since lrpol computes the LRs of that one optimizer. ``last_epoch`` must be torch's
-1 (a fresh start): a resumed run's position comes from its checkpoint, not the config.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, ClassVar

from .arguments import ArgumentError, Component, arg, check_fields
from .clock import UNITS
from .policies import (
    Constant,
    CosineRestarts,
    Cyclic,
    DecayOnStep,
    ExponentialDecay,
    LinearDecay,
    MultiStepDecay,
    OneCycle,
    Product,
    ReduceCosine,
    ReduceOnPlateau,
    ReducePoly,
    Sequential,
)
from .policy import LRPolicy

#: The only value of a scheduler's ``optimizer``: Clara's reference to the train optimizer.
OPTIMIZER_REFERENCE = "@optimizer"


@dataclass(frozen=True, kw_only=True)
class TorchScheduler(Component):
    """A torch scheduler entry; :meth:`native` is the lrpol policy with the same LRs."""

    optimizer: str = arg(default=OPTIMIZER_REFERENCE, choices=(OPTIMIZER_REFERENCE,), doc="the optimizer the scheduler drives: Clara's reference to the train optimizer")

    #: Why torch's SequentialLR cannot run this scheduler as a phase ("" when it can).
    not_a_phase: ClassVar[str] = ""
    #: Why it is no factor of torch's ChainedScheduler beside others ("" when it is): a chain
    #: applies each step to the LR the others have just set, a product only for schedulers
    #: whose step multiplies the LR.
    chain_refusal: ClassVar[str] = "its step sets the LR from its own formula instead of multiplying it, so in a chain the LRs are no product lrpol can give"

    def __post_init__(self) -> None:
        check_fields(self)

    def native(self, unit: str) -> LRPolicy:
        """The lrpol policy giving this scheduler's LRs when it is stepped once per ``unit``."""
        raise NotImplementedError

    def initial_lr(self, optimizer_lr: float | None) -> float | None:
        """lr0 of :meth:`native`: the optimizer's LR (None: unknown), unless the scheduler sets its own peak."""
        return optimizer_lr

    def not_a_factor(self) -> str:
        """Why it is no factor of a ChainedScheduler beside others ("" when it is)."""
        return self.chain_refusal

    def step_limit(self) -> StepLimit | None:
        """The most steps whose LRs lrpol gives as torch does, and why no more (None: no limit)."""
        return None

    def factor_limit(self) -> StepLimit | None:
        """As :meth:`step_limit`, as a factor of a ChainedScheduler."""
        return self.step_limit()


@dataclass(frozen=True)
class StepLimit:
    """The most steps a scheduler takes as torch runs it (``steps``), why no more (``reason``),
    what to change (``hint``), and the problem's code: "too-short" where torch refuses more
    steps, "not-supported" where lrpol cannot follow torch further."""

    steps: int
    reason: str
    hint: str
    code: str = "too-short"


@dataclass(frozen=True, kw_only=True)
class SteppedScheduler(TorchScheduler):
    """The arguments torch's ``LRScheduler`` subclasses share (``verbose`` is gone from torch 2.7 on)."""

    last_epoch: int = arg(default=-1, ge=-1, le=-1, doc="torch's -1, a fresh start (a resumed run's position comes from its checkpoint)")
    verbose: bool = arg(default=False, doc="torch's printing of each LR; no effect on the LRs")


def _check_unit(unit: str) -> str:
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, not {unit!r}")
    return unit


@dataclass(frozen=True, kw_only=True)
class StepLR(SteppedScheduler):
    """torch's StepLR: ``lr = lr0 * gamma ** floor(t / step_size)``, t the steps taken (epochs or
    updates, as the handler steps it). lrpol's :class:`~lrpol.policies.DecayOnStep`.

    >>> StepLR(step_size=30).native("epoch")
    DecayOnStep(decay_ratio=0.1, decay_freq=30, unit='epoch')
    """

    step_size: int = arg(doc="how many steps between two decays", ge=1)
    gamma: float = arg(default=0.1, gt=0, le=1, doc="factor applied to the LR at each decay")

    chain_refusal: ClassVar[str] = ""  # its step multiplies the LR by a factor

    def native(self, unit: str) -> LRPolicy:
        return DecayOnStep(decay_ratio=self.gamma, decay_freq=self.step_size, unit=_check_unit(unit))


@dataclass(frozen=True, kw_only=True)
class MultiStepLR(SteppedScheduler):
    """torch's MultiStepLR: ``lr = lr0 * gamma ** (milestones <= t)``, the count of milestones
    passed. lrpol's :class:`~lrpol.policies.MultiStepDecay`.

    >>> MultiStepLR(milestones=[30, 80], gamma=0.5).native("epoch")
    MultiStepDecay(milestones=(30, 80), gamma=0.5, unit='epoch')
    """

    milestones: tuple[int, ...] = arg(doc="the steps at which the LR is multiplied by gamma", ge=1, min_items=1, increasing=True)
    gamma: float = arg(default=0.1, gt=0, le=1, doc="factor applied to the LR at each milestone")

    chain_refusal: ClassVar[str] = ""  # its step multiplies the LR by a factor

    def native(self, unit: str) -> LRPolicy:
        return MultiStepDecay(milestones=self.milestones, gamma=self.gamma, unit=_check_unit(unit))


@dataclass(frozen=True, kw_only=True)
class ExponentialLR(SteppedScheduler):
    """torch's ExponentialLR: ``lr = lr0 * gamma ** t``. lrpol's :class:`~lrpol.policies.ExponentialDecay`.

    >>> ExponentialLR(gamma=0.95).native("step")
    ExponentialDecay(gamma=0.95)
    """

    gamma: float = arg(gt=0, doc="factor applied to the LR at every step")

    chain_refusal: ClassVar[str] = ""  # its step multiplies the LR by a factor

    def native(self, unit: str) -> LRPolicy:
        # torch lets a growing LR (gamma > 1) grow without a ceiling; lrpol's needs one, here the largest float
        return ExponentialDecay(gamma=self.gamma, unit=_check_unit(unit), max_lr=sys.float_info.max if self.gamma > 1 else None)


@dataclass(frozen=True, kw_only=True)
class ConstantLR(SteppedScheduler):
    """torch's ConstantLR: ``lr = lr0 * factor`` while ``t < total_iters``, then lr0.
    lrpol's :class:`~lrpol.policies.Constant` with a duration.

    >>> ConstantLR(factor=0.5, total_iters=3).native("epoch")
    Constant(factor=0.5, duration=3, unit='epoch')
    """

    factor: float = arg(default=1 / 3, gt=0, le=1, doc="fraction of the LR used until total_iters (not 0: torch divides by it there)")
    total_iters: int = arg(default=5, ge=1, doc="how many steps run at factor times the LR")

    chain_refusal: ClassVar[str] = ""  # its step multiplies the LR by a factor

    def native(self, unit: str) -> LRPolicy:
        return Constant(factor=self.factor, duration=self.total_iters, unit=_check_unit(unit))


@dataclass(frozen=True, kw_only=True)
class LinearLR(SteppedScheduler):
    """torch's LinearLR: ``lr = lr0 * (start_factor + (end_factor - start_factor) * min(t, total_iters)
    / total_iters)``, then held at ``lr0 * end_factor``. lrpol's :class:`~lrpol.policies.LinearDecay`.

    >>> LinearLR(start_factor=0.1, total_iters=10).native("step")
    LinearDecay(start_factor=0.1, end_factor=1.0, duration=10)
    """

    start_factor: float = arg(default=1 / 3, gt=0, le=1, doc="fraction of the LR at the first step")
    end_factor: float = arg(default=1.0, ge=0, le=1, doc="fraction of the LR from total_iters on")
    total_iters: int = arg(default=5, ge=1, doc="how many steps the line from start_factor to end_factor takes")

    chain_refusal: ClassVar[str] = ""  # its step multiplies the LR by a factor

    def native(self, unit: str) -> LRPolicy:
        return LinearDecay(start_factor=self.start_factor, end_factor=self.end_factor, duration=self.total_iters, unit=_check_unit(unit))


@dataclass(frozen=True, kw_only=True)
class PolynomialLR(SteppedScheduler):
    """torch's PolynomialLR: ``lr = lr0 * (1 - min(t, total_iters) / total_iters) ** power``: 0 from
    total_iters on. lrpol's :class:`~lrpol.policies.ReducePoly` over a horizon.

    >>> PolynomialLR(total_iters=100, power=2.0).native("step")
    ReducePoly(poly_power=2.0, unit='step', horizon=100)
    """

    total_iters: int = arg(default=5, ge=1, doc="how many steps the decay to 0 takes")
    power: float = arg(default=1.0, gt=0, doc="the polynomial's power")

    chain_refusal: ClassVar[str] = ""  # its step multiplies the LR by a factor

    def native(self, unit: str) -> LRPolicy:
        return ReducePoly(poly_power=self.power, horizon=self.total_iters, unit=_check_unit(unit))


@dataclass(frozen=True, kw_only=True)
class CosineAnnealingLR(SteppedScheduler):
    """torch's CosineAnnealingLR: ``lr = eta_min + (lr0 - eta_min) * (1 + cos(pi * t / T_max)) / 2``
    up to T_max; past it torch's recursion goes on and the LR rises back towards lr0 over the
    next T_max steps (a cosine of period 2 * T_max), which lrpol replays as torch computes it.
    lrpol's :class:`~lrpol.policies.ReduceCosine` with ``after="torch"``.

    >>> CosineAnnealingLR(T_max=50, eta_min=1e-6).native("epoch")
    ReduceCosine(min_lr=1e-06, horizon=50, after='torch')
    """

    T_max: int = arg(ge=1, doc="how many steps the half cosine down to eta_min takes; torch rises again after it")
    eta_min: float = arg(default=0.0, ge=0, doc="the LR at T_max")

    def not_a_factor(self) -> str:
        # Without a floor, its step multiplies the LR by a ratio of cosines, up to T_max
        return "" if self.eta_min == 0 else "with an eta_min its step adds to the LR instead of multiplying it, so in a chain the LRs are no product lrpol can give"

    def factor_limit(self) -> StepLimit | None:
        # The run's last step (after its last update) sets an LR nothing uses: T_max + 1 steps stay exact
        return StepLimit(self.T_max + 1, f"past T_max ({self.T_max}) torch's CosineAnnealingLR adds to the LR, so in a chain its LRs are no product lrpol can give", "make T_max at least the run's steps, or write the schedule with lrpol's policies", "not-supported")

    def native(self, unit: str) -> LRPolicy:
        # after="torch": torch's own recursion past T_max (the LR rises again), rounding included
        return ReduceCosine(horizon=self.T_max, min_lr=self.eta_min, after="torch", unit=_check_unit(unit))


@dataclass(frozen=True, kw_only=True)
class CosineAnnealingWarmRestarts(SteppedScheduler):
    """torch's CosineAnnealingWarmRestarts: ``lr = eta_min + (lr0 - eta_min) * (1 + cos(pi * t_cur /
    T_i)) / 2``, t_cur the steps since the last restart, periods ``T_i = T_0 * T_mult ** i``.
    lrpol's :class:`~lrpol.policies.CosineRestarts` with torch's arithmetic.

    >>> CosineAnnealingWarmRestarts(T_0=10, T_mult=2).native("epoch")
    CosineRestarts(period=10, period_mult=2.0, arithmetic='torch', unit='epoch')
    """

    T_0: int = arg(ge=1, doc="steps before the first restart")
    T_mult: int = arg(default=1, ge=1, doc="factor by which each period is longer than the one before")
    eta_min: float = arg(default=0.0, ge=0, doc="the LR at the end of each period")

    def native(self, unit: str) -> LRPolicy:
        return CosineRestarts(period=self.T_0, period_mult=self.T_mult, min_lr=self.eta_min, arithmetic="torch", unit=_check_unit(unit))


@dataclass(frozen=True, kw_only=True)
class OneCycleLR(SteppedScheduler):
    """torch's OneCycleLR: from ``max_lr / div_factor`` up to max_lr over the first ``pct_start``
    of the cycle's steps (cosine or linear), then down to ``max_lr / div_factor /
    final_div_factor`` at its last step (three_phase: back to the start first, then down). torch
    refuses a step past the cycle; lrpol holds the last LR. lr0 is max_lr, which torch sets on
    the optimizer. lrpol's :class:`~lrpol.policies.OneCycle` over a horizon.

    >>> OneCycleLR(max_lr=0.1, total_steps=1000).native("step")
    OneCycle(horizon=1000)
    """

    max_lr: float = arg(gt=0, doc="the peak LR (torch sets the optimizer's LR from it: max_lr / div_factor)")
    total_steps: int | None = arg(default=None, ge=1, doc="the cycle's length in steps; or give epochs and steps_per_epoch")
    epochs: int | None = arg(default=None, ge=1, doc="with steps_per_epoch, the cycle's length is their product")
    steps_per_epoch: int | None = arg(default=None, ge=1, doc="with epochs, the cycle's length is their product")
    pct_start: float = arg(default=0.3, ge=0, le=1, doc="fraction of the cycle spent rising to max_lr")
    anneal_strategy: str = arg(default="cos", choices=("cos", "linear"), doc="the shape of the rise and the fall")
    cycle_momentum: bool = arg(default=True, doc="whether torch also cycles the momentum (lrpol's OneCycleMomentum); no effect on the LRs")
    base_momentum: float = arg(default=0.85, ge=0, doc="the momentum at the peak LR; no effect on the LRs")
    max_momentum: float = arg(default=0.95, ge=0, doc="the momentum at the lowest LR; no effect on the LRs")
    div_factor: float = arg(default=25.0, ge=1, doc="the first LR is max_lr / div_factor")
    final_div_factor: float = arg(default=1e4, ge=1, doc="the last LR is the first / final_div_factor")
    three_phase: bool = arg(default=False, doc="whether a third phase anneals below the first LR")

    not_a_phase: ClassVar[str] = "it sets the optimizer's LR itself, from its own max_lr"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.total_steps is None and (self.epochs is None or self.steps_per_epoch is None):
            raise ArgumentError("total_steps", "OneCycleLR needs total_steps, or epochs and steps_per_epoch", code="missing-argument")
        # torch divides by each phase's length, in float, as it computes them: a phase of length 0 fails there
        rise = float(self.pct_start * self.cycle_length) - 1
        ends = [0.0, rise, 2 * rise, float(self.cycle_length - 1)] if self.three_phase else [0.0, rise, float(self.cycle_length - 1)]
        if any(end == begin for begin, end in pairwise(ends)):
            raise ArgumentError("pct_start", f"pct_start {self.pct_start!r} over {self.cycle_length} steps gives a phase of no steps, which torch divides by", "change pct_start or the cycle's length")

    def step_limit(self) -> StepLimit | None:
        # torch raises on the step after the last of its cycle
        return StepLimit(self.cycle_length, f"torch's OneCycleLR refuses to be stepped more than {self.cycle_length} times", "make the cycle as long as the run's steps")

    @property
    def cycle_length(self) -> int:
        if self.total_steps is not None:  # torch ignores epochs and steps_per_epoch then
            return self.total_steps
        assert self.epochs is not None and self.steps_per_epoch is not None  # checked at construction
        return self.epochs * self.steps_per_epoch

    def native(self, unit: str) -> LRPolicy:
        return OneCycle(
            pct_start=self.pct_start, anneal=self.anneal_strategy, three_phase=self.three_phase, unit=_check_unit(unit),
            horizon=self.cycle_length, div_factor=self.div_factor, final_div_factor=self.final_div_factor,
        )

    def initial_lr(self, optimizer_lr: float | None) -> float | None:
        return self.max_lr


@dataclass(frozen=True, kw_only=True)
class CyclicLR(SteppedScheduler):
    """torch's CyclicLR: a triangle from base_lr up to max_lr in ``step_size_up`` steps and back in
    ``step_size_down``; triangular2 halves the height every cycle, exp_range scales it by
    ``gamma ** t``. lr0 is max_lr. lrpol's :class:`~lrpol.policies.Cyclic` with ``min_lr`` base_lr.

    >>> CyclicLR(base_lr=0.001, max_lr=0.01, step_size_up=4).native("step")
    Cyclic(step_size_up=4, min_lr=0.001)
    """

    base_lr: float = arg(ge=0, doc="the LR at the bottom of each cycle (torch sets the optimizer's LR to it)")
    max_lr: float = arg(gt=0, doc="the LR at the top of each cycle")
    step_size_up: int = arg(default=2000, ge=1, doc="steps in the rising half of a cycle")
    step_size_down: int | None = arg(default=None, ge=1, doc="steps in the falling half; null: step_size_up")
    mode: str = arg(default="triangular", choices=("triangular", "triangular2", "exp_range"), doc="how the amplitude changes from cycle to cycle")
    gamma: float = arg(default=1.0, gt=0, le=1, doc="exp_range's factor per step")
    scale_mode: str = arg(default="cycle", choices=("cycle",), doc="torch's 'cycle'; 'iterations' goes with a scale_fn, which is code")
    cycle_momentum: bool = arg(default=True, doc="whether torch also cycles the momentum (lrpol's CyclicMomentum); no effect on the LRs")
    base_momentum: float = arg(default=0.8, ge=0, doc="the momentum at the top of each cycle; no effect on the LRs")
    max_momentum: float = arg(default=0.9, ge=0, doc="the momentum at the bottom of each cycle; no effect on the LRs")

    not_a_phase: ClassVar[str] = "it sets the optimizer's LR itself, from its own max_lr"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.base_lr > self.max_lr:
            raise ArgumentError("base_lr", f"base_lr ({self.base_lr!r}) is above max_lr ({self.max_lr!r})", "the cycle runs from base_lr up to max_lr")

    def native(self, unit: str) -> LRPolicy:
        # Cyclic refuses min_lr 0 as a likely slip; torch's base_lr 0 is said as min_lr_ratio 0
        floor = {"min_lr": self.base_lr} if self.base_lr > 0 else {"min_lr_ratio": 0.0}
        return Cyclic(step_size_up=self.step_size_up, step_size_down=self.step_size_down, mode=self.mode, gamma=self.gamma, unit=_check_unit(unit), **floor)

    def initial_lr(self, optimizer_lr: float | None) -> float | None:
        return self.max_lr


@dataclass(frozen=True, kw_only=True)
class ReduceLROnPlateau(TorchScheduler):
    """torch's ReduceLROnPlateau: the LR is multiplied by ``factor`` once ``patience + 1`` results in
    a row failed to beat the best by ``threshold`` (relative to the best, or absolute), then
    ``cooldown`` results are ignored; never below ``min_lr``, and a change smaller than ``eps`` is
    skipped. lrpol's :class:`~lrpol.policies.ReduceOnPlateau` with a trigger one higher than
    torch's patience and its ``rel_signed`` margin for torch's ``rel``.

    >>> ReduceLROnPlateau(patience=3, factor=0.5).native("epoch")
    ReduceOnPlateau(plateau_count_trigger=4, reduction_rate=0.5, mode='min', threshold=0.0001, threshold_mode='rel_signed', eps=1e-08)
    """

    mode: str = arg(default="min", choices=("min", "max"), doc="whether a lower or a higher validation result is better")
    factor: float = arg(default=0.1, gt=0, lt=1, doc="factor applied to the LR at each reduction")
    patience: int = arg(default=10, ge=0, doc="results without improvement tolerated before a reduction")
    threshold: float = arg(default=1e-4, ge=0, doc="how much better a result must be to count as an improvement")
    threshold_mode: str = arg(default="rel", choices=("rel", "abs"), doc="whether threshold is relative to the best result or absolute")
    cooldown: int = arg(default=0, ge=0, doc="results ignored after a reduction")
    min_lr: float = arg(default=0.0, ge=0, doc="the LR is never reduced below it")
    eps: float = arg(default=1e-8, ge=0, doc="a reduction smaller than this is skipped")
    verbose: bool = arg(default=False, doc="torch's printing of each reduction; no effect on the LRs")

    not_a_phase: ClassVar[str] = "torch steps it with validation results, not inside another scheduler"
    chain_refusal: ClassVar[str] = not_a_phase

    def native(self, unit: str) -> LRPolicy:
        _check_unit(unit)  # it moves on validation results, whatever the stepping
        return ReduceOnPlateau(
            plateau_count_trigger=self.patience + 1, reduction_rate=self.factor, mode=self.mode, threshold=self.threshold,
            threshold_mode={"rel": "rel_signed", "abs": "abs"}[self.threshold_mode], cooldown=self.cooldown, min_lr=self.min_lr, eps=self.eps,
        )


def _nested_native(schedulers: tuple[Any, ...], unit: str) -> tuple[LRPolicy, ...]:
    """The phases or factors as lrpol policies: a torch one translated, a native one as it is."""
    return tuple(item.native(unit) if isinstance(item, TorchScheduler) else item for item in schedulers)


def _check_nested(owner: str, schedulers: tuple[Any, ...], reason: Callable[[TorchScheduler], str]) -> None:
    """Refuse a nested torch scheduler whose LRs lrpol cannot give inside ``owner``, saying why."""
    for index, item in enumerate(schedulers):
        why = reason(item) if isinstance(item, TorchScheduler) else ""
        if why:
            raise ArgumentError("schedulers", f"{owner} cannot hold {type(item).__name__}: {why}", f"run {type(item).__name__} on its own, or write the schedule with lrpol's policies", code="not-supported", index=index)


@dataclass(frozen=True, kw_only=True)
class SequentialLR(SteppedScheduler):
    """torch's SequentialLR: ``schedulers[i]`` from ``milestones[i - 1]`` on, each counting its steps
    from 0 at its milestone. lrpol's :class:`~lrpol.policies.Sequential`; phases may be lrpol entries.

    >>> SequentialLR(schedulers=[LinearLR(start_factor=0.1, total_iters=5), ExponentialLR(gamma=0.9)], milestones=[5]).native("epoch")
    Sequential(policies=(LinearDecay(start_factor=0.1, end_factor=1.0, duration=5, unit='epoch'), ExponentialDecay(gamma=0.9, unit='epoch')), milestones=(5,), unit='epoch')
    """

    schedulers: tuple[Component, ...] = arg(doc="the phases, in order: scheduler (or lrpol policy) entries", min_items=1)
    milestones: tuple[int, ...] = arg(doc="the step at which each phase after the first starts", ge=1, increasing=True)

    # torch restarts a phase with step(0), which a SequentialLR or ChainedScheduler does not take
    not_a_phase: ClassVar[str] = "torch restarts each phase with step(0), which SequentialLR does not take (it raises)"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_nested("SequentialLR", self.schedulers, lambda item: item.not_a_phase)
        if len(self.milestones) != len(self.schedulers) - 1:
            raise ArgumentError("milestones", f"{len(self.schedulers)} scheduler(s) need {len(self.schedulers) - 1} milestone(s), got {len(self.milestones)}", "one milestone starts each scheduler after the first", code="conflict")

    def native(self, unit: str) -> LRPolicy:
        phases = _nested_native(self.schedulers, unit)
        return phases[0] if not self.milestones else Sequential(policies=phases, milestones=self.milestones, unit=_check_unit(unit))


@dataclass(frozen=True, kw_only=True)
class ChainedScheduler(TorchScheduler):
    """torch's ChainedScheduler: every scheduler stepped together, each step applied to the LR the
    others have set, which is the product of their factors when each step multiplies the LR
    (StepLR, MultiStepLR, ExponentialLR, ConstantLR, LinearLR, PolynomialLR, and CosineAnnealingLR
    without eta_min up to T_max). A chain holding any other with others is refused, and a run past
    its cosine's T_max too. lrpol's :class:`~lrpol.policies.Product`; factors may be lrpol entries.

    >>> ChainedScheduler(schedulers=[ConstantLR(factor=0.5, total_iters=2), ExponentialLR(gamma=0.9)]).native("step")
    Product(policies=(Constant(factor=0.5, duration=2), ExponentialDecay(gamma=0.9)))
    """

    schedulers: tuple[Component, ...] = arg(doc="the schedulers whose factors multiply: scheduler (or lrpol policy) entries", min_items=1)

    not_a_phase: ClassVar[str] = "torch restarts each phase with step(0), which ChainedScheduler does not take (it raises)"

    def __post_init__(self) -> None:
        super().__post_init__()
        # A chain steps each scheduler as it is (no restart): one alone is that scheduler, unless it
        # takes a validation result; beside others, only those whose step multiplies the LR.
        alone = len(self.schedulers) == 1
        _check_nested("ChainedScheduler", self.schedulers, lambda item: (ReduceLROnPlateau.chain_refusal if isinstance(item, ReduceLROnPlateau) else "") if alone else item.not_a_factor())

    def step_limit(self) -> StepLimit | None:
        nested = [item.factor_limit() if len(self.schedulers) > 1 else item.step_limit() for item in self.schedulers if isinstance(item, TorchScheduler)]
        return min((limit for limit in nested if limit is not None), key=lambda limit: limit.steps, default=None)

    def native(self, unit: str) -> LRPolicy:
        factors = _nested_native(self.schedulers, unit)
        return factors[0] if len(factors) == 1 else Product(policies=factors)


#: Every torch scheduler lrpol reads, by the name Clara 4 gives it.
TORCH_SCHEDULERS: dict[str, type[TorchScheduler]] = {
    cls.__name__: cls
    for cls in (
        StepLR, MultiStepLR, ExponentialLR, ConstantLR, LinearLR, PolynomialLR, CosineAnnealingLR,
        CosineAnnealingWarmRestarts, OneCycleLR, CyclicLR, ReduceLROnPlateau, SequentialLR, ChainedScheduler,
    )
}
