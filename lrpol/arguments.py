"""Policy arguments: declared once, checked everywhere.

A policy is a dataclass whose fields are declared with :func:`arg`. That one
declaration drives the constructor's checks, ``validate``'s messages, the JSON
Schema and ``lrpol describe``, so they cannot disagree.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import numbers
import operator
import types
import typing
from collections.abc import Iterable
from dataclasses import MISSING, dataclass
from typing import TypedDict, TypeGuard

from .errors import JSON_TYPES, Invalid, did_you_mean, found_value, show_value, with_article


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: The ``default`` of an argument that has none.
REQUIRED = _Required()

#: The kinds of an argument that holds a value; any other kind is a nested policy.
VALUE_KINDS = (float, int, str, bool)

#: The largest integer argument (and the smallest, negated). Policies compute with their
#: integers as floats, and every integer up to 2**53 is exact as one; beyond ~1.8e308 an
#: integer is no float at all, so a value that validated would crash the hook.
MAX_INTEGER = 2**53


class Component:
    """What a config writes as a nested entry (``{"name": ..., "args": ...}``), not as a value.

    An argument annotated with a subclass (:class:`lrpol.LRPolicy` is one) holds a nested
    policy. The marker lives here, below the policies, so that arguments need not import them.
    """

    __slots__ = ()


class ArgumentError(Invalid):
    """An argument value that a policy refuses; ``str()`` names the argument (and the list item)."""

    def __init__(self, argument: str, reason: str, hint: str = "", *, code: str = "invalid", index: int | None = None):
        super().__init__(reason, hint, code=code)
        self.argument = argument
        self.index = index
        where = argument if index is None else f"{argument}[{index}]"
        self.args = (f"{where}: {self.args[0]}",)

    @property
    def path(self) -> tuple:
        """Where, below the arguments object, the refused value is."""
        return (self.argument,) if self.index is None else (self.argument, self.index)


@dataclass(frozen=True)
class Argument:
    """One declared argument: its type, default and allowed range.

    ``kind`` is float, int, str, bool, or a policy (an :class:`LRPolicy`, written in a
    config as a nested component entry). ``many`` makes it a list of such values,
    ``nullable`` lets it be None. Bounds: ``gt``/``ge`` below, ``lt``/``le`` above, for
    each number. ``choices`` restricts a string to a fixed set. For a list, ``min_items``
    and ``increasing`` (strictly) constrain the list as a whole. ``fraction`` makes a length
    (annotated float) either a count, an integer within the bounds, or a number in (0, 1):
    that fraction of the run's length (see :func:`lrpol.clock.span`).
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
    many: bool = False
    nullable: bool = False
    min_items: int = 0
    increasing: bool = False
    fraction: bool = False

    @property
    def is_policy(self) -> bool:
        """True for a nested policy (or a list of them)."""
        return self.kind not in VALUE_KINDS

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
        """What a valid value is, in words: ``a number > 0 and <= 1``, ``a list of ...``."""
        if self.choices:
            item = self.describe_range()
        elif self.fraction:
            limits = self.describe_range()
            item = f"an integer {limits}".rstrip() + ", or a number > 0 and < 1 (that fraction of the run)"
        else:
            limits = self.describe_range()
            item = f"{self._kind_name()} {limits}" if limits else self._kind_name()
        if self.many:
            item = f"a list of {_plural(item)}" + (", strictly increasing" if self.increasing else "")
            if self.min_items:
                item += f", at least {self.min_items}"
        return f"{item}, or null" if self.nullable else item

    def check(self, value: object) -> object:
        """Return ``value`` converted to this argument's kind, or raise :class:`ArgumentError`.

        Integers are accepted for numbers; whole floats such as ``2.0`` are accepted for
        integers (JSON Schema counts them as integers too); booleans are never numbers.
        Integers must lie within +-2**53 (:data:`MAX_INTEGER`), and ``-0.0`` becomes ``0.0``.
        A list comes back as a tuple.

        >>> Argument("decay_freq", int, "").check(2.0)
        2
        >>> Argument("decay_ratio", float, "", gt=0, le=1).check(1.5)
        Traceback (most recent call last):
        ...
        lrpol.arguments.ArgumentError: decay_ratio: must be > 0 and <= 1, got 1.5
        >>> Argument("decay_freq", int, "", ge=1).check(2**53 + 1)
        Traceback (most recent call last):
        ...
        lrpol.arguments.ArgumentError: decay_freq: must be <= 9007199254740992 (2**53: integers beyond it are not exact as floats), got 9007199254740993
        >>> Argument("milestones", int, "", ge=1, many=True, increasing=True).check([10, 5])
        Traceback (most recent call last):
        ...
        lrpol.arguments.ArgumentError: milestones: must be strictly increasing, got [10, 5]
        """
        if value is None and self.nullable:
            return None
        if not self.many:
            return self.check_item(value)
        if not isinstance(value, (list, tuple)):
            raise ArgumentError(self.name, f"expected {self.expects()}, got {found_value(value)}", code="wrong-type")
        items = self._plain_numbers(value)
        if items is None:  # anything to convert or to refuse: item by item, naming the first bad one
            items = tuple(self.check_item(item, index) for index, item in enumerate(value))
        if len(items) < self.min_items:
            raise ArgumentError(self.name, f"needs at least {self.min_items} item(s), got {len(items)}", code="too-few")
        if self.increasing and not all(map(operator.lt, items, items[1:])):
            raise ArgumentError(self.name, f"must be strictly increasing, got {show_value(list(items))}", code="not-increasing")
        return items

    def _plain_numbers(self, values: list | tuple) -> tuple | None:
        """``values`` as a tuple when they are plain ints (for int) or ints and floats (for float)
        that all pass: checked in C, by their types, extremes and finiteness, so that a list of
        100,000 milestones costs milliseconds. None when any item needs a closer look."""
        if self.choices is not None or self.kind not in (int, float) or self.fraction:
            return None
        kinds = set(map(type, values))
        if not kinds or not kinds <= ({int} if self.kind is int else {int, float}):
            return None
        items = tuple(values)
        if self.kind is float:
            try:
                items = tuple(map(float, items))
            except OverflowError:  # an int beyond float's range
                return None
            if not all(map(math.isfinite, items)):
                return None
            items = tuple(map(operator.add, items, itertools.repeat(0.0)))  # -0.0 becomes 0.0
        low, high = min(items), max(items)
        if not (self._in_range(low) and self._in_range(high)):
            return None
        if self.kind is int and not -MAX_INTEGER <= low <= high <= MAX_INTEGER:
            return None
        return items

    def check_item(self, value: object, index: int | None = None) -> object:
        """One value (one list item, for a list) converted and checked."""
        # A fraction of the run (the bounds are those of a count): any number in (0, 1) that is not
        # an integer type, as a float argument takes one (numpy's float32 too).
        if self.fraction and _is_number(value) and not isinstance(value, numbers.Integral) and 0 < value < 1:  # type: ignore[operator]  # the stubs give Real no <
            return float(value)
        given, value = value, self._convert(value, index)
        if self.choices is not None and value not in self.choices:
            raise ArgumentError(self.name, f"must be {self.describe_range()}, got {show_value(value)}", did_you_mean(value, self.choices), code="invalid-choice", index=index)
        # _convert gives an int or float for a number kind, so the isinstance tests only narrow.
        if self.kind in (int, float) and isinstance(value, (int, float)) and not self._in_range(value):
            if self.fraction:
                raise ArgumentError(self.name, f"must be {self.expects()}, got {_number(given)}", code="out-of-range", index=index)
            raise ArgumentError(self.name, f"must be {self.describe_range()}, got {_number(given)}", code="out-of-range", index=index)
        if isinstance(value, int) and not isinstance(value, bool) and self.kind in (int, float) and (self.kind is int or self.fraction) and not -MAX_INTEGER <= value <= MAX_INTEGER:
            bound = f"<= {MAX_INTEGER}" if value > 0 else f">= {-MAX_INTEGER}"
            raise ArgumentError(self.name, f"must be {bound} (2**53: integers beyond it are not exact as floats), got {_number(given)}", code="out-of-range", index=index)
        return value

    def _convert(self, value: object, index: int | None) -> object:
        kind = int if self.fraction else self.kind  # a fraction is taken before: the rest is a count
        if kind is float and _is_number(value):
            try:
                converted = float(value)
            except OverflowError:  # an int beyond float's range
                raise ArgumentError(self.name, f"must be a finite number, at most 1.8e308 in size, got {_number(value)}", code="non-finite", index=index) from None
            if not math.isfinite(converted):
                raise ArgumentError(self.name, f"must be a finite number, got {converted}", code="non-finite", index=index)
            # -0.0 == 0.0, yet it would come out of formulas as an LR of -0.0 (min_lr: -0.0, say).
            return 0.0 if converted == 0 else converted
        if kind is int and _is_number(value):
            if isinstance(value, numbers.Integral):
                return int(value)
            if math.isfinite(value) and float(value).is_integer():
                return int(value)  # type: ignore[call-overload]  # int() takes any Real; the stubs give Real no __int__
            expected = self.expects() if self.fraction else "an integer"
            raise ArgumentError(self.name, f"expected {expected}, got {_number(value)}", code="wrong-type", index=index)
        # True is an int to Python, but a boolean is never a number in a config.
        if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
            return value
        expected = self.expects() if self.fraction else self._kind_name()
        raise ArgumentError(self.name, f"expected {expected}, got {found_value(value)}", code="wrong-type", index=index)

    def _kind_name(self) -> str:
        return with_article(JSON_TYPES[self.kind]) if self.kind in VALUE_KINDS else "a policy"

    def _in_range(self, value: float) -> bool:
        return not (
            (self.gt is not None and not value > self.gt)
            or (self.ge is not None and not value >= self.ge)
            or (self.lt is not None and not value < self.lt)
            or (self.le is not None and not value <= self.le)
        )


