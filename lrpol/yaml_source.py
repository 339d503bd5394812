"""Read YAML into a :class:`~lrpol.document.Document` without running any PyYAML constructor.

PyYAML only *composes* the text into a graph of nodes; this module turns the
nodes into plain data itself. So no tag can ever create a Python object (tags
are reported and their values dropped), and plain scalars follow the YAML 1.2
core schema instead of PyYAML's YAML 1.1 rules: ``1e-3`` is the float 0.001,
``yes`` and ``2024-01-01`` stay strings, ``0o17`` is 15.

Merge keys (``<<: *defaults``, ``<<: [*a, *b]``) are honoured although YAML 1.2
dropped them, because the YAML loaders used on configs honour them (PyYAML's
``safe_load``, and ruamel.yaml, which check-jsonschema uses): a file they accept
should not fail here. As in PyYAML's SafeConstructor, only a plain ``<<`` key
merges (a quoted ``"<<"`` is an ordinary key); keys written in the mapping win over
merged ones, and a mapping earlier in a merged list wins over a later one. Merged
values keep the marks of the place where they are written.

>>> doc = parse_yaml("lr: 1e-3\\nsteps: [10, 0x14]\\nwarmup: yes\\n", "a.yaml")
>>> doc.data
{'lr': 0.001, 'steps': [10, 20], 'warmup': 'yes'}
>>> doc.marks[("steps", 1)], doc.key_marks[("warmup",)]
((2, 13), (3, 1))
>>> parse_yaml("base: &b {lr: 0.1, steps: 5}\\nrun: {<<: *b, lr: 0.2}\\n", "b.yaml").data["run"]
{'steps': 5, 'lr': 0.2}
"""

from __future__ import annotations

import functools
import math
import re

from .document import MAX_DEPTH, Document, Mark, fatal
from .errors import ConfigError, Path, Problem, format_path, json_type

#: Values reached through an alias (a repeated node, and all under it) are limited to this many:
#: nested aliases can otherwise expand a small file exponentially ("billion laughs").
MAX_NODES = 100_000

# The tag our resolver gives plain scalars. An object, not a string, so no tag in the text can equal it.
_PLAIN = object()
_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_DEFAULT_TAGS = {"scalar": _STR_TAG, "sequence": _SEQ_TAG, "mapping": _MAP_TAG}

# The YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1023-core-schema).
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_DECIMAL = re.compile(r"[-+]?[0-9]+")
_OCTAL = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INFINITY = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")
_NUMBER_STARTS = frozenset("-+.0123456789")

# Characters YAML allows in a stream; both PyYAML readers refuse the rest.
_NON_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LINE_BREAK = re.compile(r"\r\n?|\n")


def parse_yaml(text: str, file: str | None) -> Document:
    """Parse the single YAML document in ``text``; ``file`` names it in problems.

    Returns a :class:`Document` with 1-based (line, column) marks; ``data`` is
    None for a document with nothing but comments. Tags, non-string keys,
    duplicate keys and merge keys that name no mapping become ``problems``. Raises :class:`~lrpol.errors.ConfigError`
    (code ``syntax``, ``multiple-documents``, ``too-deep`` or ``too-large``) when
    the text cannot be read; never raises anything else.
    """
    bad = _NON_PRINTABLE.search(text)
    if bad:
        char = f"U+{ord(bad.group()):04X}"
        raise fatal(file, _text_mark(text, bad.start()), f"character {char} is not allowed in YAML", "write it as an escape in a double-quoted string")
    import yaml

    use_libyaml = yaml.__with_libyaml__
    node = _compose(yaml, text, file, use_libyaml)
    if node is None:
        return Document(file, None)
    alias_keys = _alias_key_marks(yaml, text, node, use_libyaml) if "*" in text else {}  # no '*', no alias
    converter = _Converter(file, _mark(node), alias_keys)
    converter.doc.data = converter.value(node, (), 0, False)
    return converter.doc


def _resolve_plain(value: str) -> object:
    """The YAML 1.2 core-schema value of a plain (unquoted, untagged) scalar.

    >>> [_resolve_plain(v) for v in ["~", "", "True", "yes", "-12", "0o17", "0x1F", "1e-3", ".5", "-.inf", "1_000"]]
    [None, None, True, 'yes', -12, 15, 31, 0.001, 0.5, -inf, '1_000']

    Raises ValueError for a decimal integer longer than Python converts (``sys.get_int_max_str_digits``).
    """
    if value in _NULLS:
        return None
    if value in _BOOLS:
        return _BOOLS[value]
    if value[0] not in _NUMBER_STARTS:
        return value
    if _DECIMAL.fullmatch(value):
        return int(value)
    if _OCTAL.fullmatch(value):
        return int(value[2:], 8)
    if _HEX.fullmatch(value):
        return int(value[2:], 16)
    if _FLOAT.fullmatch(value):
        return float(value)
    if _INFINITY.fullmatch(value):
        return -math.inf if value.startswith("-") else math.inf
    if _NAN.fullmatch(value):
        return math.nan
    return value


