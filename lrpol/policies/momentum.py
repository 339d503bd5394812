"""What the momentum schedules (CyclicMomentum, OneCycleMomentum) share: how their two levels are checked.

A momentum schedule is an ordinary policy evaluated with lr0 = v0, the optimizer's own momentum
(SGD ``momentum``, Adam ``betas[0]``): ``max_momentum=None`` stands for v0.
"""

from ..arguments import ArgumentError

MAX_MOMENTUM_DOC = "the momentum where the LR is lowest (null: the optimizer's own, v0)"


def check_momentum_levels(base_momentum: float, max_momentum: float | None) -> None:
    """Refuse a base above the max: momentum would then rise with the LR, the opposite of the
    cycle (with max_momentum None, v0 is known only at run time)."""
    if max_momentum is not None and base_momentum > max_momentum:
        raise ArgumentError(
            "base_momentum", f"must be <= max_momentum ({max_momentum}), got {base_momentum}",
            "momentum falls as the LR rises: base_momentum is the lower of the two", code="conflict",
        )
