"""lrpol validate for CI (formats, stdin), schema, list, describe, and preview's CSV and PNG."""

import csv
import json
import struct
import subprocess
import sys
from dataclasses import replace

import pytest
from conftest import CONFIGS, ROOT, requires_extra

import lrpol
from lrpol import ReduceCosine, ReduceOnPlateau, Sequential, TrainContext, curve, load
from lrpol.cli import TORCH_SECTION, main
from lrpol.policies import GROUPS
from lrpol.preview import plateau_reductions, reduction_epochs, simulate
from lrpol.registry import builtin
from lrpol.schema import LR_POLICY, TRAIN_CONFIG, generate, render
from lrpol.torch_schedulers import TORCH_SCHEDULERS

BAD_YAML = "train:\n  lr_policy:\n    name: DecayOnStep\n    args: {decay_ratio: 2, decay_freq: 3}\n"


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "lrpol", *map(str, args)], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120)


# -- validate: formats and stdin --------------------------------------------------------------

def test_json_format_prints_one_record_per_line(write):
    bad = write("bad.yaml", BAD_YAML)
    result = run("validate", "--format", "json", bad)
    assert result.returncode == 1
    assert [json.loads(line) for line in result.stdout.splitlines()] == [{
        "file": str(bad), "line": 4, "column": 25, "json_path": "$.train.lr_policy.args.decay_ratio",
        "message": "must be > 0 and <= 1, got 2", "hint": "", "code": "out-of-range",
    }]


def test_github_format_prints_workflow_annotations(write):
    bad = write("bad,name.yaml", BAD_YAML + "  optimizer: {lr: 1, lr: 2}\nepochs: 1\nepochs: 2\n")
    result = run("validate", "--format", "github", bad)
    assert result.returncode == 1
    escaped = str(bad).replace(",", "%2C")
    assert result.stdout.splitlines() == [
        f"::error file={escaped},line=4,col=25,title=lrpol out-of-range::$.train.lr_policy.args.decay_ratio: must be > 0 and <= 1, got 2",
        f"::error file={escaped},line=7,col=1,title=lrpol duplicate-key::$.epochs: duplicate key 'epochs'; first defined at line 6:1",
    ]  # a repeat in train.optimizer is no problem: a Clara 3 config's optimizer is not read


def test_stdin_is_read_with_a_dash():
    result = run("validate", "-", stdin=BAD_YAML)
    assert result.returncode == 1
    assert result.stdout == "<stdin>:4:25: $.train.lr_policy.args.decay_ratio: must be > 0 and <= 1, got 2\n"
    assert run("validate", "-", stdin=(CONFIGS / "reduce_poly.json").read_text()).returncode == 0
    assert run("validate", "-", stdin="{").returncode == 1


def test_exit_codes_are_documented_in_help():
    assert "exit codes: 0 success, 1 invalid config, 2 usage error or unreadable input" in run("--help").stdout
    assert "Exit codes: 0 all valid, 1 a config is invalid, 2 usage error or unreadable input" in run("validate", "--help").stdout.replace("\n", " ").replace("  ", " ")


# -- schema, list, describe -------------------------------------------------------------------

def test_schema_prints_the_published_train_config_schema(capsys):
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == (ROOT / "schemas" / TRAIN_CONFIG).read_text()
    assert main(["schema", "--entry"]) == 0
    assert json.loads(capsys.readouterr().out)["$id"] == "urn:lrpol:schema:lr_policy"


