"""Clara's AutoML ``search`` key, checked against the policy's declared arguments.

An entry may say which of its arguments Clara's AutoML searches, and over what::

    "search": [{"domain": "lr", "type": "float", "args": ["poly_power"], "targets": [0.9, 0.99]}]

Each item names its ``args`` (one name or a list; ``@disabled`` is the entry's own
``disabled``), a ``type`` and the ``targets``: ``[min, max]`` for ``float`` and ``int``,
and for ``enum`` a list of choices, each a list with one value per arg. lrpol never
searches; it checks that every value the search could give is one the policy takes.
``{VAR}`` in the targets is filled in first, as in ``args``, so a range an environment file
gives is checked as Clara would search it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from .arguments import Argument, ArgumentError
from .errors import a_json_type, did_you_mean, show_key, show_value

SEARCH_KEYS = ("domain", "type", "args", "targets")
REQUIRED_KEYS = ("type", "args", "targets")
SEARCH_TYPES = ("float", "int", "enum")
#: What Clara's AutoML searches: the LR, the network, the transforms.
DOMAINS = ("lr", "net", "transform")
#: Clara's ``@`` notation searches an entry's attribute rather than an argument.
DISABLED_ATTRIBUTE = Argument("@disabled", bool, "the entry's 'disabled'")

#: How a problem is reported: (path, message, hint, code, key=...).
Report = Callable[..., None]
#: How ``{VAR}`` is filled in: (value, its path) -> the value substituted, or :data:`UNRESOLVED`.
Substitute = Callable[[object, tuple], object]
#: What a :data:`Substitute` gives for a value whose variables it could not fill in (and reported).
UNRESOLVED = object()


def _as_written(value: object, at: tuple) -> object:
    return value


def check_search(search: object, at: tuple, declared: Mapping[str, Argument] | None, label: str, report: Report, substitute: Substitute = _as_written) -> None:
    """Report every problem of the ``search`` value at ``at``.

    ``declared`` holds the policy's arguments by name, or is None when they are not known
    (a ``path`` entry that is not imported): then only the shape is checked. ``label``
    names the policy in messages. ``substitute`` fills in the variables of each item's targets.
    """
    if not isinstance(search, list):
        report(at, f"'search' must be a list of search items, got {a_json_type(search)}", code="wrong-type")
        return
    for index, item in enumerate(search):
        _check_item(item, (*at, index), declared, label, report, substitute)


def _check_item(item: object, at: tuple, declared: Mapping[str, Argument] | None, label: str, report: Report, substitute: Substitute) -> None:
    if not isinstance(item, dict):
        report(at, f"a search item must be an object with 'type', 'args' and 'targets', got {a_json_type(item)}", code="wrong-type")
        return
    for key in item:
        if key not in SEARCH_KEYS:
            hint = did_you_mean(key, SEARCH_KEYS) if isinstance(key, str) else ""
            report((*at, key), f"unknown key {show_key(key)} in a search item", hint, code="unknown-key", key=True)
    missing = [key for key in REQUIRED_KEYS if key not in item]
    if missing:
        report(at, f"a search item needs {' and '.join(map(repr, missing))}", "an item is {'domain': ..., 'type': ..., 'args': [...], 'targets': [...]}", code="missing-key")
    if "domain" in item:
        _one_of(item["domain"], DOMAINS, (*at, "domain"), "domain", report)
    kind = _one_of(item["type"], SEARCH_TYPES, (*at, "type"), "type", report) if "type" in item else None
    arguments = _arguments(item["args"], (*at, "args"), declared, label, report) if "args" in item else None
    if kind is None or arguments is None or "targets" not in item:
        return
    targets = substitute(item["targets"], (*at, "targets"))
    if targets is UNRESOLVED:
        return
    if kind == "enum":
        _check_choices(targets, (*at, "targets"), arguments, report)
    else:
        _check_range(targets, (*at, "targets"), kind, arguments, (*at, "args"), report)


def _one_of(value: object, choices: tuple[str, ...], at: tuple, key: str, report: Report) -> str | None:
    if isinstance(value, str) and value in choices:
        return value
    listing = ", ".join(map(repr, choices[:-1])) + f" or {choices[-1]!r}"
    if not isinstance(value, str):
        report(at, f"{key!r} must be {listing}, got {a_json_type(value)}", code="wrong-type")
    else:
        report(at, f"{key!r} must be {listing}, got {show_value(value)}", did_you_mean(value, choices), code="invalid-choice")
    return None


def _arguments(names: object, at: tuple, declared: Mapping[str, Argument] | None, label: str, report: Report) -> list[tuple[str, Argument | None]] | None:
    """The searched arguments, in order, with their declarations (None when unknown); None if refused."""
    listed = [names] if isinstance(names, str) else names
    if not isinstance(listed, list) or not listed or not all(isinstance(name, str) for name in listed):
        report(at, f"'args' must name the searched arguments: a name or a non-empty list of names, got {a_json_type(names)}", code="wrong-type")
        return None
    found: list[tuple[str, Argument | None]] = []
    refused = False
    for index, name in enumerate(listed):
        where = at if isinstance(names, str) else (*at, index)
        if name in listed[:index]:
            report(where, f"{name!r} is searched twice in one item", code="duplicate")
            refused = True
        elif name == DISABLED_ATTRIBUTE.name:
            found.append((name, DISABLED_ATTRIBUTE))
        elif declared is None:
            found.append((name, None))
        elif name not in declared:
            hint = did_you_mean(name, [*declared, DISABLED_ATTRIBUTE.name], listing=f"the arguments of {label} are")
            report(where, f"{name!r} is not an argument of {label}", hint, code="unknown-argument")
            refused = True
        elif declared[name].is_policy:
            report(where, f"{name!r} holds a policy entry, which a search cannot set", code="not-searchable")
            refused = True
        else:
            found.append((name, declared[name]))
    return None if refused else found


def _check_range(targets: object, at: tuple, kind: str, arguments: list[tuple[str, Argument | None]], args_at: tuple, report: Report) -> None:
    """``targets`` of a float or int search: ``[min, max]``, each end taken by every argument."""
    integer = kind == "int"
    number = "integers" if integer else "numbers"
    if not isinstance(targets, list) or len(targets) != 2 or not all(_is_number(value, integer) for value in targets):
        report(at, f"the targets of a{'n' if integer else ''} {kind} search are [min, max], two {number}; got {show_value(targets)}", code="wrong-type")
        return
    low, high = targets
    if low > high:
        report(at, f"min must be <= max, got {show_value(targets)}", code="out-of-order")
        return
    for name, argument in arguments:
        if argument is None:
            continue
        if argument.many or argument.choices or argument.kind not in (float, int) or (argument.kind is int and not integer):
            hint = "an int search gives integers, an enum search lists the values" if argument.kind is int else "list its values in an enum search"
            report(args_at, f"a{'n' if integer else ''} {kind} search gives {number}, but {name!r} takes {argument.expects()}", hint, code="wrong-type")
            continue
        if argument.fraction and not integer and not (0 < low and high < 1):
            report(at, f"a float search over {name!r} must lie within (0, 1), a fraction of the run, got {show_value(targets)}", code="out-of-range")
            continue
        for index, value in enumerate(targets):
            _check_value(argument, value, (*at, index), name, report)


def _check_choices(targets: object, at: tuple, arguments: list[tuple[str, Argument | None]], report: Report) -> None:
    """``targets`` of an enum search: choices, each a list with a value for every argument."""
    if not isinstance(targets, list) or not targets:
        report(at, f"the targets of an enum search are a non-empty list of choices, got {a_json_type(targets)}", code="wrong-type")
        return
    for index, choice in enumerate(targets):
        where = (*at, index)
        if not isinstance(choice, list) or len(choice) != len(arguments):
            report(where, f"each choice is a list of {len(arguments)} value(s), one per arg ({', '.join(name for name, _ in arguments)}), got {show_value(choice)}", code="wrong-type")
            continue
        for (name, argument), value, position in zip(arguments, choice, range(len(choice))):
            if argument is not None:
                _check_value(argument, value, (*where, position), name, report)


def _check_value(argument: Argument, value: object, at: tuple, name: str, report: Report) -> None:
    try:
        argument.check(value)
    except ArgumentError as error:
        report(at, f"{name}: {error.reason}", error.hint, code=error.code)


def _is_number(value: object, integer: bool) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return isinstance(value, int) or not integer