# Any, as for dataclasses.field: the annotation of the field it declares gives its type.
def arg(*, doc: str, default: object = MISSING, gt: float | None = None, ge: float | None = None, lt: float | None = None, le: float | None = None, choices: Iterable[str] | None = None, min_items: int = 0, increasing: bool = False, fraction: bool = False) -> typing.Any:
    """Declare a policy argument as a dataclass field. The type comes from the annotation:
    ``float``, ``int``, ``str``, ``bool``, ``LRPolicy``, ``tuple[X, ...]`` for a list, and
    ``X | None`` for one that may be None. ``fraction=True`` (on a float) declares a length
    that is a count within the bounds or a fraction of the run (see :class:`Argument`)."""
    spec = {"doc": doc, "gt": gt, "ge": ge, "lt": lt, "le": le, "choices": tuple(choices) if choices else None, "min_items": min_items, "increasing": increasing, "fraction": fraction}
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
                default=REQUIRED if f.default is MISSING else f.default,
                **_kind(cls, f.name, hints[f.name]),
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


class _Shape(TypedDict):
    """The :class:`Argument` fields an annotation gives."""

    kind: type
    many: bool
    nullable: bool


def _kind(cls: type, name: str, hint: object) -> _Shape:
    """``kind``, ``many`` and ``nullable`` from an annotation such as ``tuple[int, ...] | None``."""
    many = nullable = False
    members = typing.get_args(hint) if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union else ()
    if members and type(None) in members:
        nullable = True
        (hint,) = [m for m in members if m is not type(None)]
    if typing.get_origin(hint) is tuple:
        item, _ = typing.get_args(hint)  # tuple[X, ...]
        many, hint = True, item
    if isinstance(hint, type) and (hint in VALUE_KINDS or issubclass(hint, Component)):
        return {"kind": hint, "many": many, "nullable": nullable}
    raise TypeError(f"{cls.__name__}.{name}: arguments must be annotated float, int, str, bool or LRPolicy (or tuples of them), not {hint!r}")


def _is_number(value: object) -> TypeGuard[numbers.Real]:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _number(value: object) -> str:
    """Numbers as a config would spell them: 1 not 1.0, 0.5, 1e-08, inf; a huge integer by its length."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    return show_value(value)


def _plural(item: str) -> str:
    """'an integer >= 1' -> 'integers >= 1'."""
    for article in ("an ", "a "):
        if item.startswith(article):
            first, _, rest = item[len(article):].partition(" ")
            plural = first[:-1] + "ies" if first.endswith("y") else first + "s"
            return f"{plural} {rest}".rstrip()
    return item
