"""The JSON Schemas: generated from the code, committed without drift, and in agreement with
validate() and the constructors on the same valid and invalid dicts."""

import json
import subprocess
import sys

import jsonschema
import pytest
from conftest import CONFIGS, ROOT, VALID_ENTRIES, requires_extra, valid_entry

from lrpol import ConfigError, build, validate
from lrpol.schema import BUNDLE, LR_POLICY, TRAIN_CONFIG, generate, packaged, render, validator

SCHEMAS = generate()


@pytest.mark.parametrize("name", [LR_POLICY, TRAIN_CONFIG, BUNDLE])
@pytest.mark.parametrize("directory", ["schemas", "lrpol/schemas"])
def test_committed_schemas_match_the_code(directory, name):
    committed = (ROOT / directory / name).read_text(encoding="utf-8")
    assert committed == render(SCHEMAS[name]), "regenerate with: python -m lrpol.schema --write schemas/ lrpol/schemas/"


@pytest.mark.parametrize("name", [LR_POLICY, TRAIN_CONFIG, BUNDLE])
def test_schemas_ship_inside_the_package(name):
    assert packaged(name) == SCHEMAS[name]


@pytest.mark.parametrize("name", [LR_POLICY, TRAIN_CONFIG, BUNDLE])
@pytest.mark.parametrize("validator", [jsonschema.Draft202012Validator, jsonschema.Draft7Validator])
def test_schemas_are_valid_in_2020_12_and_draft_07(name, validator):
    validator.check_schema(SCHEMAS[name])


DRAFT_07_KEYWORDS = {
    "$schema", "$id", "$ref", "$defs", "title", "description", "default", "type", "properties", "required",
    "additionalProperties", "enum", "const", "pattern", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "if", "then", "else", "not", "allOf", "anyOf", "items", "minItems", "contains",
}


def _keywords(schema, found):
    if isinstance(schema, dict):
        for key, value in schema.items():
            found.add(key)
            if key in ("properties", "$defs"):
                for sub in value.values():
                    _keywords(sub, found)
            elif key not in ("enum", "const", "default", "required"):
                _keywords(value, found)
    elif isinstance(schema, list):
        for item in schema:
            _keywords(item, found)
    return found


@pytest.mark.parametrize("name", [LR_POLICY, TRAIN_CONFIG, BUNDLE])
def test_schemas_use_only_keywords_that_behave_the_same_in_draft_07(name):
    # $defs is 2019-09+, but draft-07 validators resolve "#/$defs/..." refs as plain JSON pointers.
    assert _keywords(SCHEMAS[name], set()) <= DRAFT_07_KEYWORDS
    assert "oneOf" not in json.dumps(SCHEMAS[name])


# -- agreement: the same dicts through validate, jsonschema and the constructors ------------------

def _broken(name, key, value):
    entry = valid_entry(name)
    if value is _DELETE:
        del entry["args"][key]
    else:
        entry["args"][key] = value
    return entry


_DELETE = object()

VALID = [
    *VALID_ENTRIES.values(),
    {"name": "ReduceCosine"},
    {"name": "ReduceCosine", "args": {}},
    {"name": "ReduceOnPlateau", "args": {"plateau_count_trigger": 1, "reduction_rate": 0.1, "mode": "min", "threshold": 0.5, "min_lr": 1e-7, "cooldown": 3}},
    {"name": "DecayOnStep", "args": {"decay_ratio": 1, "decay_freq": 2.0}},  # an int for a number, a whole float for an integer
    {"name": "ReducePoly", "args": {"poly_power": 1e-9}},
    {"name": "ReducePoly", "args": {"poly_power": 2}, "disabled": False},
    {"name": "ReducePoly", "args": {"poly_power": 2}, "$schema": "lr_policy.schema.json"},
    {"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": 2**53}},  # the largest integer argument
    {"name": "MultiStepDecay", "args": {"milestones": [1, 2**53], "gamma": 0.5}},
    {"name": "CosineRestarts", "args": {"period": 2**53, "period_mult": 2**53}},
    {"name": "ReducePoly", "args": {"poly_power": 0.99}, "search": [{"type": "float", "args": ["poly_power"], "targets": [0.9, 0.99], "domain": "lr"}]},
    {"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": 10}, "search": [
        {"type": "int", "args": "decay_freq", "targets": [5, 50], "domain": "lr"},
        {"type": "enum", "args": ["decay_ratio", "unit", "@disabled"], "targets": [[0.1, "step", False], [0.5, "epoch", True]], "domain": "lr"},
    ]},
]

