"""The wheel carries the schemas and works outside the repository."""

import json
import os
import subprocess
import sys
import zipfile

import pytest
from conftest import CONFIGS, ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=600,
    )
    (path,) = out.glob("lrpol-*.whl")
    return path


def test_wheel_ships_the_schemas_and_no_tests(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"lrpol/schemas/lr_policy.schema.json", "lrpol/schemas/train_config.schema.json"} <= names
    assert not any(name.startswith(("tests/", "configs/")) for name in names)


def test_installed_wheel_validates_and_builds_outside_the_repo(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site), str(wheel)], check=True, timeout=300)
    config = tmp_path / "config.json"
    config.write_text((CONFIGS / "reduce_poly.json").read_text())
    code = (
        "import lrpol, lrpol.schema, json\n"
        "assert lrpol.__file__.startswith(%r), lrpol.__file__\n"
        "print(json.dumps([lrpol.validate('config.json'), repr(lrpol.load('config.json')),"
        " sorted(lrpol.schema.packaged('train_config.schema.json')['$defs'])]))\n" % str(site)
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [[], "ReducePoly(poly_power=0.9)", ["entry", "variable"]]


def test_every_public_name_is_importable_and_every_builtin_policy_is_public():
    import lrpol
    from lrpol.registry import builtin

    assert [name for name in lrpol.__all__ if not hasattr(lrpol, name)] == []
    assert set(builtin()) <= set(lrpol.__all__)
