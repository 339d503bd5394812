"""How the suite itself behaves: --no-skips turns every skip red, a run without tests fails,
the hypothesis profile follows $CI, third-party deprecations are hidden and ours shown, and
without the optional extras every test collects and the skips name the extra to install."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from conftest import ROOT

CONFTEST = (ROOT / "tests" / "conftest.py").read_text(encoding="utf-8")


def run_pytest(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """pytest in a fresh interpreter, in ``project``, with our conftest and no other config."""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", *args]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A small project: a passing test, a skipped test, a module skipped at collection and a
    skipped doctest in a package outside tests/ (where a conftest's per-node hooks do not reach)."""
    files = {
        "pytest.ini": "[pytest]\ntestpaths = tests pkg\naddopts = --doctest-modules\n",
        "tests/conftest.py": CONFTEST,
        "tests/test_some.py": """
            import pytest

            def test_passes():
                assert 1 + 1 == 2

            def test_skips():
                pytest.skip("needs the 'torch' extra: pip install 'lrpol[torch]'")
        """,
        "tests/test_whole_module.py": """
            import pytest

            pytest.importorskip("no_such_module_anywhere", reason="needs the 'keras' extra: pip install 'lrpol[keras]'")
        """,
        "pkg/__init__.py": "",
        "pkg/doc.py": '''
            def double(x):
                """>>> double(2)  # doctest: +SKIP
                4
                """
                return 2 * x
        ''',
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def test_skips_pass_without_no_skips(project: Path) -> None:
    result = run_pytest(project)
    assert result.returncode == 0, result.stdout
    assert re.search(r"^1 passed, \d+ skipped in", result.stdout, flags=re.M), result.stdout


def test_no_skips_fails_the_run_and_lists_every_skip(project: Path) -> None:
    result = run_pytest(project, "--no-skips")
    assert result.returncode == 1, result.stdout
    section = result.stdout.split("--no-skips: 3 skipped, which fails this run", 1)[1].split("\n=", 1)[0]
    assert section.strip("= \n").splitlines() == [
        "SKIPPED pkg/doc.py::pkg.doc.double: all tests skipped by +SKIP option",
        "SKIPPED tests/test_some.py::test_skips: needs the 'torch' extra: pip install 'lrpol[torch]'",
        "SKIPPED tests/test_whole_module.py: needs the 'keras' extra: pip install 'lrpol[keras]'",
    ]


def test_no_skips_passes_a_run_without_skips(project: Path) -> None:
    result = run_pytest(project, "--no-skips", "tests/test_some.py::test_passes")
    assert result.returncode == 0, result.stdout


def test_a_run_that_collects_no_tests_exits_5_also_with_no_skips(project: Path) -> None:
    result = run_pytest(project, "--no-skips", "-k", "no_test_has_this_name")
    assert result.returncode == pytest.ExitCode.NO_TESTS_COLLECTED == 5, result.stdout


def test_hypothesis_profile_follows_ci(project: Path) -> None:
    (project / "tests" / "test_profile.py").write_text(textwrap.dedent("""
        from conftest import examples
        from hypothesis import settings

        def test_show():
            print(f"profile max_examples={settings.default.max_examples} examples(1500)={examples(1500)}")
    """), encoding="utf-8")
    shown = {}
    for ci in ("true", ""):
        result = run_pytest(project, "-s", "tests/test_profile.py", env={"CI": ci})
        line = re.search(r"profile .*", result.stdout)
        assert line, result.stdout
        shown[ci] = line.group()
    assert shown == {"true": "profile max_examples=100 examples(1500)=1500", "": "profile max_examples=10 examples(1500)=150"}


def test_third_party_deprecations_are_hidden_and_ours_shown() -> None:
    # The filters of pyproject.toml are in force inside every test.
    with warnings.catch_warnings(record=True) as caught:
        warnings.warn_explicit("old keras API", DeprecationWarning, "keras/src/core.py", 1, module="keras.src.core")
        warnings.warn_explicit("old torch API", PendingDeprecationWarning, "torch/jit/_script.py", 1, module="torch.jit._script")
        warnings.warn_explicit("old lrpol argument", DeprecationWarning, "lrpol/config.py", 1, module="lrpol.config")
        warnings.warn_explicit("a test used an old API", PendingDeprecationWarning, "tests/test_x.py", 1, module="test_x")
        warnings.warn_explicit("not a deprecation", UserWarning, "keras/src/core.py", 1, module="keras.src.core")
    assert [str(w.message) for w in caught] == ["old lrpol argument", "a test used an old API", "not a deprecation"]


BLOCK_EXTRAS = """\
# Make every optional extra look uninstalled, as on a fresh machine with only '.[test]'.
import sys

for name in ("torch", "ignite", "keras", "matplotlib", "check_jsonschema", "optax", "jax", "lightning", "transformers", "monai"):
    sys.modules[name] = None
"""


def test_without_the_extras_everything_collects_and_skips_name_the_extra(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(BLOCK_EXTRAS, encoding="utf-8")
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    collected = run_pytest(ROOT, "--collect-only", env=env)
    assert collected.returncode == 0, collected.stdout
    assert re.search(r"^\d+ tests collected in [\d.]+s$", collected.stdout, flags=re.M), collected.stdout  # no "errors"
    # One test per way a test depends on an extra: a whole module, one test, a doctest, a tool.
    chosen = ["tests/test_integration_doctests.py", "tests/test_torch_parity.py", "tests/test_keras.py", "tests/test_ignite.py", "tests/test_cli_tools.py::test_preview_plot_is_a_real_png_of_the_right_size", "tests/test_schema.py::test_check_jsonschema_rejects_a_typo"]
    result = run_pytest(ROOT, *chosen, env=env)
    assert result.returncode == 0, result.stdout
    skipped = sorted(set(re.findall(r"^SKIPPED \[\d+\] ([^:]+):\d+: (.*)$", result.stdout, flags=re.M)))
    torch = "needs the 'torch' extra: pip install 'lrpol[torch]'"
    assert skipped == [
        ("tests/test_cli_tools.py", "needs the 'plot' extra: pip install 'lrpol[plot]'"),
        ("tests/test_ignite.py", torch),
        ("tests/test_integration_doctests.py", "needs the 'optax' extra: pip install 'lrpol[optax]'"),
        ("tests/test_integration_doctests.py", torch),
        ("tests/test_keras.py", torch),
        ("tests/test_schema.py", "needs the 'dev' extra (check_jsonschema): pip install 'lrpol[dev]'"),
        ("tests/test_torch_parity.py", torch),
    ]
