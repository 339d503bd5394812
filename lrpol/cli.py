"""The ``lrpol`` command.

- ``validate``: check configs, for people and for CI (text, JSON lines or GitHub annotations).
- ``preview``: the LR curve of a config's policy, as a table, CSV or PNG.
- ``diff``: compare two configs' LR curves on one run shape, for reviewing a change.
- ``convert``: the native lrpol entry that gives a config's LRs (from torch's scheduler names, say).
- ``schema``: print or write the JSON Schemas.
- ``list`` / ``describe``: the registered policies, and one policy's formula and arguments.

Exit codes: 0 success, 1 a config is invalid, 2 usage error or unreadable input
(``diff``: 0 identical, 1 different, 2 a config has problems or another error; ``convert``:
2 also when the schedule has no native entry).
"""

from __future__ import annotations

import argparse
import inspect
import io
import json
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__, compare_report, schema
from .arguments import Argument, ArgumentError
from .config import DEFAULT_POINTER, build_run, locate, validate
from .config_kind import skip_reason, without_policy
from .context import EPOCHS, LEARNING_RATE, STEPS_PER_EPOCH, TrainContext
from .document import MAX_FILE_BYTES, Document
from .environment import Environment, load_environment
from .errors import ConfigError, Problem, did_you_mean, one_line
from .finding import STDIN, Input, find, refuse_irregular
from .reading import parse_bytes, read_document, unreadable
from .registry import RegistryError, builtin, lookup, registered
from .torch_schedulers import TORCH_SCHEDULERS

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 is escaped, not a crash
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    options = _parser().parse_args(argv)
    try:
        return options.command(options)
    except BrokenPipeError:  # `lrpol preview ... | head`
        return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lrpol", description="Check and preview learning-rate policies in JSON/YAML train configs.", epilog="exit codes: 0 success, 1 invalid config, 2 usage error or unreadable input")
    parser.add_argument("--version", action="version", version=f"lrpol {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    check = commands.add_parser("validate", help="check configs; one line per problem", description="Check the LR configs among the files given (train configs and policy entries; other JSON and YAML files are skipped), without importing any code they name. Directory walks leave out hidden folders, virtual environments, build, dist, node_modules and __pycache__. Exit codes: 0 all valid, 1 a config is invalid, 2 usage error or unreadable input.")
    check.add_argument("files", nargs="+", metavar="FILE", help="a config file, a directory to search for *.json, *.yaml and *.yml, or - for standard input")
    _add_source_options(check)
    check.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="leave out files and folders that match (their name, or their path; repeatable)")
    check.add_argument("--require", action="store_true", help="fail (exit 1) when no LR config is found, for CI jobs that expect one")
    check.add_argument("--verbose", action="store_true", help="list the files skipped because they are not LR configs, and why")
    check.add_argument("--strict", action="store_true", help="also report 'path' entries, which validation cannot check without importing them")
    check.add_argument("--format", choices=("text", "json", "github"), default="text", help="text: file:line:col: path: message; json: one JSON object per problem; github: workflow annotations")
    check.set_defaults(command=_validate)

    preview = commands.add_parser("preview", help="print, write or plot the LR curve of a config's policy", description=_PREVIEW_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    preview.add_argument("file", metavar="FILE")
    _add_run_options(preview, "the config's")
    preview.add_argument("--csv", metavar="OUT", help="write the LR of every update to this CSV file")
    preview.add_argument("--plot", metavar="OUT.png", help="draw the curve into this PNG (needs matplotlib: pip install 'lrpol[plot]')")
    preview.add_argument("--log", action="store_true", help="plot the LR on a log scale")
    _add_source_options(preview)
    preview.set_defaults(command=_preview)

    diff = commands.add_parser("diff", help="compare the LR curves of two configs", description=_DIFF_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    diff.add_argument("old", metavar="OLD", help="the config before the change (- for standard input)")
    diff.add_argument("new", metavar="NEW", help="the config after it (- for standard input)")
    _add_run_options(diff, "NEW's, else OLD's")
    diff.add_argument("--format", choices=tuple(compare_report.FORMATS), default="text", help="text (default), markdown: a table for a CI job summary, json: one object")
    diff.add_argument("--plot", metavar="OUT.png", help="draw both curves into this PNG (needs matplotlib: pip install 'lrpol[plot]')")
    diff.add_argument("--log", action="store_true", help="plot the LR on a log scale")
    _add_source_options(diff)
    diff.set_defaults(command=_diff)

    converting = commands.add_parser("convert", help="print the native lrpol entry that gives a config's LRs", description=_CONVERT_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    converting.add_argument("file", metavar="FILE", help="a train config or a policy entry, or - for standard input")
    converting.add_argument("--format", choices=("json", "yaml"), help="how to print the entry (default: the file's own, json for standard input)")
    converting.add_argument("--steps-per-epoch", type=_checked(STEPS_PER_EPOCH), help="optimizer updates per epoch: with it, a torch scheduler stepped per update is also checked to last the run, as load_run checks it (OneCycleLR's total_steps)")
    _add_source_options(converting, paths=False)
    converting.set_defaults(command=_convert)

    schema_command = commands.add_parser("schema", help="print or write the JSON Schemas", description=schema.COMMAND_DESCRIPTION)
    schema.add_options(schema_command)
    schema_command.set_defaults(command=schema.command)

    listing = commands.add_parser("list", help="list the registered policies", description="List the registered policies, installed plugins included.")
    listing.set_defaults(command=_list)

    describe = commands.add_parser("describe", help="show a policy's formula and arguments")
    describe.add_argument("name", metavar="NAME")
    describe.set_defaults(command=_describe)
    return parser


_PREVIEW_DESCRIPTION = """\
Show the LR of every update of a config's policy: a compact table (first and last
update of each epoch, or of every k-th epoch for long runs), a CSV of every update,
and a PNG plot.

The policy runs exactly as LRHook runs it in training: one step() per update, and one
validation result reported at the end of each epoch. Without --metrics, a policy that
reads metrics (ReduceOnPlateau) sees a synthetic metric that improves linearly for the
first half of the epochs and is flat afterwards, so the preview shows where reductions
would fall on a plateau.
"""


_DIFF_DESCRIPTION = """\
Compare the LR curves of two configs, as lrpol preview works them out: the first update
whose LR differs, the largest relative difference (new - old) / old, and both LRs at the
start, the quarters and the last update.

Both curves run on one shape: --lr, --epochs and --steps-per-epoch when given, else NEW's
learning_rate and epochs (OLD's where NEW has none). Settings the two configs give
differently are named, and count as a difference.

Exit codes: 0 the curves and run settings are identical, 1 they differ, 2 a config has
problems (listed as validate lists them) or another error.
"""


_CONVERT_DESCRIPTION = """\
Print the native lrpol entry ({"name": ..., "args": ...}) that gives the same LR at every
update as the config's schedule, to use as train.lr_policy: Clara 4's train.lr_scheduler
(torch's scheduler names, stepped as its LrScheduleHandler says) or a native entry, which
comes back normalised (variables filled in, arguments at their defaults left out).

The entry runs from lr0, the config's learning_rate. When the schedule starts from another
(an optimizer lr of its own, or the peak torch's OneCycleLR and CyclicLR set), standard
error says which learning_rate to set; standard output holds the entry only.

Exit codes: 0 printed, 1 the config has problems (listed on standard error), 2 the schedule
has no native entry (user code: a 'path' entry, a bundle's $ expression; a torch feature
lrpol cannot follow), unreadable input or a usage error.
"""


def _add_run_options(parser: argparse.ArgumentParser, default: str) -> None:
    """The run shape and the validation results, as ``preview`` and ``diff`` take them."""
    parser.add_argument("--epochs", type=_checked(EPOCHS), help=f"run length (default: {default} '{EPOCHS.name}')")
    parser.add_argument("--lr", type=_checked(LEARNING_RATE), help=f"initial LR (default: {default} '{LEARNING_RATE.name}')")
    parser.add_argument("--steps-per-epoch", type=_checked(STEPS_PER_EPOCH), default=1, help="optimizer updates per epoch (default: 1)")
    parser.add_argument("--metrics", type=_metrics, metavar="FILE|LIST", help="validation results, one per epoch: comma-separated, or a file of numbers (one per line, or a JSON array)")


def _add_source_options(parser: argparse.ArgumentParser, *, paths: bool = True) -> None:
    parser.add_argument("--pointer", type=_pointer, help=f"JSON pointer to the policy entry (default: {DEFAULT_POINTER} in a train config, else the file itself)")
    parser.add_argument("--var", action="append", default=[], type=_variable, metavar="KEY=VALUE", help="set a {KEY} variable, or a top-level value such as epochs or learning_rate (VALUE is read as a JSON scalar when it parses as one, else as a string); wins over --env and the config")
    parser.add_argument("--env", metavar="FILE", help="read variables from a Clara environment.json (a flat JSON or YAML object); they win over the config's own top-level values")
    if paths:  # convert never imports a path entry: it has no native entry anyway
        parser.add_argument("--allow-path", action="append", default=[], metavar="PREFIX", help="module prefix that 'path' entries may name (repeatable; also $LRPOL_ALLOW_PATHS)")


# -- validate ---------------------------------------------------------------------------------


def _validate(options: argparse.Namespace) -> int:
    found = find(options.files, options.exclude)
    show = _FORMATS[options.format]
    try:
        options.environment = _environment(options)
    except ConfigError as error:
        for problem in error.problems:
            print(show(problem))
        print("the environment file has problems, so no config was checked", file=sys.stderr)
        return EXIT_USAGE if any(p.code == "unreadable" for p in error.problems) else EXIT_INVALID
    for problem in found.unreadable_dirs:
        print(show(problem))
    checked = unreadable = invalid = skipped = 0
    for source in found.inputs:
        problems, skip = _judge(source, options)
        if skip:
            skipped += 1
            if options.verbose:
                print(f"{source.name}: skipped, {skip}", file=sys.stderr)
            continue
        checked += 1
        for problem in problems:
            print(show(problem))
        unreadable += any(p.code == "unreadable" for p in problems)
        invalid += bool(problems)
    print(_summary(checked, invalid, skipped, len(found.unreadable_dirs)), file=sys.stderr)
    if unreadable or found.unreadable_dirs:
        return EXIT_USAGE
    if not checked:
        print("lrpol validate: no LR config found" + (" (--require makes this an error)" if not options.require else ""), file=sys.stderr)
        return EXIT_INVALID if options.require else EXIT_OK
    return EXIT_INVALID if invalid else EXIT_OK


def _summary(checked: int, invalid: int, skipped: int, unreadable_dirs: int) -> str:
    directories = f", {unreadable_dirs} unreadable director{'y' if unreadable_dirs == 1 else 'ies'}" if unreadable_dirs else ""
    others = f", {skipped} skipped (not LR configs)" if skipped else ""
    return f"{checked} file(s) checked, {invalid} with problems{others}{directories}"


def _judge(source: Input, options: argparse.Namespace) -> tuple[list[Problem], str]:
    """The problems of ``source``, or why it is skipped: it is not an LR config. A file that
    cannot be read or parsed is judged, since nothing says what it is."""
    if source.refused:
        return source.refused, ""
    try:
        doc = _read_stdin() if source.name == STDIN else read_document(source.name)
    except ConfigError as error:
        if options.pointer is None and all(problem.code == "multiple-documents" for problem in error.problems):
            # a stream of YAML documents (Kubernetes manifests, say): no train config is one
            return [], "not an LR config: a YAML file of several documents"
        return list(error.problems), ""
    if isinstance(doc, list):
        return doc, ""
    skip = _not_an_lr_config(doc, options.pointer, source.named)
    if skip:
        return [], skip
    return validate(doc, pointer=options.pointer, variables=dict(options.var), environment=options.environment, allow_paths=options.allow_path, strict=options.strict), ""


def _not_an_lr_config(doc: Document, pointer: str | None, named: bool) -> str:
    """Why ``doc`` is no LR config, or "" when it is one. ``--pointer`` says where the policy
    is: a named file is then judged whatever it holds, and a found one when the pointer finds
    something in it."""
    if pointer is None:
        return skip_reason(doc)
    if named:
        return ""
    try:
        locate(doc, pointer)
    except ConfigError:
        return f"nothing at {pointer}"
    return ""


def _environment(options: argparse.Namespace) -> Environment | None:
    """The ``--env`` file, read once for every config (``--var`` wins over it); a bad file
    raises :class:`ConfigError`."""
    return None if options.env is None else load_environment(options.env)


def _read_stdin() -> Document | list[Problem]:
    """Standard input as a parsed document, or the problems that stopped it parsing. As for a
    file, at most the size limit plus one byte is read, so ``- < /dev/zero`` ends."""
    try:
        raw = sys.stdin.buffer.read(MAX_FILE_BYTES + 1) if sys.stdin is not None else b""
        return parse_bytes(raw, "<stdin>")
    except OSError as exc:
        return [unreadable("<stdin>", f"cannot read standard input: {exc.strerror or exc}")]
    except ConfigError as error:
        return list(error.problems)


def _github(problem: Problem) -> str:
    """A GitHub Actions workflow command, so the problem shows on the pull request's diff."""

    def escape(text: str, *, property: bool = False) -> str:
        text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return text.replace(":", "%3A").replace(",", "%2C") if property else text

    where = [f"file={escape(one_line(problem.file) if problem.file else '<config>', property=True)}"]
    if problem.line is not None:
        where += [f"line={problem.line}", f"col={problem.column}"]
    message = f"{problem.json_path}: {problem.message}" + (f"; {problem.hint}" if problem.hint else "")
    return f"::error {','.join(where)},title=lrpol {escape(problem.code, property=True)}::{escape(message)}"


_FORMATS: dict[str, Callable[[Problem], str]] = {
    "text": str,
    "json": lambda problem: json.dumps(problem.as_dict(), ensure_ascii=True),
    "github": _github,
}


# -- preview ----------------------------------------------------------------------------------


def _preview(options: argparse.Namespace) -> int:
    refused = refuse_irregular(options.file)
    if refused:
        print(refused[0], file=sys.stderr)
        return EXIT_USAGE
    try:
        return _show_preview(options)
    except BrokenPipeError:  # the reader stopped (`| head`): for main to end quietly, not a run error
        raise
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE if any(p.code == "unreadable" for p in error.problems) else EXIT_INVALID
    except _RUN_ERRORS as error:
        print(_run_error("preview", error), file=sys.stderr)
        return EXIT_USAGE


# What a config can still make the run refuse (an LR no float holds, a curve too long for
# memory, an unwritable --csv): one line and exit 2, never a traceback.
_RUN_ERRORS = (ValueError, ArithmeticError, RuntimeError, MemoryError, OSError)


def _run_error(command: str, error: Exception) -> str:
    kind = "" if isinstance(error, (ValueError, OSError)) else f"{type(error).__name__}: "  # "int too large to convert to float" needs its name
    return f"lrpol {command}: {kind}{error}"


def _pass_flags(names: Sequence[str]) -> str:
    """"pass --lr and --epochs": the flags that give the run settings ``names``."""
    flags = {LEARNING_RATE.name: "--lr", EPOCHS.name: "--epochs"}
    return "pass " + " and ".join(flags[name] for name in names)


def _show_preview(options: argparse.Namespace) -> int:
    from . import preview

    environment, variables = _environment(options), dict(options.var)
    doc = read_document(options.file)
    policy, settings = build_run(doc, pointer=options.pointer, variables=variables, environment=environment, allow_paths=options.allow_path, steps_per_epoch=options.steps_per_epoch)
    lr0 = options.lr or settings.get(LEARNING_RATE.name)
    epochs = options.epochs or settings.get(EPOCHS.name)
    if lr0 is None or epochs is None:
        keys = [setting.name for setting, value in ((LEARNING_RATE, lr0), (EPOCHS, epochs)) if value is None]
        print(f"lrpol preview: the config sets no {' or '.join(keys)}; {_pass_flags(keys)}", file=sys.stderr)
        return EXIT_USAGE
    metrics = options.metrics
    if metrics is None and policy is not None and policy.reads_metric:
        metrics = preview.synthetic_metrics(epochs, preview.metric_mode(policy))
    described = repr(policy) if policy is not None else without_policy(doc.data, options.pointer)
    curve = preview.simulate(policy, TrainContext(initial_lr=lr0, total_epochs=epochs, steps_per_epoch=options.steps_per_epoch), metrics)
    print(f"{options.file}: {described}")
    print(f"lr0={lr0:g} epochs={epochs} steps_per_epoch={options.steps_per_epoch}" + ("" if options.metrics or metrics is None else " (synthetic metric)"))
    print("\n".join(preview.table(curve)))
    if options.csv:
        preview.write_csv(curve, options.csv)
        print(f"wrote {options.csv} ({len(curve.lrs)} updates)")
    if options.plot:
        preview.plot(curve, options.plot, title=f"{options.file}\n{described}", log=options.log)
        print(f"wrote {options.plot}")
    return EXIT_OK


# -- diff -------------------------------------------------------------------------------------


def _diff(options: argparse.Namespace) -> int:
    from .compare import MissingSettings, compare

    if options.old == options.new == STDIN:
        print("lrpol diff: only one of OLD and NEW can be read from standard input", file=sys.stderr)
        return EXIT_USAGE
    refused = [problem for name in (options.old, options.new) if name != STDIN for problem in refuse_irregular(name)]
    if refused:
        print("\n".join(map(str, refused)), file=sys.stderr)
        return EXIT_USAGE
    # `git show main:config.json | lrpol diff - config.json` compares with another revision
    old, new = (_read_stdin() if name == STDIN else name for name in (options.old, options.new))
    if isinstance(old, list):  # standard input that did not parse
        return _diff_problems(old, options.format)
    if isinstance(new, list):
        return _diff_problems(new, options.format)
    try:
        result = compare(old, new, lr=options.lr, epochs=options.epochs, steps_per_epoch=options.steps_per_epoch, metrics=options.metrics, pointer=options.pointer, variables=dict(options.var), environment=options.env, allow_paths=options.allow_path)
    except ConfigError as error:
        return _diff_problems(error.problems, options.format)
    except MissingSettings as error:
        print(f"lrpol diff: {error}; {_pass_flags(error.names)}", file=sys.stderr)
        return EXIT_USAGE
    except _RUN_ERRORS as error:
        print(_run_error("diff", error), file=sys.stderr)
        return EXIT_USAGE
    print(compare_report.FORMATS[options.format](result), end="")
    if options.plot:
        from . import preview

        try:
            runs = [(f"old: {result.old.file}", result.old_curve), (f"new: {result.new.file}", result.new_curve)]
            preview.plot_curves(runs, options.plot, title=f"{result.old.described()}\n{result.new.described()}", log=options.log)
        except _RUN_ERRORS as error:
            print(_run_error("diff", error), file=sys.stderr)
            return EXIT_USAGE
        print(f"wrote {options.plot}", file=sys.stdout if options.format == "text" else sys.stderr)  # markdown and json stay whole
    return EXIT_OK if result.identical else EXIT_INVALID


def _diff_problems(problems: Sequence[Problem], format: str) -> int:
    """The problems of both configs, as validate prints them (JSON lines for --format json)."""
    show = _FORMATS["json" if format == "json" else "text"]
    print("\n".join(show(problem) for problem in problems))
    return EXIT_USAGE


# -- convert ----------------------------------------------------------------------------------


def _convert(options: argparse.Namespace) -> int:
    from .convert import CANNOT_EXPRESS, convert, render

    if options.file != STDIN:
        refused = refuse_irregular(options.file)
        if refused:
            print(refused[0], file=sys.stderr)
            return EXIT_USAGE
    try:
        environment = _environment(options)
        doc = _read_stdin() if options.file == STDIN else read_document(options.file)
        if isinstance(doc, list):  # standard input that did not parse
            raise ConfigError(doc)
        conversion = convert(doc, pointer=options.pointer, variables=dict(options.var), environment=environment, steps_per_epoch=options.steps_per_epoch)
    except ConfigError as error:
        print(error, file=sys.stderr)  # standard output holds entries only
        return EXIT_USAGE if any(p.code in ("unreadable", *CANNOT_EXPRESS) for p in error.problems) else EXIT_INVALID
    suffix = Path(options.file).suffix.lower()
    sys.stdout.write(render(conversion.entry, options.format or ("yaml" if suffix in (".yaml", ".yml") else "json")))
    for note in conversion.notes:
        print(f"lrpol convert: {note}", file=sys.stderr)
    return EXIT_OK


# -- list, describe ---------------------------------------------------------------------------


def _list(options: argparse.Namespace) -> int:
    from .policies import GROUPS

    policies = registered()
    others = tuple(name for name in policies if name not in builtin())
    width = max(map(len, policies))
    sections = [*GROUPS.items(), ("Installed and registered elsewhere", others)]
    for index, (title, names) in enumerate(section for section in sections if section[1]):
        print(("\n" if index else "") + f"{title}:")
        for name in names:
            cls = policies[name]
            origin = "" if name in builtin() else f"  [{cls.__module__}]"
            print(f"  {name:<{width}}  {cls.summary()}{origin}")
    print(f"\n{TORCH_SECTION}:")
    print(textwrap.fill(", ".join(_schedulers()), width=100, initial_indent="  ", subsequent_indent="  "))
    return EXIT_OK


#: The title under which ``lrpol list`` names the torch (and MONAI) schedulers configs may hold.
TORCH_SECTION = "Torch and MONAI schedulers, read in Clara 4's train.lr_scheduler and a bundle's lr_scheduler (lrpol describe NAME)"


def _schedulers() -> dict[str, type]:
    """The torch schedulers Clara 4 names, and MONAI's a bundle may name, by class name."""
    from .monai_schedulers import BUNDLE_SCHEDULERS

    return {**TORCH_SCHEDULERS, **{cls.__name__: cls for cls in BUNDLE_SCHEDULERS.values()}}


def _describe(options: argparse.Namespace) -> int:
    from .arguments import arguments_of

    cls: type
    try:
        schedulers = _schedulers()
        cls = schedulers[options.name] if options.name in schedulers else lookup(options.name)
    except RegistryError as error:
        if error.code == "unknown-policy":
            error = RegistryError(f"unknown policy or torch scheduler {options.name!r}", did_you_mean(options.name, [*registered(), *_schedulers()]))
        print(f"lrpol describe: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{options.name}  ({cls.__module__}.{cls.__qualname__}, {_source(cls)})")
    print()
    print(formula(cls))
    arguments = arguments_of(cls)
    print()
    print("Arguments:" if arguments else "Arguments: none")
    for argument in arguments:
        default = "required" if argument.required else f"default {json.dumps(argument.default)}"
        print(f"  {argument.name}: {argument.expects()}; {default}")
        print(f"      {argument.doc}")
    return EXIT_OK


def formula(cls: type) -> str:
    """A policy's docstring up to its doctest examples: the formula, the base and the edge cases."""
    doc = inspect.getdoc(cls) or "(no documentation)"
    return doc.split("\n>>>", 1)[0].rstrip().replace("``", "")


def _source(cls: type) -> str:
    try:
        return f"{inspect.getsourcefile(cls)}:{inspect.getsourcelines(cls)[1]}"
    except (OSError, TypeError):
        return "source not available"


# -- argument types ---------------------------------------------------------------------------


def _variable(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        parsed = json.loads(value)
    except ValueError:
        return key, value
    # A JSON scalar keeps its type (--var EPOCHS=10 is an integer); anything else stays text.
    return key, parsed if isinstance(parsed, (str, int, float, bool, type(None))) else value


def _pointer(text: str) -> str:
    if text and not text.startswith("/"):
        raise argparse.ArgumentTypeError(f"a JSON pointer is '' or starts with '/', as in /train/lr_policy; got {text!r}")
    return text


def _checked(argument: Argument) -> Callable[[str], object]:
    """An argparse type that reads a number and checks it as ``argument`` declares."""

    def parse(text: str) -> object:
        try:
            value = argument.kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {argument.expects()}, got {text!r}") from None
        try:
            return argument.check(value)
        except ArgumentError as error:
            raise argparse.ArgumentTypeError(error.reason) from None

    return parse


def _metrics(text: str) -> list[float]:
    """Comma-separated numbers, or a file holding numbers (a JSON array, or one per line or per comma)."""
    source = Path(text)
    if source.is_file():
        try:
            content = source.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:  # argparse would let an OSError through as a traceback
            raise argparse.ArgumentTypeError(f"cannot read {text}: {getattr(error, 'strerror', None) or error}") from None
        try:
            values = json.loads(content) if content.startswith("[") else content.replace("\n", ",").split(",")
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"{text}: not a JSON array of numbers ({error})") from None
    else:
        values = text.split(",")
    numbers = []
    for value in values:
        if isinstance(value, str) and not value.strip():
            continue
        try:
            if isinstance(value, bool):
                raise TypeError
            numbers.append(float(value))
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"expected numbers, got {value!r}") from None
    return numbers


if __name__ == "__main__":
    sys.exit(main())
