"""DecayOnStep: multiply the LR by a fixed ratio every few updates."""

from dataclasses import dataclass
from typing import Any

from ..arguments import arg
from ..registry import register
from ..schedule import Schedule


@register
@dataclass(frozen=True)
class DecayOnStep(Schedule):
    """Multiply the LR by ``decay_ratio`` every ``decay_freq`` optimizer updates.

    Formula, with lr0 = ``ctx.initial_lr`` and s = ``ctx.global_step``::

        lr(s) = lr0 * decay_ratio ** floor(s / decay_freq)

    - Base: steps (optimizer updates). It reads only ``global_step``, so it works
      without ``steps_per_epoch``.
    - First decay: at s = ``decay_freq``; updates 0 .. decay_freq - 1 run at lr0.
    - End of the run: there is none; it keeps decaying for as long as it is stepped.
    - Same as torch ``StepLR(step_size=decay_freq, gamma=decay_ratio)`` stepped once per update.

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=1)
    >>> policy = DecayOnStep(decay_ratio=0.5, decay_freq=3)
    >>> [policy.evaluate(replace(ctx, global_step=s)) for s in range(8)]
    [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025]
    """

    decay_ratio: float = arg(doc="factor applied to the LR at each decay", gt=0, le=1)
    decay_freq: int = arg(doc="optimizer updates between two decays", ge=1)

    uses_length = False

    def formula(self, t: Any, total: Any, lr0: float, ops: Any) -> Any:
        return lr0 * self.decay_ratio ** (t // self.decay_freq)
