"""The README's promises: exactly two quick-start commands, CI runs the test one verbatim, and
every example runs: its Python blocks are executed, its commands run through the CLI's main()
(or a shell, for pipelines), and its config snippets are validated and built."""

import json
import math
import re
import shlex
from pathlib import Path

import pytest
from conftest import ROOT, requires_extra
from warnings_check import no_scheduler_warnings

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language, section=None):
    """The ``language`` code blocks of the README, or of its ``## section``."""
    text = README if section is None else README.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def _quick_start_commands():
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    return [line for line in block.splitlines() if line.strip()]


def test_quick_start_has_exactly_two_commands():
    install_and_run, test = _quick_start_commands()
    assert install_and_run.startswith("pip install . && lrpol validate configs/")
    assert test == "pip install '.[test]' && python -m pytest"


def test_ci_runs_the_readme_test_command_verbatim_before_installing_any_extra():
    test_command = _quick_start_commands()[1]
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    installs = [line for line in ci_lines if line.startswith("pip install")]
    assert installs[0] == test_command
    assert any(line.startswith("python -m pytest --no-skips") for line in ci_lines)


def test_readme_api_example_runs(monkeypatch):
    monkeypatch.chdir(ROOT)
    (api_example,) = _blocks("python", "Python API")[:1]
    exec(compile(api_example, "README.md (API example)", "exec"), {})  # our own README


def test_readme_torch_example_runs():
    torch = requires_extra("torch")
    import lrpol

    optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    ctx = lrpol.TrainContext(initial_lr=0.1, total_epochs=2, steps_per_epoch=3)
    namespace = {"optimizer": optimizer, "policy": lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=2), "ctx": ctx, "lrpol": lrpol}
    torch_example = _blocks("python", "Python API")[1]
    exec(compile(torch_example, "README.md (torch example)", "exec"), namespace)
    assert optimizer.param_groups[0]["lr"] == 0.1
    namespace["hook"].step()
    namespace["hook"].step()
    assert optimizer.param_groups[0]["lr"] == 0.05


def test_readme_schedules_beyond_the_lr_example_runs(tmp_path, monkeypatch):
    torch = requires_extra("torch")
    import lrpol

    section = "Beyond the LR: momentum, weight decay, param groups"
    (config,) = _blocks("yaml", section)
    (example,) = _blocks("python", section)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yaml").write_text(config, encoding="utf-8")
    head, body = torch.nn.Linear(2, 1), torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD([{"params": head.parameters()}, {"params": body.parameters(), "lr": 0.01}], lr=0.1, momentum=0.95, weight_decay=0.04)
    namespace = {"optimizer": optimizer, "loader": range(10), "lrpol": lrpol}
    exec(compile(example, "README.md (schedules example)", "exec"), namespace)
    group, other = optimizer.param_groups
    assert group["momentum"] == 0.95 and math.isclose(group["weight_decay"], 0.04, rel_tol=1e-15)  # update 0: the optimizer's own values
    assert math.isclose(group["lr"], 0.1 / 25, rel_tol=1e-12)  # OneCycle starts at lr0 / div_factor
    assert math.isclose(other["lr"], 0.01 / 501, rel_tol=1e-12)  # group 1's own Warmup, from its own LR
    for _ in range(224):  # to OneCycle's peak, at a quarter of 900 updates, less one (torch's phase end)
        namespace["hook"].step()
    assert (group["lr"], group["momentum"]) == (0.1, 0.85)


# -- every other example: each code block (and each command in the prose) runs here ----------
#
# Covered elsewhere: the Python API example and the torch one (above), the pip commands and
# `python -m pytest` (.ci/run, verbatim), `lrpol validate - < /dev/zero` and `lrpol --version`
# (test_cli_input.py), `lrpol schema --write` (test_cli_tools.py), check-jsonschema on every
# example config (test_schema.py), the benchmark commands (.ci/run, with --quick) and
# LRPOL_PARITY_LOG (tests/parity.py).


def _block(section: str, language: str, index: int = 0) -> str:
    return _blocks(language, section)[index]


def _subsection_block(title: str, language: str) -> str:
    """The ``language`` code block of the README's ``### title`` (one per subsection)."""
    text = README.split(f"\n### {title}\n", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    (block,) = re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)
    return block


