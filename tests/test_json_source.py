"""parse_json: same data as json.loads, exact positions, and precise errors."""

from __future__ import annotations

import json
import math

import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from lrpol.document import MAX_DEPTH, MAX_LISTED_PROBLEMS
from lrpol.errors import ConfigError
from lrpol.json_source import MAX_CONTAINERS, parse_json

# Non-ASCII characters on lines 5 and 7 check that columns count characters, not bytes.
CONFIG = "\n".join(
    [
        "{",
        '  "train": {',
        '    "lr_policy": [',
        '      {"name": "Poly", "args": {"poly_power": 0.9}},',
        '      {"näme": "Décay", "args": {"raté": -1e-3}}',
        "    ],",
        '    "épochs": 10',
        "  }",
        "}",
    ]
)


def error_of(text: str):
    """The single problem of the ConfigError that parsing ``text`` raises."""
    with pytest.raises(ConfigError) as caught:
        parse_json(text, "c.json")
    (problem,) = caught.value.problems
    return problem


def test_data_of_a_config():
    assert parse_json(CONFIG, "c.json").data == {
        "train": {
            "lr_policy": [
                {"name": "Poly", "args": {"poly_power": 0.9}},
                {"näme": "Décay", "args": {"raté": -0.001}},
            ],
            "épochs": 10,
        }
    }


def value_marks(doc, paths):
    return {path: doc.mark(path) for path in paths}


def key_marks(doc, paths):
    return {path: doc.mark(path, key=True) for path in paths}


VALUE_MARKS = {
        (): (1, 1),
        ("train",): (2, 12),
        ("train", "lr_policy"): (3, 18),
        ("train", "lr_policy", 0): (4, 7),
        ("train", "lr_policy", 0, "name"): (4, 16),
        ("train", "lr_policy", 0, "args"): (4, 32),
        ("train", "lr_policy", 0, "args", "poly_power"): (4, 47),
        ("train", "lr_policy", 1): (5, 7),
        ("train", "lr_policy", 1, "näme"): (5, 16),
        ("train", "lr_policy", 1, "args"): (5, 33),
        ("train", "lr_policy", 1, "args", "raté"): (5, 42),
        ("train", "épochs"): (7, 15),
}


def test_value_marks_of_a_config():
    assert value_marks(parse_json(CONFIG, "c.json"), VALUE_MARKS) == VALUE_MARKS


def test_key_marks_of_a_config():
    expected = {
        ("train",): (2, 3),
        ("train", "lr_policy"): (3, 5),
        ("train", "lr_policy", 0, "name"): (4, 8),
        ("train", "lr_policy", 0, "args"): (4, 24),
        ("train", "lr_policy", 0, "args", "poly_power"): (4, 33),
        ("train", "lr_policy", 1, "näme"): (5, 8),
        ("train", "lr_policy", 1, "args"): (5, 25),
        ("train", "lr_policy", 1, "args", "raté"): (5, 34),
        ("train", "épochs"): (7, 5),
    }
    assert key_marks(parse_json(CONFIG, "c.json"), expected) == expected


def test_a_missing_path_points_at_the_key_of_its_nearest_ancestor():
    doc = parse_json(CONFIG, "c.json")
    assert doc.locate(("train", "lr_policy", 0, "args", "nope")) is None
    assert doc.mark(("train", "lr_policy", 0, "args", "nope")) == (4, 24)
    assert doc.locate(("train", "lr_policy", 7)) is None and doc.locate(("train", "lr_policy", "0")) is None


def test_a_character_outside_the_bmp_is_one_column():
    assert parse_json('["😀", 1]', None).mark((1,)) == (1, 7)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_cr_end_lines(newline):
    doc = parse_json(newline.join(["{", '  "a": [1,', "    2]", "}"]), None)
    assert doc.mark(("a", 1)) == (3, 5)
    assert doc.mark(("a",), key=True) == (2, 3)


def test_scalars_are_those_of_json_loads():
    doc = parse_json('[0, -0, 12, -3.5, 1E2, 2e-3, -0.0, true, false, null, "\\u00e9\\n"]', None)
    assert doc.data == [0, 0, 12, -3.5, 100.0, 0.002, -0.0, True, False, None, "é\n"]
    assert [type(v) for v in doc.data[:7]] == [int, int, int, float, float, float, float]
    assert doc.problems == []


def test_document_records_file():
    doc = parse_json("{}", "conf/a.json")
    assert doc.file == "conf/a.json"
    assert doc.data == {}


# -- problems that do not stop parsing ---------------------------------------


def test_duplicate_key_is_a_problem_and_the_last_value_wins():
    doc = parse_json('{\n  "a": {"x": 1},\n  "a": 2\n}', "c.json")
    assert doc.data == {"a": 2}
    (problem,) = doc.problems
    assert (problem.line, problem.column, problem.json_path) == (3, 3, "$.a")
    assert problem.message == "duplicate key 'a'"
    assert problem.hint == "first defined at line 2:3"
    assert problem.code == "duplicate-key"
    # Marks follow the value that won, as the data does.
    assert doc.mark(("a",)) == (3, 8)
    assert doc.mark(("a",), key=True) == (3, 3)


