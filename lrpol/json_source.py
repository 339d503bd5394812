"""Read JSON into a :class:`~lrpol.document.Document`; find line:column only where asked.

The stdlib's C parser reads the data, so a large file costs what ``json.loads``
costs. Positions are found afterwards, on demand: a locator walks the text to
one path, skipping every value off that path with the same C scanner. Three
things ``json.loads`` accepts are kept but reported as problems, because a config
should not rely on them: ``NaN`` and ``Infinity``, numbers too large for a float,
and duplicate keys (the last wins). When the text is not JSON, the parser's
error is turned into a message that says what is wrong, where, and how to fix it.

>>> doc = parse_json('{"lr": 0.1,\\n "steps": [10, 20]}', "a.json")
>>> doc.data
{'lr': 0.1, 'steps': [10, 20]}
>>> doc.mark(("steps", 1)), doc.mark(("steps",), key=True)
((2, 16), (2, 2))
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from json import JSONDecodeError
from json.decoder import scanstring  # type: ignore[attr-defined]  # public in the module, not in typeshed
from json.scanner import make_scanner

from .document import MAX_DEPTH, MAX_LISTED_PROBLEMS, Document, LineIndex, Mark, collector_paused, fatal, text_mark
from .errors import ConfigError, Path

#: Arrays and objects a JSON document may hold: each costs the parser about 100 bytes and the
#: checks a step, so this keeps any file to a fraction of a second; a train config holds dozens.
MAX_CONTAINERS = 200_000

_WHITESPACE = re.compile(r"[ \t\n\r]*")  # matches everywhere, if only the empty string
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A whole JSON string, or one bracket: what decides where containers open and close.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_NUMBER_CHARS = frozenset("-+.eE0123456789")
_NON_FINITE_WORDS = ("NaN", "Infinity", "-Infinity")
# Values that need no look after parsing (a float may be NaN or infinite; containers hold more).
_SCALARS = frozenset({str, int, bool, type(None)})
# What someone coming from Python or JavaScript may write instead of a JSON literal.
_LITERAL_SPELLINGS = {"true": "true", "false": "false", "null": "null", "none": "null", "nil": "null"}
_ESCAPES_HINT = 'JSON escapes are \\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX'


def parse_json(text: str, file: str | None) -> Document:
    """Parse one JSON value from ``text``; ``file`` names it in problems.

    Returns a :class:`Document` whose ``data`` equals ``json.loads(text)``, with
    1-based (line, column) marks counted in characters. Raises
    :class:`~lrpol.errors.ConfigError` (code ``syntax``, ``too-deep`` or
    ``too-large``) for text that is not JSON; never raises anything else.
    """
    # Objects whose keys repeat: their keys in order (the first MAX_LISTED_PROBLEMS objects, enough
    # to list their repeats), or how many keys repeat (the rest, only counted).
    duplicated: dict[int, list[str] | int] = {}
    kept: list[dict] = []  # those objects, alive, so that their ids stay theirs

    def object_pairs(pairs: list) -> dict:
        result = dict(pairs)
        if len(result) != len(pairs):
            listed = len(kept) < MAX_LISTED_PROBLEMS
            duplicated[id(result)] = [key for key, _ in pairs] if listed else len(pairs) - len(result)
            kept.append(result)
        return result

    plain = _STRING.sub('""', text)  # the text outside strings, where its structure is
    if plain.count("[") + plain.count("{") > MAX_CONTAINERS:
        raise fatal(file, (1, 1), f"the document holds more than {MAX_CONTAINERS:,} arrays and objects", "a config holds hundreds; keep data in files of its own", code="too-large")
    with collector_paused():  # many small containers, none of them garbage
        return _parse(text, plain, file, object_pairs, duplicated, kept)


def _parse(text: str, plain: str, file: str | None, object_pairs: Callable[[list], dict], duplicated: dict[int, list[str] | int], kept: list[dict]) -> Document:
    reread = False  # read again for an integer too long to convert, which is then to be found
    try:
        try:
            data = json.loads(text, object_pairs_hook=object_pairs)
        except ValueError as error:
            if isinstance(error, JSONDecodeError):
                raise
            duplicated.clear()  # an integer longer than int() converts: read again, marking it
            kept.clear()
            reread = True
            data = json.loads(text, object_pairs_hook=object_pairs, parse_int=_int_or_too_long)
    except JSONDecodeError as error:
        raise _explain(text, file, error.msg, error.pos) from None
    except RecursionError:  # nested far deeper than MAX_DEPTH
        raise fatal(file, text_mark(text, _too_deep_index(text)), f"nesting deeper than {MAX_DEPTH} levels", code="too-deep") from None
    locator = _Locator(text, data, set(duplicated))
    doc = Document(file, data, locate=locator.locate)
    non_finite, too_deep = _read_structure(plain)
    if duplicated or reread or non_finite or too_deep:
        _check_values(doc, locator, duplicated, non_finite, too_deep or reread)
    return doc


def _read_structure(plain: str) -> tuple[int, bool]:
    """What the data of valid JSON holds that :func:`_check_values` looks for: how many NaN,
    infinities and numbers too large for a float, and whether it nests deeper than
    ``MAX_DEPTH``. Read in C from ``plain``, the text with its strings taken out (only they can
    hold brackets or words that are not structure), so a large file holding none of these is
    not walked at all, and one holding many is walked only until their listing is full.
    """
    non_finite = plain.count("NaN") + plain.count("Infinity")  # -Infinity counted once, in Infinity
    if _MAYBE_BIG_NUMBER.search(plain):
        non_finite += sum(math.isinf(float(number)) for number in _BIG_NUMBER.findall(plain))
    if plain.count("[") + plain.count("{") <= MAX_DEPTH:
        return non_finite, False
    # The nesting depth is the largest running count of openers less closers. The text is
    # valid, so '{' and '}' nest as '[' and ']' do, and outside strings it is ASCII.
    import numpy as np

    brackets = np.frombuffer(plain.translate(_AS_SQUARE_BRACKETS).encode("ascii"), dtype=np.uint8)
    depth = np.cumsum((brackets == ord("[")).astype(np.int32) - (brackets == ord("]")))
    return non_finite, bool(depth.max() > MAX_DEPTH)


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
# Numbers written with an exponent, or with more digits than a finite float has: the only ones
# that may be too large for a float.
_MAYBE_BIG_NUMBER = re.compile(r"[0-9](?:[eE]|[0-9]{308})")
_BIG_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?[eE][-+]?[0-9]+|-?[0-9]{309,}(?:\.[0-9]+)?")
_AS_SQUARE_BRACKETS = str.maketrans("{}", "[]", "".join(chr(c) for c in range(128) if chr(c) not in "[]{}"))


class _TooLong:
    """Stands for an integer with more digits than ``int()`` converts."""

    def __init__(self, digits: int):
        self.digits = digits


def _int_or_too_long(digits: str) -> int | _TooLong:
    try:
        return int(digits)
    except ValueError:
        return _TooLong(len(digits.lstrip("-")))


def _check_values(doc: Document, locator: _Locator, duplicated: dict[int, list[str] | int], non_finite: int, walk_all: bool) -> None:
    """Walk the data, depth first in document order and without recursion: refuse nesting past
    ``MAX_DEPTH`` and integers too long to convert; report duplicate keys and the ``non_finite``
    values (NaN, and numbers too large for a float). A path is made only for a value with a
    problem. Unless ``walk_all``, the walk stops once every object with repeated keys is
    reported and the listing is full; the values past it are counted from ``non_finite``.
    """
    root = doc.data
    if type(root) is not dict and type(root) is not list:
        _check_scalar(doc, locator, (), root)
        return
    objects_left = len(duplicated)
    if id(root) in duplicated:
        _report_duplicates(doc, locator, (), duplicated[id(root)])
        objects_left -= 1
    path: list = []  # the keys down to the container being walked: one fewer than `walking`
    walking: list[Iterator] = [iter(root.items()) if type(root) is dict else enumerate(root)]
    while walking:
        if not (walk_all or objects_left) and doc.listing_full:
            doc.unlisted += non_finite  # those not found yet
            return
        for key, value in walking[-1]:
            kind = type(value)
            if kind is dict or kind is list:
                if len(walking) >= MAX_DEPTH:  # the child's path is one key longer than its parent's
                    raise fatal(doc.file, doc.mark((*path, key)), f"nesting deeper than {MAX_DEPTH} levels", code="too-deep")
                if id(value) in duplicated:
                    _report_duplicates(doc, locator, (*path, key), duplicated[id(value)])
                    objects_left -= 1
                if _SCALARS.issuperset(map(type, value.values() if kind is dict else value)):
                    continue  # checked in C: nothing inside to look at
                path.append(key)
                walking.append(iter(value.items()) if kind is dict else enumerate(value))
                break
            if kind is float or kind is _TooLong:
                non_finite -= _check_scalar(doc, locator, (*path, key), value)
                if not (walk_all or objects_left) and doc.listing_full:
                    break
        else:
            walking.pop()
            if path:
                path.pop()


def _check_scalar(doc: Document, locator: _Locator, path: Path, value: object) -> int:
    """Report ``value`` at ``path`` if it is not finite (returns 1), refuse it if it is too long."""
    if type(value) is float and not math.isfinite(value):
        _report_non_finite(doc, locator, path)
        return 1
    if type(value) is _TooLong:
        raise fatal(doc.file, doc.mark(path), f"integer with {value.digits} digits is too long", code="too-large")
    return 0


def _report_duplicates(doc: Document, locator: _Locator, path: Path, keys: list[str] | int) -> None:
    """One problem per repeated key of the object at ``path``, pointing at its first definition;
    past the listing limit they are counted without finding where they are."""
    repeats = keys if isinstance(keys, int) else len(keys) - len(set(keys))
    if doc.listing_full:
        doc.unlisted += repeats
        return
    first: dict[str, int] = {}
    scan = locator.scan(locator.indices(path)[1])  # type: ignore[index]
    for position, key in enumerate(keys):  # type: ignore[arg-type]
        if key not in first:
            first[key] = position
            continue
        repeats -= 1
        if doc.listing_full:
            doc.unlisted += repeats + 1  # this repeat and those after it
            return
        while len(scan.keys) <= position and scan.next >= 0:
            scan.step()
        line, column = locator.lines.mark(scan.keys[first[key]])
        hint = f"first defined at line {line}:{column}"
        doc.report((*path, key), locator.lines.mark(scan.keys[position]), f"duplicate key {key!r}", hint, "duplicate-key")


def _report_non_finite(doc: Document, locator: _Locator, path: Path) -> None:
    if doc.listing_full:
        doc.unlisted += 1
        return
    text, index = locator.text, locator.indices(path)[1]  # type: ignore[index]
    word = next((w for w in _NON_FINITE_WORDS if text.startswith(w, index)), None)
    if word is not None:
        message = f"{word} is not valid JSON"
    else:
        end = index
        while end < len(text) and text[end] in _NUMBER_CHARS:
            end += 1
        message = f"number {_shorten(text[index:end])} is too large for a float"
    doc.report(path, locator.lines.mark(index), message, "use a finite number", "non-finite")


# -- positions ----------------------------------------------------------------------------------


class _Locator:
    """Finds where a path's value (and key) stand in the text.

    It walks the parsed data beside the text, so a path that is not in the data costs nothing,
    and in the text it scans a container only as far as the member asked for (to its end only
    in an object whose keys repeat, where the last one wins). What was scanned is remembered, so
    many paths into one place cost one scan.
    """

    def __init__(self, text: str, data: object, repeating: set[int]):
        self.text = text
        self.data = data
        self.repeating = repeating  # ids of the objects whose keys repeat
        self.lines = LineIndex(text)
        self.scans: dict[int, _Scan] = {}  # container start -> what is known of its members

    def locate(self, path: Path) -> tuple[Mark | None, Mark] | None:
        found = self.indices(path)
        if found is None:
            return None
        key_index, value_index = found
        return (None if key_index is None else self.lines.mark(key_index)), self.lines.mark(value_index)

    def indices(self, path: Path) -> tuple[int | None, int] | None:
        """(key index or None, value index) of the value at ``path``; None if there is none."""
        key_index, index, data = None, _past(_WHITESPACE, self.text, 0), self.data
        for step in path:
            if type(data) is dict and type(step) is str and step in data:
                key_index, index = self.scan(index).member(step, complete=id(data) in self.repeating)
            elif type(data) is list and type(step) is int and 0 <= step < len(data):
                key_index, index = self.scan(index).member(step)
            else:
                return None
            data = data[step]
        return key_index, index

    def scan(self, start: int) -> _Scan:
        if start not in self.scans:
            self.scans[start] = _Scan(self.text, start)
        return self.scans[start]


class _Scan:
    """The members of the container at ``start`` as far as they have been scanned: keys (or
    indices) with the text indices of key and value, in the order written."""

    def __init__(self, text: str, start: int):
        self.text = text
        self.is_object = text[start] == "{"
        self.members: dict = {}  # key or index -> (key index or None, value index); the last repeat wins
        self.keys: list[int] = []  # object keys' indices, repeats included
        self.next = _past(_WHITESPACE, text, start + 1)  # where the next member starts; -1 at the end
        self.unskipped: int | None = None  # the last member's value, skipped only to go on past it

    def member(self, wanted: str | int, *, complete: bool = False) -> tuple[int | None, int]:
        """Scan on until ``wanted`` is found (to the end when ``complete``) and return it."""
        while self.next >= 0 and (complete or wanted not in self.members):
            self.step()
        return self.members[wanted]

    def step(self) -> None:
        text = self.text
        if self.unskipped is not None:
            self.next = _past(_SEPARATOR, text, _skip(text, self.unskipped))
            self.unskipped = None
        i = self.next
        if text[i] in "]}":
            self.next = -1
            return
        if self.is_object:
            key, after = scanstring(text, i + 1)
            value = _past(_COLON, text, after)
            self.members[key] = (i, value)
            self.keys.append(i)
        else:
            value = i
            self.members[len(self.members)] = (None, value)
        self.unskipped = value

_COLON = re.compile(r"[ \t\n\r]*:[ \t\n\r]*")
_SEPARATOR = re.compile(r"[ \t\n\r]*(?:,[ \t\n\r]*)?")


def _past(pattern: re.Pattern[str], text: str, index: int) -> int:
    """Where a match of ``pattern`` (one that always matches, if only emptily) at ``index`` ends."""
    match = pattern.match(text, index)
    assert match is not None
    return match.end()


def _skip(text: str, index: int) -> int:
    """Where the value at ``index`` ends, found by the C scanner."""
    try:
        return _SCAN_ONCE(text, index)[1]
    except ValueError:  # an integer too long for int(): the slower scanner that keeps none
        return _LONG_INT_DECODER.raw_decode(text, index)[1]


_SCAN_ONCE = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]  # typeshed types it as a class
_LONG_INT_DECODER = json.JSONDecoder(parse_int=lambda digits: 0)


# -- errors -------------------------------------------------------------------------------------


def _explain(text: str, file: str | None, message: str, index: int) -> ConfigError:
    """Reword an error of the C parser (``message`` at ``index``) as a precise problem."""

    def error(at: int, what: str, hint: str = "", code: str = "syntax") -> ConfigError:
        return fatal(file, text_mark(text, at), what, hint, code=code)

    def unexpected(at: int, expected: str, hint: str = "", container: bool = False) -> ConfigError:
        if at >= len(text):
            if container:
                opened = _open_containers(text, at)[-1]
                line, column = text_mark(text, opened)
                hint = f"the {'object' if text[opened] == '{' else 'array'} that starts at line {line}:{column} is not closed"
            return error(at, f"{expected}, but the text ended", hint)
        word = _WORD.match(text, at)
        found = repr(_shorten(word.group())) if word else _describe(text[at])
        return error(at, f"{expected}, found {found}", hint)

    here = text[index : index + 1]
    before = _previous(text, index)
    if text.startswith(("//", "/*"), index):
        return error(index, "comment in JSON", "JSON has no comments; use YAML for comments")
    if message.startswith(("Unterminated string", "Invalid control", "Invalid \\")):
        return _string_error(text, message, index, error)
    if message.startswith(("Extra data", "Expecting ','")):
        number = _number_error(text, index, error, unexpected)  # a number that stops early: '2.', '01'
        if number is not None:
            return number
    if message.startswith("Extra data"):
        return error(index, "extra data after the JSON document", "a JSON file holds exactly one value")
    if here in ("]", "}") and before is not None and text[before] == ",":
        return error(before, f"trailing comma before {here!r}", "JSON allows no trailing commas")
    if message.startswith("Illegal trailing comma"):  # Python 3.13 says so itself, at the comma
        closer = "}" if "object" in message else "]"
        return error(index, f"trailing comma before {closer!r}", "JSON allows no trailing commas")
    if message.startswith("Expecting property name"):
        if here == "'":
            return error(index, "single-quoted key", "JSON strings use double quotes")
        word = _WORD.match(text, index)
        hint = f'write the key in double quotes: "{_shorten(word.group())}"' if word else ""
        after = "or '}'" if before is not None and text[before] == "{" else "after ','"
        return unexpected(index, f"expected a key in double quotes {after}", hint)
    if message.startswith("Expecting ':'"):
        key = _last_string(text, index)
        return unexpected(index, f"expected ':' after key {_shorten(key)!r}")
    if message.startswith("Expecting ','"):
        kind = "an object member" if text[_open_containers(text, index)[-1]] == "{" else "an array element"
        close = "}" if kind == "an object member" else "]"
        return unexpected(index, f"expected ',' or {close!r} after {kind}", container=True)
    # "Expecting value", or a byte-order mark where the value should start
    if here == "'":
        return error(index, "single-quoted string", "JSON strings use double quotes")
    if here == "-":
        return unexpected(index + 1, "expected a digit after '-'")
    hint = ""
    word = _WORD.match(text, index)
    if word and word.group().lower() in _LITERAL_SPELLINGS:
        hint = f"JSON literals are lowercase: did you mean {_LITERAL_SPELLINGS[word.group().lower()]}?"
    return unexpected(index, "expected a value", hint)


def _string_error(text: str, message: str, index: int, error: Callable[..., ConfigError]) -> ConfigError:
    if message.startswith("Unterminated string"):
        return error(index, "unterminated string", "close it with '\"'")
    if message.startswith("Invalid control character"):
        if text[index] in "\r\n":
            return error(index, "string not closed before the end of the line", "close it with '\"', or write a line break as \\n")
        return error(index, f"control character {_describe(text[index])} in a string", f"write it as \\u{ord(text[index]):04x}")
    backslash = index if text.startswith("\\", index) else index - 1
    if message.startswith("Invalid \\uXXXX"):
        return error(backslash, f"invalid escape {text[backslash : backslash + 6]!r}", "\\u needs four hex digits")
    return error(backslash, f"invalid escape {text[backslash : backslash + 2]!r}", _ESCAPES_HINT)


def _number_error(text: str, index: int, error: Callable[..., ConfigError], unexpected: Callable[..., ConfigError]) -> ConfigError | None:
    """Explain a number that stops early (at ``index``), where the parser only says it expected a ','."""
    start = index
    while start > 0 and text[start - 1] in _NUMBER_CHARS:
        start -= 1
    number, after = text[start:index], text[index : index + 1]
    if not number or not ("0" <= number[-1] <= "9"):
        return None
    if "0" <= after <= "9" and number.lstrip("-") == "0":
        return error(start, "number with a leading zero", "JSON numbers cannot start with 0 unless they are 0 or 0.x")
    if after == "." and not any(c in number for c in ".eE"):
        return unexpected(index + 1, "expected a digit after '.'")
    if after in ("e", "E") and not any(c in number for c in "eE"):
        digit = index + 2 if text[index + 1 : index + 2] in ("+", "-") else index + 1
        return unexpected(digit, "expected a digit in the exponent")
    return None


def _open_containers(text: str, end: int) -> list[int]:
    """Where the containers still open at ``end`` start, outermost first (``text[:end]`` is valid
    JSON so far, so strings and brackets alone decide it)."""
    stack: list[int] = []
    for match in _STRING_OR_BRACKET.finditer(text, 0, end):
        char = text[match.start()]
        if char in "[{":
            stack.append(match.start())
        elif char in "]}":
            stack.pop()
    return stack


def _too_deep_index(text: str) -> int:
    """Where the first container nested deeper than ``MAX_DEPTH`` starts."""
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        char = text[match.start()]
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return match.start()
        elif char in "]}":
            depth -= 1
    return 0


def _last_string(text: str, end: int) -> str:
    last = None
    for match in _STRING_OR_BRACKET.finditer(text, 0, end):
        if text[match.start()] == '"':
            last = match
    return scanstring(text, last.start() + 1)[0] if last else ""


def _previous(text: str, index: int) -> int | None:
    """The index of the last character before ``index`` that is not JSON whitespace."""
    i = index - 1
    while i >= 0 and text[i] in " \t\n\r":
        i -= 1
    return i if i >= 0 else None


def _describe(char: str) -> str:
    """A character for a message: quoted when printable, else as U+XXXX."""
    return repr(char) if char.isprintable() else f"U+{ord(char):04X}"


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
