"""Hostile and broken input: every case is a ConfigError (or a problem from validate) with a
message and, where one exists, a location. Never a crash, never a hang."""

import os
import re
import shlex
import shutil
import subprocess
import sysconfig

import pytest
import yaml
from conftest import CONFIGS, ROOT

from lrpol import ConfigError, load, validate
from lrpol.document import MAX_FILE_BYTES

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
    assert [(p.code, p.line, p.column) for p in problems][0] == ("yaml-tag", 2, 14)
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
