"""The ``_target_`` table of bundle schedulers, and MONAI's WarmupCosineSchedule as lrpol reads it:
every name leads where MONAI's own loader leads it, and the LRs equal MONAI's scheduler stepped
per update or per epoch, past t_total too, within 1e-12 relative."""

from __future__ import annotations

import importlib

import pytest
from conftest import requires_extra
from parity import assert_matches, lrpol_lrs, torch_lrs

from lrpol import TrainContext
from lrpol.monai_schedulers import BUNDLE_SCHEDULERS, WarmupCosineSchedule
from lrpol.torch_schedulers import TORCH_SCHEDULERS

LR0 = 0.1
UPDATES = 120  # past every t_total below: MONAI's cosine goes on after it


def test_the_table_names_every_torch_scheduler_by_its_import_path_and_monais_three_ways():
    assert {name: cls.__name__ for name, cls in BUNDLE_SCHEDULERS.items()} == {
        **{f"torch.optim.lr_scheduler.{name}": name for name in TORCH_SCHEDULERS},
        "monai.optimizers.WarmupCosineSchedule": "WarmupCosineSchedule",
        "monai.optimizers.lr_scheduler.WarmupCosineSchedule": "WarmupCosineSchedule",
        "WarmupCosineSchedule": "WarmupCosineSchedule",
    }


@pytest.mark.parametrize("target", sorted(BUNDLE_SCHEDULERS))
def test_each_target_is_the_class_monai_would_build(target):
    bundle = requires_extra("monai", "monai.bundle")
    module = bundle.ComponentLocator().get_component_module_name(target) if "." not in target else target.rsplit(".", 1)[0]
    found = getattr(importlib.import_module(module), target.rsplit(".", 1)[-1])
    assert found.__name__ == BUNDLE_SCHEDULERS[target].__name__
    assert found.__module__.split(".")[0] == ("monai" if "WarmupCosine" in target else "torch")


CASES = [
    # warmup_steps, t_total, end_lr, cycles, warmup_multiplier
    (10, 80, 0.0, 0.5, 0.0),
    (10, 80, 0.01, 0.5, 0.1),
    (0, 50, 0.0, 0.5, 0.0),
    (100, 80, 0.0, 0.5, 0.2),  # MONAI clips the warmup to t_total
    (80, 80, 0.0, 0.5, 0.0),
    (3, 30, 0.02, 0.5, 0.5),
    (7, 60, 0.01, 1.5, 0.1),
    (5, 40, 0.0, 3, 0.0),
    (4, 17, 2.0, 0.5, 0.0),  # end_lr above lr0: MONAI's floor holds after the warmup only
    (6, 30, 5.0, 1.5, 0.3),
]


@pytest.mark.parametrize("warmup, total, end_lr, cycles, multiplier", CASES)
def test_warmup_cosine_schedule_per_update(warmup, total, end_lr, cycles, multiplier):
    optimizers = requires_extra("monai", "monai.optimizers")
    theirs = torch_lrs(lambda o: optimizers.WarmupCosineSchedule(o, warmup_steps=warmup, t_total=total, end_lr=end_lr, cycles=cycles, warmup_multiplier=multiplier), UPDATES, LR0)
    policy = WarmupCosineSchedule(warmup_steps=warmup, t_total=total, end_lr=end_lr, cycles=cycles, warmup_multiplier=multiplier).native("step")
    assert_matches(lrpol_lrs(policy, TrainContext(initial_lr=LR0, total_epochs=UPDATES, steps_per_epoch=1)), theirs, 1e-12)


@pytest.mark.parametrize("warmup, total, end_lr, cycles, multiplier", CASES[1::3])
def test_warmup_cosine_schedule_per_epoch(warmup, total, end_lr, cycles, multiplier):
    optimizers = requires_extra("monai", "monai.optimizers")
    theirs = torch_lrs(lambda o: optimizers.WarmupCosineSchedule(o, warmup_steps=warmup, t_total=total, end_lr=end_lr, cycles=cycles, warmup_multiplier=multiplier), UPDATES, LR0)
    policy = WarmupCosineSchedule(warmup_steps=warmup, t_total=total, end_lr=end_lr, cycles=cycles, warmup_multiplier=multiplier).native("epoch")
    run = TrainContext(initial_lr=LR0, total_epochs=UPDATES, steps_per_epoch=4)
    assert_matches(lrpol_lrs(policy, run, UPDATES, per_epoch=True), theirs, 1e-12)


def test_warmup_cosine_schedule_refuses_what_monai_refuses():
    with pytest.raises(ValueError, match="warmup_multiplier"):
        WarmupCosineSchedule(warmup_steps=1, t_total=10, warmup_multiplier=1.5)
