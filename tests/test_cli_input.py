"""The lrpol command under hostile input: endless standard input, files that are not regular
(a FIFO would block an open() forever), directories it cannot list, JSON pointers that only
look like array indexes, and previews that fail deep in the run. Each ends in one line and an
exit code, never a hang or a traceback. Subprocesses run with a timeout, so a regression fails
instead of hanging the suite."""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest
from conftest import CONFIGS

import lrpol
from lrpol import ConfigError, load, validate
from lrpol.cli import main

NOT_REGULAR_HINT = "lrpol reads configs from regular files, or from standard input with -"


def lrpol_command(*args: object, stdin: int | IO[bytes] = subprocess.DEVNULL, memory_limit: int | None = None) -> subprocess.CompletedProcess[str]:
    """The real command in a fresh interpreter; ``memory_limit`` caps its address space (bytes)."""
    limit = (lambda: resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))) if memory_limit else None
    return subprocess.run([sys.executable, "-m", "lrpol", *map(str, args)], stdin=stdin, capture_output=True, text=True, timeout=60, preexec_fn=limit)


def test_version_prints_the_package_version() -> None:
    result = lrpol_command("--version")
    assert (result.returncode, result.stdout, result.stderr) == (0, f"lrpol {lrpol.__version__}\n", "")


# -- standard input ---------------------------------------------------------------------------


def test_endless_stdin_is_read_up_to_the_size_limit_only() -> None:
    # Without the cap this reads until memory runs out; 1 GiB of address space is plenty with it.
    with open("/dev/zero", "rb") as zeros:
        result = lrpol_command("validate", "-", stdin=zeros, memory_limit=1 << 30)
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "<stdin>: $: file is larger than the 4 MiB limit for configs\n",
        "1 file(s) checked, 1 with problems\n",
    )


def test_stdin_at_the_limit_is_parsed_and_one_byte_more_is_refused(tmp_path: Path) -> None:
    config = (CONFIGS / "reduce_poly.json").read_bytes()
    limit = 4 * 1024 * 1024
    for size, expected in ((limit, (0, "")), (limit + 1, (1, "<stdin>: $: file is larger than the 4 MiB limit for configs\n"))):
        padded = tmp_path / f"padded-{size}.json"
        padded.write_bytes(config + b" " * (size - len(config)))
        with padded.open("rb") as stdin:
            result = lrpol_command("validate", "-", stdin=stdin)
        assert (result.returncode, result.stdout) == expected, size


# -- files that are not regular ---------------------------------------------------------------


def test_a_fifo_named_on_the_command_line_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)  # nobody writes to it: an open() for reading would block forever
    result = lrpol_command("validate", fifo)
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        f"{fifo}: $: not a regular file (a FIFO); {NOT_REGULAR_HINT}\n",
        "1 file(s) checked, 1 with problems\n",
    )


def test_dev_zero_and_a_socket_named_on_the_command_line_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        result = lrpol_command("validate", "/dev/zero", path)
    finally:
        server.close()
    assert result.returncode == 2
    assert result.stdout.splitlines() == [
        f"/dev/zero: $: not a regular file (a character device); {NOT_REGULAR_HINT}",
        f"{path}: $: not a regular file (a socket); {NOT_REGULAR_HINT}",
    ]


def test_a_fifo_inside_a_directory_is_reported_and_the_rest_checked(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_bytes((CONFIGS / "reduce_poly.json").read_bytes())
    os.mkfifo(tmp_path / "pipe.yaml")
    result = lrpol_command("validate", "--format", "json", tmp_path)
    assert result.returncode == 2
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"file": str(tmp_path / "pipe.yaml"), "line": None, "column": None, "json_path": "$", "message": "not a regular file (a FIFO)", "hint": NOT_REGULAR_HINT, "code": "unreadable"},
    ]
    assert result.stderr == "2 file(s) checked, 1 with problems\n"


def test_preview_refuses_a_directory_and_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    for path, kind in ((tmp_path, "a directory"), (fifo, "a FIFO")):
        result = lrpol_command("preview", path)
        assert (result.returncode, result.stdout, result.stderr) == (2, "", f"{path}: $: not a regular file ({kind}); {NOT_REGULAR_HINT}\n")


# -- directories ------------------------------------------------------------------------------


