"""A MONAI bundle's LRs through lrpol (load, load_run, preview, the hook) against MONAI itself:
MONAI's ConfigParser builds the bundle's lr_scheduler and its LrScheduleHandler from the same
file (the network swapped for one parameter), and an ignite engine runs them, the handler
stepping the scheduler per epoch or per iteration as the bundle says. Every update's LR is
compared within 1e-12 relative."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import ROOT, requires_extra
from parity import assert_matches, lrpol_lrs

from lrpol import TrainContext, load, load_run
from lrpol.cli import main

TRAIN = json.loads((ROOT / "tests" / "data" / "bundles" / "abdomen_ct_segresnet" / "configs" / "train.json").read_text())
HANDLER = ("train", "handlers", 0)
STEPS_PER_EPOCH = 3


def monai_lrs(path: Path, steps_per_epoch: int) -> list[float]:
    """The LR of every update of the bundle at ``path``, as MONAI runs it."""
    bundle = requires_extra("monai", "monai.bundle")
    engines = requires_extra("ignite", "ignite.engine")
    parser = bundle.ConfigParser()
    parser.read_config(str(path))
    parser["network"] = "$torch.nn.Linear(1, 1)"  # the parameters the optimizer updates: no model is built
    optimizer = parser.get_parsed_content("optimizer")
    handler = parser.get_parsed_content("train#handlers#0")
    assert handler.lr_scheduler.optimizer is optimizer
    lrs: list[float] = []
    engine = engines.Engine(lambda engine, batch: optimizer.step())
    engine.add_event_handler(engines.Events.ITERATION_STARTED, lambda engine: lrs.append(optimizer.param_groups[0]["lr"]))
    handler.attach(engine)
    engine.run(range(steps_per_epoch), max_epochs=parser.get_parsed_content("train#trainer#max_epochs"))
    return lrs


def bundle(tmp_path: Path, scheduler: dict, *, epoch_level: bool | None = None, train: dict | None = None, **top: object) -> Path:
    """The folder's train.json with another lr_scheduler (and top-level values, and values in
    ``train``), written out."""
    data = json.loads(json.dumps(TRAIN))
    data["lr_scheduler"] = scheduler
    data.update(top)
    data["train"].update(train or {})
    if epoch_level is not None:
        data["train"]["handlers"][0]["epoch_level"] = epoch_level
    path = tmp_path / "train.json"
    path.write_text(json.dumps(data, indent=4))
    return path


COSINE = TRAIN["lr_scheduler"]
STEP_PER_ITERATION = {"_target_": "torch.optim.lr_scheduler.StepLR", "optimizer": "@optimizer", "step_size": "@decay_every", "gamma": 0.5}
WARMUP_COSINE = {"_target_": "monai.optimizers.WarmupCosineSchedule", "optimizer": "@optimizer", "warmup_steps": "@warmup", "t_total": "@total_iterations", "end_lr": 1e-06, "warmup_multiplier": 0.1}
SEQUENTIAL = {
    "_target_": "torch.optim.lr_scheduler.SequentialLR", "optimizer": "@optimizer", "milestones": ["@warmup"],
    "schedulers": ["@warmup_scheduler", {"_target_": "torch.optim.lr_scheduler.CosineAnnealingLR", "optimizer": "@optimizer", "T_max": 40}],
}
MULTI_STEP = {"_target_": "torch.optim.lr_scheduler.MultiStepLR", "optimizer": "@optimizer", "milestones": "@train#milestones", "gamma": 0.3}
ONE_CYCLE = {"_target_": "torch.optim.lr_scheduler.OneCycleLR", "optimizer": "@optimizer", "max_lr": 0.01, "total_steps": "@total_iterations"}

CASES = {
    "the folder's cosine, per epoch": (COSINE, {}),
    "StepLR per iteration": (STEP_PER_ITERATION, {"epoch_level": False, "decay_every": 7}),
    "MONAI's WarmupCosineSchedule per iteration": (WARMUP_COSINE, {"epoch_level": False, "warmup": 30, "total_iterations": 450}),
    "SequentialLR of a referenced warmup and a cosine, per epoch": (
        SEQUENTIAL, {"warmup": 5, "warmup_scheduler": {"_target_": "torch.optim.lr_scheduler.LinearLR", "optimizer": "@optimizer", "start_factor": 0.1, "total_iters": "@warmup"}},
    ),
    "MultiStepLR with milestones through a reference, per epoch": (MULTI_STEP, {"train": {"milestones": [50, 120]}}),
    "OneCycleLR per iteration (lr0 is its max_lr)": (ONE_CYCLE, {"epoch_level": False, "total_iterations": 600}),
}


@pytest.mark.parametrize("scheduler, settings", CASES.values(), ids=CASES.keys())
def test_every_update_has_monais_lr(tmp_path, scheduler, settings):
    path = bundle(tmp_path, scheduler, **settings)
    theirs = monai_lrs(path, STEPS_PER_EPOCH)
    policy, ctx = load_run(path, steps_per_epoch=STEPS_PER_EPOCH)
    assert (ctx.total_epochs, len(theirs)) == (200, 200 * STEPS_PER_EPOCH)
    assert ctx.initial_lr == (0.01 if scheduler is ONE_CYCLE else 2e-4)
    assert policy is not None and policy == load(path)
    assert_matches(lrpol_lrs(policy, ctx), theirs, 1e-12)


def test_preview_shows_monais_lrs(tmp_path, capsys):
    path = bundle(tmp_path, WARMUP_COSINE, epoch_level=False, warmup=30, total_iterations=450)
    out = tmp_path / "lrs.csv"
    assert main(["preview", str(path), "--steps-per-epoch", str(STEPS_PER_EPOCH), "--csv", str(out)]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "lr0=0.0002 epochs=200 steps_per_epoch=3"
    with out.open() as rows:
        ours = [float(row["lr"]) for row in csv.DictReader(rows)]
    assert_matches(ours, monai_lrs(path, STEPS_PER_EPOCH), 1e-12)


def test_a_variable_overrides_the_id_it_names_as_monais_command_line_does(tmp_path):
    # python -m monai.bundle run --epochs 30: every @epochs, the trainer's max_epochs and T_max, reads 30
    path = bundle(tmp_path, COSINE)
    policy, ctx = load_run(path, steps_per_epoch=2, variables={"epochs": 30, "learning_rate": 0.001})
    assert (ctx.total_epochs, ctx.initial_lr) == (30, 0.001)
    data = json.loads(path.read_text())
    data["epochs"], data["learning_rate"] = 30, 0.001
    path.write_text(json.dumps(data))
    assert policy is not None
    assert_matches(lrpol_lrs(policy, ctx), monai_lrs(path, 2), 1e-12)


def test_the_trainers_own_max_epochs_is_the_runs_length(tmp_path):
    path = bundle(tmp_path, COSINE)
    data = json.loads(path.read_text())
    data["train"]["trainer"]["max_epochs"] = 12
    path.write_text(json.dumps(data))
    _, ctx = load_run(path, steps_per_epoch=1)
    assert ctx == TrainContext(initial_lr=2e-4, total_epochs=12, steps_per_epoch=1)
