"""Read JSON into a :class:`~lrpol.document.Document`, with the line:column of every value and key.

The stdlib ``json`` module returns data but no positions, so this is a small
recursive-descent parser. It accepts exactly the texts ``json.loads`` accepts and
builds the same data. Three things ``json.loads`` also accepts are kept but
reported as problems, because a config should not rely on them: ``NaN`` and
``Infinity``, numbers too large for a float, and duplicate keys (the last wins).

>>> doc = parse_json('{"lr": 0.1,\\n "steps": [10, 20]}', "a.json")
>>> doc.data
{'lr': 0.1, 'steps': [10, 20]}
>>> doc.marks[("steps", 1)], doc.key_marks[("steps",)]
((2, 16), (2, 2))
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from json import JSONDecodeError
from json.decoder import scanstring

from .document import MAX_DEPTH, Document, Mark, fatal
from .errors import ConfigError, Path

_WHITESPACE = re.compile(r"[ \t\n\r]*")
# Not json.scanner.NUMBER_RE: its \d also matches digits such as '١', which json.loads rejects.
_NUMBER = re.compile(r"(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?")
# A line ends at \n, \r\n or a lone \r; only these can appear outside JSON strings.
_LINE_BREAK = re.compile(r"\r\n?|\n")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_LITERALS = {"n": ("null", None), "t": ("true", True), "f": ("false", False)}
_NON_FINITE = {"N": ("NaN", math.nan), "I": ("Infinity", math.inf), "-": ("-Infinity", -math.inf)}
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
    return _Parser(text, file).parse()


class _Parser:
    """One pass over one text. Methods take the index to start at and return (value, index after it)."""

    def __init__(self, text: str, file: str | None):
        self.text = text
        self.file = file
        self.doc = Document(file, None)
        self.line_starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]

    def parse(self) -> Document:
        value, end = self.value(0, (), 0)
        end = _WHITESPACE.match(self.text, end).end()
        if end < len(self.text):
            raise self.comment_error(end) or self.error(
                end, "extra data after the JSON document", "a JSON file holds exactly one value"
            )
        self.doc.data = value
        return self.doc

    def mark(self, index: int) -> Mark:
        line = bisect_right(self.line_starts, index)
        return (line, index - self.line_starts[line - 1] + 1)

    # -- values -------------------------------------------------------------

    def value(self, index: int, path: Path, depth: int) -> tuple[object, int]:
        """Parse the value at or after ``index``; ``depth`` counts the containers around it."""
        text = self.text
        i = _WHITESPACE.match(text, index).end()
        self.doc.marks[path] = self.mark(i)
        first = text[i : i + 1]
        if first == '"':
            return self.string(i)
        if first == "{":
            return self.object(i, path, depth + 1)
        if first == "[":
            return self.array(i, path, depth + 1)
        if first in _NON_FINITE and text.startswith(_NON_FINITE[first][0], i):
            word, number = _NON_FINITE[first]
            self.doc.problems.append(
                self.doc.problem(path, f"{word} is not valid JSON", "use a finite number", code="non-finite")
            )
            return number, i + len(word)
        if first == "-" or "0" <= first <= "9":
            return self.number(i, path)
        if first in _LITERALS and text.startswith(_LITERALS[first][0], i):
            word, literal = _LITERALS[first]
            return literal, i + len(word)
        if first == "'":
            raise self.error(i, "single-quoted string", "JSON strings use double quotes")
        hint = ""
        word = _WORD.match(text, i)
        if word and word.group().lower() in _LITERAL_SPELLINGS:
            hint = f"JSON literals are lowercase: did you mean {_LITERAL_SPELLINGS[word.group().lower()]}?"
        raise self.unexpected(i, "expected a value", hint)

    def string(self, start: int) -> tuple[str, int]:
        try:
            return scanstring(self.text, start + 1, True)
        except JSONDecodeError as exc:
            raise self.string_error(start, exc) from None

    def number(self, start: int, path: Path) -> tuple[int | float, int]:
        text = self.text
        match = _NUMBER.match(text, start)
        if match is None:  # a '-' not followed by a digit
            raise self.unexpected(start + 1, "expected a digit after '-'")
        integer, fraction, exponent = match.groups()
        end = match.end()
        self.check_number_end(start, end, fraction, exponent)
        if fraction is None and exponent is None:
            try:
                return int(integer), end
            except ValueError:  # longer than sys.get_int_max_str_digits()
                digits = len(integer.lstrip("-"))
                raise self.error(start, f"integer with {digits} digits is too long", code="too-large") from None
        number = float(match.group())
        if math.isinf(number):
            message = f"number {_shorten(match.group())} is too large for a float"
            self.doc.problems.append(self.doc.problem(path, message, "use a finite number", code="non-finite"))
        return number, end

    def check_number_end(self, start: int, end: int, fraction: str | None, exponent: str | None) -> None:
        """Explain a number that stops early, where json.loads would only say what it expected next."""
        text = self.text
        after = text[end : end + 1]
        if "0" <= after <= "9":  # the regex stops after a lone leading 0
            raise self.error(start, "number with a leading zero", "JSON numbers cannot start with 0 unless they are 0 or 0.x")
        if after == "." and fraction is None and exponent is None:
            raise self.unexpected(end + 1, "expected a digit after '.'")
        if after in ("e", "E") and exponent is None:
            digit = end + 2 if text[end + 1 : end + 2] in ("+", "-") else end + 1
            raise self.unexpected(digit, "expected a digit in the exponent")

    # -- containers ---------------------------------------------------------

    def object(self, start: int, path: Path, depth: int) -> tuple[dict, int]:
        self.check_depth(start, depth)
        text = self.text
        result: dict = {}
        seen: dict = {}  # key -> where it first appeared in this object
        i = _WHITESPACE.match(text, start + 1).end()
        if text.startswith("}", i):
            return result, i + 1
        expected_key = "expected a key in double quotes or '}'"
        while True:
            if not text.startswith('"', i):
                raise self.key_error(i, expected_key)
            key_mark = self.mark(i)
            key, i = self.string(i)
            member = path + (key,)
            self.doc.add_key(member, key_mark, seen)
            i = _WHITESPACE.match(text, i).end()
            if not text.startswith(":", i):
                raise self.unexpected(i, f"expected ':' after key {_shorten(key)!r}")
            result[key], i = self.value(i + 1, member, depth)
            i = _WHITESPACE.match(text, i).end()
            if text.startswith("}", i):
                return result, i + 1
            if not text.startswith(",", i):
                raise self.unexpected(i, "expected ',' or '}' after an object member", opened=start)
            comma = i
            i = _WHITESPACE.match(text, i + 1).end()
            if text.startswith("}", i):
                raise self.error(comma, "trailing comma before '}'", "JSON allows no trailing commas")
            expected_key = "expected a key in double quotes after ','"

    def array(self, start: int, path: Path, depth: int) -> tuple[list, int]:
        self.check_depth(start, depth)
        text = self.text
        result: list = []
        i = _WHITESPACE.match(text, start + 1).end()
        if text.startswith("]", i):
            return result, i + 1
        while True:
            element, i = self.value(i, path + (len(result),), depth)
            result.append(element)
            i = _WHITESPACE.match(text, i).end()
            if text.startswith("]", i):
                return result, i + 1
            if not text.startswith(",", i):
                raise self.unexpected(i, "expected ',' or ']' after an array element", opened=start)
            comma = i
            i = _WHITESPACE.match(text, i + 1).end()
            if text.startswith("]", i):
                raise self.error(comma, "trailing comma before ']'", "JSON allows no trailing commas")

    def check_depth(self, start: int, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise self.error(start, f"nesting deeper than {MAX_DEPTH} levels", code="too-deep")

    # -- errors -------------------------------------------------------------

    def error(self, index: int, message: str, hint: str = "", *, code: str = "syntax") -> ConfigError:
        return fatal(self.file, self.mark(index), message, hint, code=code)

    def comment_error(self, index: int) -> ConfigError | None:
        if self.text.startswith(("//", "/*"), index):
            return self.error(index, "comment in JSON", "JSON has no comments; use YAML for comments")
        return None

    def unexpected(self, index: int, expected: str, hint: str = "", *, opened: int | None = None) -> ConfigError:
        """The error for finding something other than ``expected`` at ``index``.

        ``opened`` is where the enclosing container starts, named in the hint when the text ends inside it.
        """
        if index >= len(self.text):
            if opened is not None:
                line, column = self.mark(opened)
                kind = "object" if self.text[opened] == "{" else "array"
                hint = f"the {kind} that starts at line {line}:{column} is not closed"
            return self.error(index, f"{expected}, but the text ended", hint)
        word = _WORD.match(self.text, index)
        found = repr(_shorten(word.group())) if word else _describe(self.text[index])
        return self.comment_error(index) or self.error(index, f"{expected}, found {found}", hint)

    def key_error(self, index: int, expected: str) -> ConfigError:
        if self.text.startswith("'", index):
            return self.error(index, "single-quoted key", "JSON strings use double quotes")
        word = _WORD.match(self.text, index)
        hint = f'write the key in double quotes: "{_shorten(word.group())}"' if word else ""
        return self.unexpected(index, expected, hint)

    def string_error(self, start: int, exc: JSONDecodeError) -> ConfigError:
        """Reword an error from ``json.decoder.scanstring``, located where it says."""
        text, pos = self.text, exc.pos
        if exc.msg.startswith("Unterminated string"):
            return self.error(start, "unterminated string", "close it with '\"'")
        if exc.msg.startswith("Invalid control character"):
            if text[pos] in "\r\n":
                return self.error(pos, "string not closed before the end of the line", "close it with '\"', or write a line break as \\n")
            return self.error(pos, f"control character {_describe(text[pos])} in a string", f"write it as \\u{ord(text[pos]):04x}")
        backslash = pos if text.startswith("\\", pos) else pos - 1
        if exc.msg.startswith("Invalid \\uXXXX"):
            return self.error(backslash, f"invalid escape {text[backslash : backslash + 6]!r}", "\\u needs four hex digits")
        if exc.msg.startswith("Invalid \\escape"):
            return self.error(backslash, f"invalid escape {text[backslash : backslash + 2]!r}", _ESCAPES_HINT)
        return self.error(pos, exc.msg)


def _describe(char: str) -> str:
    """A character for a message: quoted when printable, else as U+XXXX."""
    return repr(char) if char.isprintable() else f"U+{ord(char):04X}"


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
