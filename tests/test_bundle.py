"""A MONAI bundle's lr_scheduler read through its view: references (``@id``, ``@a#b``, ``@a#0``,
``%id``) followed, every problem placed back in the bundle at file:line:column with the bundle's
JSON path, ``$`` expressions never evaluated (a problem only where the schedule needs one), and
the run read from the LrScheduleHandler, the trainer and the optimizer."""

from __future__ import annotations

import json

import pytest

from lrpol import load, load_run, validate
from lrpol.bundle import read_view
from lrpol.config_kind import BUNDLE, NOT_LR_CONFIG, TRAIN_CONFIG, kind_of
from lrpol.document import Budget
from lrpol.errors import ConfigError
from lrpol.reading import parse_bytes
from lrpol.torch_schedulers import OPTIMIZER_REFERENCE

HEAD = """{
    "epochs": 40,
    "lo": "@hi",
    "hi": "@lo",
    "steps": [10, 20],
    "optimizer": {"_target_": "torch.optim.SGD", "params": "$@network.parameters()", "lr": 0.1},
"""
TAIL = """    "train": {
        "handlers": [{"_target_": "LrScheduleHandler", "lr_scheduler": "@lr_scheduler"}],
        "trainer": {"_target_": "SupervisedTrainer", "max_epochs": "@epochs"}
    }
}
"""


def problems(write, scheduler: str, tail: str = TAIL) -> list[tuple]:
    """The problems of a bundle whose lr_scheduler (from line 7 on) is ``scheduler``."""
    path = write("train.json", HEAD + '    "lr_scheduler": ' + scheduler + ",\n" + tail)
    found = validate(path)
    assert all(p.file == str(path) for p in found)
    return [(p.line, p.column, p.json_path, p.message, p.hint, p.code) for p in found]


CODE_HINT = "lrpol never runs a bundle's code: write the value itself, or a reference (@id) to one"
UNKNOWN_HINT = "lrpol reads torch's schedulers (torch.optim.lr_scheduler.*) and MONAI's WarmupCosineSchedule (lrpol schema --bundle lists them); a class of the bundle's own would have to run"


def test_a_valid_bundle_has_no_problems_and_builds_the_schedulers_policy(write):
    text = HEAD + '    "lr_scheduler": {"_target_": "torch.optim.lr_scheduler.MultiStepLR", "optimizer": "@optimizer", "milestones": ["@steps#0", "@steps::1"]},\n' + TAIL
    path = write("train.json", text)
    assert validate(path) == []
    assert repr(load(path)) == "MultiStepDecay(milestones=(10, 20), gamma=0.1, unit='epoch')"


def test_a_typo_in_target_gets_the_closest_scheduler(write):
    assert problems(write, '{\n        "_target_": "torch.optim.lr_scheduler.StepLr",\n        "optimizer": "@optimizer",\n        "step_size": 5\n    }') == [
        (8, 21, "$.lr_scheduler._target_", "unknown scheduler 'torch.optim.lr_scheduler.StepLr'", "did you mean 'torch.optim.lr_scheduler.StepLR'?", "unknown-policy"),
    ]


def test_a_class_lrpol_does_not_know_is_refused_with_the_table(write):
    assert problems(write, '{"_target_": "torch.optim.lr_scheduler.LambdaLR", "optimizer": "@optimizer", "lr_lambda": "$lambda e: 0.9 ** e"}') == [
        (7, 34, "$.lr_scheduler._target_", "lrpol does not know the scheduler 'torch.optim.lr_scheduler.LambdaLR', so its LRs cannot be checked", UNKNOWN_HINT, "needs-code"),
        (7, 111, "$.lr_scheduler.lr_lambda", "'$lambda e: 0.9 ** e' is a Python expression, so the value cannot be checked without running code", CODE_HINT, "needs-code"),
    ]


def test_a_python_expression_in_an_argument_cannot_be_checked(write):
    assert problems(write, '{\n        "_target_": "torch.optim.lr_scheduler.CosineAnnealingLR",\n        "optimizer": "@optimizer",\n        "T_max": "$@epochs // 2"\n    }') == [
        (10, 18, "$.lr_scheduler.T_max", "'$@epochs // 2' is a Python expression, so the value cannot be checked without running code", CODE_HINT, "needs-code"),
    ]


