"""Problems found in a config, as data first and text second.

Every check in lrpol reports a :class:`Problem`. ``validate`` returns them,
``build``/``load`` raise them inside a :class:`ConfigError`, and the CLI prints
them; all three format the same records.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

Path = tuple  # a JSON path as a tuple of keys (str) and indices (int)

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
            parts.append(f"[{key}]")
        elif isinstance(key, str) and _IDENTIFIER.match(key):
            parts.append(f".{key}")
        else:  # any other key, even one that is not a string, on one printable line
            parts.append(f"[{_quote(key)}]")
    return "".join(parts)


def _quote(key: object) -> str:
    if not isinstance(key, str):
        return repr(key)
    escaped = key.replace("\\", "\\\\").replace("'", "\\'")
    return "'" + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + "'"


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

    def __str__(self) -> str:
        where = self.file or "<config>"
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


def did_you_mean(word: str, choices: Sequence[str], *, listing: str = "expected one of") -> str:
    """A hint naming the closest choice, or listing them all when none is close.

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


def json_type(value: object) -> str:
    """The JSON name of a Python value's type, for messages that say what was found.

    >>> json_type("0.5"), json_type(True), json_type(2.5), json_type(None), json_type([])
    ('string', 'boolean', 'number', 'null', 'array')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def a_json_type(value: object) -> str:
    """:func:`json_type` with its article: ``an integer``, ``a string``."""
    name = json_type(value)
    return ("an " if name[0] in "aeiou" else "a ") + name
