"""Whole Clara 4 train configs (``train.lr_scheduler`` with torch's names, stepped by the
``LrScheduleHandler``) read by validate, load_run and preview, and run through the hook: the LR
of every update must equal torch's own scheduler, built from the same arguments on an optimizer
with the config's LR and stepped as the handler steps it (per epoch, or per update with
``"epoch_level": false``), within 1e-12."""

from __future__ import annotations

import copy
import json

import pytest
from conftest import requires_extra
from parity import assert_matches

from lrpol import ConfigError, LRHook, load, load_run, validate
from lrpol.cli import main
from lrpol.config import build_run
from lrpol.document import from_mapping

EPOCHS = 12
STEPS_PER_EPOCH = 3


def clara4_config(scheduler: dict, *, epoch_level: bool | None = None, lr: object = "{learning_rate}") -> dict:
    """A train config shaped like the PyTorch MMARs' config_train.json, around ``scheduler``."""
    handler_args: dict = {"print_lr": True}
    if epoch_level is not None:
        handler_args["epoch_level"] = epoch_level
    return {
        "epochs": EPOCHS,
        "num_interval_per_valid": 1,
        "learning_rate": 2e-4,
        "multi_gpu": False,
        "amp": True,
        "determinism": {"random_seed": 0},
        "cudnn_benchmark": False,
        "dont_load_ckpt_model": True,
        "train": {
            "loss": {"name": "DiceLoss", "args": {"to_onehot_y": True, "softmax": True}},
            "optimizer": {"name": "Adam", "args": {"lr": lr}},
            "lr_scheduler": scheduler,
            "model": {"name": "SegResNet", "args": {"spatial_dims": 3, "in_channels": 1, "out_channels": 2, "init_filters": 16}},
            "pre_transforms": [{"name": "LoadImaged", "args": {"keys": ["image", "label"]}}],
            "dataset": {"name": "CacheDataset", "data_list_file_path": "{DATASET_JSON}", "data_file_base_dir": "{DATA_ROOT}", "data_list_key": "training"},
            "dataloader": {"name": "DataLoader", "args": {"batch_size": 2, "shuffle": True, "num_workers": 4}},
            "inferer": {"name": "SimpleInferer"},
            "handlers": [
                {"name": "CheckpointLoader", "disabled": "{dont_load_ckpt_model}", "args": {"load_path": "{MMAR_CKPT}", "load_dict": ["model"]}},
                {"name": "LrScheduleHandler", "args": handler_args},
                {"name": "ValidationHandler", "args": {"epoch_level": True, "interval": "{num_interval_per_valid}"}},
                {"name": "CheckpointSaver", "rank": 0, "args": {"save_dir": "{MMAR_CKPT_DIR}", "save_dict": ["model", "optimizer", "lr_scheduler"], "save_final": True}},
            ],
            "trainer": {"name": "SupervisedTrainer", "args": {"max_epochs": "{epochs}"}},
        },
        "validate": {"metrics": [{"name": "MeanDice", "log_label": "val_mean_dice", "is_key_metric": True}]},
    }


def write_config(tmp_path, config: dict, name: str = "config_train.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(config, indent=4))
    return str(path)


def torch_per_update(name: str, args: dict, lr0: float, *, per_epoch: bool, epochs: int = EPOCHS, steps_per_epoch: int = STEPS_PER_EPOCH, metrics: list[float] | None = None) -> list[float]:
    """torch's scheduler ``name`` built from the config's ``args`` (nested schedulers too) on an
    Adam optimizer at ``lr0``, stepped as the handler steps it; the LR of every update."""
    import torch

    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=lr0)

    def build(name: str, args: dict) -> object:
        arguments = {**args, "optimizer": optimizer}  # Clara's "@optimizer" is this one
        if "schedulers" in arguments:
            arguments["schedulers"] = [build(entry["name"], entry.get("args", {})) for entry in arguments["schedulers"]]
        return getattr(torch.optim.lr_scheduler, name)(**arguments)

    scheduler = build(name, args)
    lrs = []
    for epoch in range(epochs):
        for step in range(steps_per_epoch):
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            if not per_epoch and (epoch, step) != (epochs - 1, steps_per_epoch - 1):
                scheduler.step()
        if metrics is not None and epoch < len(metrics):
            scheduler.step(metrics[epoch])
        elif per_epoch and epoch < epochs - 1:
            scheduler.step()
    return lrs