#: Every code block of the README, by its section and language, and the tests that run it, in
#: order. A block added without a test here fails test_every_code_block_is_run_by_a_test.
BLOCKS = {
    ("Quick start", "bash"): ["test_quick_start_lrpol_commands_run (and .ci/run, verbatim)"],
    ("Composition: warmup, phases, plateau over anything", "yaml"): ["test_composition_example_validates_and_builds_what_it_says"],
    ("Beyond the LR: momentum, weight decay, param groups", "yaml"): ["test_readme_schedules_beyond_the_lr_example_runs"],
    ("Beyond the LR: momentum, weight decay, param groups", "python"): ["test_readme_schedules_beyond_the_lr_example_runs"],
    ("Config format", "json"): ["test_config_format_example_validates_and_runs", "test_clara4_config_example_validates_and_runs_as_torch_steps_it",
                                "test_bundle_config_example_validates_and_runs"],
    ("Errors", "text"): ["test_errors_example_is_what_validate_prints"],
    ("Python API", "python"): ["test_readme_api_example_runs", "test_readme_torch_example_runs"],
    ("Training integrations", "python"): ["test_plain_torch_loop_example_runs_and_resumes_on_the_same_lrs", "test_lightning_example_runs_the_policy",
                                          "test_transformers_example_runs_the_policy", "test_accelerate_example_runs_the_policy", "test_ignite_example_runs",
                                          "test_optax_example_runs_the_plateau_from_the_host", "test_keras_example_runs"],
    ("Training integrations", "json"): ["test_monai_bundle_example_builds_and_runs_the_policy"],
    ("Resuming a run exactly", "python"): ["test_resume_example_runs"],
    ("Checking configs in CI", "yaml"): ["test_ci_job_example_runs", "test_pre_commit_example_names_the_hook_this_repository_publishes",
                                         "test_yaml_schema_line_example_is_a_comment_lrpol_reads_past"],
    ("Checking configs in CI", "bash"): ["test_check_jsonschema_example_runs"],
    ("Checking configs in CI", "json"): ["test_editor_settings_example_points_at_the_published_schema"],
    ("`lrpol preview`", "text"): ["test_preview_usage_lists_real_flags_and_runs_with_all_of_them"],
    ("Reviewing a schedule change: `lrpol diff`", "text"): ["test_diff_usage_lists_real_flags_and_runs_with_all_of_them"],
    ("Reviewing a schedule change: `lrpol diff`", "yaml"): ["test_diff_ci_step_example_runs_in_a_git_repository"],
    ("Converting a torch / Clara 4 / bundle schedule: `lrpol convert`", "bash"): ["test_convert_example_is_what_convert_prints"],
    ("Converting a torch / Clara 4 / bundle schedule: `lrpol convert`", "yaml"): ["test_convert_example_is_what_convert_prints"],
}


def test_every_code_block_is_run_by_a_test():
    found: dict = {}
    for section in re.findall(r"^## (.+)$", README, flags=re.M):
        for language in re.findall(r"^```(\w+)$", README.split(f"## {section}", 1)[1].split("\n## ", 1)[0], flags=re.M):
            found[(section, language)] = found.get((section, language), 0) + 1
    assert found == {key: len(tests) for key, tests in BLOCKS.items()}
    named = {name.split(" ")[0] for tests in BLOCKS.values() for name in tests}
    assert named <= set(globals()), named - set(globals())


def _lrpol(command: str, cwd=None) -> tuple[int, str, str]:
    """A README command line starting with ``lrpol``, run through the CLI's main() from ``cwd``
    (the repository by default): (exit code, stdout, stderr)."""
    import contextlib
    import io
    import os

    from lrpol.cli import main

    words = shlex.split(command)
    assert words[0] == "lrpol", command
    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    os.chdir(cwd or ROOT)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(words[1:])
            except SystemExit as exit:  # --version, --help
                code = exit.code
    finally:
        os.chdir(before)
    return code, out.getvalue(), err.getvalue()


def test_quick_start_lrpol_commands_run():
    install_and_run = _quick_start_commands()[0]
    commands = [part.strip() for part in install_and_run.split("&&") if part.strip().startswith("lrpol ")]
    assert commands == ["lrpol validate configs/", "lrpol preview configs/reduce_poly.json"]
    code, _, err = _lrpol(commands[0])
    assert code == 0 and err.endswith(" with problems\n") and ", 0 with problems" in err
    code, out, _ = _lrpol(commands[1])
    lines = out.splitlines()
    assert code == 0 and lines[0] == "configs/reduce_poly.json: ReducePoly(poly_power=0.9)"


def test_composition_example_validates_and_builds_what_it_says(tmp_path):
    import lrpol

    snippet = tmp_path / "composition.yaml"
    snippet.write_text(_block("Composition: warmup, phases, plateau over anything", "yaml"), encoding="utf-8")
    assert lrpol.validate(snippet, pointer="/lr_policy") == []
    policy = lrpol.load(snippet, pointer="/lr_policy")
    warmup = lrpol.Warmup(duration=5, unit="epoch", policy=lrpol.ReducePoly(poly_power=0.9))
    assert policy == lrpol.ReduceOnPlateau(plateau_count_trigger=5, reduction_rate=0.5, policy=warmup)


def test_config_format_example_validates_and_runs(tmp_path):
    import lrpol

    config = tmp_path / "config_train.json"
    config.write_text(_block("Config format", "json"), encoding="utf-8")
    assert lrpol.validate(config) == []
    policy, ctx = lrpol.load_run(config, steps_per_epoch=10)
    assert policy == lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=2000)  # "{decay_every}" filled in
    assert (ctx.initial_lr, ctx.total_epochs) == (2e-4, 100)


