"""Composition: Warmup, Sequential, ReduceOnPlateau over any policy, step units, nesting in
configs (errors inside the nesting), schema recursion and exact resume of nested policies."""

import itertools
import json
import re
from dataclasses import replace

import jsonschema
import pytest
from conftest import CONFIGS, assert_resumes_exactly, requires_extra

import lrpol
from lrpol import (
    ConfigError,
    DecayOnStep,
    LRHook,
    ReduceCosine,
    ReduceOnPlateau,
    ReducePoly,
    TrainContext,
    build,
    curve,
    load,
    validate,
)
from lrpol.hook import drive
from lrpol.policies.sequential import Sequential
from lrpol.policies.warmup import Warmup
from lrpol.schema import LR_POLICY, generate


def lrs_at_steps(policy, ctx, steps):
    return [policy.evaluate(replace(ctx, global_step=s, epoch=s // ctx.steps_per_epoch)) for s in steps]


def run_with_metrics(policy, ctx, metrics):
    """The LR in effect before each update, with metrics[e] reported after epoch e (as LRHook does)."""
    return [lr for _, lr in drive(LRHook(policy, ctx, lambda lr: None), ctx.total_steps, metrics)]


# -- Warmup ------------------------------------------------------------------------------------

def test_warmup_default_ramp_climbs_in_equal_steps_through_the_seam():
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=10)
    lrs = lrs_at_steps(Warmup(duration=4), ctx, range(7))
    assert lrs == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0], rel=1e-15)
    assert lrs[0] > 0  # no update is wasted at LR 0


def test_warmup_seam_has_no_jump_into_a_cosine():
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=100)
    policy = Warmup(duration=10, policy=ReduceCosine(unit="step"))
    lrs = lrs_at_steps(policy, ctx, range(12))
    steps = [b - a for a, b in itertools.pairwise(lrs)]
    assert steps[:10] == pytest.approx([1 / 11] * 10, rel=1e-12)  # the ramp, and the seam at update 10
    assert lrs[10] == 1.0  # the cosine starts at its peak after warmup ("restart" clock)
    assert lrs[11] == pytest.approx(0.5 * (1 + __import__("math").cos(__import__("math").pi / 90)), rel=1e-15)


def test_warmup_with_a_start_factor_and_a_global_clock():
    ctx = TrainContext(initial_lr=1.0, total_epochs=10, steps_per_epoch=1)
    policy = Warmup(duration=2, start_factor=0.5, unit="epoch", clock="global", policy=ReducePoly(poly_power=1))
    # the target runs on the run's clock: 1.0, 0.9, 0.8, ... ; the ramp scales epochs 0 and 1
    assert lrs_at_steps(policy, ctx, range(5)) == pytest.approx([0.5, 0.9 * 0.75, 0.8, 0.7, 0.6], rel=1e-15)


def test_warmup_then_cosine_equals_torch_sequential_lr():
    torch = requires_extra("torch")
    from torch.optim import lr_scheduler

    warm, total = 100, 1100
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = lr_scheduler.SequentialLR(
        optimizer,
        [lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=warm), lr_scheduler.CosineAnnealingLR(optimizer, T_max=total - warm)],
        milestones=[warm],
    )
    theirs = []
    for _ in range(total):
        theirs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    policy = Warmup(duration=warm, start_factor=0.1, policy=ReduceCosine(unit="step"))
    ours = curve(policy, TrainContext(initial_lr=0.1, total_epochs=11, steps_per_epoch=100))
    for step, (a, b) in enumerate(zip(ours.tolist(), theirs)):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-18), step


def test_warmup_into_plateau_with_scripted_metrics():
    # Warmup over 2 epochs into ReduceOnPlateau(trigger 1, rate 0.5), 2 updates per epoch.
    policy = Warmup(duration=2, unit="epoch", start_factor=0.5, policy=ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5))
    ctx = TrainContext(initial_lr=1.0, total_epochs=5, steps_per_epoch=2)
    # results after epochs 0-4: 0.1 (best), 0.1 (no gain: halve), 0.3 (best), 0.2 (halve), 0.25 (halve)
    lrs = run_with_metrics(policy, ctx, [0.1, 0.1, 0.3, 0.2, 0.25])
    assert lrs == [0.5, 0.5, 0.75 * 1.0, 0.75 * 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert curve(policy, TrainContext(initial_lr=1.0, total_epochs=5, steps_per_epoch=2), metrics=[0.1, 0.1, 0.3, 0.2, 0.25]).tolist() == lrs


# -- ReduceOnPlateau over another policy -------------------------------------------------------

def test_plateau_scales_the_wrapped_policy():
    policy = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, policy=ReducePoly(poly_power=1))
    ctx = TrainContext(initial_lr=1.0, total_epochs=4, steps_per_epoch=1)
    # poly: 1.0, 0.75, 0.5, 0.25; results 0.5, 0.5 (halve from epoch 2), 0.6, 0.6 (halve again)
    assert run_with_metrics(policy, ctx, [0.5, 0.5, 0.6, 0.6]) == [1.0, 0.75, 0.25, 0.125]


