"""lrpol convert: a config's schedule as the native entry with the same LRs, printed as JSON or
YAML; what no native entry can say is a problem at its place, exit 2."""

from __future__ import annotations

import io
import json

import numpy as np
import yaml
from conftest import CONFIGS

import lrpol
from lrpol.cli import main


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
