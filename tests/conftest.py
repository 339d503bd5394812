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
