"""The three ways in from a config: ``validate``, ``build`` and ``load``.

A source is a bare component entry (``{"name": ..., "args": ...}``) or an MMAR
train config, whose policy sits at ``/train/lr_policy``; a JSON pointer can
name any other place.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Iterable

from .arguments import Argument
from .checking import EntryChecker, Plan, value_at
from .document import Document, from_mapping, read_document
from .errors import ConfigError, Invalid, Problem
from .policy import LRPolicy
from .variables import Variables, config_variables

DEFAULT_POINTER = "/train/lr_policy"

#: Top-level keys of an MMAR train config that lrpol reads (``lrpol preview``), checked when present.
RUN_SETTINGS = (
    Argument("learning_rate", float, "the initial LR, lr0", gt=0),
    Argument("epochs", int, "the run's length in epochs", ge=1),
)

def validate(source, *, pointer: str | None = None, variables: Mapping | None = None, allow_paths: Iterable[str] = (), strict: bool = False) -> list[Problem]:
    """Every problem in ``source`` (a file path or a mapping), sorted by position; ``[]`` when valid.

    Never imports or runs code named by a ``path`` entry: such an entry is valid when its
    shape is (and it lies under the allowlist, if one is set). With ``strict=True`` it is
    reported as unchecked instead.
    """
    try:
        doc = _document(source)
    except ConfigError as error:
        return list(error.problems)
    checker, plan = _check(doc, pointer, variables, allow_paths, import_paths=False, strict=strict)
    if plan is not None and plan.cls is not None:
        checker.construct(plan)  # the constructor may know more than the declarations
    return sorted(checker.problems, key=lambda p: p.sort_key)


def build(entry: Mapping, *, variables: Mapping | None = None, allow_paths: Iterable[str] = ()) -> LRPolicy | None:
    """One component entry to a policy; None when it is ``"disabled": true``.

    >>> build({"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": "{FREQ}"}}, variables={"FREQ": 100})
    DecayOnStep(decay_ratio=0.5, decay_freq=100)
    """
    return build_document(from_mapping(entry), pointer="", variables=variables, allow_paths=allow_paths)


def load(file: str | os.PathLike, *, pointer: str | None = None, variables: Mapping | None = None, allow_paths: Iterable[str] = ()) -> LRPolicy | None:
    """A JSON or YAML file to a policy; None when the entry is ``"disabled": true``."""
    return build_document(read_document(file), pointer=pointer, variables=variables, allow_paths=allow_paths)


def locate(doc: Document, pointer: str | None) -> tuple:
    """The path of the policy entry in ``doc``; raises :class:`ConfigError` if nothing is there."""
    data = doc.data
    if pointer is None:
        if isinstance(data, dict) and ("name" in data or "path" in data):
            return ()
        pointer = DEFAULT_POINTER
    path = _parse_pointer(pointer, data)
    try:
        value_at(data, path)
    except (KeyError, IndexError, TypeError):
        what = "no policy entry" if pointer == DEFAULT_POINTER else "nothing"
        hint = "expected a component entry ({'name': ..., 'args': ...}) or a train config with train.lr_policy" if pointer == DEFAULT_POINTER else ""
        raise ConfigError([doc.problem(path, f"{what} at {pointer}", hint, code="missing-entry")]) from None
    return path


def run_settings(doc: Document, variables: Mapping | None = None) -> dict:
    """``learning_rate`` and ``epochs`` from the top of a train config, checked; absent ones
    (and a bare entry, which has neither) give an empty dict."""
    checker = EntryChecker(doc, _variables(doc, ("train",), variables))
    settings = _run_settings(doc, checker)
    if checker.problems:
        raise ConfigError(checker.problems)
    return settings


def _document(source) -> Document:
    if isinstance(source, (str, os.PathLike)):
        return read_document(source)
    if isinstance(source, Mapping):
        return from_mapping(dict(source))
    raise TypeError(f"expected a file path or a mapping, not {type(source).__name__}")


def build_document(doc: Document, *, pointer: str | None = None, variables: Mapping | None = None, allow_paths: Iterable[str] = ()) -> LRPolicy | None:
    """What :func:`load` does once the file is read: check, import if allowed, construct."""
    checker, plan = _check(doc, pointer, variables, allow_paths, import_paths=True, strict=False)
    if plan is None:
        raise ConfigError(checker.problems)
    if plan.disabled:
        return None
    policy = checker.construct(plan)
    if policy is None:
        raise ConfigError(checker.problems)
    return policy


def _check(doc: Document, pointer, variables, allow_paths, *, import_paths: bool, strict: bool) -> tuple[EntryChecker, Plan | None]:
    try:
        at = locate(doc, pointer)
    except ConfigError as error:
        checker = EntryChecker(doc, Variables({}))
        checker.problems.extend(doc.problems + list(error.problems))
        return checker, None
    checker = EntryChecker(doc, _variables(doc, at, variables), allow_paths=allow_paths, import_paths=import_paths, strict=strict)
    checker.problems.extend(doc.problems)
    if at:
        _run_settings(doc, checker)
    plan = checker.check(at)
    return checker, (plan if not checker.problems else None)


def _variables(doc: Document, at: tuple, variables: Mapping | None) -> Variables:
    # A bare entry's own keys (name, args) are not variables; a train config's top-level scalars are.
    defined = config_variables(doc.data) if at else {}
    return Variables({**defined, **(variables or {})})


def _run_settings(doc: Document, checker: EntryChecker) -> dict:
    settings = {}
    for argument in RUN_SETTINGS:
        if not (isinstance(doc.data, dict) and argument.name in doc.data):
            continue
        value = doc.data[argument.name]
        try:
            settings[argument.name] = argument.check(checker.variables.substitute(value) if isinstance(value, str) else value)
        except Invalid as error:
            checker.reject((argument.name,), error)
    return settings


def _parse_pointer(pointer: str, data: object) -> tuple:
    """RFC 6901: ``/train/lr_policy`` -> ("train", "lr_policy"); ``~1`` is ``/`` and ``~0`` is ``~``."""
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise ValueError(f"a JSON pointer starts with '/', got {pointer!r}")
    path = []
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        container = _peek(data, path)
        path.append(int(token) if isinstance(container, list) and token.isdigit() else token)
    return tuple(path)


def _peek(data: object, path: list) -> object:
    try:
        return value_at(data, tuple(path))
    except (KeyError, IndexError, TypeError):
        return None
