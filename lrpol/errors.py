"""Problems found in a config, as data first and text second.

Every check in lrpol reports a :class:`Problem`. ``validate`` returns them,
``build``/``load`` raise them inside a :class:`ConfigError`, and the CLI prints
them; all three format the same records.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

Path = tuple  # a JSON path as a tuple of keys (str) and indices (int)
Mark = tuple  # (line, column), both 1-based

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def format_path(path: Path) -> str:
    """Render a path tuple as JSONPath: ``("train", "lr_policy", 0)`` -> ``$.train.lr_policy[0]``.

    >>> format_path(("train", "lr_policy", "args", "poly_power"))
    '$.train.lr_policy.args.poly_power'
    >>> format_path(("phases", 1, "odd key", "two\\nlines"))
    "$.phases[1]['odd key']['two\\\\u000alines']"
    """
    parts = ["$"]
    for key in path:
        if isinstance(key, int) and not isinstance(key, bool):
            parts.append(f"[{show_value(key)}]")
        elif isinstance(key, str) and _IDENTIFIER.match(key):
            parts.append(f".{key}")
        else:  # any other key, even one that is not a string, on one printable line
            parts.append(f"[{show_key(key)}]")
    return "".join(parts)


def show_key(key: object) -> str:
    """A key as a message or a path shows it: ``'odd key'`` quoted and on one line; a key that
    is not a string (only possible in a mapping built in code) as :func:`show_value` spells it.

    >>> show_key("decay_rato"), show_key(None), show_key(10**5000)
    ("'decay_rato'", 'None', 'an integer of 5001 digits')
    """
    if not isinstance(key, str):
        return repr(key) if key is None or isinstance(key, bool) else show_value(key)
    return "'" + one_line(key.replace("\\", "\\\\").replace("'", "\\'")) + "'"


def one_line(text: str) -> str:
    """``text`` with every character that is not printable (a line break, a lone surrogate from
    a file name that is not UTF-8) written as ``\\uXXXX``, so a problem stays one line that
    any terminal can show.

    >>> one_line("conf/a\\nb\\udcff.json")
    'conf/a\\\\u000ab\\\\udcff.json'
    """
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config.

    ``line`` and ``column`` are 1-based and ``None`` when the config was not read
    from a file (a mapping built in code). ``code`` is a stable, machine-readable
    category such as ``unknown-argument`` or ``syntax``.
    """

    file: str | None
    line: int | None
    column: int | None
    json_path: str
    message: str
    hint: str = ""
    code: str = "invalid"

    @classmethod
    def at(cls, file: str | None, mark: Mark | None, path: Path, message: str, hint: str = "", *, code: str = "invalid") -> Problem:
        """The one way lrpol makes a problem: in ``file``, at ``mark`` (None when there is no
        text to point into), for the value at ``path`` (``()`` for the whole document)."""
        line, column = mark or (None, None)
        return cls(file, line, column, format_path(path), message, hint, code)

    @property
    def mark(self) -> Mark | None:
        """(line, column), or None when the problem has no place in a text."""
        return None if self.line is None else (self.line, self.column)

    def __str__(self) -> str:
        where = one_line(self.file) if self.file else "<config>"
        if self.line is not None:
            where = f"{where}:{self.line}:{self.column}"
        text = f"{where}: {self.json_path}: {self.message}"
        return f"{text}; {self.hint}" if self.hint else text

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def sort_key(self) -> tuple:
        return (self.file or "", self.line or 0, self.column or 0, self.json_path)


class Invalid(ValueError):
    """A value refused by a check, as the parts a :class:`Problem` is made of."""

    def __init__(self, reason: str, hint: str = "", *, code: str = "invalid"):
        self.reason, self.hint, self.code = reason, hint, code
        super().__init__(f"{reason}; {hint}" if hint else reason)


