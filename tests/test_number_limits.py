"""Numbers at any size: every message prints them safely, and what validate accepts, the hook
and curve() can run (integers within 2**53, the range where every integer is exact as a float)."""

import copy
import json
import math
import sys

import jsonschema
import pytest
from conftest import VALID_ENTRIES, valid_entry

from lrpol import ConfigError, LRHook, ReducePoly, TrainContext, build, curve, validate
from lrpol.arguments import MAX_INTEGER, arguments_of
from lrpol.errors import show_value
from lrpol.registry import builtin
from lrpol.schema import LR_POLICY, TRAIN_CONFIG, generate

HUGE = 10**5000  # beyond the 4,300 digits str() accepts
BOUND_MESSAGE = "must be <= 9007199254740992 (2**53: integers beyond it are not exact as floats)"


def only(problems):
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def test_the_bound_is_two_to_the_53():
    assert MAX_INTEGER == 9007199254740992 == 2**53
    assert float(MAX_INTEGER) == MAX_INTEGER and float(MAX_INTEGER + 1) != MAX_INTEGER + 1


# -- item: numbers printed safely at any size -----------------------------------------------------

@pytest.mark.parametrize(
    "entry, json_path, code, message",
    [
        ({"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": HUGE}},
         "$.args.decay_freq", "out-of-range", f"{BOUND_MESSAGE}, got an integer of 5001 digits"),
        ({"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": -HUGE}},
         "$.args.decay_freq", "out-of-range", "must be >= 1, got a negative integer of 5001 digits"),
        ({"name": "DecayOnStep", "args": {"decay_ratio": HUGE, "decay_freq": 2}},
         "$.args.decay_ratio", "non-finite", "must be a finite number, at most 1.8e308 in size, got an integer of 5001 digits"),
        ({"name": "ReducePoly", "args": {"poly_power": 1, "unit": HUGE}},
         "$.args.unit", "wrong-type", "expected a string, got an integer of 5001 digits"),
        ({"name": "ReducePoly", "args": {"poly_power": 1, "unit": [HUGE, "x"]}},
         "$.args.unit", "wrong-type", 'expected a string, got an array ([an integer of 5001 digits, "x"])'),
        ({"name": "MultiStepDecay", "args": {"milestones": [5, HUGE], "gamma": 0.5}},
         "$.args.milestones[1]", "out-of-range", f"{BOUND_MESSAGE}, got an integer of 5001 digits"),
        ({"name": "MultiStepDecay", "args": {"milestones": HUGE, "gamma": 0.5}},
         "$.args.milestones", "wrong-type", "expected a list of integers >= 1, strictly increasing, at least 1, got an integer of 5001 digits"),
        ({"name": "ReducePoly", "args": {"poly_power": 1, HUGE: 1}},
         "$.args[an integer of 5001 digits]", "non-string-key", "keys must be strings, got an integer of 5001 digits"),
        ({"name": "ReducePoly", "args": {"poly_power": 1}, HUGE: 1},
         "$[an integer of 5001 digits]", "non-string-key", "keys must be strings, got an integer of 5001 digits"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_huge_integers_are_problems_with_readable_messages(entry, json_path, code, message):
    problem = only(validate(entry, pointer=""))
    assert (problem.json_path, problem.code, problem.message) == (json_path, code, message)
    with pytest.raises(ConfigError) as info:
        build(entry)
    assert str(info.value) == f"<config>: {json_path}: {message}"


def test_a_huge_integer_in_a_yaml_file_is_a_problem(write):
    path = write("hex.yaml", "name: DecayOnStep\nargs:\n  decay_ratio: 0.5\n  decay_freq: 0x" + "f" * 3600 + "\n")
    problem = only(validate(path))  # refused while reading, as the decimal and JSON spellings are
    assert ((problem.line, problem.column), problem.code) == ((4, 15), "too-large")
    assert problem.message == f"integer with more than {sys.get_int_max_str_digits()} digits is too long"


def test_long_values_are_cut_short_in_messages():
    problem = only(validate({"name": "ReducePoly", "args": {"poly_power": "x" * 1_000_000}}, pointer=""))
    assert problem.message == 'expected a number, got a string ("' + "x" * 68 + '..." (1000000 characters))'
    problem = only(validate({"name": "ReducePoly", "args": {"poly_power": [[[[[1]]]]] * 1000}}, pointer=""))
    assert problem.message == "expected a number, got an array ([[[[...]]], [[[...]]], [[[...]]], [[[...]]], [[[...]]], [[[...]]], [[[...]]], [[[...]]], [[[...]]], [[[...]]], ... 1000 items])"


def test_show_value_counts_the_digits_of_any_integer_exactly():
    for digits in (25, 4300, 4301, 5001, 20_000):
        assert show_value(10 ** (digits - 1)) == f"an integer of {digits} digits"
        assert show_value(10**digits - 1) == f"an integer of {digits} digits"
    assert show_value(16**3600 - 1) == "an integer of 4335 digits"  # YAML's 0xfff...f, 3600 of them
    assert show_value(10**24 - 1) == "999999999999999999999999"


def test_a_metric_too_large_for_a_float_is_refused_like_infinity():
    hook = LRHook(ReducePoly(poly_power=1), TrainContext(initial_lr=0.1, total_epochs=2), lambda lr: None)
    with pytest.raises(ValueError, match=r"^metric is inf: a NaN or infinite validation result cannot drive a policy$"):
        hook.report_metric(10**400)
    assert hook.ctx.metric_count == 0


# -- item: what validate accepts, the hook and curve() can run -------------------------------------

@pytest.mark.parametrize(
    "name, argument",
    [("Warmup", "duration"), ("LinearDecay", "duration"), ("CosineRestarts", "period"), ("DecayOnStep", "decay_freq"), ("Constant", "duration")],
)
@pytest.mark.parametrize("value, digits", [(2**53 + 1, "9007199254740993"), (10**400, "an integer of 401 digits")])
def test_integer_arguments_beyond_two_to_the_53_are_problems(name, argument, value, digits):
    entry = valid_entry(name)
    entry["args"][argument] = value
    problem = only(validate(entry, pointer=""))
    assert (problem.json_path, problem.code, problem.message) == (f"$.args.{argument}", "out-of-range", f"{BOUND_MESSAGE}, got {digits}")


def test_top_level_epochs_beyond_two_to_the_53_is_a_problem():
    config = {"epochs": 10**400, "learning_rate": 0.1, "train": {"lr_policy": valid_entry("ReducePoly")}}
    problem = only(validate(config))
    assert (problem.json_path, problem.message) == ("$.epochs", f"{BOUND_MESSAGE}, got an integer of 401 digits")
    assert validate({**config, "epochs": 2**53}) == []


def test_a_nested_integer_beyond_the_bound_is_a_problem_at_its_path():
    entry = {"name": "Sequential", "args": {"policies": [{"name": "Warmup", "args": {"duration": 2**60}}, {"name": "Constant"}], "milestones": [2**53 + 2]}}
    problems = validate(entry, pointer="")
    assert [(p.json_path, p.message) for p in problems] == [
        ("$.args.milestones[0]", f"{BOUND_MESSAGE}, got 9007199254740994"),
        ("$.args.policies[0].args.duration", f"{BOUND_MESSAGE}, got 1152921504606846976"),
    ]


@pytest.mark.parametrize("field", ["total_epochs", "steps_per_epoch", "global_step", "epoch", "metric_count"])
def test_a_context_refuses_integers_beyond_the_bound_naming_the_field(field):
    counters = {"total_epochs": 3, field: 10**400}
    with pytest.raises(ValueError) as info:
        TrainContext(initial_lr=0.1, **counters)
    assert str(info.value) == f"{field}: {BOUND_MESSAGE}, got an integer of 401 digits"


def test_whole_floats_beyond_the_bound_are_refused_too():
    problem = only(validate({"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": 1e300}}, pointer=""))
    assert problem.message == f"{BOUND_MESSAGE}, got 1e+300"
    assert build({"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": float(2**53)}}).decay_freq == 2**53


