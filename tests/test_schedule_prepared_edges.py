"""Schedule.prepared beside user plugins: only a method under the name counts as the class writing its math."""

from dataclasses import dataclass
from typing import Any

import lrpol
from lrpol.arguments import arg
from lrpol.schedule import Schedule

CTX = lrpol.TrainContext(initial_lr=0.1, total_epochs=1, steps_per_epoch=4)
HALVED_EVERY_TWO_FROM_ONE = [0.05, 0.05, 0.025, 0.025]


@dataclass(frozen=True)
class HalvingArgument(Schedule):
    """A plugin whose argument is called ``prepared`` (declared with lrpol's ``arg``)."""

    prepared: bool = arg(default=False, doc="start already halved once")
    unit: str = "step"
    uses_length = False

    def formula(self, t: Any, total: Any, lr0: float, ops: Any) -> Any:
        return lr0 * 0.5 ** (t // 2 + (1 if self.prepared else 0))


@dataclass(frozen=True)
class HalvingAttribute(Schedule):
    """The same with a plain default."""

    prepared: bool = False
    unit: str = "step"
    uses_length = False

    def formula(self, t: Any, total: Any, lr0: float, ops: Any) -> Any:
        return lr0 * 0.5 ** (t // 2 + (1 if self.prepared else 0))


@dataclass(frozen=True)
class DoubledCosine(lrpol.ReduceCosine):
    """A formula over a built-in's closed form, with an argument called ``prepared`` as well."""

    prepared: bool = False

    def formula(self, t: Any, total: Any, lr0: float, ops: Any) -> Any:
        return 2.0 * super().formula(t, total, lr0, ops)


def _hook_lrs(policy: lrpol.LRPolicy) -> list[float]:
    lrs: list[float] = []
    hook = lrpol.LRHook(policy, lrpol.TrainContext(initial_lr=0.1, total_epochs=1, steps_per_epoch=4), lrs.append)
    for _ in range(3):
        hook.step()
    return lrs


def test_an_argument_named_prepared_is_the_plugins_argument_not_its_closed_form():
    for plugin in (HalvingArgument(prepared=True), HalvingAttribute(prepared=True)):
        assert [float(lr) for lr in lrpol.curve(plugin, CTX)] == _hook_lrs(plugin) == HALVED_EVERY_TWO_FROM_ONE


def test_a_formula_over_a_built_ins_closed_form_beside_such_an_argument():
    cosine = lrpol.ReduceCosine(unit="step")
    doubled = DoubledCosine(unit="step", prepared=True)
    expected = [2.0 * float(lr) for lr in lrpol.curve(cosine, CTX)]
    assert [float(lr) for lr in lrpol.curve(doubled, CTX)] == _hook_lrs(doubled) == expected


def test_the_scalar_minimum_and_maximum_are_the_builtins_object_for_object():
    import itertools
    import math

    from lrpol.schedule import SCALAR

    values = [0, 1, -1, 0.0, -0.0, 1.5, math.nan, math.inf, -math.inf, 2**60, 2**60 + 0.0]
    for a, b in itertools.product(values, repeat=2):
        for ours, builtin in ((SCALAR.minimum, min), (SCALAR.maximum, max)):
            assert ours(a, b) is builtin(a, b), (ours.__name__, a, b)  # the same object: NaN, -0.0 and int kept as they are
