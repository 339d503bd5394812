"""What a Clara 4 train config says about how its ``train.lr_scheduler`` runs, besides the
scheduler itself: how often it is stepped, and the optimizer's LR it starts from.

Clara 4 steps the scheduler from the ``LrScheduleHandler`` in ``train.handlers``: once per epoch
unless its args say ``"epoch_level": false`` (then once per update). Without that handler nothing
steps the scheduler, so no unit is returned and the caller reports it.
"""

from __future__ import annotations

from .checking import EntryChecker
from .context import LEARNING_RATE
from .errors import Invalid, a_json_type

HANDLER_NAME = "LrScheduleHandler"


def scheduler_unit(train: dict, checker: EntryChecker) -> str | None:
    """"epoch" or "step", from the first enabled LrScheduleHandler in ``train.handlers``; None
    without one, or when its ``epoch_level`` is refused (reported to ``checker``)."""
    handlers = train.get("handlers")
    if not isinstance(handlers, list):
        return None
    for index, handler in enumerate(handlers):
        if not isinstance(handler, dict) or handler.get("name") != HANDLER_NAME:
            continue
        at = ("train", "handlers", index)
        if _substituted(handler.get("disabled", False), (*at, "disabled"), checker) is True:
            continue
        args = handler.get("args", {})
        if not isinstance(args, dict):
            checker.report((*at, "args"), f"'args' must be an object, got {a_json_type(args)}", code="wrong-type")
            return None
        epoch_level = _substituted(args.get("epoch_level", True), (*at, "args", "epoch_level"), checker)
        if not isinstance(epoch_level, bool):
            checker.report((*at, "args", "epoch_level"), f"epoch_level must be a boolean, got {a_json_type(epoch_level)}", code="wrong-type")
            return None
        return "epoch" if epoch_level else "step"
    return None


def optimizer_lr(train: dict, checker: EntryChecker) -> float | None:
    """The ``lr`` in ``train.optimizer.args`` (variables filled in, checked as lr0); None when
    the optimizer gives none (torch's own default LR is the optimizer class's, unknown here)."""
    optimizer = train.get("optimizer")
    args = optimizer.get("args") if isinstance(optimizer, dict) else None
    if not isinstance(args, dict) or "lr" not in args:
        return None
    at = ("train", "optimizer", "args", "lr")
    value = _substituted(args["lr"], at, checker)
    try:
        lr = LEARNING_RATE.check(value)
    except Invalid as error:
        checker.reject(at, error)
        return None
    return float(lr) if isinstance(lr, (int, float)) else None


def _substituted(value: object, at: tuple, checker: EntryChecker) -> object:
    if not isinstance(value, str):
        return value
    try:
        return checker.variables.substitute(value)
    except Invalid as error:
        checker.reject(at, error)
        return None
