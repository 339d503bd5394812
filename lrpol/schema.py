"""JSON Schemas generated from the policies' argument declarations.

The committed files in ``schemas/`` (and their copies shipped in the package) are
the output of::

    python -m lrpol.schema --write schemas/ lrpol/schemas/

and a test fails when they drift from the code. The schemas declare JSON Schema
2020-12 but use only keywords that behave the same in draft-07, which is what
editors understand. ``name`` is an ``enum`` and each policy's ``args`` hang off an
``if``/``then`` on it (not ``oneOf``), so an error names the exact field.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from importlib import resources
from pathlib import Path

from .arguments import Argument, arguments_of
from .config import RUN_SETTINGS
from .registry import DOTTED_PATTERN, builtin
from .variables import WHOLE_REFERENCE_PATTERN

DIALECT = "https://json-schema.org/draft/2020-12/schema"
LR_POLICY = "lr_policy.schema.json"
TRAIN_CONFIG = "train_config.schema.json"

_TYPES = {float: "number", int: "integer", str: "string", bool: "boolean"}
_VARIABLE_REF = {"$ref": "#/$defs/variable"}


def argument_schema(argument: Argument) -> dict:
    """The schema of one argument. Besides its own type it accepts a whole ``"{VAR}"``
    string, since variables are substituted before the value is checked."""
    schema: dict = {"description": argument.doc}
    if argument.choices:
        schema["anyOf"] = [{"enum": list(argument.choices)}, _VARIABLE_REF]
    else:
        # Type-specific keywords apply only to their own type: the pattern to strings,
        # the bounds to numbers.
        schema["type"] = [_TYPES[argument.kind], "string"]
        schema["pattern"] = WHOLE_REFERENCE_PATTERN
        for bound, keyword in (("gt", "exclusiveMinimum"), ("ge", "minimum"), ("lt", "exclusiveMaximum"), ("le", "maximum")):
            if getattr(argument, bound) is not None:
                schema[keyword] = getattr(argument, bound)
    if not argument.required:
        schema["default"] = argument.default
    return schema


def args_schema(cls: type) -> dict:
    """The schema of a policy's ``args`` object: strict, every argument typed and bounded."""
    arguments = arguments_of(cls)
    schema = {
        "type": "object",
        "properties": {argument.name: argument_schema(argument) for argument in arguments},
        "additionalProperties": False,
    }
    required = [argument.name for argument in arguments if argument.required]
    if required:
        schema["required"] = required
    return schema


def entry_schema(policies: dict[str, type]) -> dict:
    """The schema of one component entry, over the given name -> class mapping."""
    per_policy = []
    for name, cls in policies.items():
        then: dict = {"properties": {"args": {"description": f"arguments of {name}: {_summary(cls)}", **args_schema(cls)}}}
        if any(argument.required for argument in arguments_of(cls)):
            then["required"] = ["args"]
        # Without required: ["name"] the condition would hold, vacuously, for path entries.
        per_policy.append({"if": {"required": ["name"], "properties": {"name": {"const": name}}}, "then": then})
    return {
        "type": "object",
        "properties": {
            "$schema": {"type": "string", "description": "the schema this file follows, for editors; ignored by lrpol"},
            "name": {"enum": list(policies), "description": "a registered policy (lrpol list shows them)"},
            "path": {"type": "string", "pattern": DOTTED_PATTERN, "description": "package.module.Class of a policy to import (allowlisted packages only)"},
            "args": {"type": "object", "description": "keyword arguments of the policy"},
            "disabled": {"type": "boolean", "description": "true means no policy"},
        },
        "additionalProperties": False,
        # Exactly one of name and path, written with draft-07 keywords.
        "if": {"required": ["name"]},
        "then": {"not": {"required": ["path"]}},
        "else": {"required": ["path"]},
        "allOf": per_policy,
    }


def _defs() -> dict:
    return {"variable": {"type": "string", "pattern": WHOLE_REFERENCE_PATTERN, "description": "a {VAR} reference, replaced by the variable's value"}}


def lr_policy_schema(policies: dict[str, type] | None = None) -> dict:
    policies = builtin() if policies is None else policies
    return {
        "$schema": DIALECT,
        "title": "lrpol learning-rate policy entry",
        "description": 'A Clara MMAR-style component: {"name": ..., "args": {...}} or {"path": ..., "args": {...}}.',
        **entry_schema(policies),
        "$defs": _defs(),
    }


def train_config_schema(policies: dict[str, type] | None = None) -> dict:
    policies = builtin() if policies is None else policies
    return {
        "$schema": DIALECT,
        "title": "MMAR train config, as lrpol reads it",
        "description": "Checks train.lr_policy and the top-level settings lrpol reads; every other key is allowed.",
        "type": "object",
        "properties": {
            **{argument.name: argument_schema(argument) for argument in RUN_SETTINGS},
            "train": {"type": "object", "properties": {"lr_policy": {"$ref": "#/$defs/lr_policy"}}, "required": ["lr_policy"]},
        },
        "required": ["train"],
        "$defs": {**_defs(), "lr_policy": entry_schema(policies)},
    }


def generate(policies: dict[str, type] | None = None) -> dict[str, dict]:
    """File name -> schema, for every published schema."""
    return {LR_POLICY: lr_policy_schema(policies), TRAIN_CONFIG: train_config_schema(policies)}


def render(schema: dict) -> str:
    """The exact text written to disk (stable, so drift shows up as a diff)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def packaged(name: str) -> dict:
    """A schema as shipped inside the installed package (``lr_policy.schema.json`` or ``train_config.schema.json``)."""
    return json.loads(resources.files("lrpol").joinpath("schemas", name).read_text(encoding="utf-8"))


def _summary(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    return doc.split("\n", 1)[0].rstrip(".").replace("``", "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lrpol.schema", description="Print or write lrpol's JSON Schemas.")
    parser.add_argument("--write", nargs="+", metavar="DIR", help="write the schema files into each DIR")
    options = parser.parse_args(argv)
    schemas = generate()
    if not options.write:
        sys.stdout.write(render(schemas[TRAIN_CONFIG]))
        return 0
    for directory in map(Path, options.write):
        directory.mkdir(parents=True, exist_ok=True)
        for name, schema in schemas.items():
            (directory / name).write_text(render(schema), encoding="utf-8")
            print(f"wrote {directory / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
