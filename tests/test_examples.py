"""The examples run, print one line per epoch, and train at the policy's LRs."""

import subprocess
import sys

import pytest
from conftest import CONFIGS, ROOT, requires_extra

from lrpol import TrainContext, curve, load


def run_example(script, *args):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script), *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    rows = [line.split() for line in lines[1:]]
    return lines[0], [(int(r[1]), float(r[3]), float(r[5]), float(r[7])) for r in rows]


def first_lr_of_each_epoch(config, lr0, epochs, steps_per_epoch):
    lrs = curve(load(config), TrainContext(initial_lr=lr0, total_epochs=epochs, steps_per_epoch=steps_per_epoch))
    return lrs[::steps_per_epoch].tolist()


def test_train_numpy_is_trainer_agnostic():
    config = CONFIGS / "reduce_cosine.yaml"
    header, rows = run_example("train_numpy.py", config, "--epochs", 8)
    assert header.endswith("ReduceCosine(), lr0=0.05, 8 epochs of 16 updates")
    assert [r[0] for r in rows] == list(range(8))
    assert [r[1] for r in rows] == pytest.approx(first_lr_of_each_epoch(config, 0.05, 8, 16), rel=1e-6)
    losses = [r[2] for r in rows]
    assert losses[-1] < 0.05 < losses[0]


def test_train_torch_from_an_mmar_config():
    requires_extra("torch")
    config = CONFIGS / "reduce_poly.json"
    header, rows = run_example("train_torch.py", config, "--epochs", 6)
    assert header.endswith("ReducePoly(poly_power=0.9), lr0=0.0002, 6 epochs of 12 updates")
    assert [r[1] for r in rows] == pytest.approx(first_lr_of_each_epoch(config, 2e-4, 6, 12), rel=1e-6)
    losses = [r[2] for r in rows]
    assert losses[-1] < losses[0]


def test_train_torch_with_plateau_reads_the_validation_score():
    requires_extra("torch")
    _, rows = run_example("train_torch.py", CONFIGS / "reduce_on_plateau.yaml", "--epochs", 6)
    lrs = [r[1] for r in rows]
    assert lrs[0] == 1e-3 and lrs == sorted(lrs, reverse=True)
    assert all(0 < r[3] < 1 for r in rows)


@pytest.mark.parametrize("script, extra", [("train_lightning.py", "lightning"), ("train_optax.py", "optax"), ("train_monai.py", "monai"), ("train_transformers.py", "transformers"), ("train_accelerate.py", "transformers")])
def test_the_framework_examples_train_at_the_policys_lrs(script, extra):
    requires_extra(extra)
    if script == "train_monai.py":
        requires_extra("ignite")
    config = CONFIGS / "reduce_poly.json"
    header, rows = run_example(script, config, "--epochs", 5)
    assert header.endswith("ReducePoly(poly_power=0.9), lr0=0.0002, 5 epochs of 12 updates")
    assert [r[0] for r in rows] == list(range(5))
    assert [r[1] for r in rows] == pytest.approx(first_lr_of_each_epoch(config, 2e-4, 5, 12), rel=1e-6)
    assert rows[-1][2] < rows[0][2]  # the loss falls (the tiny BERT's, slowly)
    _, plateau = run_example(script, CONFIGS / "reduce_on_plateau.yaml", "--epochs", 3)
    assert [r[1] for r in plateau] == [1e-3] * 3 and all(0 < r[3] < 1 for r in plateau)  # the results reach the policy; none reduces in 3
