"""Shared fixtures: one valid entry per policy, exactly what a config file would hold; the
extras a test needs; the hypothesis profiles; and the ``--no-skips`` switch CI runs with."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import settings

from lrpol.hook import drive

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"

# -- optional extras ------------------------------------------------------------------------

#: The module that tells whether each optional extra of pyproject.toml is installed.
EXTRAS = {"torch": "torch", "ignite": "ignite", "keras": "keras", "plot": "matplotlib", "transformers": "transformers", "optax": "optax", "monai": "monai", "lightning": "lightning"}


def skip_reason(extra: str, module: str | None = None) -> str:
    """Why a test skips without ``extra``, and the command that installs it."""
    what = f" ({module})" if module else ""
    return f"needs the {extra!r} extra{what}: pip install 'lrpol[{extra}]'"


def requires_extra(extra: str, module: str | None = None) -> ModuleType:
    """Import the module ``extra`` provides (or ``module``, a tool in it), or skip the test
    (at module level, the whole file) with a reason that names the extra to install."""
    __tracebackhide__ = True  # report the skip at the test's line, not here
    return pytest.importorskip(module or EXTRAS[extra], reason=skip_reason(extra, module))


# -- hypothesis -----------------------------------------------------------------------------

# CI runs every property test at the case count written in the test; a local run does a tenth,
# so the suite stays quick. Time limits belong in benchmarks, not in tests: no deadline.
settings.register_profile("ci", max_examples=100, deadline=None, print_blob=True)
settings.register_profile("local", max_examples=10, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "local")  # --hypothesis-profile NAME overrides


def examples(ci_count: int) -> int:
    """``max_examples`` for a property test: ``ci_count`` under the ci profile, scaled with the
    active profile's ``max_examples`` (a tenth under local), and at least 10."""
    return max(10, ci_count * settings().max_examples // 100)


# -- --no-skips -----------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--no-skips", action="store_true", help="fail the run if any test or doctest is skipped, listing them (CI sets it: a skip there means a missing extra)")


def _skips(config: pytest.Config) -> dict[str, str]:
    """Each skipped test, doctest or module (by node id), and why."""
    # The terminal reporter sees every skip: tests and doctests anywhere, and whole modules
    # skipped at collection. A conftest's per-node hooks would miss the doctests under lrpol/.
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    skips = {}
    for report in reporter.stats.get("skipped", []) if reporter is not None else []:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        # A module skipped at import is reported twice under --doctest-modules (tests, doctests).
        skips[report.nodeid or str(report.fspath)] = reason.removeprefix("Skipped: ")
    return skips


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if session.config.getoption("no_skips") and _skips(session.config) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    skips = _skips(config) if config.getoption("no_skips") else {}
    if not skips:
        return
    terminalreporter.section(f"--no-skips: {len(skips)} skipped, which fails this run", sep="=", red=True, bold=True)
    for nodeid, reason in sorted(skips.items()):
        terminalreporter.line(f"SKIPPED {nodeid}: {reason}")


# -- valid entries --------------------------------------------------------------------------

VALID_ENTRIES = {
    "DecayOnStep": {"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": 3}},
    "ReduceCosine": {"name": "ReduceCosine", "args": {"rate": 0.5}},
    "ReduceOnPlateau": {"name": "ReduceOnPlateau", "args": {"plateau_count_trigger": 2, "reduction_rate": 0.5}},
    "ReducePoly": {"name": "ReducePoly", "args": {"poly_power": 0.9}},
    "MultiStepDecay": {"name": "MultiStepDecay", "args": {"milestones": [30, 80], "gamma": 0.1}},
    "ExponentialDecay": {"name": "ExponentialDecay", "args": {"gamma": 0.99}},
    "Constant": {"name": "Constant", "args": {"factor": 0.5, "duration": 10}},
    "LinearDecay": {"name": "LinearDecay", "args": {"start_factor": 1.0, "end_factor": 0.1}},
    "CosineRestarts": {"name": "CosineRestarts", "args": {"period": 10, "period_mult": 2}},
    "TanhDecay": {"name": "TanhDecay", "args": {"period": 100, "period_mult": 1.5, "peak_decay": 0.5, "period_limit": 3}},
    "OneCycle": {"name": "OneCycle", "args": {"pct_start": 0.25}},
    # A momentum schedule runs with lr0 the optimizer's momentum, and goes down from it to base_momentum
    # (0.85 from 0.9, say): run with lr0 = 0.1, as these entries are, the base is below that.
    "OneCycleMomentum": {"name": "OneCycleMomentum", "args": {"pct_start": 0.25, "base_momentum": 0.085}},
    "Cyclic": {"name": "Cyclic", "args": {"step_size_up": 20, "min_lr_ratio": 0.1}},
    "CyclicMomentum": {"name": "CyclicMomentum", "args": {"step_size_up": 20, "base_momentum": 0.08}},
    "PiecewiseInterpolate": {"name": "PiecewiseInterpolate", "args": {"boundaries": [100], "scales": [0.1], "interpolation": "cosine"}},
    "Warmup": {"name": "Warmup", "args": {"duration": 100, "policy": {"name": "ReduceCosine", "args": {"unit": "step"}}}},
    "Noise": {"name": "Noise", "args": {"policy": {"name": "ReduceCosine", "args": {"unit": "step"}}, "start": 10, "limit": 0.1, "std": 0.5}},
    "InverseSqrt": {"name": "InverseSqrt", "args": {"timescale": 4000, "hold": 100}},
    "InverseTimeDecay": {"name": "InverseTimeDecay", "args": {"decay_steps": 1000, "decay_rate": 0.5, "staircase": True}},
    "WarmupStableDecay": {"name": "WarmupStableDecay", "args": {"warmup_duration": 100, "decay_duration": 200, "decay_shape": "1-sqrt", "min_lr_ratio": 0.01}},
    "Product": {"name": "Product", "args": {"policies": [{"name": "ReduceCosine", "args": {"unit": "step"}}, {"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": 30}}]}},
    "Clip": {"name": "Clip", "args": {"policy": {"name": "ReduceCosine"}, "min_lr": 1e-5}},
    "Sequential": {"name": "Sequential", "args": {"policies": [{"name": "Constant"}, {"name": "ReducePoly", "args": {"poly_power": 1}}], "milestones": [5], "unit": "epoch"}},
}