def test_schema_write(tmp_path, capsys):
    assert main(["schema", "--write", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    for directory in ("a", "b"):
        for name in (LR_POLICY, TRAIN_CONFIG):
            assert (tmp_path / directory / name).read_text() == render(generate()[name])


def test_configs_may_name_their_schema(write):
    text = '{"$schema": "../schemas/train_config.schema.json", "epochs": 2, "train": {"lr_policy": {"name": "ReduceCosine"}}}'
    assert run("validate", write("s.json", text)).returncode == 0


def test_list_names_every_policy_with_a_summary_in_groups(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    pad = max(map(len, builtin())) + 2  # the summaries start in one column, after the longest name
    assert lines[:6] == [
        "Clara Train's policies:",
        f"  {'DecayOnStep':<{pad}}Multiply the LR by decay_ratio every decay_freq optimizer updates (or epochs)",
        f"  {'ReduceCosine':<{pad}}Cosine annealing from 2 * rate * lr0 to a floor at the end of the run (or of horizon)",
        f"  {'ReducePoly':<{pad}}Polynomial decay from lr0 to a floor at the end of the run (or of horizon)",
        f"  {'ReduceOnPlateau':<{pad}}Multiply the LR by reduction_rate when the metric has stopped improving",
        "",
    ]
    titles = [line[:-1] for line in lines if line and not line.startswith(" ")]
    assert titles == [*GROUPS, TORCH_SECTION]
    torch_part = lines.index(TORCH_SECTION + ":")
    listed = [line.split()[0] for line in lines[:torch_part] if line.startswith("  ")]
    assert sorted(listed) == sorted(builtin())
    assert " ".join(lines[torch_part + 1 :]).replace(",", " ").split() == [*TORCH_SCHEDULERS, "WarmupCosineSchedule"]


def test_every_built_in_policy_is_in_exactly_one_group():
    grouped = [name for names in GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(builtin())


def test_describe_prints_formula_base_arguments_and_origin(capsys):
    assert main(["describe", "DecayOnStep"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    source = (ROOT / "lrpol" / "policies" / "step_decay.py").read_text().splitlines()
    line = source.index("@register") + 1  # where the class's definition (its decorator) starts
    assert first == f"DecayOnStep  (lrpol.policies.step_decay.DecayOnStep, {ROOT / 'lrpol' / 'policies' / 'step_decay.py'}:{line})"
    assert "lr(t) = lr0 * decay_ratio ** floor(t / decay_freq)" in out
    assert "Base: steps (optimizer updates)" in out
    assert "  decay_ratio: a number > 0 and <= 1; required\n      factor applied to the LR at each decay" in out
    assert "  decay_freq: an integer >= 1; required" in out
    assert ">>>" not in out


def test_describe_a_torch_scheduler_gives_torchs_formula_its_lrpol_equal_and_torchs_arguments(capsys):
    assert main(["describe", "StepLR"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("StepLR  (lrpol.torch_schedulers.StepLR, ")
    assert "torch's StepLR: lr = lr0 * gamma ** floor(t / step_size)" in out
    assert "DecayOnStep" in out
    assert "  step_size: an integer >= 1; required\n      how many steps between two decays" in out
    assert "  gamma: a number > 0 and <= 1; default 0.1" in out
    assert main(["describe", "WarmupCosineSchedule"]) == 0
    assert "MONAI's linear warmup then cosine" in capsys.readouterr().out
    assert main(["describe", "StepLr"]) == 2
    assert "unknown policy or torch scheduler 'StepLr'; did you mean 'StepLR'?" in capsys.readouterr().err


def test_describe_unknown_policy_suggests_and_exits_2(capsys):
    assert main(["describe", "ReduceCosin"]) == 2
    assert "unknown policy or torch scheduler 'ReduceCosin'; did you mean 'ReduceCosine'?" in capsys.readouterr().err


# -- preview: CSV and PNG ---------------------------------------------------------------------

def test_preview_csv_holds_every_update_and_matches_evaluate(tmp_path, capsys):
    out = tmp_path / "curve.csv"
    assert main(["preview", str(CONFIGS / "decay_on_step.yaml"), "--epochs", "5", "--steps-per-epoch", "12", "--csv", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 60
    policy = load(CONFIGS / "decay_on_step.yaml")
    ctx = TrainContext(initial_lr=1e-3, total_epochs=5, steps_per_epoch=12)
    for row in rows:
        step = int(row["step"])
        assert int(row["epoch"]) == step // 12
        assert float(row["lr"]) == policy.evaluate(replace(ctx, global_step=step, epoch=step // 12))
    assert f"wrote {out} (60 updates)" in capsys.readouterr().out


def test_preview_csv_records_metrics_and_plateau_lrs(tmp_path):
    out = tmp_path / "plateau.csv"
    metrics = "0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5"
    assert main(["preview", str(CONFIGS / "reduce_on_plateau.json"), "--epochs", "10", "--steps-per-epoch", "2", "--metrics", metrics, "--csv", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert [row["metric"] for row in rows[:4]] == ["", "0.5", "", "0.5"]
    # trigger 5: results 2-6 do not improve, so the LR halves from epoch 6 (cooldown 2, then 5 more to the next)
    assert [float(rows[2 * e]["lr"]) for e in range(10)] == [1e-3] * 6 + [5e-4] * 4


def test_preview_metrics_from_a_file(tmp_path, capsys):
    values = tmp_path / "dice.json"
    values.write_text("[0.8, 0.805, 0.79, 0.8, 0.8, 0.8, 0.9, 0.9]")
    assert main(["preview", str(CONFIGS / "reduce_on_plateau.yaml"), "--epochs", "8", "--lr", "1", "--metrics", str(values)]) == 0
    out = capsys.readouterr().out
    assert "     5    1.000000e+00    1.000000e+00         0.8  reduced" in out
    lines = tmp_path / "dice.txt"
    lines.write_text("0.8\n0.805\n0.79\n0.8\n0.8\n0.8\n")
    assert main(["preview", str(CONFIGS / "reduce_on_plateau.yaml"), "--epochs", "8", "--lr", "1", "--metrics", str(lines)]) == 0
    assert "after the run: 5.000000e-01" in capsys.readouterr().out


def test_preview_finds_the_reductions_of_every_plateau_in_a_composite():
    halving = [ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5) for _ in range(2)]
    policy = Sequential(policies=(ReduceCosine(), *halving), milestones=(1, 3), unit="epoch")
    # The result after epoch e is reported once epoch e + 1 has begun, so the phase that begins
    # there sees it: results 0-1 go to the first plateau, 2-4 to the second.
    ctx = TrainContext(initial_lr=1.0, total_epochs=5, steps_per_epoch=3)
    assert reduction_epochs(policy, ctx, [1.0] * 5) == [1, 3, 4]
    assert reduction_epochs(policy, ctx, [1.0, 2.0, 3.0, 4.0, 5.0]) == []  # every result improves
    assert plateau_reductions(policy, {}) == 0  # a fresh run's history: nothing counted


def test_plateau_reductions_adds_up_nested_plateaus():
    inner = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5)
    outer = ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5, policy=inner)
    ctx = TrainContext(initial_lr=1.0, total_epochs=10)
    for count in range(1, 4):  # a flat metric: inner reduces at results 2 and 3, outer at result 3
        ctx.metric, ctx.metric_count = 1.0, count
        outer.evaluate(ctx)
    assert (ctx.history["policy"]["reductions"], ctx.history["reductions"], plateau_reductions(outer, ctx.history)) == (2, 1, 3)
    assert plateau_reductions(ReduceCosine(), {}) == 0


def test_preview_long_runs_show_every_kth_epoch(capsys):
    assert main(["preview", str(CONFIGS / "reduce_cosine.json"), "--epochs", "1000"]) == 0
    out = capsys.readouterr().out.splitlines()
    epochs = [int(line.split()[0]) for line in out if line[:6].strip().isdigit()]
    assert epochs == list(range(0, 1000, 25)) + [999]
    assert "(every 25 epochs shown; --csv writes every update)" in out


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_preview_plot_is_a_real_png_of_the_right_size(tmp_path, capsys):
    requires_extra("plot")
    out = tmp_path / "curve.png"
    assert main(["preview", str(CONFIGS / "reduce_on_plateau.json"), "--epochs", "30", "--steps-per-epoch", "10", "--plot", str(out), "--log"]) == 0
    assert png_size(out) == (800, 450)
    assert out.stat().st_size > 10_000  # a drawn curve, not an empty canvas
    assert f"wrote {out}" in capsys.readouterr().out


def test_plot_marks_reductions_and_names_the_config(tmp_path, saved_figures):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from lrpol import preview

    policy = load(CONFIGS / "reduce_on_plateau.json")
    curve = simulate(policy, TrainContext(initial_lr=1e-3, total_epochs=20, steps_per_epoch=5), preview.synthetic_metrics(20))
    assert curve.reductions == [15]
    preview.plot(curve, tmp_path / "p.png", title="configs/reduce_on_plateau.json\nReduceOnPlateau(...)")
    figures = saved_figures
    assert isinstance(figures[0].canvas, FigureCanvasAgg)
    (axes,) = figures[0].axes
    assert axes.get_title() == "configs/reduce_on_plateau.json\nReduceOnPlateau(...)"
    assert [text.get_text() for text in axes.texts] == ["reduced"]
    assert axes.texts[0].xy == (80, 5e-4)
    assert len(axes.lines) == 1 + 19  # the curve and 19 epoch boundaries


@pytest.mark.parametrize("stem", ["warmup_cosine", "warmup_poly_plateau", "three_phase"])
def test_preview_runs_on_the_nested_examples(stem, tmp_path, capsys):
    out = tmp_path / "curve.csv"
    assert main(["preview", str(CONFIGS / f"{stem}.yaml"), "--steps-per-epoch", "4", "--csv", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 400  # 100 epochs of 4 updates
    policy, ctx = lrpol.load_run(CONFIGS / f"{stem}.json", steps_per_epoch=4)
    metrics = None
    if policy.reads_metric:
        from lrpol.preview import synthetic_metrics

        metrics = synthetic_metrics(100)
    expected = curve(policy, ctx, metrics=metrics).tolist()
    assert [float(row["lr"]) for row in rows] == expected
    assert expected[0] == pytest.approx(1e-3 / 6)  # every example starts with a 5-epoch warmup at lr0 / 6
