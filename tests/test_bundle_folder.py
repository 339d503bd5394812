"""A whole MONAI bundle folder, laid out as the model zoo lays them out (tests/data/bundles/):
`lrpol validate` and the pre-commit hook judge only configs/train.json, which holds the
lr_scheduler; inference.json, evaluate.json, multi_gpu_train.json (bundle configs without one),
metadata.json, logging.conf, docs/ and LICENSE are skipped or never read."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from lrpol.cli import main
from lrpol.config_kind import BUNDLE, NOT_LR_CONFIG, kind_of
from lrpol.reading import read_document

BUNDLE_DIR = ROOT / "tests" / "data" / "bundles" / "abdomen_ct_segresnet"
CONFIGS = BUNDLE_DIR / "configs"


def test_the_bundle_folder_is_laid_out_as_the_model_zoo_lays_out_bundles():
    files = sorted(str(path.relative_to(BUNDLE_DIR)) for path in BUNDLE_DIR.rglob("*") if path.is_file())
    assert files == [
        "LICENSE", "configs/evaluate.json", "configs/inference.json", "configs/logging.conf", "configs/metadata.json",
        "configs/multi_gpu_train.json", "configs/train.json", "docs/README.md",
    ]


@pytest.mark.parametrize(
    "name, what, reason",
    [
        ("train.json", BUNDLE, ""),
        ("inference.json", NOT_LR_CONFIG, "a MONAI bundle config without an lr_scheduler or an LrScheduleHandler"),
        ("evaluate.json", NOT_LR_CONFIG, "a partial MONAI bundle config: its key 'validate#handlers' sets an id of the config it is merged onto"),
        ("multi_gpu_train.json", NOT_LR_CONFIG, "a partial MONAI bundle config: its key 'train#sampler' sets an id of the config it is merged onto"),
        ("metadata.json", NOT_LR_CONFIG, "has 'name', but also keys a policy entry never has: 'schema', 'version', 'changelog', 'monai_version', 'pytorch_version', ..."),
    ],
)
def test_what_each_config_of_the_bundle_is(name, what, reason):
    kind = kind_of(read_document(CONFIGS / name).data)
    assert (kind.what, kind.reason) == (what, reason)


def test_validate_passes_the_bundle_and_judges_only_its_train_config(capsys):
    assert main(["validate", "--verbose", str(BUNDLE_DIR)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"{CONFIGS / 'evaluate.json'}: skipped, not an LR config: a partial MONAI bundle config: its key 'validate#handlers' sets an id of the config it is merged onto",
        f"{CONFIGS / 'inference.json'}: skipped, not an LR config: a MONAI bundle config without an lr_scheduler or an LrScheduleHandler",
        f"{CONFIGS / 'metadata.json'}: skipped, not an LR config: has 'name', but also keys a policy entry never has: 'schema', 'version', 'changelog', 'monai_version', 'pytorch_version', ...",
        f"{CONFIGS / 'multi_gpu_train.json'}: skipped, not an LR config: a partial MONAI bundle config: its key 'train#sampler' sets an id of the config it is merged onto",
        "1 file(s) checked, 0 with problems, 4 skipped (not LR configs)",
    ]


def hook_files(repository: Path) -> list[str]:
    """The files the pre-commit hook's ``files`` pattern passes to it, as pre-commit would."""
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    tracked = sorted(str(path.relative_to(repository)) for path in repository.rglob("*") if path.is_file())
    return [name for name in tracked if re.search(hook["files"], name)]


def test_the_pre_commit_hook_passes_the_bundle_and_fails_naming_only_its_train_config(tmp_path, monkeypatch, capsys):
    repository = tmp_path / "bundle"
    shutil.copytree(BUNDLE_DIR, repository)
    monkeypatch.chdir(repository)
    files = hook_files(repository)
    assert files == ["configs/evaluate.json", "configs/inference.json", "configs/metadata.json", "configs/multi_gpu_train.json", "configs/train.json"]
    assert main(["validate", *files]) == 0
    assert capsys.readouterr().out == ""
    train = repository / "configs" / "train.json"
    train.write_text(train.read_text().replace('"eta_min": 1e-06', '"eta_mn": 1e-06'))
    assert main(["validate", *files]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "configs/train.json:44:9: $.lr_scheduler.eta_mn: unknown argument for torch.optim.lr_scheduler.CosineAnnealingLR; did you mean 'eta_min'?",
    ]
