"""The wheel carries the schemas, py.typed and the licence, and works outside the repository."""

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from email.parser import HeaderParser

import pytest
from conftest import CONFIGS, ROOT

import lrpol

# The Apache License 2.0 as published (LICENSE-2.0.txt), byte for byte.
APACHE_2_0_MD5 = "3b83ef96387f14655fc854ddc3c6bd57"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=600,
    )
    (path,) = out.glob("lrpol-*.whl")
    return path


def test_wheel_ships_the_schemas_py_typed_and_the_licence_and_no_tests(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    info = f"lrpol-{lrpol.__version__}.dist-info"
    assert {"lrpol/schemas/lr_policy.schema.json", "lrpol/schemas/train_config.schema.json", "lrpol/py.typed", f"{info}/licenses/LICENSE"} <= names
    assert not any(name.startswith(("tests/", "configs/", "benchmarks/")) for name in names)


def test_wheel_metadata_has_the_one_version_and_the_declared_licence(wheel):
    with zipfile.ZipFile(wheel) as archive:
        metadata = HeaderParser().parsestr(archive.read(f"lrpol-{lrpol.__version__}.dist-info/METADATA").decode())
    assert (metadata["Version"], metadata["License-Expression"], metadata["License-File"]) == (lrpol.__version__, "Apache-2.0", "LICENSE")


def test_licence_file_is_the_apache_2_0_text_the_metadata_declares(wheel):
    with zipfile.ZipFile(wheel) as archive:
        shipped = archive.read(f"lrpol-{lrpol.__version__}.dist-info/licenses/LICENSE")
    assert shipped == (ROOT / "LICENSE").read_bytes()
    assert hashlib.md5(shipped).hexdigest() == APACHE_2_0_MD5


def test_installed_wheel_validates_and_builds_outside_the_repo(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site), str(wheel)], check=True, timeout=300)
    config = tmp_path / "config.json"
    config.write_text((CONFIGS / "reduce_poly.json").read_text())
    code = (
        "import importlib.metadata, json, lrpol, lrpol.schema\n"
        f"assert lrpol.__file__.startswith({str(site)!r}), lrpol.__file__\n"
        "print(json.dumps([lrpol.validate('config.json'), repr(lrpol.load('config.json')),"
        " sorted(lrpol.schema.packaged('train_config.schema.json')['$defs']),"
        " importlib.metadata.version('lrpol'), lrpol.__version__]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [[], "ReducePoly(poly_power=0.9)", ["entry", "scheduler", "torch_scheduler", "variable"], lrpol.__version__, lrpol.__version__]


def test_every_public_name_is_importable_and_every_builtin_policy_is_public():
    import lrpol
    from lrpol.registry import builtin

    assert [name for name in lrpol.__all__ if not hasattr(lrpol, name)] == []
    assert set(builtin()) <= set(lrpol.__all__)
