"""parse_yaml: YAML 1.2 core-schema data from composed nodes, exact positions, no tags, bounded size."""

from __future__ import annotations

import json
import math
from unittest import mock

import pytest
import yaml
from conftest import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrpol import yaml_source
from lrpol.document import MAX_DEPTH, Budget
from lrpol.errors import ConfigError
from lrpol.yaml_source import MAX_NODES, parse_yaml

# Every test runs with libyaml's parser and with PyYAML's pure-Python one.
BACKENDS = [
    pytest.param(True, id="libyaml", marks=pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML built without libyaml")),
    pytest.param(False, id="pure"),
]
pytestmark = pytest.mark.parametrize("libyaml", BACKENDS)

# Non-ASCII characters (lines 1, 5, 6, 8, 9) check that columns count characters, not bytes.
CONFIG = "\n".join(
    [
        "# Ünïcode comment",
        "train:",
        "  lr_policy:",
        "    - name: Poly",
        '      args: {poly_power: 0.9, "raté": 1e-3}',
        "    - name: Décay",
        "      args:",
        "        stéps: [10, 0x14]",
        "  épochs: .inf",
        "",
    ]
)


def load(text: str, libyaml: bool):
    with mock.patch.object(yaml, "__with_libyaml__", libyaml):
        return parse_yaml(text, "c.yaml")


def error_of(text: str, libyaml: bool):
    """The single problem of the ConfigError that parsing ``text`` raises."""
    with pytest.raises(ConfigError) as caught:
        load(text, libyaml)
    (problem,) = caught.value.problems
    return problem


def located(problem) -> tuple:
    return (problem.line, problem.column, problem.json_path, problem.code)


def test_data_of_a_config(libyaml):
    assert load(CONFIG, libyaml).data == {
        "train": {
            "lr_policy": [
                {"name": "Poly", "args": {"poly_power": 0.9, "raté": 0.001}},
                {"name": "Décay", "args": {"stéps": [10, 20]}},
            ],
            "épochs": math.inf,
        }
    }


def value_marks(doc, paths):
    return {path: doc.mark(path) for path in paths}


def key_marks(doc, paths):
    return {path: doc.mark(path, key=True) for path in paths}


def test_value_marks_of_a_config(libyaml):
    expected = {
        (): (2, 1),
        ("train",): (3, 3),
        ("train", "lr_policy"): (4, 5),
        ("train", "lr_policy", 0): (4, 7),
        ("train", "lr_policy", 0, "name"): (4, 13),
        ("train", "lr_policy", 0, "args"): (5, 13),
        ("train", "lr_policy", 0, "args", "poly_power"): (5, 26),
        ("train", "lr_policy", 0, "args", "raté"): (5, 39),
        ("train", "lr_policy", 1): (6, 7),
        ("train", "lr_policy", 1, "name"): (6, 13),
        ("train", "lr_policy", 1, "args"): (8, 9),
        ("train", "lr_policy", 1, "args", "stéps"): (8, 16),
        ("train", "lr_policy", 1, "args", "stéps", 0): (8, 17),
        ("train", "lr_policy", 1, "args", "stéps", 1): (8, 21),
        ("train", "épochs"): (9, 11),
    }
    assert value_marks(load(CONFIG, libyaml), expected) == expected


def test_key_marks_of_a_config(libyaml):
    expected = {
        ("train",): (2, 1),
        ("train", "lr_policy"): (3, 3),
        ("train", "lr_policy", 0, "name"): (4, 7),
        ("train", "lr_policy", 0, "args"): (5, 7),
        ("train", "lr_policy", 0, "args", "poly_power"): (5, 14),
        ("train", "lr_policy", 0, "args", "raté"): (5, 31),
        ("train", "lr_policy", 1, "name"): (6, 7),
        ("train", "lr_policy", 1, "args"): (7, 7),
        ("train", "lr_policy", 1, "args", "stéps"): (8, 9),
        ("train", "épochs"): (9, 3),
    }
    assert key_marks(load(CONFIG, libyaml), expected) == expected


def test_a_character_outside_the_bmp_is_one_column(libyaml):
    assert load("a: 😀\nb: [😀, x]\n", libyaml).mark(("b", 1)) == (2, 8)


def test_crlf_ends_lines(libyaml):
    doc = load("a:\r\n  b: 1\r\n  c: [2, 3]\r\n", libyaml)
    assert doc.data == {"a": {"b": 1, "c": [2, 3]}}
    assert doc.mark(("a", "c", 1)) == (3, 10)
    assert doc.mark(("a", "c"), key=True) == (3, 3)


# -- scalars: the YAML 1.2 core schema ---------------------------------------

SCALARS = [
    ("1e-3", 0.001),  # a string in PyYAML's YAML 1.1 safe_load
    ("1E+3", 1000.0),
    ("-2.5", -2.5),
    (".5", 0.5),
    ("1.", 1.0),
    ("+12", 12),
    ("-0", 0),
    ("007", 7),
    ("0o17", 15),
    ("0x1f", 31),
    ("0x1F", 31),
    (".inf", math.inf),
    ("-.Inf", -math.inf),
    ("+.INF", math.inf),
    ("true", True),
    ("True", True),
    ("FALSE", False),
    ("~", None),
    ("null", None),
    ("Null", None),
    ("NULL", None),
    ("", None),
    # Strings in YAML 1.2, though YAML 1.1 (PyYAML) reads some as bool, int, float, date or timestamp.
    ("yes", "yes"),
    ("No", "No"),
    ("on", "on"),
    ("off", "off"),
    ("y", "y"),
    ("tRue", "tRue"),
    ("nULL", "nULL"),
    ("0b101", "0b101"),
    ("0O17", "0O17"),
    ("0X1F", "0X1F"),
    ("1_000", "1_000"),
    ("1:30", "1:30"),
    ("2024-01-01", "2024-01-01"),
    ("inf", "inf"),
    (".infinity", ".infinity"),
    ("-.nan", "-.nan"),
    ("1e", "1e"),
    ("e3", "e3"),
    ("+", "+"),
    (".", "."),
    ("12 steps", "12 steps"),
    ('"1e-3"', "1e-3"),  # quoted scalars are strings
    ("'true'", "true"),
    ('"null"', "null"),
    ("|\n  0x10\n", "0x10\n"),  # block scalars are not plain
]


@pytest.mark.parametrize(("text", "expected"), SCALARS)
def test_scalar_resolution(libyaml, text, expected):
    value = load(f"v: {text}", libyaml).data["v"]
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("text", [".nan", ".NaN", ".NAN"])
def test_nan(libyaml, text):
    doc = load(f"v: {text}", libyaml)
    assert math.isnan(doc.data["v"])
    assert doc.problems == []


def test_number_too_large_for_a_float_is_a_problem(libyaml):
    doc = load("lr: 1e400\nmax: .inf\n", libyaml)
    assert doc.data == {"lr": math.inf, "max": math.inf}
    (problem,) = doc.problems  # only the overflow: .inf is written on purpose
    assert located(problem) == (1, 5, "$.lr", "non-finite")
    assert (problem.message, problem.hint) == ("number 1e400 is too large for a float", "use a finite number")


def test_empty_document_is_none(libyaml):
    doc = load("# nothing but a comment\n", libyaml)
    assert (doc.data, doc.mark(()), doc.problems) == (None, None, [])


def test_explicit_document_markers(libyaml):
    assert load("---\na: 1\n...\n", libyaml).data == {"a": 1}


# -- problems that do not stop parsing ---------------------------------------


@pytest.mark.parametrize(
    ("text", "tag", "column"),
    [
        ('cmd: !!python/object/apply:os.system ["echo hi"]', "!!python/object/apply:os.system", 6),
        ("cmd: !!python/name:os.system", "!!python/name:os.system", 6),
        ("cmd: !foo bar", "!foo", 6),
        ("cmd: !!float 1", "!!float", 6),
        ("cmd: !!binary aGk=", "!!binary", 6),
        ("cmd: !<tag:example.com,2000:x> {}", "tag:example.com,2000:x", 6),
        ("cmd: !!str [1]", "!!str", 6),  # the str tag, but on a sequence
        ("cmd: !!map [1]", "!!map", 6),
        ("cmd: !!seq x", "!!seq", 6),
        # Every written tag, the standard ones on their own kind of node and '!' too: the README
        # says any tag is an error, and a tag only ever changes what the text plainly says.
        ("cmd: !!str 12", "!!str", 6),
        ("cmd: !!map {a: 1}", "!!map", 6),
        ("cmd: !!seq [1]", "!!seq", 6),
        ("cmd: ! 12", "!", 6),
        ("cmd: ! [1]", "!", 6),
        ("cmd: ! {a: 1}", "!", 6),
    ],
)
def test_tags_are_problems_and_their_values_none(libyaml, text, tag, column):
    doc = load(text + "\nlr: 0.1\n", libyaml)
    assert doc.data == {"cmd": None, "lr": 0.1}
    (problem,) = doc.problems
    assert located(problem) == (1, column, "$.cmd", "yaml-tag")
    assert problem.message == f"YAML tags are not allowed (found {tag!r})"


def test_tagged_key_is_a_problem(libyaml):
    doc = load("a: 1\n!foo b: 2\n", libyaml)
    assert doc.data == {"a": 1}
    (problem,) = doc.problems
    assert located(problem) == (2, 1, "$", "yaml-tag")
    assert problem.message == "YAML tags are not allowed (found '!foo')"


def test_quoted_and_block_scalars_are_strings_without_a_tag(libyaml):
    doc = load("a: '1'\nb: \"2\"\nc: |\n  3\nd: >-\n  4\n", libyaml)
    assert (doc.data, doc.problems) == ({"a": "1", "b": "2", "c": "3\n", "d": "4"}, [])


@pytest.mark.parametrize(
    ("key", "message", "hint"),
    [
        ("1", "keys must be strings, got integer 1", 'quote the key: "1"'),
        ("0x10", "keys must be strings, got integer 0x10", 'quote the key: "0x10"'),
        ("1.5", "keys must be strings, got number 1.5", 'quote the key: "1.5"'),
        ("true", "keys must be strings, got boolean true", 'quote the key: "true"'),
        ("null", "keys must be strings, got null", 'quote the key: "null"'),
        ("~", "keys must be strings, got null", 'quote the key: "~"'),
        ("[a, b]", "keys must be strings, got array", ""),
        ("{a: 1}", "keys must be strings, got object", ""),
    ],
)
def test_non_string_keys_are_problems(libyaml, key, message, hint):
    doc = load(f"ok: 1\nsub:\n  {key}: x\n  next: 2\n", libyaml)
    assert doc.data == {"ok": 1, "sub": {"next": 2}}
    (problem,) = doc.problems
    assert located(problem) == (3, 3, "$.sub", "non-string-key")
    assert (problem.message, problem.hint) == (message, hint)


def test_quoted_and_yes_keys_are_strings(libyaml):
    assert load('"1": a\n\'true\': b\nyes: c\n', libyaml).data == {"1": "a", "true": "b", "yes": "c"}


def test_complex_key_is_a_problem(libyaml):
    doc = load("? [a]\n: 1\nb: 2\n", libyaml)
    assert doc.data == {"b": 2}
    (problem,) = doc.problems
    assert located(problem) == (1, 3, "$", "non-string-key")


def test_duplicate_key_is_a_problem_and_the_last_value_wins(libyaml):
    doc = load("a:\n  x: 1\nb: 2\na: 3\n", libyaml)
    assert doc.data == {"a": 3, "b": 2}
    (problem,) = doc.problems
    assert located(problem) == (4, 1, "$.a", "duplicate-key")
    assert (problem.message, problem.hint) == ("duplicate key 'a'", "first defined at line 1:1")
    assert doc.mark(("a",)) == (4, 4)
    assert doc.mark(("a",), key=True) == (4, 1)
    assert doc.locate(("a", "x")) is None


def test_aliases_expand_to_copies(libyaml):
    doc = load("base: &b {lr: 0.1}\nrun: *b\n", libyaml)
    assert doc.data == {"base": {"lr": 0.1}, "run": {"lr": 0.1}}
    assert doc.data["base"] is not doc.data["run"]
    # An alias's values are marked where the anchored node is.
    assert doc.mark(("run", "lr")) == doc.mark(("base", "lr")) == (1, 15)


def test_duplicate_key_in_an_aliased_mapping_is_reported_once(libyaml):
    doc = load("a: &a {x: 1, x: 2}\nb: *a\n", libyaml)
    assert doc.data == {"a": {"x": 2}, "b": {"x": 2}}
    (problem,) = doc.problems  # where the mapping is written, not again for each alias
    assert located(problem) == (1, 14, "$.a.x", "duplicate-key")


# -- aliases as keys: marked where the alias is written ----------------------


def test_alias_key_repeating_its_anchor_is_a_duplicate_at_the_alias(libyaml):
    doc = load("&a x: 1\n*a : 2\n", libyaml)
    assert doc.data == {"x": 2}
    (problem,) = doc.problems
    assert located(problem) == (2, 1, "$.x", "duplicate-key")
    assert (problem.message, problem.hint) == ("duplicate key 'x'", "first defined at line 1:1")
    assert (doc.mark(("x",), key=True), doc.mark(("x",)), doc.mark(())) == ((2, 1), (2, 6), (1, 1))


def test_alias_keys_among_alias_values(libyaml):
    doc = load("a: &k x\nb: *k\n*k : 1\nc: *k\nm: &m {*k : 2}\nn: *m\n", libyaml)
    assert doc.data == {"a": "x", "b": "x", "x": 1, "c": "x", "m": {"x": 2}, "n": {"x": 2}}
    assert doc.problems == []
    assert doc.mark(("x",), key=True) == (3, 1)
    # A mapping reached through an alias keeps the alias keys where they are written.
    assert doc.mark(("m", "x"), key=True) == doc.mark(("n", "x"), key=True) == (5, 8)


def test_alias_to_a_non_string_key_is_a_problem_at_the_alias(libyaml):
    doc = load("l: &n [1]\n*n : b\n", libyaml)
    assert doc.data == {"l": [1]}
    (problem,) = doc.problems
    assert located(problem) == (2, 1, "$", "non-string-key")
    assert problem.message == "keys must be strings, got array"


# -- merge keys ---------------------------------------------------------------

MERGED = "\n".join(
    [
        "base: &base",
        "  name: Poly",
        "  args: {poly_power: 0.9}",
        "run:",
        "  <<: *base",
        "  name: Decay",
        "",
    ]
)


def test_merge_key_merges_a_mapping_and_written_keys_win(libyaml):
    doc = load(MERGED, libyaml)
    assert doc.data["run"] == {"name": "Decay", "args": {"poly_power": 0.9}}
    assert doc.problems == []  # 'name' is written and merged: not a duplicate


def test_merged_values_keep_the_marks_where_they_are_written(libyaml):
    doc = load(MERGED, libyaml)
    assert doc.mark(("run", "args")) == doc.mark(("base", "args")) == (3, 9)
    assert doc.mark(("run", "args", "poly_power")) == (3, 22)
    assert doc.mark(("run", "args"), key=True) == (3, 3)
    assert doc.mark(("run", "args", "poly_power"), key=True) == (3, 10)
    assert (doc.mark(("run", "name")), doc.mark(("run", "name"), key=True)) == ((6, 9), (6, 3))
    assert doc.mark(("run",)) == (5, 3)


def test_merge_key_with_a_list_earlier_mappings_win(libyaml):
    doc = load("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n", libyaml)
    assert doc.data["c"] == {"x": 1, "y": 1, "z": 3}
    assert doc.problems == []
    assert (doc.mark(("c", "y")), doc.mark(("c", "y"), key=True)) == ((1, 17), (1, 14))
    assert (doc.mark(("c", "z")), doc.mark(("c", "z"), key=True)) == ((5, 6), (5, 3))


def test_merge_keys_nest_and_may_merge_inline_mappings(libyaml):
    doc = load("a: &a {x: 1, y: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: [*b, {z: 3, x: 4}]}\n", libyaml)
    assert doc.data["c"] == {"x": 1, "y": 2, "z": 3}
    assert doc.problems == []
    assert (doc.mark(("c", "x")), doc.mark(("c", "y")), doc.mark(("c", "z"))) == ((1, 11), (2, 19), (3, 18))


@pytest.mark.parametrize("key", ['"<<"', "'<<'"])
def test_quoted_or_tagged_merge_key_is_an_ordinary_key(libyaml, key):
    doc = load(f"a: &a {{x: 1}}\nb:\n  {key}: *a\n", libyaml)
    assert doc.data == {"a": {"x": 1}, "b": {"<<": {"x": 1}}}
    assert doc.problems == []


def test_written_keys_repeated_next_to_a_merge_key_are_duplicates(libyaml):
    doc = load("a: &a {x: 1}\nb: {<<: *a, x: 2, x: 3}\n", libyaml)
    assert doc.data["b"] == {"x": 3}
    (problem,) = doc.problems
    assert located(problem) == (2, 19, "$.b.x", "duplicate-key")
    assert problem.hint == "first defined at line 2:13"


def test_second_merge_key_is_a_duplicate_and_ignored(libyaml):
    doc = load("a: &a {x: 1}\nb:\n  <<: *a\n  <<: {y: 2}\n", libyaml)
    assert doc.data["b"] == {"x": 1}
    (problem,) = doc.problems
    assert located(problem) == (4, 3, "$.b", "duplicate-key")
    assert (problem.message, problem.hint) == ("duplicate key '<<'", "first defined at line 3:3")


@pytest.mark.parametrize(
    ("value", "column", "message"),
    [
        ("1", 9, "merge key '<<' takes a mapping or a list of mappings, got integer"),
        ("~", 9, "merge key '<<' takes a mapping or a list of mappings, got null"),
        ("x", 9, "merge key '<<' takes a mapping or a list of mappings, got string"),
        ("[*a, 2]", 14, "merge key '<<' takes a list of mappings, got integer"),
        ("[*a, [*a]]", 14, "merge key '<<' takes a list of mappings, got array"),
    ],
)
def test_merge_key_needs_mappings(libyaml, value, column, message):
    doc = load(f"a: &a {{x: 1}}\nb: {{<<: {value}, y: 2}}\n", libyaml)
    merged = {"x": 1} if value.startswith("[") else {}
    assert doc.data["b"] == {**merged, "y": 2}
    (problem,) = doc.problems
    assert located(problem) == (2, column, "$.b", "invalid-merge")
    assert problem.message == message


def test_tagged_merge_value_is_a_tag_problem(libyaml):
    doc = load("b: {<<: !foo {x: 1}, y: 2}\n", libyaml)
    assert doc.data == {"b": {"y": 2}}
    (problem,) = doc.problems
    assert located(problem) == (1, 9, "$.b", "yaml-tag")


def test_mapping_merging_itself_is_refused(libyaml):
    problem = error_of("a: &a {<<: *a}\n", libyaml)
    assert located(problem) == (1, 4, "$", "too-deep")
    assert problem.message == "recursive alias: a mapping merges itself"


def test_long_chain_of_merges_is_refused(libyaml):
    # Mappings under a refused tag are converted only when merged, so this chain is followed
    # at once, one merge inside another.
    chain = "".join(f", &a{i} {{<<: *a{i - 1}}}" for i in range(1, 100))
    text = f"t: !foo [&a0 {{x: 0}}{chain}]\nu: {{<<: *a99}}\n"
    problem = error_of(text, libyaml)
    assert located(problem) == (1, text.index("&a35 ") + 1, "$", "too-deep")
    assert problem.message == "merge keys nested deeper than 64 levels"


def test_mapping_merging_its_parent_is_refused(libyaml):
    problem = error_of("a: &a {b: {<<: *a}}\n", libyaml)
    assert located(problem) == (1, 11, "$", "too-deep")
    assert problem.message == "recursive alias: a collection contains an alias to itself"


# -- errors that stop parsing ------------------------------------------------


def test_second_document_is_an_error(libyaml):
    problem = error_of("a: 1\n---\nb: 2\n", libyaml)
    assert located(problem) == (2, 1, "$", "multiple-documents")
    assert problem.message == "found a second YAML document; a config file holds exactly one"


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("a: [1, 2\n", 2, 1),
        ("a: b: c\n", 1, 5),
        ('a: "x\n', 2, 1),
        ("a: 1\n b: 2\n", 2, 3),
        ("{a: 1}}", 1, 7),
        ("a: *nowhere\n", 1, 4),
        ("- a\nb: 1\n", 2, 1),
    ],
)
def test_syntax_errors(libyaml, text, line, column):
    problem = error_of(text, libyaml)
    assert located(problem) == (line, column, "$", "syntax")
    assert problem.message  # worded by PyYAML or libyaml, which differ


