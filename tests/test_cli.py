"""The lrpol command: validate's output and exit codes, preview's table."""

import json
import os
import subprocess
import sys

from conftest import CONFIGS, ROOT

from lrpol.cli import main


def lrpol(*args, cwd=ROOT, env=None):
    """Run the real command in a fresh interpreter."""
    return subprocess.run([sys.executable, "-m", "lrpol", *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_validate_bundled_configs_exits_0():
    files = sorted(CONFIGS.iterdir())
    result = lrpol("validate", *files)
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == f"{len(files)} file(s) checked, 0 with problems\n"


def test_validate_a_directory_searches_for_configs():
    result = lrpol("validate", "configs")
    assert result.returncode == 0
    assert result.stderr == f"{len(list(CONFIGS.iterdir()))} file(s) checked, 0 with problems\n"


def test_validate_prints_one_line_per_problem_and_exits_1(write):
    bad = write("bad.yaml", "train:\n  lr_policy:\n    name: DecayOnStep\n    args:\n      decay_rato: 0.5\n      decay_freq: 0\n")
    good = CONFIGS / "reduce_poly.json"
    result = lrpol("validate", good, bad)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{bad}:4:5: $.train.lr_policy.args.decay_ratio: missing required argument 'decay_ratio' for DecayOnStep (a number > 0 and <= 1)",
        f"{bad}:5:7: $.train.lr_policy.args.decay_rato: unknown argument for DecayOnStep; did you mean 'decay_ratio'?",
        f"{bad}:6:19: $.train.lr_policy.args.decay_freq: must be >= 1, got 0",
    ]
    assert result.stderr == "2 file(s) checked, 1 with problems\n"


def test_validate_unreadable_file_exits_2(tmp_path):
    result = lrpol("validate", tmp_path / "missing.json")
    assert result.returncode == 2
    assert "missing.json: $: cannot read file: No such file or directory" in result.stdout


def test_validate_usage_error_exits_2():
    assert lrpol("validate").returncode == 2
    assert lrpol("frobnicate").returncode == 2
    assert lrpol("validate", "--var", "novalue", "configs").returncode == 2


def test_validate_variables_allowlist_and_strict(write):
    path = write("p.json", json.dumps({"train": {"lr_policy": {"path": "my_pkg.Policy", "args": {"n": 3}}}}))
    assert lrpol("validate", path).returncode == 0
    strict = lrpol("validate", "--strict", path)
    assert strict.returncode == 1 and "was not checked: validation never imports code" in strict.stdout
    outside = lrpol("validate", "--allow-path", "other_pkg", path)
    assert outside.returncode == 1 and "path 'my_pkg.Policy' is not in the allowlist" in outside.stdout
    poly = write("v.json", json.dumps({"name": "ReducePoly", "args": {"poly_power": "{P}"}}))
    assert lrpol("validate", poly).returncode == 1
    assert lrpol("validate", "--var", "P=0.5", poly).returncode == 0
    assert "expected a number, got a string" in lrpol("validate", "--var", "P=fast", poly).stdout


def table(output):
    """The preview's rows as (epoch, first lr, last lr) tuples, and the final LR."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == ["epoch"]) + 1
    rows = [tuple(float(x) for x in line.split()[:3]) for line in lines[start:] if line[:6].strip().isdigit()]
    final = float(lines[-1].split(":")[1])
    return rows, final


def test_preview_reads_epochs_and_learning_rate_from_the_config(write, capsys):
    path = write("poly.json", json.dumps({"epochs": 4, "learning_rate": 1.0, "train": {"lr_policy": {"name": "ReducePoly", "args": {"poly_power": 1}}}}))
    assert main(["preview", str(path)]) == 0
    rows, final = table(capsys.readouterr().out)
    assert rows == [(0, 1.0, 1.0), (1, 0.75, 0.75), (2, 0.5, 0.5), (3, 0.25, 0.25)]
    assert final == 0.0


def test_preview_flags_override_the_config(capsys):
    assert main(["preview", str(CONFIGS / "reduce_cosine.yaml"), "--epochs", "2", "--lr", "0.4"]) == 0
    rows, final = table(capsys.readouterr().out)
    assert rows == [(0, 0.4, 0.4), (1, 0.2, 0.2)]  # 0.2 * (1 + cos(pi/2)) = 0.2
    assert final == 0.0


def test_preview_step_policy_shows_first_and_last_update(capsys):
    assert main(["preview", str(CONFIGS / "decay_on_step.json"), "--epochs", "3", "--steps-per-epoch", "30", "--lr", "1"]) == 0
    out = capsys.readouterr().out
    rows, final = table(out)
    # decay_freq 20: epoch 0 = updates 0-29 (1, then 0.5 from update 20), epoch 1 = 30-59, epoch 2 = 60-89
    assert rows == [(0, 1.0, 0.5), (1, 0.5, 0.25), (2, 0.125, 0.0625)]
    assert final == 0.0625  # update 90 is still in the fourth decay period (80-99)
    assert "DecayOnStep(decay_ratio=0.5, decay_freq=20)" in out


def test_preview_plateau_with_given_metrics(capsys):
    config = str(CONFIGS / "reduce_on_plateau.yaml")
    # trigger 5, rate 0.5, threshold 1%, cooldown 2: results 2-6 do not improve on 0.8 by 1% -> reduce after result 6
    assert main(["preview", config, "--epochs", "8", "--lr", "1", "--metrics", "0.8,0.805,0.79,0.8,0.8,0.8,0.9,0.9"]) == 0
    rows, final = table(capsys.readouterr().out)
    assert [first for _, first, _ in rows] == [1.0] * 6 + [0.5, 0.5]
    assert final == 0.5


def test_preview_plateau_synthetic_metric_reduces_on_the_flat_half(capsys):
    assert main(["preview", str(CONFIGS / "reduce_on_plateau.json"), "--epochs", "20"]) == 0
    rows, _ = table(capsys.readouterr().out)
    lrs = [first for _, first, _ in rows]
    # the metric rises through epoch 10; epochs 11-15 report five results that do not improve,
    # so the LR halves from epoch 16 on
    assert lrs[:16] == [1e-3] * 16 and lrs[16:] == [5e-4] * 4


def test_preview_nan_metric_is_an_error_naming_it(capsys):
    assert main(["preview", str(CONFIGS / "reduce_on_plateau.json"), "--metrics", "0.5,nan"]) == 2
    assert "metric is nan" in capsys.readouterr().err


def test_preview_needs_an_lr_and_epochs(write, capsys):
    path = write("entry.json", json.dumps({"name": "ReduceCosine"}))
    assert main(["preview", str(path)]) == 2
    assert "the config sets no learning_rate or epochs; pass --lr and --epochs" in capsys.readouterr().err
    assert main(["preview", str(path), "--lr", "1", "--epochs", "1"]) == 0


def test_preview_invalid_config_exits_1(write, capsys):
    path = write("bad.json", json.dumps({"epochs": 3, "learning_rate": 0.1, "train": {"lr_policy": {"name": "ReducePoly"}}}))
    assert main(["preview", str(path)]) == 1
    assert "missing required argument 'poly_power'" in capsys.readouterr().err


def test_preview_disabled_policy_keeps_lr0(write, capsys):
    path = write("off.yaml", "epochs: 2\nlearning_rate: 0.3\ntrain:\n  lr_policy: {name: ReduceCosine, disabled: true}\n")
    assert main(["preview", str(path)]) == 0
    rows, final = table(capsys.readouterr().out)
    assert rows == [(0, 0.3, 0.3), (1, 0.3, 0.3)] and final == 0.3


def test_console_script_is_installed():
    from importlib.metadata import entry_points

    (script,) = entry_points().select(group="console_scripts", name="lrpol")
    assert script.value == "lrpol.cli:main"


def test_import_lrpol_loads_no_heavy_modules():
    frameworks = ("torch", "lightning", "transformers", "accelerate", "monai", "ignite", "keras", "jax", "optax", "matplotlib")
    code = f"import sys, lrpol; print(sorted(m for m in ('yaml', 'jsonschema', 'numpy', *{frameworks!r}) if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.stdout.strip() == "[]"


def test_preview_into_a_reader_that_stops_early_ends_quietly():
    # `lrpol preview FILE | head -3`: the pipe closes after three lines; no error, no traceback.
    command = f"{sys.executable} -m lrpol preview {CONFIGS / 'reduce_poly.json'} --steps-per-epoch 1000 | head -3"
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and "reduce_poly.json" in lines[0]
    assert result.stderr == ""
