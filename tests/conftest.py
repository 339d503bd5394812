"""Shared fixtures: one valid entry per policy, exactly what a config file would hold."""

import copy
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"

VALID_ENTRIES = {
    "DecayOnStep": {"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": 3}},
    "ReduceCosine": {"name": "ReduceCosine", "args": {"rate": 0.5}},
    "ReduceOnPlateau": {"name": "ReduceOnPlateau", "args": {"plateau_count_trigger": 2, "reduction_rate": 0.5}},
    "ReducePoly": {"name": "ReducePoly", "args": {"poly_power": 0.9}},
    "MultiStepDecay": {"name": "MultiStepDecay", "args": {"milestones": [30, 80], "gamma": 0.1}},
    "ExponentialDecay": {"name": "ExponentialDecay", "args": {"gamma": 0.99}},
    "Constant": {"name": "Constant", "args": {"factor": 0.5, "duration": 10}},
    "LinearDecay": {"name": "LinearDecay", "args": {"start_factor": 1.0, "end_factor": 0.1}},
    "CosineRestarts": {"name": "CosineRestarts", "args": {"period": 10, "period_mult": 2}},
    "OneCycle": {"name": "OneCycle", "args": {"pct_start": 0.25}},
    "Warmup": {"name": "Warmup", "args": {"duration": 100, "policy": {"name": "ReduceCosine", "args": {"unit": "step"}}}},
    "Sequential": {"name": "Sequential", "args": {"policies": [{"name": "Constant"}, {"name": "ReducePoly", "args": {"poly_power": 1}}], "milestones": [5], "unit": "epoch"}},
}


def valid_entry(name: str) -> dict:
    """A fresh copy, so a test can break one key without touching the others."""
    return copy.deepcopy(VALID_ENTRIES[name])


@pytest.fixture
def write(tmp_path):
    """write(name, text) -> path of a new file holding text."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


def assert_resumes_exactly(start, metrics, steps_per_epoch: int, total_steps: int) -> list:
    """Run a hook uninterrupted, then again with a JSON checkpoint at every step k: rebuilt by
    ``start()`` (which returns a new hook and the list its apply() appends to) and continued,
    the applied LRs must be identical (==). ``metrics[e]`` is reported after epoch e.
    Returns the uninterrupted run's LRs."""

    def drive(hook, until):
        while hook.ctx.global_step < until:
            hook.step()
            if hook.ctx.global_step % steps_per_epoch == 0:
                hook.report_metric(metrics[hook.ctx.global_step // steps_per_epoch - 1])

    hook, reference = start()
    drive(hook, total_steps)
    for k in range(total_steps):
        hook, before = start()
        drive(hook, k)
        saved = json.dumps(hook.state_dict())
        resumed, after = start()
        resumed.load_state_dict(json.loads(saved))
        drive(resumed, total_steps)
        # The resumed hook applies update 0's LR when built, then update k's when loaded.
        assert after[1] == before[-1], k
        assert before + after[2:] == reference, k
    return reference
