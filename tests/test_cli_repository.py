"""`lrpol validate` and the pre-commit hook in a real repository: an MMAR folder holds one
train config among an environment file, a validation config, a datalist, a .git folder and a
virtual environment. Only LR configs are judged; the rest is skipped, counted, and listed
with --verbose."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from lrpol.cli import main

POLY = {"name": "ReducePoly", "args": {"poly_power": 0.9}}

#: config/config_train.json of a Clara 3 segmentation MMAR; the lr_policy is set per test.
TRAIN = {
    "epochs": 1240,
    "num_training_epoch_per_valid": 20,
    "learning_rate": 1e-4,
    "use_amp": False,
    "multi_gpu": False,
    "train": {
        "loss": {"name": "Dice"},
        "optimizer": {"name": "Adam"},
        "model": {"name": "SegAhnet", "args": {"num_classes": 2, "if_use_psp": False, "plane": "z", "final_activation": "softmax", "n_spatial_dim": 3}},
        "pre_transforms": [
            {"name": "LoadNifti", "args": {"fields": ["image", "label"]}},
            {"name": "ScaleByResolution", "args": {"fields": ["image", "label"], "target_resolution": [1.0, 1.0, 1.0]}},
        ],
        "image_pipeline": {"name": "SegmentationImagePipelineWithCache", "args": {"data_list_file_path": "{DATASET_JSON}", "data_file_base_dir": "{DATA_ROOT}", "data_list_key": "training", "output_batch_size": 4}},
    },
    "validate": {
        "metrics": [{"name": "ComputeAverageDice", "args": {"name": "mean_dice", "is_key_metric": True, "field": "model", "label_field": "label"}}],
        "image_pipeline": {"name": "SegmentationImagePipeline", "args": {"data_list_file_path": "{DATASET_JSON}", "data_list_key": "validation"}},
        "inferer": {"name": "TFScanWindowInferer", "args": {"roi_size": [160, 160, 160]}},
    },
}

ENVIRONMENT = {"DATA_ROOT": "/workspace/data/Task09_Spleen", "DATASET_JSON": "config/dataset_0.json", "PROCESSING_TASK": "segmentation", "MMAR_EVAL_OUTPUT_PATH": "eval", "MMAR_CKPT_DIR": "models", "MMAR_CKPT": "models/model.ckpt"}

VALIDATION = {
    "batch_size": 1,
    "pre_transforms": [{"name": "LoadNifti", "args": {"fields": ["image", "label"]}}],
    "val_metrics": [{"name": "ComputeAverageDice", "args": {"name": "mean_dice", "is_key_metric": True, "field": "model", "label_field": "label"}}],
    "inferer": {"name": "TFScanWindowInferer", "args": {"roi_size": [160, 160, 160]}},
    "model_loader": {"name": "FrozenGraphModelLoader", "args": {"model_file_path": "{MMAR_CKPT_DIR}/model.trt.pb"}},
}

#: A Medical Segmentation Decathlon datalist: its top-level name is the task's, not a policy's.
DATALIST = {
    "name": "Spleen",
    "description": "Spleen Segmentation",
    "labels": {"0": "background", "1": "spleen"},
    "licence": "CC-BY-SA 4.0",
    "modality": {"0": "CT"},
    "numTraining": 2,
    "tensorImageSize": "3D",
    "training": [{"image": "imagesTr/spleen_19.nii.gz", "label": "labelsTr/spleen_19.nii.gz"}],
    "validation": [{"image": "imagesTr/spleen_31.nii.gz", "label": "labelsTr/spleen_31.nii.gz"}],
}

BROKEN = '{"name": "ReducePloy", '  # what a walk must never reach

SKIPPED_REASONS = [
    "config/config_validation.json: skipped, not an LR config: no 'train' mapping, and no 'name' or 'path' of a policy entry",
    "config/dataset_0.json: skipped, not an LR config: has 'name', but also keys a policy entry never has: 'description', 'labels', 'licence', 'modality', 'numTraining', ...",
    "config/environment.json: skipped, not an LR config: no 'train' mapping, and no 'name' or 'path' of a policy entry",
]


def write_mmar(root: Path, lr_policy: dict | None) -> Path:
    """An MMAR at ``root``: its config folder, with ``lr_policy`` in the train config (none
    when None), and folders a walk must not enter, each holding broken JSON."""
    train = json.loads(json.dumps(TRAIN))
    if lr_policy is not None:
        train["train"]["lr_policy"] = lr_policy
    files = {
        "config/config_train.json": json.dumps(train, indent=4),
        "config/environment.json": json.dumps(ENVIRONMENT, indent=4),
        "config/config_validation.json": json.dumps(VALIDATION, indent=4),
        "config/dataset_0.json": json.dumps(DATALIST, indent=4),
        "commands/README.md": "bash train.sh\n",
        ".git/config.json": BROKEN,
        ".git/refs/config/x.json": BROKEN,
        ".venv/pyvenv.cfg": "home = /usr/bin\nversion = 3.11.4\n",
        ".venv/lib/python3.11/site-packages/pkg/config/settings.json": BROKEN,
        "venv-clara/pyvenv.cfg": "home = /usr/bin\n",  # a virtual environment by its marker, whatever its name
        "venv-clara/lib/pkg/config.yaml": "name: [",
        "build/lib/config/config_train.json": BROKEN,
        "dist/config.json": BROKEN,
        "node_modules/editor/package.json": BROKEN,
        "config/__pycache__/x.json": BROKEN,
        ".idea/misc.json": BROKEN,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def validate_in(cwd: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], list[str]]:
    """``lrpol validate ARGS`` run from ``cwd``: (exit code, stdout lines, stderr lines)."""
    before = os.getcwd()
    os.chdir(cwd)
    try:
        code = main(["validate", *args])
    finally:
        os.chdir(before)
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


@pytest.mark.parametrize("lr_policy", [POLY, None], ids=["with-lr_policy", "without-lr_policy"])
def test_a_valid_mmar_passes_and_only_its_train_config_is_checked(tmp_path: Path, lr_policy: dict | None, capsys: pytest.CaptureFixture[str]) -> None:
    write_mmar(tmp_path, lr_policy)
    assert validate_in(tmp_path, ".", capsys=capsys) == (0, [], ["1 file(s) checked, 0 with problems, 3 skipped (not LR configs)"])
    assert validate_in(tmp_path, "config", "--verbose", capsys=capsys) == (0, [], [*SKIPPED_REASONS, "1 file(s) checked, 0 with problems, 3 skipped (not LR configs)"])


def test_an_invalid_train_config_fails_naming_only_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_mmar(tmp_path, {"name": "ReducePloy", "args": {"poly_power": 0.9}})
    code, out, err = validate_in(tmp_path, ".", capsys=capsys)
    assert (code, out, err) == (1, ["./config/config_train.json:59:21: $.train.lr_policy.name: unknown policy 'ReducePloy'; did you mean 'ReducePoly'?"], ["1 file(s) checked, 1 with problems, 3 skipped (not LR configs)"])
    assert (tmp_path / "config/config_train.json").read_text().splitlines()[58][20:] == '"ReducePloy",'  # 59:21 is the name's value


def test_require_makes_no_lr_config_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_mmar(tmp_path, POLY)
    (tmp_path / "config/config_train.json").unlink()
    assert validate_in(tmp_path, "config", capsys=capsys) == (0, [], ["0 file(s) checked, 0 with problems, 3 skipped (not LR configs)", "lrpol validate: no LR config found (--require makes this an error)"])
    assert validate_in(tmp_path, "config", "--require", capsys=capsys) == (1, [], ["0 file(s) checked, 0 with problems, 3 skipped (not LR configs)", "lrpol validate: no LR config found"])
    (tmp_path / "empty").mkdir()
    assert validate_in(tmp_path, "empty", "--require", capsys=capsys) == (1, [], ["0 file(s) checked, 0 with problems", "lrpol validate: no LR config found"])
    write_mmar(tmp_path, POLY)
    assert validate_in(tmp_path, ".", "--require", capsys=capsys)[0] == 0


def test_exclude_leaves_out_files_and_folders_by_name_or_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_mmar(tmp_path, POLY)
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy/config_train.json").write_text(json.dumps({"train": {"lr_policy": {"name": "NoSuchPolicy"}}}))
    assert validate_in(tmp_path, ".", capsys=capsys)[0] == 1
    done = ["1 file(s) checked, 0 with problems, 3 skipped (not LR configs)"]
    assert validate_in(tmp_path, ".", "--exclude", "legacy", capsys=capsys) == (0, [], done)  # a folder, by name
    assert validate_in(tmp_path, ".", "--exclude", "legacy/*", capsys=capsys) == (0, [], done)  # files, by path from the folder walked
    assert validate_in(tmp_path, ".", "--exclude", "legacy", "--exclude", "dataset_*.json", capsys=capsys) == (0, [], ["1 file(s) checked, 0 with problems, 2 skipped (not LR configs)"])
    named = validate_in(tmp_path, "legacy/config_train.json", "config/config_train.json", "--exclude", "legacy/*", capsys=capsys)
    assert named == (0, [], ["1 file(s) checked, 0 with problems"])  # named files too


def test_named_files_that_are_not_lr_configs_are_skipped_unless_a_pointer_says_where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_mmar(tmp_path, POLY)
    env, train = "config/environment.json", "config/config_train.json"
    assert validate_in(tmp_path, env, train, "--verbose", capsys=capsys) == (0, [], [SKIPPED_REASONS[2], "1 file(s) checked, 0 with problems, 1 skipped (not LR configs)"])
    # With --pointer a named file is judged whatever it holds; a file a walk finds, when the pointer finds something.
    assert validate_in(tmp_path, env, "--pointer", "/train/lr_policy", capsys=capsys) == (1, ["config/environment.json:1:1: $.train.lr_policy: no policy entry at /train/lr_policy; expected a component entry ({'name': ..., 'args': ...}) or a train config (an object with a 'train' object)"], ["1 file(s) checked, 1 with problems"])
    walked = validate_in(tmp_path, "config", "--pointer", "/train/lr_policy", "--verbose", capsys=capsys)
    assert walked == (0, [], [*(line.split(": skipped")[0] + ": skipped, nothing at /train/lr_policy" for line in SKIPPED_REASONS), "1 file(s) checked, 0 with problems, 3 skipped (not LR configs)"])


def test_an_entry_with_a_mistyped_key_is_judged_not_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "policy.json").write_text('{"name": "ReducePoly", "arsg": {"poly_power": 0.9}}')
    code, out, _ = validate_in(tmp_path, ".", capsys=capsys)
    assert (code, out[-1]) == (1, "./policy.json:1:24: $.arsg: unknown key 'arsg' in a policy entry; did you mean 'args'?")


def test_a_broken_file_is_judged_since_nothing_says_what_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config/broken.json").write_text(BROKEN)
    code, out, err = validate_in(tmp_path, "config", capsys=capsys)
    assert (code, len(out), err) == (1, 1, ["1 file(s) checked, 1 with problems"])
    assert out[0].startswith("config/broken.json:1:")


# -- the pre-commit hook ----------------------------------------------------------------------


def hook_run(repository: Path) -> subprocess.CompletedProcess[str]:
    """The hook as pre-commit runs it: its entry, with the tracked files its ``files`` pattern
    matches as arguments, from the repository. Tracked: config/ and commands/ (a .gitignore
    keeps the environments, build output and caches out)."""
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    tracked = sorted(str(path.relative_to(repository)) for path in repository.rglob("*") if path.is_file() and path.relative_to(repository).parts[0] in ("config", "commands") and "__pycache__" not in path.parts)
    files = [name for name in tracked if re.search(hook["files"], name)]
    assert "config/environment.json" in files and "config/dataset_0.json" in files  # the pattern alone lets them through
    command = shlex.split(hook["entry"])
    executable = shutil.which(command[0]) or os.path.join(sysconfig.get_path("scripts"), command[0])
    if not os.path.exists(executable):  # the suite runs from a checkout: the module is the command
        executable, command = sys.executable, [sys.executable, "-m", "lrpol", *command[1:]]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([executable, *command[1:], *files], cwd=repository, capture_output=True, text=True, timeout=120, env=env)


def test_the_pre_commit_hook_passes_a_valid_mmar_and_fails_naming_only_its_train_config(tmp_path: Path) -> None:
    for lr_policy in (POLY, None):
        write_mmar(tmp_path, lr_policy)
        result = hook_run(tmp_path)
        assert (result.returncode, result.stdout) == (0, "")
    write_mmar(tmp_path, {"name": "ReducePoly", "args": {"poly_powr": 0.9}})
    result = hook_run(tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "config/config_train.json:60:13: $.train.lr_policy.args.poly_power: missing required argument 'poly_power' for ReducePoly (a number > 0)",
        "config/config_train.json:61:17: $.train.lr_policy.args.poly_powr: unknown argument for ReducePoly; did you mean 'poly_power'?",
    ]


def test_a_folder_named_on_the_command_line_is_walked_even_when_a_walk_would_skip_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for folder in (".github/lrpol", "build"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "policy.yaml").write_text("name: ReducePoly\nargs: {poly_power: 0}\n")
        code, out, _ = validate_in(tmp_path, folder, capsys=capsys)
        assert (code, out) == (1, [f"{folder}/policy.yaml:2:20: $.args.poly_power: must be > 0, got 0"])


DUPLICATE_TRAIN = ('{"train": {"lr_policy": {"name": "ReducePoly"}},\n "train": 5}', [
    "dup.json:2:2: $.train: duplicate key 'train'; first defined at line 1:2",
    "dup.json:2:11: $.train: expected the train section as an object, got an integer; a train config holds its lr_policy in a 'train' object",
])
DUPLICATE_NAME = ("name: ReducePoly\nname: Spleen\nlabels: {}\n", [
    "dup.yaml:1:1: $.train.lr_policy: no policy entry at /train/lr_policy; this document is not a train config (has 'name', but also keys a policy entry never has: 'labels'); expected a component entry ({'name': ..., 'args': ...}) or a train config (an object with a 'train' object)",
    "dup.yaml:2:1: $.name: duplicate key 'name'; first defined at line 1:1",
])


@pytest.mark.parametrize(("name", "text", "lines"), [("dup.json", *DUPLICATE_TRAIN), ("dup.yaml", *DUPLICATE_NAME)])
def test_a_duplicate_key_that_decides_what_a_file_is_is_reported_not_skipped(tmp_path: Path, name: str, text: str, lines: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / name).write_text(text)
    assert validate_in(tmp_path, name, capsys=capsys) == (1, lines, ["1 file(s) checked, 1 with problems"])


def test_skipped_files_are_listed_on_stderr_so_machine_formats_stay_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_mmar(tmp_path, {"name": "ReducePloy"})
    code, out, err = validate_in(tmp_path, "config", "--format", "json", "--verbose", capsys=capsys)
    assert (code, [json.loads(line)["file"] for line in out]) == (1, ["config/config_train.json"])
    assert err == [*SKIPPED_REASONS, "1 file(s) checked, 1 with problems, 3 skipped (not LR configs)"]


def test_a_yaml_file_of_several_documents_is_skipped_in_a_walk_as_no_lr_config_is_one(tmp_path, capsys):
    (tmp_path / "deploy.yaml").write_text("apiVersion: v1\nkind: Service\n---\napiVersion: v1\nkind: Pod\n")
    (tmp_path / "config_train.json").write_text('{"epochs": 2, "learning_rate": 0.1, "train": {"lr_policy": {"name": "ReducePoly", "args": {"poly_power": 0.9}}}}')
    assert main(["validate", "--verbose", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert f"{tmp_path / 'deploy.yaml'}: skipped, not an LR config: a YAML file of several documents" in err
    assert "1 file(s) checked, 0 with problems, 1 skipped" in err
