"""The check behind "it emits no warnings": every warning raised around a framework's run is
recorded, none may come from lrpol or torch's schedulers, and the same recorder must catch such
warnings raised in the same place, so the check cannot pass by seeing nothing.

    with no_scheduler_warnings():
        trainer.fit(...)

A framework can hide warnings: importing accelerate (which the Hugging Face Trainer does) adds
``ignore`` for UserWarnings from ``torch.optim.lr_scheduler``, ahead of any filter set before it.
So after the run, inside the same recorder and under whatever filters the run left, a warning
attributed to lrpol is raised, and a torch ``StepLR`` is stepped before its optimizer, directly
and through torch's ``ChainedScheduler`` (whose warning is attributed to ``torch.optim.lr_scheduler``
itself, the module accelerate silences): all three must be recorded. The frameworks' own warnings
(Lightning's FutureWarnings from ``lightning/pytorch/utilities/_pytree.py``, say) pass."""

from __future__ import annotations

import importlib.util
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import lrpol

LRPOL = Path(lrpol.__file__).resolve().parent
#: What torch's scheduler warnings say: a misordered step, the deprecated epoch argument, get_lr outside step.
ABOUT_A_SCHEDULER = re.compile(r"lr_scheduler|scheduler\.step|epoch parameter|get_last_lr|learning rate schedul", re.IGNORECASE)
MISORDERED = "Detected call of `lr_scheduler.step()` before `optimizer.step()`"


def is_scheduler_warning(warning: warnings.WarningMessage) -> bool:
    """Whether ``warning`` is raised in lrpol or in torch's lr_scheduler module, or speaks of a scheduler."""
    path = Path(warning.filename).resolve()
    return path.is_relative_to(LRPOL) or path.as_posix().endswith("torch/optim/lr_scheduler.py") or bool(ABOUT_A_SCHEDULER.search(str(warning.message)))


def described(recorded: list[warnings.WarningMessage]) -> str:
    return "\n".join(f"  {warning.filename}:{warning.lineno}: {warning.category.__name__}: {warning.message}" for warning in recorded)


def raise_canaries() -> int:
    """Warn as lrpol would (attributed to its module), and, with torch installed, step torch's
    StepLR before its optimizer's first step, directly and inside a ChainedScheduler (each warns
    that the call is misordered). Returns how many warnings that makes."""
    warnings.warn_explicit("lrpol canary", UserWarning, str(LRPOL / "hook.py"), 1, module="lrpol.hook")
    if importlib.util.find_spec("torch") is None:  # a JAX-only run has no torch scheduler to hide
        return 1
    import torch

    def fresh() -> torch.optim.Optimizer:
        return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)

    torch.optim.lr_scheduler.StepLR(fresh(), step_size=1).step()  # attributed to this file
    optimizer = fresh()
    torch.optim.lr_scheduler.ChainedScheduler([torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)], optimizer).step()  # attributed to torch.optim.lr_scheduler
    return 3


@contextmanager
def no_scheduler_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Record every warning in the block; fail if one is lrpol's or a scheduler's, or if the
    recorder, as the block left the filters, would not have caught torch's own (see the module)."""
    with warnings.catch_warnings(record=True) as recorded:
        warnings.simplefilter("always")
        yield recorded
        ran, filters = len(recorded), warnings.filters[:4]
        raised = raise_canaries()
    from_run, from_canary = recorded[:ran], recorded[ran:]
    caught = [warning for warning in from_canary if (MISORDERED in str(warning.message) or str(warning.message) == "lrpol canary") and is_scheduler_warning(warning)]
    assert len(caught) == raised, f"this recorder would miss an lrpol or torch scheduler warning (a filter set during the run hides it); it recorded:\n{described(from_canary)}\nfirst filters: {filters}"
    ours = [warning for warning in from_run if is_scheduler_warning(warning)]
    assert not ours, f"warnings from lrpol or a scheduler:\n{described(ours)}"
