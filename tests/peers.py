"""The peer libraries lrpol's schedules are checked against, imported for the tests that need them.

Each helper imports its peer or skips the test with a reason that says how to install it.
timm is special: ``import timm`` imports torchvision, whose wheel must match torch exactly, yet
its schedulers (``timm/scheduler/*.py``) need torch alone. So timm is installed without its
dependencies (``pip install --no-deps timm``) and its scheduler package is loaded by itself.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
import types
from types import ModuleType

import pytest
from conftest import requires_extra

TIMM_REASON = "needs timm's schedulers (and the 'torch' extra): pip install --no-deps timm"


def timm_scheduler() -> ModuleType:
    """``timm.scheduler``, loaded without ``timm/__init__.py`` (and so without torchvision), or a skip."""
    __tracebackhide__ = True
    requires_extra("torch")
    if "timm.scheduler" in sys.modules:
        return sys.modules["timm.scheduler"]
    try:
        package = importlib.metadata.distribution("timm").locate_file("timm")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(TIMM_REASON)
    # An empty package named timm that finds its submodules in the installed wheel: the
    # schedulers import each other as timm.scheduler.*, and nothing else of timm.
    shell = types.ModuleType("timm")
    shell.__path__ = [str(package)]
    sys.modules.setdefault("timm", shell)
    return importlib.import_module("timm.scheduler")
