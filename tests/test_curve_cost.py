"""curve(): memory depends on ``steps``, never on ``decay_freq``, ``steps_per_epoch`` or the
run's length, and the values stay those of the hook. Measured by peak allocation, not time."""

import copy
import dataclasses
import tracemalloc

import numpy as np
import pytest
from conftest import VALID_ENTRIES
from test_curve import hook_lrs

from lrpol import DecayOnStep, TrainContext, build, curve
from lrpol.arguments import MAX_INTEGER, arguments_of
from lrpol.clock import run_phase, within
from lrpol.registry import builtin

PEAK_LIMIT = 10 * 2**20  # 10 MiB for 10 updates; the old curves asked for 7.3 TiB and 74.5 GiB
STEPS = 10
METRICS = [0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4]


def _entries():
    """Every bundled valid entry, with each unit it can take, plus a decay every 10**12 updates."""
    cases = {"DecayOnStep.decay_freq=10**12": {"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": 10**12}}}
    for name, entry in VALID_ENTRIES.items():
        units = ("step", "epoch") if any(a.name == "unit" for a in arguments_of(builtin()[name])) else (None,)
        for unit in units:
            case = copy.deepcopy(entry)
            if unit is not None:
                case.setdefault("args", {})["unit"] = unit
            cases[f"{name}.{unit}"] = case
    cases["Warmup(OneCycle).epoch"] = {"name": "Warmup", "args": {"duration": 2, "unit": "epoch", "policy": {"name": "OneCycle"}}}
    cases["Sequential(Warmup(Plateau), LinearDecay)"] = {"name": "Sequential", "args": {
        "policies": [{"name": "Warmup", "args": {"duration": 3, "policy": VALID_ENTRIES["ReduceOnPlateau"]}}, {"name": "LinearDecay"}],
        "milestones": [6]}}
    return cases


ENTRIES = _entries()


def peak_bytes(run) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module", autouse=True)
def warm_numpy():
    curve(DecayOnStep(decay_ratio=0.5, decay_freq=2), TrainContext(initial_lr=0.1, total_epochs=1, steps_per_epoch=2))  # imports numpy outside the measurement


@pytest.mark.parametrize("entry", list(ENTRIES.values()), ids=list(ENTRIES))
@pytest.mark.parametrize("total_epochs, steps_per_epoch", [(3, 10**10), (MAX_INTEGER, 10**10), (MAX_INTEGER, MAX_INTEGER), (10**6, 1), (2, 3)])
def test_curve_memory_depends_on_steps_only_and_values_match_the_hook(entry, total_epochs, steps_per_epoch):
    policy = build(entry)
    metrics = METRICS if policy.reads_metric else None
    shape = {"initial_lr": 0.1, "total_epochs": total_epochs, "steps_per_epoch": steps_per_epoch}
    found = []
    assert peak_bytes(lambda: found.append(curve(policy, TrainContext(**shape), steps=STEPS, metrics=metrics))) < PEAK_LIMIT
    expected = hook_lrs(dataclasses.replace(policy), TrainContext(**shape), STEPS, metrics)
    np.testing.assert_allclose(found[0], expected, rtol=1e-12, atol=0)  # curve's promise: the hook's values within 1e-12


def test_decay_on_step_with_a_decay_every_10_to_the_12_updates():
    ctx = TrainContext(initial_lr=0.1, total_epochs=3, steps_per_epoch=10**10)
    assert curve(DecayOnStep(decay_ratio=0.5, decay_freq=10**12), ctx, steps=STEPS).tolist() == [0.1] * STEPS
    assert curve(DecayOnStep(decay_ratio=0.5, decay_freq=4), ctx, steps=STEPS).tolist() == [0.1] * 4 + [0.05] * 4 + [0.025] * 2


def test_a_per_epoch_curve_with_ten_billion_updates_per_epoch():
    ctx = TrainContext(initial_lr=1.0, total_epochs=4, steps_per_epoch=10**10)
    policy = build({"name": "ReducePoly", "args": {"poly_power": 1, "unit": "epoch"}})
    assert peak_bytes(lambda: curve(policy, ctx, steps=STEPS)) < PEAK_LIMIT
    assert curve(policy, ctx, steps=STEPS).tolist() == [1.0] * STEPS  # all in epoch 0


def test_a_plateau_curve_with_epochs_of_two_updates_reads_each_result_once():
    ctx = TrainContext(initial_lr=1.0, total_epochs=5, steps_per_epoch=2)
    policy = build({"name": "ReduceOnPlateau", "args": {"plateau_count_trigger": 1, "reduction_rate": 0.5}})
    assert curve(policy, ctx, steps=STEPS, metrics=[0.5, 0.5, 0.5, 0.6]).tolist() == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25]


def test_a_phase_is_computed_over_its_own_updates_only():
    # Sequential asks for each phase's part alone, so many phases cost O(steps), not O(phases * steps).
    ctx = TrainContext(initial_lr=1.0, total_epochs=100, steps_per_epoch=10)
    phase = within(run_phase(ctx), 90, 5, "epoch", 10)
    values = build({"name": "ReducePoly", "args": {"poly_power": 1}}).curve_in(ctx, phase, 900, 950, [], 0)
    assert phase.first_step == 900 and values.tolist() == [1.0] * 10 + [0.8] * 10 + [0.6] * 10 + [0.4] * 10 + [0.2] * 10


def test_a_sequential_of_many_phases_equals_the_hook():
    phases = [{"name": "ReducePoly", "args": {"poly_power": 1, "unit": "step"}}, {"name": "Constant", "args": {"factor": 0.5}}] * 100
    policy = build({"name": "Sequential", "args": {"policies": phases, "milestones": list(range(3, 600, 3)), "unit": "step"}})
    shape = {"initial_lr": 0.1, "total_epochs": 200, "steps_per_epoch": 3}
    found = []
    assert peak_bytes(lambda: found.append(curve(policy, TrainContext(**shape)))) < PEAK_LIMIT
    np.testing.assert_allclose(found[0], hook_lrs(dataclasses.replace(policy), TrainContext(**shape), 600), rtol=1e-12, atol=0)
    assert found[0][:6].tolist() == [0.1, 0.1 * 2 / 3, 0.1 / 3, 0.05, 0.05, 0.05]