INVALID = [
    {},
    {"name": "ReducePloy"},
    {"name": 3},
    {"name": 3, "path": "a.b", "args": {"poly_power": 1}},
    {"name": "ReducePoly", "args": [1]},
    {"name": "ReducePoly", "args": {"poly_power": 1}, "search": [{"type": "float", "args": ["poly_powr"], "targets": [0.9, 1]}]},
    {"name": "ReducePoly", "args": {"poly_power": 1}, "search": [{"type": "float", "args": ["poly_power"], "targets": [0.9, 1], "domian": "lr"}]},
    {"name": "ReducePoly", "args": {"poly_power": 1}, "search": [{"type": "flaot", "args": ["poly_power"], "targets": [0.9, 1]}]},
    {"name": "ReducePoly", "args": {"poly_power": 1}, "search": [{"type": "float", "args": ["poly_power"]}]},
    {"name": "ReducePoly", "args": {"poly_power": 1}, "search": {"type": "float", "args": ["poly_power"], "targets": [0.9, 1]}},
    {"name": "ReducePoly", "args": {"poly_power": 1}, "extra": True},
    {"name": "ReducePoly", "args": {"poly_power": 1}, "disabled": "no"},
    {"name": "ReducePoly"},
    {"path": "not-dotted"},
    {"path": 5},
    _broken("DecayOnStep", "decay_ratio", 0),
    _broken("DecayOnStep", "decay_ratio", 1.0000001),
    _broken("DecayOnStep", "decay_ratio", "0.5"),
    _broken("DecayOnStep", "decay_ratio", None),
    _broken("DecayOnStep", "decay_freq", 0),
    _broken("DecayOnStep", "decay_freq", True),
    _broken("DecayOnStep", "decay_freq", 2.5),
    _broken("DecayOnStep", "decay_freq", _DELETE),
    _broken("DecayOnStep", "decay_freq", 2**53 + 1),  # not exact as a float
    _broken("DecayOnStep", "decay_freq", 10**400),
    _broken("Warmup", "duration", 2**53 + 1),
    _broken("MultiStepDecay", "milestones", [1, 2**53 + 1]),
    _broken("ReduceOnPlateau", "cooldown", 2**53 + 1),
    _broken("DecayOnStep", "decay_rato", 0.5),
    _broken("ReduceCosine", "rate", 0),
    _broken("ReduceCosine", "rate", -1),
    _broken("ReduceCosine", "rate", [0.5]),
    _broken("ReducePoly", "poly_power", 0),
    _broken("ReducePoly", "poly_power", False),
    _broken("ReducePoly", "poly_power", _DELETE),
    _broken("ReduceOnPlateau", "plateau_count_trigger", 0),
    _broken("ReduceOnPlateau", "plateau_count_trigger", 1.5),
    _broken("ReduceOnPlateau", "reduction_rate", 1),
    _broken("ReduceOnPlateau", "reduction_rate", 0),
    _broken("ReduceOnPlateau", "mode", "Max"),
    _broken("ReduceOnPlateau", "mode", 1),
    _broken("ReduceOnPlateau", "threshold", -0.01),
    _broken("ReduceOnPlateau", "min_lr", -1e-9),
    _broken("ReduceOnPlateau", "cooldown", -1),
    _broken("ReduceOnPlateau", "cooldown", 0.5),
    _broken("ReduceOnPlateau", "patience", 3),
]


def _schema_errors(entry):
    return list(jsonschema.Draft202012Validator(SCHEMAS[LR_POLICY]).iter_errors(entry))


def _constructor_accepts(entry):
    try:
        build(entry)
    except ConfigError:
        return False
    return True


@pytest.mark.parametrize("entry", VALID, ids=lambda e: json.dumps(e)[:70])
def test_valid_everywhere(entry):
    assert validate(entry, pointer="") == []
    assert _schema_errors(entry) == []
    assert _constructor_accepts(entry)
    assert list(jsonschema.Draft202012Validator(SCHEMAS[TRAIN_CONFIG]).iter_errors({"epochs": 3, "train": {"lr_policy": entry}})) == []


