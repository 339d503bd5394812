"""The three ways in from a config: ``validate``, ``build`` and ``load``.

A source is a bare component entry (``{"name": ..., "args": ...}``) or an MMAR
train config, whose policy sits at ``/train/lr_policy`` (Clara 3) or whose torch
scheduler sits at ``/train/lr_scheduler`` (Clara 4; a train config with neither trains
at a constant lr0); a JSON pointer can name any other place. ``config_kind`` decides
which a document is.

A Clara 4 scheduler is checked with torch's names and arguments
(:mod:`lrpol.torch_schedulers`) and built as the lrpol policy with the same LRs, stepped
as the config's ``LrScheduleHandler`` steps it (:mod:`lrpol.clara4_run`); its lr0 is the
optimizer's ``lr``, unless the scheduler sets its own peak (OneCycleLR, CyclicLR).

Variables fill ``{VAR}`` and also set the top-level ``learning_rate`` and ``epochs``
wherever they are read, as Clara's ``--set`` does. Precedence, lowest first: the
config's own top-level values, an ``environment=`` file (Clara's ``environment.json``),
``variables=``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from .arguments import ArgumentError
from .checking import EntryChecker, Plan, reader, value_at
from .clara4_run import optimizer_lr, scheduler_unit
from .config_kind import BUNDLE, BUNDLE_SCHEDULER_KEY, ENTRY, POLICY_KEY, SCHEDULER_KEY, TRAIN_CONFIG, TRAIN_KEY, kind_of
from .context import EPOCHS, LEARNING_RATE, RUN_SETTINGS, TrainContext
from .document import Document, from_mapping
from .environment import Environment, load_environment
from .errors import ConfigError, Invalid, Problem, a_json_type
from .hyperparameters import CONFIG_KEYS, GROUP_POLICIES_KEY
from .policy import LRPolicy
from .reading import read_document
from .torch_schedulers import TorchScheduler
from .variables import Origins, Variables, check_definitions, config_variables

DEFAULT_POINTER = "/train/lr_policy"
#: Where a Clara 4 train config names its torch scheduler.
SCHEDULER_PATH = (TRAIN_KEY, SCHEDULER_KEY)


def validate(source: str | os.PathLike | Mapping | Document, *, pointer: str | None = None, variables: Mapping | None = None, environment: str | os.PathLike | Environment | None = None, allow_paths: Iterable[str] = (), strict: bool = False) -> list[Problem]:
    """Every problem in ``source`` (a file path, a mapping, or a parsed :class:`Document`),
    sorted by position; ``[]`` when valid.

    Never imports code named by a ``path`` entry: such an entry is valid when its shape is
    (and it lies under the allowlist, if one is set); with ``strict=True`` it is reported as
    unchecked instead. Registered policies (built in, or from an installed plugin) are
    constructed, so their own checks run too. The problems of an ``environment`` file
    are those of that file, and the config is not checked without its variables; a
    problem with a value the file gave also names the file's line.
    """
    try:
        definitions, origins = _definitions(variables, environment)
        doc = _document(source)
    except ConfigError as error:
        return list(error.problems)
    checked = _check(doc, pointer, definitions, origins, allow_paths, import_paths=False, strict=strict)
    if checked.plan is not None and checked.plan.cls is not None:
        checked.build()
    return checked.checker.result()


def build(entry: Mapping, *, pointer: str | None = None, variables: Mapping | None = None, allow_paths: Iterable[str] = ()) -> LRPolicy | None:
    """A component entry (or a train config holding one) to a policy; None when it is disabled,
    or when a train config has no ``lr_policy`` (the LR stays lr0).

    >>> build({"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": "{FREQ}"}}, variables={"FREQ": 100})
    DecayOnStep(decay_ratio=0.5, decay_freq=100)
    """
    return build_document(from_mapping(entry), pointer=pointer, variables=variables, allow_paths=allow_paths)


def load(file: str | os.PathLike, *, pointer: str | None = None, variables: Mapping | None = None, environment: str | os.PathLike | Environment | None = None, allow_paths: Iterable[str] = ()) -> LRPolicy | None:
    """A JSON or YAML file to a policy; None when the entry is ``"disabled": true``, or when
    the file is a train config without ``train.lr_policy`` (Clara then trains at lr0)."""
    read = _environment(environment)
    return build_document(read_document(file), pointer=pointer, variables=variables, environment=read, allow_paths=allow_paths)


def load_run(file: str | os.PathLike, *, steps_per_epoch: int | None = None, pointer: str | None = None, variables: Mapping | None = None, environment: str | os.PathLike | Environment | None = None, allow_paths: Iterable[str] = ()) -> tuple[LRPolicy | None, TrainContext]:
    """A train config's policy and the context of its run, built from the config's
    ``learning_rate`` and ``epochs`` (both required here), as Clara reads them; a variable
    of the same name (from ``environment`` or ``variables``) overrides either. A Clara 4
    config starts from its optimizer's ``lr`` (or the peak its scheduler sets)::

        policy, ctx = lrpol.load_run("configs/reduce_poly.yaml", steps_per_epoch=len(loader))
    """
    read = _environment(environment)
    doc = read_document(file)
    policy, settings = build_run(doc, pointer=pointer, variables=variables, environment=read, allow_paths=allow_paths, steps_per_epoch=steps_per_epoch)
    missing = [argument for argument in RUN_SETTINGS if argument.name not in settings]
    if missing:
        raise ConfigError([doc.problem((a.name,), f"missing {a.name!r}, which the run needs ({a.doc})", code="missing-setting") for a in missing])
    ctx = TrainContext(initial_lr=settings[LEARNING_RATE.name], total_epochs=settings[EPOCHS.name], steps_per_epoch=steps_per_epoch)
    return policy, ctx


def load_schedules(file: str | os.PathLike, *, variables: Mapping | None = None, environment: str | os.PathLike | Environment | None = None, allow_paths: Iterable[str] = ()) -> dict[str, LRPolicy]:
    """A train config's schedules for other hyperparameters, by name (``"momentum"``,
    ``"weight_decay"``): those of ``train.momentum_policy`` and ``train.weight_decay_policy``
    that are present and not disabled. See :mod:`lrpol.hyperparameters`. ``variables`` and
    ``environment`` as for :func:`load`."""
    read = _environment(environment)
    doc = read_document(file)
    schedules = {}
    for name, key in CONFIG_KEYS.items():
        if ("train", key) in _schedule_paths(doc):  # present, in a train config lrpol reads
            policy = _schedule(doc, ("train", key), variables, read, allow_paths)
            if policy is not None:
                schedules[name] = policy
    return schedules


def load_group_policies(file: str | os.PathLike, *, variables: Mapping | None = None, environment: str | os.PathLike | Environment | None = None, allow_paths: Iterable[str] = ()) -> list[LRPolicy | None]:
    """A train config's ``train.group_lr_policies``: a policy (or None, to follow ``lr_policy``)
    per param group, for ``attach(group_policies=...)``; ``[]`` without it. ``variables`` and
    ``environment`` as for :func:`load`."""
    read = _environment(environment)
    doc = read_document(file)
    return [None if at is None else _schedule(doc, at, variables, read, allow_paths) for at in _group_paths(doc)]


#: The problem of a schedule beside lr_policy that reads validation results: (message, hint, code).
_READS_METRIC = (
    "a schedule beside lr_policy cannot read validation results",
    "only train.lr_policy can hold a ReduceOnPlateau; a momentum, weight decay or param group schedule follows the run's clock",
    "reads-metric",
)


def _schedule(doc: Document, at: tuple, variables: Mapping | None, environment: Environment | None, allow_paths: Iterable[str]) -> LRPolicy | None:
    """The schedule at ``at`` (None when disabled); one that reads validation results is a :class:`ConfigError`."""
    policy = build_document(doc, pointer="/" + "/".join(map(str, at)), variables=variables, environment=environment, allow_paths=allow_paths)
    if policy is not None and policy.reads_metric:
        message, hint, code = _READS_METRIC
        raise ConfigError([doc.problem(at, message, hint, code=code)])
    return policy


def _train(doc: Document) -> dict | None:
    """``train`` of a train config (with or without ``train.lr_policy``), else None."""
    data = doc.data
    return data["train"] if isinstance(data, dict) and kind_of(data).what == TRAIN_CONFIG else None


def _schedule_paths(doc: Document) -> list[tuple]:
    """Where ``doc``, a train config, holds schedules for hyperparameters other than the LR, and
    for param groups of their own."""
    train = _train(doc)
    if train is None:
        return []
    return [("train", key) for key in CONFIG_KEYS.values() if key in train] + [at for at in _group_paths(doc) if at is not None]


def _group_paths(doc: Document) -> list[tuple | None]:
    """The path of each entry of ``train.group_lr_policies`` (None for a null one)."""
    train = _train(doc)
    groups = None if train is None else train.get(GROUP_POLICIES_KEY)
    if not isinstance(groups, list):
        return []
    return [None if entry is None else ("train", GROUP_POLICIES_KEY, index) for index, entry in enumerate(groups)]


def build_document(doc: Document, *, pointer: str | None = None, variables: Mapping | None = None, environment: str | os.PathLike | Environment | None = None, allow_paths: Iterable[str] = ()) -> LRPolicy | None:
    """What :func:`load` does once the file is read: check, import if allowed, construct.

    A disabled entry is built all the same (and then dropped), so it is checked exactly as
    ``validate`` checks it.
    """
    definitions, origins = _definitions(variables, environment)
    return _build(_check(doc, pointer, definitions, origins, allow_paths, import_paths=True, strict=False))


def build_run(doc: Document, *, pointer: str | None = None, variables: Mapping | None = None, environment: str | os.PathLike | Environment | None = None, allow_paths: Iterable[str] = (), steps_per_epoch: int | None = None) -> tuple[LRPolicy | None, dict]:
    """:func:`build_document`, and the run's settings (:func:`run_settings`) as the schedule
    starts them: a Clara 4 run's ``learning_rate`` is its optimizer's ``lr``, or the peak its
    torch scheduler sets (OneCycleLR's and CyclicLR's ``max_lr``). With ``steps_per_epoch``, a
    torch scheduler stepped per update is also checked to take as many steps as the run has."""
    definitions, origins = _definitions(variables, environment)
    checked = _check(doc, pointer, definitions, origins, allow_paths, import_paths=True, strict=False)
    checked.steps_per_epoch = steps_per_epoch
    return _build(checked), checked.settings


def _build(checked: _Checked) -> LRPolicy | None:
    plan = checked.plan
    if plan is _CONSTANT:
        return None
    policy = checked.build() if plan is not None else None
    if plan is None or policy is None:
        raise ConfigError(checked.checker.result())
    return None if plan.disabled else policy


#: The plan of a train config without ``train.lr_policy`` (or ``lr_scheduler``): nothing to build, the LR stays lr0.
_CONSTANT = Plan(at=(TRAIN_KEY, POLICY_KEY), cls=None, args={}, disabled=True, label="no lr_policy (constant lr0)")


@dataclass
class _Checked:
    """What checking a document found: its problems (``checker``), the plan of its entry when
    there are none, the run settings at its top, and for a Clara 4 scheduler how often it is
    stepped (``unit``) and the optimizer's LR."""

    checker: EntryChecker
    plan: Plan | None
    settings: dict = field(default_factory=dict)
    unit: str | None = None
    optimizer_lr: float | None = None
    steps_per_epoch: int | None = None  # when known, a torch scheduler stepped per update is checked against the run's length

    def build(self) -> LRPolicy | None:
        """The plan's policy, a torch scheduler translated to its lrpol equal; None when refused
        (reported to ``checker``). A Clara 4 run's learning_rate is set as it starts."""
        assert self.plan is not None
        built = self.checker.construct(self.plan)
        if self.optimizer_lr is not None:  # what torch starts from, whatever learning_rate says
            self.settings[LEARNING_RATE.name] = self.optimizer_lr
        if built is None or isinstance(built, LRPolicy):
            return built
        # _check reports a scheduler nothing steps, unless it is disabled: then it never runs, and needs no handler
        if not isinstance(built, TorchScheduler) or (self.unit is None and not self.plan.disabled):
            raise TypeError(f"{self.plan.label} built {type(built).__name__}, not a policy")
        peak = built.initial_lr(self.settings.get(LEARNING_RATE.name))
        if peak is not None and not self.plan.disabled:  # a disabled scheduler sets no peak: the optimizer's lr stays
            self.settings[LEARNING_RATE.name] = peak
        if not self._takes_every_step(built):
            return None
        try:
            return built.native(self.unit or "epoch")  # the unit of a disabled one is never used
        except ArgumentError as error:
            self.checker.reject((*self.plan.at, "args", *error.path), error)
            return None

    def _takes_every_step(self, scheduler: TorchScheduler) -> bool:
        """Whether lrpol gives ``scheduler``'s LRs, as torch runs it, for as many steps as the run
        takes (the handler steps it after the last epoch, or update, too); reported when not."""
        limit, epochs = scheduler.step_limit(), self.settings.get(EPOCHS.name)
        steps = None if epochs is None else epochs if self.unit == "epoch" else None if self.steps_per_epoch is None else epochs * self.steps_per_epoch
        if limit is None or steps is None or steps <= limit.steps:
            return True
        assert self.plan is not None
        every = "epoch" if self.unit == "epoch" else f"update ({epochs} epochs of {self.steps_per_epoch})"
        self.checker.report((*self.plan.at, "args"), f"{limit.reason}, and stepped once per {every} this run steps it {steps} times", limit.hint, code=limit.code)
        return False