def test_a_python_expression_reached_through_a_reference_is_placed_at_the_reference(write):
    tail = '    "half": "$@epochs // 2",\n' + TAIL
    assert problems(write, '{\n        "_target_": "torch.optim.lr_scheduler.CosineAnnealingLR",\n        "optimizer": "@optimizer",\n        "T_max": "@half"\n    }', tail) == [
        (10, 18, "$.lr_scheduler.T_max", "'$@epochs // 2' is a Python expression, so the value cannot be checked without running code (through @half)", CODE_HINT, "needs-code"),
    ]


def test_a_missing_reference_gets_the_closest_id(write):
    assert problems(write, '{\n        "_target_": "torch.optim.lr_scheduler.CosineAnnealingLR",\n        "optimizer": "@optimizer",\n        "T_max": "@epoch"\n    }') == [
        (10, 18, "$.lr_scheduler.T_max", "no id 'epoch' in this bundle", "did you mean 'epochs'?", "unknown-reference"),
    ]


def test_an_index_past_a_lists_end_says_how_long_the_list_is(write):
    assert problems(write, '{"_target_": "torch.optim.lr_scheduler.MultiStepLR", "optimizer": "@optimizer", "milestones": ["@steps#0", "@steps#2"]}') == [
        (7, 128, "$.lr_scheduler.milestones[1]", "no id 'steps#2' in this bundle", "steps is a list of 2 item(s), indexed from 0", "unknown-reference"),
    ]


def test_references_that_go_round_in_a_circle(write):
    assert problems(write, '{\n        "_target_": "torch.optim.lr_scheduler.StepLR",\n        "optimizer": "@optimizer",\n        "step_size": 5,\n        "gamma": "@lo"\n    }') == [
        (11, 18, "$.lr_scheduler.gamma", "references go round in a circle: @lo -> @hi -> @lo (through @lo)", "one of them must hold a value", "reference-cycle"),
    ]


def test_a_value_refused_through_a_reference_names_the_reference(write):
    tail = '    "decay": 1.5,\n' + TAIL
    assert problems(write, '{"_target_": "torch.optim.lr_scheduler.StepLR", "optimizer": "@optimizer", "step_size": 5, "gamma": "@decay"}', tail) == [
        (7, 121, "$.lr_scheduler.gamma", "must be > 0 and <= 1, got 1.5 (through @decay)", "", "out-of-range"),
    ]


def test_a_macro_from_another_file_is_refused_and_one_from_this_file_is_a_copy(write):
    tail = '    "base": {"_target_": "torch.optim.lr_scheduler.StepLR", "optimizer": "@optimizer", "step_size": 5},\n' + TAIL
    assert problems(write, '"%configs/common.json#base"', tail) == [
        (7, 21, "$.lr_scheduler", "'%configs/common.json#base' copies a value from another file, which lrpol does not read", "write the value here, or a reference (@id) to a value in this file", "not-supported"),
    ]
    assert problems(write, '"%base"', tail) == []
    assert repr(load(write("train.json", HEAD + '    "lr_scheduler": "%base",\n' + tail))) == "DecayOnStep(decay_ratio=0.1, decay_freq=5, unit='epoch')"


def test_a_mode_that_leaves_building_to_code_is_refused(write):
    assert problems(write, '{"_target_": "torch.optim.lr_scheduler.StepLR", "step_size": 5, "_mode_": "partial", "_desc_": "built later", "_requires_": "@epochs"}') == [
        (7, 95, "$.lr_scheduler._mode_", "_mode_ 'partial' leaves building the scheduler to code, so its LRs cannot be checked", "lrpol reads a scheduler the bundle builds itself: _mode_ 'default', or no _mode_", "not-supported"),
    ]