@pytest.mark.parametrize("entry", INVALID, ids=lambda e: json.dumps(e)[:70])
def test_invalid_everywhere_at_the_same_place(entry):
    problems = validate(entry, pointer="")  # "": the mapping is the entry itself
    errors = _schema_errors(entry)
    assert problems and errors
    assert not _constructor_accepts(entry)
    # jsonschema reports a missing or unexpected property at the object that holds it (for a
    # missing argument with no args object, at the entry); we report it at the property itself.
    ours = {p.json_path for p in problems}
    theirs = {e.json_path for e in errors}
    assert any(t in (o, _parent(o), _parent(_parent(o))) for o in ours for t in theirs), (ours, theirs)


def _parent(json_path):
    return json_path.rsplit(".", 1)[0] if "." in json_path else json_path


def test_bool_is_never_a_number_and_whole_floats_are_integers_in_both():
    validator = jsonschema.Draft202012Validator(SCHEMAS[LR_POLICY])
    assert not validator.is_valid({"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": True}})
    assert validator.is_valid({"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": 3.0}})


def test_schema_accepts_whole_variable_references_in_args():
    entry = {"name": "ReduceOnPlateau", "args": {"plateau_count_trigger": "{PATIENCE}", "reduction_rate": 0.5, "mode": "{MODE}"}}
    assert _schema_errors(entry) == []
    assert validate(entry, variables={"PATIENCE": 3, "MODE": "min"}) == []
    assert _schema_errors(_broken("ReducePoly", "poly_power", "x{P}"))


def test_path_entries_pass_the_schema_with_any_args():
    assert _schema_errors({"path": "my_pkg.policies.Warmup", "args": {"anything": [1, 2]}}) == []


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.json")) + sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_example_configs_pass_check_jsonschema(path):
    requires_extra("dev", "check_jsonschema")
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(ROOT / "schemas" / TRAIN_CONFIG), str(path)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


def test_check_jsonschema_rejects_a_typo(write):
    requires_extra("dev", "check_jsonschema")
    config = json.loads((CONFIGS / "decay_on_step.json").read_text())
    config["train"]["lr_policy"]["args"]["decay_rato"] = config["train"]["lr_policy"]["args"].pop("decay_ratio")
    path = write("typo.json", json.dumps(config))
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(ROOT / "schemas" / TRAIN_CONFIG), str(path)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert "decay_rato" in result.stdout + result.stderr


def test_python_m_lrpol_schema_writes_the_committed_files(tmp_path):
    subprocess.run([sys.executable, "-m", "lrpol.schema", "--write", str(tmp_path)], check=True, capture_output=True, timeout=60)
    for name in (LR_POLICY, TRAIN_CONFIG, BUNDLE):
        assert (tmp_path / name).read_text(encoding="utf-8") == (ROOT / "schemas" / name).read_text(encoding="utf-8")


# -- Clara 4's train.lr_scheduler: torch's names and arguments, or lrpol entries ----------------

def _torch(name, **args):
    return {"name": name, "args": {"optimizer": "@optimizer", **args}}


