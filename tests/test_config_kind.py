"""What a document is (a train config, a bare entry, or not an LR config), and a Clara 3 train
config without lr_policy, which trains at a constant lr0."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

import lrpol
from lrpol.cli import main
from lrpol.config_kind import ENTRY, NOT_LR_CONFIG, TRAIN_CONFIG, Kind, kind_of
from lrpol.schema import TRAIN_CONFIG as TRAIN_CONFIG_SCHEMA
from lrpol.schema import generate

#: A Clara 3 train config without lr_policy, shaped like the public MMARs' (a few keys cut).
CONSTANT_TRAIN_CONFIG = {
    "epochs": 4,
    "num_training_epoch_per_valid": 2,
    "learning_rate": 2e-4,
    "multi_gpu": False,
    "train": {
        "loss": {"name": "Dice", "args": {"skip_ground_truth_channels": [0]}},
        "optimizer": {"name": "Adam"},
        "model": {"name": "SegAhnet", "args": {"num_classes": 2, "if_use_psp": False}},
        "pre_transforms": [{"name": "LoadNifti", "args": {"fields": ["image", "label"]}}],
        "image_pipeline": {"name": "SegmentationImagePipelineWithCache", "args": {"data_list_file_path": "{DATASET_JSON}", "output_batch_size": 10}},
    },
}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (CONSTANT_TRAIN_CONFIG, Kind(TRAIN_CONFIG, constant=True)),
        ({"train": {"lr_policy": {"name": "ReducePoly", "args": {"poly_power": 0.9}}}}, Kind(TRAIN_CONFIG)),
        ({"name": "ReducePoly", "args": {"poly_power": 0.9}, "$schema": "lr_policy.schema.json"}, Kind(ENTRY)),
        ({"path": "my_pkg.Policy", "disabled": True}, Kind(ENTRY)),
        ({"name": "ReducePoly", "arsg": {}}, Kind(ENTRY)),  # a typo of 'args' is reported, not skipped
        ({"name": "Spleen", "labels": {"0": "background"}, "training": []}, Kind(NOT_LR_CONFIG, "has 'name', but also keys a policy entry never has: 'labels', 'training'")),
        ({"name": "lrpol-ui", "version": "1.0.0", "scripts": {}, "dependencies": {}, "license": "MIT", "private": True}, Kind(NOT_LR_CONFIG, "has 'name', but also keys a policy entry never has: 'version', 'scripts', 'dependencies', 'license', 'private'")),
        ({"DATA_ROOT": "/workspace/data", "DATASET_JSON": "config/dataset_0.json", "MMAR_CKPT_DIR": "models"}, Kind(NOT_LR_CONFIG, "no 'train' mapping, and no 'name' or 'path' of a policy entry")),
        ({"train": ["a.nii.gz"]}, Kind(NOT_LR_CONFIG, "its 'train' is not a mapping")),
        ([{"name": "ReducePoly"}], Kind(NOT_LR_CONFIG, "not a mapping")),
    ],
)
def test_kind_of(data: object, expected: Kind) -> None:
    assert kind_of(data) == expected


def test_a_train_config_without_lr_policy_is_valid_and_loads_as_no_policy(tmp_path: Path) -> None:
    path = tmp_path / "config_train.json"
    path.write_text(json.dumps(CONSTANT_TRAIN_CONFIG))
    assert lrpol.validate(path) == []
    assert lrpol.load(path) is None
    policy, ctx = lrpol.load_run(path, steps_per_epoch=3)
    assert policy is None and (ctx.initial_lr, ctx.total_epochs, ctx.steps_per_epoch) == (2e-4, 4, 3)
    assert lrpol.load_schedules(path) == {} and lrpol.load_group_policies(path) == []


def test_its_run_settings_and_other_schedules_are_still_checked() -> None:
    config = {"epochs": 0, "train": {"momentum_policy": {"name": "OneCycleMomentum", "args": {"pct_strat": 0.3}}}}
    assert [(p.json_path, p.message, p.hint) for p in lrpol.validate(config)] == [
        ("$.epochs", "must be >= 1, got 0", ""),
        ("$.train.momentum_policy.args.pct_strat", "unknown argument for OneCycleMomentum", "did you mean 'pct_start'?"),
    ]


def test_the_train_config_schema_accepts_it_too() -> None:
    jsonschema.Draft202012Validator(generate()[TRAIN_CONFIG_SCHEMA]).validate(CONSTANT_TRAIN_CONFIG)


def test_preview_shows_a_flat_curve_at_lr0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config_train.json"
    path.write_text(json.dumps(CONSTANT_TRAIN_CONFIG))
    assert main(["preview", str(path), "--steps-per-epoch", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == [f"{path}: no lr_policy (the LR stays at lr0)", "lr0=0.0002 epochs=4 steps_per_epoch=5", " epoch        first lr         last lr"]
    assert [line.split() for line in lines[3:]] == [[str(epoch), "2.000000e-04", "2.000000e-04"] for epoch in range(4)] + [["after", "the", "run:", "2.000000e-04"]]


def test_what_is_not_an_lr_config_says_so_when_validated_directly() -> None:
    (problem,) = lrpol.validate({"name": "Spleen", "labels": {}, "numTraining": 41})
    assert (problem.json_path, problem.message) == ("$.train.lr_policy", "no policy entry at /train/lr_policy")
    assert problem.hint.startswith("this document is not a train config (has 'name', but also keys a policy entry never has: 'labels', 'numTraining'); expected a component entry")
    (problem,) = lrpol.validate({"train": 3})
    assert (problem.json_path, problem.code, problem.message) == ("$.train", "wrong-type", "expected the train section as an object, got an integer")


def test_diff_against_a_train_config_without_lr_policy_compares_with_a_flat_lr0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(CONSTANT_TRAIN_CONFIG))
    new.write_text(json.dumps({**CONSTANT_TRAIN_CONFIG, "train": {**CONSTANT_TRAIN_CONFIG["train"], "lr_policy": {"name": "ReducePoly", "args": {"poly_power": 1}}}}))
    assert main(["diff", str(old), str(new)]) == 1
    lines = capsys.readouterr().out.splitlines()
    # 4 epochs at lr0 2e-4 against ReducePoly(1): 2e-4, 1.5e-4, 1e-4, 5e-5; they part at epoch 1 (-25%), most at epoch 3 (-75%)
    assert lines[:5] == [
        f"old: {old}: no lr_policy (the LR stays at lr0)",
        f"new: {new}: ReducePoly(poly_power=1.0)",
        "run: lr0=0.0002 epochs=4 steps_per_epoch=1 (4 updates)",
        "the curves differ: first at update 1 (epoch 1): 2.000000e-04 -> 1.500000e-04",
        "largest relative difference: -75% at update 3 (epoch 3): 2.000000e-04 -> 5.000000e-05",
    ]
