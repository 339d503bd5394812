"""The ``lrpol`` command: ``validate`` configs, ``preview`` their LR curve.

Exit codes: 0 success, 1 a config is invalid, 2 usage error or unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .config import DEFAULT_POINTER, build_document, run_settings, validate
from .context import TrainContext
from .document import YAML_SUFFIXES, JSON_SUFFIXES, read_document
from .errors import ConfigError
from .hook import LRHook

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
CONFIG_SUFFIXES = JSON_SUFFIXES + YAML_SUFFIXES


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    options = parser.parse_args(argv)
    try:
        return options.command(options)
    except BrokenPipeError:  # `lrpol preview ... | head`
        return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lrpol", description="Check and preview learning-rate policies in JSON/YAML train configs.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    check = commands.add_parser("validate", help="check configs; print one line per problem", description="Check configs without importing any code they name.")
    check.add_argument("files", nargs="+", metavar="FILE", help="a config file, or a directory to search for *.json, *.yaml, *.yml")
    _add_source_options(check)
    check.add_argument("--strict", action="store_true", help="also report 'path' entries, which validation cannot check without importing them")
    check.set_defaults(command=_validate)

    preview = commands.add_parser("preview", help="print the LR per epoch of a config's policy", description=_PREVIEW_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    preview.add_argument("file", metavar="FILE")
    preview.add_argument("--epochs", type=_positive_int, help="run length (default: the config's 'epochs')")
    preview.add_argument("--lr", type=_positive_float, help="initial LR (default: the config's 'learning_rate')")
    preview.add_argument("--steps-per-epoch", type=_positive_int, default=1, help="optimizer updates per epoch (default: 1)")
    preview.add_argument("--metrics", type=_metric_list, help="comma-separated validation results, one per epoch, for ReduceOnPlateau")
    _add_source_options(preview)
    preview.set_defaults(command=_preview)
    return parser


_PREVIEW_DESCRIPTION = """\
Print the LR of the first and last update of every epoch.

The policy is evaluated exactly as LRHook runs it in training: one step() per update,
and one validation result reported at the end of each epoch. Without --metrics,
ReduceOnPlateau sees a synthetic metric that improves for the first half of the epochs
and is flat afterwards, so the table shows where reductions would fall on a plateau.
"""


def _add_source_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pointer", help=f"JSON pointer to the policy entry (default: the file itself if it is an entry, else {DEFAULT_POINTER})")
    parser.add_argument("--var", action="append", default=[], type=_variable, metavar="KEY=VALUE", help="set a {KEY} variable (VALUE is read as JSON when it parses, else as a string)")
    parser.add_argument("--allow-path", action="append", default=[], metavar="PREFIX", help="module prefix that 'path' entries may name (repeatable)")


def _validate(options) -> int:
    files = list(_expand(options.files))
    if not files:
        print("lrpol validate: no config files found", file=sys.stderr)
        return EXIT_USAGE
    unreadable = invalid = 0
    for file in files:
        problems = validate(file, pointer=options.pointer, variables=dict(options.var), allow_paths=options.allow_path, strict=options.strict)
        for problem in problems:
            print(problem)
        unreadable += any(p.code == "unreadable" for p in problems)
        invalid += bool(problems)
    print(f"{len(files)} file(s) checked, {invalid} with problems", file=sys.stderr)
    if unreadable:
        return EXIT_USAGE
    return EXIT_INVALID if invalid else EXIT_OK


def _expand(paths: list[str]):
    for name in paths:
        path = Path(name)
        if path.is_dir():
            yield from sorted(str(p) for p in path.rglob("*") if p.suffix.lower() in CONFIG_SUFFIXES and p.is_file())
        else:
            yield name


def _preview(options) -> int:
    variables = dict(options.var)
    try:
        doc = read_document(options.file)
        policy = build_document(doc, pointer=options.pointer, variables=variables, allow_paths=options.allow_path)
        settings = run_settings(doc, variables)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE if any(p.code == "unreadable" for p in error.problems) else EXIT_INVALID
    lr0 = options.lr or settings.get("learning_rate")
    epochs = options.epochs or settings.get("epochs")
    missing = [(key, flag) for key, flag, value in (("learning_rate", "--lr", lr0), ("epochs", "--epochs", epochs)) if value is None]
    if missing:
        keys, flags = zip(*missing)
        print(f"lrpol preview: the config sets no {' or '.join(keys)}; pass {' and '.join(flags)}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{options.file}: {policy if policy is not None else 'disabled (the LR stays at lr0)'}")
    print(f"lr0={lr0:g} epochs={epochs} steps_per_epoch={options.steps_per_epoch}")
    try:
        rows, final = _simulate(policy, TrainContext(initial_lr=lr0, total_epochs=epochs, steps_per_epoch=options.steps_per_epoch), options.metrics)
    except ValueError as error:
        print(f"lrpol preview: {error}", file=sys.stderr)
        return EXIT_USAGE
    with_metric = any(metric is not None for *_, metric in rows)
    print(f"{'epoch':>6}  {'first lr':>14}  {'last lr':>14}" + (f"  {'metric':>10}" if with_metric else ""))
    for epoch, first, last, metric in rows:
        line = f"{epoch:>6}  {first:>14.6e}  {last:>14.6e}"
        if with_metric:
            line += f"  {'' if metric is None else format(metric, '.4g'):>10}"
        print(line)
    print(f"after the run: {final:.6e}")
    return EXIT_OK


def _simulate(policy, ctx: TrainContext, metrics: list[float] | None):
    """Per epoch: (epoch, LR of its first update, LR of its last update, metric reported after it)."""
    if policy is None:
        return [(e, ctx.initial_lr, ctx.initial_lr, None) for e in range(ctx.total_epochs)], ctx.initial_lr
    if metrics is None and policy.reads_metric:
        metrics = synthetic_metrics(ctx.total_epochs, getattr(policy, "mode", "max"))
    hook = LRHook(policy, ctx, lambda lr: None)
    rows = []
    for epoch in range(ctx.total_epochs):
        first = ctx.current_lr
        for _ in range(ctx.steps_per_epoch - 1):
            hook.step()
        last = ctx.current_lr
        hook.step()
        metric = metrics[epoch] if metrics is not None and epoch < len(metrics) else None
        if metric is not None:
            hook.report_metric(metric)
        rows.append((epoch, first, last, metric))
    return rows, ctx.current_lr


def synthetic_metrics(epochs: int, mode: str = "max") -> list[float]:
    """The preview's stand-in validation metric: improves linearly over the first half of
    the epochs, then stays flat (falls instead of rising when ``mode`` is "min").

    >>> synthetic_metrics(6)
    [0.0, 0.3333333333333333, 0.6666666666666666, 1.0, 1.0, 1.0]
    """
    half = max(1, epochs // 2)
    rising = [min(epoch, half) / half for epoch in range(epochs)]
    return rising if mode == "max" else [1.0 - value for value in rising]


def _variable(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (value > 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def _metric_list(text: str) -> list[float]:
    values = []
    for item in text.split(","):
        try:
            values.append(float(item))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {item!r}") from None
    return values


if __name__ == "__main__":
    sys.exit(main())
