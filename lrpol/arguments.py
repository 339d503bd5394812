"""Policy arguments: declared once, checked everywhere.

A policy is a dataclass whose fields are declared with :func:`arg`. That one
declaration drives the constructor's checks, ``validate``'s messages, the JSON
Schema and ``lrpol describe``, so they cannot disagree.
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
import typing
from dataclasses import MISSING, dataclass

from .errors import Invalid, a_json_type, did_you_mean


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: The ``default`` of an argument that has none.
REQUIRED = _Required()

_KIND_NAMES = {float: "a number", int: "an integer", str: "a string", bool: "a boolean"}


class ArgumentError(Invalid):
    """An argument value that a policy refuses; ``str()`` names the argument."""

    def __init__(self, argument: str, reason: str, hint: str = "", *, code: str = "invalid"):
        super().__init__(reason, hint, code=code)
        self.argument = argument
        self.args = (f"{argument}: {self.args[0]}",)


@dataclass(frozen=True)
class Argument:
    """One declared argument: its type, default and allowed range.

    ``kind`` is float, int, str or bool. Bounds: ``gt``/``ge`` below, ``lt``/``le``
    above. ``choices`` restricts a string to a fixed set.
    """

    name: str
    kind: type
    doc: str
    default: object = REQUIRED
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    choices: tuple[str, ...] | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def describe_range(self) -> str:
        """The allowed values in words: ``> 0 and <= 1``, ``'min' or 'max'``, or ``''``."""
        if self.choices:
            return " or ".join(repr(c) for c in self.choices)
        bounds = [(">", self.gt), (">=", self.ge), ("<", self.lt), ("<=", self.le)]
        return " and ".join(f"{op} {_number(limit)}" for op, limit in bounds if limit is not None)

    def expects(self) -> str:
        """What a valid value is, in words: ``a number > 0 and <= 1``."""
        if self.choices:
            return self.describe_range()
        limits = self.describe_range()
        return f"{_KIND_NAMES[self.kind]} {limits}" if limits else _KIND_NAMES[self.kind]

    def check(self, value: object) -> object:
        """Return ``value`` converted to this argument's kind, or raise :class:`ArgumentError`.

        Integers are accepted for numbers; whole floats such as ``2.0`` are accepted for
        integers (JSON Schema counts them as integers too); booleans are never numbers.

        >>> Argument("decay_freq", int, "").check(2.0)
        2
        >>> Argument("decay_ratio", float, "", gt=0, le=1).check(1.5)
        Traceback (most recent call last):
        ...
        lrpol.arguments.ArgumentError: decay_ratio: must be > 0 and <= 1, got 1.5
        """
        value = self._convert(value)
        if self.choices is not None and value not in self.choices:
            raise ArgumentError(self.name, f"must be {self.describe_range()}, got {_show(value)}", did_you_mean(value, self.choices), code="invalid-choice")
        if self.kind in (int, float) and not self._in_range(value):
            raise ArgumentError(self.name, f"must be {self.describe_range()}, got {_number(value)}", code="out-of-range")
        return value

    def _convert(self, value: object) -> object:
        kind = self.kind
        if kind is float and _is_number(value):
            try:
                value = float(value)
            except OverflowError:  # an int beyond float's range
                value = math.inf if value > 0 else -math.inf
            if not math.isfinite(value):
                raise ArgumentError(self.name, f"must be a finite number, got {value}", code="non-finite")
            return value
        if kind is int and _is_number(value):
            if isinstance(value, numbers.Integral):
                return int(value)
            if math.isfinite(value) and float(value).is_integer():
                return int(value)
            raise ArgumentError(self.name, f"expected an integer, got {_number(value)}", code="wrong-type")
        if kind in (str, bool) and isinstance(value, kind):
            return value
        found = "null" if value is None else f"{a_json_type(value)} ({_show(value)})"
        raise ArgumentError(self.name, f"expected {_KIND_NAMES[kind]}, got {found}", code="wrong-type")

    def _in_range(self, value: float) -> bool:
        return not (
            (self.gt is not None and not value > self.gt)
            or (self.ge is not None and not value >= self.ge)
            or (self.lt is not None and not value < self.lt)
            or (self.le is not None and not value <= self.le)
        )


def arg(*, doc: str, default: object = MISSING, gt=None, ge=None, lt=None, le=None, choices=None) -> typing.Any:
    """Declare a policy argument as a dataclass field (type from the annotation)."""
    spec = {"doc": doc, "gt": gt, "ge": ge, "lt": lt, "le": le, "choices": tuple(choices) if choices else None}
    return dataclasses.field(default=default, metadata={"lrpol": spec})


_cache: dict[type, tuple[Argument, ...]] = {}


def arguments_of(cls: type) -> tuple[Argument, ...]:
    """The declared arguments of a policy class, in declaration order (cached)."""
    try:
        return _cache[cls]
    except KeyError:
        pass
    result: tuple[Argument, ...] = ()
    if dataclasses.is_dataclass(cls):
        hints = typing.get_type_hints(cls)
        result = tuple(
            Argument(
                name=f.name,
                kind=_kind(cls, f.name, hints[f.name]),
                default=REQUIRED if f.default is MISSING else f.default,
                **f.metadata["lrpol"],
            )
            for f in dataclasses.fields(cls)
            if "lrpol" in f.metadata
        )
    _cache[cls] = result
    return result


def check_fields(policy: object) -> None:
    """Check and convert every declared argument of a freshly built policy, in place."""
    for argument in arguments_of(type(policy)):
        value = argument.check(getattr(policy, argument.name))
        object.__setattr__(policy, argument.name, value)  # policies are frozen dataclasses


def _kind(cls: type, name: str, hint: object) -> type:
    if hint in _KIND_NAMES:
        return hint  # type: ignore[return-value]
    raise TypeError(f"{cls.__name__}.{name}: arguments must be annotated float, int, str or bool, not {hint!r}")


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _number(value: float) -> str:
    """Numbers as a config would spell them: 1 not 1.0, 0.5, 1e-08."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def _show(value: object) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
