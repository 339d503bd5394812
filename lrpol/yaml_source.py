"""Read YAML into a :class:`~lrpol.document.Document` without running any PyYAML constructor.

PyYAML only *composes* the text into a graph of nodes (in C, with libyaml); this
module turns the nodes into plain data itself. So no tag can ever create a Python
object (any tag written in the text is reported and its value dropped), and plain
scalars follow the YAML 1.2 core schema instead of PyYAML's YAML 1.1 rules: ``1e-3``
is the float 0.001, ``yes`` and ``2024-01-01`` stay strings, ``0o17`` is 15. The
nodes are kept, so line:column is read off them only where a problem needs it.

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
>>> doc.mark(("steps", 1)), doc.mark(("warmup",), key=True)
((2, 13), (3, 1))
>>> parse_yaml("base: &b {lr: 0.1, steps: 5}\\nrun: {<<: *b, lr: 0.2}\\n", "b.yaml").data["run"]
{'steps': 5, 'lr': 0.2}
"""

from __future__ import annotations

import functools
import math
import re
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # yaml is imported when a YAML file is read, not with lrpol
    from yaml.error import YAMLError

from .document import MAX_DEPTH, Budget, Document, Exhausted, Mark, collector_paused, fatal, text_mark
from .errors import ConfigError, Path, json_type

# A composed YAML node (scalar, sequence or mapping) or a parser event: PyYAML's stubs type
# neither the ``id`` that tells nodes apart nor libyaml's marks, so they are read as Any.
Node = Any
Event = Any

#: Nodes a YAML document may hold. Composing costs about 1 µs a node, so this keeps any file
#: under a second; a train config holds hundreds.
MAX_NODES = 200_000

# What our resolver tags nodes written without a tag with. Objects, not strings, so that no tag
# written in the text can equal them: any string tag on a node was written there.
_PLAIN = object()  # a plain scalar, resolved by the YAML 1.2 core schema
_QUOTED = object()  # a quoted or block scalar: a string
_SEQUENCE = object()
_MAPPING = object()
_UNTAGGED = (_PLAIN, _QUOTED, _SEQUENCE, _MAPPING)
# The non-specific tag '!' among the properties at a node's start, which the composers resolve
# as if no tag were written: after an optional anchor and the spaces, line breaks and comments
# that may separate them. A block collection's properties end its line; on the line of its
# first key they belong to that key, which is checked on its own.
_ANCHOR = r"&[^\s,\[\]{}]+(?:\s|#[^\r\n]*)+"
_NON_SPECIFIC_TAG = re.compile(rf"(?:{_ANCHOR})?!(?=[\s,\[\]{{}}]|\Z)")
_NON_SPECIFIC_BLOCK_TAG = re.compile(rf"(?:{_ANCHOR})?!(?:[ \t]+&[^\s,\[\]{{}}]+)?[ \t]*(?:#[^\r\n]*)?(?:\r\n?|\n)")

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
# Line breaks in YAML 1.1, which PyYAML and libyaml follow, but ordinary characters in YAML 1.2
# and to editors: read as breaks, they shift every line number after them, and inside a comment
# they end it early. So they are refused, as an escape in a double-quoted string says the same.
_OLD_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")


def parse_yaml(text: str, file: str | None) -> Document:
    """Parse the single YAML document in ``text``; ``file`` names it in problems.

    Returns a :class:`Document` whose positions are 1-based (line, column); ``data`` is
    None for a document with nothing but comments. Tags, non-string keys, duplicate keys
    and merge keys that name no mapping become ``problems``. Raises
    :class:`~lrpol.errors.ConfigError` (code ``syntax``, ``multiple-documents``,
    ``too-deep`` or ``too-large``) when the text cannot be read; never raises anything else.
    """
    for pattern, hint in ((_NON_PRINTABLE, "write it as an escape in a double-quoted string"), (_OLD_LINE_BREAKS, "write it as an escape in a double-quoted string, or use a plain line break")):
        bad = pattern.search(text)
        if bad:
            char = f"U+{ord(bad.group()):04X}"
            raise fatal(file, text_mark(text, bad.start()), f"character {char} is not allowed in YAML", hint)
    import yaml

    use_libyaml = yaml.__with_libyaml__
    budget = Budget()
    with collector_paused():  # a node graph is many small objects, none of them garbage
        node = _compose(yaml, text, file, use_libyaml)
        if node is None:
            return Document(file, None, budget=budget)
        converter = _Converter(file, node, text, use_libyaml, budget)
        converter.doc.data = converter.value(node, (), 0, False)
    return converter.doc


