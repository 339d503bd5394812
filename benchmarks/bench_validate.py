"""How fast `lrpol validate` is, against check-jsonschema in the same run, and what the worst
inputs up to the 4 MiB size limit cost it.

    python benchmarks/bench_validate.py [--files 1000] [--repeat 3] [--quick]

Three parts, each in fresh processes:

1. Many configs: `--files` configs made from the bundled examples (half JSON, half YAML, one in
   ten broken), checked by `lrpol validate` and by `check-jsonschema --schemafile
   schemas/train_config.schema.json` (best of `--repeat`), with how precisely each reports the
   broken files.
2. One large valid JSON config (a train config carrying a 4 MiB datalist), checked by both tools.
3. Hostile inputs: files just under the limit built to be slow or large (duplicate keys, deep
   nesting, alias and merge-key bombs, variable expansion, huge argument lists). Each prints its
   wall time and peak memory (the process's max RSS) and the first line lrpol reports.

`--quick` runs every part at tiny sizes, to check that the benchmark itself still works. Without
check-jsonschema installed, parts 1 and 2 time lrpol alone.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schemas" / "train_config.schema.json"
LIMIT = 4 * 1024 * 1024

# One way to break the innermost entry of each example config, and the key it is at: both
# tools should point at it. Keyed by policy name, so a new example config needs a line here.
BREAKAGES = {
    "DecayOnStep": ("decay_ratio", {"decay_ratio": 1.5}),
    "ReduceCosine": ("rate", {"rate": -1}),
    "ReduceOnPlateau": ("plateau_count_trigger", {"plateau_count_trigger": 0}),
    "ReducePoly": ("poly_power", {"poly_power": "0.9"}),
    "Warmup": ("duration", {"duration": 0}),
    "Sequential": ("milestones", {"milestones": "5"}),
}


def generate(directory: Path, count: int, seed: int = 0) -> list[tuple[Path, str | None]]:
    """`count` configs made from the bundled examples, half JSON and half YAML, one in ten broken.

    Returns (path, the key the breakage is at, or None for a valid file)."""
    import yaml

    rng = random.Random(seed)
    examples = [json.loads(p.read_text()) for p in sorted((ROOT / "configs").glob("*.json"))]
    files = []
    for i in range(count):
        config = json.loads(json.dumps(rng.choice(examples)))
        config["epochs"] = rng.randint(1, 500)
        broken = None
        if i % 10 == 0:
            policy = config["train"]["lr_policy"]
            if policy["name"] not in BREAKAGES:
                raise SystemExit(f"bench_validate.py: no breakage for {policy['name']!r} in BREAKAGES; add one")
            broken, change = BREAKAGES[policy["name"]]
            policy.setdefault("args", {}).update(change)
        path = directory / f"config_{i:04d}.{'json' if i % 2 else 'yaml'}"
        path.write_text(json.dumps(config, indent=2) if i % 2 else yaml.safe_dump(config, sort_keys=False))
        files.append((path, broken))
    return files


# Runs the lrpol command line, then writes the process's peak memory (VmHWM: kept per address
# space, so it starts afresh at exec, unlike ru_maxrss, which a child inherits from its parent).
_MEASURED = (
    "import sys, atexit\n"
    "atexit.register(lambda: print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).strip(), file=sys.stderr, end=''))\n"
    "from lrpol.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def run(command: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall time (s) and peak memory (MB; NaN where /proc is missing) of one run of ``command``."""
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    peak = float("nan")
    if result.stderr.rpartition("\n")[2].startswith("VmHWM"):
        head, _, last = result.stderr.rpartition("\n")
        peak = int(last.split()[1]) / 1024
        result.stderr = head
    return elapsed, peak, result


def best(command: list[str], repeat: int) -> tuple[float, subprocess.CompletedProcess]:
    times, result = [], None
    for _ in range(repeat):
        elapsed, _, result = run(command)
        times.append(elapsed)
    return min(times), result


def lrpol_command(*files: str) -> list[str]:
    return [sys.executable, "-c", _MEASURED, "validate", *files]


# -- part 1 and 2: against check-jsonschema ----------------------------------------------------------


