"""The doctests of lrpol/integrations, which pytest's --doctest-modules leaves out (see
norecursedirs in pyproject.toml): each module imports its framework, so collecting it without
the extra would be an error. Here each skips instead, naming the extra to install."""

from __future__ import annotations

import doctest
import importlib
import inspect
import os

import pytest
from conftest import requires_extra

#: Each integration module and the extras it imports, in the order it imports them.
INTEGRATIONS = {
    "lrpol.integrations.torch": ["torch"],
    "lrpol.integrations.ignite": ["torch", "ignite"],
    "lrpol.integrations.keras": ["torch", "keras"],  # Keras runs on the torch backend in these tests
    "lrpol.integrations.optax": ["optax"],
}


@pytest.mark.parametrize("name", sorted(INTEGRATIONS))
def test_integration_doctests_pass(name: str) -> None:
    os.environ.setdefault("KERAS_BACKEND", "torch")  # read when keras is first imported
    for extra in INTEGRATIONS[name]:
        requires_extra(extra)
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module):
        runner.run(test)
    results = runner.summarize(verbose=False)
    # Every example written in the module ran (each starts with one ">>> " line), and none failed.
    examples = sum(line.lstrip().startswith(">>> ") for line in inspect.getsource(module).splitlines())
    assert (results.attempted, results.failed) == (examples, 0)
