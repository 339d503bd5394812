"""OneCycleMomentum: the momentum of the 1cycle policy, down while the LR goes up and back up after."""

from dataclasses import dataclass

from ..arguments import arg
from ..registry import register
from .momentum import MAX_MOMENTUM_DOC, check_momentum_levels
from .one_cycle import OneCycleShape


@register
@dataclass(frozen=True)
class OneCycleMomentum(OneCycleShape):
    """Anneal momentum against a OneCycle LR: down to base_momentum as the LR rises, then back up.

    A schedule for the optimizer's momentum (SGD ``momentum``, Adam ``betas[0]``), evaluated with
    lr0 = v0, that momentum's initial value. With m = ``max_momentum`` (v0 when None), b =
    ``base_momentum``, and t, T, p = pct_start and the anneal exactly as in ``OneCycle`` (same
    unit, horizon, pct_start, anneal and three_phase), the phases are (end e_i, from, to)::

        two phases (default):  (p * T - 1, m, b), (T - 1, b, m)
        three_phase=True:      (p * T - 1, m, b), (2 * p * T - 2, b, m), (T - 1, m, m)

    t belongs to the first phase i with t <= e_i (the last phase otherwise). With b_i its
    start (0 for the first phase, e_(i-1) after), and a, z its from and to momenta::

        x    = (t - b_i) / (e_i - b_i)
        v(t) = z + (a - z) / 2 * (cos(pi * x) + 1)     anneal="cos"
        v(t) = (z - a) * x + a                         anneal="linear"

    - Give it the pct_start, anneal, three_phase, unit and horizon of the LR's OneCycle, so that
      the two turn at the same updates: momentum is b where the LR peaks.
    - First update (t = 0): m (just above b when p * T < 1: t = 0 is then past the LR's peak). When
      p * T = 1 exactly (torch divides by zero there) the one-update first phase runs at m.
    - Last update (t = T - 1): m. With three phases, the last phase holds m throughout.
    - After the end (t >= T): the last update's momentum, held; torch computes one more value
      at t = T and raises after.
    - Same as the momentum torch ``OneCycleLR(..., total_steps=T, pct_start=p,
      anneal_strategy=anneal, three_phase=three_phase, cycle_momentum=True, base_momentum=b,
      max_momentum=m)`` writes to ``param_groups[i]["momentum"]`` (SGD) or ``["betas"][0]``
      (Adam), stepped once per update (or epoch), up to the end of the cycle. torch overwrites
      the optimizer's momentum with its ``max_momentum`` (default 0.95) when built; here
      ``max_momentum=None`` keeps the optimizer's own as m, so give ``max_momentum: 0.95`` for
      torch's default.

    >>> from dataclasses import replace
    >>> from lrpol import TrainContext
    >>> ctx = TrainContext(initial_lr=0.95, total_epochs=1, steps_per_epoch=5)  # initial_lr: the optimizer's momentum
    >>> policy = OneCycleMomentum(pct_start=0.4, anneal="linear")
    >>> [round(policy.evaluate(replace(ctx, global_step=s)), 12) for s in range(6)]
    [0.95, 0.85, 0.883333333333, 0.916666666667, 0.95, 0.95]
    """

    base_momentum: float = arg(default=0.85, ge=0, lt=1, doc="the momentum where the LR peaks")
    max_momentum: float | None = arg(default=None, ge=0, lt=1, doc=MAX_MOMENTUM_DOC)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_momentum_levels(self.base_momentum, self.max_momentum)

    def levels(self, lr0: float) -> tuple[float, float, float]:
        top = lr0 if self.max_momentum is None else self.max_momentum
        return top, self.base_momentum, top