def test_an_optimizer_reference_that_leads_nowhere(write):
    assert problems(write, '{"_target_": "torch.optim.lr_scheduler.StepLR", "optimizer": "@optimiser", "step_size": 5}') == [
        (7, 82, "$.lr_scheduler.optimizer", "no id 'optimiser' in this bundle", "did you mean 'optimizer'?", "unknown-reference"),
    ]


def test_an_lr_scheduler_that_is_no_component(write):
    assert problems(write, '{"name": "StepLR", "args": {"step_size": 5}}') == [
        (7, 21, "$.lr_scheduler", "lr_scheduler must be a component: an object with '_target_' naming the scheduler class", "for example {'_target_': 'torch.optim.lr_scheduler.StepLR', 'optimizer': '@optimizer', 'step_size': 10}", "wrong-type"),
    ]


STEP = '{"_target_": "torch.optim.lr_scheduler.StepLR", "optimizer": "@optimizer", "step_size": 5}'


def test_without_a_handler_nothing_steps_the_scheduler(write):
    tail = TAIL.replace('{"_target_": "LrScheduleHandler", "lr_scheduler": "@lr_scheduler"}', '{"_target_": "StatsHandler"}')
    assert problems(write, STEP, tail) == [
        (7, 21, "$.lr_scheduler", "nothing steps this scheduler: no LrScheduleHandler refers to it, so its LR never changes", MISSING_HINT, "missing-handler"),
    ]
    near = TAIL.replace('"LrScheduleHandler"', '"LRScheduleHandler"')
    assert problems(write, STEP, near)[0][3:] == ("nothing steps this scheduler: no LrScheduleHandler refers to it, so its LR never changes", "$.train.handlers[0] names 'LRScheduleHandler'; did you mean 'LrScheduleHandler'?", "missing-handler")


MISSING_HINT = 'add {"_target_": "LrScheduleHandler", "lr_scheduler": "@lr_scheduler"} to the trainer\'s handlers (train#handlers); it steps once per epoch, or per update with "epoch_level": false'


def test_a_second_handler_stepping_the_same_scheduler_would_double_its_pace(write):
    twice = TAIL.replace('{"_target_": "LrScheduleHandler", "lr_scheduler": "@lr_scheduler"}', '{"_target_": "LrScheduleHandler", "lr_scheduler": "@lr_scheduler"},\n            {"_target_": "LrScheduleHandler", "lr_scheduler": "@lr_scheduler", "epoch_level": false}')
    assert problems(write, STEP, twice) == [
        (10, 26, "$.train.handlers[1]._target_", "a second LrScheduleHandler steps this scheduler (the first is at $.train.handlers[0]), so it would move twice as fast", "keep one", "conflict"),
    ]


def test_the_handlers_epoch_level_decides_the_stepping_and_a_python_expression_there_is_a_problem(write):
    per_update = TAIL.replace('"@lr_scheduler"}', '"@lr_scheduler", "epoch_level": "@per_epoch"}').replace('    "train"', '    "per_epoch": false,\n    "train"')
    assert repr(load(write("train.json", HEAD + '    "lr_scheduler": ' + STEP + ",\n" + per_update))) == "DecayOnStep(decay_ratio=0.1, decay_freq=5)"
    expression = TAIL.replace('"@lr_scheduler"}', '"@lr_scheduler", "epoch_level": "$not @fast"}')
    assert problems(write, STEP, expression) == [
        (9, 104, "$.train.handlers[0].epoch_level", "'$not @fast' is a Python expression, so the value cannot be checked without running code", CODE_HINT, "needs-code"),
    ]


def test_a_disabled_handler_steps_nothing_and_a_disabled_scheduler_is_no_policy(write):
    disabled_handler = TAIL.replace('"@lr_scheduler"}', '"@lr_scheduler", "_disabled_": "True"}')
    assert [found[4:] for found in problems(write, STEP, disabled_handler)] == [("the LrScheduleHandler at $.train.handlers[0] is disabled", "missing-handler")]
    disabled_scheduler = '    "lr_scheduler": {"_target_": "torch.optim.lr_scheduler.StepLR", "optimizer": "@optimizer", "step_size": 5, "_disabled_": "true"},\n'
    path = write("train.json", HEAD + disabled_scheduler + disabled_handler)
    assert validate(path) == []
    assert load(path) is None
    # an enabled handler stepping a disabled scheduler: MONAI calls step() on None
    path = write("train.json", HEAD + disabled_scheduler + TAIL)
    assert [(p.json_path, p.message, p.code) for p in validate(path)] == [("$.train.handlers[0]", "this LrScheduleHandler steps a scheduler that is disabled, so MONAI would fail at its first step", "conflict")]


