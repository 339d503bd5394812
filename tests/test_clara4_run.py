"""How a Clara 4 train config steps its lr_scheduler (the LrScheduleHandler's epoch_level) and the
optimizer LR it starts from, with variables filled in and refusals reported at their place."""

from __future__ import annotations

import json

from lrpol.checking import EntryChecker
from lrpol.clara4_run import optimizer_lr, scheduler_unit
from lrpol.document import from_mapping
from lrpol.variables import Variables


def run(train: dict, variables: dict | None = None, *, required: bool = False) -> tuple[str | None, float | None, list]:
    doc = from_mapping(json.loads(json.dumps({"train": train})))
    checker = EntryChecker(doc, Variables(variables or {}))
    unit, lr = scheduler_unit(doc.data["train"], checker, required=required), optimizer_lr(doc.data["train"], checker)
    return unit, lr, [(p.json_path, p.message) for p in checker.result()]


HANDLER = {"name": "LrScheduleHandler", "args": {"print_lr": True}}


def test_the_handler_steps_per_epoch_by_default_and_per_update_when_told():
    assert run({"handlers": [{"name": "StatsHandler"}, HANDLER]})[0] == "epoch"
    assert run({"handlers": [{"name": "LrScheduleHandler", "args": {"epoch_level": False}}]})[0] == "step"
    assert run({"handlers": [{"name": "LrScheduleHandler"}]})[0] == "epoch"


def test_no_handler_no_unit_and_a_disabled_one_is_skipped():
    assert run({"handlers": [{"name": "StatsHandler"}]})[0] is None
    assert run({})[0] is None
    disabled = {"name": "LrScheduleHandler", "disabled": "{off}", "args": {"epoch_level": True}}
    assert run({"handlers": [disabled, {"name": "LrScheduleHandler", "args": {"epoch_level": "{LEVEL}"}}]}, {"off": True, "LEVEL": False})[0] == "step"


def test_a_wrong_epoch_level_is_reported_at_it():
    assert run({"handlers": [{"name": "LrScheduleHandler", "args": {"epoch_level": "yes"}}]}) == (None, None, [("$.train.handlers[0].args.epoch_level", "epoch_level must be a boolean, got a string")])


def test_the_optimizer_lr_with_variables_filled_in():
    assert run({"optimizer": {"name": "Adam", "args": {"lr": "{learning_rate}"}}}, {"learning_rate": 2e-4})[1] == 2e-4
    assert run({"optimizer": {"name": "Adam", "args": {"lr": 0.01}}})[1] == 0.01
    assert run({"optimizer": {"name": "Adam"}})[1] is None


def test_a_refused_optimizer_lr_is_reported_at_it():
    _, lr, problems = run({"optimizer": {"name": "Adam", "args": {"lr": -1}}})
    assert lr is None and problems == [("$.train.optimizer.args.lr", "must be > 0, got -1")]


MISSING = ("$.train.lr_scheduler", "nothing steps this scheduler: train.handlers has no enabled LrScheduleHandler")


def test_a_torch_scheduler_needs_a_handler_and_the_problem_says_what_is_near():
    assert run({"handlers": [{"name": "StatsHandler"}]}, required=True)[2] == [MISSING]
    assert run({"handlers": [{"name": "StatsHandler"}]})[2] == []  # a native policy follows the run's clock itself
    assert run({}, required=True)[2] == [("$.train.lr_scheduler", "nothing steps this scheduler: there is no train.handlers, so no LrScheduleHandler")]
    doc = from_mapping({"train": {"lr_scheduler": {}, "handlers": [{"name": "LRScheduleHandler"}, {"name": "LrScheduleHandler", "disabled": True}]}})
    checker = EntryChecker(doc, Variables({}))
    scheduler_unit(doc.data["train"], checker, required=True)
    ((problem),) = checker.result()
    assert (problem.json_path, problem.message, problem.hint) == (*MISSING, "train.handlers[0] names 'LRScheduleHandler'; did you mean 'LrScheduleHandler'?")
    doc = from_mapping({"train": {"lr_scheduler": {}, "handlers": [{"name": "LrScheduleHandler", "disabled": True}]}})
    checker = EntryChecker(doc, Variables({}))
    scheduler_unit(doc.data["train"], checker, required=True)
    assert [p.hint for p in checker.result()] == ["the LrScheduleHandler at train.handlers[0] is disabled"]


def test_two_enabled_handlers_are_a_conflict_since_each_steps_the_scheduler():
    assert run({"handlers": [HANDLER, {"name": "LrScheduleHandler", "args": {"epoch_level": False}}]}, required=True) == (
        None, None, [("$.train.handlers[1].name", "a second enabled LrScheduleHandler (the first is train.handlers[0]): each steps the scheduler, so it would move twice as fast")],
    )


def test_handlers_that_are_no_list_and_a_disabled_that_is_no_boolean_are_reported_at_them():
    assert run({"handlers": {"name": "LrScheduleHandler"}}, required=True)[2] == [("$.train.handlers", "expected a list of handler entries, got an object")]
    for off in ("true", 1, "{off}"):
        assert run({"handlers": [{"name": "LrScheduleHandler", "disabled": off}]}, {"off": "yes"}, required=True)[2] == [
            ("$.train.handlers[0].disabled", "'disabled' must be a boolean, got " + ("a string" if off != 1 else "an integer")),
        ]
