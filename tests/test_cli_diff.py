"""lrpol diff and lrpol.compare: two configs' LR curves on one run shape."""

import json
import math
import subprocess
import sys

import pytest
from conftest import ROOT, requires_extra

import lrpol
from lrpol.cli import main
from lrpol.compare import Point


def poly(power: float, *, epochs: int | None = 4, lr: float | None = 1.0) -> str:
    """A train config with a ReducePoly of ``power`` (1: 1, 0.75, 0.5, 0.25 per epoch of a 4-epoch run)."""
    config: dict = {"train": {"lr_policy": {"name": "ReducePoly", "args": {"poly_power": power}}}}
    config.update({key: value for key, value in (("epochs", epochs), ("learning_rate", lr)) if value is not None})
    return json.dumps(config)


def test_identical_curves_exit_0(write, capsys):
    old, new = write("old.json", poly(1)), write("new.yaml", "epochs: 4\nlearning_rate: 1.0\ntrain:\n  lr_policy: {name: ReducePoly, args: {poly_power: 1}}\n")
    assert main(["diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "the curves are identical" in out
    assert f"old: {old}: ReducePoly(poly_power=1.0)" in out and f"new: {new}: ReducePoly(poly_power=1.0)" in out


def test_changed_argument_exits_1_with_the_first_and_the_largest_difference(write, capsys):
    old, new = write("old.json", poly(1)), write("new.json", poly(2))
    assert main(["diff", str(old), str(new), "--steps-per-epoch", "2"]) == 1
    # per epoch, power 1: 1, .75, .5, .25; power 2: 1, .5625, .25, .0625; two updates per epoch.
    # They part at update 2 (epoch 1): (.5625 - .75) / .75 = -25%; the largest is at update 6
    # (epoch 3): (.0625 - .25) / .25 = -75%. The quarters of updates 0-7 are 1, 3 and 5.
    assert capsys.readouterr().out == f"""\
old: {old}: ReducePoly(poly_power=1.0)
new: {new}: ReducePoly(poly_power=2.0)
run: lr0=1 epochs=4 steps_per_epoch=2 (8 updates)
the curves differ: first at update 2 (epoch 1): 7.500000e-01 -> 5.625000e-01
largest relative difference: -75% at update 6 (epoch 3): 2.500000e-01 -> 6.250000e-02
          update   epoch          old lr          new lr   relative
start          0       0    1.000000e+00    1.000000e+00         0%
25%            1       0    1.000000e+00    1.000000e+00         0%
50%            3       1    7.500000e-01    5.625000e-01       -25%
75%            5       2    5.000000e-01    2.500000e-01       -50%
end            7       3    2.500000e-01    6.250000e-02       -75%
"""


def test_the_api_gives_the_same_figures(write):
    result = lrpol.compare(write("old.json", poly(1)), write("new.json", poly(2)), steps_per_epoch=2)
    assert result.first_difference == Point("first difference", 2, 1, 0.75, 0.5625)
    assert result.largest_difference == Point("largest difference", 6, 3, 0.25, 0.0625)
    assert result.largest_difference.relative == -0.75
    assert not result.identical and result.shape_changes == []
    assert result.old_curve.lrs.tolist() == [1, 1, 0.75, 0.75, 0.5, 0.5, 0.25, 0.25]


def test_markdown_is_a_table_for_a_job_summary(write, capsys):
    old, new = write("old.json", poly(1)), write("new.json", poly(2))
    assert main(["diff", str(old), str(new), "--format", "markdown"]) == 1
    assert capsys.readouterr().out == f"""\
### lrpol diff: `{old}` → `{new}`

- old: `ReducePoly(poly_power=1.0)`
- new: `ReducePoly(poly_power=2.0)`
- run: lr0=1 epochs=4 steps_per_epoch=1 (4 updates)
- the curves differ: first at update 1 (epoch 1): 7.500000e-01 -> 5.625000e-01
- largest relative difference: -75% at update 3 (epoch 3): 2.500000e-01 -> 6.250000e-02

| | update | epoch | old LR | new LR | relative |
|---|---:|---:|---:|---:|---:|
| start | 0 | 0 | 1 | 1 | 0% |
| 25% | 0 | 0 | 1 | 1 | 0% |
| 50% | 1 | 1 | 0.75 | 0.5625 | -25% |
| 75% | 2 | 2 | 0.5 | 0.25 | -50% |
| end | 3 | 3 | 0.25 | 0.0625 | -75% |
"""


def test_json_is_one_object(write, capsys):
    old, new = write("old.json", poly(1)), write("new.json", poly(2))
    assert main(["diff", str(old), str(new), "--format", "json"]) == 1
    record = json.loads(capsys.readouterr().out)
    assert record["identical"] is False
    assert record["run"] == {"learning_rate": 1.0, "old_learning_rate": 1.0, "epochs": 4, "steps_per_epoch": 1, "updates": 4, "synthetic_metric": False}
    assert record["first_difference"] == {"update": 1, "epoch": 1, "old": 0.75, "new": 0.5625, "relative": -0.25}
    assert record["largest_difference"] == {"update": 3, "epoch": 3, "old": 0.25, "new": 0.0625, "relative": -0.75}
    assert list(record["points"]) == ["start", "25%", "50%", "75%", "end"]


def test_different_shapes_are_named_and_compared_on_news_length_each_from_its_own_lr0(write, capsys):
    old, new = write("old.json", poly(1, epochs=4, lr=1.0)), write("new.json", poly(1, epochs=8, lr=0.5))
    assert main(["diff", str(old), str(new)]) == 1  # the same policy, but the run changed
    out = capsys.readouterr().out
    assert "run: lr0=1 -> 0.5 epochs=8 steps_per_epoch=1 (8 updates)" in out
    assert "the configs start from different lr0: old 1, new 0.5; each curve starts from its own" in out
    assert "the configs set epochs differently: old 4, new 8; both curves use 8" in out
    assert "the curves differ: first at update 0 (epoch 0): 1.000000e+00 -> 5.000000e-01" in out
    old_same_lr = write("old_same_lr.json", poly(1, epochs=4, lr=0.5))
    assert main(["diff", str(old_same_lr), str(new)]) == 1  # the same curve on NEW's length, but the run is longer
    out = capsys.readouterr().out
    assert "the curves are identical" in out and "the configs set epochs differently: old 4, new 8; both curves use 8" in out
    # the flags give both the same shape: nothing differs
    assert main(["diff", str(old), str(new), "--epochs", "8", "--lr", "0.5"]) == 0


def test_a_setting_only_old_gives_is_used_for_both(write):
    result = lrpol.compare(write("old.json", poly(1)), write("new.json", poly(1, epochs=None)))
    assert result.ctx.total_epochs == 4
    assert [(c.setting, c.old, c.new) for c in result.shape_changes] == [("epochs", 4, None)]


def test_neither_config_setting_the_run_is_an_error_naming_the_flags(write, capsys):
    entry = write("entry.json", json.dumps({"name": "ReduceCosine"}))
    assert main(["diff", str(entry), str(entry)]) == 2
    assert "lrpol diff: neither config sets learning_rate or epochs; pass --lr and --epochs" in capsys.readouterr().err
    assert main(["diff", str(entry), str(entry), "--lr", "1", "--epochs", "3"]) == 0


def test_bad_configs_exit_2_with_the_problems_of_both(write, capsys):
    old = write("old.json", poly(1))
    bad = write("bad.yaml", "epochs: 4\nlearning_rate: 1\ntrain:\n  lr_policy: {name: ReducePoly, args: {poly_powr: 1}}\n")
    missing = write("missing.json", json.dumps({"epochs": 4, "learning_rate": 1, "train": {"lr_policy": {"name": "ReducPoly"}}}))
    assert main(["diff", str(old), str(bad)]) == 2
    printed = capsys.readouterr().out
    assert printed == (
        f"{bad}:4:33: $.train.lr_policy.args.poly_power: missing required argument 'poly_power' for ReducePoly (a number > 0)\n"
        f"{bad}:4:40: $.train.lr_policy.args.poly_powr: unknown argument for ReducePoly; did you mean 'poly_power'?\n"
    )
    assert main(["validate", str(bad)]) == 1
    assert capsys.readouterr().out == printed  # as validate prints them
    assert main(["diff", str(missing), str(bad), "--format", "json"]) == 2
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["file"], line["json_path"]) for line in lines] == [(str(bad), "$.train.lr_policy.args.poly_power"), (str(bad), "$.train.lr_policy.args.poly_powr"), (str(missing), "$.train.lr_policy.name")]