def test_syntax_error_is_not_read_again(libyaml):
    # Reading the text again (pure Python, slow) only serves libyaml's nesting-depth error.
    with mock.patch.object(yaml_source, "_first_too_deep_mark", side_effect=AssertionError("read again")):
        assert located(error_of("a: [1, 2\n" + "b: 1\n" * 1000, libyaml)) == (2, 2, "$", "syntax")


@pytest.mark.parametrize(
    ("problem", "expected"),
    [("maximum nesting depth exceeded", (1, 65, "$", "too-deep")), ("did not find expected node content", (1, 1001, "$", "syntax"))],
)
def test_libyaml_nesting_depth_error_is_too_deep(libyaml, problem, expected):
    class Refusing:  # as newer libyaml (PyYAML 6.0.4) refuses 1000 levels, before our limit is seen
        def __init__(self, text):
            pass

        def get_single_node(self):
            raise yaml.parser.ParserError("while parsing a flow node", None, problem, yaml.Mark("", 1000, 0, 1000, None, None))

        def dispose(self):
            pass

    with mock.patch.object(yaml_source, "_loader_class", lambda use_libyaml: Refusing):
        assert located(error_of("[" * 1000, libyaml)) == expected


def test_syntax_error_hint_names_the_context(libyaml):
    problem = error_of("steps: [1, 2\n", libyaml)
    assert problem.hint == "while parsing a flow sequence that starts at line 1:8"