def test_python_expressions_elsewhere_in_the_bundle_are_never_looked_at(write):
    # HEAD's optimizer takes "$@network.parameters()", and @network is nowhere: it is not the schedule's business
    assert problems(write, STEP) == []


def test_a_refused_optimizer_lr_is_reported_at_it(write):
    path = write("train.json", HEAD.replace('"lr": 0.1', '"lr": -1') + '    "lr_scheduler": ' + STEP + ",\n" + TAIL)
    assert [(p.line, p.column, p.json_path, p.message) for p in validate(path)] == [(6, 92, "$.optimizer.lr", "must be > 0, got -1")]


def test_load_run_needs_the_epochs_and_says_so(write):
    path = write("train.json", HEAD.replace('    "epochs": 40,\n', "") + '    "lr_scheduler": ' + STEP + ",\n" + TAIL.replace('"max_epochs": "@epochs"', '"max_epochs": "$int(@n)"'))
    assert validate(path) == []
    with pytest.raises(ConfigError) as raised:
        load_run(path)
    assert [(p.json_path, p.message) for p in raised.value.problems] == [("$.epochs", "missing 'epochs', which the run needs (the run's length in epochs)")]


def test_references_that_expand_past_the_budget_are_refused():
    # each level doubles: 2**20 values from a few lines, as a YAML billion laughs would make
    levels = {f"l{i}": [f"@l{i + 1}", f"@l{i + 1}"] for i in range(20)}
    data = {**levels, "l20": 1, "lr_scheduler": {"_target_": "torch.optim.lr_scheduler.MultiStepLR", "milestones": "@l0"}}
    view = read_view(parse_bytes(json.dumps(data).encode(), "train.json"))
    assert Budget.MAX_VALUES < 2**20
    (refused,) = view.problems  # once, where the budget ran out: the rest is not expanded
    assert refused.json_path.startswith("$.lr_scheduler.milestones[0]") and refused.code == "too-large"
    assert refused.message == "references repeat more than 100,000 values (through @l0)"


def test_the_view_is_the_entry_lrpol_checks():
    doc = parse_bytes((HEAD + '    "lr_scheduler": {"_target_": "torch.optim.lr_scheduler.StepLR", "optimizer": "@optimizer", "step_size": "@epochs", "_desc_": "x"},\n' + TAIL).encode(), "train.json")
    view = read_view(doc, {"epochs": 7})
    assert view.data == {"name": "torch.optim.lr_scheduler.StepLR", "args": {"optimizer": OPTIMIZER_REFERENCE, "step_size": 7}}
    assert view.optimizer == ("optimizer",)
    assert view.place(("args", "step_size")) == (("lr_scheduler", "step_size"), (7, 109), "@epochs")
    assert view.place(("name",)) == (("lr_scheduler", "_target_"), (7, 34), "")


@pytest.mark.parametrize(
    "data, what",
    [
        ({"lr_scheduler": {"_target_": "torch.optim.lr_scheduler.StepLR"}}, BUNDLE),
        ({"optimizer": {"_target_": "torch.optim.Adam"}, "lr_scheduler": "@sched", "train": {"trainer": {}}}, BUNDLE),
        ({"network_def": {"_target_": "UNet"}, "train": {"handlers": [{"_target_": "StatsHandler"}]}}, NOT_LR_CONFIG),
        ({"epochs": 3, "train": {"lr_scheduler": {"name": "StepLR", "args": {"step_size": 2}}}}, TRAIN_CONFIG),
        ({"epochs": 3, "train": {"model": {"name": "SegAhnet"}}}, TRAIN_CONFIG),
    ],
)
def test_a_bundle_is_told_from_a_clara_config_by_its_components(data, what):
    assert kind_of(data).what == what


