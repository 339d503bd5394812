"""Whole MMAR folders, as Clara Train 3 and 4 ship them, under tests/data/mmars/: `lrpol
validate` and the pre-commit hook judge only the train config among the validation config,
the AIAA config, the environment file and the Decathlon datalist; a broken train config is
named alone, at its lines; and ``load_run`` gives the run the config means: a Clara 3
policy's LRs as its formula gives them, a Clara 4 scheduler's as torch's own scheduler,
stepped as the LrScheduleHandler steps it, gives them.

The folders were written for these tests, shaped like NVIDIA's clara-train-examples MMARs:
``config/`` (config_train.json, config_validation.json, config_aiaa.json, environment.json,
dataset_0.json), ``commands/*.sh``, ``docs/`` and ``resources/log.config``; no ``models/``,
which training makes.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, requires_extra

import lrpol
from lrpol import ConfigError, ReducePoly, load, load_run, validate
from lrpol.cli import main

MMARS = ROOT / "tests" / "data" / "mmars"
HOOK = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))[0]

TRAIN = "config/config_train.json"
ENVIRONMENT = "config/environment.json"
NO_TRAIN = "not an LR config: no 'train' mapping, and no 'name' or 'path' of a policy entry"
DATALIST = "not an LR config: has 'name', but also keys a policy entry never has: 'description', 'reference', 'licence', 'release', 'tensorImageSize', ..."

#: Each folder's files that are not LR configs, and why each is skipped; its train config is the one file judged.
SKIPPED = {
    "clara3_spleen_automl": {"config/config_aiaa.json": NO_TRAIN, "config/config_validation.json": NO_TRAIN, "config/dataset_0.json": DATALIST, "config/environment.json": NO_TRAIN},
    "clara3_liver_constant": {"config/config_validation.json": NO_TRAIN, "config/dataset_0.json": DATALIST, "config/environment.json": NO_TRAIN},
    "clara3_spleen_broken": {"config/config_aiaa.json": NO_TRAIN, "config/config_validation.json": NO_TRAIN, "config/dataset_0.json": DATALIST, "config/environment.json": NO_TRAIN},
    "clara4_spleen_steplr": {"config/config_aiaa.json": NO_TRAIN, "config/config_validation.json": NO_TRAIN, "config/dataset_0.json": DATALIST, "config/environment.json": NO_TRAIN},
    "clara4_prostate_cosine": {"config/config_validation.json": NO_TRAIN, "config/dataset_0.json": DATALIST, "config/environment.json": NO_TRAIN},
}
GOOD = ["clara3_spleen_automl", "clara3_liver_constant", "clara4_spleen_steplr", "clara4_prostate_cosine"]


def run(cwd: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], list[str]]:
    """``lrpol ARGS`` run from ``cwd``: (exit code, stdout lines, stderr lines)."""
    before = os.getcwd()
    os.chdir(cwd)
    try:
        code = main(args)
    finally:
        os.chdir(before)
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def config_files(mmar: Path) -> list[str]:
    """Every JSON and YAML file of the folder, by its path from the folder."""
    return sorted(path.relative_to(mmar).as_posix() for path in mmar.rglob("*") if path.suffix in (".json", ".yaml", ".yml"))


def hook_files(mmar: Path) -> list[str]:
    """The files pre-commit hands the hook in a repository holding the folder: those its pattern matches."""
    return [name for name in sorted(path.relative_to(mmar).as_posix() for path in mmar.rglob("*") if path.is_file()) if re.search(HOOK["files"], name)]


def judged_and_skipped(files: list[str], err: list[str], prefix: str = "") -> tuple[list[str], dict[str, str]]:
    """From --verbose's stderr: the files judged (those given and not skipped) and each skipped one's reason."""
    skipped = {}
    for line in err:
        name, sep, reason = line.partition(": skipped, ")
        if sep:
            skipped[name.removeprefix(prefix)] = reason
    return [name for name in files if name not in skipped], skipped


def at(path: Path, needle: str) -> str:
    """``line:column`` of the first ``needle`` in the file."""
    text = path.read_text(encoding="utf-8")
    offset = text.index(needle)
    return f"{text.count(chr(10), 0, offset) + 1}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


def test_the_folders_are_whole_mmars_without_models():
    for name in SKIPPED:
        mmar = MMARS / name
        assert {path.name for path in mmar.iterdir()} == {"commands", "config", "docs", "resources"}, name
        assert (mmar / "resources" / "log.config").is_file() and list((mmar / "commands").glob("*.sh")) and list((mmar / "docs").iterdir())
        assert config_files(mmar) == sorted([TRAIN, *SKIPPED[name]])


# -- validate and the hook judge only the train config ----------------------------------------


@pytest.mark.parametrize("name", GOOD)
@pytest.mark.parametrize("env", [False, True], ids=["without-env", "with-env"])
def test_validate_on_the_folder_judges_only_its_train_config(name: str, env: bool, capsys: pytest.CaptureFixture[str]) -> None:
    mmar = MMARS / name
    options = ["--env", f"{name}/{ENVIRONMENT}"] if env else []
    code, out, err = run(MMARS, ["validate", "--verbose", *options, name], capsys)
    assert (code, out) == (0, [])
    judged, skipped = judged_and_skipped(config_files(mmar), err, f"{name}/")
    assert (judged, skipped) == ([TRAIN], SKIPPED[name])
    assert err[-1] == f"1 file(s) checked, 0 with problems, {len(SKIPPED[name])} skipped (not LR configs)"


@pytest.mark.parametrize("name", GOOD)
def test_the_hook_passes_the_folder_judging_only_its_train_config(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    mmar = MMARS / name
    files = hook_files(mmar)
    assert files == config_files(mmar)  # the pattern hands the hook every file under config/, not only the train config
    code, out, err = run(mmar, ["validate", "--verbose", *files], capsys)
    assert (code, out, err[-1]) == (0, [], f"1 file(s) checked, 0 with problems, {len(SKIPPED[name])} skipped (not LR configs)")
    assert judged_and_skipped(files, err) == ([TRAIN], SKIPPED[name])


def test_a_broken_train_config_is_named_alone_at_its_lines(capsys: pytest.CaptureFixture[str]) -> None:
    name = "clara3_spleen_broken"
    train = MMARS / name / TRAIN
    power, searched = at(train, '0\n'), at(train, '"poly_pwer"')
    expected = [
        f"{TRAIN}:{power}: $.train.lr_policy.args.poly_power: must be > 0, got 0",
        f"{TRAIN}:{searched}: $.train.lr_policy.search[0].args[0]: 'poly_pwer' is not an argument of ReducePoly; did you mean 'poly_power'?",
    ]
    assert expected[0].startswith(f"{TRAIN}:23:23: ") and expected[1].startswith(f"{TRAIN}:29:20: ")
    summary = "1 file(s) checked, 1 with problems, 4 skipped (not LR configs)"
    # walked from the folder above, as `lrpol validate mmars/`, and with --env
    for options in ([], ["--env", f"{name}/{ENVIRONMENT}"]):
        code, out, err = run(MMARS, ["validate", *options, name], capsys)
        assert (code, out, err) == (1, [f"{name}/{line}" for line in expected], [summary])
    # the hook, from the folder, with every file its pattern matches
    code, out, err = run(MMARS / name, ["validate", "--verbose", *hook_files(MMARS / name)], capsys)
    assert (code, out, err[-1]) == (1, expected, summary)
    assert judged_and_skipped(hook_files(MMARS / name), err)[0] == [TRAIN]
    # the API says the same
    assert [(f"{p.line}:{p.column}", p.json_path) for p in validate(train)] == [(power, "$.train.lr_policy.args.poly_power"), (searched, "$.train.lr_policy.search[0].args[0]")]
    with pytest.raises(ConfigError):
        load_run(train)


@pytest.mark.parametrize("name, mistake, lines", [
    ("clara4_spleen_steplr", ('"StepLR"', '"StepLr"'), [('"StepLr"', "$.train.lr_scheduler.name: unknown scheduler 'StepLr'; did you mean 'StepLR'?")]),
    ("clara4_spleen_steplr", ('"step_size"', '"step_sise"'), [
        ('"args": {\n        "optimizer"', "$.train.lr_scheduler.args.step_size: missing required argument 'step_size' for StepLR (an integer >= 1)"),
        ('"step_sise"', "$.train.lr_scheduler.args.step_sise: unknown argument for StepLR; did you mean 'step_size'?"),
    ]),
    ("clara4_prostate_cosine", ('"epoch_level": false', '"epoch_level": "no"'), [('"no"', '$.train.handlers[1].args.epoch_level: epoch_level must be a boolean, got a string')]),
], ids=["scheduler-name", "scheduler-argument", "handler"])
def test_a_broken_clara4_train_config_is_named_alone(tmp_path: Path, name: str, mistake: tuple[str, str], lines: list[tuple[str, str]], capsys: pytest.CaptureFixture[str]) -> None:
    mmar = tmp_path / name
    shutil.copytree(MMARS / name, mmar)
    train = mmar / TRAIN
    train.write_text(train.read_text(encoding="utf-8").replace(*mistake, 1), encoding="utf-8")
    code, out, err = run(mmar, ["validate", "--verbose", *hook_files(mmar)], capsys)
    assert (code, out) == (1, [f"{TRAIN}:{at(train, needle)}: {message}" for needle, message in lines])
    assert judged_and_skipped(hook_files(mmar), err) == ([TRAIN], SKIPPED[name])


def test_an_environment_value_a_clara4_config_uses_is_named_at_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mmar = tmp_path / "clara4_spleen_steplr"
    shutil.copytree(MMARS / mmar.name, mmar)
    environment = mmar / ENVIRONMENT
    values = json.loads(environment.read_text(encoding="utf-8"))
    environment.write_text(json.dumps({**values, "learning_rate": -1}, indent=2) + "\n", encoding="utf-8")
    code, out, _ = run(mmar, ["validate", "--env", ENVIRONMENT, "config/"], capsys)
    train, env_line, used = mmar / TRAIN, f"{ENVIRONMENT}:{at(environment, '-1')}", '"{learning_rate}"'

    assert (code, out) == (1, [
        f"config/config_train.json:{at(train, '2e-4')}: $.learning_rate: learning_rate set by a variable: must be > 0, got -1 (learning_rate from {env_line})",
        f"config/config_train.json:{at(train, used)}: $.train.optimizer.args.lr: must be > 0, got -1 (learning_rate from {env_line})",
    ])


# -- the run each config means ----------------------------------------------------------------


def test_the_clara3_automl_config_runs_reduce_poly_over_its_epochs():
    train = MMARS / "clara3_spleen_automl" / TRAIN
    policy, ctx = load_run(train, steps_per_epoch=3)
    assert policy == ReducePoly(poly_power=0.9)  # the search's range is checked, not applied
    assert (ctx.initial_lr, ctx.total_epochs, ctx.total_steps) == (1e-4, 1260, 3780)
    lrs = lrpol.curve(policy, ctx)
    # ReducePoly per epoch: lr0 * (1 - e / 1260) ** 0.9 for every update of epoch e
    for update in (0, 1, 2, 3, 1889, 3000, 3777, 3779):
        epoch = update // 3
        assert math.isclose(lrs[update], 1e-4 * (1 - epoch / 1260) ** 0.9, rel_tol=1e-12), update
    assert lrs[0] == lrs[2] == 1e-4 and lrs[3] < lrs[2]
    # with the folder's environment file and the --set of commands/train.sh: the same run
    again, ctx = load_run(train, steps_per_epoch=3, environment=train.parent / "environment.json", variables={"epochs": 1260, "learning_rate": 0.0001})
    assert (again, ctx.initial_lr, ctx.total_epochs) == (policy, 1e-4, 1260)
    # AutoML's choice from the searched range, given as Clara's --set would give it
    _, ctx = load_run(train, steps_per_epoch=3, variables={"learning_rate": 0.0005})
    assert ctx.initial_lr == 0.0005


def test_the_clara3_config_without_lr_policy_runs_at_a_constant_lr():
    train = MMARS / "clara3_liver_constant" / TRAIN
    assert load(train) is None
    policy, ctx = load_run(train, steps_per_epoch=4, environment=train.parent / "environment.json")
    assert (policy, ctx.initial_lr, ctx.total_epochs) == (None, 2e-4, 500)
    assert set(lrpol.curve(policy, ctx).tolist()) == {2e-4}


def torch_lrs(make_scheduler, lr0: float, updates: int, steps_per_epoch: int | None) -> list[float]:
    """The LR of each update under torch's own scheduler, stepped after every update
    (``steps_per_epoch`` None) or after every epoch's last one, as the LrScheduleHandler steps it."""
    torch = requires_extra("torch")
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr0)
    scheduler = make_scheduler(torch.optim.lr_scheduler, optimizer)
    lrs = []
    for update in range(updates):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if steps_per_epoch is None or (update + 1) % steps_per_epoch == 0:
            scheduler.step()
    return lrs