def _at_the_bound():
    """(label, entry): each integer argument of each built-in policy set to 2**53, with each unit."""
    cases = []
    for name, entry in VALID_ENTRIES.items():
        declared = {argument.name: argument for argument in arguments_of(builtin()[name])}
        units = ("step", "epoch") if "unit" in declared else (None,)
        for argument in (a for a in declared.values() if a.kind is int or a.fraction):
            for unit in units:
                broken = copy.deepcopy(entry)
                broken.setdefault("args", {})[argument.name] = [MAX_INTEGER] if argument.many else MAX_INTEGER
                if unit is not None:
                    broken["args"]["unit"] = unit
                cases.append((f"{name}.{argument.name}.{unit}", broken))
    return cases


AT_THE_BOUND = _at_the_bound()
RUN_SHAPES = [(MAX_INTEGER, MAX_INTEGER), (MAX_INTEGER, 1), (1, MAX_INTEGER), (3, 4)]


def test_every_integer_argument_of_every_policy_is_covered():
    labels = {label.rsplit(".", 1)[0] for label, _ in AT_THE_BOUND}
    assert labels == {
        "CosineRestarts.period", "CosineRestarts.period_limit", "CosineRestarts.horizon", "Constant.duration", "DecayOnStep.decay_freq", "LinearDecay.duration",
        "MultiStepDecay.milestones", "ReduceOnPlateau.plateau_count_trigger", "ReduceOnPlateau.cooldown", "Sequential.milestones", "Warmup.duration",
        "OneCycle.horizon", "OneCycleMomentum.horizon", "Cyclic.step_size_up", "Cyclic.step_size_down", "CyclicMomentum.step_size_up",
        "CyclicMomentum.step_size_down",
        "ReduceCosine.horizon", "ReducePoly.horizon", "ExponentialDecay.every", "PiecewiseInterpolate.boundaries",
        "Noise.start", "Noise.end", "Noise.seed",
        "InverseSqrt.hold", "WarmupStableDecay.decay_duration", "WarmupStableDecay.warmup_duration", "WarmupStableDecay.stable_duration",
        "WarmupStableDecay.horizon", "TanhDecay.period", "TanhDecay.period_limit", "TanhDecay.horizon",
    }