YAML_BUNDLE = """\
epochs: 40
learning_rate: 0.001
optimizer:
  _target_: torch.optim.Adam
  params: $@network.parameters()
  lr: '@learning_rate'
lr_scheduler:
  _target_: torch.optim.lr_scheduler.StepLR
  optimizer: '@optimizer'
  step_size: '@decay_every'
  gama: 0.5
train:
  handlers:
  - _target_: LrScheduleHandler
    lr_scheduler: '@lr_scheduler'
  trainer: {_target_: SupervisedTrainer, max_epochs: '@epochs'}
"""


def test_a_yaml_bundle_is_read_the_same_way(write):
    path = write("train.yaml", YAML_BUNDLE)
    assert [(p.line, p.column, p.json_path, p.message, p.hint) for p in validate(path)] == [
        (10, 14, "$.lr_scheduler.step_size", "no id 'decay_every' in this bundle", "ids here: 'epochs', 'learning_rate', 'lr_scheduler', 'optimizer', 'train'"),
        (11, 3, "$.lr_scheduler.gama", "unknown argument for torch.optim.lr_scheduler.StepLR", "did you mean 'gamma'?"),
    ]
    fixed = write("train.yaml", YAML_BUNDLE.replace("gama", "gamma").replace("@decay_every", "@epochs"))
    policy, ctx = load_run(fixed, steps_per_epoch=10)
    assert repr(policy) == "DecayOnStep(decay_ratio=0.5, decay_freq=40, unit='epoch')"
    assert (ctx.initial_lr, ctx.total_epochs) == (0.001, 40)


