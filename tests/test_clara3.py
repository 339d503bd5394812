"""Clara Train 3 MMARs as they are written: AutoML's ``search`` beside ``name`` and ``args``,
``name`` and ``path`` together, and variables from ``--var`` and ``environment.json``.

The configs are shaped like the public Clara 3 MMARs (a ``config/`` folder holding
``config_train.json`` and ``environment.json``), written for these tests.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

import lrpol
import lrpol.schema
from lrpol import ConfigError, ReducePoly, load, load_run, validate
from lrpol.cli import main
from lrpol.environment import read_environment

SEARCHED_POLY = {"name": "ReducePoly", "args": {"poly_power": 0.99}, "search": [{"type": "float", "args": ["poly_power"], "targets": [0.9, 0.99], "domain": "lr"}]}

ENVIRONMENT = """\
{
  "DATA_ROOT": "/workspace/data/Task09_Spleen_nii",
  "DATASET_JSON": "config/dataset_0.json",
  "PROCESSING_TASK": "segmentation",
  "MMAR_EVAL_OUTPUT_PATH": "eval",
  "MMAR_CKPT_DIR": "models",
  "POLY_POWER": 0.95
}
"""


def train_config(lr_policy: dict, **top: object) -> str:
    """A Clara 3 segmentation train config around ``lr_policy`` (written on one line, so that
    a test finds its values by their text), one key per line as Clara's are."""
    config = {
        "epochs": 1260,
        "num_training_epoch_per_valid": 20,
        "learning_rate": 1e-4,
        "multi_gpu": False,
        "dynamic_input_shape": True,
        **top,
        "train": {
            "loss": {"name": "Dice", "args": {"squared_pred": True, "is_onehot_targets": False}},
            "optimizer": {"name": "Adam"},
            "lr_policy": "LR_POLICY",
            "model": {"name": "SegAhnet", "args": {"num_classes": 2, "if_use_psp": False, "pretrain_weight_name": "{PRETRAIN_WEIGHTS_FILE}", "plane": "z", "final_activation": "softmax", "n_spatial_dim": 3}},
            "pre_transforms": [{"name": "LoadNifti", "args": {"fields": ["image", "label"]}}],
            "image_pipeline": {"name": "SegmentationImagePipelineWithCache", "args": {"data_list_file_path": "{DATASET_JSON}", "data_file_base_dir": "{DATA_ROOT}", "data_list_key": "training"}},
        },
        "PRETRAIN_WEIGHTS_FILE": "/var/tmp/resnet50_weights.h5",
    }
    return json.dumps(config, indent=2).replace('"LR_POLICY"', json.dumps(lr_policy)) + "\n"


@pytest.fixture
def mmar(tmp_path: Path):
    """mmar(lr_policy, **top) -> the config_train.json of a new MMAR whose config/ also holds environment.json."""

    def _mmar(lr_policy: dict, environment: str = ENVIRONMENT, **top: object) -> Path:
        config = tmp_path / "config"
        config.mkdir(exist_ok=True)
        (config / "environment.json").write_text(environment, encoding="utf-8")
        train = config / "config_train.json"
        train.write_text(train_config(lr_policy, **top), encoding="utf-8")
        return train

    return _mmar


