"""The peer libraries lrpol's schedules are checked against, imported for the tests that need them.

Each helper imports its peer or skips the test with a reason that says how to install it.
timm is special: ``import timm`` imports torchvision, whose wheel must match torch exactly, yet
its schedulers (``timm/scheduler/*.py``) need torch alone. So timm is installed without its
dependencies (``pip install --no-deps timm``) and its scheduler package is loaded by itself.
So is Lightning Bolts' ``LinearWarmupCosineAnnealingLR``, the scheduler MONAI's SwinUNETR and
UNETR recipes train with: its module needs torch alone, past a decorator that only warns.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
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


BOLTS_REASON = "needs Lightning Bolts' schedulers (and the 'torch' extra): pip install --no-deps lightning-bolts"


def bolts_lr_scheduler() -> ModuleType:
    """``pl_bolts/optimizers/lr_scheduler.py`` from the installed wheel, loaded by itself (its
    ``under_review`` decorator, which only warns, left out), or a skip."""
    __tracebackhide__ = True
    requires_extra("torch")
    try:
        source = importlib.metadata.distribution("lightning-bolts").locate_file("pl_bolts/optimizers/lr_scheduler.py")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(BOLTS_REASON)
    stability = types.ModuleType("pl_bolts.utils.stability")
    stability.under_review = lambda: (lambda feature: feature)  # type: ignore[attr-defined]
    shells = {"pl_bolts": types.ModuleType("pl_bolts"), "pl_bolts.utils": types.ModuleType("pl_bolts.utils"), "pl_bolts.utils.stability": stability}
    saved = {name: sys.modules.get(name) for name in shells}
    sys.modules.update(shells)
    try:
        spec = importlib.util.spec_from_file_location("bolts_lr_scheduler", source)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        for name, previous in saved.items():
            if previous is None:
                del sys.modules[name]
            else:
                sys.modules[name] = previous
    return module