def locate(doc: Document, pointer: str | None) -> tuple | None:
    """The path of the policy entry in ``doc``; raises :class:`ConfigError` if nothing is there.

    Without a pointer: ``/train/lr_policy`` in a train config (a mapping whose ``train`` is a
    mapping), ``/train/lr_scheduler`` in a Clara 4 one, or None when it has neither (the LR
    stays lr0); the document itself when it is an entry. See :func:`lrpol.config_kind.kind_of`.
    """
    data = doc.data
    reason = ""
    if pointer is None:
        kind = kind_of(data)
        if kind.what == ENTRY:
            return ()
        if kind.what == BUNDLE:
            return (BUNDLE_SCHEDULER_KEY,)
        train = _train(doc)
        if train is not None and SCHEDULER_KEY in train:
            if POLICY_KEY in train:
                raise ConfigError([doc.problem(SCHEDULER_PATH, "train has both lr_policy and lr_scheduler, so which one sets the LR is unclear", "keep one: lr_policy (Clara 3, lrpol's policies) or lr_scheduler (Clara 4, torch's schedulers)", code="conflict", key=True)])
            return SCHEDULER_PATH
        if kind.constant:
            return None
        if isinstance(data, dict) and "train" in data and not isinstance(data["train"], dict):
            found = a_json_type(data["train"])
            raise ConfigError([doc.problem(("train",), f"expected the train section as an object, got {found}", "a train config holds its lr_policy in a 'train' object", code="wrong-type")])
        pointer = DEFAULT_POINTER
        reason = f"this document is not a train config ({kind.reason}); " if kind.reason else ""
    path = _parse_pointer(doc, pointer)
    try:
        value_at(data, path)
    except (KeyError, IndexError, TypeError):
        what = "no policy entry" if pointer == DEFAULT_POINTER else "nothing"
        hint = f"{reason}expected a component entry ({{'name': ..., 'args': ...}}) or a train config (an object with a 'train' object)" if pointer == DEFAULT_POINTER else ""
        raise ConfigError([doc.problem(path, f"{what} at {pointer}", hint, code="missing-entry")]) from None
    return path