def many_configs(directory: Path, count: int, repeat: int, checker: str | None) -> None:
    files = generate(directory, count)
    names = [str(path) for path, _ in files]
    broken = {str(path): key for path, key in files if key}
    ours, ours_result = best(lrpol_command(*names), repeat)
    ours_lines = ours_result.stdout.splitlines()
    ours_hits = sum(any(line.startswith(f"{name}:") and key in line for line in ours_lines) for name, key in broken.items())
    located = all(re.match(r".+:\d+:\d+: \$", line) for line in ours_lines)
    print(f"{count} configs ({len(broken)} broken), best of {repeat} runs, one process each")
    print(f"  lrpol validate:    {ours:6.3f} s  (exit {ours_result.returncode}; {ours_hits}/{len(broken)} broken files named at the broken key, {'every' if located else 'not every'} problem with line:column)")
    if checker:
        theirs, theirs_result = best([checker, "--schemafile", str(SCHEMA), *names], repeat)
        theirs_hits = sum(name in theirs_result.stdout and key in theirs_result.stdout.split(name, 1)[1][:400] for name, key in broken.items())
        print(f"  check-jsonschema:  {theirs:6.3f} s  (exit {theirs_result.returncode}; {theirs_hits}/{len(broken)} broken files named at the broken key, JSON path only)")
        print(f"  ratio: check-jsonschema / lrpol = {theirs / ours:.2f}")


