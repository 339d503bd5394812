"""The no-warnings check the framework tests share (tests/warnings_check.py) fails when it should:
on a torch scheduler warning in the block, and when a filter set in the block (as importing
accelerate sets one) would hide such warnings from it."""

from __future__ import annotations

import warnings

import pytest
from conftest import requires_extra
from warnings_check import LRPOL, is_scheduler_warning, no_scheduler_warnings

torch = requires_extra("torch")


def message(text: str, filename: str, category: type[Warning] = UserWarning) -> warnings.WarningMessage:
    return warnings.WarningMessage(text, category, filename, 1)


def test_it_tells_lrpols_and_the_schedulers_warnings_from_the_frameworks_own():
    assert is_scheduler_warning(message("anything", str(LRPOL / "integrations" / "torch.py")))
    assert is_scheduler_warning(message("anything", torch.optim.lr_scheduler.__file__))
    assert is_scheduler_warning(message("The epoch parameter in `scheduler.step()` was not necessary", "/somewhere/trainer.py"))
    assert not is_scheduler_warning(message("isinstance(treespec, LeafSpec) is deprecated", "/site-packages/lightning/pytorch/utilities/_pytree.py", FutureWarning))


def test_a_run_without_scheduler_warnings_passes_and_others_are_kept():
    with no_scheduler_warnings() as recorded:
        warnings.warn("a framework's own", FutureWarning, stacklevel=1)
    assert str(recorded[0].message) == "a framework's own"


def test_a_torch_scheduler_warning_in_the_block_fails_it():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(AssertionError, match=r"warnings from lrpol or a scheduler:\n.*Detected call of `lr_scheduler\.step"):
        with no_scheduler_warnings():
            torch.optim.lr_scheduler.StepLR(optimizer, step_size=1).step()


def test_a_filter_set_in_the_block_that_hides_torchs_warnings_fails_it():
    # what `import accelerate` does, globally, the first time
    with pytest.raises(AssertionError, match="would miss an lrpol or torch scheduler warning"):
        with no_scheduler_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, module="torch.optim.lr_scheduler")


def test_a_filter_set_in_the_block_that_hides_lrpols_warnings_fails_it():
    with pytest.raises(AssertionError, match="would miss an lrpol or torch scheduler warning"):
        with no_scheduler_warnings():
            warnings.filterwarnings("ignore", module="lrpol")