def test_plateau_policies_see_the_same_synthetic_metric(write):
    plateau = {"name": "ReduceOnPlateau", "args": {"plateau_count_trigger": 2, "reduction_rate": 0.5}}
    config = {"epochs": 10, "learning_rate": 1.0, "train": {"lr_policy": plateau}}
    old = write("old.json", json.dumps(config))
    new = write("new.json", json.dumps({**config, "train": {"lr_policy": {**plateau, "args": {"plateau_count_trigger": 3, "reduction_rate": 0.5}}}}))
    result = lrpol.compare(old, new)
    assert result.synthetic_metric
    # the stand-in rises to 1.0 after epoch 5 and stays: two flat results (epochs 6, 7) halve
    # the old LR from epoch 8 (and again after epochs 8, 9), three (6, 7, 8) the new one from epoch 9
    assert result.old_curve.reductions == [7, 9] and result.new_curve.reductions == [8]
    assert result.first_difference == Point("first difference", 8, 8, 0.5, 1.0)
    assert result.largest_difference is not None and result.largest_difference.relative == 1.0


def test_infinite_relative_difference_where_old_is_zero():
    assert math.isinf(Point("p", 0, 0, 0.0, 0.1).relative)
    assert Point("p", 0, 0, 0.0, 0.0).relative == 0.0