def test_an_unreadable_directory_anywhere_below_fails_the_run_and_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "good.json").write_bytes((CONFIGS / "reduce_poly.json").read_bytes())
    locked = tmp_path / "a" / "locked"
    locked.mkdir(parents=True)
    (locked / "bad.json").write_text('{"name": "NoSuchPolicy"}')
    # chmod 000 does not stop root, so the listing itself is refused, as the kernel would.
    scandir = os.scandir

    def refuse_locked(path: str | os.PathLike[str] = ".") -> object:
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refuse_locked)
    assert main(["validate", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == f"{locked}: $: cannot read directory: Permission denied\n"
    assert err == "1 file(s) checked, 0 with problems, 1 unreadable directory\n"


def test_symlinked_directories_are_not_followed_so_a_loop_ends(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_bytes((CONFIGS / "reduce_poly.json").read_bytes())
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    result = lrpol_command("validate", tmp_path)
    assert (result.returncode, result.stderr) == (0, "1 file(s) checked, 0 with problems\n")


# -- JSON pointers ----------------------------------------------------------------------------

HUGE_INDEX = "9" * 5000  # int() refuses more than 4,300 digits


@pytest.mark.parametrize("token", ["²", "٠", "00", "01", "-", "1", " 0", "+0", HUGE_INDEX])
def test_only_ascii_digits_without_leading_zeros_index_arrays(token: str, tmp_path: Path) -> None:
    path = tmp_path / "phases.json"
    path.write_text(json.dumps({"phases": [{"name": "ReducePoly", "args": {"poly_power": 0.9}}]}))
    pointer = f"/phases/{token}"
    expected_path = "$.phases[1]" if token == "1" else f"$.phases[{token!r}]"
    assert [str(p) for p in validate(str(path), pointer=pointer)] == [f"{path}:1:2: {expected_path}: nothing at {pointer}"]
    with pytest.raises(ConfigError) as error:
        load(path, pointer=pointer)
    assert [p.code for p in error.value.problems] == ["missing-entry"]
    assert repr(load(path, pointer="/phases/0")) == "ReducePoly(poly_power=0.9)"


def test_validate_pointer_flag_with_a_look_alike_index_is_one_problem_line(tmp_path: Path) -> None:
    path = tmp_path / "phases.yaml"
    path.write_text("phases:\n  - name: ReducePoly\n    args: {poly_power: 0.9}\n")
    for token in ("²", "٠", HUGE_INDEX):
        result = lrpol_command("validate", "--pointer", f"/phases/{token}", path)
        assert (result.returncode, result.stdout, result.stderr) == (1, f"{path}:1:1: $.phases[{token!r}]: nothing at /phases/{token}\n", "1 file(s) checked, 1 with problems\n")


def test_pointer_index_into_a_mapping_built_in_code() -> None:
    data = {"phases": [{"name": "ReducePoly", "args": {"poly_power": 0.9}}]}
    assert validate(data, pointer="/phases/0") == []
    assert [p.message for p in validate(data, pointer="/phases/²")] == ["nothing at /phases/²"]


# -- preview failing deep in the run ----------------------------------------------------------


@pytest.mark.parametrize(("error", "line"), [
    (OverflowError("int too large to convert to float"), "lrpol preview: OverflowError: int too large to convert to float"),
    (MemoryError("Unable to allocate 7.28 TiB for an array"), "lrpol preview: MemoryError: Unable to allocate 7.28 TiB for an array"),
    (RecursionError("maximum recursion depth exceeded"), "lrpol preview: RecursionError: maximum recursion depth exceeded"),
    (ValueError("metric is nan"), "lrpol preview: metric is nan"),
])
def test_preview_turns_a_failing_run_into_one_line_and_exit_2(error: Exception, line: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from lrpol import preview

    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(preview, "simulate", fail)
    assert main(["preview", str(CONFIGS / "reduce_poly.json")]) == 2
    assert capsys.readouterr() == ("", line + "\n")


def test_preview_of_hostile_values_never_prints_a_traceback(tmp_path: Path) -> None:
    # Each passed validate once and then crashed the run. Whether validate now refuses it (exit 1)
    # or the run does (exit 2), the answer is a message, not a traceback.
    huge = int("1" + "0" * 400)
    configs = {
        "epochs.json": {"epochs": huge, "learning_rate": 0.1, "train": {"lr_policy": {"name": "ReducePoly", "args": {"poly_power": 0.9}}}},
        "warmup.json": {"epochs": 3, "learning_rate": 0.1, "train": {"lr_policy": {"name": "Warmup", "args": {"duration": huge, "policy": {"name": "ReducePoly", "args": {"poly_power": 1}}}}}},
        "decay_freq.json": {"epochs": 2, "learning_rate": 0.1, "train": {"lr_policy": {"name": "DecayOnStep", "args": {"decay_ratio": 0.5, "decay_freq": 10**12}}}},
    }
    for name, config in configs.items():
        path = tmp_path / name
        path.write_text(json.dumps(config))
        result = lrpol_command("preview", path, "--steps-per-epoch", 10**9 if name == "decay_freq.json" else 1, memory_limit=2 << 30)
        assert "Traceback" not in result.stderr, name
        assert result.returncode in (0, 1, 2), name
        if result.returncode:
            assert result.stderr.startswith((str(path), "lrpol preview: ")), (name, result.stderr)


def test_preview_metrics_file_that_cannot_be_read_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    metrics = tmp_path / "metrics.txt"
    metrics.write_bytes(b"\xff0.5\n")
    with pytest.raises(SystemExit) as exit_:
        main(["preview", str(CONFIGS / "reduce_on_plateau.json"), "--metrics", str(metrics)])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"lrpol preview: error: argument --metrics: cannot read {metrics}: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"

    def refuse(self: Path, *args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_text", refuse)
    with pytest.raises(SystemExit):
        main(["preview", str(CONFIGS / "reduce_on_plateau.json"), "--metrics", str(metrics)])
    assert capsys.readouterr().err.splitlines()[-1] == f"lrpol preview: error: argument --metrics: cannot read {metrics}: Permission denied"


def test_preview_refuses_a_run_longer_than_it_covers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 2**53 epochs validate (the bound), but no preview can hold every update of them.
    config = tmp_path / "long.json"
    config.write_text(json.dumps({"epochs": 2**53, "learning_rate": 0.1, "train": {"lr_policy": {"name": "ReducePoly", "args": {"poly_power": 0.9}}}}))
    assert main(["preview", str(config)]) == 2
    assert capsys.readouterr().err == "lrpol preview: the run has 9,007,199,254,740,992 updates; a preview covers at most 100,000,000 (pass a smaller --epochs or --steps-per-epoch)\n"