def run_settings(doc: Document, variables: Mapping | None = None, *, environment: str | os.PathLike | Environment | None = None) -> dict:
    """``learning_rate`` and ``epochs`` from the top of a train config, or from variables of
    those names (``environment``'s, then ``variables``), which win; checked. Absent ones give
    an empty dict. (What a Clara 4 scheduler starts from, the optimizer's LR or its own peak,
    is :func:`build_run`'s.)"""
    definitions, origins = _definitions(variables, environment)
    if _is_bundle(doc):
        checked = _check(doc, None, definitions, origins, (), import_paths=False, strict=False)
        if checked.checker.problems:
            raise ConfigError(checked.checker.result())
        return checked.settings
    checker = EntryChecker(doc, _variables(doc, True, definitions, origins))
    settings = _run_settings(doc, checker, definitions)
    if checker.problems:
        raise ConfigError(checker.result())
    return settings


def _is_bundle(doc: Document) -> bool:
    """Whether ``doc`` is a MONAI bundle, whose run settings come from its components."""
    return kind_of(doc.data).what == BUNDLE


def _document(source: str | os.PathLike | Mapping | Document) -> Document:
    if isinstance(source, Document):
        return source
    if isinstance(source, (str, os.PathLike)):
        return read_document(source)
    if isinstance(source, Mapping):
        return from_mapping(source if type(source) is dict else dict(source))
    raise TypeError(f"expected a file path or a mapping, not {type(source).__name__}")


