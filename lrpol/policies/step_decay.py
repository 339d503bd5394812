"""DecayOnStep: multiply the LR by a fixed ratio every few updates."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..arguments import arg
from ..clock import UNITS
from ..registry import register
from ..schedule import Schedule


@register
@dataclass(frozen=True)
class DecayOnStep(Schedule):
    """Multiply the LR by ``decay_ratio`` every ``decay_freq`` optimizer updates (or epochs).

    Formula, with lr0 = ``ctx.initial_lr`` and t = ``ctx.global_step`` (``unit="step"``,
    Clara's) or ``ctx.epoch`` (``unit="epoch"``)::

        lr(t) = lr0 * decay_ratio ** floor(t / decay_freq)

    - Base: steps (optimizer updates), as in Clara; ``unit="epoch"`` counts epochs, the
      way MONAI and Clara 4 step torch's StepLR. Only t is read, so it works without
      ``steps_per_epoch``.
    - First decay: at t = ``decay_freq``; t = 0 .. decay_freq - 1 run at lr0.
    - End of the run: there is none; it keeps decaying for as long as it is stepped.
    - Same as torch ``StepLR(step_size=decay_freq, gamma=decay_ratio)`` stepped once per
      update (or per epoch, with ``unit="epoch"``).

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=0.1, total_epochs=1)
    >>> policy = DecayOnStep(decay_ratio=0.5, decay_freq=3)
    >>> [policy.evaluate(replace(ctx, global_step=s)) for s in range(8)]
    [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025]
    >>> per_epoch = DecayOnStep(decay_ratio=0.5, decay_freq=2, unit="epoch")
    >>> [per_epoch.evaluate(replace(ctx, epoch=e)) for e in range(5)]
    [0.1, 0.1, 0.05, 0.05, 0.025]
    """

    decay_ratio: float = arg(doc="factor applied to the LR at each decay", gt=0, le=1)
    decay_freq: int = arg(doc="how many t (updates, or epochs) between two decays", ge=1)
    unit: str = arg(default="step", choices=UNITS, doc="what t counts: 'step' (every update, Clara's) or 'epoch' (constant within an epoch)")

    uses_length = False

    def prepared(self, total: Any, lr0: float, ops: Any) -> Callable[[Any], Any]:
        ratio, every = self.decay_ratio, self.decay_freq
        return lambda t: lr0 * ratio ** (t // every)