def lrpol_per_update(path: str, *, variables: dict | None = None, metrics: list[float] | None = None) -> list[float]:
    """The LR of every update of the config's run through the hook, results reported after each epoch."""
    policy, ctx = load_run(path, steps_per_epoch=STEPS_PER_EPOCH, variables=variables)
    applied: list[float] = []
    hook = LRHook(policy, ctx, applied.append)
    lrs = []
    for epoch in range(ctx.total_epochs):
        for _ in range(STEPS_PER_EPOCH):
            lrs.append(ctx.current_lr)
            hook.step()
        if metrics is not None and epoch < len(metrics):
            hook.report_metric(metrics[epoch])
    return lrs


# name, args, epoch_level: what the public PyTorch MMARs and Clara 4 AutoML configs write, and
# every torch scheduler lrpol reads
CASES = [
    ("StepLR", {"optimizer": "@optimizer", "step_size": 5000, "gamma": 0.1}, None),  # the most common: per epoch, never decays
    ("StepLR", {"optimizer": "@optimizer", "step_size": 4, "gamma": 0.5}, None),
    ("StepLR", {"optimizer": "@optimizer", "step_size": 5, "gamma": 0.5}, False),
    ("MultiStepLR", {"milestones": [3, 7, 8], "gamma": 0.3}, True),
    ("ExponentialLR", {"gamma": 0.9}, False),
    ("ConstantLR", {"factor": 0.5, "total_iters": 4}, None),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 5}, False),
    ("PolynomialLR", {"total_iters": 20, "power": 2.0}, False),
    ("CosineAnnealingLR", {"optimizer": "@optimizer", "T_max": "{epochs}"}, None),
    ("CosineAnnealingLR", {"T_max": 5, "eta_min": 1e-6}, None),  # T_max shorter than the run: torch rises again after it
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 1e-5}, False),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 1e-6}, None),
    ("OneCycleLR", {"max_lr": 0.01, "total_steps": EPOCHS * STEPS_PER_EPOCH}, False),
    ("OneCycleLR", {"max_lr": 0.01, "epochs": EPOCHS, "steps_per_epoch": STEPS_PER_EPOCH, "anneal_strategy": "linear", "three_phase": True}, False),
    ("CyclicLR", {"base_lr": 1e-5, "max_lr": 1e-3, "step_size_up": 4, "mode": "triangular2"}, False),
    ("SequentialLR", {"schedulers": [{"name": "LinearLR", "args": {"start_factor": 0.1, "total_iters": 3}}, {"name": "CosineAnnealingLR", "args": {"T_max": 9}}], "milestones": [3]}, None),
    ("ChainedScheduler", {"schedulers": [{"name": "ConstantLR", "args": {"factor": 0.5, "total_iters": 2}}, {"name": "ExponentialLR", "args": {"gamma": 0.9}}]}, False),
    ("ChainedScheduler", {"schedulers": [{"name": "StepLR", "args": {"step_size": 3}}, {"name": "CosineAnnealingLR", "args": {"T_max": EPOCHS - 1}}]}, None),  # up to T_max
    ("ExponentialLR", {"gamma": 1.1}, False),  # growing, without a ceiling, as torch lets it
]