def test_plateau_over_warmup_over_plateau_counts_every_result_at_both_levels():
    inner = ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5)
    outer = ReduceOnPlateau(plateau_count_trigger=3, reduction_rate=0.1, policy=Warmup(duration=1, unit="epoch", start_factor=1.0, policy=inner))
    ctx = TrainContext(initial_lr=1.0, total_epochs=4, steps_per_epoch=1)
    lrs = run_with_metrics(outer, ctx, [0.5, 0.5, 0.5, 0.5])
    # inner halves after results 3; outer (trigger 3) cuts by 10 after result 4
    assert lrs == pytest.approx([1.0, 1.0, 1.0, 0.5])
    assert ctx.history["seen"] == 4 and ctx.history["policy"]["policy"]["seen"] == 4


# -- Sequential --------------------------------------------------------------------------------

def test_three_phase_sequential_restarts_each_clock():
    policy = Sequential(
        policies=(Warmup(duration=2, start_factor=0.5), DecayOnStep(decay_ratio=0.5, decay_freq=2), ReduceCosine(unit="step")),
        milestones=(2, 6),
    )
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=10)
    lrs = lrs_at_steps(policy, ctx, range(11))
    # warmup 0-1, decay 2-5 (its own clock: 1, 1, 0.5, 0.5), cosine over the last 4 updates, then held at 0
    assert lrs == pytest.approx([0.5, 0.75, 1.0, 1.0, 0.5, 0.5, 1.0, 0.8535533905932737, 0.5, 0.14644660940672627, 0.0], rel=1e-12)


def test_sequential_phase_in_epochs_sees_its_own_horizon():
    policy = Sequential(policies=(ReducePoly(poly_power=1), ReducePoly(poly_power=1)), milestones=(2,), unit="epoch")
    ctx = TrainContext(initial_lr=1.0, total_epochs=6, steps_per_epoch=3)
    per_epoch = lrs_at_steps(policy, ctx, range(0, 18, 3))
    assert per_epoch == pytest.approx([1.0, 0.5, 1.0, 0.75, 0.5, 0.25])


def test_plateau_in_a_later_phase_counts_from_its_start():
    policy = Sequential(policies=(ReduceCosine(), ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5)), milestones=(2,), unit="epoch")
    ctx = TrainContext(initial_lr=1.0, total_epochs=5, steps_per_epoch=1)
    # The result of epoch 0 belongs to the cosine phase. Epoch 1's result is reported at the
    # first update of epoch 2, so it is the plateau's first (its best), then 0.4 and 0.4 halve twice.
    lrs = run_with_metrics(policy, ctx, [0.9, 0.8, 0.4, 0.4, 0.4])
    assert lrs[2:] == [1.0, 0.5, 0.25]
    assert ctx.history["results_before_phase"] == [0, 1]


def test_sequential_needs_one_milestone_fewer_than_policies():
    with pytest.raises(ValueError, match="milestones: needs 1 milestone"):
        Sequential(policies=(ReduceCosine(), ReduceCosine()), milestones=(2, 3))
    problems = validate({"name": "Sequential", "args": {"policies": [{"name": "ReduceCosine"}, {"name": "ReduceCosine"}], "milestones": [3, 2]}})
    assert [(p.json_path, p.code) for p in problems] == [("$.args.milestones", "not-increasing")]


# -- nesting in configs ------------------------------------------------------------------------

NESTED_YAML = """\
epochs: 10
learning_rate: 0.1
train:
  lr_policy:
    name: Sequential
    args:
      milestones: [5]
      unit: epoch
      policies:
        - name: Warmup
          args: {duration: 2, unit: epoch}
        - name: ReduceCosine
          args: {rate: -1, unit: steps}
"""


