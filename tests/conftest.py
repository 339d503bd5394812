"""Shared fixtures: one valid entry per policy, exactly what a config file would hold."""

import copy
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