SCHEDULERS_VALID = [
    _torch("StepLR", step_size=5000, gamma=0.1),
    {"name": "StepLR", "args": {"step_size": 2}},  # optimizer left out: the train optimizer
    _torch("MultiStepLR", milestones=[30, 80], gamma=0.5),
    _torch("ExponentialLR", gamma=0.95),
    _torch("ConstantLR", factor=0.5, total_iters=4),
    _torch("LinearLR", start_factor=0.1, end_factor=1.0, total_iters=5),
    _torch("PolynomialLR", total_iters="{epochs}", power=0.9),
    _torch("CosineAnnealingLR", T_max="{epochs}", eta_min=1e-6),
    _torch("CosineAnnealingWarmRestarts", T_0=10, T_mult=2, eta_min=0, last_epoch=-1, verbose=False),
    _torch("OneCycleLR", max_lr=0.01, total_steps=1000, pct_start=0.25, anneal_strategy="linear", three_phase=True),
    _torch("OneCycleLR", max_lr=0.01, epochs=10, steps_per_epoch=100),
    _torch("CyclicLR", base_lr=0.001, max_lr=0.01, step_size_up=20, mode="exp_range", gamma=0.99, cycle_momentum=False),
    _torch("ReduceLROnPlateau", mode="max", factor=0.5, patience=3, threshold=0.01, threshold_mode="abs", cooldown=2, min_lr=1e-6, eps=1e-9),
    _torch("SequentialLR", milestones=[5], schedulers=[_torch("LinearLR", start_factor=0.1, total_iters=5), {"name": "ReduceCosine", "args": {"unit": "step"}}]),
    _torch("ChainedScheduler", schedulers=[_torch("ExponentialLR", gamma=0.9), _torch("CosineAnnealingLR", T_max="{epochs}"), {"name": "ReduceCosine"}]),
    _torch("ChainedScheduler", schedulers=[_torch("ExponentialLR", gamma=0.9), _torch("CosineAnnealingLR", T_max=40, eta_min=0)]),
    _torch("ChainedScheduler", schedulers=[_torch("CosineAnnealingWarmRestarts", T_0=5)]),  # a chain of one is that scheduler
    {"name": "StepLR", "args": {"step_size": 10}, "search": [{"type": "float", "args": ["gamma"], "targets": [0.1, 0.5], "domain": "lr"}]},
    {"name": "StepLR", "args": {"step_size": 10}, "disabled": True},
    valid_entry("DecayOnStep"),  # lrpol's names are read there too
    valid_entry("Warmup"),
    {"path": "my_pkg.policies.Warmup", "args": {"anything": 1}},
]

SCHEDULERS_INVALID = [
    {"name": "StepLr", "args": {"step_size": 5}},
    {"name": "StepLR"},
    {"name": "StepLR", "args": [5]},
    {"name": "StepLR", "args": {"step_size": 5}, "extra": 1},
    _torch("StepLR", step_size=0),
    _torch("StepLR", step_size=5, gamma=1.5),
    _torch("StepLR", step_size=5, gamma="0.1"),
    _torch("StepLR", step_size=5, last_epoch=3),
    {"name": "StepLR", "args": {"optimizer": "@other", "step_size": 2}},
    _torch("CosineAnnealingLR", T_max=10, eta_mn=0.001),
    _torch("CosineAnnealingLR", T_max="x{epochs}"),
    _torch("MultiStepLR", milestones=[0, 5]),
    _torch("OneCycleLR", max_lr=0.01),
    _torch("OneCycleLR", max_lr=0.01, total_steps=None, epochs=3),
    _torch("CyclicLR", base_lr=0.001, max_lr=0.01, scale_mode="iterations"),
    _torch("ReduceLROnPlateau", mode="Max"),
    _torch("ReduceLROnPlateau", patience=-1),
    _torch("SequentialLR", milestones=[5], schedulers=[_torch("OneCycleLR", max_lr=0.1, total_steps=10), _torch("StepLR", step_size=3)]),
    _torch("ChainedScheduler", schedulers=[_torch("ReduceLROnPlateau")]),
    _torch("ChainedScheduler", schedulers=[_torch("ExponentialLR", gamma=0.9), _torch("SequentialLR", milestones=[2], schedulers=[_torch("ConstantLR"), _torch("StepLR", step_size=3)])]),
    _torch("SequentialLR", milestones=[2], schedulers=[_torch("ChainedScheduler", schedulers=[_torch("StepLR", step_size=3)]), _torch("StepLR", step_size=3)]),
    _torch("ChainedScheduler", schedulers=[_torch("StepLR", step_size=3), _torch("CosineAnnealingWarmRestarts", T_0=5)]),
    _torch("ChainedScheduler", schedulers=[_torch("StepLR", step_size=3), _torch("CosineAnnealingLR", T_max=50, eta_min=1e-3)]),
    _torch("SequentialLR", milestones=[5], schedulers=[_torch("LinearLr"), _torch("StepLR", step_size=3)]),
    _torch("SequentialLR", milestones=[5], schedulers=[{**_torch("ConstantLR"), "disabled": True}, _torch("StepLR", step_size=3)]),
    _torch("ChainedScheduler", schedulers=[]),
    {"name": "StepLR", "args": {"step_size": 10}, "search": [{"type": "float", "args": ["gama"], "targets": [0.1, 0.5]}]},
    _broken("DecayOnStep", "decay_ratio", 0),
]


def _clara4(scheduler):
    return {
        "epochs": 40, "learning_rate": 0.1,
        "train": {"optimizer": {"name": "Adam", "args": {"lr": "{learning_rate}"}}, "lr_scheduler": scheduler, "handlers": [{"name": "LrScheduleHandler"}]},
    }