def test_errors_point_into_the_nesting(write):
    path = write("nested.yaml", NESTED_YAML)
    problems = validate(path)
    assert [(p.line, p.column, p.json_path, p.code) for p in problems] == [
        (13, 24, "$.train.lr_policy.args.policies[1].args.rate", "out-of-range"),
        (13, 34, "$.train.lr_policy.args.policies[1].args.unit", "invalid-choice"),
    ]
    assert problems[1].hint == "did you mean 'step'?"
    with pytest.raises(ConfigError):
        load(path)


def test_nested_config_builds_the_same_policy_as_python(write):
    fixed = NESTED_YAML.replace("{rate: -1, unit: steps}", "{rate: 0.5, unit: step}")
    policy = load(write("nested.yaml", fixed))
    assert policy == Sequential(policies=(Warmup(duration=2, unit="epoch"), ReduceCosine(unit="step")), milestones=(5,), unit="epoch")


def test_nested_entries_must_be_entries_and_phases_cannot_be_disabled():
    problems = validate({"name": "Sequential", "args": {"policies": [{"name": "ReduceCosine", "disabled": True}, 3], "milestones": [1]}})
    assert [(p.json_path, p.code) for p in problems] == [
        ("$.args.policies[0].disabled", "cannot-disable"),
        ("$.args.policies[1]", "wrong-type"),
    ]
    # where None is allowed, a disabled entry is None: a warmup into a constant lr0
    assert build({"name": "Warmup", "args": {"duration": 2, "policy": {"name": "ReduceCosine", "disabled": True}}}) == Warmup(duration=2)


def test_schema_is_recursive_and_agrees_on_nested_errors():
    validator = jsonschema.Draft202012Validator(generate()[LR_POLICY])
    good = {"name": "ReduceOnPlateau", "args": {"plateau_count_trigger": 2, "reduction_rate": 0.5,
            "policy": {"name": "Warmup", "args": {"duration": 100, "policy": {"name": "ReducePoly", "args": {"poly_power": 0.9}}}}}}
    assert list(validator.iter_errors(good)) == [] and validate(good) == []
    bad = json.loads(json.dumps(good))
    bad["args"]["policy"]["args"]["policy"]["args"]["poly_power"] = 0
    errors = list(validator.iter_errors(bad))
    assert [e.json_path for e in errors] == ["$.args.policy.args.policy.args.poly_power"]
    assert [p.json_path for p in validate(bad)] == ["$.args.policy.args.policy.args.poly_power"]


# -- step units and floors ---------------------------------------------------------------------

@pytest.mark.parametrize("min_lr", [0.0, 0.01])
def test_step_unit_cosine_and_poly_equal_torch_per_update(min_lr):
    torch = requires_extra("torch")
    from torch.optim import lr_scheduler

    total = 1200
    ctx = TrainContext(initial_lr=0.1, total_epochs=12, steps_per_epoch=100)
    makers = [(ReduceCosine(unit="step", min_lr=min_lr), lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=total, eta_min=min_lr))]
    if min_lr == 0.0:  # PolynomialLR has no floor
        makers.append((ReducePoly(poly_power=2.0, unit="step"), lambda o: lr_scheduler.PolynomialLR(o, total_iters=total, power=2.0)))
    for policy, make in makers:
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        scheduler = make(optimizer)
        theirs = []
        for _ in range(total):
            theirs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
        ours = curve(policy, ctx).tolist()
        for step, (a, b) in enumerate(zip(ours, theirs)):
            assert a == pytest.approx(b, rel=1e-12, abs=1e-18), (policy, step)


def test_unit_step_needs_steps_per_epoch():
    with pytest.raises(ValueError, match=re.escape("unit 'step' needs ctx.steps_per_epoch")):
        ReduceCosine(unit="step").evaluate(TrainContext(initial_lr=0.1, total_epochs=3))


# -- exact resume of nested policies -----------------------------------------------------------

NESTED_CONFIGS = ["warmup_cosine", "warmup_poly_plateau", "three_phase"]


@pytest.mark.parametrize("stem", NESTED_CONFIGS)
@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_nested_example_configs_validate_and_resume_exactly(stem, suffix):
    config = CONFIGS / f"{stem}{suffix}"
    assert validate(config) == []
    metrics = [0.3 + 0.01 * min(e, 30) for e in range(100)]  # improves for 30 epochs, then flat

    def start():
        policy, ctx = lrpol.load_run(config, steps_per_epoch=1)
        lrs = []
        return LRHook(policy, ctx, lrs.append), lrs

    reference = assert_resumes_exactly(start, metrics, steps_per_epoch=1, total_steps=100)
    assert len(set(reference)) > 10


