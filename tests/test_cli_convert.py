"""lrpol convert: a config's schedule as the native entry with the same LRs, printed as JSON or
YAML; what no native entry can say is a problem at its place, exit 2."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
import yaml
from conftest import CONFIGS, ROOT, requires_extra
from parity import assert_matches
from test_clara4_configs import CASES as CLARA4_CASES
from test_clara4_configs import EPOCHS, clara4_config, lrpol_per_update, torch_per_update, write_config

import lrpol
from lrpol.cli import main
from lrpol.config import run_settings
from lrpol.reading import read_document


def convert(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["convert", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def as_lr_policy(write, entry: dict, learning_rate: float, epochs: int, name: str = "clara3.json") -> object:
    """The entry put in a Clara 3 train config as its lr_policy: the file."""
    return write(name, json.dumps({"learning_rate": learning_rate, "epochs": epochs, "train": {"lr_policy": entry}}))


def run_curve(file, steps_per_epoch: int, metrics=None, steps=None):
    policy, ctx = lrpol.load_run(file, steps_per_epoch=steps_per_epoch)
    return ctx.initial_lr, lrpol.curve(policy, ctx, metrics=metrics, steps=steps)


def test_a_native_yaml_entry_comes_back_normalised_as_yaml(write, capsys):
    config = write("train.yaml", "learning_rate: 0.1\nepochs: 20\nPOWER: 0.9\ntrain:\n  lr_policy:\n    name: Warmup\n    args: {duration: 5, unit: epoch, clock: restart, policy: {name: ReducePoly, args: {poly_power: '{POWER}', unit: epoch}}}\n")
    code, out, err = convert(capsys, config)
    assert (code, err) == (0, "")
    assert out == "name: Warmup\nargs:\n  duration: 5\n  policy:\n    name: ReducePoly\n    args:\n      poly_power: 0.9\n  unit: epoch\n"


def test_json_is_printed_for_json_and_on_request(write, capsys):
    config = write("train.yaml", "epochs: 3\ntrain:\n  lr_policy: {name: DecayOnStep, args: {decay_ratio: 0.5, decay_freq: 3}}\n")
    code, out, _ = convert(capsys, config, "--format", "json")
    assert code == 0
    assert out == '{\n  "name": "DecayOnStep",\n  "args": {\n    "decay_ratio": 0.5,\n    "decay_freq": 3\n  }\n}\n'


def test_every_example_config_converts_to_the_same_curve(write, capsys):
    for path in sorted(CONFIGS.glob("*.json")):
        code, out, err = convert(capsys, path)
        assert (code, err) == (0, ""), path
        data = json.loads(path.read_text())
        converted = as_lr_policy(write, json.loads(out), data["learning_rate"], data["epochs"])
        metrics = [0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6] * 20
        assert np.array_equal(run_curve(converted, 3, metrics)[1], run_curve(path, 3, metrics)[1]), path


def test_variables_and_environment_files_fill_the_entry(write, capsys):
    config = write("train.json", '{"epochs": 3, "train": {"lr_policy": {"name": "DecayOnStep", "args": {"decay_ratio": "{RATIO}", "decay_freq": "{FREQ}"}}}}')
    environment = write("environment.json", '{"RATIO": 0.25, "FREQ": 7}')
    code, out, _ = convert(capsys, config, "--env", environment, "--var", "FREQ=9")
    assert (code, json.loads(out)) == (0, {"name": "DecayOnStep", "args": {"decay_ratio": 0.25, "decay_freq": 9}})


def test_a_pointer_names_the_entry(write, capsys):
    config = write("schedules.json", '{"mine": {"name": "ReduceCosine", "args": {"rate": 0.5, "unit": "step"}}}')
    code, out, _ = convert(capsys, config, "--pointer", "/mine")
    assert (code, json.loads(out)) == (0, {"name": "ReduceCosine", "args": {"unit": "step"}})


def test_standard_input(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b'{"name": "ExponentialDecay", "args": {"gamma": 0.9, "every": 1}}')))
    code, out, _ = convert(capsys, "-")
    assert (code, json.loads(out)) == (0, {"name": "ExponentialDecay", "args": {"gamma": 0.9}})


def test_a_path_entry_has_no_native_entry_and_is_never_imported(write, capsys):
    config = write("train.json", '{\n  "epochs": 3,\n  "train": {"lr_policy": {"name": "Warmup", "args": {\n    "duration": 2,\n    "policy": {"name": "X", "path": "os.system"}}}}\n}\n')
    code, out, err = convert(capsys, config)
    assert (code, out) == (2, "")
    assert err == f"{config}:5:37: $.train.lr_policy.args.policy.path: a 'path' entry names user code, which no native entry can say; write the schedule with lrpol's own policies (lrpol list), or keep the entry as it is\n"


def test_an_invalid_config_lists_its_problems_on_stderr_and_exits_1(write, capsys):
    config = write("train.json", '{"epochs": 3, "train": {"lr_policy": {"name": "DecayOnStep", "args": {"decay_rato": 0.5, "decay_freq": 3}}}}')
    code, out, err = convert(capsys, config)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{config}:1:62: $.train.lr_policy.args.decay_ratio: missing required argument 'decay_ratio' for DecayOnStep (a number > 0 and <= 1)",
        f"{config}:1:71: $.train.lr_policy.args.decay_rato: unknown argument for DecayOnStep; did you mean 'decay_ratio'?",
    ]


def test_a_config_without_a_schedule_is_a_constant(write, capsys):
    config = write("train.yaml", "epochs: 3\ntrain: {model: {}}\n")
    code, out, err = convert(capsys, config)
    assert (code, out) == (0, "name: Constant\n")
    assert err == "lrpol convert: no lr_policy (the LR stays at lr0): Constant keeps lr0 too\n"


def test_unreadable_input_exits_2(tmp_path, capsys):
    code, out, err = convert(capsys, tmp_path / "missing.json")
    assert (code, out) == (2, "") and "missing.json" in err


def test_the_yaml_printed_reads_back_exactly(write, capsys):
    config = write("train.json", '{"epochs": 3, "train": {"lr_policy": {"name": "ReduceOnPlateau", "args": {"plateau_count_trigger": 2, "reduction_rate": 0.5, "min_lr": 1e-07, "threshold": 0.1}}}}')
    code, out, _ = convert(capsys, config, "--format", "yaml")
    assert code == 0 and yaml.safe_load(out)["args"]["min_lr"] == 1e-07
    assert repr(lrpol.build(yaml.safe_load(out))) == repr(lrpol.load(config))


def test_a_search_is_left_out_and_said(write, capsys):
    config = write("train.json", '{"epochs": 3, "train": {"lr_policy": {"name": "ReducePoly", "args": {"poly_power": 0.99}, "search": [{"type": "float", "args": ["poly_power"], "targets": [0.9, 0.99], "domain": "lr"}]}}}')
    code, out, err = convert(capsys, config)
    assert (code, json.loads(out)) == (0, {"name": "ReducePoly", "args": {"poly_power": 0.99}})
    assert err == "lrpol convert: the entry's search (Clara's AutoML search space) is left out: it does not change the LRs, and names the arguments of the entry converted\n"


# -- Clara 4: torch's scheduler names under train.lr_scheduler ---------------------------------------

PLATEAU = ("ReduceLROnPlateau", {"optimizer": "@optimizer", "mode": "max", "factor": 0.5, "patience": 1, "threshold": 0.01, "cooldown": 1}, None)
METRICS = [0.5, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]


def converted(tmp_path, write, capsys, config: dict) -> tuple[str, object]:
    """A Clara 4 config converted: its file, and a Clara 3 config with the entry as lr_policy and
    the learning_rate convert says (the config's own when it says none)."""
    original = write_config(tmp_path, config)
    code, out, err = convert(capsys, original)
    assert code == 0, err
    said = re.search(r"set learning_rate to (\S+) ", err)
    learning_rate = float(said.group(1)) if said else config["learning_rate"]
    return original, as_lr_policy(write, json.loads(out), learning_rate, config["epochs"])


@pytest.mark.parametrize("name, args, epoch_level", [*CLARA4_CASES, PLATEAU], ids=lambda v: v if isinstance(v, str) else None)
def test_the_entry_in_a_clara_3_config_gives_the_clara_4_configs_lrs_and_torchs(tmp_path, write, capsys, name, args, epoch_level):
    requires_extra("torch")
    config = clara4_config({"name": name, "args": args}, epoch_level=epoch_level)
    original, clara3 = converted(tmp_path, write, capsys, config)
    metrics = METRICS if name == "ReduceLROnPlateau" else None
    ours = lrpol_per_update(str(clara3), metrics=metrics)
    assert ours == lrpol_per_update(original, metrics=metrics)  # to the bit: the same policy from the same lr0
    torch_args = {key: EPOCHS if value == "{epochs}" else value for key, value in args.items() if key != "optimizer"}
    theirs = torch_per_update(name, torch_args, config["learning_rate"], per_epoch=epoch_level is not False, metrics=metrics)
    assert_matches(ours, theirs, 1e-12, what=f"converted {name}")


def test_step_lr_per_epoch_converts_to_decay_on_step_per_epoch(tmp_path, capsys):
    config = clara4_config({"name": "StepLR", "args": {"optimizer": "@optimizer", "step_size": 5000, "gamma": 0.1}})
    code, out, err = convert(capsys, write_config(tmp_path, config))
    assert (code, err) == (0, "")
    assert json.loads(out) == {"name": "DecayOnStep", "args": {"decay_ratio": 0.1, "decay_freq": 5000, "unit": "epoch"}}


def test_per_update_stepping_converts_with_unit_step(tmp_path, capsys):
    config = clara4_config({"name": "CosineAnnealingLR", "args": {"optimizer": "@optimizer", "T_max": "{epochs}"}}, epoch_level=False)
    code, out, _ = convert(capsys, write_config(tmp_path, config))
    assert (code, json.loads(out)) == (0, {"name": "ReduceCosine", "args": {"unit": "step", "horizon": 12, "after": "torch"}})


def test_sequential_lr_converts_to_sequential_with_torch_phases_translated(tmp_path, capsys):
    scheduler = {"name": "SequentialLR", "args": {"milestones": [3], "schedulers": [
        {"name": "LinearLR", "args": {"start_factor": 0.1, "total_iters": 3}}, {"name": "ReduceCosine", "args": {"horizon": 9}}]}}
    code, out, _ = convert(capsys, write_config(tmp_path, clara4_config(scheduler)))
    assert (code, json.loads(out)) == (0, {"name": "Sequential", "args": {
        "policies": [{"name": "LinearDecay", "args": {"start_factor": 0.1, "end_factor": 1.0, "duration": 3, "unit": "epoch"}}, {"name": "ReduceCosine", "args": {"horizon": 9}}],
        "milestones": [3], "unit": "epoch",
    }})


def test_one_cycle_says_which_learning_rate_to_set_on_stderr_only(tmp_path, capsys):
    config = clara4_config({"name": "OneCycleLR", "args": {"optimizer": "@optimizer", "max_lr": 0.01, "total_steps": 36}}, epoch_level=False)
    code, out, err = convert(capsys, write_config(tmp_path, config))
    assert (code, json.loads(out)) == (0, {"name": "OneCycle", "args": {"horizon": 36}})
    assert err == "lrpol convert: set learning_rate to 0.01 (OneCycleLR's max_lr, the peak it sets), not the config's 0.0002: the entry's LRs are relative to lr0\n"


def test_an_optimizer_lr_other_than_learning_rate_is_said(tmp_path, capsys):
    config = clara4_config({"name": "ExponentialLR", "args": {"gamma": 0.9}}, lr=0.001)
    code, out, err = convert(capsys, write_config(tmp_path, config))
    assert (code, json.loads(out)) == (0, {"name": "ExponentialDecay", "args": {"gamma": 0.9, "unit": "epoch"}})
    assert err == "lrpol convert: set learning_rate to 0.001 (the optimizer's lr), not the config's 0.0002: the entry's LRs are relative to lr0\n"


def test_a_clara_4_typo_is_a_problem_with_the_torch_name_exit_1(tmp_path, capsys):
    config = clara4_config({"name": "StepLr", "args": {"step_size": 5}})
    code, out, err = convert(capsys, write_config(tmp_path, config))
    assert (code, out) == (1, "")
    assert "$.train.lr_scheduler.name: unknown scheduler 'StepLr'; did you mean 'StepLR'?" in err


def test_a_path_nested_in_sequential_lr_is_not_convertible_exit_2(tmp_path, capsys):
    scheduler = {"name": "SequentialLR", "args": {"milestones": [3], "schedulers": [{"name": "ConstantLR"}, {"path": "my_pkg.Schedule"}]}}
    code, out, err = convert(capsys, write_config(tmp_path, clara4_config(scheduler)))
    assert (code, out) == (2, "")
    assert re.fullmatch(r".*config_train\.json:\d+:\d+: \$\.train\.lr_scheduler\.args\.schedulers\[1\]\.path: a 'path' entry names user code, which no native entry can say; .*\n", err)


def test_a_disabled_torch_scheduler_needs_no_handler_and_sets_no_peak(tmp_path, capsys):
    config = clara4_config({"name": "OneCycleLR", "disabled": True, "args": {"max_lr": 0.01, "total_steps": 36}}, lr=0.001)
    config["train"]["handlers"] = []
    path = write_config(tmp_path, config)
    assert lrpol.validate(path) == []
    policy, ctx = lrpol.load_run(path)
    assert (policy, ctx.initial_lr) == (None, 0.001)  # torch without the scheduler: the optimizer's lr throughout
    code, out, err = convert(capsys, path)
    assert (code, json.loads(out)) == (0, {"name": "Constant"})
    assert err.splitlines() == [
        "lrpol convert: set learning_rate to 0.001 (the optimizer's lr), not the config's 0.0002: the entry's LRs are relative to lr0",
        "lrpol convert: disabled (the LR stays at lr0): Constant keeps lr0 too",
    ]


README_CLARA_4 = """\
{
  "epochs": 1250,
  "learning_rate": 2e-4,
  "train": {
    "optimizer": {"name": "Adam", "args": {"lr": "{learning_rate}"}},
    "lr_scheduler": {"name": "SequentialLR", "args": {"optimizer": "@optimizer", "milestones": [10], "schedulers": [
      {"name": "LinearLR", "args": {"optimizer": "@optimizer", "start_factor": 0.1, "total_iters": 10}},
      {"name": "CosineAnnealingLR", "args": {"optimizer": "@optimizer", "T_max": 1240, "eta_min": 1e-6}}]}},
    "handlers": [{"name": "LrScheduleHandler", "args": {"print_lr": true}}]
  }
}
"""

README_CONVERTED = """\
name: Sequential
args:
  policies:
  - name: LinearDecay
    args:
      start_factor: 0.1
      end_factor: 1.0
      duration: 10
      unit: epoch
  - name: ReduceCosine
    args:
      min_lr: 1.0e-06
      horizon: 1240
      after: torch
  milestones:
  - 10
  unit: epoch
"""


def test_the_readme_example(write, capsys):
    """What the README shows: a Clara 4 warmup into a cosine, converted to YAML, runs the same LRs as lr_policy."""
    original = write("config_train.json", README_CLARA_4)
    code, out, err = convert(capsys, original, "--format", "yaml")
    assert (code, out, err) == (0, README_CONVERTED, "")
    clara3 = write("config_train.yaml", "epochs: 1250\nlearning_rate: 2e-4\ntrain:\n  lr_policy:\n" + "".join(f"    {line}\n" for line in out.splitlines()))
    assert np.array_equal(run_curve(clara3, 2)[1], run_curve(original, 2)[1])


def test_with_steps_per_epoch_a_one_cycle_shorter_than_the_run_is_refused_as_load_run_refuses_it(tmp_path, capsys):
    config = clara4_config({"name": "OneCycleLR", "args": {"max_lr": 0.01, "total_steps": 36}}, epoch_level=False)
    path = write_config(tmp_path, config)
    assert convert(capsys, path, "--steps-per-epoch", "3")[0] == 0  # 12 epochs of 3: 36 updates, as long as the cycle
    code, out, err = convert(capsys, path, "--steps-per-epoch", "4")
    assert (code, out) == (1, "")
    with pytest.raises(lrpol.ConfigError) as caught:
        lrpol.load_run(path, steps_per_epoch=4)
    assert err == str(caught.value) + "\n"
    assert [p.code for p in caught.value.problems] == ["too-short"]


MMARS = ROOT / "tests" / "data" / "mmars"


@pytest.mark.parametrize("mmar", sorted(path.name for path in MMARS.iterdir() if path.name != "clara3_spleen_broken"))
def test_each_mmar_folders_train_config_converts_to_its_own_lrs(tmp_path, write, capsys, mmar):
    config = MMARS / mmar / "config" / "config_train.json"
    environment = MMARS / mmar / "config" / "environment.json"
    code, out, err = convert(capsys, config, "--env", environment)
    assert code == 0, err
    said = re.search(r"set learning_rate to (\S+) ", err)
    learning_rate = float(said.group(1)) if said else run_settings(read_document(config), environment=environment)["learning_rate"]
    policy, ctx = lrpol.load_run(config, steps_per_epoch=2, environment=environment)
    clara3 = as_lr_policy(write, json.loads(out), learning_rate, ctx.total_epochs)
    assert np.array_equal(run_curve(clara3, 2, METRICS)[1], lrpol.curve(policy, ctx, metrics=METRICS))


def test_a_broken_mmar_train_config_lists_its_problems_exit_1(capsys):
    config = MMARS / "clara3_spleen_broken" / "config" / "config_train.json"
    code, out, err = convert(capsys, config, "--env", config.parent / "environment.json")
    assert (code, out) == (1, "")
    assert [line.split(": ")[1] for line in err.splitlines()] == ["$.train.lr_policy.args.poly_power", "$.train.lr_policy.search[0].args[0]"]


# -- MONAI bundles: a top-level lr_scheduler with _target_ and @ references ---------------------------

BUNDLE = ROOT / "tests" / "data" / "bundles" / "abdomen_ct_segresnet" / "configs" / "train.json"


def bundle_with(tmp_path, scheduler: dict) -> str:
    data = json.loads(BUNDLE.read_text())
    data["lr_scheduler"] = scheduler
    return write_config(tmp_path, data, "train.json")


def test_a_bundles_scheduler_converts_to_the_bundles_own_lrs(tmp_path, write, capsys):
    code, out, err = convert(capsys, BUNDLE)
    assert (code, err) == (0, "")
    assert json.loads(out) == {"name": "ReduceCosine", "args": {"min_lr": 1e-06, "horizon": 200, "after": "torch"}}
    policy, ctx = lrpol.load_run(BUNDLE, steps_per_epoch=2)
    clara3 = as_lr_policy(write, json.loads(out), ctx.initial_lr, ctx.total_epochs)
    assert ctx.initial_lr == json.loads(BUNDLE.read_text())["learning_rate"]
    assert np.array_equal(run_curve(clara3, 2)[1], lrpol.curve(policy, ctx))


def test_a_bundles_one_cycle_says_its_learning_rate(tmp_path, capsys):
    path = bundle_with(tmp_path, {"_target_": "torch.optim.lr_scheduler.OneCycleLR", "optimizer": "@optimizer", "max_lr": 0.01, "total_steps": "@epochs"})
    code, out, err = convert(capsys, path)
    assert (code, json.loads(out)) == (0, {"name": "OneCycle", "args": {"unit": "epoch", "horizon": 200}})
    assert err == "lrpol convert: set learning_rate to 0.01 (OneCycleLR's max_lr, the peak it sets), not the config's 0.0002: the entry's LRs are relative to lr0\n"


def test_a_python_expression_in_the_schedulers_arguments_has_no_native_entry_exit_2(tmp_path, capsys):
    path = bundle_with(tmp_path, {"_target_": "torch.optim.lr_scheduler.CosineAnnealingLR", "optimizer": "@optimizer", "T_max": "$@epochs * 2"})
    code, out, err = convert(capsys, path)
    assert (code, out) == (2, "")
    assert re.fullmatch(r".*train\.json:\d+:\d+: \$\.lr_scheduler\.T_max: '\$@epochs \* 2' is a Python expression, so the value cannot be checked without running code; .*\n", err)


def test_a_torch_feature_without_a_native_equal_exit_2(tmp_path, capsys):
    scheduler = {"name": "SequentialLR", "args": {"milestones": [3], "schedulers": [{"name": "OneCycleLR", "args": {"max_lr": 0.1, "total_steps": 3}}, {"name": "StepLR", "args": {"step_size": 2}}]}}
    code, out, err = convert(capsys, write_config(tmp_path, clara4_config(scheduler)))
    assert (code, out) == (2, "")
    assert "$.train.lr_scheduler.args.schedulers[0]: SequentialLR cannot hold OneCycleLR" in err


def test_what_no_native_entry_can_say_exits_2_and_a_broken_config_1(tmp_path, capsys):
    from lrpol.cli import main

    base = {"epochs": 20, "learning_rate": 0.1, "train": {"optimizer": {"name": "SGD", "args": {"lr": 0.1}}, "handlers": [{"name": "LrScheduleHandler"}]}}
    for scheduler in (
        {"name": "ChainedScheduler", "args": {"schedulers": [{"name": "StepLR", "args": {"step_size": 2}}, {"name": "CosineAnnealingLR", "args": {"T_max": 8}}]}},  # past T_max
        {"name": "ChainedScheduler", "args": {"schedulers": [{"name": "CyclicLR", "args": {"base_lr": 0.01, "max_lr": 0.1}}, {"name": "StepLR", "args": {"step_size": 2}}]}},
    ):
        path = tmp_path / "config_train.json"
        path.write_text(json.dumps({**base, "train": {**base["train"], "lr_scheduler": scheduler}}))
        assert main(["convert", str(path)]) == 2
        assert capsys.readouterr().out == ""
    path.write_text(json.dumps({**base, "train": {**base["train"], "lr_scheduler": {"name": "StepLR", "args": {"step_size": 0}}}}))
    assert main(["convert", str(path)]) == 1