def where(path: Path, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """1-based line:column of the ``occurrence``-th ``needle`` in the file."""
    text = path.read_text(encoding="utf-8")
    offset = -1
    for _ in range(occurrence + 1):
        offset = text.index(needle, offset + 1)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def problems_of(path: Path, **options: object) -> list[tuple[int | None, int | None, str, str, str]]:
    return [(p.line, p.column, p.json_path, p.message + (f"; {p.hint}" if p.hint else ""), p.code) for p in validate(path, **options)]


# -- search -----------------------------------------------------------------------------------


def test_a_searched_policy_validates_and_builds_what_args_say(mmar):
    train = mmar(SEARCHED_POLY)
    assert validate(train) == []
    assert load(train) == ReducePoly(poly_power=0.99)


def test_search_over_several_arguments_of_each_kind_validates(mmar):
    entry = {
        "name": "ReduceOnPlateau",
        "args": {"plateau_count_trigger": 5, "reduction_rate": 0.5, "mode": "max"},
        "search": [
            {"domain": "lr", "type": "int", "args": "plateau_count_trigger", "targets": [1, 20]},
            {"domain": "lr", "type": "float", "args": ["reduction_rate", "threshold"], "targets": [0.1, 0.9]},
            {"domain": "lr", "type": "enum", "args": ["mode", "cooldown", "@disabled"], "targets": [["max", 0, False], ["min", 3, True]]},
        ],
    }
    assert validate(mmar(entry)) == []


def _search(*items: dict) -> dict:
    return {"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": 3000}, "search": list(items)}


# (case, search item, needle the problem points at, its JSON path below the entry, message; hint, code)
BAD_SEARCHES = [
    ("unknown-argument", {"type": "float", "args": ["decay_rato"], "targets": [0.1, 0.9], "domain": "lr"}, '"decay_rato"',
     ".search[0].args[0]", "'decay_rato' is not an argument of DecayOnStep; did you mean 'decay_ratio'?", "unknown-argument"),
    ("out-of-range", {"type": "float", "args": ["decay_ratio"], "targets": [0.1, 1.5], "domain": "lr"}, "1.5",
     ".search[0].targets[1]", "decay_ratio: must be > 0 and <= 1, got 1.5", "out-of-range"),
    ("float-over-an-int", {"type": "float", "args": ["decay_freq"], "targets": [100, 5000], "domain": "lr"}, '["decay_freq"]',
     ".search[0].args", "a float search gives numbers, but 'decay_freq' takes an integer >= 1; an int search gives integers, an enum search lists the values", "wrong-type"),
    ("int-targets-not-integers", {"type": "int", "args": ["decay_freq"], "targets": [100, 50.5], "domain": "lr"}, "[100, 50.5]",
     ".search[0].targets", "the targets of an int search are [min, max], two integers; got [100, 50.5]", "wrong-type"),
    ("int-target-out-of-range", {"type": "int", "args": ["decay_freq"], "targets": [0, 50], "domain": "lr"}, "0, 50]",
     ".search[0].targets[0]", "decay_freq: must be >= 1, got 0", "out-of-range"),
    ("min-above-max", {"type": "float", "args": ["decay_ratio"], "targets": [0.9, 0.1], "domain": "lr"}, "[0.9, 0.1]",
     ".search[0].targets", "min must be <= max, got [0.9, 0.1]", "out-of-order"),
    ("bad-choice", {"type": "enum", "args": ["unit"], "targets": [["step"], ["epoh"]], "domain": "lr"}, '"epoh"',
     ".search[0].targets[1][0]", "unit: must be 'step' or 'epoch', got \"epoh\"; did you mean 'epoch'?", "invalid-choice"),
    ("choice-of-the-wrong-length", {"type": "enum", "args": ["unit", "decay_freq"], "targets": [["step"]], "domain": "lr"}, '["step"]',
     ".search[0].targets[0]", "each choice is a list of 2 value(s), one per arg (unit, decay_freq), got [\"step\"]", "wrong-type"),
    ("unknown-type", {"type": "flaot", "args": ["decay_ratio"], "targets": [0.1, 0.9], "domain": "lr"}, '"flaot"',
     ".search[0].type", "'type' must be 'float', 'int' or 'enum', got \"flaot\"; did you mean 'float'?", "invalid-choice"),
    ("unknown-domain", {"type": "float", "args": ["decay_ratio"], "targets": [0.1, 0.9], "domain": "lrr"}, '"lrr"',
     ".search[0].domain", "'domain' must be 'lr', 'net' or 'transform', got \"lrr\"; did you mean 'lr'?", "invalid-choice"),
    ("unknown-key", {"type": "float", "args": ["decay_ratio"], "target": [0.1, 0.9], "domain": "lr"}, '"target"',
     ".search[0].target", "unknown key 'target' in a search item; did you mean 'targets'?", "unknown-key"),
]