# -- phase clocks at the edges -----------------------------------------------------------------

def test_a_warmup_longer_than_the_run_still_ramps_to_the_target():
    ctx = TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=1)
    lrs = curve(Warmup(duration=5, unit="epoch", policy=ReduceCosine()), ctx).tolist()
    assert lrs == pytest.approx([0.1 * (e + 1) / 6 for e in range(4)], rel=1e-15)  # the cosine's peak, never 0
    from lrpol import LinearDecay

    hook = LRHook(Warmup(duration=4, unit="epoch", policy=LinearDecay()), ctx, lambda lr: None)
    assert [hook.step() for _ in range(4)][-1] == 0.1  # the phase after the run has a length of 1, not 0


def test_a_phase_counted_in_steps_gives_an_epoch_policy_whole_epochs():
    # Warmup over 5 updates, then a per-epoch cosine: its epochs start at the first boundary after warmup.
    ctx = TrainContext(initial_lr=1.0, total_epochs=4, steps_per_epoch=10)
    lrs = curve(Warmup(duration=5, start_factor=1.0, policy=ReduceCosine()), ctx).tolist()
    changes = [s for s in range(1, 40) if lrs[s] != lrs[s - 1]]
    assert changes == [20, 30]  # only at epoch boundaries: epochs 1, 2, 3 are the cosine's 0, 1, 2 of 3
    assert lrs[:20] == [1.0] * 20 and lrs[20] == pytest.approx(0.75) and lrs[30] == pytest.approx(0.25)


def test_phases_without_steps_per_epoch_refuse_the_clock_they_cannot_restart():
    from lrpol import Constant, MultiStepDecay

    ctx = TrainContext(initial_lr=1.0, total_epochs=4)  # no steps_per_epoch
    assert Warmup(duration=3, policy=Constant()).evaluate(ctx) == 0.25  # Constant needs only t
    epoch_warmup = Warmup(duration=2, unit="epoch", policy=MultiStepDecay(milestones=(3,), gamma=0.1))
    with pytest.raises(ValueError, match=re.escape("a phase counted in epochs cannot restart a step clock without ctx.steps_per_epoch")):
        epoch_warmup.evaluate(ctx)
    with pytest.raises(ValueError, match=re.escape("unit 'step' needs ctx.steps_per_epoch")):
        Warmup(duration=3, policy=ReduceCosine(unit="step")).evaluate(ctx)


def test_validate_runs_the_outer_checks_around_an_unimported_path():
    entry = {"name": "Sequential", "args": {"milestones": [2, 3], "policies": [{"name": "Constant"}, {"path": "my_pkg.Policy"}]}}
    assert [(p.json_path, p.code) for p in validate(entry)] == [("$.args.milestones", "wrong-count")]
    entry["args"]["milestones"] = [2]
    assert validate(entry) == []


def test_schema_refuses_a_disabled_phase_like_validate():
    entry = {"name": "Sequential", "args": {"milestones": [2], "policies": [{"name": "Constant"}, {"name": "Constant", "disabled": True}]}}
    errors = jsonschema.Draft202012Validator(generate()[LR_POLICY]).iter_errors(entry)
    assert [e.json_path for e in errors] == ["$.args.policies[1].disabled"]
    assert [p.json_path for p in validate(entry)] == ["$.args.policies[1].disabled"]


def test_messages_name_a_list_of_policies():
    (problem,) = validate({"name": "Sequential", "args": {"milestones": [], "policies": None}})
    assert problem.message == "expected a list of policies, at least 1, got a null"


def test_sequential_equals_torch_sequential_lr():
    torch = requires_extra("torch")
    from torch.optim import lr_scheduler

    from lrpol import ExponentialDecay

    total = 1000
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = lr_scheduler.SequentialLR(
        optimizer,
        [lr_scheduler.ExponentialLR(optimizer, gamma=0.99), lr_scheduler.CosineAnnealingLR(optimizer, T_max=total - 300)],
        milestones=[300],
    )
    theirs = []
    for _ in range(total):
        theirs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    policy = Sequential(policies=(ExponentialDecay(gamma=0.99), ReduceCosine(unit="step")), milestones=(300,))
    ours = curve(policy, TrainContext(initial_lr=0.1, total_epochs=10, steps_per_epoch=100)).tolist()
    for step, (a, b) in enumerate(zip(ours, theirs)):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-18), step