# -- composing ---------------------------------------------------------------


class _TooDeep(Exception):
    """Raised from inside the composer, which would otherwise recurse as deep as the text nests."""


def _compose(yaml, text: str, file: str | None, use_libyaml: bool):
    """The root node of the single document in ``text`` (None if it is empty), composed without constructing."""
    loader = _loader_class(use_libyaml)(text)
    try:
        return loader.get_single_node()
    except _TooDeep:
        mark = _first_too_deep_mark(yaml, text)
        raise fatal(file, mark, f"nesting deeper than {MAX_DEPTH} levels", code="too-deep") from None
    except yaml.YAMLError as exc:
        # Newer libyaml refuses deep nesting itself (at 1000 levels), before our limit is seen. Only
        # then is the text read again, to find where our limit was crossed: that costs a pure-Python parse.
        if "maximum nesting depth" in str(exc):
            mark = _first_too_deep_mark(yaml, text)
            if mark is not None:
                raise fatal(file, mark, f"nesting deeper than {MAX_DEPTH} levels", code="too-deep") from None
        raise _syntax_error(yaml, exc, file) from None
    finally:
        loader.dispose()


@functools.cache
def _loader_class(use_libyaml: bool) -> type:
    """A parser + composer + resolver that tags plain scalars with ``_PLAIN`` and stops at ``MAX_DEPTH``."""
    import yaml
    from yaml.resolver import BaseResolver

    class Resolver(BaseResolver):
        def resolve(self, kind, value, implicit):
            if kind is yaml.ScalarNode:
                return _PLAIN if implicit[0] else _STR_TAG
            return _SEQ_TAG if kind is yaml.SequenceNode else _MAP_TAG

        # The composers call these around every node they compose: a cheap place to count depth.
        def descend_resolver(self, current_node, current_index):
            self.open_nodes += 1
            if self.open_nodes > MAX_DEPTH + 1:  # MAX_DEPTH + 1 collections, then this node
                raise _TooDeep

        def ascend_resolver(self):
            self.open_nodes -= 1

    if use_libyaml:
        from yaml.cyaml import CParser

        class Loader(CParser, Resolver):
            def __init__(self, text: str):
                CParser.__init__(self, text)
                Resolver.__init__(self)
                self.open_nodes = 0

    else:
        from yaml.composer import Composer
        from yaml.parser import Parser
        from yaml.reader import Reader
        from yaml.scanner import Scanner

        class Loader(Reader, Scanner, Parser, Composer, Resolver):
            def __init__(self, text: str):
                Reader.__init__(self, text)
                Scanner.__init__(self)
                Parser.__init__(self)
                Composer.__init__(self)
                Resolver.__init__(self)
                self.open_nodes = 0

    return Loader


def _first_too_deep_mark(yaml, text: str) -> Mark | None:
    """Where the first collection nested deeper than ``MAX_DEPTH`` starts, found by re-reading the events."""
    # The pure-Python parser: it has no nesting limit of its own, and yields events as it goes.
    loader = yaml.BaseLoader
    depth = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return _mark(event)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:  # the text is broken further on; only the depth up to there matters
        pass
    return None


def _alias_key_marks(yaml, text: str, root, use_libyaml: bool) -> dict:
    """Where each alias written as a mapping key starts: ``{(id(mapping node), pair index): mark}``.

    The composers return an alias as the anchored node itself, so a key node cannot tell where
    the alias was written. Walking the nodes in document order, each from where it is defined,
    every child met before is an alias, in the order of the parser's alias events; those events
    have the marks. The events are read (a second parse) only when some key is an alias.
    """
    occurrences: list = []  # one per alias in the text: its (mapping, index) slot if it is a key, else None
    met: set = set()

    def walk(node) -> None:
        met.add(id(node))
        if node.id == "scalar":
            return
        if node.id == "sequence":
            children = [(None, item) for item in node.value]
        else:
            children = []
            for index, (key, value) in enumerate(node.value):
                children += [((id(node), index), key), (None, value)]
        for slot, child in children:
            if id(child) in met:
                occurrences.append(slot)
            else:
                walk(child)

    walk(root)
    if not any(occurrences):
        return {}
    loader = yaml.CBaseLoader if use_libyaml else yaml.BaseLoader
    marks = [_mark(event) for event in yaml.parse(text, Loader=loader) if isinstance(event, yaml.AliasEvent)]
    return {slot: mark for slot, mark in zip(occurrences, marks) if slot is not None}