def test_diff_compares_two_bundles_curves(write, capsys):
    from lrpol.cli import main

    old = write("old.yaml", YAML_BUNDLE.replace("gama", "gamma").replace("'@decay_every'", "10"))
    new = write("new.yaml", YAML_BUNDLE.replace("gama", "gamma").replace("'@decay_every'", "20"))
    assert main(["diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [
        f"old: {old}: DecayOnStep(decay_ratio=0.5, decay_freq=10, unit='epoch')",
        f"new: {new}: DecayOnStep(decay_ratio=0.5, decay_freq=20, unit='epoch')",
        "run: lr0=0.001 epochs=40 steps_per_epoch=1 (40 updates)",
    ]
    assert out[3] == "the curves differ: first at update 10 (epoch 10): 5.000000e-04 -> 1.000000e-03"


def test_a_bundle_with_a_hundred_thousand_expressions_lists_the_first_hundred():
    data = {"optimizer": {"_target_": "torch.optim.SGD", "lr": 0.1}, "lr_scheduler": {"_target_": "torch.optim.lr_scheduler.MultiStepLR", "optimizer": "@optimizer", "milestones": ["$1"] * 100_000}}
    found = validate(data)
    assert len(found) == 101 and found[-1].code == "too-many-problems"
    assert found[-1].message.startswith("99,90")


def test_a_scheduler_class_of_the_bundles_own_code_cannot_be_checked(write):
    tail = '    "after": {"_target_": "torch.optim.lr_scheduler.StepLR", "optimizer": "@optimizer", "step_size": 100},\n' + TAIL
    assert problems(write, '{"_target_": "scripts.warmup.GradualWarmupScheduler", "optimizer": "@optimizer", "multiplier": 1, "after_scheduler": "@after"}', tail) == [
        (7, 34, "$.lr_scheduler._target_", "lrpol does not know the scheduler 'scripts.warmup.GradualWarmupScheduler', so its LRs cannot be checked", UNKNOWN_HINT, "needs-code"),
    ]


def test_a_misspelt_module_gets_the_class_it_names():
    data = {"lr_scheduler": {"_target_": "torch.optim.lr_schedular.StepLR", "step_size": 2}, "train": {"handlers": [{"_target_": "LrScheduleHandler", "lr_scheduler": "@lr_scheduler"}]}}
    assert [(p.json_path, p.message, p.hint) for p in validate(data)] == [
        ("$.lr_scheduler._target_", "unknown scheduler 'torch.optim.lr_schedular.StepLR'", "did you mean 'torch.optim.lr_scheduler.StepLR'?"),
    ]


# -- where the handler says the scheduler is -------------------------------------------------

NESTED = """{
    "epochs": 30,
    "optimizer": {"_target_": "torch.optim.AdamW", "params": "$@network.parameters()", "lr": 0.0002},
    "lr_schedule": {
        "activate": true,
        "lr_scheduler": {"_target_": "monai.optimizers.WarmupCosineSchedule", "optimizer": "@optimizer", "warmup_steps": 3, "t_total": "@epochs"}
    },
    "train": {
        "handlers": [
            {"_target_": "StatsHandler"},
            {"_target_": "LrScheduleHandler", "_disabled_": "@off", "lr_scheduler": "@lr_schedule#lr_scheduler"}
        ],
        "trainer": {"_target_": "SupervisedTrainer", "max_epochs": "@epochs"}
    },
    "off": false
}
"""


def test_the_scheduler_is_where_the_handler_refers(write):
    path = write("train.json", NESTED)
    assert validate(path) == []
    policy, ctx = load_run(path)
    assert (ctx.initial_lr, ctx.total_epochs) == (0.0002, 30)
    assert repr(policy).startswith("Sequential(policies=(LinearDecay(start_factor=0.0, end_factor=1.0, duration=3, unit='epoch'), Clip(policy=ReduceCosine(horizon=27, after='continue')")


def test_problems_of_a_scheduler_found_through_the_handler_are_at_its_own_place(write):
    path = write("train.json", NESTED.replace('"t_total": "@epochs"', '"t_total": "$@epochs * 2"').replace('"@off"', '"$not @lr_schedule#activate"'))
    assert [(p.line, p.column, p.json_path, p.message) for p in validate(path)] == [
        (6, 136, "$.lr_schedule.lr_scheduler.t_total", "'$@epochs * 2' is a Python expression, so the value cannot be checked without running code"),
        (11, 61, "$.train.handlers[1]._disabled_", "'$not @lr_schedule#activate' is a Python expression, so the value cannot be checked without running code"),
    ]


def test_a_handler_whose_scheduler_cannot_be_read_is_a_problem(write):
    for written, expected in (
        ('"@lr_schedule#scheduler"', ("$.train.handlers[1].lr_scheduler", "no id 'lr_schedule#scheduler' in this bundle", "did you mean 'lr_schedule#lr_scheduler'?")),
        ('"$@lr_schedule.get(0)"', ("$.train.handlers[1].lr_scheduler", "'$@lr_schedule.get(0)' is a Python expression, so the value cannot be checked without running code", CODE_HINT)),
    ):
        path = write("train.json", NESTED.replace('"@lr_schedule#lr_scheduler"', written))
        assert [(p.json_path, p.message, p.hint) for p in validate(path)] == [expected]


def test_a_disabled_handler_is_passed_over_for_the_next(write):
    path = write("train.json", NESTED.replace('"off": false', '"off": true'))
    assert kind_of(json.loads(path.read_text())).what == BUNDLE
    assert [p.code for p in validate(path)] == []  # no handler steps anything, and no lr_scheduler at the top: nothing to check
    assert load(path) is None


def test_a_scheduler_written_in_the_handler_itself(write):
    inline = NESTED.replace('"@lr_schedule#lr_scheduler"', '{"_target_": "torch.optim.lr_scheduler.StepLR", "optimizer": "@optimizer", "step_size": "@epochs", "gama": 0.5}')
    path = write("train.json", inline)
    assert [(p.line, p.json_path, p.message) for p in validate(path)] == [(11, "$.train.handlers[1].lr_scheduler.gama", "unknown argument for torch.optim.lr_scheduler.StepLR")]
    assert repr(load(write("train.json", inline.replace("gama", "gamma")))) == "DecayOnStep(decay_ratio=0.5, decay_freq=30, unit='epoch')"


def test_a_partial_config_merged_onto_another_is_not_judged():
    overlay = {"optimizer#lr": "$0.025 * dist.get_world_size()", "lr_scheduler#step_size": "$80 * dist.get_world_size()", "train#handlers": [{"_target_": "LrScheduleHandler", "lr_scheduler": "@lr_scheduler"}]}
    kind = kind_of(overlay)
    assert (kind.what, kind.reason) == (NOT_LR_CONFIG, "a partial MONAI bundle config: its key 'optimizer#lr' sets an id of the config it is merged onto")


def test_a_repeated_key_is_reported_where_lrpol_reads_and_left_alone_elsewhere(write):
    text = HEAD.replace('    "steps": [10, 20],\n', '    "network_def": {"_target_": "UNet", "channels": [16, 32], "channels": [8, 16]},\n')
    path = write("train.json", text + '    "lr_scheduler": {"_target_": "torch.optim.lr_scheduler.StepLR", "optimizer": "@optimizer", "step_size": 5, "step_size": 6},\n' + TAIL)
    assert [(p.line, p.json_path, p.message, p.hint) for p in validate(path)] == [(7, "$.lr_scheduler.step_size", "duplicate key 'step_size'", "first defined at line 7:96")]


#: The README's bundle example ("MONAI bundles" in Config format), as it is written there.
README_EXAMPLE = """\
{
  "epochs": 300,
  "learning_rate": 1e-4,
  "network": "$@network_def.to(@device)",
  "optimizer": {"_target_": "torch.optim.Adam", "params": "$@network.parameters()", "lr": "@learning_rate"},
  "lr_scheduler": {"_target_": "torch.optim.lr_scheduler.CosineAnnealingLR", "optimizer": "@optimizer", "T_max": "@epochs"},
  "train": {
    "handlers": [{"_target_": "LrScheduleHandler", "lr_scheduler": "@lr_scheduler", "print_lr": true}],
    "trainer": {"_target_": "SupervisedTrainer", "max_epochs": "@epochs", "train_handlers": "@train#handlers"}
  }
}
"""


def test_the_readme_bundle_example(write):
    path = write("train.json", README_EXAMPLE)
    assert validate(path) == []
    policy, ctx = load_run(path, steps_per_epoch=50, variables={"epochs": 3})
    assert repr(policy) == "ReduceCosine(horizon=3, after='torch')"
    assert (ctx.initial_lr, ctx.total_epochs, ctx.steps_per_epoch) == (1e-4, 3, 50)
    typo = write("train.json", README_EXAMPLE.replace('"T_max": "@epochs"', '"T_max": "@epoch"'))
    assert [str(p) for p in validate(typo)] == [f"{typo}:6:114: $.lr_scheduler.T_max: no id 'epoch' in this bundle; did you mean 'epochs'?"]


# -- the run, as MONAI runs it (each found by a red-team pass against MONAI's own ConfigParser) ----


def test_lr0_is_the_optimizers_at_the_end_of_a_chain_of_references(write):
    head = HEAD.replace('"epochs": 40,', '"epochs": 40,\n    "learning_rate": 0.5,\n    "opt": "@optimizer",')
    path = write("train.json", head + '    "lr_scheduler": ' + STEP.replace('"@optimizer"', '"@opt"') + ",\n" + TAIL)
    assert validate(path) == []
    assert load_run(path)[1].initial_lr == 0.1  # the optimizer's lr, not learning_rate


def test_an_optimizer_without_a_readable_lr_leaves_lr0_unknown_rather_than_taking_learning_rate(write):
    head = HEAD.replace('"epochs": 40,', '"epochs": 40,\n    "learning_rate": 0.5,').replace(', "lr": 0.1}', "}")
    path = write("train.json", head + '    "lr_scheduler": ' + STEP + ",\n" + TAIL)
    assert validate(path) == []
    with pytest.raises(ConfigError, match="learning_rate"):  # torch's default for the class is not lrpol's to guess
        load_run(path)


def test_the_run_lasts_the_max_epochs_of_the_trainer_the_handler_belongs_to(write):
    head = HEAD.replace('"epochs": 40,', '"epochs": 40,\n    "pretrain": {"trainer": {"_target_": "SupervisedTrainer", "max_epochs": 5}},')
    path = write("train.json", head + '    "lr_scheduler": ' + STEP + ",\n" + TAIL)
    assert load_run(path)[1].total_epochs == 40


def test_the_optimizer_must_lead_to_an_optimizer_component(write):
    ((*_, json_path, message, _, code),) = problems(write, STEP.replace('"@optimizer"', '"@epochs"'))
    assert (json_path, message, code) == ("$.lr_scheduler.optimizer", "'@epochs' leads to an integer, not an optimizer component", "wrong-type")


def test_step_transform_feeds_a_plateau_and_is_code_for_any_other_scheduler(write):
    plateau = '{"_target_": "torch.optim.lr_scheduler.ReduceLROnPlateau", "optimizer": "@optimizer", "patience": 2}'
    ((*_, json_path, message, _, code),) = problems(write, plateau)
    assert (json_path, code) == ("$.train.handlers[0]", "missing-metric")
    assert message.startswith("the LrScheduleHandler steps a ReduceLROnPlateau without a step_transform")
    fed = TAIL.replace('"lr_scheduler": "@lr_scheduler"}', '"lr_scheduler": "@lr_scheduler", "step_transform": "$lambda x: x.state.metrics[\'val_mean_dice\']"}')
    assert problems(write, plateau, fed) == []
    ((*_, json_path, message, _, code),) = problems(write, STEP, fed)
    assert (json_path, code) == ("$.train.handlers[0].step_transform", "needs-code")


def test_two_handlers_stepping_two_schedulers_are_not_read_as_one(write):
    second = TAIL.replace('"lr_scheduler": "@lr_scheduler"}]', '"lr_scheduler": "@lr_scheduler"}, {"_target_": "LrScheduleHandler", "lr_scheduler": "@other"}]')
    head = HEAD.replace('"epochs": 40,', '"epochs": 40,\n    "other": {"_target_": "torch.optim.lr_scheduler.StepLR", "optimizer": "@optimizer", "step_size": 2},')
    path = write("train.json", head + '    "lr_scheduler": ' + STEP + ",\n" + second)
    ((problem),) = validate(path)
    assert (problem.json_path, problem.code) == ("$.train.handlers[1]._target_", "not-supported")
    assert problem.message.startswith("a second LrScheduleHandler steps another scheduler")


def test_a_variable_naming_a_nested_id_sets_it_as_monais_update_does(write):
    path = write("train.json", HEAD + '    "lr_scheduler": ' + STEP + ",\n" + TAIL)
    policy, ctx = load_run(path, variables={"lr_scheduler#step_size": 2, "optimizer::lr": 0.3, "train#trainer#max_epochs": 7})
    assert (repr(policy), ctx.initial_lr, ctx.total_epochs) == ("DecayOnStep(decay_ratio=0.1, decay_freq=2, unit='epoch')", 0.3, 7)
    ((problem),) = validate(path, variables={"lr_schedular#step_size": 2})
    assert (problem.code, problem.message) == ("unknown-reference", "the variable 'lr_schedular#step_size' names no id of this bundle: no id 'lr_schedular' in this bundle")
    assert problem.hint == "did you mean 'lr_scheduler'?"


def test_the_expression_dollar_at_id_is_the_reference_itself_and_no_other_expression_is(write):
    cosine = '{"_target_": "torch.optim.lr_scheduler.CosineAnnealingLR", "optimizer": "@optimizer", "T_max": "%s"}'
    path = write("train.json", HEAD + '    "lr_scheduler": ' + cosine % "$@epochs" + ",\n" + TAIL)
    assert validate(path) == []
    assert repr(load(path)) == "ReduceCosine(horizon=40, after='torch')"
    ((*_, json_path, message, _, code),) = problems(write, cosine % "$@epochs + 1")
    assert (json_path, message, code) == ("$.lr_scheduler.T_max", "'$@epochs + 1' is a Python expression, so the value cannot be checked without running code", "needs-code")
