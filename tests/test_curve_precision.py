"""curve() gives the hook's LRs where a formula magnifies a last-bit difference: a power computed
by numpy rather than by the C library, or a segment's position computed in floats rather than in
integers, differed by up to 1e-10 (relative) after a subtraction of nearly equal numbers."""

from __future__ import annotations

import numpy as np
import pytest

from lrpol import LRHook, PiecewiseInterpolate, ReduceCosine, TrainContext, WarmupStableDecay, curve
from lrpol.hook import drive


def assert_curve_is_the_hooks(policy, total_epochs: int = 1, steps_per_epoch: int = 1000) -> None:
    steps = total_epochs * steps_per_epoch + 3
    hook = LRHook(policy, TrainContext(initial_lr=0.1, total_epochs=total_epochs, steps_per_epoch=steps_per_epoch), lambda lr: None)
    stepped = [lr for _, lr in drive(hook, steps)]
    whole = curve(policy, TrainContext(initial_lr=0.1, total_epochs=total_epochs, steps_per_epoch=steps_per_epoch), steps=steps)
    np.testing.assert_allclose(whole, stepped, rtol=1e-12, atol=0)


@pytest.mark.parametrize(
    "policy",
    [
        WarmupStableDecay(decay_duration=900, decay_shape="exp", decay_ratio=0.999),  # (k ** x - k) / (1 - k)
        WarmupStableDecay(decay_duration=900, decay_shape="exp", decay_ratio=0.99, unit="epoch"),
        WarmupStableDecay(warmup_duration=0.1, decay_duration=0.5, decay_shape="power", decay_power=0.001),  # 1 - x ** k
        ReduceCosine(unit="step", rate=0.1, min_lr=1e6, exponent=0.3),  # a floor far above top: floor - (floor - top) * c ** p
    ],
    ids=repr,
)
def test_a_power_in_a_subtraction_of_near_equals_gives_the_hooks_lrs(policy):
    assert_curve_is_the_hooks(policy, *((1000, 1) if policy.unit == "epoch" else (1, 1000)))


def test_a_segment_longer_than_2_to_the_53_gives_the_hooks_lrs():
    # From -2**53 to 3 the segment is 2**53 + 3 long, not a float exactly: the hook divided
    # integers, the curve floats, and 1 - x near x = 1 made the two LRs 33% apart.
    policy = PiecewiseInterpolate(boundaries=[-(2**53), 3, 50], scales=[1.0, 0.0, 1.0])
    assert_curve_is_the_hooks(policy, total_epochs=1, steps_per_epoch=5)
