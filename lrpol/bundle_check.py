"""A MONAI bundle checked and built: its ``lr_scheduler`` read through the view
(:mod:`lrpol.bundle`) by the one entry checker, with torch's and MONAI's scheduler names
(:data:`~lrpol.monai_schedulers.BUNDLE_SCHEDULERS`), and its run (:mod:`lrpol.bundle_run`):
the stepping, the epochs and lr0.

Variables (``--var``, ``variables=``) replace the values of the ids they name, top-level or
nested (``lr_scheduler#step_size``), as MONAI's own command line does (``--epochs 3``); ``{VAR}``
in a string is filled in as in a train config.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from . import bundle_refs as refs
from . import bundle_run
from .bundle import SCHEDULER_KEY, TARGET_KEY, BundleView, read_view
from .checking import EntryChecker, Plan, reader
from .document import Document
from .errors import Invalid, Path
from .monai_schedulers import BUNDLE_SCHEDULERS
from .variables import Variables


@dataclass
class BundleCheck:
    """What checking a bundle found: the checker holding every problem, the scheduler's plan
    when there are none, and the run: ``unit`` (how the handler steps it), ``epochs``, ``lr0``."""

    checker: EntryChecker
    plan: Plan | None
    unit: str | None
    epochs: int | None
    lr0: float | None


def check_bundle(doc: Document, definitions: Mapping[str, object], *, allow_paths: Iterable[str] = (), import_paths: bool = False, strict: bool = False) -> BundleCheck:
    """Check the bundle ``doc``'s ``lr_scheduler`` and its run, every problem at its place."""
    run = EntryChecker(doc, Variables({}))
    doc = _with_nested_overrides(doc, definitions, run)
    root, unit, handler_at = bundle_run.stepping(doc.data, definitions, _reporter(run))
    view = read_view(doc, definitions, root=root) if root is not None else None
    checker = EntryChecker(
        view or doc, Variables(dict(definitions), doc.budget), allow_paths=allow_paths, import_paths=import_paths, strict=strict,
        scheduler_roots=[()], schedulers=BUNDLE_SCHEDULERS, native_names=False,
    )
    # what reading the bundle found, in the bundle's own paths: kept with the run's problems
    run.add(doc, reads=reader(bundle_run.read_places(doc.data, root, view.optimizer if view is not None else None)))
    plan = None
    if view is not None:
        checker.add(view)
        plan = _check_scheduler(view, checker)
    if plan is not None and plan.disabled and unit is None:  # built (so checked) and dropped: nothing steps it
        unit = "epoch"
        run.problems = [problem for problem in run.problems if problem.code != "missing-handler"]
    elif plan is not None and plan.disabled and handler_at is not None:  # MONAI would call step() on None
        run.reject(handler_at, Invalid("this LrScheduleHandler steps a scheduler that is disabled, so MONAI would fail at its first step", "disable the handler too, or enable the scheduler", code="conflict"))
    epochs = bundle_run.epochs(doc.data, handler_at, definitions, _reporter(run))
    lr0 = bundle_run.initial_lr(doc.data, view.optimizer if view is not None else None, definitions, _reporter(run))
    for problem in run.problems:  # one list, sorted by position when read, listed up to its limit
        if checker.listing_full:
            checker.unlisted += 1
        else:
            checker.problems.append(problem)
    checker.unlisted += run.unlisted
    return BundleCheck(checker, plan if not checker.problems else None, unit, epochs, lr0)


def _with_nested_overrides(doc: Document, definitions: Mapping[str, object], run: EntryChecker) -> Document:
    """``doc`` with each variable that names a nested id (``lr_scheduler#step_size``) set there,
    as MONAI's ``ConfigParser.update`` sets it (a copy; a top-level id is read as an override
    wherever a reference meets it). An id whose parent is not in the bundle is reported."""
    nested = {name: value for name, value in definitions.items() if refs.SEPARATOR in refs.normalized(name)}
    if not nested:
        return doc
    data = copy.deepcopy(doc.data)
    for name, value in nested.items():
        *parents, last = refs.normalized(name).split(refs.SEPARATOR)
        try:
            _, parent = refs.find_id(data, refs.SEPARATOR.join(parents), {})
        except Invalid as error:
            run.report((), f"the variable {name!r} names no id of this bundle: {error.reason}", error.hint, code="unknown-reference")
            continue
        if isinstance(parent, dict):
            parent[last] = value
        elif isinstance(parent, list) and last.isascii() and last.isdigit() and int(last) < len(parent):
            parent[int(last)] = value
        else:
            run.report((), f"the variable {name!r} names no id of this bundle: {refs.SEPARATOR.join(parents)!r} holds no {last!r}", code="unknown-reference")
    return dataclasses.replace(doc, data=data)


def _check_scheduler(view: BundleView, checker: EntryChecker) -> Plan | None:
    if () not in view.entries:  # the view is no component: say it in the bundle's words
        if () not in view.places:
            checker.report((), f"{SCHEDULER_KEY} must be a component: an object with {TARGET_KEY!r} naming the scheduler class", f"for example {{{TARGET_KEY!r}: 'torch.optim.lr_scheduler.StepLR', 'optimizer': '@optimizer', 'step_size': 10}}", code="wrong-type")
        return None
    return checker.check(())


def _reporter(checker: EntryChecker) -> bundle_run.Report:
    def report(at: Path, error: Invalid) -> None:
        checker.reject(at, error)

    return report