def test_many_duplicate_keys_are_listed_up_to_the_limit_and_counted():
    # 20k distinct keys plus 20k duplicates: the first 100 duplicates are listed, the rest counted.
    members = [f'"k{i}": {{"x": {i}}}' for i in range(20_000)] * 2
    doc = parse_json("{" + ", ".join(members) + "}", None)
    assert (len(doc.problems), doc.unlisted, doc.data["k7"]) == (MAX_LISTED_PROBLEMS, 20_000 - MAX_LISTED_PROBLEMS, {"x": 7})
    assert doc.problems[0].hint == "first defined at line 1:2"


def test_third_duplicate_points_at_the_first():
    doc = parse_json('{"k": 1, "k": 2, "k": 3}', None)
    assert doc.data == {"k": 3}
    assert [(p.column, p.hint) for p in doc.problems] == [(10, "first defined at line 1:2"), (18, "first defined at line 1:2")]


@pytest.mark.parametrize(
    ("word", "expected"),
    [("NaN", math.nan), ("Infinity", math.inf), ("-Infinity", -math.inf)],
)
def test_non_finite_constants_are_problems(word, expected):
    doc = parse_json(f'{{"lr": {word}}}', "c.json")
    value = doc.data["lr"]
    assert math.isnan(value) if math.isnan(expected) else value == expected
    (problem,) = doc.problems
    assert (problem.line, problem.column, problem.json_path, problem.code) == (1, 8, "$.lr", "non-finite")
    assert problem.message == f"{word} is not valid JSON"
    assert problem.hint == "use a finite number"


def test_number_too_large_for_a_float_is_a_problem():
    doc = parse_json("[1, 1e400, -1e400]", None)
    assert doc.data == [1, math.inf, -math.inf]
    assert [(p.column, p.message, p.code) for p in doc.problems] == [
        (5, "number 1e400 is too large for a float", "non-finite"),
        (12, "number -1e400 is too large for a float", "non-finite"),
    ]


# -- errors that stop parsing ------------------------------------------------

ERRORS = [
    # text, line, column, message, hint
    ('{"a": 1 "b": 2}', 1, 9, "expected ',' or '}' after an object member, found '\"'", ""),
    ('{"a": 1', 1, 8, "expected ',' or '}' after an object member, but the text ended", "the object that starts at line 1:1 is not closed"),
    ("[1, 2\n", 2, 1, "expected ',' or ']' after an array element, but the text ended", "the array that starts at line 1:1 is not closed"),
    ("[1 2]", 1, 4, "expected ',' or ']' after an array element, found '2'", ""),
    ('{\n  "x" 1\n}', 2, 7, "expected ':' after key 'x', found '1'", ""),
    ('{"a": "abc}', 1, 7, "unterminated string", "close it with '\"'"),
    ('{"a": "abc\n"}', 1, 11, "string not closed before the end of the line", "close it with '\"', or write a line break as \\n"),
    ('"a\tb"', 1, 3, "control character U+0009 in a string", "write it as \\u0009"),
    ('"a\\qb"', 1, 3, "invalid escape '\\\\q'", 'JSON escapes are \\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX'),
    ('"\\u12g4"', 1, 2, "invalid escape '\\\\u12g4'", "\\u needs four hex digits"),
    ('{"a": }', 1, 7, "expected a value, found '}'", ""),
    ("", 1, 1, "expected a value, but the text ended", ""),
    (" \n ", 2, 2, "expected a value, but the text ended", ""),
    ("True", 1, 1, "expected a value, found 'True'", "JSON literals are lowercase: did you mean true?"),
    ("[None]", 1, 2, "expected a value, found 'None'", "JSON literals are lowercase: did you mean null?"),
    ("[1] 2", 1, 5, "extra data after the JSON document", "a JSON file holds exactly one value"),
    ("{}\n{}", 2, 1, "extra data after the JSON document", "a JSON file holds exactly one value"),
    ('{"a": 1,\n}', 1, 8, "trailing comma before '}'", "JSON allows no trailing commas"),
    ("[1, 2, ]", 1, 6, "trailing comma before ']'", "JSON allows no trailing commas"),
    ("{'a': 1}", 1, 2, "single-quoted key", "JSON strings use double quotes"),
    ("[\"a\", 'b']", 1, 7, "single-quoted string", "JSON strings use double quotes"),
    ("{lr: 1}", 1, 2, "expected a key in double quotes or '}', found 'lr'", 'write the key in double quotes: "lr"'),
    ('{"a": 1, 2}', 1, 10, "expected a key in double quotes after ',', found '2'", ""),
    ('{\n  // learning rate\n  "lr": 1\n}', 2, 3, "comment in JSON", "JSON has no comments; use YAML for comments"),
    ("[1 /* one */]", 1, 4, "comment in JSON", "JSON has no comments; use YAML for comments"),
    ("[1]\n// end", 2, 1, "comment in JSON", "JSON has no comments; use YAML for comments"),
    ("[007]", 1, 2, "number with a leading zero", "JSON numbers cannot start with 0 unless they are 0 or 0.x"),
    ("[1.]", 1, 4, "expected a digit after '.', found ']'", ""),
    ("[.5]", 1, 2, "expected a value, found '.'", ""),
    ("[1e+]", 1, 5, "expected a digit in the exponent, found ']'", ""),
    ("[-]", 1, 3, "expected a digit after '-', found ']'", ""),
    ("[+1]", 1, 2, "expected a value, found '+'", ""),
    ("[1,\u00a02]", 1, 4, "expected a value, found U+00A0", ""),
    ("\ufeff{}", 1, 1, "expected a value, found U+FEFF", ""),
    ("[\u0661]", 1, 2, "expected a value, found '\u0661'", ""),
    # A number that stops early at the top level, where the parser calls what follows extra data.
    ("2.", 1, 3, "expected a digit after '.', but the text ended", ""),
    ("1.e5", 1, 3, "expected a digit after '.', found 'e5'", ""),
    ("1e", 1, 3, "expected a digit in the exponent, but the text ended", ""),
    ("01", 1, 1, "number with a leading zero", "JSON numbers cannot start with 0 unless they are 0 or 0.x"),
    ("-01", 1, 1, "number with a leading zero", "JSON numbers cannot start with 0 unless they are 0 or 0.x"),
]