#: configs/x.yaml, written as a config is: the two mistakes the Errors example shows.
ERRORS_CONFIG = """\
epochs: 100
learning_rate: 0.001
train:
  lr_policy:
    name: DecayOnStep
    args:
      decay_rato: 0.5
      decay_freq: 0
"""
#: What lrpol validate prints for it: the README's example, with the missing 'decay_ratio' the
#: typo leaves (at the key of the args that lack it) and the column the typo really has.
ERRORS_OUTPUT = """\
configs/x.yaml:6:5: $.train.lr_policy.args.decay_ratio: missing required argument 'decay_ratio' for DecayOnStep (a number > 0 and <= 1)
configs/x.yaml:7:7: $.train.lr_policy.args.decay_rato: unknown argument for DecayOnStep; did you mean 'decay_ratio'?
configs/x.yaml:8:19: $.train.lr_policy.args.decay_freq: must be >= 1, got 0
"""


def test_errors_example_is_what_validate_prints(tmp_path):
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "x.yaml").write_text(ERRORS_CONFIG, encoding="utf-8")
    code, out, _ = _lrpol("lrpol validate configs/x.yaml", cwd=tmp_path)
    assert (code, out) == (1, ERRORS_OUTPUT)  # the README's block: test_readme_says_what_lrpol_does


def test_readme_says_what_lrpol_does():
    """The README's Errors block is what validate prints, and its usage lines name every flag."""
    assert _block("Errors", "text") == ERRORS_OUTPUT
    assert set(_usage_flags("`lrpol preview`")) == _parser_flags("preview")
    assert set(_usage_flags("Reviewing a schedule change: `lrpol diff`")) == _parser_flags("diff")


def test_ignite_example_runs():
    torch = requires_extra("torch")
    requires_extra("ignite")
    from ignite.engine import Engine, Events

    import lrpol
    from lrpol.integrations.torch import attach

    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    policy = lrpol.ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5)
    ctx = lrpol.TrainContext(initial_lr=0.1, total_epochs=3)
    trainer, evaluator = Engine(lambda engine, batch: optimizer.step()), Engine(lambda engine, batch: None)

    @evaluator.on(Events.COMPLETED)
    def flat_dice(engine):
        engine.state.metrics["val_mean_dice"] = 0.5

    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda: evaluator.run([0]))
    namespace = {"attach": attach, "optimizer": optimizer, "policy": policy, "ctx": ctx, "trainer": trainer, "evaluator": evaluator}
    exec(compile(_subsection_block("MONAI and Ignite", "python"), "README.md (Ignite example)", "exec"), namespace)
    trainer.run([0, 1], max_epochs=3)
    # a flat Dice: the first result is the best, each later one a plateau of 1, which halves the LR
    assert namespace["handler"].hook.ctx.metric_count == 3 and optimizer.param_groups[0]["lr"] == 0.025


def test_keras_example_runs():
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")  # before keras is imported, as test_keras.py does
    requires_extra("torch")
    keras = requires_extra("keras")
    import numpy as np

    import lrpol

    x = np.linspace(-1, 1, 16, dtype="float32")[:, None]
    y, val = 2 * x, (x, 2 * x)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    policy, ctx = lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=1, unit="epoch"), lrpol.TrainContext(initial_lr=0.1, total_epochs=3)
    namespace = {"model": model, "x": x, "y": y, "val": val, "ctx": ctx, "policy": policy}
    exec(compile(_subsection_block("Keras 3", "python"), "README.md (Keras example)", "exec"), namespace)
    # three epochs of one batch each: the last ran at 0.1 / 4, and the callback set the LR after it
    assert math.isclose(float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)), 0.1 / 8, rel_tol=1e-6)


# -- Training integrations: one block per stack, each run with that stack -----------------------

#: Lower is better: the first result is the best, the second reduces, the third improves, the fourth reduces.
STACK_RESULTS = [1.0, 1.0, 0.5, 0.5]


def _stack_plateau():
    import lrpol

    return lrpol.ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, mode="min", policy=lrpol.Warmup(duration=2, policy=lrpol.ReduceCosine(unit="step")))


