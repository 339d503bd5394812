"""A config's schedule as the native entry that gives the same LRs: what ``lrpol convert`` prints.

``to_entry(policy)`` is the inverse of :func:`lrpol.build` for every registered policy whose
arguments are declared (all the built-in ones, composites included): ``build(to_entry(p))``
equals ``p``, so its curve is the same to the bit. The entry names only the arguments that
differ from their defaults, in declaration order, as ``repr`` shows them.

``convert(doc)`` builds a config's policy as ``load`` does and writes it back as an entry.
What no native entry can say is a problem at its place: a ``path`` entry (user code, never
imported here). The entry runs from lr0; when that is not the config's ``learning_rate``,
:attr:`Conversion.learning_rate` says which to set.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from .arguments import arguments_of
from .checking import value_at
from .config import build_run, locate, run_settings, validate
from .config_kind import without_policy
from .context import LEARNING_RATE
from .document import Document
from .environment import Environment
from .errors import ConfigError, Invalid, Problem
from .policy import LRPolicy
from .registry import RegistryError, lookup

#: The code of a problem that is no mistake in the config: lrpol has no native entry for it.
NOT_CONVERTIBLE = "not-convertible"
#: The codes of the problems that say what lrpol cannot follow, so no native entry can say it
#: either: user code (a path entry, a bundle's $ expression) and torch features without an equal.
CANNOT_EXPRESS = (NOT_CONVERTIBLE, "needs-code", "not-supported")

#: What convert says of an entry's ``search``, which names the source's own arguments.
SEARCH_LEFT_OUT = "the entry's search (Clara's AutoML search space) is left out: it does not change the LRs, and names the arguments of the entry converted"

#: The torch schedulers that set the optimizer's LR themselves, from their ``max_lr``.
PEAK_SETTERS = ("OneCycleLR", "CyclicLR")

#: The entry of a schedule that keeps lr0 (no lr_policy, or a disabled one).
CONSTANT_ENTRY = {"name": "Constant"}


@dataclass(frozen=True)
class Conversion:
    """The native entry of a config's schedule, and how it must run.

    ``learning_rate`` is the lr0 the entry needs when it differs from the config's own
    ``learning_rate`` (or the config has none), else None. ``notes`` say, in words, what
    the reader should know: that lr0, or that the config holds no schedule.
    """

    entry: dict
    learning_rate: float | None = None
    notes: tuple[str, ...] = ()


def convert(doc: Document, *, pointer: str | None = None, variables: Mapping | None = None, environment: Environment | None = None, steps_per_epoch: int | None = None) -> Conversion:
    """The native entry that gives ``doc``'s LRs; raises :class:`ConfigError` with its problems,
    those of code :data:`NOT_CONVERTIBLE` for what no native entry can say. Never imports code.
    With ``steps_per_epoch``, a torch scheduler stepped per update is also checked to last the
    run, as :func:`lrpol.load_run` checks it (torch's OneCycleLR refuses to step past its end)."""
    # strict: every path entry is reported (unchecked-path), at its place, without importing it
    problems = [_unconvertible(p) if p.code == "unchecked-path" else p for p in validate(doc, pointer=pointer, variables=variables, environment=environment, strict=True) if p.code != "name-ignored"]
    if problems:
        raise ConfigError(problems)
    policy, settings = build_run(doc, pointer=pointer, variables=variables, environment=environment, steps_per_epoch=steps_per_epoch)
    at = locate(doc, pointer) or ()
    source = _entry_data(doc, at) if policy is not None else None
    notes = []
    lr0, configured = settings.get(LEARNING_RATE.name), run_settings(doc, variables, environment=environment).get(LEARNING_RATE.name)
    learning_rate = lr0 if lr0 is not None and lr0 != configured else None
    if learning_rate is not None:
        notes.append(_learning_rate_note(learning_rate, configured, source))
    if policy is None:
        notes.append(f"{without_policy(doc.data, pointer)}: Constant keeps lr0 too")
        return Conversion(dict(CONSTANT_ENTRY), learning_rate, tuple(notes))
    try:
        entry = to_entry(policy)
    except Unconvertible as error:  # a plugin policy registered under another name than its class's
        raise ConfigError([doc.problem(at, error.reason, error.hint, code=error.code)]) from None
    if isinstance(source, dict) and "search" in source:
        notes.append(SEARCH_LEFT_OUT)
    return Conversion(entry, learning_rate, tuple(notes))


def _entry_data(doc: Document, at: tuple) -> object:
    """The entry as the document writes it (None where the document holds no such path)."""
    try:
        return value_at(doc.data, at)
    except (KeyError, IndexError, TypeError):
        return None


def _learning_rate_note(learning_rate: float, configured: float | None, source: object) -> str:
    """Which learning_rate the entry runs from, and why it is not the config's."""
    name = None
    if isinstance(source, dict):  # Clara's "name", or a MONAI bundle's "_target_" (a dotted class path)
        target = source.get("name", source.get("_target_"))
        name = target.rpartition(".")[2] if isinstance(target, str) else None
    why = f"{name}'s max_lr, the peak it sets" if name in PEAK_SETTERS else "the optimizer's lr"
    instead = f"not the config's {configured!r}" if configured is not None else "the config sets none"
    return f"set learning_rate to {learning_rate!r} ({why}), {instead}: the entry's LRs are relative to lr0"


def render(entry: dict, format: str) -> str:
    """``entry`` as JSON (indented) or YAML text, ending in a newline; both read back exactly."""
    if format == "yaml":
        import yaml

        return yaml.safe_dump(entry, sort_keys=False, allow_unicode=True)
    return json.dumps(entry, indent=2, ensure_ascii=False) + "\n"


def _unconvertible(problem: Problem) -> Problem:
    """An unchecked ``path`` entry, said as what convert cannot do."""
    return Problem(
        problem.file, problem.line, problem.column, problem.json_path,
        "a 'path' entry names user code, which no native entry can say",
        "write the schedule with lrpol's own policies (lrpol list), or keep the entry as it is", NOT_CONVERTIBLE,
    )


class Unconvertible(Invalid):
    """A policy (or a value in it) that no native entry can say; ``at`` is where, below the entry."""

    def __init__(self, reason: str, hint: str = "", *, at: tuple = ()):
        super().__init__(reason, hint, code=NOT_CONVERTIBLE)
        self.at = at


def to_entry(policy: LRPolicy) -> dict:
    """The entry ``{"name": ..., "args": {...}}`` that builds ``policy``; ``args`` is left out
    when every argument has its default. Raises :class:`Unconvertible` for a policy that has no
    registered name or no declared arguments (user code, which only a ``path`` could name).

    >>> from lrpol import Sequential, Constant, ReduceCosine
    >>> to_entry(Sequential(policies=(Constant(factor=0.1, duration=5), ReduceCosine()), milestones=(5,)))
    {'name': 'Sequential', 'args': {'policies': [{'name': 'Constant', 'args': {'factor': 0.1, 'duration': 5}}, {'name': 'ReduceCosine'}], 'milestones': [5]}}
    """
    return _entry(policy, ())


def _entry(policy: object, at: tuple) -> dict:
    cls = type(policy)
    name = _registered_name(cls, at)
    arguments = arguments_of(cls)
    if not arguments and _has_own_state(policy):
        raise Unconvertible(f"{name} declares no arguments, so its entry cannot be written", "declare them with lrpol.arguments.arg", at=at)
    args = {}
    for argument in arguments:
        value = getattr(policy, argument.name)
        if argument.required or value != argument.default:
            args[argument.name] = _value(value, (*at, "args", argument.name))
    return {"name": name, "args": args} if args else {"name": name}


def _registered_name(cls: type, at: tuple) -> str:
    """The name ``build`` finds ``cls`` under (its class name, for the built-in policies)."""
    try:
        if lookup(cls.__name__) is cls:
            return cls.__name__
    except RegistryError:
        pass
    where = f"{cls.__module__}.{cls.__qualname__}"
    raise Unconvertible(f"{where} is not a registered policy, so no 'name' builds it", "only a 'path' entry names user code; register it (lrpol.register) to convert it", at=at)


def _has_own_state(policy: object) -> bool:
    return bool(getattr(policy, "__dict__", None))


def _value(value: object, at: tuple) -> object:
    """An argument's value as JSON data: a tuple as a list, a nested policy as its entry."""
    if isinstance(value, LRPolicy):
        return _entry(value, at)
    if isinstance(value, (tuple, list)):
        return [_value(item, (*at, index)) for index, item in enumerate(value)]
    return value