@pytest.mark.parametrize("case", BAD_SEARCHES, ids=[case[0] for case in BAD_SEARCHES])
def test_a_bad_search_is_one_problem_at_its_place(mmar, case):
    _, item, needle, below, message, code = case
    train = mmar(_search(item))
    problems = problems_of(train)
    if code == "unknown-key":  # the item also lacks its targets: reported at the item
        problems = [p for p in problems if p[4] != "missing-key"]
    assert problems == [(*where(train, needle), "$.train.lr_policy" + below, message, code)]
    with pytest.raises(ConfigError):
        load(train)


def test_search_is_checked_in_nested_entries_and_yaml(tmp_path: Path):
    config = tmp_path / "config_train.yaml"
    config.write_text(textwrap.dedent("""\
        epochs: 100
        learning_rate: 0.001
        train:
          lr_policy:
            name: Warmup
            args:
              duration: 5
              policy:
                name: ReduceCosine
                search:
                  - {domain: lr, type: float, args: [rate], targets: [-0.5, 2]}
        """), encoding="utf-8")
    problems = validate(config)
    assert [(p.line, p.column, p.json_path, p.message) for p in problems] == [
        (*where(config, "-0.5"), "$.train.lr_policy.args.policy.search[0].targets[0]", "rate: must be > 0, got -0.5"),
    ]


def test_a_float_search_over_a_length_stays_a_fraction_of_the_run(mmar):
    def warmup(kind: str, targets: list) -> dict:
        return {"name": "Warmup", "args": {"duration": 0.1}, "search": [{"domain": "lr", "type": kind, "args": ["duration"], "targets": targets}]}

    assert validate(mmar(warmup("float", [0.05, 0.2]))) == []
    assert validate(mmar(warmup("int", [100, 2000]))) == []  # a count of updates
    train = mmar(warmup("float", [0.5, 20]))
    assert problems_of(train) == [(*where(train, "[0.5, 20]"), "$.train.lr_policy.search[0].targets", "a float search over 'duration' must lie within (0, 1), a fraction of the run, got [0.5, 20]", "out-of-range")]


def test_a_search_item_without_its_keys_names_them_all(mmar):
    train = mmar(_search({"domain": "lr", "args": "decay_ratio"}))
    assert problems_of(train) == [(*where(train, '{"domain"'), "$.train.lr_policy.search[0]", "a search item needs 'type' and 'targets'; an item is {'domain': ..., 'type': ..., 'args': [...], 'targets': [...]}", "missing-key")]


def test_search_on_an_unimported_path_entry_checks_its_shape_only(mmar):
    entry = {"path": "my_pkg.policies.Poly", "args": {"power": 2}, "search": [{"type": "float", "args": ["power"], "targets": [1, 3], "domain": "lr"}]}
    assert validate(mmar(entry)) == []
    bad = mmar({**entry, "search": [{"type": "float", "args": ["power"], "targets": [3], "domain": "lr"}]})
    assert [p.message for p in validate(bad)] == ["the targets of a float search are [min, max], two numbers; got [3]"]


# -- name and path ----------------------------------------------------------------------------


def test_with_name_and_path_the_path_is_the_class_as_in_clara(mmar):
    train = mmar({"name": "ReducePoly", "path": "lrpol_sample_policies.ScaledConstant", "args": {"factor": 2}})
    assert validate(train) == []
    policy = load(train, allow_paths=["lrpol_sample_policies"])
    assert type(policy).__name__ == "ScaledConstant" and policy.factor == 2  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="is not in the allowlist"):
        load(train)
    # --strict says that the name is ignored, beside the path it cannot check
    assert [p.code for p in validate(train, strict=True)] == ["name-ignored", "unchecked-path"]