def _check(doc: Document, pointer: str | None, definitions: dict, origins: Origins | None, allow_paths: Iterable[str], *, import_paths: bool, strict: bool) -> _Checked:
    """Check the entry (and a train config's run settings); a Plan only when nothing is wrong."""
    if pointer is None and kind_of(doc.data).what == BUNDLE:
        return _check_bundle(doc, definitions, allow_paths, import_paths=import_paths, strict=strict)
    try:
        at = locate(doc, pointer)
    except ConfigError as error:
        checker = EntryChecker(doc, Variables({}))
        checker.add(doc, *error.problems)
        return _Checked(checker, None)
    in_config = at != ()
    clara4 = at == SCHEDULER_PATH
    checker = EntryChecker(
        doc, _variables(doc, in_config, definitions, origins), allow_paths=allow_paths, import_paths=import_paths, strict=strict,
        scheduler_roots=(SCHEDULER_PATH,) if clara4 else (),
    )
    checker.add(doc, reads=_reader_of(doc, at) if pointer is None and in_config else None)
    checked = _Checked(checker, None, _run_settings(doc, checker, definitions) if in_config else {})
    plan = _CONSTANT if at is None else checker.check(at)
    if clara4:
        checked.unit, checked.optimizer_lr = _clara4_stepping(doc, plan, checker)
    if pointer is None:  # a train config's other schedules, beside its lr_policy: a config is valid as a whole
        _check_schedules(doc, checker)
    checked.plan = plan if not checker.problems else None
    return checked


