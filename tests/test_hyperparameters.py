"""Schedules for momentum and weight decay: in a train config beside lr_policy, and applied by
the torch integration to every param group, resumed exactly."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import requires_extra

from lrpol import Clip, ConfigError, LinearDecay, LRPolicy, Noise, Product, ReduceCosine, ReduceOnPlateau, TrainContext, Warmup, curve, load_group_policies, load_schedules, validate
from lrpol.hyperparameters import value_function

torch = requires_extra("torch")
from lrpol.integrations.torch import attach  # noqa: E402

RUN = TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=25)  # 100 updates


def dino_cosine(base: float, final: float, updates: int) -> np.ndarray:
    """DINO's ``cosine_scheduler`` (facebookresearch/dino, utils.py) without warmup: the value for
    each update, as it computes it."""
    iters = np.arange(updates)
    return final + 0.5 * (base - final) * (1 + np.cos(np.pi * iters / len(iters)))


def run(optimizer, schedules, steps, read):
    ctx = TrainContext(initial_lr=RUN.initial_lr, total_epochs=RUN.total_epochs, steps_per_epoch=RUN.steps_per_epoch)
    hook = attach(optimizer, ReduceCosine(unit="step"), ctx, schedules=schedules)
    values = []
    for _ in range(steps):
        values.append(read(optimizer.param_groups[0]))
        optimizer.step()
        hook.step()
    return values, hook


def test_dino_cosine_weight_decay_rises_from_its_initial_value():
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(2))], lr=0.1, weight_decay=0.04)
    values, _ = run(optimizer, {"weight_decay": ReduceCosine(unit="step", min_lr=0.4)}, 100, lambda g: g["weight_decay"])
    assert np.allclose(values, dino_cosine(0.04, 0.4, 100), rtol=1e-12, atol=0)


@pytest.mark.parametrize("make, read", [
    (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), lambda g: g["momentum"]),
    (lambda p: torch.optim.Adam(p, lr=0.1, betas=(0.9, 0.95)), lambda g: g["betas"][0]),
])
def test_momentum_is_sgds_momentum_or_adams_first_beta(make, read):
    schedule = LinearDecay(start_factor=1.0, end_factor=0.5)
    optimizer = make([torch.nn.Parameter(torch.zeros(2))])
    values, _ = run(optimizer, {"momentum": schedule}, 100, read)
    expected = curve(schedule, TrainContext(initial_lr=0.9, total_epochs=4, steps_per_epoch=25))
    assert values == expected.tolist()
    if "betas" in optimizer.param_groups[0]:
        assert optimizer.param_groups[0]["betas"][1] == 0.95  # beta2 is left alone


def test_each_group_scales_its_own_initial_value():
    first, second = torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([{"params": [first], "weight_decay": 0.01}, {"params": [second], "weight_decay": 0.02}], lr=0.1)
    ctx = TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=25, global_step=50, epoch=2)
    attach(optimizer, None, ctx, schedules={"weight_decay": LinearDecay()})
    assert [group["weight_decay"] for group in optimizer.param_groups] == [0.01 * 0.5, 0.02 * 0.5]


def test_a_resumed_run_continues_the_schedules_exactly():
    def fresh():
        return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1, momentum=0.9, weight_decay=1e-4)

    schedules = {"momentum": LinearDecay(end_factor=0.9), "weight_decay": ReduceCosine(unit="step", min_lr=1e-3)}
    read = lambda group: (group["momentum"], group["weight_decay"])
    whole, _ = run(fresh(), schedules, 100, read)
    first, hook = run(fresh(), schedules, 40, read)
    # A new process: a fresh optimizer (its state not loaded), attached, then the hook's state.
    optimizer = fresh()
    resumed = attach(optimizer, ReduceCosine(unit="step"), TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=25), schedules=schedules)
    resumed.load_state_dict(json.loads(json.dumps(hook.state_dict())))
    rest = []
    for _ in range(60):
        rest.append(read(optimizer.param_groups[0]))
        optimizer.step()
        resumed.step()
    assert first + rest == whole


def test_a_schedule_that_reads_validation_results_is_refused():
    with pytest.raises(ValueError, match="momentum: a schedule for it cannot read validation results"):
        value_function(ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5), RUN, 0.9, "momentum")


def test_an_unknown_hyperparameter_is_refused_naming_the_known_ones():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"SGD has no hyperparameter 'betas1' to schedule; it has \['dampening', 'momentum', 'weight_decay'\]"):
        attach(optimizer, None, TrainContext(initial_lr=0.1, total_epochs=1), schedules={"betas1": LinearDecay()})


def test_a_zero_initial_value_cannot_be_scaled():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match=r"momentum: a schedule scales its initial value, which must be > 0, got 0\.0"):
        attach(optimizer, None, TrainContext(initial_lr=0.1, total_epochs=1), schedules={"momentum": LinearDecay()})


CONFIG = """\
epochs: 4
learning_rate: 0.1
train:
  lr_policy: {name: ReduceCosine}
  momentum_policy: {name: LinearDecay, args: {end_factor: 0.9}}
  weight_decay_policy:
    name: ReduceCosine
    args: {unit: step, min_lr: 0.4}
