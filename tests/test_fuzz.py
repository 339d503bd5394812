"""Property tests: validate never raises on any JSON-like data or file, and agrees with build."""

import copy
import json

import yaml
from conftest import CONFIGS, VALID_ENTRIES, examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrpol import ConfigError, Problem, build, validate
from lrpol.config import build_document
from lrpol.reading import parse_bytes

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
    # Both with the entry at the top, and where config_kind places it (a mapping with a 'train'
    # mapping is a train config, its lr_policy optional).
    for pointer in ("", None):
        # strict: with no allowlist, build refuses every ``path`` entry, which plain validate (never importing) accepts.
        problems = validate(entry, pointer=pointer, variables=variables, strict=True)
        assert isinstance(problems, list) and all(isinstance(p, Problem) for p in problems)
        try:
            build(entry, pointer=pointer, variables=variables)
            built = True
        except ConfigError as error:
            built = False
            assert error.problems
        assert built == (problems == []), (entry, pointer, problems)


@settings(max_examples=examples(1500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_entries())
def test_validate_and_build_agree_on_mutated_entries(entry):
    _agree(entry, variables={"x": 0.5, "lr": "{x}"})


@settings(max_examples=examples(1500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, json_like, max_size=6))
def test_validate_and_build_agree_on_arbitrary_mappings(entry):
    _agree(entry)


@settings(max_examples=examples(500), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200), suffix=st.sampled_from([".json", ".yaml"]))
def test_validate_never_raises_on_arbitrary_files(tmp_path, text, suffix):
    path = tmp_path / f"config{suffix}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    problems = validate(path)
    assert all(isinstance(p, Problem) for p in problems)


EXAMPLES = [json.loads(path.read_text()) for path in sorted(CONFIGS.glob("*.json"))]


def _paths(data, prefix=()):
    yield prefix
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        yield from _paths(value, (*prefix, key))


@st.composite
def mutated_configs(draw):
    """An example train config with one to three places changed; most changes hit lr_policy."""
    config = copy.deepcopy(draw(st.sampled_from(EXAMPLES)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(config) if p]
        policy_paths = [p for p in paths if p[:2] == ("train", "lr_policy")]
        path = draw(st.sampled_from(policy_paths if policy_paths and draw(st.integers(0, 9)) < 7 else paths))
        mutate(draw, config, path)
    return config


def mutate(draw: st.DrawFn, config: dict, path: tuple, values: st.SearchStrategy = json_like) -> None:
    """Replace the value at ``path`` in ``config``, delete it, or add a key beside it."""
    parent = config
    for key in path[:-1]:
        parent = parent[key]
    action = draw(st.sampled_from(["replace", "delete", "add"]))
    if action == "delete":
        del parent[path[-1]]
    elif action == "add" and isinstance(parent, dict):
        parent[draw(keys)] = draw(values)
    else:
        parent[path[-1]] = draw(values)


@settings(max_examples=examples(2000), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_configs(), st.sampled_from(["json", "yaml"]))
def test_mutated_example_configs_never_crash_and_agree_with_build(config, fmt):
    text = json.dumps(config) if fmt == "json" else yaml.safe_dump(config, sort_keys=False)
    try:
        doc = parse_bytes(text.encode("utf-8", "surrogatepass"), f"config.{fmt}")
    except ConfigError:
        return  # unparsable text: validate reports it (covered by the arbitrary-files test)
    problems = validate(doc, strict=True)  # strict: see _agree
    assert all(isinstance(p, Problem) and p.line is not None for p in problems)
    try:
        build_document(doc)
        built = True
    except ConfigError:
        built = False
    assert built == (problems == []), problems