def test_plot_draws_both_curves_on_one_chart(write, tmp_path, capsys):
    requires_extra("plot")
    old, new, out = write("old.json", poly(1)), write("new.json", poly(2)), tmp_path / "diff.png"
    assert main(["diff", str(old), str(new), "--plot", str(out)]) == 1
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    assert f"wrote {out}" in capsys.readouterr().out


def test_the_chart_holds_both_curves_with_a_legend(write, tmp_path, saved_figures):
    from lrpol import preview

    result = lrpol.compare(write("old.json", poly(1)), write("new.json", poly(2)))
    preview.plot_curves([("old", result.old_curve), ("new", result.new_curve)], tmp_path / "d.png", title="t")
    figures = saved_figures
    (axes,) = figures[0].axes
    curves = [line for line in axes.lines if line.get_label() in ("old", "new")]
    assert [list(line.get_ydata()) for line in curves] == [[1, 0.75, 0.5, 0.25], [1, 0.5625, 0.25, 0.0625]]
    assert [text.get_text() for text in axes.get_legend().get_texts()] == ["old", "new"]
    assert len(axes.lines) == 2 + 3  # both curves and 3 epoch boundaries


def test_plot_without_matplotlib_names_the_extra(write, tmp_path, capsys, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(__import__("sys").modules, "matplotlib.backends.backend_agg", None)
    assert main(["diff", str(write("old.json", poly(1))), str(write("new.json", poly(1))), "--plot", str(tmp_path / "x.png")]) == 2
    assert "lrpol diff: RuntimeError: --plot needs matplotlib: pip install 'lrpol[plot]'" in capsys.readouterr().err


def lrpol_command(*args: str, stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lrpol", *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_old_from_standard_input_as_git_show_gives_it(write):
    new = write("new.json", poly(2))
    result = lrpol_command("diff", "-", str(new), "--format", "json", stdin=poly(1))
    assert result.returncode == 1
    record = json.loads(result.stdout)
    assert record["old"]["file"] == "<stdin>" and record["first_difference"]["update"] == 1
    assert lrpol_command("diff", "-", str(new), stdin=poly(2)).returncode == 0
    unparsed = lrpol_command("diff", "-", str(new), stdin="{")
    assert unparsed.returncode == 2 and unparsed.stdout.startswith("<stdin>:")
    both = lrpol_command("diff", "-", "-", stdin=poly(1))
    assert both.returncode == 2 and "only one of OLD and NEW can be read from standard input" in both.stderr
