"""The README's promises: exactly two quick-start commands, CI runs the test one verbatim, and
its Python examples run."""

import re

from conftest import ROOT, requires_extra

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


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
    api_example = _blocks("python")[0]
    exec(compile(api_example, "README.md (API example)", "exec"), {})  # our own README


def test_readme_torch_example_runs():
    torch = requires_extra("torch")
    import lrpol

    optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    ctx = lrpol.TrainContext(initial_lr=0.1, total_epochs=2, steps_per_epoch=3)
    namespace = {"optimizer": optimizer, "policy": lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=2), "ctx": ctx, "lrpol": lrpol}
    torch_example = _blocks("python")[1]
    exec(compile(torch_example, "README.md (torch example)", "exec"), namespace)
    assert optimizer.param_groups[0]["lr"] == 0.1
    namespace["hook"].step()
    namespace["hook"].step()
    assert optimizer.param_groups[0]["lr"] == 0.05
