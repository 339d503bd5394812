"""User code that tests import through ``path`` entries (tests/ is on sys.path under pytest)."""

import os
from dataclasses import dataclass

from lrpol import LRPolicy
from lrpol.arguments import arg
from lrpol.policies.poly import ReducePoly as Reexported  # noqa: F401  (defined outside this module)

system = os.system  # an allowed module re-exporting something dangerous


@dataclass(frozen=True)
class ScaledConstant(LRPolicy):
    """lr0 * factor, for every update."""

    factor: float = arg(doc="multiplier of lr0", gt=0)

    def evaluate(self, ctx):
        return ctx.initial_lr * self.factor


class Undeclared(LRPolicy):
    """A policy with a plain constructor and no declared arguments."""

    def __init__(self, scale):
        if not scale > 0:
            raise ValueError(f"scale must be > 0, got {scale}")
        self.scale = scale

    def evaluate(self, ctx):
        return ctx.initial_lr * self.scale