def _check_bundle(doc: Document, definitions: dict, allow_paths: Iterable[str], *, import_paths: bool, strict: bool) -> _Checked:
    """A MONAI bundle's lr_scheduler, through its view (:mod:`lrpol.bundle_check`): the run's
    epochs, and lr0 from the optimizer the scheduler drives, are its settings."""
    from .bundle_check import check_bundle  # imported by the bundles that need it: import lrpol stays quick

    found = check_bundle(doc, definitions, allow_paths=allow_paths, import_paths=import_paths, strict=strict)
    settings = {name: value for name, value in ((EPOCHS.name, found.epochs), (LEARNING_RATE.name, found.lr0)) if value is not None}
    # Nothing to build, and nothing wrong: no handler steps a scheduler (each is disabled), so the LR stays lr0
    plan = _CONSTANT if found.plan is None and not found.checker.problems else found.plan
    return _Checked(found.checker, plan, settings, found.unit)


def _reader_of(doc: Document, at: tuple | None) -> Callable[[tuple], bool]:
    """Whether lrpol reads the value at a path of ``doc``, a train config whose schedule is at ``at``:
    every top-level key (a variable, a run setting), the schedules and what runs them."""
    read = [*([at] if at is not None else []), *_schedule_paths(doc), (TRAIN_KEY, GROUP_POLICIES_KEY)]
    if at == SCHEDULER_PATH:
        read += [(TRAIN_KEY, "handlers"), (TRAIN_KEY, "optimizer")]
    return reader(read)


def _clara4_stepping(doc: Document, plan: Plan | None, checker: EntryChecker) -> tuple[str | None, float | None]:
    """How often Clara 4 steps the scheduler, and the optimizer's LR; what is wrong with either is
    reported (a torch scheduler needs a handler to step it)."""
    train = _train(doc)
    assert train is not None  # locate found the scheduler in it
    stepped = plan is not None and not plan.disabled and plan.cls is not None and issubclass(plan.cls, TorchScheduler)
    return scheduler_unit(train, checker, required=stepped), optimizer_lr(train, checker)