def _scheduler_problems(config):
    return validate(config)


def _train_schema_errors(config):
    return list(jsonschema.Draft202012Validator(SCHEMAS[TRAIN_CONFIG]).iter_errors(config))


@pytest.mark.parametrize("scheduler", SCHEDULERS_VALID, ids=lambda e: json.dumps(e)[:70])
def test_clara_4_schedulers_valid_everywhere(scheduler):
    config = _clara4(scheduler)
    assert _scheduler_problems(config) == []
    assert _train_schema_errors(config) == []


@pytest.mark.parametrize("scheduler", SCHEDULERS_INVALID, ids=lambda e: json.dumps(e)[:70])
def test_clara_4_schedulers_invalid_everywhere_at_the_same_place(scheduler):
    config = _clara4(scheduler)
    problems = _scheduler_problems(config)
    errors = _train_schema_errors(config)
    assert problems and errors
    ours = {p.json_path for p in problems}
    theirs = {e.json_path for e in errors}
    assert any(t in (o, _parent(o), _parent(_parent(o))) for o in ours for t in theirs), (ours, theirs)


def test_lr_policy_and_lr_scheduler_together_are_a_conflict_in_both():
    config = _clara4(_torch("StepLR", step_size=2))
    config["train"]["lr_policy"] = valid_entry("ReducePoly")
    assert [p.json_path for p in validate(config)] == ["$.train.lr_scheduler"]
    assert [e.json_path for e in _train_schema_errors(config)] == ["$.train"]


@pytest.mark.parametrize("handlers, where", [(None, "$.train"), ([], "$.train.handlers"), ([{"name": "StatsHandler"}], "$.train.handlers")])
def test_a_torch_scheduler_without_its_handler_is_refused_by_both(handlers, where):
    config = _clara4(_torch("StepLR", step_size=2))
    del config["train"]["handlers"]
    if handlers is not None:
        config["train"]["handlers"] = handlers
    assert [(p.json_path, p.code) for p in validate(config)] == [("$.train.lr_scheduler", "missing-handler")]
    assert [e.json_path for e in _train_schema_errors(config)] == [where]


@pytest.mark.parametrize("scheduler", [{**_torch("StepLR", step_size=2), "disabled": True}, valid_entry("DecayOnStep")], ids=["disabled", "native"])
def test_a_scheduler_nothing_needs_to_step_needs_no_handler_in_both(scheduler):
    config = _clara4(scheduler)
    del config["train"]["handlers"]
    assert validate(config) == [] and _train_schema_errors(config) == []


def test_torch_names_are_read_only_under_lr_scheduler():
    # lr_policy stays Clara 3's: lrpol's names only, in the schema as in validate
    config = {"epochs": 3, "train": {"lr_policy": _torch("StepLR", step_size=2)}}
    assert _train_schema_errors(config) and validate(config)
    assert list(jsonschema.Draft202012Validator(SCHEMAS[LR_POLICY]).iter_errors(_torch("StepLR", step_size=2)))


CLARA_4 = """{
  "epochs": 1250,
  "learning_rate": 1e-4,
  "train": {
    "optimizer": {"name": "Adam", "args": {"params": "#@model.parameters()", "lr": "{learning_rate}"}},
    "lr_scheduler": {"name": "StepLR", "args": {"optimizer": "@optimizer", "step_size": 5000, "gamma": 0.1}},
    "handlers": [{"name": "LrScheduleHandler", "args": {"print_lr": true}}]
  }
}
"""


def _check_jsonschema(path):
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(ROOT / "schemas" / TRAIN_CONFIG), str(path)],
        capture_output=True, text=True, timeout=120,
    )


def test_check_jsonschema_reads_a_clara_4_config_and_its_typos(write):
    requires_extra("dev", "check_jsonschema")
    assert _check_jsonschema(write("config_train.json", CLARA_4)).returncode == 0
    result = _check_jsonschema(write("typo.json", CLARA_4.replace('"gamma"', '"gama"')))
    assert result.returncode == 1 and "gama" in result.stdout + result.stderr


