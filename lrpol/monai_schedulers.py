"""The schedulers a MONAI bundle's ``lr_scheduler`` names by ``_target_``, and the lrpol policy
that gives each one's LRs: torch's (by their import path) and MONAI's own ``WarmupCosineSchedule``.

``BUNDLE_SCHEDULERS`` is the one table of ``_target_`` strings lrpol reads. MONAI resolves a
bare class name among its own modules, so ``WarmupCosineSchedule`` alone names MONAI's; torch's
schedulers are always written with their module.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .arguments import arg
from .errors import Invalid
from .policies import Clip, CosineRestarts, LinearDecay, ReduceCosine, Sequential
from .policies.restarts import MAX_PERIODS
from .policy import LRPolicy
from .torch_schedulers import TORCH_SCHEDULERS, SteppedScheduler, TorchScheduler

#: MONAI's own cosine has half a wave over the run (Hugging Face's num_cycles).
_HALF_WAVE = 0.5


@dataclass(frozen=True, kw_only=True)
class WarmupCosineSchedule(SteppedScheduler):
    """MONAI's linear warmup then cosine: for t < W, lr0 * (m + (1 - m) * t / W); after it,
    max(end_lr, lr0 * max(0, (1 + cos(2 * pi * cycles * p)) / 2)) with p = (t - W) / max(1, T - W),
    which goes on past t_total as the cosine does. W is warmup_steps clipped into [0, t_total].
    lrpol's :class:`~lrpol.policies.Sequential`: the ramp (a :class:`~lrpol.policies.LinearDecay`
    to lr0), then a :class:`~lrpol.policies.Clip` of the cosine, whose floor end_lr MONAI applies
    after the warmup only.

    >>> WarmupCosineSchedule(warmup_steps=100, t_total=1000, end_lr=1e-6, warmup_multiplier=0.1).native("step")
    Sequential(policies=(LinearDecay(start_factor=0.1, end_factor=1.0, duration=100), Clip(policy=ReduceCosine(unit='step', horizon=900, after='continue'), min_lr=1e-06)), milestones=(100,))
    """

    warmup_steps: int = arg(ge=0, doc="steps of the linear warmup (MONAI clips it to t_total)")
    t_total: int = arg(ge=1, doc="the step at which the cosine reaches its end (cycles 0.5)")
    end_lr: float = arg(default=0.0, ge=0, doc="the LR is never below it after the warmup")
    cycles: float = arg(default=_HALF_WAVE, gt=0, le=MAX_PERIODS, doc="how many cosine waves after the warmup: 0.5 is half a wave, down to end_lr")
    warmup_multiplier: float = arg(default=0.0, ge=0, le=1, doc="the first LR of the warmup as a fraction of lr0")

    def native(self, unit: str) -> LRPolicy:
        warmup = min(self.warmup_steps, self.t_total)
        length = max(1, self.t_total - warmup)  # MONAI's max(1, ...) guards an empty cosine
        cosine: LRPolicy
        if self.cycles == _HALF_WAVE:  # past t_total MONAI's cosine rises again: after="continue"
            cosine = ReduceCosine(unit=unit, horizon=length, after="continue")
        else:
            # Whole waves of length / cycles, on and on: CosineRestarts holds its last LR past its
            # horizon, so the horizon is as many waves on as it may count.
            waves = max(1, int(MAX_PERIODS // self.cycles))
            cosine = CosineRestarts(periods=self.cycles * waves, wave="full", unit=unit, horizon=length * waves)
        decay = Clip(policy=cosine, min_lr=self.end_lr)
        if warmup == 0:
            return decay
        # MONAI's floor end_lr holds after the warmup only: the ramp is a phase of its own, to lr0
        ramp = LinearDecay(start_factor=self.warmup_multiplier, end_factor=1.0, duration=warmup, unit=unit)
        return Sequential(policies=(ramp, decay), milestones=(warmup,), unit=unit)


def _monai_names(cls: type[TorchScheduler]) -> dict[str, type[TorchScheduler]]:
    """The ``_target_`` strings that name one of MONAI's classes: its package, its module, bare."""
    name = cls.__name__
    return {f"monai.optimizers.{name}": cls, f"monai.optimizers.lr_scheduler.{name}": cls, name: cls}


#: Every ``_target_`` lrpol reads in a bundle's ``lr_scheduler``, and its scheduler class.
BUNDLE_SCHEDULERS: dict[str, type[TorchScheduler]] = {
    **{f"torch.optim.lr_scheduler.{name}": cls for name, cls in TORCH_SCHEDULERS.items()},
    **_monai_names(WarmupCosineSchedule),
}


def unknown_target(target: str) -> Invalid:
    """The refusal of a ``_target_`` not in :data:`BUNDLE_SCHEDULERS`: a near miss of a class
    lrpol reads (its name, or its module) gets that class; anything else is code lrpol does not run."""
    name = target.rsplit(".", 1)[-1]
    names = {known.rsplit(".", 1)[-1] for known in BUNDLE_SCHEDULERS}
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.8)
    if close:
        candidates = [known for known in BUNDLE_SCHEDULERS if known.rsplit(".", 1)[-1] == close[0]]
        best = difflib.get_close_matches(target, candidates, n=1, cutoff=0.0)[0]
        return Invalid(f"unknown scheduler {target!r}", f"did you mean {best!r}?", code="unknown-policy")
    return Invalid(
        f"lrpol does not know the scheduler {target!r}, so its LRs cannot be checked",
        "lrpol reads torch's schedulers (torch.optim.lr_scheduler.*) and MONAI's WarmupCosineSchedule (lrpol schema --bundle lists them); a class of the bundle's own would have to run",
        code="needs-code",
    )