@pytest.mark.parametrize("name, args, epoch_level", CASES, ids=lambda value: json.dumps(value) if not isinstance(value, str) else value)
def test_every_update_equals_torch_stepped_as_the_handler_steps_it(tmp_path, name, args, epoch_level):
    requires_extra("torch")
    path = write_config(tmp_path, clara4_config({"name": name, "args": args}, epoch_level=epoch_level))
    assert validate(path) == []
    lr0 = 2e-4
    theirs = torch_per_update(name, json.loads(json.dumps(args).replace('"{epochs}"', str(EPOCHS))), lr0, per_epoch=epoch_level is not False)
    assert_matches(lrpol_per_update(path), theirs, 1e-12, what=f"{name} {args}")


def test_reduce_lr_on_plateau_with_all_its_options_follows_the_results_as_torch_does(tmp_path):
    requires_extra("torch")
    args = {"mode": "max", "factor": 0.5, "patience": 1, "threshold": 0.01, "threshold_mode": "abs", "cooldown": 1, "min_lr": 2e-5, "eps": 1e-9}
    path = write_config(tmp_path, clara4_config({"name": "ReduceLROnPlateau", "args": args}))
    metrics = [0.5, 0.6, 0.605, 0.6, 0.7, 0.7, 0.69, 0.7, 0.71, 0.7, 0.7]  # mean dice: higher is better
    theirs = torch_per_update("ReduceLROnPlateau", args, 2e-4, per_epoch=True, metrics=metrics)
    ours = lrpol_per_update(path, metrics=metrics)
    assert len(set(theirs)) >= 3  # reductions happened, cooldown and min_lr took part
    assert_matches(ours, theirs, 1e-12)


def test_variables_set_epochs_and_the_optimizers_lr_and_a_literal_lr_wins_over_learning_rate(tmp_path):
    requires_extra("torch")
    path = write_config(tmp_path, clara4_config({"name": "CosineAnnealingLR", "args": {"T_max": "{epochs}"}}))
    policy, ctx = load_run(path, steps_per_epoch=STEPS_PER_EPOCH, variables={"epochs": 20, "learning_rate": 0.01})
    assert (ctx.initial_lr, ctx.total_epochs) == (0.01, 20)
    assert repr(policy) == "ReduceCosine(horizon=20, after='torch')"  # per epoch: ReduceCosine's default unit
    literal = write_config(tmp_path, clara4_config({"name": "StepLR", "args": {"step_size": 2}}, lr=0.003), "literal.json")
    assert load_run(literal, variables={"learning_rate": 0.01})[1].initial_lr == 0.003  # torch starts from the optimizer's lr


def test_one_cycle_starts_from_its_own_peak_whatever_the_optimizers_lr(tmp_path):
    path = write_config(tmp_path, clara4_config({"name": "OneCycleLR", "args": {"max_lr": 0.05, "total_steps": 36}}, epoch_level=False))
    policy, ctx = load_run(path, steps_per_epoch=STEPS_PER_EPOCH)
    assert ctx.initial_lr == 0.05 and repr(policy) == "OneCycle(horizon=36)"
    assert LRHook(policy, ctx, lambda lr: None).ctx.current_lr == pytest.approx(0.05 / 25, rel=1e-15)


def test_native_lrpol_names_work_under_lr_scheduler_without_a_handler(tmp_path):
    config = clara4_config({"name": "ReducePoly", "args": {"poly_power": 0.9}})
    config["train"]["handlers"] = [handler for handler in config["train"]["handlers"] if handler["name"] != "LrScheduleHandler"]
    path = write_config(tmp_path, config)
    assert validate(path) == []
    policy, ctx = load_run(path)
    assert repr(policy) == "ReducePoly(poly_power=0.9)" and ctx.initial_lr == 2e-4


def test_the_pointer_to_lr_scheduler_reads_it_the_same_way(tmp_path):
    path = write_config(tmp_path, clara4_config({"name": "StepLR", "args": {"step_size": 4}}))
    assert repr(load(path, pointer="/train/lr_scheduler")) == repr(load(path)) == "DecayOnStep(decay_ratio=0.1, decay_freq=4, unit='epoch')"