@pytest.mark.parametrize(("char", "column"), [("\x07", 5), ("\x00", 5), ("\x7f", 5), ("\ud800", 5)])
def test_characters_yaml_forbids(libyaml, char, column):
    problem = error_of(f'é: "{char}"', libyaml)
    assert located(problem) == (1, column, "$", "syntax")
    assert problem.message == f"character U+{ord(char):04X} is not allowed in YAML"


def test_billion_laughs_is_refused_before_it_expands(libyaml):
    # 9**9 values if expanded; it stops after 100,000 repeated ones (about 0.1 s; no timed assertion).
    lines = ["a: &a [" + ", ".join(['"lol"'] * 9) + "]"]
    for name, previous in zip("bcdefghi", "abcdefgh"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    problem = error_of("\n".join(lines), libyaml)
    assert located(problem) == (1, 1, "$", "too-large")
    assert problem.message == "YAML aliases and merge keys repeat more than 100,000 values"


def test_values_without_aliases_count_only_against_the_node_limit(libyaml):
    assert (MAX_NODES, Budget.MAX_VALUES) == (200_000, 100_000)
    doc = load("[" + "0, " * 149_999 + "0]", libyaml)
    assert (len(doc.data), doc.problems) == (150_000, [])
    doc = load("[" + "0, " * (MAX_NODES - 2) + "0]", libyaml)  # the sequence and its items
    assert len(doc.data) == MAX_NODES - 1


def test_more_nodes_than_the_limit_are_refused_while_composing(libyaml):
    problem = error_of("- 0\n" * MAX_NODES, libyaml)
    assert located(problem) == (1, 1, "$", "too-large")
    assert (problem.message, problem.hint) == ("the document holds more than 200,000 values", "a config holds hundreds; keep data in files of its own")


def test_node_limit_counts_values_reached_through_aliases(libyaml):
    # Each '*a' repeats the list and its 999 items: 100 of them are exactly the limit, then one more.
    text = "x: &x 0\na: &a [" + "0, " * 998 + "0]\nb: [" + "*a, " * 99 + "*a]\n"
    assert len(load(text, libyaml).data["b"]) == 100
    assert error_of(text + "c: *x\n", libyaml).code == "too-large"


def test_node_limit_counts_merged_values_that_are_overridden(libyaml):
    # Merging 200 aliases of one mapping keeps 1,000 values and reads 199,000 more.
    big = "big: &big {" + ", ".join(f"k{i}: {i}" for i in range(1000)) + "}\n"
    assert len(load(big + "m: {<<: [" + "*big, " * 9 + "*big]}\n", libyaml).data["m"]) == 1000
    problem = error_of(big + "m: {<<: [" + "*big, " * 199 + "*big]}\n", libyaml)
    assert located(problem) == (1, 1, "$", "too-large")


@pytest.mark.parametrize(("text", "column"), [("&a [*a]", 1), ("a: &x {b: [*x]}", 4)])
def test_recursive_alias_is_refused(libyaml, text, column):
    problem = error_of(text, libyaml)
    assert located(problem) == (1, column, "$", "too-deep")
    assert problem.message == "recursive alias: a collection contains an alias to itself"


def test_nesting_up_to_max_depth_is_fine(libyaml):
    doc = load("[" * MAX_DEPTH + "]" * MAX_DEPTH, libyaml)
    assert doc.mark((0,) * (MAX_DEPTH - 1)) == (1, MAX_DEPTH)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("[" * 65 + "]" * 65, 1, 65),  # caught while converting
        ("[" * 65 + "1" + "]" * 65, 1, 65),  # caught while composing
        ("[" * 100_000, 1, 65),  # unclosed: libyaml's composer would crash the process
        ("- " * 65 + "x", 1, 129),
        ("".join(f"{' ' * i}k{i}:\n" for i in range(65)) + " " * 65 + "k: 1\n", 65, 65),
        # a63 holds a62 through an alias, and so on down to a0: with the root, 65 levels, the last being a0.
        ("a0: &a0 [1]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 70)), 1, 5),
    ],
)
def test_nesting_deeper_than_max_depth(libyaml, text, line, column):
    assert MAX_DEPTH == 64
    problem = error_of(text, libyaml)
    assert located(problem) == (line, column, "$", "too-deep")
    assert problem.message == "nesting deeper than 64 levels"