def _mutations():
    from hypothesis import strategies as st

    values = st.one_of(
        st.none(), st.booleans(), st.integers(-3, 50), st.floats(-1, 2, allow_nan=False), st.sampled_from(["@optimizer", "{epochs}", "min", "max", "cos", "abs", "exp_range", "x"]),
        st.lists(st.integers(0, 30), max_size=3), st.sampled_from([_torch("StepLR", step_size=2), _torch("OneCycleLR", max_lr=0.1, total_steps=9), valid_entry("ReducePoly"), {"name": "LinearLR"}]),
    )
    names = st.sampled_from(["name", "args", "disabled", "path", "optimizer", "step_size", "gamma", "T_max", "eta_min", "total_steps", "epochs", "steps_per_epoch", "schedulers", "milestones", "mode", "patience", "last_epoch", "max_lr", "base_lr", "extra"])

    @st.composite
    def mutated(draw):
        entry = json.loads(json.dumps(draw(st.sampled_from(SCHEDULERS_VALID))))
        for _ in range(draw(st.integers(1, 3))):
            holder = entry["args"] if isinstance(entry.get("args"), dict) and draw(st.booleans()) else entry
            if holder and draw(st.booleans()):
                holder.pop(draw(st.sampled_from(sorted(holder))))
            else:
                holder[draw(names)] = json.loads(json.dumps(draw(values)))  # a copy: the samples are shared
        return entry

    return mutated()


def test_the_schema_never_refuses_a_scheduler_validate_accepts():
    from conftest import examples
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=examples(1000), deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_mutations())
    def check(scheduler):
        config = _clara4(scheduler)
        if _scheduler_problems(config) == []:
            assert _train_schema_errors(config) == [], scheduler

    check()


# -- MONAI bundles: bundle.schema.json agrees with validate() on the same bundles ------------

BUNDLE_FOLDER = ROOT / "tests" / "data" / "bundles" / "abdomen_ct_segresnet"
_BUNDLE_RUN = {
    "epochs": 40, "warmup": 5, "optimizer": {"_target_": "torch.optim.SGD", "params": "$@network.parameters()", "lr": 0.1},
    "warmup_scheduler": {"_target_": "torch.optim.lr_scheduler.LinearLR", "optimizer": "@optimizer", "start_factor": 0.1, "total_iters": "@warmup"},
    "train": {"handlers": [{"_target_": "LrScheduleHandler", "lr_scheduler": "@lr_scheduler"}], "trainer": {"_target_": "SupervisedTrainer", "max_epochs": "@epochs"}},
}


def _bundle(**scheduler):
    return {**_BUNDLE_RUN, "lr_scheduler": {"optimizer": "@optimizer", **scheduler}}


BUNDLE_VALID = [
    _bundle(_target_="torch.optim.lr_scheduler.CosineAnnealingLR", T_max="@epochs", eta_min=1e-6),
    _bundle(_target_="torch.optim.lr_scheduler.StepLR", step_size=5, gamma=0.5, _desc_="halve every 5 epochs", _requires_="@epochs", _mode_="default"),
    _bundle(_target_="torch.optim.lr_scheduler.MultiStepLR", milestones=["@warmup", 20], _disabled_="False"),
    _bundle(_target_="torch.optim.lr_scheduler.SequentialLR", milestones=["@warmup"], schedulers=["@warmup_scheduler", {"_target_": "torch.optim.lr_scheduler.CosineAnnealingLR", "optimizer": "@optimizer", "T_max": 35}]),
    _bundle(_target_="monai.optimizers.WarmupCosineSchedule", warmup_steps="@warmup", t_total="%epochs", warmup_multiplier=0.1),
    _bundle(_target_="WarmupCosineSchedule", warmup_steps=2, t_total=40, end_lr=1e-5, cycles=1.5),
]

