"""How a MONAI bundle runs its ``lr_scheduler``, besides the scheduler itself: how often it is
stepped, how many epochs the run lasts, and the LR it starts from. Nothing is run: values are
read, references followed, and a ``$`` expression that one of them needs is a problem.

- The scheduler and its stepping come from the first ``LrScheduleHandler`` (not disabled),
  wherever the bundle lists it (``train#handlers`` in model-zoo bundles): the scheduler is where
  its ``lr_scheduler`` refers to (``@lr_scheduler``, or ``@lr_schedule#lr_scheduler``), stepped
  once per epoch unless it says ``"epoch_level": false`` (then once per update). Without a
  handler, the top-level ``lr_scheduler`` is the scheduler, and that nothing steps it is a problem.
- The epochs: the trainer's ``max_epochs`` (what the trainer runs), else the top-level ``epochs``.
- lr0: the ``lr`` of the optimizer the scheduler drives, else the top-level ``learning_rate``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from . import bundle_refs as refs
from .bundle import DISABLED_KEY, SCHEDULER_KEY, TARGET_KEY
from .config_kind import HANDLER_TARGETS
from .context import EPOCHS, LEARNING_RATE
from .errors import Invalid, Path, a_json_type, format_path

#: What ends the ``_target_`` of a trainer, whose ``max_epochs`` is the run's length: MONAI's
#: SupervisedTrainer, GanTrainer and the like.
TRAINER_SUFFIX = "Trainer"

Report = Callable[[Path, Invalid], None]


def stepping(data: object, overrides: Mapping[str, object], report: Report) -> tuple[Path | None, str | None, Path | None]:
    """Where the scheduler is written, "epoch" or "step", and where the handler is: from the
    first LrScheduleHandler that is not disabled, whose ``lr_scheduler`` refers to the scheduler
    (or holds it). Without one, the top-level ``lr_scheduler``, which nothing steps (reported).
    None where a value cannot be read (reported). A second handler is reported: stepping the
    same scheduler, it would step it twice; stepping another (a GAN's), lrpol reads one only."""
    handlers = _handlers(data, overrides, report)
    if not handlers:
        if not (isinstance(data, dict) and SCHEDULER_KEY in data):
            return None, None, None
        report((SCHEDULER_KEY,), Invalid("nothing steps this scheduler: no LrScheduleHandler refers to it, so its LR never changes", _missing_hint(data), code="missing-handler"))
        return (SCHEDULER_KEY,), None, None
    at, handler = handlers[0]
    root = _stepped(data, handler, at, report)
    for again, other in handlers[1:]:
        other_root = _stepped(data, other, again, _ignore)
        if root is not None and other_root == root:
            report((*again, TARGET_KEY), Invalid(
                f"a second LrScheduleHandler steps this scheduler (the first is at {format_path(at)}), so it would move twice as fast",
                "keep one", code="conflict",
            ))
        elif root is not None and other_root is not None and _unit(data, other, again, overrides, _ignore) is not None and "step_transform" not in other:
            report((*again, TARGET_KEY), Invalid(
                f"a second LrScheduleHandler steps another scheduler (the first is at {format_path(at)}): lrpol reads one schedule per config",
                "check each scheduler in a config of its own", code="not-supported",
            ))
    if root is not None:
        _check_step_transform(data, handler, at, root, report)
    return root, _unit(data, handler, at, overrides, report), at


#: What a plateau scheduler's ``_target_`` ends with: torch's ReduceLROnPlateau, stepped with a result.
PLATEAU_SUFFIX = "ReduceLROnPlateau"


def _check_step_transform(data: object, handler: dict, at: Path, root: Path, report: Report) -> None:
    """The handler hands ``step_transform(engine)`` to the scheduler's ``step()``: a plateau needs
    it (its validation result), and for any other scheduler it is code lrpol cannot follow."""
    try:
        scheduler = refs.find_id(data, refs.SEPARATOR.join(map(str, root)), {})[1] if root else data
    except Invalid:
        return
    target = scheduler.get(TARGET_KEY) if isinstance(scheduler, dict) else None
    plateau = isinstance(target, str) and target.endswith(PLATEAU_SUFFIX)
    if plateau and "step_transform" not in handler:
        report(at, Invalid(
            "the LrScheduleHandler steps a ReduceLROnPlateau without a step_transform, so MONAI calls its step() with no validation result and it fails",
            "add a step_transform that gives the metric, on a handler of the evaluator: \"step_transform\": \"$lambda x: x.state.metrics['val_mean_dice']\"", code="missing-metric",
        ))
    elif not plateau and "step_transform" in handler:
        report((*at, "step_transform"), Invalid(
            "step_transform hands its value to the scheduler's step(), which only running code would give, so the LRs cannot be checked",
            "remove it: a scheduler other than ReduceLROnPlateau is stepped with no argument", code="needs-code",
        ))


def _handlers(data: object, overrides: Mapping[str, object], report: Report) -> list[tuple[Path, dict]]:
    """The LrScheduleHandlers not disabled; one whose ``_disabled_`` only code can tell is
    reported, and taken as enabled."""
    return [(at, handler) for at, handler in _components(data, HANDLER_TARGETS) if not _disabled(data, handler, at, overrides, report)]


def _missing_hint(data: object) -> str:
    """Why no handler was found: one disabled, or one whose ``_target_`` differs only in case."""
    disabled = next(_components(data, HANDLER_TARGETS), None)  # each there is disabled, or none would be missing
    if disabled is not None:
        return f"the LrScheduleHandler at {format_path(disabled[0])} is disabled"
    for at, component in _components(data, ()):
        target = component[TARGET_KEY]
        if isinstance(target, str) and target.lower() in {name.lower() for name in HANDLER_TARGETS}:
            return f"{format_path(at)} names {target!r}; did you mean {HANDLER_TARGETS[0]!r}?"
    return f'add {{"{TARGET_KEY}": "LrScheduleHandler", "lr_scheduler": "@{SCHEDULER_KEY}"}} to the trainer\'s handlers (train#handlers); it steps once per epoch, or per update with "epoch_level": false'


def _ignore(at: Path, error: Invalid) -> None:
    """A report that drops the problem: a second handler's reference is checked at its own turn."""


def _stepped(data: object, handler: dict, at: Path, report: Report) -> Path | None:
    """Where the scheduler the handler steps is written: where its reference leads (or, with
    the component written in the handler, there)."""
    value = handler.get(SCHEDULER_KEY)
    if isinstance(value, dict):
        return (*at, SCHEDULER_KEY)
    id_ = refs.reference_id(value)
    if id_ is None:
        try:
            refs.resolve_value(data, value, {})  # a $ expression, or a macro: say which
        except Invalid as error:
            report((*at, SCHEDULER_KEY), error)
            return None
        found = "nothing" if SCHEDULER_KEY not in handler else a_json_type(value)
        report((*at, SCHEDULER_KEY), Invalid(f"the LrScheduleHandler's lr_scheduler must refer to the scheduler (@{SCHEDULER_KEY}), got {found}", code="wrong-type"))
        return None
    try:
        return refs.find_id(data, id_, {})[0]
    except Invalid as error:
        report((*at, SCHEDULER_KEY), error)
        return None


def _unit(data: object, handler: dict, at: Path, overrides: Mapping[str, object], report: Report) -> str | None:
    if "epoch_level" not in handler:
        return "epoch"  # MONAI's default
    level = _resolved(data, handler["epoch_level"], (*at, "epoch_level"), overrides, report)
    if level is _UNKNOWN:
        return None
    if not isinstance(level, bool):
        report((*at, "epoch_level"), Invalid(f"epoch_level must be a boolean, got {a_json_type(level)}", code="wrong-type"))
        return None
    return "epoch" if level else "step"


def epochs(data: object, handler_at: Path | None, overrides: Mapping[str, object], report: Report) -> int | None:
    """The ``max_epochs`` of the trainer the handler at ``handler_at`` belongs to (the one written
    nearest it: ``train#trainer`` for ``train#handlers``), else the top-level ``epochs``; None when
    neither gives one. A value that is there but refused is reported; a ``$`` expression is passed over."""
    value: object = None
    trainers = [((*at, "max_epochs"), trainer["max_epochs"]) for at, trainer in _components(data, None) if "max_epochs" in trainer]
    found = max(trainers, key=lambda trainer: _shared(trainer[0], handler_at or ()), default=None)  # the first of the nearest
    if found is not None:
        value = _setting(data, found[1], found[0], overrides, report, EPOCHS.check, quiet=True)
    elif EPOCHS.name in overrides or (isinstance(data, dict) and EPOCHS.name in data):
        value = _setting(data, "@" + EPOCHS.name, (EPOCHS.name,), overrides, report, EPOCHS.check, quiet=True)
    return value if isinstance(value, int) else None


def initial_lr(data: object, optimizer_at: Path | None, overrides: Mapping[str, object], report: Report) -> float | None:
    """The ``lr`` of the optimizer the scheduler drives (at ``optimizer_at``), else the
    top-level ``learning_rate``. An optimizer that gives no ``lr`` lrpol can read (torch's
    default for its class, or code) gives None: the run's lr0 is then not known."""
    if optimizer_at is not None:
        try:
            _, optimizer = refs.find_id(data, refs.SEPARATOR.join(map(str, optimizer_at)), {})
        except Invalid:
            return None
        if isinstance(optimizer, dict) and "lr" in optimizer:
            return _number(_setting(data, optimizer["lr"], (*optimizer_at, "lr"), overrides, report, LEARNING_RATE.check, quiet=False))
        return None
    if LEARNING_RATE.name in overrides or (isinstance(data, dict) and LEARNING_RATE.name in data):
        return _number(_setting(data, "@" + LEARNING_RATE.name, (LEARNING_RATE.name,), overrides, report, LEARNING_RATE.check, quiet=True))
    return None


def _shared(one: Path, other: Path) -> int:
    """How many leading keys two paths share."""
    count = 0
    for a, b in zip(one, other):
        if a != b:
            break
        count += 1
    return count


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


_UNKNOWN = object()  # a value only running code would give, or one that could not be found


def _setting(data: object, value: object, at: Path, overrides: Mapping[str, object], report: Report, check: Callable[[object], object], *, quiet: bool) -> object:
    """``value`` resolved and checked; None when refused (reported) or, with ``quiet``, when it is
    a ``$`` expression (passed over: only a run needs it, and then it is missing)."""
    resolved = _resolved(data, value, at, overrides, report, quiet=quiet)
    if resolved is _UNKNOWN:
        return None
    try:
        return check(resolved)
    except Invalid as error:
        report(at, error)
        return None


def _resolved(data: object, value: object, at: Path, overrides: Mapping[str, object], report: Report, *, quiet: bool = False) -> object:
    """``value`` with references followed; _UNKNOWN when that fails (reported, unless ``quiet``
    and the value is a ``$`` expression)."""
    try:
        return refs.resolve_value(data, value, overrides)[0]
    except Invalid as error:
        if not (quiet and error.code == "needs-code"):
            report(at, error)
        return _UNKNOWN


def _disabled(data: object, component: dict, at: Path, overrides: Mapping[str, object], report: Report) -> bool:
    if DISABLED_KEY not in component:
        return False
    value = _resolved(data, component[DISABLED_KEY], (*at, DISABLED_KEY), overrides, report)
    if isinstance(value, str):
        return value.strip().lower() == "true"  # MONAI's reading of a string
    return value is True


def read_places(data: object, root: Path | None, optimizer: Path | None) -> list[Path]:
    """Where lrpol reads a bundle: the scheduler, the optimizer it drives, the handlers and the
    trainers (and, :func:`lrpol.checking.EntryChecker.add` adds, every top-level value)."""
    places = [at for at, _ in _components(data, HANDLER_TARGETS)] + [at for at, _ in _components(data, None)]
    return [*places, *(place for place in (root, optimizer) if place is not None)]


def _components(data: object, targets: tuple[str, ...] | None) -> Iterator[tuple[Path, dict]]:
    """The components in ``data`` whose ``_target_`` is one of ``targets`` (None: a trainer; ():
    any), in document order; walked without recursion."""
    stack: list[tuple[Path, object]] = [((), data)]
    while stack:
        at, node = stack.pop()
        if isinstance(node, dict):
            target = node.get(TARGET_KEY)
            if isinstance(target, str) and (target.endswith(TRAINER_SUFFIX) if targets is None else target in targets or not targets):
                yield at, node
            stack.extend(((*at, key), value) for key, value in reversed(node.items()) if isinstance(value, (dict, list)))
        elif isinstance(node, list):
            stack.extend(((*at, index), value) for index, value in reversed(list(enumerate(node))) if isinstance(value, (dict, list)))