class ConfigError(ValueError):
    """A config that cannot be turned into a policy; ``problems`` says why, all at once."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=lambda p: p.sort_key))
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(word: object, choices: Sequence[str], *, listing: str = "expected one of") -> str:
    """A hint naming the closest choice, or listing them all when none is close (only a
    string ``word`` is matched: any other value, None say, gets the listing).

    >>> did_you_mean("decay_rato", ["decay_ratio", "decay_freq"])
    "did you mean 'decay_ratio'?"
    >>> did_you_mean("zzz", ["rate"])
    "expected one of: 'rate'"
    """
    choices = [c for c in choices if isinstance(c, str)]
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6) if isinstance(word, str) else []
    if close:
        return f"did you mean {close[0]!r}?"
    if not choices:
        return ""
    return f"{listing}: " + ", ".join(repr(c) for c in sorted(choices))


#: JSON's name for each Python type a config value can have: the one table of type names, for
#: messages, argument descriptions and the schemas. Matched in order with isinstance, so bool
#: comes before int (True is an int to Python).
JSON_TYPES: dict[type, str] = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    dict: "object",
    list: "array",
    tuple: "array",
}


def json_type(value: object) -> str:
    """The JSON name of a Python value's type, for messages that say what was found.

    >>> json_type("0.5"), json_type(True), json_type(2.5), json_type(None), json_type([])
    ('string', 'boolean', 'number', 'null', 'array')
    """
    for kind, name in JSON_TYPES.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__


def with_article(name: str) -> str:
    """A type name as a sentence says it: ``an integer``, ``a string``."""
    return ("an " if name[0] in "aeiou" else "a ") + name


def a_json_type(value: object) -> str:
    """:func:`json_type` with its article: ``an integer``, ``a string``."""
    return with_article(json_type(value))


def found_value(value: object) -> str:
    """What was found, for a message that expected something else: its type and its value.

    >>> found_value("0.5"), found_value(None), found_value(10**5000)
    ('a string ("0.5")', 'null', 'an integer of 5001 digits')
    """
    if value is None:
        return "null"
    if _is_long_integer(value):  # not "an integer (an integer of 5001 digits)"
        return show_value(value)
    return f"{a_json_type(value)} ({show_value(value)})"


#: Integers with more digits than this are shown by their length: they are unreadable, and
#: beyond 4,300 digits ``str()`` itself refuses them.
_MAX_DIGITS_SHOWN = 24
#: Strings, lists and objects are cut short after this many characters or items, and
#: nested ones after this depth, so that no value can make a message huge.
_MAX_CHARS_SHOWN = 80
_MAX_ITEMS_SHOWN = 10
_MAX_DEPTH_SHOWN = 3


def show_value(value: object) -> str:
    """A value as a message shows it: spelled as JSON, and never long.

    An integer too long to read is shown by its number of digits (counted without
    ``str()``, which refuses integers beyond 4,300 digits); long strings and lists are
    cut short, saying how long they were.

    >>> show_value([1, 2.5, "a", None, True])
    '[1, 2.5, "a", null, true]'
    >>> show_value(10**5000)
    'an integer of 5001 digits'
    >>> show_value(-(10**24))
    'a negative integer of 25 digits'
    >>> show_value(list(range(12)))
    '[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ... 12 items]'
    >>> show_value("x" * 100)
    '"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..." (100 characters)'
    >>> show_value([[[[1]]]])
    '[[[[...]]]]'
    """
    return _shown(value, 0)


def _shown(value: object, depth: int) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, float):
        return repr(float(value))  # as JSON spells finite numbers, and nan and inf as Python does
    if isinstance(value, int):
        if not _is_long_integer(value):
            return str(int(value))
        return f"{'a negative' if value < 0 else 'an'} integer of {_digits(abs(value))} digits"
    if isinstance(value, str):
        if len(value) <= _MAX_CHARS_SHOWN:
            return json.dumps(value)
        return json.dumps(value[: _MAX_CHARS_SHOWN - 12])[:-1] + f'..." ({len(value)} characters)'
    if isinstance(value, (list, tuple, dict)):
        opening, closing = "{}" if isinstance(value, dict) else "[]"
        if depth >= _MAX_DEPTH_SHOWN:
            return f"{opening}...{closing}" if value else opening + closing
        items = list(value.items())[:_MAX_ITEMS_SHOWN] if isinstance(value, dict) else value[:_MAX_ITEMS_SHOWN]
        if isinstance(value, dict):
            shown = [f"{_shown(k, depth + 1)}: {_shown(v, depth + 1)}" for k, v in items]
        else:
            shown = [_shown(item, depth + 1) for item in items]
        if len(value) > _MAX_ITEMS_SHOWN:
            shown.append(f"... {len(value)} items")
        return opening + ", ".join(shown) + closing
    return safe_repr(value)


def safe_repr(value: object) -> str:
    """``repr(value)`` for a message about Python objects, cut short, and never raising.

    >>> safe_repr(None), safe_repr(10**5000)
    ('None', 'an integer of 5001 digits')
    """
    try:
        text = repr(value)
    except Exception:  # an integer beyond 4,300 digits, or a repr that is itself broken
        return show_value(value) if isinstance(value, (int, list, tuple, dict)) else f"a {type(value).__name__}"
    return text if len(text) <= _MAX_CHARS_SHOWN else text[: _MAX_CHARS_SHOWN - 3] + "..."


def show_error(error: BaseException) -> str:
    """``Type: message`` for an exception raised by user code, never raising itself.

    >>> show_error(SystemExit(0)), show_error(ValueError(10**5000))
    ('SystemExit: 0', 'ValueError: an integer of 5001 digits')
    """
    try:
        text = str(error)
    except Exception:  # str() of its argument failed: an integer beyond 4,300 digits, say
        text = show_value(error.args[0] if len(error.args) == 1 else list(error.args))
    return f"{type(error).__name__}: {text}"


def _is_long_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and not -(10**_MAX_DIGITS_SHOWN) < value < 10**_MAX_DIGITS_SHOWN


def _digits(n: int) -> int:
    """How many decimal digits ``n`` (> 0) has, from its logarithm; checked exactly with a
    power of ten only when ``n`` is that close to one."""
    estimate = math.log10(n)
    digits = math.floor(estimate) + 1
    if estimate - math.floor(estimate) < 1e-6 or math.ceil(estimate) - estimate < 1e-6:
        digits = round(estimate)
        digits += n >= 10**digits
    return digits