@pytest.mark.parametrize(("text", "line", "column", "message", "hint"), ERRORS)
def test_syntax_errors(text, line, column, message, hint):
    problem = error_of(text)
    assert (problem.file, problem.line, problem.column, problem.json_path) == ("c.json", line, column, "$")
    assert (problem.message, problem.hint, problem.code) == (message, hint, "syntax")


def test_nesting_up_to_max_depth_is_fine():
    doc = parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH, None)
    assert doc.mark((0,) * (MAX_DEPTH - 1)) == (1, MAX_DEPTH)


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("[" * 65 + "]" * 65, 65),
        ('{"a":' * 65 + "1" + "}" * 65, 1 + 64 * 5),
        ("[" * 150_000, 65),  # would be a RecursionError without the depth limit
    ],
)
def test_nesting_deeper_than_max_depth(text, column):
    assert MAX_DEPTH == 64
    problem = error_of(text)
    assert (problem.line, problem.column, problem.code) == (1, column, "too-deep")
    assert problem.message == "nesting deeper than 64 levels"


def test_more_arrays_and_objects_than_the_limit_are_refused_before_parsing():
    assert MAX_CONTAINERS == 200_000
    # The limit itself, with brackets in strings, which do not count.
    doc = parse_json("[" + ",".join(['{"a": "[[{{"}'] * (MAX_CONTAINERS - 1)) + "]", None)
    assert len(doc.data) == MAX_CONTAINERS - 1
    problem = error_of("[" + ",".join(["[]"] * MAX_CONTAINERS) + "]")
    assert ((problem.line, problem.column), problem.code) == ((1, 1), "too-large")
    assert (problem.message, problem.hint) == ("the document holds more than 200,000 arrays and objects", "a config holds hundreds; keep data in files of its own")


def test_integer_with_too_many_digits():
    problem = error_of("[" + "9" * 5000 + "]")
    assert (problem.line, problem.column, problem.code) == (1, 2, "too-large")
    assert problem.message == "integer with 5000 digits is too long"


# -- properties --------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=30,
)


@given(json_values, st.sampled_from([None, 0, 2, "\t"]), st.booleans())
def test_data_equals_json_loads_of_dumps(value, indent, ensure_ascii):
    text = json.dumps(value, indent=indent, ensure_ascii=ensure_ascii)
    doc = parse_json(text, None)
    assert doc.data == value == json.loads(text)
    assert doc.problems == []
    assert doc.mark(()) == (1, 1)


_JSON_ALPHABET = st.sampled_from(list('{}[]",:-+.0123456789eE \t\n\r\\/ntrufalsNaIiy\'x\u00e9'))


@st.composite
def broken_json(draw):
    """Valid JSON with one character inserted, deleted or replaced: text near the accept/reject border."""
    text = json.dumps(draw(json_values))
    at = draw(st.integers(0, len(text)))
    edit = draw(st.sampled_from(["insert", "delete", "replace"]))
    char = draw(_JSON_ALPHABET)
    if edit == "insert":
        return text[:at] + char + text[at:]
    if edit == "delete":
        return text[:at] + text[at + 1 :]
    return text[:at] + char + text[at + 1 :]


@settings(max_examples=examples(500))
@given(st.one_of(st.text(), st.text(_JSON_ALPHABET), broken_json()))
def test_accepts_exactly_what_json_loads_accepts(text):
    try:
        expected = json.loads(text)
    except ValueError:  # JSONDecodeError, or an integer too long to convert
        with pytest.raises(ConfigError):
            parse_json(text, None)
        return
    doc = parse_json(text, None)
    # repr, because NaN != NaN; json.loads also accepts NaN and duplicate keys, which we report as problems.
    assert repr(doc.data) == repr(expected)
