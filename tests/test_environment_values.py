"""Values that come from an environment file (``--env FILE``, ``environment=``): a problem
with one names the file's line beside the config key that used it; every loader takes the
file; and ``{VAR}`` in an AutoML search's targets is filled in before the targets are checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lrpol import ConfigError, OneCycleMomentum, ReduceCosine, Warmup, load_group_policies, load_run, load_schedules, validate
from lrpol.cli import main
from lrpol.compare import compare
from lrpol.environment import Environment, load_environment, read_environment


def where(path: Path, needle: str) -> str:
    """``file:line:column`` of the first ``needle`` in the file."""
    text = path.read_text(encoding="utf-8")
    offset = text.index(needle)
    line = text.count("\n", 0, offset) + 1
    return f"{path}:{line}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


@pytest.fixture
def mmar(tmp_path: Path):
    """mmar(train, environment) -> (config_train.json, environment.json), each written one key a line."""

    def _mmar(train: dict, environment: dict) -> tuple[Path, Path]:
        (tmp_path / "config").mkdir(exist_ok=True)
        config, env = tmp_path / "config" / "config_train.json", tmp_path / "config" / "environment.json"
        config.write_text(json.dumps(train, indent=2) + "\n", encoding="utf-8")
        env.write_text(json.dumps(environment, indent=2) + "\n", encoding="utf-8")
        return config, env

    return _mmar


def _train(lr_policy: dict, **top: object) -> dict:
    return {"epochs": 40, "learning_rate": 1e-3, **top, "train": {"optimizer": {"name": "Adam"}, "lr_policy": lr_policy}}


ENVIRONMENT = {"DATA_ROOT": "/workspace/data", "MMAR_CKPT_DIR": "models", "POLY_POWER": -0.9, "COSINE_RATE": 0.5}


# -- (1) a problem with a value from the environment file names the file's line ---------------


def test_a_bad_value_from_the_environment_names_its_line_and_the_config_key(mmar, capsys):
    config, env = mmar(_train({"name": "ReducePoly", "args": {"poly_power": "{POLY_POWER}"}}), ENVIRONMENT)
    used = where(config, '"{POLY_POWER}"')
    expected = f"{used}: $.train.lr_policy.args.poly_power: must be > 0, got -0.9 (POLY_POWER from {where(env, '-0.9')})"
    assert [str(p) for p in validate(config, environment=env)] == [expected]
    with pytest.raises(ConfigError) as info:
        load_run(config, environment=env)
    assert str(info.value) == expected
    assert main(["validate", "--env", str(env), str(config)]) == 1
    assert capsys.readouterr().out == expected + "\n"
    # --var wins over the file, and the value then is the caller's: no line to name
    assert [p.message for p in validate(config, environment=env, variables={"POLY_POWER": -2})] == ["must be > 0, got -2"]


def test_a_value_reached_through_another_variable_names_the_environment_line(mmar):
    config, env = mmar(_train({"name": "ReducePoly", "args": {"poly_power": "{power}"}}, power="{POLY_POWER}"), ENVIRONMENT)
    assert [p.message for p in validate(config, environment=env)] == [f"must be > 0, got -0.9 (POLY_POWER from {where(env, '-0.9')})"]


def test_a_run_setting_the_environment_overrides_names_its_line(mmar, capsys):
    config, env = mmar(_train({"name": "ReduceCosine"}), {**ENVIRONMENT, "epochs": 0})
    expected = f"{where(config, '40')}: $.epochs: epochs set by a variable: must be >= 1, got 0 (epochs from {where(env, '0' + chr(10) + '}')})"
    assert [str(p) for p in validate(config, environment=env)] == [expected]
    assert main(["preview", "--env", str(env), str(config)]) == 1
    assert capsys.readouterr().err == expected + "\n"


def test_a_bad_search_target_from_the_environment_names_its_line(mmar):
    search = [{"domain": "lr", "type": "float", "args": ["rate"], "targets": ["{RATE_MIN}", 0.9]}]
    config, env = mmar(_train({"name": "ReduceCosine", "args": {"rate": 0.5}, "search": search}), {**ENVIRONMENT, "RATE_MIN": -0.1})
    assert [(p.json_path, p.message) for p in validate(config, environment=env)] == [
        ("$.train.lr_policy.search[0].targets[0]", f"rate: must be > 0, got -0.1 (RATE_MIN from {where(env, '-0.1')})"),
    ]


def test_values_the_config_gives_itself_name_no_environment_line(mmar):
    config, env = mmar(_train({"name": "ReducePoly", "args": {"poly_power": "{P}"}}, P=-1), ENVIRONMENT)
    assert [p.message for p in validate(config, environment=env)] == ["must be > 0, got -1"]
    # an entry-level problem is not about the variables inside the entry
    config, env = mmar(_train({"args": {"poly_power": "{POLY_POWER}"}}), ENVIRONMENT)
    assert [p.message for p in validate(config, environment=env)] == ["a policy entry needs 'name' (a registered policy) or 'path' (a class to import)"]


def test_an_environment_read_once_serves_every_call(mmar):
    config, env = mmar(_train({"name": "ReduceCosine", "args": {"rate": "{COSINE_RATE}"}}), ENVIRONMENT)
    read = load_environment(env)
    assert isinstance(read, Environment) and read.values == read_environment(env) == ENVIRONMENT
    assert read.place("COSINE_RATE") == where(env, "0.5")
    env.unlink()  # nothing reads the file again
    policy, ctx = load_run(config, environment=read)
    assert (policy, ctx.total_epochs, ctx.initial_lr) == (ReduceCosine(rate=0.5), 40, 1e-3)


# -- (2) load_schedules and load_group_policies take environment= -----------------------------


def test_load_schedules_and_load_group_policies_take_the_environment(mmar):
    train = _train({"name": "OneCycle", "args": {"pct_start": 0.25}})
    train["train"]["momentum_policy"] = {"name": "OneCycleMomentum", "args": {"pct_start": "{PCT}", "base_momentum": 0.85}}
    train["train"]["group_lr_policies"] = [None, {"name": "Warmup", "args": {"duration": "{WARMUP}"}}]
    config, env = mmar(train, {**ENVIRONMENT, "PCT": 0.3, "WARMUP": 500})
    assert load_schedules(config, environment=env) == {"momentum": OneCycleMomentum(pct_start=0.3, base_momentum=0.85)}
    assert load_group_policies(config, environment=env) == [None, Warmup(duration=500)]
    assert load_group_policies(config, environment=env, variables={"WARMUP": 20}) == [None, Warmup(duration=20)]  # variables win
    for load in (load_schedules, load_group_policies):
        with pytest.raises(ConfigError, match="undefined variable"):
            load(config)


def test_a_bad_schedule_value_from_the_environment_names_its_line(mmar):
    train = _train({"name": "OneCycle"})
    train["train"]["group_lr_policies"] = [{"name": "Warmup", "args": {"duration": "{WARMUP}"}}]
    config, env = mmar(train, {"WARMUP": -5})
    with pytest.raises(ConfigError) as info:
        load_group_policies(config, environment=env)
    (problem,) = info.value.problems
    assert (problem.json_path, problem.message.endswith(f" (WARMUP from {where(env, '-5')})")) == ("$.train.group_lr_policies[0].args.duration", True)


# -- diff reads --env too ---------------------------------------------------------------------


def test_diff_reads_the_environment_file(mmar, tmp_path: Path, capsys):
    config, env = mmar(_train({"name": "ReduceCosine", "args": {"rate": "{COSINE_RATE}"}}), ENVIRONMENT)
    other = tmp_path / "other.json"
    other.write_text(json.dumps(_train({"name": "ReduceCosine", "args": {"rate": 0.5}})), encoding="utf-8")
    assert compare(config, other, environment=env).identical
    assert main(["diff", "--env", str(env), str(config), str(other)]) == 0
    capsys.readouterr()
    assert main(["diff", str(config), str(other)]) == 2  # without it, COSINE_RATE is undefined
    assert "undefined variable 'COSINE_RATE'" in capsys.readouterr().out


# -- (3) {VAR} in search targets --------------------------------------------------------------


LOW = '"low"'


def test_search_targets_are_substituted_before_they_are_checked(mmar):
    search = [
        {"domain": "lr", "type": "float", "args": ["poly_power"], "targets": ["{POWER_MIN}", "{POWER_MAX}"]},
        {"domain": "lr", "type": "enum", "args": ["min_lr"], "targets": [[0], ["{FLOOR}"]]},
    ]
    entry = {"name": "ReducePoly", "args": {"poly_power": 0.9}, "search": search}
    config, env = mmar(_train(entry, POWER_MIN=0.5), {"POWER_MAX": 0.99, "FLOOR": 1e-6})
    assert validate(config, environment=env) == []
    config, env = mmar(_train(entry, POWER_MIN=0.5), {"POWER_MAX": 0.1, "FLOOR": "low"})
    assert [(p.json_path, p.message) for p in validate(config, environment=env)] == [
        ("$.train.lr_policy.search[0].targets", f"min must be <= max, got [0.5, 0.1] (POWER_MAX from {where(env, '0.1')})"),
        ("$.train.lr_policy.search[1].targets[1][0]", f"min_lr: expected a number, got a string (\"low\") (FLOOR from {where(env, LOW)})"),
    ]


def test_an_undefined_variable_in_search_targets_is_one_problem(mmar):
    search = [{"domain": "lr", "type": "float", "args": ["poly_power"], "targets": ["{POWER_MIN}", 0.99]}]
    config, _ = mmar(_train({"name": "ReducePoly", "args": {"poly_power": 0.9}, "search": search}), {})
    assert [(p.json_path, p.message, p.code) for p in validate(config)] == [
        ("$.train.lr_policy.search[0].targets[0]", "undefined variable 'POWER_MIN'", "undefined-variable"),
    ]


def test_a_problem_names_at_most_three_environment_values_then_counts_the_rest(mmar):
    config, env = mmar(_train({"name": "ReduceCosine", "args": {"unit": "{U1}{U2}{U3}{U4}{U5}"}}), {"U1": "e", "U2": "p", "U3": "o", "U4": "c", "U5": "h!"})
    (problem,) = validate(config, environment=env)
    places = [f"{name} from {where(env, value)}" for name, value in (("U1", '"e"'), ("U2", '"p"'), ("U3", '"o"'))]
    assert problem.message.endswith(f" ({', '.join(places)} and 2 more)")