def test_plain_torch_loop_example_runs_and_resumes_on_the_same_lrs(tmp_path):
    torch = requires_extra("torch")
    import lrpol

    class Interrupted(Exception):
        pass

    generator = torch.Generator().manual_seed(0)
    loader_batches = [(torch.randn(2, 2, generator=generator), torch.randn(2, 1, generator=generator)) for _ in range(3)]

    def run(resuming: bool, stop_before_epoch: int | None = None) -> list[float]:
        torch.manual_seed(0)
        model = torch.nn.Linear(2, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        ctx = lrpol.TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=len(loader_batches))
        lrs: list[float] = []

        class Loader:
            epochs = 0

            def __iter__(self):  # type: ignore[no-untyped-def]
                if self.epochs == stop_before_epoch:
                    raise Interrupted
                self.epochs += 1
                return iter(loader_batches)

        def loss_fn(output, target):  # type: ignore[no-untyped-def]
            lrs.append(optimizer.param_groups[0]["lr"])
            return torch.nn.functional.mse_loss(output, target)

        namespace = {"torch": torch, "model": model, "optimizer": optimizer, "policy": _stack_plateau(), "ctx": ctx, "loader": Loader(), "loss_fn": loss_fn,
                     "validate": lambda model: STACK_RESULTS[namespace["scheduler"].ctx.epoch - 1], "resuming": resuming, "path": tmp_path / "checkpoint.pt"}
        try:
            with no_scheduler_warnings():
                exec(compile(_subsection_block("Plain PyTorch loop", "python"), "README.md (plain PyTorch loop)", "exec"), namespace)
        except Interrupted:
            pass
        return lrs

    whole = run(resuming=False)
    assert whole == lrpol.curve(_stack_plateau(), lrpol.TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=3), metrics=STACK_RESULTS).tolist()
    first = run(resuming=False, stop_before_epoch=2)  # saved after epoch 1's result, then stopped
    assert first + run(resuming=True) == whole and len(first) == 6


def test_lightning_example_runs_the_policy(tmp_path, monkeypatch):
    import functools
    import types

    torch = requires_extra("torch")
    pl = requires_extra("lightning", "lightning.pytorch")
    import lrpol

    monkeypatch.chdir(tmp_path)  # the Trainer's default logs and checkpoints
    namespace: dict = {}

    class Module(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net, self.lrs = torch.nn.Linear(2, 1), []

        def training_step(self, batch, batch_idx):  # type: ignore[no-untyped-def]
            self.lrs.append(self.optimizers().param_groups[0]["lr"])
            return torch.nn.functional.mse_loss(self.net(batch[0]), batch[1])

        def validation_step(self, batch, batch_idx):  # type: ignore[no-untyped-def]
            self.log("val_loss", STACK_RESULTS[self.current_epoch])

        def configure_optimizers(self):  # type: ignore[no-untyped-def]
            return namespace["configure_optimizers"](self)  # the README's

    generator = torch.Generator().manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(6, 2, generator=generator), torch.randn(6, 1, generator=generator))
    model = Module()
    quiet = types.SimpleNamespace(Trainer=functools.partial(pl.Trainer, accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False))
    namespace.update({"torch": torch, "pl": quiet, "policy": _stack_plateau(), "ctx": lrpol.TrainContext(initial_lr=0.1, total_epochs=4), "model": model,
                      "train_loader": torch.utils.data.DataLoader(data, batch_size=2), "val_loader": torch.utils.data.DataLoader(data, batch_size=2)})
    with no_scheduler_warnings():  # Lightning's own FutureWarning passes
        exec(compile(_subsection_block("Lightning", "python"), "README.md (Lightning example)", "exec"), namespace)
    assert namespace["ctx"].steps_per_epoch == 3
    assert model.lrs == lrpol.curve(_stack_plateau(), lrpol.TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=3), metrics=STACK_RESULTS).tolist()


def test_transformers_example_runs_the_policy(tmp_path):
    torch = requires_extra("torch")
    requires_extra("transformers", "accelerate")
    import transformers
    from test_transformers_trainer import Examples  # ten examples, a tiny BERT's inputs

    import lrpol

    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(transformers.BertConfig(vocab_size=32, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16, max_position_embeddings=16, num_labels=2))
    args = transformers.TrainingArguments(output_dir=str(tmp_path), per_device_train_batch_size=2, gradient_accumulation_steps=2, num_train_epochs=3, eval_strategy="epoch",
                                          save_strategy="no", report_to="none", use_cpu=True, logging_strategy="no", disable_tqdm=True, seed=0)
    namespace = {"math": math, "torch": torch, "Trainer": transformers.Trainer, "model": model, "args": args, "train_set": Examples(), "val_set": Examples(),
                 "policy": _stack_plateau(), "ctx": lrpol.TrainContext(initial_lr=1e-3, total_epochs=3)}
    with no_scheduler_warnings():
        exec(compile(_subsection_block("Hugging Face Trainer", "python"), "README.md (Hugging Face example)", "exec"), namespace)
    ctx = namespace["scheduler"].ctx
    assert (ctx.steps_per_epoch, ctx.global_step, ctx.metric_count) == (3, 9, 3)  # 5 batches a epoch in updates of 2: 3
    results = [entry["eval_loss"] for entry in namespace["trainer"].state.log_history if "eval_loss" in entry]
    run = lrpol.TrainContext(initial_lr=1e-3, total_epochs=3, steps_per_epoch=3)
    assert namespace["optimizer"].param_groups[0]["lr"] == lrpol.curve(_stack_plateau(), run, metrics=results, steps=10)[9]


