"""A parsed config file: plain data plus the line:column of every value and key.

JSON and YAML are read by their own modules (``json_source``, ``yaml_source``)
into the same :class:`Document`, so everything downstream is format-blind.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .errors import ConfigError, Path, Problem, format_path

#: Config files larger than this are refused before parsing (a train config is a few KiB).
MAX_FILE_BYTES = 4 * 1024 * 1024
#: Containers nested deeper than this are refused (a train config nests about six levels).
MAX_DEPTH = 64

Mark = tuple  # (line, column), both 1-based

JSON_SUFFIXES = (".json",)
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class Document:
    """Data read from one source, with positions keyed by JSON path tuples.

    ``marks[path]`` is where the value at ``path`` starts; ``key_marks[path]`` is
    where the key naming it starts (mapping members only). ``problems`` holds
    what was wrong but did not stop parsing (duplicate keys, NaN in JSON).
    """

    file: str | None
    data: object
    marks: dict = field(default_factory=dict)
    key_marks: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)

    def mark(self, path: Path, *, key: bool = False) -> Mark | None:
        """Where ``path`` starts (where its key starts, with ``key=True``).

        For a path that is not in the document (a missing argument), the key of its
        nearest existing ancestor: the ``args:`` line that lacks the argument.
        """
        if key and path in self.key_marks:
            return self.key_marks[path]
        missing = False
        while path not in self.marks and path:
            path, missing = path[:-1], True
        if missing and path in self.key_marks:
            return self.key_marks[path]
        return self.marks.get(path)

    def add_key(self, path: Path, mark: Mark, seen: dict) -> None:
        """Record where the key naming ``path`` starts. ``seen`` maps the keys met so far in
        the same mapping to their marks: a repeated key is reported as a duplicate (the value
        parsed next replaces the earlier one, as in ``json.loads``).

        Marks under the replaced value are not removed: the file is already invalid, and
        removing them would make duplicate-heavy files quadratic to read.
        """
        first = seen.setdefault(path[-1], mark)
        self.key_marks[path] = mark
        if first is not mark:
            hint = f"first defined at line {first[0]}:{first[1]}"
            self.problems.append(self.problem(path, f"duplicate key {path[-1]!r}", hint, code="duplicate-key", key=True))

    def problem(self, path: Path, message: str, hint: str = "", *, code: str = "invalid", key: bool = False) -> Problem:
        """A :class:`Problem` located at ``path`` in this document."""
        line, column = self.mark(path, key=key) or (None, None)
        return Problem(self.file, line, column, format_path(path), message, hint, code)


def from_mapping(data: object) -> Document:
    """Wrap data built in code; its problems carry a JSON path but no line."""
    return Document(file=None, data=data)


def read_document(file: str | os.PathLike) -> Document:
    """Read and parse a JSON or YAML file; raise :class:`ConfigError` if that fails.

    The format follows the suffix (``.json``, ``.yaml``, ``.yml``); any other
    suffix is JSON when the first non-blank character is ``{`` or ``[``.
    """
    name = os.fspath(file)
    try:
        with open(name, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError([Problem(name, None, None, "$", f"cannot read file: {exc.strerror or exc}", code="unreadable")]) from None
    return parse_bytes(raw, name)


def parse_bytes(raw: bytes, file: str | None, fmt: str | None = None) -> Document:
    """Parse ``raw`` as ``fmt`` ("json" or "yaml"; guessed from ``file`` and content when None)."""
    if len(raw) > MAX_FILE_BYTES:
        raise fatal(file, None, f"file is larger than the {MAX_FILE_BYTES // (1024 * 1024)} MiB limit for configs", code="too-large")
    text = _decode(raw, file)
    if not text.strip():
        raise fatal(file, (1, 1), "file is empty; expected a component entry or a train config", code="empty")
    fmt = fmt or _guess_format(file, text)
    if fmt == "json":
        from .json_source import parse_json

        doc = parse_json(text, file)
    else:
        from .yaml_source import parse_yaml

        doc = parse_yaml(text, file)
    if doc.data is None and not doc.problems:  # only comments, or an explicit null
        raise fatal(file, doc.marks.get((), (1, 1)), "the document is empty (null); expected a component entry or a train config", code="empty")
    return doc


def _guess_format(file: str | None, text: str) -> str:
    lowered = (file or "").lower()
    if lowered.endswith(JSON_SUFFIXES):
        return "json"
    if lowered.endswith(YAML_SUFFIXES):
        return "yaml"
    return "json" if text.lstrip()[:1] in ("{", "[") else "yaml"


def _decode(raw: bytes, file: str | None) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise fatal(file, (line, column), f"not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot be decoded", code="encoding") from None


def fatal(file: str | None, mark: Mark | None, message: str, hint: str = "", *, code: str = "syntax") -> ConfigError:
    """The error for a file that cannot be parsed at all: one problem, at ``mark``."""
    line, column = mark or (None, None)
    return ConfigError([Problem(file, line, column, "$", message, hint, code)])
