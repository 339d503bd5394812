"""Property tests: validate never raises on any JSON-like data or file, and agrees with build."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrpol import ConfigError, Problem, build, validate

from conftest import VALID_ENTRIES

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**6, max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["{x}", "{lr}", "ReducePoly", "max", "min", "my_pkg.Policy", "a.b.C"]),
)
keys = st.one_of(
    st.text(max_size=10),
    st.sampled_from(["name", "path", "args", "disabled", "$schema", "poly_power", "decay_ratio", "decay_freq", "rate",
                     "plateau_count_trigger", "reduction_rate", "mode", "threshold", "min_lr", "cooldown", "train", "lr_policy"]),
)
json_like = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)), max_leaves=20)


@st.composite
def mutated_entries(draw):
    """A valid entry with one to three keys replaced, removed or added at random."""
    entry = json.loads(json.dumps(draw(st.sampled_from(list(VALID_ENTRIES.values())))))
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(["entry", "args"]))
        holder = entry if target == "entry" or not isinstance(entry.get("args"), dict) else entry["args"]
        action = draw(st.sampled_from(["set", "delete"]))
        if action == "delete" and holder:
            holder.pop(draw(st.sampled_from(sorted(holder))))
        else:
            holder[draw(keys)] = draw(json_like)
    return entry


def _agree(entry, variables=None):
    problems = validate(entry, pointer="", variables=variables)
    assert isinstance(problems, list) and all(isinstance(p, Problem) for p in problems)
    try:
        build(entry, variables=variables)
        built = True
    except ConfigError as error:
        built = False
        assert error.problems
    assert built == (problems == []), (entry, problems)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_entries())
def test_validate_and_build_agree_on_mutated_entries(entry):
    _agree(entry, variables={"x": 0.5, "lr": "{x}"})


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, json_like, max_size=6))
def test_validate_and_build_agree_on_arbitrary_mappings(entry):
    _agree(entry)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200), suffix=st.sampled_from([".json", ".yaml"]))
def test_validate_never_raises_on_arbitrary_files(tmp_path, text, suffix):
    path = tmp_path / f"config{suffix}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    problems = validate(path)
    assert all(isinstance(p, Problem) for p in problems)