def large_valid_config(directory: Path, size: int, repeat: int, checker: str | None) -> None:
    """A valid train config whose bulk is a datalist, as MMAR configs sometimes carry inline."""
    config = json.loads((ROOT / "configs" / "reduce_poly.json").read_text())
    entry = '{"image": "imagesTr/case_%06d.nii.gz", "label": "labelsTr/case_%06d.nii.gz"}'
    count = max(1, (size - 2000) // (len(entry % (0, 0)) + 2))
    body = json.dumps(config, indent=2)
    text = body[: body.rindex("}")].rstrip() + ',\n  "datalist": [\n' + ",\n".join(entry % (i, i) for i in range(count)) + "\n  ]\n}\n"
    path = directory / "large_valid.json"
    path.write_text(text)
    ours, result = best(lrpol_command(str(path)), repeat)
    print(f"one valid {len(text) / 2**20:.2f} MiB JSON config, best of {repeat}")
    print(f"  lrpol validate:    {ours:6.3f} s  (exit {result.returncode})")
    if checker:
        theirs, theirs_result = best([checker, "--schemafile", str(SCHEMA), str(path)], repeat)
        print(f"  check-jsonschema:  {theirs:6.3f} s  (exit {theirs_result.returncode})")
        print(f"  ratio: check-jsonschema / lrpol = {theirs / ours:.2f}")


# -- part 3: hostile inputs --------------------------------------------------------------------------


def _entry(args: str) -> str:
    return '{"train": {"lr_policy": {"name": "MultiStepDecay", "args": ' + args + "}}}"


def _fill(unit: str, size: int, head: str = "", tail: str = "", sep: str = "") -> str:
    """head + unit repeated (joined by sep) + tail, as close under ``size`` characters as fits."""
    count = max(1, (size - len(head) - len(tail)) // (len(unit) + len(sep)))
    return head + sep.join([unit] * count) + tail


def hostile(size: int) -> dict[str, tuple[str, str]]:
    """name -> (file suffix, text): inputs up to ``size`` characters, each built to be slow or big."""
    members = max(10, size // 3000)
    big_string = "x" * min(60_000, size // 4)
    return {
        "JSON array of zeros": (".json", _fill("0", size, "[", "]", ",")),
        "JSON duplicate keys": (".json", _fill('"a":0', size, "{", "}", ",")),
        "JSON nesting after many items": (".json", _fill("0", size - 2000, "[", ",", ",") + "[" * 1000),
        "JSON empty arrays": (".json", _fill("[]", size, "[", "]", ",")),
        "JSON objects with repeated keys": (".json", _fill('{"a":1,"a":2}', size, "[", "]", ",")),
        "JSON NaN in nested arrays": (".json", _fill("[[[[[[[NaN]]]]]]]", size, "[", "]", ",")),
        "JSON arrays 63 deep": (".json", _fill("[" * 63 + "0" + "]" * 63, size, "[", "]", ",")),
        "JSON unknown arguments": (".json", _entry("{" + ",".join(f'"u{i}":0' for i in range(size // 12)) + "}")),
        "JSON milestones": (".json", _entry('{"gamma": 0.5, "milestones": [' + ",".join(str(i + 1) for i in range(size // 9)) + "]}")),
        "JSON variable expansion": (".json", json.dumps({"a": big_string, "train": {"lr_policy": {"name": "ReducePoly", "args": {"poly_power": "{a}" * ((size - len(big_string)) // 3 - 40)}}}})),
        "JSON many expanded strings": (".json", json.dumps({"a": "x" * 1000, "train": {"lr_policy": {"name": "MultiStepDecay", "args": {"gamma": 0.5, "milestones": ["{a}{a}"] * ((size - 2000) // 11)}}}})),
        "YAML block sequence": (".yaml", _fill("- 0\n", size)),
        "YAML flow sequence": (".yaml", _fill("0", size, "[", "]", ",")),
        "YAML nesting after many items": (".yaml", _fill("- 0\n", min(size, 400_000)) + "- " + "[" * 2000 + "\n"),
        "YAML aliases (billion laughs)": (".yaml", "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))),
        "YAML merge keys": (".yaml", "a: &A {" + ", ".join(f"k{i}: 0" for i in range(members)) + "}\nb: {<<: [" + ", ".join(["{<<: *A}"] * members) + "]}\n"),
        "YAML hex integer": (".yaml", "epochs: 0x" + "f" * 3600 + "\n"),
    }


def hostile_inputs(directory: Path, size: int) -> list[tuple[str, float, float]]:
    """Each hostile input at full size and at a quarter of it: the ratio of their times shows
    whether the cost grows linearly with the size (about 4) or faster."""
    print(f"hostile inputs up to {size / 2**20:.2f} MiB, one lrpol validate process each: wall time, peak memory, time at 1/4 of the size, first line")
    figures = []
    quarter = hostile(size // 4)
    for name, (suffix, text) in hostile(size).items():
        path = directory / (re.sub(r"\W+", "_", name).strip("_").lower() + suffix)
        path.write_text(text)
        # Judged as a train config's lr_policy, whatever the file holds: validate would skip most
        # of these as not LR configs, after reading them whole.
        command = [*lrpol_command(str(path)), "--pointer", "/train/lr_policy"]
        elapsed, peak, result = run(command)
        path.write_text(quarter[name][1])
        smaller, _, _ = run(command)
        first = (result.stdout or result.stderr).splitlines()[0] if (result.stdout or result.stderr) else ""
        first = first.replace(str(path), path.name)
        print(f"  {name:30s} {len(text) / 2**20:5.2f} MiB {elapsed:6.3f} s {peak:6.1f} MB | 1/4: {smaller:6.3f} s | exit {result.returncode}  {first[:100]}")
        if result.returncode not in (0, 1) or "Traceback" in result.stderr:
            print(result.stderr, file=sys.stderr)
            raise SystemExit(f"bench_validate.py: {name}: lrpol validate exited {result.returncode}")
        figures.append((name, elapsed, peak))
    return figures


def import_time_ms(repeat: int = 5) -> float:
    """The cumulative `python -X importtime` figure for `import lrpol` (best of `repeat`)."""
    times = []
    for _ in range(repeat):
        stderr = subprocess.run([sys.executable, "-X", "importtime", "-c", "import lrpol"], capture_output=True, text=True, cwd=ROOT, check=True).stderr
        line = next(line for line in stderr.splitlines() if line.rstrip().endswith("| lrpol"))
        times.append(int(line.split("|")[1]) / 1000)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000, help="configs in part 1 (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing in parts 1 and 2, the best is kept (default 3)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check that the benchmark runs, in seconds")
    options = parser.parse_args()
    files, repeat, size = (20, 1, 64 * 1024) if options.quick else (options.files, options.repeat, LIMIT - 1024)
    checker = shutil.which("check-jsonschema")
    if checker is None:
        print("check-jsonschema is not installed (pip install check-jsonschema): timing lrpol alone")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        many_configs(directory, files, repeat, checker)
        large_valid_config(directory, size, repeat, checker)
        hostile_inputs(directory, size)
    print(f"import lrpol: {import_time_ms():.1f} ms (python -X importtime, cumulative, best of 5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