def test_accelerate_example_runs_the_policy():
    torch = requires_extra("torch")
    requires_extra("transformers", "accelerate")
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState, GradientState

    import lrpol

    AcceleratorState._reset_state(True)
    GradientState._reset_state()
    try:
        accelerator = Accelerator(cpu=True, gradient_accumulation_steps=2)
        torch.manual_seed(0)
        model = torch.nn.Linear(2, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        generator = torch.Generator().manual_seed(0)
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(10, 2, generator=generator), torch.randn(10, 1, generator=generator)), batch_size=2)
        lrs, results = [], iter(STACK_RESULTS)

        def loss_fn(output, target):  # type: ignore[no-untyped-def]
            if accelerator.sync_gradients:  # this batch ends an accumulation: its update runs at this LR
                lrs.append(optimizer.param_groups[0]["lr"])
            return torch.nn.functional.mse_loss(output, target)

        namespace = {"math": math, "accelerator": accelerator, "model": model, "optimizer": optimizer, "loader": loader, "loss_fn": loss_fn,
                     "validate": lambda model: next(results), "policy": _stack_plateau(), "ctx": lrpol.TrainContext(initial_lr=0.1, total_epochs=4)}
        with no_scheduler_warnings():
            exec(compile(_subsection_block("Accelerate", "python"), "README.md (Accelerate example)", "exec"), namespace)
    finally:
        AcceleratorState._reset_state(True)
        GradientState._reset_state()
    assert namespace["ctx"].steps_per_epoch == 3  # 5 batches in updates of 2
    assert lrs == lrpol.curve(_stack_plateau(), lrpol.TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=3), metrics=STACK_RESULTS).tolist()


#: configs/lr_policy.yaml beside the README's bundle: a plateau on a Dice (larger is better)
BUNDLE_POLICY = "name: ReduceOnPlateau\nargs: {plateau_count_trigger: 1, reduction_rate: 0.5, mode: max, policy: {name: ReducePoly, args: {poly_power: 0.9}}}\n"


def test_monai_bundle_example_builds_and_runs_the_policy(tmp_path, capsys):
    torch = requires_extra("torch")
    requires_extra("ignite")
    bundle = requires_extra("monai", "monai.bundle")
    from ignite.engine import Engine, Events

    import lrpol

    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "lr_policy.yaml").write_text(BUNDLE_POLICY, encoding="utf-8")
    assert lrpol.validate(tmp_path / "configs" / "lr_policy.yaml") == []
    (tmp_path / "configs" / "train.json").write_text(_subsection_block("MONAI and Ignite", "json"), encoding="utf-8")
    # what the README says lrpol validate makes of the folder: the policy file checked, the bundle skipped, saying why
    from lrpol.cli import main

    assert main(["validate", "--verbose", str(tmp_path / "configs")]) == 0
    said = capsys.readouterr()
    assert "1 file(s) checked, 0 with problems, 1 skipped" in said.out + said.err
    assert "train.json: skipped, not an LR config: a MONAI bundle config whose lr_scheduler is lrpol's LRPolicyScheduler" in said.out + said.err
    # and the bundle schema, which editors and check-jsonschema use, agrees: nothing in it is refused
    import jsonschema

    from lrpol.schema import generate

    assert list(jsonschema.Draft7Validator(generate()["bundle.schema.json"]).iter_errors(json.loads(_subsection_block("MONAI and Ignite", "json")))) == []
    parser = bundle.ConfigParser()
    parser.read_config(str(tmp_path / "configs" / "train.json"))
    network = torch.nn.Linear(1, 1)
    optimizer = torch.optim.SGD(network.parameters(), lr=0.1)
    for key, value in {"bundle_root": str(tmp_path), "epochs": 4, "learning_rate": 0.1, "network": network, "optimizer": optimizer, "ckpt_dir": str(tmp_path / "models")}.items():
        parser[key] = value
    parser["train"]["dataloader"] = [0, 1, 2]
    scheduler = parser.get_parsed_content("lr_scheduler")
    seen: list[float] = []
    trainer = Engine(lambda engine, batch: (seen.append(optimizer.param_groups[0]["lr"]), optimizer.step()))
    evaluator = Engine(lambda engine, batch: None)
    dice = iter([0.5, 0.5, 0.6, 0.55])

    @evaluator.on(Events.EPOCH_COMPLETED)  # as a MONAI evaluator's metrics are computed before its handlers run
    def score(engine: Engine) -> None:
        engine.state.metrics["val_mean_dice"] = next(dice)

    evaluator.state.key_metric_name = "val_mean_dice"
    for handler in parser.get_parsed_content("train#handlers"):
        handler.attach(trainer)
    for handler in parser.get_parsed_content("validate#handlers"):
        handler.attach(evaluator)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda engine: evaluator.run([0]))
    trainer.run([0, 1, 2], max_epochs=4)
    run = lrpol.TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=3)
    # curve() equals the hook within 1e-12 (tests/test_curve.py): ReducePoly's power may differ in the last bit
    assert seen == pytest.approx(lrpol.curve(lrpol.load(tmp_path / "configs" / "lr_policy.yaml"), run, metrics=[0.5, 0.5, 0.6, 0.55]).tolist(), rel=1e-12, abs=0)
    assert seen[6] < seen[5] / 2.8  # halved after the second result, besides ReducePoly's own fall (x0.69)
    # the best Dice's checkpoint, saved after the handler before it reported that result: it holds 3 results
    (best,) = (tmp_path / "models").glob("*key_metric*")
    assert torch.load(best, weights_only=True)["lr_scheduler"]["lrpol"]["context"]["metric_count"] == 3
    assert scheduler.ctx.metric_count == 4


