"""lrpol validate against check-jsonschema on the same 1,000 config files, in the same run.

    python benchmarks/bench_validate.py [--files 1000] [--repeat 3]

Needs check-jsonschema (pip install check-jsonschema). Prints both wall times (best of
--repeat), their ratio, how precisely each tool reports the broken files, and the
`python -X importtime` total for `import lrpol`.
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

# Ways to break each policy's entry, and the key the breakage is at: both tools should point at it.
BREAKAGES = {
    "DecayOnStep": [("decay_ratio", {"decay_ratio": 1.5}), ("decay_rato", {"decay_rato": 0.5})],
    "ReduceCosine": [("rate", {"rate": -1})],
    "ReduceOnPlateau": [("plateau_count_trigger", {"plateau_count_trigger": 0}), ("mode", {"mode": "maximum"})],
    "ReducePoly": [("poly_power", {"poly_power": "0.9"})],
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
            broken, change = rng.choice(BREAKAGES[policy["name"]])
            policy["args"].update(change)
        path = directory / f"config_{i:04d}.{'json' if i % 2 else 'yaml'}"
        path.write_text(json.dumps(config, indent=2) if i % 2 else yaml.safe_dump(config, sort_keys=False))
        files.append((path, broken))
    return files


def timed(command: list[str], repeat: int) -> tuple[float, subprocess.CompletedProcess]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        best = min(best, time.perf_counter() - start)
    return best, result


def import_time_ms(repeat: int = 5) -> float:
    """The cumulative `python -X importtime` figure for `import lrpol` (best of `repeat`)."""
    best = float("inf")
    for _ in range(repeat):
        stderr = subprocess.run([sys.executable, "-X", "importtime", "-c", "import lrpol"], capture_output=True, text=True, cwd=ROOT).stderr
        line = next(line for line in stderr.splitlines() if line.rstrip().endswith("| lrpol"))
        best = min(best, int(line.split("|")[1]) / 1000)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    checker = shutil.which("check-jsonschema")
    if checker is None:
        print("check-jsonschema is not installed: pip install check-jsonschema", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        files = generate(Path(tmp), options.files)
        names = [str(path) for path, _ in files]
        broken = {str(path): key for path, key in files if key}
        ours, ours_result = timed([sys.executable, "-m", "lrpol", "validate", *names], options.repeat)
        theirs, theirs_result = timed([checker, "--schemafile", str(SCHEMA), *names], options.repeat)

        # Precision: did each tool name every broken file, and point at the broken key?
        ours_lines = ours_result.stdout.splitlines()
        ours_hits = sum(any(line.startswith(f"{name}:") and key in line for line in ours_lines) for name, key in broken.items())
        ours_located = all(re.match(r".+:\d+:\d+: \$", line) for line in ours_lines)
        theirs_hits = sum(name in theirs_result.stdout and key in theirs_result.stdout.split(name, 1)[1][:400] for name, key in broken.items())

    print(f"{options.files} configs ({len(broken)} broken), best of {options.repeat} runs, one process each")
    print(f"  lrpol validate:    {ours:6.3f} s  (exit {ours_result.returncode}; {ours_hits}/{len(broken)} broken files named at the broken key, {'every' if ours_located else 'not every'} problem with line:column)")
    print(f"  check-jsonschema:  {theirs:6.3f} s  (exit {theirs_result.returncode}; {theirs_hits}/{len(broken)} broken files named at the broken key, JSON path only)")
    print(f"  ratio: lrpol is {theirs / ours:.2f}x faster")
    print(f"import lrpol: {import_time_ms():.1f} ms (python -X importtime, cumulative, best of 5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