def test_integer_with_too_many_digits(libyaml):
    problem = error_of("n: " + "9" * 5000, libyaml)
    assert located(problem) == (1, 4, "$", "too-large")
    assert problem.message == "integer with 5000 digits is too long"


# -- properties --------------------------------------------------------------

# Restrictions for reading json.dumps output as YAML, where PyYAML and libyaml differ from JSON:
# - only the BMP without surrogates: json.dumps escapes other characters as \\ud83d\\ude00
#   surrogate pairs, which libyaml refuses (YAML escapes name code points, not UTF-16 units);
# - keys up to 100 characters: YAML allows an implicit key at most 1024 characters before its
#   ':', and json.dumps may spell a character as six (\\u1234).
_bmp_text = st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _bmp_text,
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)), max_size=100), children, max_size=5),
    max_leaves=30,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values)
def test_reads_json_as_json(libyaml, value):
    doc = load(json.dumps(value), libyaml)
    assert doc.data == value
    assert doc.problems == []


_YAML_ALPHABET = st.sampled_from(list("-?:,[]{}#&*!|>'\"%@` \t\n\r\\abc01.~e+x<\u00e9"))


@settings(max_examples=examples(300))
@given(text=st.one_of(st.text(), st.text(_YAML_ALPHABET)))
def test_any_text_parses_or_raises_config_error(libyaml, text):
    try:
        load(text, libyaml)
    except ConfigError:
        pass
