"""A MONAI bundle's ``lr_scheduler`` read as the entry lrpol checks: a VIEW of the bundle.

A bundle writes its scheduler flat, its arguments beside ``_target_``, with references to other
places (``"T_max": "@epochs"``)::

    "lr_scheduler": {"_target_": "torch.optim.lr_scheduler.CosineAnnealingLR", "optimizer": "@optimizer", "T_max": "@epochs"}

The view is a :class:`Document` whose data is that entry as ``{"name": _target_, "args": {...}}``,
every reference replaced by its value, so the one :class:`~lrpol.checking.EntryChecker` checks it
as it checks Clara 4's ``train.lr_scheduler``. Each problem the checker finds in the view is
placed back in the bundle: ``name`` at ``_target_``, an argument at its own key or value, and a
value reached through a reference at that reference (the message names it).

Nothing is run: a ``$`` expression the scheduler needs is a problem that says so (elsewhere
in the bundle it is never looked at), a ``%`` macro copying from another file too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from . import bundle_refs as refs
from .document import Budget, Document, Exhausted
from .errors import Invalid, Path, Problem, a_json_type
from .monai_schedulers import BUNDLE_SCHEDULERS, unknown_target
from .torch_schedulers import OPTIMIZER_REFERENCE

SCHEDULER_KEY = "lr_scheduler"
TARGET_KEY = "_target_"
DISABLED_KEY = "_disabled_"
MODE_KEY = "_mode_"
#: Keys of a component that are not its arguments, and that say nothing about its LRs.
IGNORED_KEYS = ("_desc_", "_requires_")
#: The one ``_mode_`` that builds the scheduler itself; "callable" and "partial" leave that to code.
DEFAULT_MODE = "default"
#: The view's entry keys for the bundle's: what a problem at ``name`` points to, and so on.
_BUNDLE_KEYS = {"name": TARGET_KEY, "disabled": DISABLED_KEY}


@dataclass
class BundleView(Document):
    """The scheduler entry of ``bundle`` at ``root`` (the view's ``()``), references resolved.

    ``optimizer`` is the path of the optimizer the scheduler drives, when its reference resolves.
    """

    bundle: Document = field(default_factory=lambda: Document(None, None))
    root: Path = ()
    optimizer: Path | None = None
    entries: set[Path] = field(default_factory=set)  # view paths of component entries (name/args)
    sites: dict[Path, tuple[Path, str]] = field(default_factory=dict)  # view path -> (bundle path, reference)

    def mark(self, path: Path, *, key: bool = False) -> tuple | None:
        return self.place(path, key=key)[1]

    def problem(self, path: Path, message: str, hint: str = "", *, code: str = "invalid", key: bool = False) -> Problem:
        where, mark, through = self.place(path, key=key)
        if through:
            message = f"{message} (through {through})"
        return Problem.at(self.bundle.file, mark, where, message, hint, code=code)

    def place(self, path: Path, *, key: bool = False) -> tuple[Path, tuple | None, str]:
        """The bundle path of view ``path`` (as if references were written out), where it
        stands in the text, and the reference it was reached through ("" when none)."""
        where = list(self.root)
        site: tuple[Path, str] | None = self.sites.get(())
        for depth, step in enumerate(path):
            if path[:depth] in self.entries:
                if step == "args":
                    continue
                step = _BUNDLE_KEYS.get(step, step)
            where.append(step)
            site = site or self.sites.get(path[: depth + 1])
        if site is not None:
            return tuple(where), self.bundle.mark(site[0]), site[1]
        return tuple(where), self.bundle.mark(tuple(where), key=key), ""


def read_view(bundle: Document, overrides: Mapping[str, object] | None = None, *, root: Path = (SCHEDULER_KEY,)) -> BundleView:
    """The view of the scheduler at ``root`` of ``bundle``; ``overrides`` replace ids' values.

    The problems of reading it (a missing id, a cycle, a ``$`` expression the scheduler needs)
    are the view's ``problems``, at the view paths they concern (``places``), so a checker that
    takes them (``EntryChecker.add``) reports nothing else there.
    """
    view = BundleView(file=bundle.file, data=None, budget=bundle.budget, bundle=bundle, root=root)
    builder = _Builder(view, dict(overrides or {}))
    view.data = builder.value(bundle.data, root, (), ())
    return view


class _Builder:
    """Builds the view's data, recording where references were followed and what went wrong."""

    def __init__(self, view: BundleView, overrides: dict):
        self.view = view
        self.overrides = overrides
        self.exhausted = False

    def report(self, at: Path, error: Invalid) -> None:
        self.view.places.add(at)
        if self.view.listing_full:  # as a reader does: past the listing, problems are counted
            self.view.unlisted += 1
            return
        self.view.problems.append(self.view.problem(at, error.reason, error.hint, code=error.code))
        self.view.problem_paths.append(at)

    def value(self, data: object, path: Path, at: Path, chain: tuple[str, ...]) -> object:
        """The view of the value at bundle ``path``, which the view holds at ``at``; ``chain``
        holds the ids followed to get here."""
        raw = data
        for key in path:
            raw = raw[key]  # type: ignore[index]  # paths come from walking this data
        return self.convert(raw, at, chain)

    def convert(self, raw: object, at: Path, chain: tuple[str, ...]) -> object:
        if chain:  # a value copied through a reference: counted, as YAML aliases are
            if self.exhausted:
                return None
            try:
                self.view.budget.spend(values=1)
            except Exhausted:
                self.exhausted = True  # reported once, where it ran out; nothing more is copied
                self.report(at, Invalid(f"references repeat more than {Budget.MAX_VALUES:,} values", "refer to a value, not to lists of references to lists", code="too-large"))
                return None
        if isinstance(raw, str):
            return self.string(raw, at, chain)
        if isinstance(raw, dict):
            if TARGET_KEY in raw:
                return self.entry(raw, at, chain)
            return {key: self.convert(item, (*at, key), chain) for key, item in raw.items()}
        if isinstance(raw, list):
            return [self.convert(item, (*at, index), chain) for index, item in enumerate(raw)]
        return raw

    def string(self, raw: str, at: Path, chain: tuple[str, ...]) -> object:
        if refs.is_expression(raw):
            self.report(at, Invalid(
                f"{raw!r} is a Python expression, so the value cannot be checked without running code",
                "lrpol never runs a bundle's code: write the value itself, or a reference (@id) to one", code="needs-code",
            ))
            return raw
        try:
            id_ = refs.reference_id(raw) or refs.macro_id(raw)
        except Invalid as error:
            self.report(at, error)
            return raw
        if id_ is None:
            return raw
        return self.follow(raw, id_, at, chain)

    def follow(self, raw: str, id_: str, at: Path, chain: tuple[str, ...]) -> object:
        """The value ``raw`` (``@id_`` or ``%id_``) refers to, converted in its turn."""
        if refs.normalized(id_) in map(refs.normalized, chain):
            circle = " -> ".join(f"@{step}" for step in (*chain, id_))
            self.report(at, Invalid(f"references go round in a circle: {circle}", "one of them must hold a value", code="reference-cycle"))
            return raw
        if len(chain) >= refs.MAX_CHAIN:
            self.report(at, Invalid(f"references lead to references more than {refs.MAX_CHAIN} levels deep", code="too-deep"))
            return raw
        try:
            _, target = refs.find_id(self.view.bundle.data, id_, self.overrides)
        except Invalid as error:
            self.report(at, error)
            return raw
        if not chain and at not in self.view.sites:  # what is reached through it is placed at it
            self.view.sites[at] = (self._written_at(at), raw)
        return self.convert(target, at, (*chain, id_))

    def _written_at(self, at: Path) -> Path:
        """The bundle path of view ``at``, which was written out (reached through no reference)."""
        return self.view.place(at)[0]

    def entry(self, raw: dict, at: Path, chain: tuple[str, ...]) -> dict:
        """A component (``_target_`` and its arguments beside it) as an entry: name, args, disabled."""
        self.view.entries.add(at)
        target = raw[TARGET_KEY]
        if isinstance(target, str) and target not in BUNDLE_SCHEDULERS:  # said here, in the bundle's words
            self.report((*at, "name"), unknown_target(target))
        entry: dict = {"name": target}
        args: dict = {}
        for key, item in raw.items():
            if key == TARGET_KEY or key in IGNORED_KEYS:
                continue
            if key == DISABLED_KEY:
                entry["disabled"] = self.disabled(item, (*at, "disabled"), chain)
            elif key == MODE_KEY:
                self.mode(item, (*at, MODE_KEY), chain)
            elif key == "optimizer":
                args[key] = self.optimizer(item, (*at, "args", key), chain)
            else:
                args[key] = self.convert(item, (*at, "args", key), chain)
        entry["args"] = args
        return entry

    def disabled(self, raw: object, at: Path, chain: tuple[str, ...]) -> object:
        """``_disabled_`` as MONAI reads it: a boolean, or the string "true" or "false" in any case."""
        value = self.convert(raw, at, chain)
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return value  # the checker refuses anything but a boolean

    def mode(self, raw: object, at: Path, chain: tuple[str, ...]) -> None:
        value = self.convert(raw, at, chain)
        if at in self.view.places or value == DEFAULT_MODE:
            return
        self.report(at, Invalid(
            f"_mode_ {value!r} leaves building the scheduler to code, so its LRs cannot be checked",
            f"lrpol reads a scheduler the bundle builds itself: _mode_ {DEFAULT_MODE!r}, or no _mode_", code="not-supported",
        ))

    def optimizer(self, raw: object, at: Path, chain: tuple[str, ...]) -> object:
        """The train optimizer, for the checker: a reference that resolves is ``"@optimizer"``
        (and, for the outermost scheduler, where lr0 comes from)."""
        if refs.reference_id(raw) is None:
            return self.convert(raw, at, chain)
        try:  # a chain of references (@opt -> @optimizer) ends at the optimizer
            path, optimizer = refs.resolve_place(self.view.bundle.data, raw, {})
        except Invalid as error:
            self.report(at, error)
            return raw
        if not (isinstance(optimizer, dict) and TARGET_KEY in optimizer) and not refs.is_expression(optimizer):
            self.report(at, Invalid(f"{raw!r} leads to {a_json_type(optimizer)}, not an optimizer component", f"an optimizer is an object with {TARGET_KEY!r}, such as torch.optim.Adam", code="wrong-type"))
            return raw
        if at == ("args", "optimizer"):
            self.view.optimizer = path
        return OPTIMIZER_REFERENCE
