"""Check one component entry of a document and say what it would build.

An entry is ``{"name": ...}`` or ``{"path": ...}``, with optional ``"args"``,
``"disabled"`` and ``"search"`` (Clara's AutoML search space, see :mod:`lrpol.search`).
With both ``name`` and ``path``, ``path`` is the class, as in Clara's component builder.
Checking never imports code named by ``path``; the caller decides whether to import
(``build``/``load``) or not (``validate``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from .arguments import Argument, ArgumentError, Component, arguments_of
from .context import RunView
from .document import MAX_LISTED_PROBLEMS, Document
from .errors import (
    JSON_TYPES,
    Invalid,
    Problem,
    a_json_type,
    did_you_mean,
    found_value,
    show_error,
    show_key,
    with_article,
)
from .policy import LRPolicy
from .registry import RegistryError, allowed_prefixes, check_path, known_names, lookup, resolve_path
from .search import UNRESOLVED, check_search
from .torch_schedulers import TORCH_SCHEDULERS, TorchScheduler
from .variables import Variables, substitute_tree

ENTRY_KEYS = ("name", "path", "args", "disabled", "search")
#: What reading reports that json.loads accepts: problems only where lrpol reads the value.
_HARMLESS_ELSEWHERE = ("duplicate-key", "non-finite")


def reader(places: Iterable[tuple]) -> Callable[[tuple], bool]:
    """Whether lrpol reads the value at a path, for :meth:`EntryChecker.add`: every top-level
    value (a variable, a run setting), and whatever lies in, or holds, one of ``places``."""
    read = list(places)

    def reads(path: tuple) -> bool:
        return len(path) <= 1 or any(path[: len(place)] == place or place[: len(path)] == path for place in read)

    return reads
#: Keys an entry may carry for other tools, such as an editor's ``$schema``; lrpol ignores them.
IGNORED_KEYS = ("$schema",)

_T = TypeVar("_T")


@dataclass
class Plan:
    """What a valid entry builds: ``cls(**args)``, unless ``disabled``.

    ``cls`` is a policy class, a torch scheduler's (where the checker reads torch's names:
    the caller translates what it builds with ``native(unit)``), or None for a ``path`` entry
    that was checked without importing it. ``args`` may hold the plans of nested entries (a
    Plan, or a tuple of them).
    """

    at: tuple
    cls: type[Component] | None
    args: dict[str, object]
    disabled: bool
    label: str  # "ReducePoly" or "path my_pkg.Policy", for messages


def value_at(data: object, path: tuple) -> object:
    # Any: the tree is parsed data; indexing what is no container raises TypeError, which callers catch.
    node: Any = data
    for key in path:
        node = node[key]
    return node


class EntryChecker:
    """Collects every problem of one entry, then yields a :class:`Plan` if there were none."""

    def __init__(self, doc: Document, variables: Variables, *, allow_paths: Iterable[str] = (), import_paths: bool = False, strict: bool = False, scheduler_roots: Iterable[tuple] = (), schedulers: Mapping[str, type[Component]] = TORCH_SCHEDULERS, native_names: bool = True):
        self.doc = doc
        # Where torch's scheduler names (lrpol.torch_schedulers) are read too, as Clara 4's train.lr_scheduler,
        # and, below a torch scheduler, the arguments that hold its nested schedulers (SequentialLR's)
        self.scheduler_roots = tuple(scheduler_roots)
        # The scheduler names read there (a bundle's _target_ strings), and whether lrpol's own names are read there too
        self.schedulers = schedulers
        self.native_names = native_names
        self._nested_scheduler_places: set[tuple] = set()
        self.variables = variables
        self.prefixes = allowed_prefixes(allow_paths)
        self.import_paths = import_paths
        self.strict = strict
        self.problems: list[Problem] = []  # the first MAX_LISTED_PROBLEMS
        self.unlisted = 0  # how many more were found
        self._first_unlisted: Problem | None = None
        self._places: set[tuple] = set()

    @property
    def found(self) -> int:
        return len(self.problems) + self.unlisted

    @property
    def listing_full(self) -> bool:
        return len(self.problems) >= MAX_LISTED_PROBLEMS

    def report(self, path: tuple, message: str, hint: str = "", code: str = "invalid", *, key: bool = False, used: tuple[str, ...] = ()) -> None:
        """Record a problem at ``path``. A value that came through variables from outside the
        config (an environment file) also names where they were written; so do the variables
        ``used``, for a value a variable set without the config naming it."""
        # One problem per place: a NaN or an undefined variable is not also "the wrong type".
        if path in self._places:
            return
        self._places.add(path)
        if self.listing_full:
            self.unlisted += 1
            if self._first_unlisted is None:
                self._first_unlisted = self.doc.problem(path, message, code=code, key=key)
            return
        if self.variables.traced:
            message += self.variables.provenance(None if key or used else self._raw(path), used)
        self.problems.append(self.doc.problem(path, message, hint, code=code, key=key))

    def _raw(self, path: tuple) -> object:
        """The value at ``path`` as the config writes it (None where there is none)."""
        try:
            return value_at(self.doc.data, path)
        except (KeyError, IndexError, TypeError):
            return None

    def add(self, doc: Document, *more: Problem, reads: Callable[[tuple], bool] | None = None) -> None:
        """Take the problems found while reading ``doc`` (and ``more``) as already reported.

        With ``reads`` (whether lrpol reads the value at a path), a repeated key or a NaN where
        lrpol reads nothing is left alone: ``json.loads``, and so Clara, takes them there without
        complaint (real configs repeat comment keys such as ``"//"``).
        """
        if reads is None:
            self._places.update(doc.places)
            self.problems += [*doc.problems, *more]
        else:
            kept = [(problem, path) for problem, path in zip(doc.problems, doc.problem_paths, strict=True) if problem.code not in _HARMLESS_ELSEWHERE or reads(path)]
            self._places.update(path for _, path in kept)
            self.problems += [*(problem for problem, _ in kept), *more]
        self.unlisted += doc.unlisted

    def result(self) -> list[Problem]:
        """The problems, sorted by position, and a last line counting those not listed."""
        problems = sorted(self.problems, key=lambda p: p.sort_key)
        if self.unlisted:
            where = self._first_unlisted or problems[-1]
            message = f"{self.unlisted:,} more problem(s) from here on are not listed (only the first {MAX_LISTED_PROBLEMS} are)"
            problems.append(Problem.at(where.file, where.mark, (), message, code="too-many-problems"))
        return problems

    def reject(self, path: tuple, error: Invalid) -> None:
        self.report(path, error.reason, error.hint, error.code)

    def check(self, at: tuple) -> Plan | None:
        """Check the entry at ``at`` (and, recursively, the entries nested in its arguments)."""
        before = self.found
        entry = value_at(self.doc.data, at)
        if not isinstance(entry, dict):
            self.report(at, f"a policy entry must be an object with 'name' or 'path', got {a_json_type(entry)}", code="wrong-type")
            return None
        for key in entry:
            if key not in ENTRY_KEYS and key not in IGNORED_KEYS:
                self._unknown_key((*at, key), f"unknown key {show_key(key)} in a policy entry", ENTRY_KEYS, "unknown-key")
        if "disabled" in entry:
            entry = {**entry, "disabled": self._substitute(entry["disabled"], (*at, "disabled"))}
        disabled = self._typed(entry, at, "disabled", bool, default=False)
        self._typed(entry, at, "$schema", str, default=None)
        cls, label = self._policy_class(entry, at)
        args = self._typed(entry, at, "args", dict, default={})
        if cls is not None and args is not None:
            args = self._check_args(cls, label, args, (*at, "args"))
        if "search" in entry:
            declared = {argument.name: argument for argument in arguments_of(cls)} if cls is not None else {}
            # An unimported path, or a user policy without declarations: only the search's shape is known.
            check_search(entry["search"], (*at, "search"), declared or None, label or "the policy", self.report, self._substitute_whole)
        if self.found > before or args is None:
            return None
        return Plan(at, cls, args, bool(disabled), label)

    def _substitute(self, value: object, path: tuple) -> object:
        return substitute_tree(value, path, self.variables, self.reject)

    def _substitute_whole(self, value: object, path: tuple) -> object:
        """``value`` substituted, or UNRESOLVED when a variable in it was refused (and reported)."""
        before = self.found
        substituted = self._substitute(value, path)
        return substituted if self.found == before else UNRESOLVED

    def _typed(self, entry: dict, at: tuple, key: str, kind: type[_T], *, default: _T | None) -> _T | None:
        if key not in entry:
            return default
        value = entry[key]
        if isinstance(value, kind):
            return value
        self.report((*at, key), f"{key!r} must be {with_article(JSON_TYPES[kind])}, got {a_json_type(value)}", code="wrong-type")
        return None

    def _unknown_key(self, path: tuple, message: str, known: Sequence[str], code: str) -> None:
        key = path[-1]
        if isinstance(key, str):
            # The hint (a fuzzy match against every known name) is worked out only for listed problems.
            self.report(path, message, "" if self.listing_full else did_you_mean(key, known), code, key=True)
        else:  # only possible in a mapping built in code
            self.report(path, f"keys must be strings, got {found_value(key)}", code="non-string-key", key=True)

    def _policy_class(self, entry: dict, at: tuple) -> tuple[type[Component] | None, str]:
        has_name, has_path = "name" in entry, "path" in entry
        if has_name and has_path:  # Clara builds the class 'path' names and ignores 'name'
            self._typed(entry, at, "name", str, default=None)
            if self.strict:
                self.report((*at, "name"), "'name' is ignored: with 'path' beside it, the policy is the class 'path' names, as in Clara", "remove one of them", "name-ignored", key=True)
            has_name = False
        if not (has_name or has_path):
            self.report(at, "a policy entry needs 'name' (a registered policy) or 'path' (a class to import)", code="missing-name")
            return None, ""
        key = "name" if has_name else "path"
        value = self._typed(entry, at, key, str, default=None)
        if value is None:
            return None, ""
        try:
            if has_name and self._under_scheduler_root(at):
                return self._scheduler_class(value), value
            if has_name:
                return self._registered_class(value), value
            return self._path_class(value, (*at, key)), f"path {value}"
        except RegistryError as error:
            self.reject((*at, key), error)
            return None, ""

    def _under_scheduler_root(self, at: tuple) -> bool:
        """Whether torch's names are read at ``at``: a root, or a scheduler nested in a torch one (not
        in a native policy, which holds only policies)."""
        return at in self.scheduler_roots or at in self._nested_scheduler_places or at[:-1] in self._nested_scheduler_places

    def _registered_class(self, name: str) -> type[LRPolicy]:
        """A registered policy's class; a torch scheduler's name where only policies go says where it goes."""
        try:
            return lookup(name)
        except RegistryError as error:
            if error.code != "unknown-policy" or name not in TORCH_SCHEDULERS:
                raise
            where = (
                "name it in lr_scheduler itself, or in a SequentialLR or ChainedScheduler there" if self.scheduler_roots
                else "Clara 4's train.lr_scheduler reads it; the README's \"Coming from torch\" table gives the lrpol policy with its LRs"
            )
            raise RegistryError(f"unknown policy {name!r}", f"{name} is a torch scheduler: {where}") from None

    def _scheduler_class(self, name: str) -> type[Component]:
        """A torch scheduler's class (or, failing that, an lrpol policy's); a typo is matched against both."""
        if name in self.schedulers:
            return self.schedulers[name]
        if not self.native_names:
            raise RegistryError(f"unknown scheduler {name!r}", did_you_mean(name, list(self.schedulers)), code="unknown-policy")
        try:
            return lookup(name)
        except RegistryError as error:
            if error.code != "unknown-policy":
                raise
            raise RegistryError(f"unknown scheduler {name!r}", did_you_mean(name, [*self.schedulers, *known_names()])) from None

    def _path_class(self, path: str, where: tuple) -> type[LRPolicy] | None:
        if self.import_paths:
            return resolve_path(path, self.prefixes)
        # Without an import only the shape can be checked, and the allowlist if one is set.
        check_path(path, self.prefixes, enforce_allowlist=bool(self.prefixes))
        if self.strict:
            self.report(where, f"path {path!r} was not checked: validation never imports code", "its arguments are checked when the policy is built", "unchecked-path")
        return None

    def _check_args(self, cls: type[Component], label: str, args: dict, at: tuple) -> dict[str, object]:
        declared = {argument.name: argument for argument in arguments_of(cls)}
        if not declared:  # an undeclared signature: the constructor itself judges the arguments
            return substitute_tree(args, at, self.variables, self.reject)
        checked: dict[str, object] = {}
        for key, value in args.items():
            argument = declared.get(key)
            if argument is None and self._first_unlisted is not None and (*at, key) not in self._places:
                self.unlisted += 1  # counted, as report() would, without working out a message
                self._places.add((*at, key))
            elif argument is None:
                self._unknown_key((*at, key), f"unknown argument for {label}", list(declared), "unknown-argument")
            elif argument.is_policy:
                if issubclass(cls, TorchScheduler):
                    self._nested_scheduler_places.add((*at, key))
                checked[key] = self._nested(argument, value, (*at, key))
            else:
                try:
                    checked[key] = argument.check(self._substitute(value, (*at, key)))
                except ArgumentError as error:
                    self.reject((*at, *error.path), error)
        for name, argument in declared.items():
            if argument.required and name not in args:
                self.report((*at, name), f"missing required argument {name!r} for {label} ({argument.expects()})", code="missing-argument")
        return checked

    def _nested(self, argument: Argument, value: object, at: tuple) -> Plan | tuple[Plan | None, ...] | None:
        """The plan(s) of the entries an argument holds: one entry, or a list of them."""
        if value is None and argument.nullable:
            return None
        if not argument.many:
            return self._nested_entry(argument, at)
        if not isinstance(value, list):
            self.report(at, f"expected {argument.expects()}, got {a_json_type(value)}", code="wrong-type")
            return None
        if len(value) < argument.min_items:
            self.report(at, f"needs at least {argument.min_items} item(s), got {len(value)}", code="too-few")
        return tuple(self._nested_entry(argument, (*at, index)) for index in range(len(value)))

    def _nested_entry(self, argument: Argument, at: tuple) -> Plan | None:
        plan = self.check(at)
        if plan is not None and plan.disabled and (argument.many or not argument.nullable):
            self.report((*at, "disabled"), f"a policy in {argument.name!r} cannot be disabled", "remove it instead", "cannot-disable")
        return plan

    def construct(self, plan: Plan) -> Component | None:
        """``plan.cls(**plan.args)``, nested plans built first; a refusal is reported, not raised.

        None when it cannot be built (refused). A nested ``path`` entry that was checked
        without importing it is built as a stand-in, so the outer policy's checks still run.
        """
        cls = plan.cls
        if cls is None:  # a path checked without importing it; _built gives a nested one a stand-in instead
            raise ValueError(f"{plan.label} was not imported, so it cannot be built")
        args = {}
        for key, value in plan.args.items():
            built = self._built(value)
            if built is _UNBUILT:
                return None
            args[key] = built
        try:
            return cls(**args)
        except ArgumentError as error:
            self.reject((*plan.at, "args", *error.path), error)
        except (Exception, SystemExit) as error:  # user code may raise anything, sys.exit() too; the config is what is wrong
            self.report((*plan.at, "args"), f"{plan.label} rejected its arguments: {show_error(error)}", code="rejected")
        return None

    def _built(self, value: object) -> object:
        if isinstance(value, Plan):
            if value.cls is None:  # an unimported path: a stand-in lets the outer policy's own checks run
                return _Unchecked(value.label)
            policy = self.construct(value)
            if policy is None:
                return _UNBUILT
            return None if value.disabled else policy
        if isinstance(value, tuple) and any(isinstance(item, Plan) for item in value):
            items = tuple(self._built(item) for item in value)
            return _UNBUILT if _UNBUILT in items else items
        return value


_UNBUILT = object()  # a nested policy that could not be built


class _Unchecked(LRPolicy):
    """Stands in, during validation, for a ``path`` policy that is never imported."""

    def __init__(self, label: str):
        self.label = label

    def evaluate(self, ctx: RunView) -> float:
        raise RuntimeError(f"{self.label} was not imported: validation only checks its shape")