def test_optax_example_runs_the_plateau_from_the_host():
    requires_extra("optax")
    import jax
    import jax.numpy as jnp
    import numpy as np

    import lrpol

    ctx = lrpol.TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=3)
    namespace: dict = {}
    used: list[float] = []

    @jax.jit
    def jitted(params, state, batch):  # type: ignore[no-untyped-def]
        grads = jax.grad(lambda p: jnp.sum(p["w"] * batch))(params)
        updates, state = namespace["optimizer"].update(grads, state, params)
        return jax.tree_util.tree_map(lambda p, u: p + u, params, updates), state

    def train_step(params, state, batch):  # type: ignore[no-untyped-def]
        used.append(float(state.hyperparams["learning_rate"]))
        return jitted(params, state, batch)

    results = iter(STACK_RESULTS)
    namespace.update({"policy": lrpol.ReduceCosine(), "plateau_policy": _stack_plateau(), "ctx": ctx, "params": {"w": jnp.zeros(2, dtype=jnp.float32)},
                      "batches": [jnp.ones(2, dtype=jnp.float32)] * 3, "train_step": train_step, "validate": lambda params: next(results)})
    exec(compile(_subsection_block("JAX / optax", "python"), "README.md (optax example)", "exec"), namespace)
    assert used == np.float32(lrpol.curve(_stack_plateau(), ctx, metrics=STACK_RESULTS)).tolist()
    assert jitted._cache_size() == 1  # one trace: the host writes a float32 array each time


def test_resume_example_runs(tmp_path, monkeypatch):
    torch = requires_extra("torch")
    import lrpol
    from lrpol.integrations.torch import attach

    monkeypatch.chdir(tmp_path)
    (tmp_path / "config_train.json").write_text('{"epochs": 4, "learning_rate": 0.1, "train": {"lr_policy": {"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": 3}}}}', encoding="utf-8")
    loader = range(5)
    model = torch.nn.Linear(2, 1)
    policy, ctx = lrpol.load_run("config_train.json", steps_per_epoch=len(loader))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    hook = attach(optimizer, policy, ctx)
    for _ in range(7):  # 7 updates: the LR is now 0.1 * 0.5 ** 2
        optimizer.step()
        hook.step()
    namespace = {"torch": torch, "lrpol": lrpol, "attach": attach, "model": model, "optimizer": optimizer, "hook": hook, "loader": loader,
                 "path": tmp_path / "checkpoint.pt", "build_optimizer": lambda model: torch.optim.SGD(model.parameters(), lr=0.1)}
    exec(compile(_block("Resuming a run exactly", "python"), "README.md (resume example)", "exec"), namespace)
    assert namespace["optimizer"] is not optimizer and namespace["hook"].ctx.global_step == 7
    assert namespace["optimizer"].param_groups[0]["lr"] == 0.025


def test_ci_job_example_runs():
    import yaml

    steps = yaml.safe_load(_block("Checking configs in CI", "yaml", 0))
    commands = [step["run"] for step in steps]
    assert commands == ["pip install lrpol", "lrpol validate --format github configs/"]
    code, out, _ = _lrpol(commands[1])
    assert (code, out) == (0, "")
    assert shlex.split(commands[0])[:2] == ["pip", "install"]  # what .ci/run does with '.[dev]'


def test_pre_commit_example_names_the_hook_this_repository_publishes():
    import yaml

    example = _block("Checking configs in CI", "yaml", 1)
    (repository,) = yaml.safe_load(example)["repos"]
    published = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [hook["id"] for hook in repository["hooks"]] == [hook["id"] for hook in published] == ["lrpol-validate"]
    # the commented-out `files:` is a pattern for another layout
    (pattern,) = re.findall(r"# files: (\S+)", example)
    assert re.search(pattern, "training/config_train.json") and not re.search(pattern, "config/config_train.json")