def test_a_disabled_scheduler_leaves_the_lr_at_the_optimizers(tmp_path):
    path = write_config(tmp_path, clara4_config({"name": "StepLR", "disabled": True, "args": {"step_size": 4}}, lr=0.02))
    assert validate(path) == []
    policy, ctx = load_run(path)
    assert policy is None and ctx.initial_lr == 0.02


def problems_of(tmp_path, config: dict) -> list[tuple]:
    path = write_config(tmp_path, config)
    problems = validate(path)
    with pytest.raises(ConfigError):
        load(path)
    return [(p.line, p.column, p.json_path, p.message, p.hint, p.code) for p in problems]


def scheduler_line(config: dict, needle: str) -> int:
    """The line of the first occurrence of ``needle`` in the config as written (indent 4)."""
    return next(number for number, line in enumerate(json.dumps(config, indent=4).splitlines(), 1) if needle in line)


def test_a_typo_in_the_name_gets_did_you_mean_over_torchs_names(tmp_path):
    config = clara4_config({"name": "StepLr", "args": {"step_size": 4}})
    ((line, column, json_path, message, hint, code),) = problems_of(tmp_path, config)
    assert (line, json_path, message, hint, code) == (scheduler_line(config, '"StepLr"'), "$.train.lr_scheduler.name", "unknown scheduler 'StepLr'", "did you mean 'StepLR'?", "unknown-policy")
    assert column == json.dumps(config, indent=4).splitlines()[line - 1].index('"StepLr"') + 1


def test_a_typo_in_an_argument_gets_did_you_mean_over_torchs_arguments(tmp_path):
    config = clara4_config({"name": "CosineAnnealingLR", "args": {"T_mx": 10, "eta_min": -1.0}})
    problems = problems_of(tmp_path, config)
    args_line = scheduler_line(config, '"T_mx"') - 1  # a missing argument is placed at the args object
    assert [(line, json_path, message, hint) for line, _, json_path, message, hint, _ in problems] == [
        (args_line, "$.train.lr_scheduler.args.T_max", "missing required argument 'T_max' for CosineAnnealingLR (an integer >= 1)", ""),
        (args_line + 1, "$.train.lr_scheduler.args.T_mx", "unknown argument for CosineAnnealingLR", "did you mean 'T_max'?"),
        (args_line + 2, "$.train.lr_scheduler.args.eta_min", "must be >= 0, got -1", ""),
    ]


def test_a_torch_scheduler_nothing_steps_is_a_problem_at_the_scheduler(tmp_path):
    config = clara4_config({"name": "StepLR", "args": {"step_size": 4}})
    config["train"]["handlers"] = config["train"]["handlers"][:1]
    ((line, _, json_path, message, hint, code),) = problems_of(tmp_path, config)
    assert (line, json_path, code) == (scheduler_line(config, '"lr_scheduler"'), "$.train.lr_scheduler", "missing-handler")
    assert message == "nothing steps this scheduler: train.handlers has no enabled LrScheduleHandler"
    assert hint.startswith('add {"name": "LrScheduleHandler"} to train.handlers')


def test_lr_policy_and_lr_scheduler_together_are_a_conflict(tmp_path):
    config = clara4_config({"name": "StepLR", "args": {"step_size": 4}})
    config["train"]["lr_policy"] = {"name": "ReducePoly", "args": {"poly_power": 0.9}}
    ((line, _, json_path, message, _, code),) = problems_of(tmp_path, config)
    assert (line, json_path, code) == (scheduler_line(config, '"lr_scheduler"'), "$.train.lr_scheduler", "conflict")
    assert message == "train has both lr_policy and lr_scheduler, so which one sets the LR is unclear"


def test_a_torch_name_inside_a_native_policy_is_not_a_policy(tmp_path):
    config = clara4_config({"name": "Sequential", "args": {"policies": [{"name": "StepLR", "args": {"step_size": 1}}, {"name": "ReducePoly", "args": {"poly_power": 1}}], "milestones": [2]}})
    ((line, _, json_path, message, hint, code),) = problems_of(tmp_path, config)
    assert (line, json_path, message, code) == (scheduler_line(config, '"StepLR"'), "$.train.lr_scheduler.args.policies[0].name", "unknown policy 'StepLR'", "unknown-policy")
    assert hint == "StepLR is a torch scheduler: name it in lr_scheduler itself, or in a SequentialLR or ChainedScheduler there"


