"""Hostile and broken input: every case is a ConfigError (or a problem from validate) with a
message and, where one exists, a location. Never a crash, never a hang."""

import itertools
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tracemalloc

import pytest
import yaml
from conftest import CONFIGS, ROOT, examples
from hypothesis import given, settings
from hypothesis import strategies as st

from lrpol import ConfigError, build, load, validate
from lrpol.arguments import Argument, ArgumentError
from lrpol.document import MAX_FILE_BYTES, MAX_LISTED_PROBLEMS, Budget
from lrpol.yaml_source import parse_yaml

BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)


def only(problems):
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


@pytest.mark.parametrize(
    "name, content, code, mark, message",
    [
        ("laughs.yaml", BILLION_LAUGHS, "too-large", (1, 1), "YAML aliases and merge keys repeat more than 100,000 values"),
        ("deep.json", "[" * 100 + "]" * 100, "too-deep", (1, 65), "nesting deeper than 64 levels"),
        ("deep.yaml", "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 70)), "too-deep", None, "nesting deeper than 64 levels"),
        ("latin1.json", '{"name": "R\xe9duce"}'.encode("latin-1"), "encoding", (1, 12), "not UTF-8 text: byte 0xe9 cannot be decoded"),
        ("garbage.yaml", bytes(range(256)) * 4, "encoding", None, "not UTF-8 text"),
        ("nul.json", b'{"name": "ReducePoly"\x00}', "syntax", (1, 22), ""),
        ("two.yaml", "name: ReducePoly\n---\nname: ReduceCosine\n", "multiple-documents", (2, 1), "found a second YAML document"),
        ("tag.yaml", "name: !!python/object/apply:os.system ['true']\n", "yaml-tag", (1, 7), "YAML tags are not allowed"),
        ("key.yaml", "name: ReducePoly\nargs: {1: 0.9}\n", "non-string-key", (2, 8), "keys must be strings, got integer 1"),
        ("empty.yaml", "", "empty", (1, 1), "file is empty"),
    ],
)
def test_hostile_input_is_a_located_config_error(tmp_path, name, content, code, mark, message):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    problems = validate(path)
    problem = next(p for p in problems if p.code == code)
    assert message in problem.message
    assert problem.file == str(path)
    if mark is not None:
        assert (problem.line, problem.column) == mark
    else:
        assert problem.line is not None
    with pytest.raises(ConfigError):
        load(path)


def test_billion_laughs_is_refused_before_it_expands(tmp_path):
    # No timing assertion (timed tests are flaky); the expansion would need 10**9 values, so
    # finishing at all shows it was cut off early.
    path = tmp_path / "laughs.yaml"
    path.write_text(BILLION_LAUGHS)
    assert only(validate(path)).code == "too-large"


def test_files_over_the_size_limit_are_refused_unread(tmp_path):
    path = tmp_path / "huge.json"
    path.write_bytes(b'{"pad": "' + b"x" * MAX_FILE_BYTES + b'"}')
    problem = only(validate(path))
    assert (problem.code, problem.message) == ("too-large", "file is larger than the 4 MiB limit for configs")


def test_safe_load_would_differ_and_we_never_construct(tmp_path):
    marker = tmp_path / "pwned"
    text = f"train:\n  lr_policy: !!python/object/apply:os.system ['touch {marker}']\n"
    with pytest.raises(yaml.YAMLError):  # PyYAML's safe loader refuses it too...
        yaml.safe_load(text)
    path = tmp_path / "evil.yaml"
    path.write_text(text)
    problems = validate(path)  # ...and we report it with its place, and run nothing
    assert (problems[0].code, problems[0].line, problems[0].column) == ("yaml-tag", 2, 14)
    assert not marker.exists()


# -- the pre-commit hook ----------------------------------------------------------------------

def test_pre_commit_hook_entry_runs_on_the_bundled_configs():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "lrpol-validate" and hook["language"] == "python"
    files = sorted(str(p.relative_to(ROOT)) for p in CONFIGS.iterdir())
    assert all(re.search(hook["files"], name) for name in files)
    assert not re.search(hook["files"], "package.json")
    command = shlex.split(hook["entry"])
    executable = shutil.which(command[0]) or os.path.join(sysconfig.get_path("scripts"), command[0])
    result = subprocess.run([executable, *command[1:], *files], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout) == (0, "")
    broken = subprocess.run([executable, *command[1:], "-"], input="name: ReducePloy\n", cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert broken.returncode == 1 and "did you mean 'ReducePoly'?" in broken.stdout


# -- hostile inputs that once escaped, hung or blew up: each ends in a problem ---------------------


def write_both(tmp_path, name: str, data: dict) -> list:
    """``data`` as a JSON file and as a YAML file; returns both paths."""
    json_path, yaml_path = tmp_path / f"{name}.json", tmp_path / f"{name}.yaml"
    json_path.write_text(json.dumps(data))
    yaml_path.write_text(yaml.safe_dump(data, width=1_000_000))
    return [json_path, yaml_path]


def peak_memory_of(call) -> tuple[object, int]:
    """(what ``call()`` returns, the peak of Python allocations during it, in bytes)."""
    tracemalloc.start()
    try:
        return call(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_expansion_is_refused_before_the_string_is_built(tmp_path):
    # 20,000 references to a 60,000-character variable would make a 1.2 GB string.
    config = {"a": "x" * 60_000, "train": {"lr_policy": {"name": "ReducePoly", "args": {"poly_power": "{a}" * 20_000}}}}
    for path in write_both(tmp_path, "expansion", config):
        problems, peak = peak_memory_of(lambda: validate(path))  # noqa: B023
        problem = only(problems)
        assert (problem.json_path, problem.code) == ("$.train.lr_policy.args.poly_power", "too-large")
        assert problem.message == "substituting variables makes a string of more than 65,536 characters"
        assert peak < 20 * 2**20, peak


def test_many_expanded_strings_spend_one_budget(tmp_path):
    # Each string stays under the per-string cap; together they pass the document's 4 MiB.
    count = 3_000
    config = {"a": "x" * 1_000, "train": {"lr_policy": {"name": "MultiStepDecay", "args": {"gamma": 0.5, "milestones": ["{a}{a}"] * count}}}}
    for path in write_both(tmp_path, "strings", config):
        problems = validate(path)
        first_refused = Budget.MAX_CHARACTERS // 2_000  # the string that passes 4 MiB
        assert problems[0].json_path == f"$.train.lr_policy.args.milestones[{first_refused}]"
        assert problems[0].message == "substituting variables makes more than 4,194,304 characters of text"
        assert (len(problems), problems[-1].code) == (MAX_LISTED_PROBLEMS + 1, "too-many-problems")
        # Past the listed ones: the other refused strings, and milestones[0], a string, not an integer.
        unlisted = count - first_refused - MAX_LISTED_PROBLEMS + 1
        assert problems[-1].message == f"{unlisted:,} more problem(s) from here on are not listed (only the first 100 are)"


def test_a_huge_integer_variable_spliced_into_a_string_is_a_problem():
    entry = {"name": "ReducePoly", "args": {"poly_power": "{n}.5"}}
    problem = only(validate(entry, variables={"n": 10**5000}))
    assert (problem.json_path, problem.code) == ("$.args.poly_power", "too-large")
    assert problem.message == "variable 'n' is an integer too long to write into a string"


@pytest.mark.parametrize("members", [3_000, 6_000])
def test_merge_keys_spend_the_alias_budget(tmp_path, members):
    # Each {<<: *A} copies A's members: 3,000 x 3,000 copies once took seconds and gigabytes.
    text = "a: &A {" + ", ".join(f"k{i}: 0" for i in range(members)) + "}\nb: {<<: [" + ", ".join(["{<<: *A}"] * members) + "]}\n"
    path = tmp_path / "merges.yaml"
    path.write_text(text)
    problems, peak = peak_memory_of(lambda: validate(path))
    problem = only(problems)
    assert ((problem.line, problem.column), problem.code) == ((1, 1), "too-large")
    assert problem.message == "YAML aliases and merge keys repeat more than 100,000 values"
    assert peak < 100 * 2**20, peak


@pytest.mark.parametrize("literal", ["0x" + "f" * 3_600, "0o" + "7" * 4_800])
def test_hex_and_octal_integers_longer_than_python_prints_are_refused(tmp_path, literal):
    path = tmp_path / "big.yaml"
    path.write_text(f"epochs: 1\nname: ReducePoly\nargs: {{poly_power: {literal}}}\n")
    problem = only(validate(path))
    assert ((problem.line, problem.column), problem.code) == ((3, 20), "too-large")
    assert problem.message == f"integer with more than {sys.get_int_max_str_digits()} digits is too long"


def nested_warmups(levels: int) -> dict:
    entry: dict = {"name": "Constant"}
    for _ in range(levels):
        entry = {"name": "Warmup", "args": {"duration": 1, "policy": entry}}
    return entry


def cyclic_entry() -> dict:
    entry: dict = {"name": "Warmup", "args": {"duration": 1}}
    entry["args"]["policy"] = entry
    return entry


def shared_bomb() -> dict:
    # 30 levels of a list holding the same list twice: a DAG of 30 lists, a tree of 2**30 values.
    items: list = [0.5]
    for _ in range(30):
        items = [items, items]
    return {"name": "MultiStepDecay", "args": {"gamma": 0.5, "milestones": items}}


@pytest.mark.parametrize(
    ("make", "code", "json_path", "message"),
    [
        (lambda: nested_warmups(250), "too-deep", "$" + ".args.policy" * 32, "nesting deeper than 64 levels"),
        (cyclic_entry, "cycle", "$.args.policy", "the mapping contains itself (a cycle)"),
        (shared_bomb, "too-large", "$", "the mapping holds more than 200,000 values (a shared container counts each time it appears)"),
    ],
)
def test_mappings_built_in_code_have_the_limits_of_files(make, code, json_path, message):
    problem = only(validate(make()))
    assert (problem.code, problem.json_path, problem.message) == (code, json_path, message)
    with pytest.raises(ConfigError) as caught:
        build(make())
    assert caught.value.problems == (problem,)


@pytest.mark.parametrize("char", ["\x85", "\u2028", "\u2029"])
def test_yaml_1_1_line_breaks_are_refused_where_they_stand(tmp_path, char):
    # PyYAML and libyaml read them as line breaks: in a comment, the rest became YAML.
    path = tmp_path / "breaks.yaml"
    path.write_text(f"name: ReducePoly\n# a comment{char}with more\nargs: {{poly_power: 0.9}}\n", encoding="utf-8")
    problem = only(validate(path))
    assert ((problem.line, problem.column), problem.code) == ((2, 12), "syntax")
    assert problem.message == f"character U+{ord(char):04X} is not allowed in YAML"


def test_those_characters_are_fine_in_json_strings(tmp_path):
    path = tmp_path / "breaks.json"
    path.write_text('{"name": "ReducePoly", "args": {"poly_power": 0.9}, "$schema": "a\u2028b"}', encoding="utf-8")
    assert validate(path) == []


def test_problems_past_the_listing_limit_are_counted_in_a_last_line(tmp_path):
    args = {f"decay_rato{i}": 0.5 for i in range(MAX_LISTED_PROBLEMS + 50)}
    path = tmp_path / "many.json"
    path.write_text(json.dumps({"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": 2, **args}}, indent=1))
    problems = validate(path)
    assert len(problems) == MAX_LISTED_PROBLEMS + 1
    assert problems[0].hint == "did you mean 'decay_ratio'?"
    last = problems[-1]
    assert (last.code, last.message) == ("too-many-problems", "50 more problem(s) from here on are not listed (only the first 100 are)")
    assert (last.line, last.column) == (6 + MAX_LISTED_PROBLEMS, 3)  # where the first unlisted one is


def test_too_deep_yaml_after_many_items_is_marked_without_reading_it_again_in_python(tmp_path):
    # libyaml (PyYAML >= 6.0.4) refuses 1000 flow levels in its scanner, before our composer
    # sees any of them; the events before it and the brackets after say where level 65 is.
    path = tmp_path / "deep.yaml"
    path.write_text("- 0\n" * 50_000 + "- " + "[" * 2_000 + "\n")
    problem = only(validate(path))
    assert ((problem.line, problem.column), problem.code, problem.message) == ((50_001, 66), "too-deep", "nesting deeper than 64 levels")


@settings(max_examples=examples(3000), deadline=None)
@given(
    st.sampled_from([Argument("m", int, "", ge=1, many=True, increasing=True), Argument("f", float, "", gt=0, le=1, many=True), Argument("g", float, "", many=True)]),
    st.lists(st.one_of(st.integers(-(2**54), 2**54), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.just(-0.0), st.just(10**400)), max_size=6),
)
def test_a_list_checked_in_bulk_is_checked_as_item_by_item(argument, values):
    # Long lists of plain numbers are checked by their extremes; the result must not differ.
    def one_by_one():
        items = tuple(argument.check_item(value, index) for index, value in enumerate(values))
        if argument.increasing and any(b <= a for a, b in itertools.pairwise(items)):
            raise ArgumentError(argument.name, "must be strictly increasing")
        return items

    try:
        expected = one_by_one()
    except ArgumentError as error:
        with pytest.raises(ArgumentError) as caught:
            argument.check(values)
        assert caught.value.index == error.index
        if error.index is not None:
            assert str(caught.value) == str(error)
        return
    checked = argument.check(values)
    assert checked == expected and [type(v) for v in checked] == [type(v) for v in expected]
    assert [math.copysign(1, v) for v in checked] == [math.copysign(1, v) for v in expected]


# -- found by attacking the readers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "mark"),
    [
        (b'{\r"a": 1,\r"b": "\xff"}', (3, 7)),  # a lone \r ends a line, as everywhere else
        (b'\xef\xbb\xbf{"a": "\xff"}', (1, 8)),  # after a byte-order mark: the bad byte itself
    ],
)
def test_bytes_that_are_not_utf8_are_placed_exactly(tmp_path, raw, mark):
    path = tmp_path / "bytes.json"
    path.write_bytes(raw)
    problem = only(validate(path))
    assert ((problem.line, problem.column), problem.code, problem.message) == (mark, "encoding", "not UTF-8 text: byte 0xff cannot be decoded")


@pytest.mark.parametrize(
    ("text", "mark"),
    [
        ("a: &f  # a comment\n  ! 5\n", (1, 4)),  # '!' after an anchor and a comment
        ("a: &x\n  #c\n  ! 5\n", (1, 4)),
        ("a: ! # c\n  k: v\n", (1, 4)),  # on a block mapping, its line ended by a comment
        ("a: ! &x\n  - 1\n", (1, 4)),
        ("a: [! x, 2]\n", (1, 5)),
    ],
)
def test_the_bare_tag_is_found_wherever_the_properties_put_it(text, mark):
    problem = only(parse_yaml(text, "bang.yaml").problems)
    assert ((problem.line, problem.column), problem.code, problem.message) == (mark, "yaml-tag", "YAML tags are not allowed (found '!')")


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("[a#b, " + "[" * 1100 + "]" * 1101, 70),  # '#' in a plain scalar is no comment
        ("[http://x/#a, " + "[" * 1100 + "]" * 1101, 78),
        ("[it's, " + "[" * 70 + "don't, " + "[" * 1100 + "]" * 1171, 71),  # quotes inside plain scalars
        ('[a"b, ' + "[" * 70 + ' c"d, ' + "[" * 1100 + "]" * 1171, 70),
        ("[" * 10 + "a: " + "[" * 1100, 67),  # the one-pair mapping 'a: [' is a level too
    ],
)
def test_flow_nesting_past_the_parsers_own_limit_is_placed_exactly(tmp_path, text, column):
    # libyaml from 0.2.5 refuses 1000 flow levels before any event of them comes out.
    path = tmp_path / "flow.yaml"
    path.write_text(text)
    problem = only(validate(path))
    assert ((problem.line, problem.column), problem.code) == ((1, column), "too-deep")


def test_one_alias_key_does_not_make_every_alias_be_read_again(tmp_path):
    # The places of alias keys are found by reading the events again, but only when one is
    # needed; here the alias budget stops the file first.
    path = tmp_path / "aliases.yaml"
    path.write_text("a: &a x\nb: [" + "*a, " * 150_000 + "{*a : 1}]\n")
    problem = only(validate(path))
    assert (problem.code, problem.message) == ("too-large", "YAML aliases and merge keys repeat more than 100,000 values")


def test_file_names_that_are_not_utf8_or_hold_line_breaks_stay_one_line(tmp_path):
    directory = tmp_path / "configs"
    directory.mkdir()
    for name in (b"x\xff.json", b"a\nb.json"):
        (directory / os.fsdecode(name)).write_text('{"name": "Nope"}')
    for output in ("text", "github"):
        result = subprocess.run([sys.executable, "-m", "lrpol", "validate", "--format", output, str(directory)], capture_output=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"}, timeout=120, check=False)
        lines = result.stdout.decode().splitlines()
        assert result.returncode == 1 and len(lines) == 2, result.stderr
        assert any("a\\u000ab.json" in line for line in lines) and any("x\\udcff.json" in line for line in lines)
