"""Reading a config: a file or bytes to a :class:`Document`, by the parser its format needs.

This module sits above both parsers (``json_source``, ``yaml_source``), which share only
what ``document`` defines, so neither imports the other.
"""

from __future__ import annotations

import codecs
import os

from .document import MAX_FILE_BYTES, Document, fatal, text_mark
from .errors import ConfigError, Problem

JSON_SUFFIXES = (".json",)
YAML_SUFFIXES = (".yaml", ".yml")


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
        raise ConfigError([unreadable(name, f"cannot read file: {exc.strerror or exc}")]) from None
    return parse_bytes(raw, name)


def unreadable(name: str, message: str, hint: str = "") -> Problem:
    """The problem of a file, a directory or standard input that cannot be read at all."""
    return Problem.at(name, None, (), message, hint, code="unreadable")


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
        raise fatal(file, doc.mark(()) or (1, 1), "the document is empty (null); expected a component entry or a train config", code="empty")
    return doc


def _guess_format(file: str | None, text: str) -> str:
    lowered = (file or "").lower()
    if lowered.endswith(JSON_SUFFIXES):
        return "json"
    if lowered.endswith(YAML_SUFFIXES):
        return "yaml"
    return "json" if text.lstrip()[:1] in ("{", "[") else "yaml"


def _decode(raw: bytes, file: str | None) -> str:
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        return raw[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = bom + exc.start
        before = raw[bom:bad].decode("utf-8")
        raise fatal(file, text_mark(before, len(before)), f"not UTF-8 text: byte 0x{raw[bad]:02x} cannot be decoded", code="encoding") from None