def test_an_epoch_level_that_is_not_a_boolean_is_a_problem_at_its_place(tmp_path):
    config = clara4_config({"name": "StepLR", "args": {"step_size": 4}}, epoch_level="no")  # type: ignore[arg-type]
    ((line, _, json_path, message, _, code),) = problems_of(tmp_path, config)
    assert (line, json_path, message, code) == (scheduler_line(config, '"epoch_level"'), "$.train.handlers[1].args.epoch_level", "epoch_level must be a boolean, got a string", "wrong-type")


def test_preview_shows_the_torch_schedule_per_epoch(tmp_path, capsys):
    path = write_config(tmp_path, clara4_config({"name": "StepLR", "args": {"optimizer": "@optimizer", "step_size": 4, "gamma": 0.5}}))
    assert main(["preview", path, "--steps-per-epoch", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{path}: DecayOnStep(decay_ratio=0.5, decay_freq=4, unit='epoch')"
    assert out[1] == "lr0=0.0002 epochs=12 steps_per_epoch=2"
    assert [line.split()[0:2] for line in out[3:7]] == [["0", "2.000000e-04"], ["1", "2.000000e-04"], ["2", "2.000000e-04"], ["3", "2.000000e-04"]]
    assert out[7].split()[:2] == ["4", "1.000000e-04"]


def test_the_config_is_not_changed_by_reading_it(tmp_path):
    config = clara4_config({"name": "SequentialLR", "args": {"schedulers": [{"name": "ConstantLR"}, {"name": "StepLR", "args": {"step_size": 2}}], "milestones": [5]}})
    before = copy.deepcopy(config)
    path = write_config(tmp_path, config)
    assert validate(config) == validate(path) == []
    assert config == before


def test_a_torch_name_in_a_clara_3_lr_policy_says_where_torch_names_go(tmp_path):
    config = {"epochs": 3, "learning_rate": 0.1, "train": {"lr_policy": {"name": "CosineAnnealingLR", "args": {"T_max": 3}}}}
    ((line, _, json_path, message, hint, code),) = problems_of(tmp_path, config)
    assert (line, json_path, message, code) == (scheduler_line(config, '"CosineAnnealingLR"'), "$.train.lr_policy.name", "unknown policy 'CosineAnnealingLR'", "unknown-policy")
    assert hint == "CosineAnnealingLR is a torch scheduler: Clara 4's train.lr_scheduler reads it; the README's \"Coming from torch\" table gives the lrpol policy with its LRs"


def test_the_readme_clara_4_example_is_read_as_it_says():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Clara 4: `train.lr_scheduler`", 1)[1]
    example = json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    assert validate(example) == []
    policy, settings = build_run(from_mapping(example))
    assert repr(policy) == "DecayOnStep(decay_ratio=0.1, decay_freq=5000, unit='epoch')"
    assert settings == {"learning_rate": 2e-4, "epochs": 1260}


def test_a_one_cycle_shorter_than_the_run_is_refused_as_torch_refuses_its_extra_steps(tmp_path):
    # The handler steps after the last epoch too: 12 epochs take 12 steps, and torch raises past total_steps
    short = clara4_config({"name": "OneCycleLR", "args": {"max_lr": 0.01, "total_steps": 11}})
    ((line, _, json_path, message, _, code),) = problems_of(tmp_path, short)
    assert (line, json_path, code) == (scheduler_line(short, '"max_lr"') - 1, "$.train.lr_scheduler.args", "too-short")
    assert message == "torch's OneCycleLR refuses to be stepped more than 11 times, and stepped once per epoch this run steps it 12 times"
    assert validate(clara4_config({"name": "OneCycleLR", "args": {"max_lr": 0.01, "total_steps": 12}})) == []
    per_update = write_config(tmp_path, clara4_config({"name": "OneCycleLR", "args": {"max_lr": 0.01, "total_steps": 35}}, epoch_level=False), "per_update.json")
    assert validate(per_update) == []  # the run's updates are not known without steps_per_epoch
    with pytest.raises(ConfigError) as caught:
        load_run(per_update, steps_per_epoch=STEPS_PER_EPOCH)
    assert caught.value.problems[0].message == "torch's OneCycleLR refuses to be stepped more than 35 times, and stepped once per update (12 epochs of 3) this run steps it 36 times"
    assert load_run(per_update, steps_per_epoch=2)[0] is not None


def test_the_torch_check_of_the_one_cycle_length_reaches_preview(tmp_path, capsys):
    path = write_config(tmp_path, clara4_config({"name": "OneCycleLR", "args": {"max_lr": 0.01, "total_steps": 20}}, epoch_level=False))
    assert main(["preview", path, "--steps-per-epoch", "2"]) == 1
    assert "refuses to be stepped more than 20 times" in capsys.readouterr().err


def test_a_repeated_key_or_a_nan_where_lrpol_reads_nothing_is_left_alone_as_json_loads_leaves_it(tmp_path):
    config = clara4_config({"name": "StepLR", "args": {"step_size": 4}})
    text = json.dumps(config, indent=4)
    # Comment keys repeated, and a NaN, in sections Clara reads with json.loads and lrpol does not read
    text = text.replace('"loss": {', '"//": "loss", "//": "again", "loss": {"weight": NaN, ')
    path = tmp_path / "config_train.json"
    path.write_text(text)
    assert validate(str(path)) == []
    # The same in the scheduler, the handlers or a top-level value is a problem at its place
    for where, repeated in (('"step_size": 4', '"step_size": 4, "step_size": 5'), ('"print_lr": true', '"print_lr": true, "print_lr": true'), ('"epochs": 12', '"epochs": 12, "epochs": 13')):
        path.write_text(text.replace(where, repeated))
        ((problem),) = validate(str(path))
        assert (problem.code, problem.message) == ("duplicate-key", f"duplicate key {repeated.split(':')[0].strip(chr(34))!r}")


def test_a_chain_holding_a_cosine_is_refused_for_a_run_past_its_t_max(tmp_path):
    chained = {"name": "ChainedScheduler", "args": {"schedulers": [{"name": "StepLR", "args": {"step_size": 3}}, {"name": "CosineAnnealingLR", "args": {"T_max": "{epochs}"}}]}}
    assert validate(clara4_config(chained)) == []
    problems = validate(clara4_config(chained), variables={"epochs": 13, "T": 12})  # T_max follows epochs: still valid
    assert problems == []
    chained["args"]["schedulers"][1]["args"]["T_max"] = 10
    (problem,) = validate(clara4_config(chained))
    assert (problem.json_path, problem.code) == ("$.train.lr_scheduler.args", "not-supported")
    assert problem.message == "past T_max (10) torch's CosineAnnealingLR adds to the LR, so in a chain its LRs are no product lrpol can give, and stepped once per epoch this run steps it 12 times"


def test_diff_sees_a_changed_max_lr_as_a_changed_curve(tmp_path, capsys):
    old = write_config(tmp_path, clara4_config({"name": "OneCycleLR", "args": {"max_lr": 0.05, "total_steps": 12}}), "old.json")
    new = write_config(tmp_path, clara4_config({"name": "OneCycleLR", "args": {"max_lr": 0.1, "total_steps": 12}}), "new.json")
    assert main(["diff", old, new]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[2:5] == [
        "run: lr0=0.05 -> 0.1 epochs=12 steps_per_epoch=1 (12 updates)",
        "the configs start from different lr0: old 0.05, new 0.1; each curve starts from its own",
        "the curves differ: first at update 0 (epoch 0): 2.000000e-03 -> 4.000000e-03",
    ]
