"""A parsed config file: plain data, plus where each value and key stands in the text.

JSON and YAML are read by their own modules (``json_source``, ``yaml_source``)
into the same :class:`Document`, so everything downstream is format-blind;
``reading`` picks the parser for a file, so neither parser imports the other.
Positions are found only when a problem needs one: the C parsers read the
data, and each format's locator walks back to a path on demand, so a large
valid file costs no more than parsing it.
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from .errors import ConfigError, Mark, Path, Problem

#: Config files larger than this are refused before parsing (a train config is a few KiB).
MAX_FILE_BYTES = 4 * 1024 * 1024
#: Containers nested deeper than this are refused (a train config nests about six levels).
MAX_DEPTH = 64
#: Problems listed for one file; past it they are only counted (a file with 100,000 repeated keys
#: gets a summary, not 100,000 lines).
MAX_LISTED_PROBLEMS = 100
#: Values a mapping built in code may hold, counted as a tree (a train config holds hundreds),
#: as many as a YAML document may.
MAX_MAPPING_VALUES = 200_000

_LINE_BREAK = re.compile(r"\r\n?|\n")

#: ``locate(path)`` -> (where its key starts or None, where its value starts), or None when
#: nothing is at ``path``.
Locate = Callable[[Path], "tuple[Mark | None, Mark] | None"]


class Budget:
    """What a document may add to itself beyond what its text spells out, shared by YAML
    aliases and merge keys and by ``{VAR}`` substitution, and checked while they expand, so
    a small hostile file cannot grow into gigabytes.

    ``spend(values, characters)`` raises :class:`Exhausted` once either total passes its limit.
    """

    #: Values repeated through aliases and merge keys.
    MAX_VALUES = 100_000
    #: Characters of text made by substituting variables into strings.
    MAX_CHARACTERS = MAX_FILE_BYTES

    def __init__(self) -> None:
        self.values = 0
        self.characters = 0

    def spend(self, values: int = 0, characters: int = 0) -> None:
        self.values += values
        self.characters += characters
        if self.values > self.MAX_VALUES:
            raise Exhausted(f"aliases and merge keys repeat more than {self.MAX_VALUES:,} values")
        if self.characters > self.MAX_CHARACTERS:
            raise Exhausted(f"substituting variables makes more than {self.MAX_CHARACTERS:,} characters of text")


class Exhausted(ValueError):
    """The :class:`Budget` of a document ran out; the message says on what."""


@dataclass
class Document:
    """Data read from one source, with a way back to the text.

    ``problems`` holds what was wrong but did not stop parsing (duplicate keys, NaN in
    JSON, tags in YAML), up to ``MAX_LISTED_PROBLEMS``; ``unlisted`` counts the rest. ``locate`` is None for data built in code, which has no text.
    """

    file: str | None
    data: object
    problems: list[Problem] = field(default_factory=list)
    locate: Locate | None = None
    budget: Budget = field(default_factory=Budget)
    unlisted: int = 0  # problems found past MAX_LISTED_PROBLEMS, counted only
    places: set[Path] = field(default_factory=set)  # the paths problems were reported at
    problem_paths: list[Path] = field(default_factory=list)  # the path of each of ``problems``, in order

    @property
    def listing_full(self) -> bool:
        """True once ``MAX_LISTED_PROBLEMS`` are listed: a reader counts further ones in ``unlisted``."""
        return len(self.problems) >= MAX_LISTED_PROBLEMS

    def report(self, path: Path, mark: Mark | None, message: str, hint: str = "", code: str = "invalid") -> None:
        """Record a problem found while reading, at ``mark``, which need not be where ``path``
        starts (a key's, say). Past ``MAX_LISTED_PROBLEMS`` it is only counted."""
        self.places.add(path)
        if self.listing_full:
            self.unlisted += 1
            return
        self.problems.append(Problem.at(self.file, mark, path, message, hint, code=code))
        self.problem_paths.append(path)

    def mark(self, path: Path, *, key: bool = False) -> Mark | None:
        """Where the value at ``path`` starts (where its key starts, with ``key=True``).

        For a path that is not in the document (a missing argument), the key of its
        nearest existing ancestor: the ``args:`` line that lacks the argument.
        """
        if self.locate is None:
            return None
        found = self.locate(path)
        if found is not None:
            key_mark, value_mark = found
            return key_mark if key and key_mark is not None else value_mark
        while found is None and path:
            path = path[:-1]
            found = self.locate(path)
        if found is None:
            return None
        key_mark, value_mark = found
        return key_mark or value_mark

    def problem(self, path: Path, message: str, hint: str = "", *, code: str = "invalid", key: bool = False) -> Problem:
        """A :class:`Problem` located at ``path`` in this document."""
        return Problem.at(self.file, self.mark(path, key=key), path, message, hint, code=code)


def from_mapping(data: object) -> Document:
    """Wrap data built in code; its problems carry a JSON path but no line.

    The same limits as for files hold: nesting deeper than ``MAX_DEPTH`` and a container
    that contains itself are refused with a :class:`ConfigError`.
    """
    _check_shape(data)
    return Document(file=None, data=data)


def _check_shape(data: object) -> None:
    """Refuse data nested deeper than ``MAX_DEPTH``, holding itself, or larger than
    ``MAX_MAPPING_VALUES`` counted as a tree: walked depth first without recursion, with the
    containers on the current path in a set, so the walk costs one step per value."""
    if not isinstance(data, (dict, list, tuple)):
        return
    path: list = []
    on_path = {id(data)}
    walking: list[tuple[object, Iterator]] = [(data, _items(data))]
    count = 1
    while walking:
        for key, value in walking[-1][1]:
            count += 1
            if count > MAX_MAPPING_VALUES:
                raise _shape_error((), f"the mapping holds more than {MAX_MAPPING_VALUES:,} values (a shared container counts each time it appears)", "too-large")
            if not isinstance(value, (dict, list, tuple)):
                continue
            path.append(key)
            if id(value) in on_path:
                raise _shape_error(tuple(path), "the mapping contains itself (a cycle)", "cycle")
            if len(path) >= MAX_DEPTH:
                raise _shape_error(tuple(path), f"nesting deeper than {MAX_DEPTH} levels", "too-deep")
            on_path.add(id(value))
            walking.append((value, _items(value)))
            break
        else:
            container, _ = walking.pop()
            on_path.discard(id(container))
            if path:
                path.pop()


def _items(container: object) -> Iterator:
    return iter(container.items()) if isinstance(container, dict) else enumerate(container)  # type: ignore[arg-type]


def _shape_error(path: Path, message: str, code: str) -> ConfigError:
    return ConfigError([Problem.at(None, None, path, message, code=code)])


def text_mark(text: str, index: int) -> Mark:
    """The 1-based (line, column) of ``text[index]``; lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r``.

    Columns count characters. Counting runs in C over the text before ``index``.

    >>> text_mark("a\\r\\nbc\\rd", 6)
    (3, 1)
    """
    line = text.count("\n", 0, index) + text.count("\r", 0, index) - text.count("\r\n", 0, index) + 1
    start = max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1
    return (line, index - start + 1)


class LineIndex:
    """:func:`text_mark` for many indices of one text: the first few are counted, then a table
    of line starts is built once, so a file with thousands of problems stays linear."""

    _COUNTED = 32

    def __init__(self, text: str):
        self.text = text
        self.calls = 0
        self.starts: list[int] | None = None

    def mark(self, index: int) -> Mark:
        if self.starts is None:
            self.calls += 1
            if self.calls <= self._COUNTED:
                return text_mark(self.text, index)
            self.starts = [0, *(match.end() for match in _LINE_BREAK.finditer(self.text))]
        line = bisect_right(self.starts, index)
        return (line, index - self.starts[line - 1] + 1)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the garbage collector while a parser builds a large graph of objects, none of them
    garbage: each of its full passes would walk the whole graph again (quadratic in effect)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def fatal(file: str | None, mark: Mark | None, message: str, hint: str = "", *, code: str = "syntax") -> ConfigError:
    """The error for a file that cannot be parsed at all: one problem, at ``mark``."""
    return ConfigError([Problem.at(file, mark, (), message, hint, code=code)])