def _check_schedules(doc: Document, checker: EntryChecker) -> None:
    """Check (and construct, so their own checks run) the schedules ``doc`` holds beside its lr_policy."""
    groups = (_train(doc) or {}).get(GROUP_POLICIES_KEY, [])
    if not isinstance(groups, list):
        checker.report(("train", GROUP_POLICIES_KEY), f"expected a list with a policy entry (or null) per param group, got {a_json_type(groups)}", code="wrong-type")
    for at in _schedule_paths(doc):
        plan = checker.check(at)
        if plan is not None and plan.cls is not None:
            schedule = checker.construct(plan)
            if isinstance(schedule, LRPolicy) and not plan.disabled and schedule.reads_metric:
                checker.report(at, *_READS_METRIC)


def _variables(doc: Document, in_config: bool, definitions: dict, origins: Origins | None = None) -> Variables:
    # A train config's top-level scalars are variables; a bare entry's own keys (name, args) are not.
    defined = config_variables(doc.data) if in_config else {}
    return Variables({**defined, **definitions}, doc.budget, origins)


def _environment(environment: str | os.PathLike | Environment | None) -> Environment | None:
    """The environment file read (once, for all that a call builds); a bad one raises :class:`ConfigError`."""
    return None if environment is None else load_environment(environment)


def _definitions(variables: Mapping | None, environment: str | os.PathLike | Environment | None) -> tuple[dict, Environment | None]:
    """The caller's variables over those of the environment file, and the file's values that
    they leave (which problems name the file's lines for); a bad file raises :class:`ConfigError`."""
    definitions = check_definitions(variables)
    if environment is None:
        return definitions, None
    read = load_environment(environment)
    kept = replace(read, values={name: value for name, value in read.values.items() if name not in definitions})
    return {**read.values, **definitions}, kept


def _run_settings(doc: Document, checker: EntryChecker, overrides: Mapping) -> dict:
    """The :data:`RUN_SETTINGS` at the top of ``doc``, or from ``overrides`` (the caller's
    variables), which win; checked. A refused one is reported to ``checker``."""
    settings = {}
    top = doc.data if isinstance(doc.data, dict) else {}
    for argument in RUN_SETTINGS:
        name = argument.name
        overridden = name in overrides
        if not overridden and name not in top:
            continue
        value = overrides[name] if overridden else top[name]
        where = (name,) if name in top else ()
        try:
            settings[name] = argument.check(checker.variables.substitute(value) if isinstance(value, str) else value)
        except Invalid as error:
            if overridden:  # the config's own value is not what was refused
                checker.report(where, f"{name} set by a variable: {error.reason}", error.hint, error.code, used=(name,))
            else:
                checker.reject(where, error)
    return settings


def _parse_pointer(doc: Document, pointer: str) -> tuple:
    """RFC 6901: ``/train/lr_policy`` -> ("train", "lr_policy"); ``~1`` is ``/`` and ``~0`` is ``~``."""
    if pointer == "":
        return ()
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        raise ConfigError([doc.problem((), f"{pointer!r} is not a JSON pointer", "a pointer is '' or starts with '/', as in /train/lr_policy", code="invalid-pointer")])
    path: list = []
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        container = _peek(doc.data, path)
        path.append(_array_index(token, container) if isinstance(container, list) else token)
    return tuple(path)


def _array_index(token: str, array: list) -> int | str:
    """``token`` as an index into ``array`` when it is RFC 6901's ``0|[1-9][0-9]*`` in ASCII
    ("²" and "٠" are digits to str.isdigit()). Anything else stays a key, which finds nothing
    in an array; so does an index with more digits than any position in ``array``, which is
    never converted (int() refuses more than 4,300 digits)."""
    digits = token.isascii() and token.isdigit() and (token == "0" or not token.startswith("0"))
    return int(token) if digits and len(token) <= len(str(len(array))) else token


def _peek(data: object, path: list) -> object:
    try:
        return value_at(data, tuple(path))
    except (KeyError, IndexError, TypeError):
        return None
