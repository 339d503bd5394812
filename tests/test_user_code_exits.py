"""Plugins and ``path`` modules whose import or constructor calls sys.exit(): a problem like any
other failure of user code, never a silent end of the run. KeyboardInterrupt still stops it."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

from lrpol import ConfigError, build, registry, validate

ENTRY_POINTS = """\
[lrpol.policies]
ExitOnImport = lrpol_exit_on_import:Policy
ExitOnBuild = lrpol_exit_user_code:ExitOnBuild
InterruptOnImport = lrpol_interrupt_on_import:Policy
"""

MODULES = {
    "lrpol_exit_on_import.py": "import sys\nsys.exit(0)\n",
    "lrpol_interrupt_on_import.py": "raise KeyboardInterrupt\n",
    "lrpol_exit_user_code.py": textwrap.dedent("""\
        import sys
        from lrpol import LRPolicy

        class ExitOnBuild(LRPolicy):
            def __init__(self, code=3):
                sys.exit(code)

            def evaluate(self, ctx):
                return ctx.initial_lr
        """),
}


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A directory on sys.path holding an installed distribution with the plugins above."""
    site = tmp_path / "site"
    dist = site / "lrpol_exit_demo-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: lrpol-exit-demo\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(ENTRY_POINTS)
    for name, text in MODULES.items():
        (site / name).write_text(text)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(registry, "_policies", dict(registry._policies))
    monkeypatch.setattr(registry, "_pending_plugins", None)
    monkeypatch.setattr(registry, "_broken_plugins", {})
    yield site
    for module in ("lrpol_exit_on_import", "lrpol_exit_user_code", "lrpol_interrupt_on_import"):
        sys.modules.pop(module, None)


def only(problems):
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def test_a_plugin_that_exits_on_import_is_a_plugin_error(site):
    problem = only(validate({"name": "ExitOnImport"}))
    assert (problem.json_path, problem.code, problem.message) == (
        "$.name", "plugin-error", "plugin policy 'ExitOnImport' failed to load: lrpol_exit_on_import:Policy: SystemExit: 0",
    )
    with pytest.raises(ConfigError, match="failed to load: lrpol_exit_on_import:Policy: SystemExit: 0"):
        build({"name": "ExitOnImport"})


def test_the_cli_reports_a_plugin_that_exits_on_import_and_exits_1(site, tmp_path):
    config = tmp_path / "x.json"
    config.write_text(json.dumps({"name": "ExitOnImport"}))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(site)])}
    result = subprocess.run([sys.executable, "-m", "lrpol", "validate", str(config)], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1
    assert result.stdout == f"{config}:1:10: $.name: plugin policy 'ExitOnImport' failed to load: lrpol_exit_on_import:Policy: SystemExit: 0\n"
    assert result.stderr == "1 file(s) checked, 1 with problems\n"


def test_a_constructor_that_exits_is_a_refusal(site):
    problem = only(validate({"name": "ExitOnBuild", "args": {"code": 3}}))
    assert (problem.json_path, problem.code, problem.message) == ("$.args", "rejected", "ExitOnBuild rejected its arguments: SystemExit: 3")
    with pytest.raises(ConfigError, match="ExitOnBuild rejected its arguments: SystemExit: 3"):
        build({"path": "lrpol_exit_user_code.ExitOnBuild"}, allow_paths=["lrpol_exit_user_code"])


def test_a_path_module_that_exits_on_import_is_an_import_error(site):
    with pytest.raises(ConfigError) as info:
        build({"path": "lrpol_exit_on_import.Policy"}, allow_paths=["lrpol_exit_on_import"])
    problem = only(info.value.problems)
    assert (problem.json_path, problem.code, problem.message) == (
        "$.path", "import-error", "cannot import module 'lrpol_exit_on_import': SystemExit: 0",
    )


def test_the_cli_preview_reports_a_path_module_that_exits_on_import(site, tmp_path):
    config = tmp_path / "run.json"
    config.write_text(json.dumps({"epochs": 2, "learning_rate": 0.1, "train": {"lr_policy": {"path": "lrpol_exit_on_import.Policy"}}}))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(site)])}
    result = subprocess.run(
        [sys.executable, "-m", "lrpol", "preview", "--allow-path", "lrpol_exit_on_import", str(config)], capture_output=True, text=True, env=env, timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr == f"{config}:1:69: $.train.lr_policy.path: cannot import module 'lrpol_exit_on_import': SystemExit: 0\n"


def test_keyboard_interrupt_in_a_plugin_still_stops_the_run(site):
    with pytest.raises(KeyboardInterrupt):
        validate({"name": "InterruptOnImport"})
