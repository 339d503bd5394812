"""MONAI bundle ids and references, read without running anything.

An id names a place in the bundle: keys (and list indices) joined by ``::`` or by the older
``#`` (``train#handlers#0``). A string that is exactly ``@id`` is a reference to that place's
value; ``%id`` is a macro, a copy of it, and ``%file.json#id`` copies from another file, which
lrpol does not read. A string that starts with ``$`` is a Python expression, which lrpol never
evaluates. ``overrides`` (``--var`` / ``variables=``) replace an id's value, as MONAI's
``--epochs 3`` on its command line does.

>>> find_id({"train": {"handlers": [{"x": 1}]}}, "train#handlers#0", {})
(('train', 'handlers', 0), {'x': 1})
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .errors import Invalid, did_you_mean

REFERENCE = "@"
MACRO = "%"
EXPRESSION = "$"
SEPARATOR = "::"
OLD_SEPARATOR = "#"

# MONAI's own id pattern: word characters, joined by the separator.
_WHOLE_ID = re.compile(r"\w*(?:(?:::|#)\w*)*\Z")
#: The file part of a macro that copies from another file: ``%configs/common.yaml#network``.
_FILE_MACRO = re.compile(r"[^#:]*\.(?:json|ya?ml)(?:#|::)")


def reference_id(text: object) -> str | None:
    """The id of a whole ``@id`` reference, else None (``"@a b"`` is plain text to MONAI). The
    expression ``"$@id"`` is that reference too: as Python it is the referred object itself,
    so nothing needs to run to know its value."""
    if isinstance(text, str) and text.startswith(EXPRESSION + REFERENCE):
        text = text[len(EXPRESSION):]
    if isinstance(text, str) and text.startswith(REFERENCE) and _WHOLE_ID.match(text, 1):
        return text[1:]
    return None


def is_expression(value: object) -> bool:
    return isinstance(value, str) and value.startswith(EXPRESSION) and reference_id(value) is None


def macro_id(text: object) -> str | None:
    """The id a ``%id`` macro copies, else None; a macro from another file raises :class:`Invalid`."""
    if not isinstance(text, str) or not text.startswith(MACRO):
        return None
    if _FILE_MACRO.match(text, 1):
        raise Invalid(
            f"{text!r} copies a value from another file, which lrpol does not read",
            "write the value here, or a reference (@id) to a value in this file", code="not-supported",
        )
    return text[1:] if _WHOLE_ID.match(text, 1) else None


def normalized(id_: str) -> str:
    return id_.replace(OLD_SEPARATOR, SEPARATOR)


def find_id(data: object, id_: str, overrides: Mapping[str, object]) -> tuple[tuple, object]:
    """The path of ``id_`` in ``data`` and the value there (an override's, when one names the
    id); raises :class:`Invalid` with the closest id when nothing is there."""
    wanted = normalized(id_)
    for name, value in overrides.items():
        if normalized(name) == wanted:
            return tuple(wanted.split(SEPARATOR)), value
    path: list = []
    node = data
    for part in wanted.split(SEPARATOR):
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and part.isascii() and part.isdigit() and int(part) < len(node):
            path.append(int(part))
            node = node[int(part)]
        else:
            raise Invalid(f"no id {id_!r} in this bundle", _closest(path, node, part), code="unknown-reference")
    return tuple(path), node


#: Beside no close match, the ids there are listed when there are at most this many.
_LISTED_IDS = 12


def _closest(path: list, node: object, part: str) -> str:
    """"did you mean" over the ids beside the one that was not found."""
    prefix = "".join(f"{key}{OLD_SEPARATOR}" for key in path)
    if isinstance(node, dict):
        ids = [prefix + key for key in node if isinstance(key, str)]
        hint = did_you_mean(prefix + part, ids, listing="ids here")
        return hint if hint.startswith("did you mean") or len(ids) <= _LISTED_IDS else ""
    if isinstance(node, list):
        return f"{prefix.rstrip(OLD_SEPARATOR)} is a list of {len(node)} item(s), indexed from 0"
    return f"{prefix.rstrip(OLD_SEPARATOR) or 'the bundle'} holds no ids below it"


#: References may lead to references this many levels deep (as variables may).
MAX_CHAIN = 32


def _follow(seen: list[str], id_: str) -> None:
    """Add ``id_`` to the chain of references ``seen``; a circle, or a chain too deep, is refused."""
    if normalized(id_) in seen:
        raise Invalid(f"references go round in a circle: {' -> '.join('@' + step for step in (*seen, normalized(id_)))}", "one of them must hold a value", code="reference-cycle")
    if len(seen) >= MAX_CHAIN:
        raise Invalid(f"references lead to references more than {MAX_CHAIN} levels deep", code="too-deep")
    seen.append(normalized(id_))


def resolve_place(data: object, value: object, overrides: Mapping[str, object]) -> tuple[tuple | None, object]:
    """Where a chain of whole references from ``value`` ends (None when ``value`` is no
    reference) and what is there; raises :class:`Invalid` as :func:`resolve_value` does."""
    place = None
    seen: list[str] = []
    while True:
        id_ = reference_id(value)
        if id_ is None:
            return place, value
        _follow(seen, id_)
        place, value = find_id(data, id_, overrides)


def resolve_value(data: object, value: object, overrides: Mapping[str, object]) -> tuple[object, str]:
    """``value`` with whole references (``@id``, ``%id``) followed to what they lead to, and the
    first reference ("" when ``value`` is none); raises :class:`Invalid` for a missing id, a
    circle, or a ``$`` expression, whose value only running code would give."""
    first = ""
    seen: list[str] = []
    while True:
        if is_expression(value):
            raise Invalid(f"{value!r} is a Python expression, so the value cannot be checked without running code", "lrpol never runs a bundle's code: write the value itself, or a reference (@id) to one", code="needs-code")
        id_ = reference_id(value) or macro_id(value)
        if id_ is None:
            return value, first
        first = first or str(value)
        _follow(seen, id_)
        _, value = find_id(data, id_, overrides)
