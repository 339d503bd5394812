"""The entry checker reading torch's scheduler names where a caller asks it to (Clara 4's
train.lr_scheduler): torch's arguments checked at their own line, typos matched against torch's
names and arguments, lrpol's own names still read there, and nowhere else."""

from __future__ import annotations

from lrpol.checking import EntryChecker
from lrpol.reading import parse_bytes
from lrpol.torch_schedulers import CosineAnnealingLR, SequentialLR, StepLR
from lrpol.variables import Variables

ROOT = ("train", "lr_scheduler")


def check(text: str, *, roots: tuple = (ROOT,)) -> tuple[list, object]:
    doc = parse_bytes(text.encode(), "config_train.json")
    checker = EntryChecker(doc, Variables({"epochs": 40}), scheduler_roots=roots)
    plan = checker.check(ROOT)
    built = checker.construct(plan) if plan is not None else None
    return [(p.line, p.column, p.json_path, p.message, p.hint, p.code) for p in checker.result()], built


def config(scheduler: str) -> str:
    return '{\n  "epochs": 40,\n  "train": {\n    "lr_scheduler": ' + scheduler + "\n  }\n}\n"


def test_a_clara_4_step_lr_builds_torchs_step_lr():
    problems, built = check(config('{\n      "name": "StepLR",\n      "args": {"optimizer": "@optimizer", "step_size": 5000, "gamma": 0.1}\n    }'))
    assert problems == []
    assert built == StepLR(step_size=5000, gamma=0.1)


def test_variables_fill_torch_arguments():
    problems, built = check(config('{"name": "CosineAnnealingLR", "args": {"optimizer": "@optimizer", "T_max": "{epochs}"}}'))
    assert problems == []
    assert built == CosineAnnealingLR(T_max=40)


def test_a_misspelt_scheduler_name_gets_the_torch_name():
    problems, _ = check(config('{\n      "name": "StepLr",\n      "args": {"step_size": 5}\n    }'))
    assert problems == [(5, 15, "$.train.lr_scheduler.name", "unknown scheduler 'StepLr'", "did you mean 'StepLR'?", "unknown-policy")]


def test_a_misspelt_torch_argument_is_reported_at_its_own_line_with_the_torch_name():
    problems, _ = check(config('{\n      "name": "CosineAnnealingLR",\n      "args": {\n        "T_max": 10,\n        "eta_mn": 0.001\n      }\n    }'))
    assert problems == [(8, 9, "$.train.lr_scheduler.args.eta_mn", "unknown argument for CosineAnnealingLR", "did you mean 'eta_min'?", "unknown-argument")]


def test_a_value_torch_cannot_take_is_reported_at_the_value():
    problems, _ = check(config('{\n      "name": "StepLR",\n      "args": {\n        "step_size": 0\n      }\n    }'))
    assert [(line, path, message) for line, _, path, message, _, _ in problems] == [(7, "$.train.lr_scheduler.args.step_size", "must be >= 1, got 0")]


def test_an_optimizer_other_than_the_train_optimizer_is_refused():
    problems, _ = check(config('{"name": "StepLR", "args": {"optimizer": "@other", "step_size": 2}}'))
    assert [(path, message) for _, _, path, message, _, _ in problems] == [("$.train.lr_scheduler.args.optimizer", 'must be \'@optimizer\', got "@other"')]


def test_nested_schedulers_are_torch_entries_too():
    problems, built = check(config(
        '{"name": "SequentialLR", "args": {"milestones": [5], "schedulers": ['
        '{"name": "LinearLR", "args": {"start_factor": 0.1, "total_iters": 5}}, {"name": "CosineAnnealingLR", "args": {"T_max": 35}}]}}'
    ))
    assert problems == []
    assert isinstance(built, SequentialLR) and [type(s).__name__ for s in built.schedulers] == ["LinearLR", "CosineAnnealingLR"]


def test_lrpol_names_still_work_under_lr_scheduler():
    problems, built = check(config('{"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": 3}}'))
    assert problems == [] and repr(built) == "DecayOnStep(decay_ratio=0.5, decay_freq=3)"


def test_torch_names_are_read_only_where_the_caller_asks():
    problems, _ = check(config('{"name": "StepLR", "args": {"step_size": 5}}'), roots=())
    assert [(path, message) for _, _, path, message, _, _ in problems] == [("$.train.lr_scheduler.name", "unknown policy 'StepLR'")]
