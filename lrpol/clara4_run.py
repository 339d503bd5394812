"""What a Clara 4 train config says about how its ``train.lr_scheduler`` runs, besides the
scheduler itself: how often it is stepped, and the optimizer's LR it starts from.

Clara 4 steps the scheduler from the ``LrScheduleHandler`` in ``train.handlers``: once per epoch
unless its args say ``"epoch_level": false`` (then once per update). Without that handler nothing
steps a torch scheduler, and Clara would train at its first LR throughout: a problem here.
"""

from __future__ import annotations

from .checking import EntryChecker
from .context import LEARNING_RATE
from .errors import Invalid, a_json_type

HANDLER_NAME = "LrScheduleHandler"


def scheduler_unit(train: dict, checker: EntryChecker, *, required: bool) -> str | None:
    """"epoch" or "step", from the enabled LrScheduleHandler in ``train.handlers``; None without
    one, or when it is refused. Everything wrong is reported to ``checker``: handlers that are no
    list, a ``disabled`` or ``epoch_level`` that is no boolean, a second enabled handler (each
    steps the scheduler: twice per epoch), and, when ``required`` (a torch scheduler), no handler."""
    handlers = train.get("handlers", [])
    if not isinstance(handlers, list):
        checker.report(("train", "handlers"), f"expected a list of handler entries, got {a_json_type(handlers)}", code="wrong-type")
        return None
    unit, first, disabled, near = None, None, [], []
    for index, handler in enumerate(handlers):
        at = ("train", "handlers", index)
        name = handler.get("name") if isinstance(handler, dict) else None
        if name != HANDLER_NAME:
            if isinstance(name, str) and name.lower() == HANDLER_NAME.lower():
                near.append((index, name))
            continue
        off = _substituted(handler.get("disabled", False), (*at, "disabled"), checker)
        if not isinstance(off, bool):
            checker.report((*at, "disabled"), f"'disabled' must be a boolean, got {a_json_type(off)}", code="wrong-type")
            return None
        if off:
            disabled.append(index)
            continue
        if first is not None:
            checker.report((*at, "name"), f"a second enabled {HANDLER_NAME} (the first is train.handlers[{first}]): each steps the scheduler, so it would move twice as fast", "keep one", code="conflict")
            return None
        first, unit = index, _epoch_level(handler, at, checker)
    if first is None and required:
        where = "train.handlers has no enabled" if "handlers" in train else "there is no train.handlers, so no"
        checker.report(("train", "lr_scheduler"), f"nothing steps this scheduler: {where} {HANDLER_NAME}", _missing_hint(disabled, near), code="missing-handler", key=True)
    return unit


def _epoch_level(handler: dict, at: tuple, checker: EntryChecker) -> str | None:
    args = handler.get("args", {})
    if not isinstance(args, dict):
        checker.report((*at, "args"), f"'args' must be an object, got {a_json_type(args)}", code="wrong-type")
        return None
    epoch_level = _substituted(args.get("epoch_level", True), (*at, "args", "epoch_level"), checker)
    if not isinstance(epoch_level, bool):
        checker.report((*at, "args", "epoch_level"), f"epoch_level must be a boolean, got {a_json_type(epoch_level)}", code="wrong-type")
        return None
    return "epoch" if epoch_level else "step"


def _missing_hint(disabled: list[int], near: list[tuple[int, str]]) -> str:
    if near:
        index, name = near[0]
        return f"train.handlers[{index}] names {name!r}; did you mean {HANDLER_NAME!r}?"
    if disabled:
        return f"the {HANDLER_NAME} at train.handlers[{disabled[0]}] is disabled"
    return (
        f'add {{"name": "{HANDLER_NAME}"}} to train.handlers (it steps once per epoch; "args": {{"epoch_level": false}} for once per update), '
        "as Clara 4 does; if this file's handlers come from another file, check the merged config"
    )


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