def _syntax_error(yaml, exc, file: str | None) -> ConfigError:
    mark = getattr(exc, "problem_mark", None)
    position = (mark.line + 1, mark.column + 1) if mark else None
    context = getattr(exc, "context", None)
    if isinstance(exc, yaml.composer.ComposerError) and context == "expected a single document in the stream":
        return fatal(
            file, position, "found a second YAML document; a config file holds exactly one",
            "remove the '---' line or split the file", code="multiple-documents",
        )
    message = getattr(exc, "problem", None) or context or str(exc)
    hint = ""
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark and message != context:
        hint = f"{context} that starts at line {context_mark.line + 1}:{context_mark.column + 1}"
    return fatal(file, position, message, hint)


# -- converting --------------------------------------------------------------


class _Converter:
    """Turns composed nodes into plain data, recording marks and problems in ``doc``."""

    def __init__(self, file: str | None, root_mark: Mark, alias_keys: dict):
        self.doc = Document(file, None)
        self.root_mark = root_mark
        self.alias_keys = alias_keys  # see _alias_key_marks
        self.met: set = set()  # ids of the nodes visited so far: visiting one again means an alias
        self.repeated = 0  # values reached through aliases, up to MAX_NODES
        self.open: set = set()  # ids of the collection nodes being converted, to catch recursive aliases
        self.members_of: dict = {}  # id of a mapping node -> its members (see members)

    def value(self, node, path: Path, depth: int, aliased: bool) -> object:
        """The data for ``node`` at ``path``; ``depth`` counts the collections around it, and
        ``aliased`` says whether an alias around it was followed."""
        aliased = self.visit(node, aliased)
        mark = _mark(node)
        self.doc.marks[path] = mark
        if not self.tag_allowed(node, mark, path):
            return None
        if node.id == "scalar":
            value = self.scalar(node, mark)
            if isinstance(value, float) and math.isinf(value) and _FLOAT.fullmatch(node.value):
                message = f"number {_shorten(node.value)} is too large for a float"
                self.add(mark, path, message, "use a finite number", "non-finite")
            return value
        if id(node) in self.open:
            raise fatal(self.doc.file, mark, "recursive alias: a collection contains an alias to itself", code="too-deep")
        if depth + 1 > MAX_DEPTH:
            raise fatal(self.doc.file, mark, f"nesting deeper than {MAX_DEPTH} levels", code="too-deep")
        self.open.add(id(node))
        if node.id == "sequence":
            result: object = [self.value(item, path + (index,), depth + 1, aliased) for index, item in enumerate(node.value)]
        else:
            result = {}
            for key, (key_mark, value_node) in self.members(node, path, 0).items():
                member = path + (key,)
                self.doc.key_marks[member] = key_mark
                result[key] = self.value(value_node, member, depth + 1, aliased)
        self.open.discard(id(node))
        return result

    def visit(self, node, aliased: bool) -> bool:
        """Note a visit of ``node``: True if it is reached through an alias (a node visited before,
        or anything under one), which counts against ``MAX_NODES``."""
        if aliased or id(node) in self.met:
            self.repeat()
            return True
        self.met.add(id(node))
        return False

    def repeat(self) -> None:
        self.repeated += 1
        if self.repeated > MAX_NODES:
            message = f"YAML aliases expand to more than {MAX_NODES} repeated values"
            raise fatal(self.doc.file, self.root_mark, message, code="too-large")

    def members(self, node, path: Path, merges: int) -> dict:
        """The members of mapping ``node`` as ``{key: (key mark, value node)}``, merge keys applied;
        ``merges`` counts the merge keys that led here.

        Worked out once per node, so problems with its keys (not strings, or repeated) are reported
        once, at the ``path`` where the mapping is first met. Only keys written in the same mapping
        can repeat: a merged key is overridden by a written one, or by one merged before it.
        """
        if id(node) in self.members_of:
            members = self.members_of[id(node)]
            if members is None:
                raise fatal(self.doc.file, _mark(node), "recursive alias: a mapping merges itself", code="too-deep")
            return members
        if merges > MAX_DEPTH:
            raise fatal(self.doc.file, _mark(node), f"merge keys nested deeper than {MAX_DEPTH} levels", code="too-deep")
        self.members_of[id(node)] = None  # being worked out
        written: dict = {}
        seen: dict = {}
        merge = None  # (value, mark) of the merge key
        for index, (key_node, value_node) in enumerate(node.value):
            key_mark = _mark(key_node)
            if self.alias_keys:
                key_mark = self.alias_keys.get((id(node), index), key_mark)
            if not _is_merge_key(key_node):
                key = self.key(key_node, key_mark, path)
                if key is not None:
                    self.doc.add_key(path + (key,), key_mark, seen)
                    written[key] = (key_mark, value_node)
            elif merge is None:
                merge = (value_node, key_mark)
            else:  # ruamel.yaml refuses a second merge key too (PyYAML merges both)
                hint = f"first defined at line {merge[1][0]}:{merge[1][1]}"
                self.add(key_mark, path, "duplicate key '<<'", hint, "duplicate-key")
        members: dict = {}
        sources = self.merge_sources(merge[0], path) if merge else []
        for source, aliased in sources:
            for key, member in self.members(source, path, merges + 1).items():
                if key not in members and key not in written:
                    members[key] = member
                elif aliased:  # an overridden value reached through an alias: never converted, so counted here
                    self.repeat()
        members.update(written)
        self.members_of[id(node)] = members
        return members

    def merge_sources(self, node, path: Path) -> list:
        """The mappings a merge key's value ``node`` names, first one first, each with whether it is
        reached through an alias. Anything else there is a problem."""
        aliased = self.visit(node, False)
        mark = _mark(node)
        if not self.tag_allowed(node, mark, path):
            return []
        if node.id == "mapping":
            return [(node, aliased)]
        if node.id == "scalar":
            self.invalid_merge(node, mark, path, "a mapping or a list of mappings")
            return []
        sources = []
        for item in node.value:
            item_aliased = self.visit(item, aliased)
            item_mark = _mark(item)
            if not self.tag_allowed(item, item_mark, path):
                continue
            if item.id == "mapping":
                sources.append((item, item_aliased))
            else:
                self.invalid_merge(item, item_mark, path, "a list of mappings")
        return sources

    def invalid_merge(self, node, mark: Mark, path: Path, expected: str) -> None:
        found = "array" if node.id == "sequence" else json_type(self.scalar(node, mark))
        hint = 'merge an anchored mapping (<<: *name), or quote "<<" to make it an ordinary key'
        self.add(mark, path, f"merge key '<<' takes {expected}, got {found}", hint, "invalid-merge")

    def key(self, node, mark: Mark, path: Path) -> str | None:
        """The key ``node`` (written at ``mark``) names, or None (with a problem) when it is not a string."""
        if not self.tag_allowed(node, mark, path):
            return None
        if node.id != "scalar":
            found = "array" if node.id == "sequence" else "object"
            self.add(mark, path, f"keys must be strings, got {found}", "", "non-string-key")
            return None
        key = self.scalar(node, mark)
        if isinstance(key, str):
            return key
        found = json_type(key) if key is None else f"{json_type(key)} {node.value}"
        self.add(mark, path, f"keys must be strings, got {found}", f'quote the key: "{node.value}"', "non-string-key")
        return None

    def scalar(self, node, mark: Mark) -> object:
        if node.tag is not _PLAIN:
            return node.value
        try:
            return _resolve_plain(node.value)
        except ValueError:  # more digits than int() converts
            digits = len(node.value.lstrip("+-"))
            raise fatal(self.doc.file, mark, f"integer with {digits} digits is too long", code="too-large") from None

    def tag_allowed(self, node, mark: Mark, path: Path) -> bool:
        if node.tag is _PLAIN or node.tag == _DEFAULT_TAGS[node.id]:
            return True
        tag = node.tag.replace("tag:yaml.org,2002:", "!!", 1) if node.tag.startswith("tag:yaml.org,2002:") else node.tag
        self.add(mark, path, f"YAML tags are not allowed (found {_shorten(tag)!r})", "remove the tag; lrpol reads plain data only", "yaml-tag")
        return False

    def add(self, mark: Mark, path: Path, message: str, hint: str, code: str) -> None:
        """Record a problem at ``mark``, which need not be the mark of ``path`` (a key's, say)."""
        self.doc.problems.append(Problem(self.doc.file, mark[0], mark[1], format_path(path), message, hint, code))


def _is_merge_key(node) -> bool:
    """Whether ``node`` is the merge key: a plain ``<<``, neither quoted nor tagged."""
    return node.id == "scalar" and node.tag is _PLAIN and node.value == "<<"


def _mark(node_or_event) -> Mark:
    """The 1-based start of a PyYAML node or event (PyYAML counts from 0)."""
    return (node_or_event.start_mark.line + 1, node_or_event.start_mark.column + 1)


def _text_mark(text: str, index: int) -> Mark:
    breaks = list(_LINE_BREAK.finditer(text, 0, index))
    line_start = breaks[-1].end() if breaks else 0
    return (len(breaks) + 1, index - line_start + 1)


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