def valid_entry(name: str) -> dict:
    """A fresh copy, so a test can break one key without touching the others."""
    return copy.deepcopy(VALID_ENTRIES[name])


@pytest.fixture
def saved_figures(monkeypatch):
    """The matplotlib figures saved while the test runs, in order (needs the 'plot' extra)."""
    figure_module = requires_extra("plot", "matplotlib.figure")
    figures: list = []
    original = figure_module.Figure.savefig

    def keep(figure, *args, **kwargs):
        figures.append(figure)
        return original(figure, *args, **kwargs)

    monkeypatch.setattr(figure_module.Figure, "savefig", keep)
    return figures


@pytest.fixture
def write(tmp_path):
    """write(name, text) -> path of a new file holding text."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


def assert_resumes_exactly(start, metrics, steps_per_epoch: int, total_steps: int) -> list:
    """Run a hook uninterrupted, then again with a JSON checkpoint at every step k: rebuilt by
    ``start()`` (which returns a new hook and the list its apply() appends to) and continued,
    the applied LRs must be identical (==). ``metrics[e]`` is reported after epoch e.
    Returns the uninterrupted run's LRs."""

    def run(hook, until):
        assert hook.ctx.steps_per_epoch == steps_per_epoch
        for _ in drive(hook, until, metrics):
            pass

    hook, reference = start()
    run(hook, total_steps)
    for k in range(total_steps):
        hook, before = start()
        run(hook, k)
        saved = json.dumps(hook.state_dict())
        resumed, after = start()
        resumed.load_state_dict(json.loads(saved))
        run(resumed, total_steps)
        # The resumed hook applies update 0's LR when built, then update k's when loaded.
        assert after[1] == before[-1], k
        assert before + after[2:] == reference, k
    return reference