def test_a_name_beside_a_path_must_still_be_a_string(mmar):
    train = mmar({"name": 7, "path": "lrpol_sample_policies.ScaledConstant", "args": {"factor": 2}})
    assert problems_of(train) == [(*where(train, "7"), "$.train.lr_policy.name", "'name' must be a string, got an integer", "wrong-type")]


# -- variables over top-level values ----------------------------------------------------------


def test_variables_override_epochs_and_learning_rate_in_load_run(mmar):
    train = mmar(SEARCHED_POLY)
    _, ctx = load_run(train)
    assert (ctx.total_epochs, ctx.initial_lr) == (1260, 1e-4)
    _, ctx = load_run(train, variables={"epochs": 3, "learning_rate": 0.02})
    assert (ctx.total_epochs, ctx.initial_lr) == (3, 0.02)


def test_a_variable_also_sets_a_value_the_config_lacks(tmp_path: Path):
    config = tmp_path / "config_train.json"
    config.write_text('{"learning_rate": 0.01, "train": {"lr_policy": {"name": "ReducePoly", "args": {"poly_power": 0.9}}}}', encoding="utf-8")
    with pytest.raises(ConfigError, match="missing 'epochs'"):
        load_run(config)
    assert load_run(config, variables={"epochs": 40})[1].total_epochs == 40


def test_a_refused_override_points_at_the_config_key_and_says_a_variable_set_it(mmar):
    train = mmar(SEARCHED_POLY)
    assert problems_of(train, variables={"epochs": 0}) == [(*where(train, "1260"), "$.epochs", "epochs set by a variable: must be >= 1, got 0", "out-of-range")]


def test_validate_var_overrides_epochs(mmar, capsys):
    train = mmar(SEARCHED_POLY)
    assert main(["validate", "--var", "learning_rate=-1", str(train)]) == 1
    line, column = where(train, "0.0001")
    assert capsys.readouterr().out == f"{train}:{line}:{column}: $.learning_rate: learning_rate set by a variable: must be > 0, got -1\n"