def _resolve_plain(value: str) -> object:
    """The YAML 1.2 core-schema value of a plain (unquoted, untagged) scalar.

    >>> [_resolve_plain(v) for v in ["~", "", "True", "yes", "-12", "0o17", "0x1F", "1e-3", ".5", "-.inf", "1_000"]]
    [None, None, True, 'yes', -12, 15, 31, 0.001, 0.5, -inf, '1_000']

    Raises ValueError for an integer longer than Python converts (``sys.get_int_max_str_digits``),
    however it is written.
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
        return _printable_int(int(value[2:], 8))
    if _HEX.fullmatch(value):
        return _printable_int(int(value[2:], 16))
    if _FLOAT.fullmatch(value):
        return float(value)
    if _INFINITY.fullmatch(value):
        return -math.inf if value.startswith("-") else math.inf
    if _NAN.fullmatch(value):
        return math.nan
    return value


def _printable_int(number: int) -> int:
    """``number``, or ValueError when its decimal form is longer than ``str()`` writes (a hex or
    octal literal escapes the limit that decimal ones meet when read)."""
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
    if limit and number.bit_length() > limit * 3.32:  # log2(10) = 3.32...: more digits than the limit
        raise ValueError(f"more than {limit} digits")
    return number


# -- composing ---------------------------------------------------------------


class _TooDeep(Exception):
    """Raised from inside the composer, which would otherwise recurse as deep as the text nests."""

    def __init__(self, mark: Mark):
        super().__init__(mark)
        self.mark = mark


class _TooMany(Exception):
    """Raised from inside the composer once the document holds more than ``MAX_NODES`` nodes."""


def _compose(yaml: ModuleType, text: str, file: str | None, use_libyaml: bool) -> Node | None:
    """The root node of the single document in ``text`` (None if it is empty), composed without constructing."""
    loader = _loader_class(use_libyaml)(text)
    try:
        return loader.get_single_node()
    except _TooDeep as deep:
        raise fatal(file, deep.mark, f"nesting deeper than {MAX_DEPTH} levels", code="too-deep") from None
    except _TooMany:
        raise fatal(file, (1, 1), f"the document holds more than {MAX_NODES:,} values", "a config holds hundreds; keep data in files of its own", code="too-large") from None
    except yaml.YAMLError as exc:
        # libyaml 0.2.5 refuses 1000 levels itself, in its parser, which may run ahead of our
        # composer. The events then say where our own limit was crossed.
        if "maximum nesting depth" in str(exc):
            mark = _first_too_deep_mark(yaml, text, use_libyaml)
            if mark is not None:
                raise fatal(file, mark, f"nesting deeper than {MAX_DEPTH} levels", code="too-deep") from None
        raise _syntax_error(yaml, exc, file) from None
    finally:
        loader.dispose()


@functools.cache
def _loader_class(use_libyaml: bool) -> type:
    """A parser + composer + resolver that tags untagged nodes with our markers (``_PLAIN``,
    ``_QUOTED``, ...) and stops at ``MAX_DEPTH`` levels and ``MAX_NODES`` nodes."""
    import yaml
    from yaml.resolver import BaseResolver

    class Resolver(BaseResolver):
        open_nodes: int
        nodes: int

        def resolve(self, kind: type, value: str | None, implicit: Any) -> object:
            # Called for nodes without a tag, and for those tagged '!' (see _Converter.written_tag).
            if kind is yaml.ScalarNode:
                return _PLAIN if implicit[0] else _QUOTED
            return _SEQUENCE if kind is yaml.SequenceNode else _MAPPING

        # The composers call these around every node they compose: a cheap place to count.
        def descend_resolver(self, current_node: Node | None, current_index: object) -> None:
            self.open_nodes += 1
            self.nodes += 1
            if self.open_nodes > MAX_DEPTH + 1:  # MAX_DEPTH + 1 collections, then this node
                raise _TooDeep(_mark(current_node))  # the collection one level too deep (never the root)
            if self.nodes > MAX_NODES:
                raise _TooMany

        def ascend_resolver(self) -> None:
            self.open_nodes -= 1

    if use_libyaml:
        from yaml._yaml import CParser

        class CLoader(CParser, Resolver):
            def __init__(self, text: str):
                CParser.__init__(self, text)
                Resolver.__init__(self)
                self.open_nodes = self.nodes = 0

        return CLoader

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
            self.open_nodes = self.nodes = 0

    return Loader


def _first_too_deep_mark(yaml: ModuleType, text: str, use_libyaml: bool) -> Mark | None:
    """Where the first collection nested deeper than ``MAX_DEPTH`` starts, when the parser refused
    the text first (libyaml >= 0.2.5 stops at 1000 levels, and its scanner looks ahead through
    a flow collection before any event of it comes out).

    The events before that error give the collections still open. The flow collection the
    error is in is then read on its own, by PyYAML's pure-Python parser, which has no limit: a
    flow collection means the same wherever it stands.
    """
    loader = yaml.CBaseLoader if use_libyaml else yaml.BaseLoader
    open_collections: list[tuple[int, bool]] = []  # (start index, flow style) of each one still open
    after = 0  # where the last event ends
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.CollectionStartEvent):
                open_collections.append((event.start_mark.index, bool(event.flow_style)))
                if len(open_collections) > MAX_DEPTH:
                    return _mark(event)
            elif isinstance(event, yaml.CollectionEndEvent):
                open_collections.pop()
            after = event.end_mark.index
    except yaml.YAMLError:
        pass
    flows = [index for index, (_, flow) in enumerate(open_collections) if flow]
    if flows:  # the error is inside the innermost open flow collection
        outside, start = flows[-1], open_collections[flows[-1]][0]
    else:  # or in a flow collection whose first event never came out
        found = re.compile(r"[\[{]").search(text, after)
        if found is None:
            return None
        outside, start = len(open_collections), found.start()
    depth = outside
    try:
        for event in yaml.parse(text[start : start + _MAX_FLOW_READ], Loader=yaml.BaseLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return text_mark(text, start + event.start_mark.index)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:  # the end of what was read, or the text is broken there
        pass
    return None


# How much of a flow collection the pure-Python parser reads to find where it is too deep: libyaml
# refuses at 1000 levels, so a few thousand characters hold them unless its items are long.
_MAX_FLOW_READ = 256 * 1024


def _alias_key_marks(yaml: ModuleType, text: str, root: Node, use_libyaml: bool) -> dict:
    """Where each alias written as a mapping key starts: ``{(id(mapping node), pair index): mark}``.

    The composers return an alias as the anchored node itself, so a key node cannot tell where
    the alias was written. Walking the nodes in document order, each from where it is defined,
    every child met before is an alias, in the order of the parser's alias events; those events
    have the marks. The events are read (a second parse) only when some key is an alias.
    """
    occurrences: list = []  # one per alias in the text: its (mapping, index) slot if it is a key, else None
    met: set = set()

    def walk(node: Node) -> None:
        met.add(id(node))
        if node.id == "scalar":
            return
        children: list[tuple[tuple[int, int] | None, Node]]
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


def _syntax_error(yaml: ModuleType, exc: YAMLError, file: str | None) -> ConfigError:
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


class _Key:
    """A key of a mapping node: the mapping, the key's index in it, and the key node (an alias
    key is the anchored node itself, so only the mapping and index tell where it is written)."""

    __slots__ = ("mapping", "index", "node")

    def __init__(self, mapping: Node, index: int, node: Node):
        self.mapping, self.index, self.node = mapping, index, node


class _Converter:
    """Turns composed nodes into plain data, recording problems in ``doc``, and then finds where
    a path stands (``locate``) from the nodes it keeps."""

    def __init__(self, file: str | None, root: Node, text: str, use_libyaml: bool, budget: Budget):

        self.doc = Document(file, None, locate=self.locate, budget=budget)
        self.root = root
        self.use_libyaml = use_libyaml
        self._alias_keys: dict | None = None if "*" in text else {}  # see key_mark; no '*', no alias
        self.text = text
        self.bangs = "!" in text  # no '!', no tag
        self.met: set = set()  # ids of the nodes visited so far: visiting one again means an alias
        self.open: set = set()  # ids of the collection nodes being converted, to catch recursive aliases
        self.members_of: dict = {}  # id of a mapping node -> its members (see members)

    def value(self, node: Node, path: Path, depth: int, aliased: bool) -> object:
        """The data for ``node`` at ``path``; ``depth`` counts the collections around it, and
        ``aliased`` says whether an alias around it was followed."""
        if aliased or id(node) in self.met:
            aliased = True
            self.repeat()
        else:
            self.met.add(id(node))
        if self.tagged(node):
            self.tag_problem(node, path)
            return None
        kind = node.id
        if kind == "scalar":
            value = self.scalar(node)
            if type(value) is float and math.isinf(value) and _FLOAT.fullmatch(node.value):
                message = f"number {_shorten(node.value)} is too large for a float"
                self.doc.report(path, _mark(node), message, "use a finite number", "non-finite")
            return value
        if id(node) in self.open:
            raise fatal(self.doc.file, _mark(node), "recursive alias: a collection contains an alias to itself", code="too-deep")
        if depth >= MAX_DEPTH:
            raise fatal(self.doc.file, _mark(node), f"nesting deeper than {MAX_DEPTH} levels", code="too-deep")
        self.open.add(id(node))
        depth += 1
        if kind == "sequence":
            result: object = [self.value(item, (*path, index), depth, aliased) for index, item in enumerate(node.value)]
        else:
            result = {key: self.value(value_node, (*path, key), depth, aliased) for key, (_, value_node) in self.members(node, path, 0).items()}
        self.open.discard(id(node))
        return result

    def visit(self, node: Node, aliased: bool) -> bool:
        """Note a visit of ``node``: True if it is reached through an alias (a node visited before,
        or anything under one), which spends the document's budget."""
        if aliased or id(node) in self.met:
            self.repeat()
            return True
        self.met.add(id(node))
        return False

    def repeat(self, values: int = 1) -> None:
        try:
            self.doc.budget.spend(values=values)
        except Exhausted as exhausted:
            raise fatal(self.doc.file, _mark(self.root), f"YAML {exhausted}", code="too-large") from None

    def locate(self, path: Path) -> tuple[Mark | None, Mark] | None:
        """(key mark, value mark) of the value at ``path``, read off the nodes; None if there is none."""
        node, key_mark = self.root, None
        for step in path:
            if node.id == "mapping" and type(step) is str:
                member = (self.members_of.get(id(node)) or {}).get(step)
                if member is None:
                    return None
                key_mark, node = self.key_mark(member[0]), member[1]
            elif node.id == "sequence" and type(step) is int and 0 <= step < len(node.value):
                key_mark, node = None, node.value[step]
            else:
                return None
        return key_mark, _mark(node)

    def members(self, node: Node, path: Path, merges: int) -> dict:
        """The members of mapping ``node`` as ``{key: (where the key is, value node)}``, merge keys applied;
        ``merges`` counts the merge keys that led here.

        Worked out once per node, so problems with its keys (not strings, or repeated) are reported
        once, at the ``path`` where the mapping is first met. Only keys written in the same mapping
        can repeat: a merged key is overridden by a written one, or by one merged before it.
        """
        if id(node) in self.members_of:
            known = self.members_of[id(node)]
            if known is None:
                raise fatal(self.doc.file, _mark(node), "recursive alias: a mapping merges itself", code="too-deep")
            return known
        if merges > MAX_DEPTH:
            raise fatal(self.doc.file, _mark(node), f"merge keys nested deeper than {MAX_DEPTH} levels", code="too-deep")
        self.members_of[id(node)] = None  # being worked out
        written: dict = {}
        seen: dict[str, _Key] = {}
        merge = None  # (value node, key) of the merge key
        for index, (key_node, value_node) in enumerate(node.value):
            where = _Key(node, index, key_node)
            if not _is_merge_key(key_node):
                key = self.key(key_node, path, where)
                if key is None:
                    continue
                first = seen.setdefault(key, where)
                if first is not where:
                    line, column = self.key_mark(first)
                    self.doc.report((*path, key), self.key_mark(where), f"duplicate key {key!r}", f"first defined at line {line}:{column}", "duplicate-key")
                written[key] = (where, value_node)
            elif merge is None:
                merge = (value_node, where)
            else:  # ruamel.yaml refuses a second merge key too (PyYAML merges both)
                line, column = self.key_mark(merge[1])
                self.doc.report(path, self.key_mark(where), "duplicate key '<<'", f"first defined at line {line}:{column}", "duplicate-key")
        members: dict = {}
        sources = self.merge_sources(merge[0], path) if merge else []
        for source, _ in sources:
            merged = self.members(source, path, merges + 1)
            self.repeat(len(merged))  # every merge copies the members: many merges of a big mapping are refused
            for key, member in merged.items():
                if key not in members and key not in written:
                    members[key] = member
        members.update(written)
        self.members_of[id(node)] = members
        return members

    def merge_sources(self, node: Node, path: Path) -> list:
        """The mappings a merge key's value ``node`` names, first one first, each with whether it is
        reached through an alias. Anything else there is a problem."""
        aliased = self.visit(node, False)
        if self.tagged(node):
            self.tag_problem(node, path)
            return []
        if node.id == "mapping":
            return [(node, aliased)]
        if node.id == "scalar":
            self.invalid_merge(node, path, "a mapping or a list of mappings")
            return []
        sources = []
        for item in node.value:
            item_aliased = self.visit(item, aliased)
            if self.tagged(item):
                self.tag_problem(item, path)
            elif item.id == "mapping":
                sources.append((item, item_aliased))
            else:
                self.invalid_merge(item, path, "a list of mappings")
        return sources

    def invalid_merge(self, node: Node, path: Path, expected: str) -> None:
        mark = _mark(node)
        found = "array" if node.id == "sequence" else json_type(self.scalar(node))
        hint = 'merge an anchored mapping (<<: *name), or quote "<<" to make it an ordinary key'
        self.doc.report(path, mark, f"merge key '<<' takes {expected}, got {found}", hint, "invalid-merge")

    def key(self, node: Node, path: Path, where: _Key) -> str | None:
        """The key ``node`` (written at ``where``) names, or None (with a problem) when it is not a string."""
        if self.tagged(node):
            self.tag_problem(node, path, self.key_mark(where))
            return None
        if node.id != "scalar":
            found = "array" if node.id == "sequence" else "object"
            self.doc.report(path, self.key_mark(where), f"keys must be strings, got {found}", "", "non-string-key")
            return None
        key = self.scalar(node, where)
        if type(key) is str:
            return key
        found = json_type(key) if key is None else f"{json_type(key)} {node.value}"
        self.doc.report(path, self.key_mark(where), f"keys must be strings, got {found}", f'quote the key: "{node.value}"', "non-string-key")
        return None

    def key_mark(self, key: _Key) -> Mark:
        """Where ``key`` is written: where its alias is, for a key written as an alias (found by
        reading the text's events again, the first time one is needed)."""
        if self._alias_keys is None:
            import yaml

            self._alias_keys = _alias_key_marks(yaml, self.text, self.root, self.use_libyaml)
        return self._alias_keys.get((id(key.mapping), key.index)) or _mark(key.node)

    def scalar(self, node: Node, key: _Key | None = None) -> object:
        """The value of a scalar node (written as the mapping key ``key``, maybe as an alias)."""
        if node.tag is not _PLAIN:
            return node.value
        try:
            return _resolve_plain(node.value)
        except ValueError:  # more digits than int() converts
            text = node.value.lstrip("+-")
            size = f"{len(text)} digits" if text.isdigit() else f"more than {sys.get_int_max_str_digits()} digits"
            raise fatal(self.doc.file, self.key_mark(key) if key else _mark(node), f"integer with {size} is too long", code="too-large") from None

    def tagged(self, node: Node) -> bool:
        """Whether a tag is written on ``node``: any tag, the standard ones and '!' too, since a
        config is plain data and a tag can only change what the text plainly says."""
        if node.tag not in _UNTAGGED:
            return True
        if not self.bangs:
            return False
        block = node.id != "scalar" and not node.flow_style
        return (_NON_SPECIFIC_BLOCK_TAG if block else _NON_SPECIFIC_TAG).match(self.text, node.start_mark.index) is not None

    def tag_problem(self, node: Node, path: Path, mark: Mark | None = None) -> None:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!", 1) if type(node.tag) is str else "!"
        self.doc.report(path, mark or _mark(node), f"YAML tags are not allowed (found {_shorten(tag)!r})", "remove the tag; lrpol reads plain data only", "yaml-tag")



def _is_merge_key(node: Node) -> bool:
    """Whether ``node`` is the merge key: a plain ``<<``, neither quoted nor tagged."""
    return node.id == "scalar" and node.tag is _PLAIN and node.value == "<<"


def _mark(node_or_event: Node | Event) -> Mark:
    """The 1-based start of a PyYAML node or event (PyYAML counts from 0)."""
    return (node_or_event.start_mark.line + 1, node_or_event.start_mark.column + 1)


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
