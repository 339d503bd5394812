"""``{VAR}`` substitution, as Clara's MMAR configs do it, but strict.

Variables come from the config's own top-level scalar values (``"epochs": 100``)
and from the caller (``variables=`` / ``--var``), which win. A string that is
exactly ``"{VAR}"`` becomes the variable's value with its type; inside a longer
string a reference becomes the value itself when it is a string, and its JSON
spelling otherwise (``true``, ``null``, ``0.001``). A variable's own value may
refer to other variables. An undefined variable is an error (Clara silently gave
None). Only an entry's ``args`` and ``disabled`` are substituted: ``name`` and
``path`` must be written out, so a schema and a reader can see which policy it is.

>>> Variables({"lr": 0.001, "name": "run{n}", "n": 3}).substitute("{lr}")
0.001
>>> Variables({"lr": 0.001, "name": "run{n}", "n": 3}).substitute("{name}_lr{lr}")
'run3_lr0.001'
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from itertools import islice
from typing import Protocol, TypeVar, overload

from .document import Budget, Exhausted
from .errors import Invalid, did_you_mean

_REFERENCE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: A string that is one whole reference, such as ``"{EPOCHS}"`` (also the schema's pattern).
# (?!.*\n): Python's $, unlike ECMA's, also matches before a final newline.
WHOLE_REFERENCE_PATTERN = r"^(?!.*\n)\{[A-Za-z_][A-Za-z0-9_]*\}$"
_SCALARS = (str, int, float, bool, type(None))
#: Limits that keep a hostile config from expanding without bound ("{a}{a}" doubling per level).
MAX_EXPANDED_LENGTH = 65_536
MAX_CHAIN = 32
#: Items of a list searched for the variables a problem with it names (a problem's value is small).
MAX_TRACED_VALUES = 10_000

#: Variables a problem's message names where they were written, at most (then "and N more").
MAX_NAMED_ORIGINS = 3


class Origins(Protocol):
    """The variables whose values were written outside the config (an environment file's,
    :class:`lrpol.environment.Environment`), and where each was written."""

    def __contains__(self, name: object) -> bool: ...

    def place(self, name: str) -> str:
        """``"config/environment.json:7:17"``: where the value of ``name`` starts."""
        ...


class VariableError(Invalid):
    def __init__(self, reason: str, hint: str = "", *, code: str = "undefined-variable"):
        super().__init__(reason, hint, code=code)


def config_variables(root: object) -> dict:
    """The top-level scalar values of a train config, which ``{VAR}`` may name."""
    if not isinstance(root, dict):
        return {}
    return {key: value for key, value in root.items() if isinstance(key, str) and isinstance(value, _SCALARS)}


def check_definitions(variables: object) -> dict:
    """``variables`` as given by a caller: a mapping of names to JSON scalars (else TypeError)."""
    if variables is None:
        return {}
    if not isinstance(variables, Mapping):
        raise TypeError(f"variables must be a mapping, not {type(variables).__name__}")
    for name, value in variables.items():
        if not isinstance(name, str) or not isinstance(value, _SCALARS):
            raise TypeError(f"variables must map names to strings, numbers, booleans or None; got {name!r}: {value!r}")
    return dict(variables)


class Variables:
    """Resolves ``{VAR}`` references against a fixed set of definitions.

    Every string made by substituting is measured piece by piece before it is joined, and
    spends the document's :class:`~lrpol.document.Budget`, so no config can make lrpol build
    more text than it is allowed to.
    """

    def __init__(self, definitions: dict, budget: Budget | None = None, origins: Origins | None = None):
        self._definitions = dict(definitions)
        self._origins = origins
        self._resolved: dict[str, object] = {}
        self._budget = budget or Budget()
        self.refusal: VariableError | None = None  # once the budget is spent, why every further string is refused

    def substitute(self, text: str, _chain: tuple = ()) -> object:
        """``text`` with its references replaced (typed when it is one whole reference)."""
        whole = _REFERENCE.fullmatch(text)
        if whole:
            return self._value(whole.group(1), _chain)
        if self.refusal is not None:  # once the budget is spent, no string with a reference is expanded
            if _REFERENCE.search(text):
                raise VariableError(self.refusal.reason, code="too-large")
            return text
        pieces, length, start = [], 0, 0
        for match in _REFERENCE.finditer(text):
            spelled = _spell(match.group(1), self._value(match.group(1), _chain))
            pieces += [text[start : match.start()], spelled]
            length += match.start() - start + len(spelled)
            start = match.end()
            if length > MAX_EXPANDED_LENGTH:
                raise VariableError(f"substituting variables makes a string of more than {MAX_EXPANDED_LENGTH:,} characters", code="too-large")
        if not pieces:
            return text
        pieces.append(text[start:])
        try:
            self._budget.spend(characters=length + len(text) - start)
        except Exhausted as exhausted:
            self.refusal = VariableError(str(exhausted), code="too-large")
            raise VariableError(self.refusal.reason, code="too-large") from None
        return "".join(pieces)

    @property
    def traced(self) -> bool:
        """Whether some variables came from outside the config, so problems name where."""
        return self._origins is not None

    def provenance(self, value: object, names: Iterable[str] = ()) -> str:
        """Where the variables ``value`` refers to (directly, or through other variables) and
        ``names`` were given, when that was outside the config: ``" (POLY_POWER from
        config/environment.json:7:17)"``, to end a problem's message; ``""`` otherwise. At most
        :data:`MAX_NAMED_ORIGINS` are named, then how many more.

        >>> from lrpol.document import from_mapping
        >>> from lrpol.environment import Environment
        >>> written = Environment(from_mapping({"POWER": -1}), {"POWER": -1})  # a file's would name its line
        >>> Variables({"POWER": -1, "P": "{POWER}"}, origins=written).provenance("{P}")
        ' (POWER from <environment>)'
        """
        origins = self._origins
        if origins is None:
            return ""
        seen = dict.fromkeys([*names, *_references(value)])  # in order of appearance, each once
        pending = list(seen)
        while pending:  # the variables their values name in turn, each looked at once
            defined = self._definitions.get(pending.pop())
            if isinstance(defined, str):
                for name in _REFERENCE.findall(defined):
                    if name not in seen:
                        seen[name] = None
                        pending.append(name)
        outside = [name for name in seen if name in origins]
        listed = [f"{name} from {origins.place(name)}" for name in outside[:MAX_NAMED_ORIGINS]]  # a place is found only when named
        more = len(outside) - len(listed)
        return f" ({', '.join(listed)}{f' and {more} more' if more else ''})" if listed else ""

    def _value(self, name: str, chain: tuple) -> object:
        if name in self._resolved:
            return self._resolved[name]
        if name in chain:
            raise VariableError(f"variable {name!r} refers to itself ({' -> '.join((*chain, name))})")
        if len(chain) >= MAX_CHAIN:
            raise VariableError(f"variables refer to variables more than {MAX_CHAIN} levels deep ({chain[0]} -> {chain[1]} -> ...)")
        if name not in self._definitions:
            hint = did_you_mean(name, list(self._definitions), listing="defined variables") if self._definitions else "no variables are defined"
            raise VariableError(f"undefined variable {name!r}", hint)
        value = self._definitions[name]
        if isinstance(value, str) and "{" in value:
            value = self.substitute(value, (*chain, name))
        self._resolved[name] = value
        return value


_K = TypeVar("_K")


@overload
def substitute_tree(value: dict[_K, object], path: tuple, variables: Variables, on_error: Callable[[tuple, VariableError], None]) -> dict[_K, object]: ...
@overload
def substitute_tree(value: object, path: tuple, variables: Variables, on_error: Callable[[tuple, VariableError], None]) -> object: ...
def substitute_tree(value: object, path: tuple, variables: Variables, on_error: Callable[[tuple, VariableError], None]) -> object:
    """A copy of ``value`` with every string's references substituted (keys are left alone).

    Each failure is passed to ``on_error(path, error)`` and leaves that string as it was.
    """
    if isinstance(value, str):
        if "{" not in value:
            return value
        refusal = variables.refusal  # once the budget is spent, refused without trying
        if refusal is not None and _REFERENCE.search(value):
            on_error(path, refusal)
            return value
        try:
            return variables.substitute(value)
        except VariableError as error:
            on_error(path, error)
            return value
    if isinstance(value, dict):
        return {key: substitute_tree(item, (*path, key), variables, on_error) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute_tree(item, (*path, index), variables, on_error) for index, item in enumerate(value)]
    return value


def _references(value: object) -> list[str]:
    """The variables a value names: a string's, or those of the strings in a list (its first
    :data:`MAX_TRACED_VALUES` items). An object's are not its own: a problem with an object
    (an entry without a name) is not about the values inside it."""
    strings = [value] if isinstance(value, str) else islice(value, MAX_TRACED_VALUES) if isinstance(value, list) else ()
    return list(dict.fromkeys(name for text in strings if isinstance(text, str) for name in _REFERENCE.findall(text)))


def _spell(name: str, value: object) -> str:
    """A variable's value as it goes into a longer string: itself, or its JSON spelling."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value)
    except ValueError:  # an integer longer than str() writes
        raise VariableError(f"variable {name!r} is an integer too long to write into a string", code="too-large") from None