"""


def test_a_train_config_holds_the_schedules_beside_lr_policy(write):
    path = write("config.yaml", CONFIG)
    assert validate(path) == []
    schedules = load_schedules(path)
    assert schedules == {"momentum": LinearDecay(end_factor=0.9), "weight_decay": ReduceCosine(unit="step", min_lr=0.4)}


def test_a_mistake_in_a_schedule_is_a_problem_at_its_line(write):
    path = write("config.yaml", CONFIG.replace("min_lr: 0.4", "min_lr: -1").replace("end_factor: 0.9", "end_fator: 0.9"))
    problems = [(p.line, p.json_path, p.message, p.hint) for p in validate(path)]
    assert problems == [
        (5, "$.train.momentum_policy.args.end_fator", "unknown argument for LinearDecay", "did you mean 'end_factor'?"),
        (8, "$.train.weight_decay_policy.args.min_lr", "must be >= 0, got -1", ""),
    ]


# -- param groups on policies of their own (torch's LambdaLR with a list of lambdas) ---------------


def test_param_groups_on_policies_of_their_own_match_lambda_lr_with_a_list():
    from parity import assert_matches

    def lrs(make_scheduler_or_attach, steps=100):
        head, body = torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))
        optimizer = torch.optim.SGD([{"params": [head], "lr": 0.1}, {"params": [body], "lr": 0.02}], lr=0.1)
        step = make_scheduler_or_attach(optimizer)
        seen = []
        for _ in range(steps):
            seen.append(tuple(group["lr"] for group in optimizer.param_groups))
            optimizer.step()
            step()
        return seen

    lambdas = [lambda s: 0.5 * (1 + math.cos(math.pi * min(s, 100) / 100)), lambda s: min(1.0, (s + 1) / 11)]
    theirs = lrs(lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambdas).step)
    ctx = TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=25)
    ours = lrs(lambda o: attach(o, ReduceCosine(unit="step"), ctx, group_policies=[None, Warmup(duration=10)]).step)
    for group in (0, 1):
        assert_matches([lr[group] for lr in ours], [lr[group] for lr in theirs], 1e-12)


def test_a_train_config_holds_param_group_policies(write):
    text = CONFIG + "  group_lr_policies: [null, {name: Warmup, args: {duration: 10}}]\n"
    path = write("config.yaml", text)
    assert validate(path) == []
    assert load_group_policies(path) == [None, Warmup(duration=10)]
    broken = write("broken.yaml", text.replace("duration: 10", "duraton: 10"))
    assert [(p.line, p.json_path) for p in validate(broken)] == [(9, "$.train.group_lr_policies[1].args.duration"), (9, "$.train.group_lr_policies[1].args.duraton")]
    not_a_list = write("dict.yaml", CONFIG + "  group_lr_policies: {name: Warmup}\n")
    assert [p.message for p in validate(not_a_list)] == ["expected a list with a policy entry (or null) per param group, got an object"]


def test_a_config_with_a_broken_schedule_does_not_load(write):
    from lrpol import ConfigError, load

    path = write("config.yaml", CONFIG.replace("end_factor: 0.9", "end_factor: 9"))
    with pytest.raises(ConfigError, match=r"config.yaml:5:\d+: \$.train.momentum_policy.args.end_factor: must be >= 0 and <= 1, got 9"):
        load(path)


class Half(LRPolicy):
    """A policy of the user's own, written with evaluate alone: half of lr0."""

    def evaluate(self, ctx):
        return ctx.initial_lr * 0.5


@pytest.mark.parametrize(
    "policy",
    [Half(), Warmup(duration=2, policy=Half()), Noise(policy=Half(), limit=0.1), Clip(policy=Half(), max_lr=0.9), Product(policies=(Half(), LinearDecay()))],
    ids=lambda policy: type(policy).__name__,
)
def test_a_composite_over_a_policy_that_cannot_bind_scales_the_initial_value(policy):
    # Warmup, Noise and Clip over such a policy ran on the run's context, and so from the LR's lr0
    # (0.1), not from the momentum's 0.9: a momentum of 0.05 where 0.45 was meant.
    values = value_function(policy, RUN, 0.9, "momentum")
    at = [TrainContext(initial_lr=0.9, total_epochs=4, steps_per_epoch=25, global_step=s, epoch=s // 25) for s in range(30)]
    assert [values(TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=25, global_step=s, epoch=s // 25)) for s in range(30)] == [policy.evaluate(c) for c in at]


def test_a_schedule_beside_lr_policy_that_reads_validation_results_is_a_problem_at_its_line(write):
    # validate passed it, and attach() raised a ValueError at the start of the run.
    plateau = "{name: Warmup, args: {duration: 2, policy: {name: ReduceOnPlateau, args: {plateau_count_trigger: 1, reduction_rate: 0.5}}}}"
    text = CONFIG.replace("{name: LinearDecay, args: {end_factor: 0.9}}", plateau) + f"  group_lr_policies: [null, {plateau}]\n"
    path = write("config.yaml", text)
    problems = [(p.line, p.json_path, p.code) for p in validate(path)]
    assert problems == [(5, "$.train.momentum_policy", "reads-metric"), (9, "$.train.group_lr_policies[1]", "reads-metric")]
    assert validate(write("disabled.yaml", text.replace("{name: Warmup,", "{disabled: true, name: Warmup,"))) == []
    for load in (load_schedules, load_group_policies):
        with pytest.raises(ConfigError) as info:
            load(path)
        assert str(info.value).startswith(f"{path}:5:" if load is load_schedules else f"{path}:9:")
        assert "a schedule beside lr_policy cannot read validation results" in str(info.value)