def test_preview_var_sets_the_run_it_shows(mmar, capsys):
    train = mmar(SEARCHED_POLY)
    assert main(["preview", "--var", "epochs=3", "--var", "learning_rate=0.5", str(train)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "lr0=0.5 epochs=3 steps_per_epoch=1"
    # ReducePoly: lr0 * (1 - t/T) ** 0.99, t = 0, 1, 2 of T = 3
    assert out[3:6] == [f"{e:>6}    {0.5 * (1 - e / 3) ** 0.99:.6e}    {0.5 * (1 - e / 3) ** 0.99:.6e}" for e in range(3)]


# -- environment.json -------------------------------------------------------------------------


def test_read_environment_gives_the_flat_object(mmar):
    environment = mmar(SEARCHED_POLY).parent / "environment.json"
    assert lrpol.read_environment is read_environment
    assert read_environment(environment) == {
        "DATA_ROOT": "/workspace/data/Task09_Spleen_nii",
        "DATASET_JSON": "config/dataset_0.json",
        "PROCESSING_TASK": "segmentation",
        "MMAR_EVAL_OUTPUT_PATH": "eval",
        "MMAR_CKPT_DIR": "models",
        "POLY_POWER": 0.95,
    }


def test_environment_fills_variables_the_config_names(mmar):
    train = mmar({"name": "ReducePoly", "args": {"poly_power": "{POLY_POWER}"}})
    environment = train.parent / "environment.json"
    assert [p.message for p in validate(train)] == [
        "undefined variable 'POLY_POWER'",
    ]
    assert validate(train, environment=environment) == []
    assert load(train, environment=environment) == ReducePoly(poly_power=0.95)
    assert main(["validate", "--env", str(environment), str(train)]) == 0


def test_precedence_is_config_then_environment_then_var(mmar, capsys):
    env = '{"epochs": 30, "learning_rate": 0.5, "POLY_POWER": 2}\n'
    train = mmar({"name": "ReducePoly", "args": {"poly_power": "{POLY_POWER}"}}, environment=env, POLY_POWER=1)
    environment = train.parent / "environment.json"
    assert load(train) == ReducePoly(poly_power=1)  # the config's own value
    policy, ctx = load_run(train, environment=environment)
    assert (policy, ctx.total_epochs, ctx.initial_lr) == (ReducePoly(poly_power=2), 30, 0.5)  # the file's
    policy, ctx = load_run(train, environment=environment, variables={"POLY_POWER": 3, "epochs": 4})
    assert (policy, ctx.total_epochs, ctx.initial_lr) == (ReducePoly(poly_power=3), 4, 0.5)  # --var's
    assert main(["preview", "--env", str(environment), "--var", "epochs=4", str(train)]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == [f"{train}: ReducePoly(poly_power=2.0)", "lr0=0.5 epochs=4 steps_per_epoch=1"]


BAD_ENVIRONMENTS = [
    ('{\n  "DATA_ROOT": "/data",\n  "DATA_LIST": ["a.json"]\n}\n', '["a.json"]', "$.DATA_LIST",
     "the variable 'DATA_LIST' must be a string, number, boolean or null, got an array", "wrong-type"),
    ('["DATA_ROOT"]\n', '["DATA_ROOT"]', "$",
     'an environment file must be an object, got an array; an environment file is one object of variables, such as {"DATA_ROOT": "/data"}', "wrong-type"),
    ('{\n  "DATA_ROOT": "/data",\n  "DATA_ROOT": "/other"\n}\n', '"DATA_ROOT": "/o', "$.DATA_ROOT",
     "duplicate key 'DATA_ROOT'", "duplicate-key"),
]


@pytest.mark.parametrize("text, needle, json_path, message, code", BAD_ENVIRONMENTS, ids=["nested-value", "not-an-object", "duplicate-key"])
def test_a_bad_environment_file_is_reported_at_its_own_line(mmar, capsys, text, needle, json_path, message, code):
    train = mmar(SEARCHED_POLY, environment=text)
    environment = train.parent / "environment.json"
    line, column = where(environment, needle)
    problems = validate(train, environment=environment)
    assert [(p.file, p.line, p.column, p.json_path, p.code) for p in problems] == [(str(environment), line, column, json_path, code)]
    assert message in str(problems[0])
    with pytest.raises(ConfigError):
        load_run(train, environment=environment)
    assert main(["validate", "--env", str(environment), str(train)]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{environment}:{line}:{column}: {json_path}: ")
    assert captured.err == "the environment file has problems, so no config was checked\n"
    assert main(["preview", "--env", str(environment), str(train)]) == 1


def test_a_missing_environment_file_is_a_usage_error(mmar, capsys):
    train = mmar(SEARCHED_POLY)
    missing = train.parent / "environment_prod.json"
    assert main(["validate", "--env", str(missing), str(train)]) == 2
    assert capsys.readouterr().out == f"{missing}: $: cannot read file: No such file or directory\n"
    assert main(["preview", "--env", str(missing), str(train)]) == 2


def test_the_published_schema_accepts_a_search_and_refuses_an_unknown_argument_in_it(mmar):
    validator = lrpol.schema.validator()
    config = json.loads(mmar(SEARCHED_POLY).read_text(encoding="utf-8"))
    assert list(validator.iter_errors(config)) == []
    config["train"]["lr_policy"]["search"][0]["args"] = ["poly_powr"]
    assert [error.json_path for error in validator.iter_errors(config)] == ["$.train.lr_policy.search[0].args[0]"]
    both = {"name": "NotRegistered", "path": "my_pkg.Poly", "args": {"anything": 1}}
    assert list(validator.iter_errors({**config, "train": {"lr_policy": both}})) == []