BUNDLE_INVALID = [
    _bundle(_target_="torch.optim.lr_scheduler.StepLr", step_size=5),
    _bundle(_target_="torch.optim.lr_scheduler.LambdaLR", lr_lambda="$lambda e: 0.95 ** e"),
    _bundle(_target_="torch.optim.lr_scheduler.CosineAnnealingLR", T_max="$@epochs // 2"),
    _bundle(_target_="torch.optim.lr_scheduler.CosineAnnealingLR", T_max=40, eta_mn=1e-6),
    _bundle(_target_="torch.optim.lr_scheduler.CosineAnnealingLR"),
    _bundle(_target_="torch.optim.lr_scheduler.StepLR", step_size=0),
    _bundle(_target_="torch.optim.lr_scheduler.StepLR", step_size=5, gamma=1.5),
    _bundle(_target_="torch.optim.lr_scheduler.StepLR", step_size=5, _mode_="partial"),
    _bundle(_target_="torch.optim.lr_scheduler.StepLR", step_size=5, _disabled_="maybe"),
    _bundle(_target_="torch.optim.lr_scheduler.SequentialLR", milestones=[5], schedulers=[{"_target_": "torch.optim.lr_scheduler.LinearLR", "optimizer": "@optimizer", "total_iters": "$5"}, "@warmup_scheduler"]),
    _bundle(_target_="monai.optimizers.WarmupCosineSchedule", warmup_steps=2, t_total=40, warmup_multiplier=2),
    {**_BUNDLE_RUN, "lr_scheduler": "%configs/common.json#lr_scheduler"},
]


def _bundle_errors(data):
    return list(jsonschema.Draft202012Validator(SCHEMAS[BUNDLE]).iter_errors(data))


@pytest.mark.parametrize("data", BUNDLE_VALID, ids=lambda d: json.dumps(d["lr_scheduler"])[:70])
def test_a_valid_bundle_is_valid_everywhere(data):
    assert validate(data) == []
    assert _bundle_errors(data) == []
    assert list(jsonschema.Draft7Validator(SCHEMAS[BUNDLE]).iter_errors(data)) == []


@pytest.mark.parametrize("data", BUNDLE_INVALID, ids=lambda d: json.dumps(d["lr_scheduler"])[:70])
def test_an_invalid_bundle_is_invalid_everywhere_at_the_same_place(data):
    problems = validate(data)
    errors = _bundle_errors(data)
    assert problems and errors
    # jsonschema reports a key that is not allowed, or one that is missing, at the object that holds it
    ours = {p.json_path for p in problems}
    theirs = {e.json_path.replace("['_target_']", "._target_").replace("['_mode_']", "._mode_").replace("['_disabled_']", "._disabled_") for e in errors}
    assert any(t in (o, _parent(o)) for o in ours for t in theirs), (ours, theirs)


def test_what_only_validate_can_tell_in_a_bundle():
    # the schema cannot follow references: a missing id, a circle, a $ expression behind one
    for scheduler in ({"T_max": "@epoch"}, {"T_max": "@a"}, {"T_max": "@half"}):
        data = {**_bundle(_target_="torch.optim.lr_scheduler.CosineAnnealingLR", **scheduler), "a": "@b", "b": "@a", "half": "$@epochs // 2"}
        assert _bundle_errors(data) == []
        assert [p.json_path for p in validate(data)] == ["$.lr_scheduler.T_max"]


@pytest.mark.parametrize("path", sorted((BUNDLE_FOLDER / "configs").glob("*.json")), ids=lambda p: p.name)
def test_the_bundle_folder_passes_check_jsonschema(path):
    requires_extra("dev", "check_jsonschema")
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(ROOT / "schemas" / BUNDLE), str(path)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_lrpol_schema_bundle_prints_the_published_bundle_schema(capsys):
    from lrpol.cli import main

    assert main(["schema", "--bundle"]) == 0
    assert capsys.readouterr().out == (ROOT / "schemas" / BUNDLE).read_text(encoding="utf-8")


def test_the_bundle_schema_takes_a_whole_reference_or_variable_for_any_argument_as_validate_does():
    bundle = {
        "ms": [5, 10], "n": 3, "optimizer": {"_target_": "torch.optim.SGD", "lr": 0.1},
        "lr_scheduler": {"_target_": "torch.optim.lr_scheduler.MultiStepLR", "optimizer": "@optimizer", "milestones": "@ms", "gamma": "{GAMMA}"},
        "train": {"handlers": [{"_target_": "LrScheduleHandler", "lr_scheduler": "@lr_scheduler"}], "trainer": {"_target_": "SupervisedTrainer", "max_epochs": 20}},
    }
    assert list(validator(BUNDLE).iter_errors(bundle)) == []
    assert validate(bundle, variables={"GAMMA": 0.5}) == []
    bundle["lr_scheduler"]["milestones"] = "ms"  # not a reference: a string where a list goes
    assert [error.json_path for error in validator(BUNDLE).iter_errors(bundle)] == ["$.lr_scheduler.milestones"]