def test_check_jsonschema_example_runs():
    import shutil
    import subprocess
    import sys

    requires_extra("dev", "check_jsonschema")
    command = _block("Checking configs in CI", "bash").strip()
    assert command.startswith("check-jsonschema --schemafile schemas/train_config.schema.json ")
    beside = Path(sys.executable).parent / "check-jsonschema"  # the one installed with this interpreter's extras
    executable = str(beside) if beside.exists() else shutil.which("check-jsonschema")
    assert executable is not None
    result = subprocess.run(["sh", "-c", command.replace("check-jsonschema", shlex.quote(executable), 1)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_editor_settings_example_points_at_the_published_schema():
    import json

    settings = json.loads(_block("Schemas for editors", "json"))
    (entry,) = settings["json.schemas"]
    assert (ROOT / entry["url"]).resolve() == ROOT / "schemas" / "train_config.schema.json"
    assert [path.name for pattern in entry["fileMatch"] for path in ROOT.glob(pattern)]
    ((url, patterns),) = settings["yaml.schemas"].items()
    assert (ROOT / url).resolve() == ROOT / "schemas" / "train_config.schema.json"
    assert [path.name for pattern in patterns for path in ROOT.glob(pattern)]


def test_yaml_schema_line_example_is_a_comment_lrpol_reads_past(tmp_path):
    import lrpol

    line = _block("Schemas for editors", "yaml").strip()
    relative = line.split("$schema=", 1)[1]
    assert (ROOT / "configs" / relative).resolve() == ROOT / "schemas" / "train_config.schema.json"
    config = tmp_path / "reduce_poly.yaml"
    config.write_text(line + "\n" + (ROOT / "configs" / "reduce_poly.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert lrpol.validate(config) == []


def _usage_flags(section: str) -> list[str]:
    return re.findall(r"\[(--[a-z-]+)", _block(section, "text"))


def _parser_flags(command: str) -> set[str]:
    from lrpol.cli import _parser

    commands = next(action for action in _parser()._actions if action.__class__.__name__ == "_SubParsersAction")
    return {flag for action in commands.choices[command]._actions for flag in action.option_strings if flag.startswith("--") and flag != "--help"}


def test_preview_usage_lists_real_flags_and_runs_with_all_of_them(tmp_path):
    flags = _usage_flags("`lrpol preview`")
    assert set(flags) <= _parser_flags("preview")  # and all of them: test_readme_says_what_lrpol_does
    (tmp_path / "environment.json").write_text('{"POWER": 2}', encoding="utf-8")
    command = f"lrpol preview configs/reduce_poly.json --epochs 4 --lr 0.5 --steps-per-epoch 2 --metrics 1,2,3,4 --env {tmp_path / 'environment.json'} --var x=1 --csv {tmp_path / 'out.csv'}"
    code, out, _ = _lrpol(command)
    assert code == 0 and out.splitlines()[1] == "lr0=0.5 epochs=4 steps_per_epoch=2"
    assert len((tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()) == 1 + 8


def test_preview_plot_flags_run(tmp_path, saved_figures):
    code, _, _ = _lrpol(f"lrpol preview configs/reduce_poly.json --plot {tmp_path / 'out.png'} --log")
    assert code == 0 and len(saved_figures) == 1 and (tmp_path / "out.png").stat().st_size > 0


def test_diff_usage_lists_real_flags_and_runs_with_all_of_them(tmp_path, saved_figures):
    flags = _usage_flags("Reviewing a schedule change: `lrpol diff`")
    assert set(flags) <= _parser_flags("diff")  # and all of them: test_readme_says_what_lrpol_does
    old = ROOT / "configs" / "reduce_poly.json"
    command = (f"lrpol diff {old} configs/reduce_cosine.json --format markdown --plot {tmp_path / 'diff.png'} --log --lr 0.1 --epochs 5"
               " --steps-per-epoch 2 --metrics 1,2,3,4,5 --pointer /train/lr_policy --var x=1 --allow-path my_pkg")
    code, out, _ = _lrpol(command)
    assert code == 1 and out.startswith("### lrpol diff: ") and len(saved_figures) == 1


def test_diff_ci_step_example_runs_in_a_git_repository(tmp_path):
    import json
    import os
    import shutil
    import subprocess
    import sys

    import yaml

    git = shutil.which("git")
    assert git is not None, "the example pipes `git show`"
    (step,) = yaml.safe_load(_block("Reviewing a schedule change: `lrpol diff`", "yaml"))
    repository, bin_dir = tmp_path / "repo", tmp_path / "bin"
    (repository / "config").mkdir(parents=True)
    bin_dir.mkdir()
    lrpol_command = bin_dir / "lrpol"  # this checkout's lrpol, whatever is installed
    lrpol_command.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m lrpol "$@"\n', encoding="utf-8")
    lrpol_command.chmod(0o755)
    config = repository / "config" / "config_train.json"
    config.write_text(json.dumps({"epochs": 8, "learning_rate": 0.1, "train": {"lr_policy": {"name": "ReducePoly", "args": {"poly_power": 0.9}}}}), encoding="utf-8")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "base"], ["update-ref", "refs/remotes/origin/main", "HEAD"]):
        subprocess.run([git, *args], cwd=repository, env=env, check=True, capture_output=True, timeout=60)
    for power, expected in ((0.9, "identical"), (2, "differ")):
        config.write_text(config.read_text(encoding="utf-8").replace('"poly_power": 0.9', f'"poly_power": {power}'), encoding="utf-8")
        (tmp_path / "summary.md").write_text("", encoding="utf-8")
        result = subprocess.run(["bash", "-c", step["run"]], cwd=repository, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (expected, result.stderr)  # `|| [ $? -eq 1 ]`: a difference does not fail the step
        summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
        assert summary.startswith("### lrpol diff: "), summary
        assert ("ReducePoly(poly_power=2" in summary) == (expected == "differ")


@pytest.mark.parametrize("command", [
    "lrpol list",
    "lrpol describe ReducePoly",
    "lrpol schema",
    "lrpol schema --entry",
    "lrpol schema --with-plugins",
    "lrpol --version",
])
def test_prose_commands_run(command):
    code, out, _ = _lrpol(command)
    assert code == 0 and out
    assert f"`{command.replace('ReducePoly', 'NAME')}`" in README or command == "lrpol schema --with-plugins"  # the README names --with-plugins after --write DIR


def test_prose_exclude_example_runs(tmp_path):
    for name in ("config/config_train.json", "config/dataset_0.json", "legacy/config.json"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text('{"name": "ReducePloy"}' if name != "config/config_train.json" else '{"train": {}}', encoding="utf-8")
    assert "`--exclude legacy --exclude 'config/dataset_*.json'`" in README
    code, out, err = _lrpol("lrpol validate --exclude legacy --exclude 'config/dataset_*.json' .", cwd=tmp_path)
    assert (code, out, err) == (0, "", "1 file(s) checked, 0 with problems\n")


def test_prose_python_calls_run(tmp_path, monkeypatch):
    import lrpol
    import lrpol.schema

    monkeypatch.chdir(tmp_path)
    for name, power in (("old.json", 1), ("new.json", 2)):
        (tmp_path / name).write_text(f'{{"epochs": 3, "learning_rate": 1.0, "train": {{"lr_policy": {{"name": "ReducePoly", "args": {{"poly_power": {power}}}}}}}}}', encoding="utf-8")
    assert '`lrpol.compare("old.json", "new.json", steps_per_epoch=100)`' in README
    result = lrpol.compare("old.json", "new.json", steps_per_epoch=100)
    assert result.first_difference.update == 100 and not result.identical  # epoch 1: (2/3) vs (2/3)**2
    assert '`lrpol.schema.packaged("train_config.schema.json")`' in README and "`lrpol.schema.validator()`" in README
    assert lrpol.schema.packaged("train_config.schema.json")["$id"] == "urn:lrpol:schema:train_config"
    assert list(lrpol.schema.validator().iter_errors({"train": {"lr_policy": {"name": "ReducePoly", "args": {"poly_power": 0.9}}}})) == []


def test_clara4_config_example_validates_and_runs_as_torch_steps_it(tmp_path):
    import lrpol

    config = tmp_path / "config_train.json"
    config.write_text(_block("Config format", "json", 1), encoding="utf-8")
    assert '"lr_scheduler"' in config.read_text(encoding="utf-8")
    assert lrpol.validate(config) == []
    policy, ctx = lrpol.load_run(config, steps_per_epoch=10, variables={"learning_rate": 1e-3})
    assert policy == lrpol.DecayOnStep(decay_ratio=0.1, decay_freq=5000, unit="epoch")  # StepLR, stepped once per epoch
    assert (ctx.initial_lr, ctx.total_epochs) == (1e-3, 1260)  # the optimizer's "{learning_rate}", after --var


def test_bundle_config_example_validates_and_runs(tmp_path):
    block = README.split("### MONAI bundles: `lr_scheduler` with `_target_`", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "train.json"
    path.write_text(block, encoding="utf-8")
    from lrpol import load_run, validate

    assert validate(path) == []
    policy, ctx = load_run(path, steps_per_epoch=10)
    assert repr(policy) == "ReduceCosine(horizon=300, after='torch')"  # CosineAnnealingLR(T_max=@epochs), stepped per epoch
    assert (ctx.initial_lr, ctx.total_epochs) == (1e-4, 300)


def test_convert_example_is_what_convert_prints():
    """The README's converted entry is the one tests/test_cli_convert.py gets from its Clara 4 config."""
    from test_cli_convert import README_CONVERTED

    section = README.split("## Converting a torch / Clara 4 / bundle schedule: `lrpol convert`", 1)[1]
    assert section.split("```bash\n", 1)[1].split("```", 1)[0] == "lrpol convert config/config_train.json --format yaml\n"
    assert section.split("```yaml\n", 1)[1].split("```", 1)[0] == README_CONVERTED
