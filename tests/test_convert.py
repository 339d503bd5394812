"""to_entry: every built-in policy, composites and random trees included, back to the entry
that builds it: the same repr, the same value and the same curve, to the bit."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

import numpy as np
import pytest
import yaml
from conftest import ROOT, VALID_ENTRIES, examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_clara4_configs import CASES as CLARA4_CASES
from test_clara4_configs import clara4_config
from test_fuzz import _paths, json_like, mutate, mutated_configs
from test_policy_trees import trees
from test_torch_schedulers import CASES

from lrpol import ConfigError, LRPolicy, Problem, ReduceCosine, Sequential, TrainContext, Warmup, build, curve
from lrpol.config import build_document
from lrpol.convert import CONSTANT_ENTRY, Unconvertible, convert, to_entry
from lrpol.document import from_mapping
from lrpol.reading import parse_bytes

METRICS = [0.5, 0.4, 0.4, 0.4, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]


def _curve(policy, epochs=10, steps_per_epoch=7):
    return curve(policy, TrainContext(initial_lr=0.1, total_epochs=epochs, steps_per_epoch=steps_per_epoch), metrics=METRICS)


def _rebuilt(entry: dict) -> list[LRPolicy]:
    """The entry built as it is, and read back from JSON and YAML text as a config holds it."""
    policies = [build(entry)]
    for name, text in (("e.json", json.dumps(entry)), ("e.yaml", yaml.safe_dump(entry, sort_keys=False))):
        policies.append(build_document(parse_bytes(text.encode(), name)))
    return policies


def _assert_same(policy: LRPolicy, epochs=10, steps_per_epoch=7) -> None:
    expected = _curve(policy, epochs, steps_per_epoch)
    for rebuilt in _rebuilt(to_entry(policy)):
        assert repr(rebuilt) == repr(policy)
        assert rebuilt == policy
        assert np.array_equal(_curve(rebuilt, epochs, steps_per_epoch), expected)


@pytest.mark.parametrize("name", sorted(VALID_ENTRIES))
def test_every_valid_entry_comes_back_as_the_same_policy(name):
    _assert_same(build(VALID_ENTRIES[name]))


@settings(max_examples=examples(300), deadline=None)
@given(policy=trees(), epochs=st.integers(1, 6), steps_per_epoch=st.integers(1, 4))
def test_any_tree_comes_back_as_the_same_policy(policy, epochs, steps_per_epoch):
    _assert_same(policy, epochs, steps_per_epoch)


def test_only_arguments_that_differ_from_their_defaults_in_declaration_order():
    policy = Warmup(clock="global", duration=5, policy=ReduceCosine(min_lr=0.01, unit="step", rate=0.5))
    assert to_entry(policy) == {"name": "Warmup", "args": {"duration": 5, "policy": {"name": "ReduceCosine", "args": {"unit": "step", "min_lr": 0.01}}, "clock": "global"}}
    assert list(to_entry(policy)["args"]) == ["duration", "policy", "clock"]
    assert to_entry(ReduceCosine()) == {"name": "ReduceCosine"}


def test_lists_are_json_lists():
    entry = to_entry(Sequential(policies=(ReduceCosine(), ReduceCosine(rate=0.25)), milestones=(3,), unit="epoch"))
    assert entry == {"name": "Sequential", "args": {"policies": [{"name": "ReduceCosine"}, {"name": "ReduceCosine", "args": {"rate": 0.25}}], "milestones": [3], "unit": "epoch"}}
    assert json.loads(json.dumps(entry)) == entry


@dataclass(frozen=True)
class _UserPolicy(LRPolicy):
    def evaluate(self, ctx):
        return ctx.initial_lr


def test_an_unregistered_policy_is_said_exactly_and_where():
    with pytest.raises(Unconvertible) as caught:
        to_entry(Warmup(duration=3, policy=_UserPolicy()))
    assert caught.value.reason == "test_convert._UserPolicy is not a registered policy, so no 'name' builds it"
    assert caught.value.at == ("args", "policy")
    assert caught.value.code == "not-convertible"


@pytest.mark.parametrize("unit", ["step", "epoch"])
@pytest.mark.parametrize("spec", CASES, ids=repr)
def test_every_torch_schedulers_native_policy_comes_back_as_itself(spec, unit):
    _assert_same(spec.native(unit), epochs=30, steps_per_epoch=3)


def _converts_or_says_why(config: dict) -> None:
    """convert gives problems, or an entry that builds the config's own policy (Constant for none)."""
    try:
        doc = from_mapping(config)
    except ConfigError:
        return
    try:
        conversion = convert(doc)
    except ConfigError as error:
        assert error.problems and all(isinstance(problem, Problem) for problem in error.problems)
        return
    policy = build_document(from_mapping(copy.deepcopy(config)))
    assert build(conversion.entry) == (policy if policy is not None else build(CONSTANT_ENTRY))


@settings(max_examples=examples(500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_configs())
def test_convert_never_raises_on_mutated_configs_and_its_entry_builds_their_policy(config):
    _converts_or_says_why(config)


@st.composite
def mutated_clara4_configs(draw):
    """A Clara 4 config of test_clara4_configs with one to three places changed, most in what lrpol reads."""
    name, args, epoch_level = draw(st.sampled_from(CLARA4_CASES))
    config = clara4_config({"name": name, "args": copy.deepcopy(args)}, epoch_level=epoch_level)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(config) if p and p[:2] in (("train", "lr_scheduler"), ("train", "handlers"), ("train", "optimizer"))]
        mutate(draw, config, draw(st.sampled_from(paths)))
    return config


@settings(max_examples=examples(500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_clara4_configs())
def test_convert_never_raises_on_mutated_clara_4_configs_and_its_entry_builds_their_policy(config):
    _converts_or_says_why(config)


BUNDLE = json.loads((ROOT / "tests" / "data" / "bundles" / "abdomen_ct_segresnet" / "configs" / "train.json").read_text())


@st.composite
def mutated_bundles(draw):
    """The test bundle with one to three places changed, most where lrpol reads: the scheduler, the
    optimizer, the run settings and the handlers."""
    config = copy.deepcopy(BUNDLE)
    read = (("lr_scheduler",), ("optimizer",), ("epochs",), ("learning_rate",), ("train", "handlers"))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(config) if p and any(p[: len(place)] == place for place in read)]
        if not paths:
            break
        mutate(draw, config, draw(st.sampled_from(paths)), json_like | st.sampled_from(["@epochs", "@learning_rate", "$@epochs * 2", "@optimizer", "@missing"]))
    return config


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_bundles())
def test_convert_never_raises_on_mutated_bundles_and_its_entry_builds_their_policy(config):
    _converts_or_says_why(config)
