"""The README's promises: exactly two quick-start commands, CI runs the test one verbatim, and
its Python examples run."""

import math
import re

from conftest import ROOT, requires_extra

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