@pytest.mark.parametrize("entry", [entry for _, entry in AT_THE_BOUND], ids=[label for label, _ in AT_THE_BOUND])
@pytest.mark.parametrize("total_epochs, steps_per_epoch", RUN_SHAPES)
def test_what_validates_at_the_bound_runs_in_the_hook_and_curve(entry, total_epochs, steps_per_epoch):
    assert validate(entry, pointer="") == []
    policy = build(entry)
    ctx = TrainContext(initial_lr=0.1, total_epochs=total_epochs, steps_per_epoch=steps_per_epoch)
    lrs = []
    hook = LRHook(policy, ctx, lrs.append)
    for _ in range(4):
        hook.step()
        hook.report_metric(0.5)
    assert all(math.isfinite(lr) and 0 <= lr <= 0.1 for lr in lrs)
    run = TrainContext(initial_lr=0.1, total_epochs=total_epochs, steps_per_epoch=steps_per_epoch)
    values = curve(policy, run, steps=6, metrics=[0.5, 0.5])
    assert values.shape == (6,) and all(math.isfinite(lr) and 0 <= lr <= 0.1 for lr in values.tolist())


# -- the schemas say the same ----------------------------------------------------------------------

SCHEMAS = generate()


@pytest.mark.parametrize("value, valid", [(2**53, True), (float(2**53), True), (2**53 + 1, False), (10**400, False), (2.0**53 + 2, False)])
def test_schema_and_validate_agree_on_the_integer_bound(value, valid):
    for name, argument in [("DecayOnStep", "decay_freq"), ("Warmup", "duration"), ("CosineRestarts", "period"), ("ReduceOnPlateau", "cooldown")]:
        entry = valid_entry(name)
        entry["args"][argument] = value
        errors = [e.json_path for e in jsonschema.Draft202012Validator(SCHEMAS[LR_POLICY]).iter_errors(entry)]
        problems = [p.json_path for p in validate(entry, pointer="")]
        assert (errors, problems) == (([], []) if valid else ([f"$.args.{argument}"], [f"$.args.{argument}"]))
    entry = valid_entry("MultiStepDecay")
    entry["args"]["milestones"] = [1, value]
    errors = [e.json_path for e in jsonschema.Draft202012Validator(SCHEMAS[LR_POLICY]).iter_errors(entry)]
    assert (errors, [p.json_path for p in validate(entry, pointer="")]) == (([], []) if valid else (["$.args.milestones[1]"], ["$.args.milestones[1]"]))


def test_train_config_schema_bounds_epochs_like_validate():
    config = {"epochs": 2**53 + 1, "train": {"lr_policy": valid_entry("ReducePoly")}}
    assert [e.json_path for e in jsonschema.Draft202012Validator(SCHEMAS[TRAIN_CONFIG]).iter_errors(config)] == ["$.epochs"]
    assert [p.json_path for p in validate(config)] == ["$.epochs"]
    assert json.loads(json.dumps(SCHEMAS[TRAIN_CONFIG]))["properties"]["epochs"]["maximum"] == 9007199254740992


# -- item: -0.0 is 0.0 -----------------------------------------------------------------------------

def test_minus_zero_floats_become_zero():
    policy = build({"name": "ReducePoly", "args": {"poly_power": 1, "min_lr": -0.0}})
    assert math.copysign(1.0, policy.min_lr) == 1.0
    ctx = TrainContext(initial_lr=0.1, total_epochs=2)
    lrs = []
    hook = LRHook(policy, ctx, lrs.append)
    for _ in range(2):
        hook.next_epoch()
    assert lrs == [0.1, 0.05, 0.0] and math.copysign(1.0, lrs[-1]) == 1.0