def assert_equal_lrs(ours: list[float], theirs: list[float]) -> None:
    assert len(ours) == len(theirs)
    worst = max(abs(a - b) / b for a, b in zip(ours, theirs))
    assert worst <= 1e-12, worst


def test_the_clara4_steplr_config_equals_torch_stepped_per_epoch():
    train = MMARS / "clara4_spleen_steplr" / TRAIN
    policy, ctx = load_run(train, steps_per_epoch=2, environment=train.parent / "environment.json")
    assert (ctx.initial_lr, ctx.total_epochs, ctx.total_steps) == (2e-4, 300, 600)  # lr0 is the optimizer's "{learning_rate}"
    lrs = lrpol.curve(policy, ctx).tolist()
    assert_equal_lrs(lrs, torch_lrs(lambda schedulers, optimizer: schedulers.StepLR(optimizer, step_size=100, gamma=0.5), 2e-4, 600, steps_per_epoch=2))
    # halved at epochs 100 and 200, that is at updates 200 and 400
    assert (lrs[199], lrs[200], lrs[399], lrs[400], lrs[599]) == (2e-4, 1e-4, 1e-4, 5e-5, 5e-5)


def test_the_clara4_cosine_config_equals_torch_stepped_per_update():
    train = MMARS / "clara4_prostate_cosine" / TRAIN
    policy, ctx = load_run(train, steps_per_epoch=5)
    assert (ctx.initial_lr, ctx.total_epochs, ctx.total_steps) == (0.01, 40, 200)
    lrs = lrpol.curve(policy, ctx).tolist()
    # T_max is "{epochs}", 40, counted in updates (epoch_level false): down by update 40, up again by 80, as torch does
    assert_equal_lrs(lrs, torch_lrs(lambda schedulers, optimizer: schedulers.CosineAnnealingLR(optimizer, T_max=40, eta_min=1e-4), 0.01, 200, steps_per_epoch=None))
    assert math.isclose(lrs[40], 1e-4, rel_tol=1e-12) and math.isclose(lrs[80], 0.01, rel_tol=1e-12)
    # Clara's --set epochs=10 sets T_max too
    policy, ctx = load_run(train, steps_per_epoch=5, variables={"epochs": 10})
    assert ctx.total_steps == 50
    assert_equal_lrs(lrpol.curve(policy, ctx).tolist(), torch_lrs(lambda schedulers, optimizer: schedulers.CosineAnnealingLR(optimizer, T_max=10, eta_min=1e-4), 0.01, 50, steps_per_epoch=None))


@pytest.mark.parametrize("name, described, run_line", [
    ("clara3_spleen_automl", "ReducePoly(poly_power=0.9)", "lr0=0.0001 epochs=1260 steps_per_epoch=2"),
    ("clara3_liver_constant", "no lr_policy (the LR stays at lr0)", "lr0=0.0002 epochs=500 steps_per_epoch=2"),
    ("clara4_spleen_steplr", "DecayOnStep(decay_ratio=0.5, decay_freq=100, unit='epoch')", "lr0=0.0002 epochs=300 steps_per_epoch=2"),
    ("clara4_prostate_cosine", "ReduceCosine(unit='step', min_lr=0.0001, horizon=40, after='torch')", "lr0=0.01 epochs=40 steps_per_epoch=2"),
])
def test_preview_shows_the_run_of_each_folder(name: str, described: str, run_line: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(MMARS / name, ["preview", "--env", ENVIRONMENT, "--steps-per-epoch", "2", TRAIN], capsys)
    assert (code, out[:2]) == (0, [f"{TRAIN}: {described}", run_line])
