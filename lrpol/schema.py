"""JSON Schemas generated from the policies' argument declarations.

The committed files in ``schemas/`` (and their copies shipped in the package) are
the output of::

    python -m lrpol.schema --write schemas/ lrpol/schemas/

and a test fails when they drift from the code. The schemas declare JSON Schema
2020-12 but use only keywords that behave the same in draft-07, which is what
editors understand. ``name`` is an ``enum`` and each policy's ``args`` hang off an
``if``/``then`` on it (not ``oneOf``), so an error names the exact field.

A ``search`` (Clara's AutoML search space) is checked for its shape and for the names
of the arguments it searches; that its targets lie in those arguments' ranges only
``lrpol.validate`` checks.

What a schema cannot say, and only ``lrpol.validate`` checks: the values of ``{VAR}``
references (the schema accepts a whole reference wherever ``args`` or ``disabled`` takes
a value), numbers too large for a float where a number is expected (an integer argument
has a ``maximum`` of 2**53, as ``lrpol.validate`` checks), and the constructors' own checks.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .arguments import MAX_INTEGER, Argument, arguments_of
from .clara4_run import HANDLER_NAME
from .config_kind import LRPOLICY_SCHEDULER_TARGET
from .context import RUN_SETTINGS
from .errors import JSON_TYPES
from .hyperparameters import CONFIG_KEYS, GROUP_POLICIES_KEY
from .monai_schedulers import BUNDLE_SCHEDULERS
from .policy import LRPolicy
from .registry import DOTTED_PATTERN, builtin, registered
from .search import DISABLED_ATTRIBUTE, DOMAINS, REQUIRED_KEYS, SEARCH_TYPES
from .torch_schedulers import TORCH_SCHEDULERS, ChainedScheduler, CosineAnnealingLR, OneCycleLR, ReduceLROnPlateau, SequentialLR, TorchScheduler
from .variables import WHOLE_REFERENCE_PATTERN

if TYPE_CHECKING:  # jsonschema is imported only when a validator is asked for
    from jsonschema import Draft202012Validator

DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: The schemas' ``$id``: names, not addresses, so they stay valid wherever the files are copied.
ID_PREFIX = "urn:lrpol:schema:"
LR_POLICY = "lr_policy.schema.json"
TRAIN_CONFIG = "train_config.schema.json"
BUNDLE = "bundle.schema.json"

_VARIABLE_REF = {"$ref": "#/$defs/variable"}


def argument_schema(argument: Argument) -> dict:
    """The schema of one argument.

    A number, string or boolean also accepts a whole ``"{VAR}"`` string, since variables
    are substituted before the value is checked. A nested policy is a component entry
    (``#/$defs/entry``, so the schema is recursive); a list is an array of such items.
    """
    item = _item_schema(argument)
    if argument.many and argument.is_policy:
        # A list item cannot be disabled (a phase that is not there is simply left out).
        item = {"allOf": [item, {"properties": {"disabled": {"not": {"const": True}}}}]}
    if argument.many:
        schema: dict = {"type": "array", "items": item}
        if argument.min_items:
            schema["minItems"] = argument.min_items
        if argument.nullable:
            schema["type"] = ["array", "null"]
    elif argument.nullable and argument.is_policy:
        # if/then/else rather than anyOf, so errors inside the nested entry keep their exact path.
        schema = {"if": {"type": "object"}, "then": item, "else": {"type": "null"}}
    elif argument.nullable and "type" in item:
        schema = {**item, "type": [*item["type"], "null"]}
    elif argument.nullable:
        schema = {"anyOf": [*item["anyOf"], {"type": "null"}]}
    else:
        schema = item
    schema = {"description": argument.doc, **schema}
    if not argument.required:
        schema["default"] = argument.default
    return schema


def _item_schema(argument: Argument) -> dict:
    if argument.is_policy:
        return {"$ref": "#/$defs/entry"}
    if argument.choices:
        return {"anyOf": [{"enum": list(argument.choices)}, _VARIABLE_REF]}
    if argument.fraction:  # a count (an integer, in its bounds) or a fraction of the run
        count = _item_schema(dataclasses.replace(argument, kind=int, fraction=False))
        return {"anyOf": [count, {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}]}
    # Type-specific keywords apply only to their own type: the pattern to strings, the bounds to numbers.
    schema: dict = {"type": [JSON_TYPES[argument.kind], "string"], "pattern": WHOLE_REFERENCE_PATTERN}
    for bound, keyword in (("gt", "exclusiveMinimum"), ("ge", "minimum"), ("lt", "exclusiveMaximum"), ("le", "maximum")):
        if getattr(argument, bound) is not None:
            schema[keyword] = getattr(argument, bound)
    if argument.kind is int:  # the bound every integer argument has (see Argument.check)
        schema["maximum"] = min(schema.get("maximum", MAX_INTEGER), MAX_INTEGER)
        if "minimum" not in schema and "exclusiveMinimum" not in schema:
            schema["minimum"] = -MAX_INTEGER
    return schema


def args_schema(cls: type[LRPolicy]) -> dict:
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


def search_schema(names: list[str] | None = None) -> dict:
    """The schema of an entry's ``search``: a list of items naming the searched arguments
    (any names, or ``names``), a type and targets."""
    name: dict = {"type": "string"} if names is None else {"enum": names}
    # if/then/else rather than anyOf, so an unknown name is reported at the name itself.
    return {
        "type": "array",
        "description": "Clara's AutoML search space: which arguments it searches, and over what",
        "items": {
            "type": "object",
            "properties": {
                "domain": {"enum": list(DOMAINS), "description": "what the search tunes"},
                "type": {"enum": list(SEARCH_TYPES), "description": "float and int: targets are [min, max]; enum: a list of choices, each a list with one value per arg"},
                "args": {"if": {"type": "string"}, "then": name, "else": {"type": "array", "items": name, "minItems": 1}, "description": f"the searched arguments ({DISABLED_ATTRIBUTE.name} is the entry's disabled)"},
                "targets": {"type": "array", "minItems": 1},
            },
            "required": list(REQUIRED_KEYS),
            "additionalProperties": False,
        },
    }


def entry_schema(policies: dict[str, type[LRPolicy]]) -> dict:
    """The schema of one component entry, over the given name -> class mapping."""
    per_policy = []
    for name, cls in policies.items():
        searchable = [argument.name for argument in arguments_of(cls) if not argument.is_policy] + [DISABLED_ATTRIBUTE.name]
        then: dict = {"properties": {"args": {"description": f"arguments of {name}: {cls.summary()}", **args_schema(cls)}, "search": search_schema(searchable)}}
        if any(argument.required for argument in arguments_of(cls)):
            then["required"] = ["args"]
        # Without required: ["name"] the condition would hold, vacuously, for path entries; with
        # a path beside it, the name is ignored (Clara builds the path's class).
        per_policy.append({"if": {"required": ["name"], "not": {"required": ["path"]}, "properties": {"name": {"const": name}}}, "then": then})
    return {
        "type": "object",
        "properties": {
            "$schema": {"type": "string", "description": "the schema this file follows, for editors; ignored by lrpol"},
            "name": {"type": "string", "description": "a registered policy (lrpol list shows them); ignored when 'path' is given, as in Clara"},
            "path": {"type": "string", "pattern": DOTTED_PATTERN, "description": "package.module.Class of a policy to import (allowlisted packages only)"},
            "args": {"type": "object", "description": "keyword arguments of the policy"},
            "disabled": {"type": ["boolean", "string"], "pattern": WHOLE_REFERENCE_PATTERN, "description": "true means no policy (or a whole {VAR} reference)"},
            "search": search_schema(),
        },
        "additionalProperties": False,
        # A registered name, or a path (which wins over a name beside it), in draft-07 keywords.
        "if": {"required": ["path"]},
        "else": {"required": ["name"], "properties": {"name": {"enum": list(policies)}}},
        "allOf": per_policy,
    }


def _defs(policies: dict[str, type[LRPolicy]]) -> dict:
    return {
        "entry": entry_schema(policies),
        "variable": {"type": "string", "pattern": WHOLE_REFERENCE_PATTERN, "description": "a {VAR} reference, replaced by the variable's value"},
    }


# -- Clara 4's train.lr_scheduler: torch's schedulers, or lrpol entries -------------------------

_ENTRY_REF = "#/$defs/entry"
_SCHEDULER_REF = "#/$defs/scheduler"


def scheduler_defs() -> dict:
    """``$defs`` of a Clara 4 ``train.lr_scheduler``: ``scheduler`` is a torch scheduler entry
    (``torch_scheduler``, by torch's names and arguments) or, for any other name or a ``path``,
    an lrpol entry (``entry``), as ``lrpol.validate`` reads it there."""
    return {
        "scheduler": {
            # if/then/else rather than anyOf, so errors inside either keep their exact path.
            "if": _names_without_path(list(TORCH_SCHEDULERS)),
            "then": {"$ref": "#/$defs/torch_scheduler"},
            "else": {"$ref": _ENTRY_REF},
        },
        "torch_scheduler": torch_scheduler_schema(),
    }


def _names_without_path(names: list[str]) -> dict:
    """Holds for an entry named one of ``names``, with no ``path`` beside it (a path wins, as in Clara)."""
    return {"required": ["name"], "not": {"required": ["path"]}, "properties": {"name": {"enum": names}}}


def torch_scheduler_schema() -> dict:
    """The schema of one torch scheduler entry: ``name`` one of :data:`TORCH_SCHEDULERS`, its
    ``args`` torch's, declared in :mod:`lrpol.torch_schedulers`; nested schedulers are
    ``scheduler`` entries again (a torch name or an lrpol one)."""
    per_scheduler = []
    for name, cls in TORCH_SCHEDULERS.items():
        arguments = arguments_of(cls)
        args = _retarget(args_schema(cast("type[LRPolicy]", cls)), _ENTRY_REF, _SCHEDULER_REF)
        constraints = _torch_constraints(cls)
        if constraints:
            args["allOf"] = constraints
        searchable = [argument.name for argument in arguments if not argument.is_policy] + [DISABLED_ATTRIBUTE.name]
        then: dict = {"properties": {"args": {"description": f"arguments of torch.optim.lr_scheduler.{name}", **args}, "search": search_schema(searchable)}}
        if any(argument.required for argument in arguments):
            then["required"] = ["args"]
        per_scheduler.append({"if": {"properties": {"name": {"const": name}}}, "then": then})
    return {
        "type": "object",
        "properties": {
            "$schema": {"type": "string", "description": "the schema this file follows, for editors; ignored by lrpol"},
            "name": {"enum": list(TORCH_SCHEDULERS), "description": "a torch.optim.lr_scheduler class, by its name"},
            "args": {"type": "object", "description": "keyword arguments of the torch scheduler, by torch's names"},
            "disabled": {"type": ["boolean", "string"], "pattern": WHOLE_REFERENCE_PATTERN, "description": "true means no scheduler (or a whole {VAR} reference)"},
            "search": search_schema(),
        },
        "required": ["name"],
        "additionalProperties": False,
        "allOf": per_scheduler,
    }


def stepping_schema() -> dict:
    """For a ``train`` section: a torch scheduler in ``lr_scheduler`` (not disabled) needs an
    LrScheduleHandler in ``handlers`` to step it, as Clara 4 does. Whether that handler is
    itself disabled (by a variable, say) only ``lrpol.validate`` can tell."""
    torch_scheduler = {**_names_without_path(list(TORCH_SCHEDULERS)), "properties": {"name": {"enum": list(TORCH_SCHEDULERS)}, "disabled": {"const": False}}}
    return {
        "if": {"required": ["lr_scheduler"], "properties": {"lr_scheduler": torch_scheduler}},
        "then": {
            "required": ["handlers"],
            "properties": {"handlers": {
                "type": "array", "contains": {"type": "object", "required": ["name"], "properties": {"name": {"const": HANDLER_NAME}}},
                "description": f"Clara 4's handlers: a torch scheduler needs the {HANDLER_NAME} that steps it (per epoch, or per update with epoch_level false)",
            }},
        },
    }


def _torch_constraints(cls: type[TorchScheduler]) -> list[dict]:
    """What a torch scheduler's constructor checks that a schema can say too, about its ``args``."""
    if cls is OneCycleLR:  # the cycle's length: total_steps, or epochs and steps_per_epoch
        given = {"not": {"type": "null"}}
        return [{"anyOf": [
            {"required": ["total_steps"], "properties": {"total_steps": given}},
            {"required": ["epochs", "steps_per_epoch"], "properties": {"epochs": given, "steps_per_epoch": given}},
        ]}]
    no_phase = [name for name, scheduler in TORCH_SCHEDULERS.items() if scheduler.not_a_phase]
    if cls is SequentialLR:
        return [_schedulers_are_not(_names_without_path(no_phase))]
    if cls is ChainedScheduler:
        # Alone, a chain holds any scheduler but a plateau (stepped without its result); beside
        # others, only schedulers whose step multiplies the LR: a cosine does so without an
        # eta_min (whether a {VAR} is 0 only validate can tell).
        no_factor = [
            name for name, scheduler in TORCH_SCHEDULERS.items()
            if scheduler.chain_refusal and scheduler.not_a_factor is TorchScheduler.not_a_factor
        ]
        cosine_with_floor = {
            "required": ["name", "args"], "not": {"required": ["path"]},
            "properties": {"name": {"const": CosineAnnealingLR.__name__}, "args": {"required": ["eta_min"], "properties": {"eta_min": {"type": "number", "not": {"const": 0}}}}},
        }
        return [
            _schedulers_are_not(_names_without_path([ReduceLROnPlateau.__name__])),
            {"if": {"properties": {"schedulers": {"minItems": 2}}}, "then": _schedulers_are_not({"anyOf": [_names_without_path(no_factor), cosine_with_floor]})},
        ]
    return []


def _schedulers_are_not(schema: dict) -> dict:
    """``args`` whose nested ``schedulers`` match none of ``schema``."""
    return {"properties": {"schedulers": {"items": {"not": schema}}}}


def _retarget(schema: Any, old: str, new: str) -> Any:
    """``schema`` with every ``$ref`` to ``old`` pointing at ``new`` instead (a copy)."""
    if isinstance(schema, dict):
        return {key: new if key == "$ref" and value == old else _retarget(value, old, new) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_retarget(item, old, new) for item in schema]
    return schema


def lr_policy_schema(policies: dict[str, type[LRPolicy]] | None = None) -> dict:
    policies = builtin() if policies is None else policies
    return {
        "$schema": DIALECT,
        "$id": ID_PREFIX + "lr_policy",
        "title": "lrpol learning-rate policy entry",
        "description": 'A Clara MMAR-style component: {"name": ..., "args": {...}} or {"path": ..., "args": {...}}.',
        # allOf, not a bare $ref: draft-07 ignores every keyword beside a $ref.
        "allOf": [{"$ref": "#/$defs/entry"}],
        "$defs": _defs(policies),
    }


def train_config_schema(policies: dict[str, type[LRPolicy]] | None = None) -> dict:
    policies = builtin() if policies is None else policies
    return {
        "$schema": DIALECT,
        "$id": ID_PREFIX + "train_config",
        "title": "MMAR train config, as lrpol reads it",
        "description": "Checks train.lr_policy (without it the LR stays at learning_rate) or Clara 4's train.lr_scheduler (torch's scheduler names and arguments, or an lrpol entry), train.momentum_policy, train.weight_decay_policy and train.group_lr_policies, and the top-level settings lrpol reads; every other key is allowed.",
        "type": "object",
        "properties": {
            **{argument.name: argument_schema(argument) for argument in RUN_SETTINGS},
            "train": {
                "type": "object",
                "properties": {
                    "lr_policy": {"$ref": "#/$defs/entry"},
                    "lr_scheduler": {"$ref": _SCHEDULER_REF},
                    **{key: {"$ref": "#/$defs/entry"} for key in CONFIG_KEYS.values()},
                    GROUP_POLICIES_KEY: {"type": "array", "items": {"if": {"type": "object"}, "then": {"$ref": "#/$defs/entry"}, "else": {"type": "null"}}},
                },
                "not": {"required": ["lr_policy", "lr_scheduler"], "description": "one schedule: train.lr_policy (Clara 3) or train.lr_scheduler (Clara 4), not both"},
                **stepping_schema(),
            },
        },
        "required": ["train"],
        "$defs": {**_defs(policies), **scheduler_defs()},
    }


# -- MONAI bundles ----------------------------------------------------------------------------

#: A bundle's reference to another place (``@id``, ``@a#b``, ``@a::0``, or the expression
#: ``$@id``, which is the same object) or a copy of it (``%id``); any other ``$`` expression never
#: matches, so the schema refuses one where the scheduler takes a value.
BUNDLE_REFERENCE_PATTERN = r"^(?!.*\n)(\$@|[@%])[A-Za-z0-9_]*((#|::)[A-Za-z0-9_]*)*$"
_BUNDLE_REFERENCE = {"$ref": "#/$defs/reference"}
#: ``_disabled_`` as MONAI reads a string: "true" or "false", in any case, around spaces.
_TRUE_OR_FALSE = r"^\s*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])\s*$"


def bundle_argument_schema(argument: Argument) -> dict:
    """The schema of one argument of a bundle's scheduler, written flat beside ``_target_``: as
    in a train config, with a bundle reference where a ``{VAR}`` may go, and a scheduler
    component (or a reference to one) where an entry goes."""
    rewritten = _in_bundle_terms(argument_schema(argument))
    assert isinstance(rewritten, dict)  # a dict stays a dict
    # A whole reference (or {VAR}) may stand for any value, a list of milestones or of phases too;
    # if/then/else rather than anyOf, so errors inside a value keep their exact path.
    whole_reference = {"type": "string", "anyOf": [{"pattern": BUNDLE_REFERENCE_PATTERN}, {"pattern": WHOLE_REFERENCE_PATTERN}]}
    return {"if": whole_reference, "then": True, "else": rewritten}


def _in_bundle_terms(schema: object) -> object:
    if isinstance(schema, list):
        return [_in_bundle_terms(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if schema == {"$ref": "#/$defs/entry"}:
        return {"$ref": "#/$defs/component"}
    if schema == _VARIABLE_REF:
        return _BUNDLE_REFERENCE
    rewritten = {key: _in_bundle_terms(value) for key, value in schema.items()}
    if rewritten.get("pattern") == WHOLE_REFERENCE_PATTERN:
        rewritten["pattern"] = BUNDLE_REFERENCE_PATTERN
    properties = rewritten.get("properties")
    if isinstance(properties, dict) and "disabled" in properties:  # a nested component's is _disabled_
        rewritten["properties"] = {"_disabled_" if key == "disabled" else key: value for key, value in properties.items()}
    return rewritten


def bundle_scheduler_schema(schedulers: Mapping[str, type]) -> dict:
    """The schema of a bundle's scheduler component: ``_target_`` one of ``schedulers``, each
    one's arguments flat beside it, and MONAI's own keys."""
    own = {
        "_target_": {"type": "string", "description": "the scheduler class"},
        "_disabled_": {"anyOf": [{"type": "boolean"}, {"type": "string", "pattern": _TRUE_OR_FALSE}, _BUNDLE_REFERENCE], "description": "true: MONAI builds no scheduler"},
        "_desc_": {"description": "a description, ignored"},
        "_requires_": {"description": "components built first, ignored"},
        "_mode_": {"const": "default", "description": "'default' builds the scheduler; 'callable' and 'partial' leave that to code, which lrpol does not run"},
    }
    per_target = []
    for target, cls in schedulers.items():
        arguments = arguments_of(cls)
        then: dict = {"properties": {**own, **{argument.name: bundle_argument_schema(argument) for argument in arguments}}, "additionalProperties": False}
        required = [argument.name for argument in arguments if argument.required]
        if required:
            then["required"] = required
        per_target.append({"if": {"properties": {"_target_": {"const": target}}}, "then": then})
    # lrpol's own scheduler holds its schedule in an lrpol config of its own, checked as such: not here
    per_target.append({"if": {"properties": {"_target_": {"const": LRPOLICY_SCHEDULER_TARGET}}}, "then": {"description": "lrpol's LRPolicyScheduler: its policy is an lrpol config, checked on its own"}})
    return {
        "type": "object",
        "properties": {**own, "_target_": {"enum": [*schedulers, LRPOLICY_SCHEDULER_TARGET], "description": "the scheduler class: torch's by its module, MONAI's, or lrpol's LRPolicyScheduler"}},
        "required": ["_target_"],
        "allOf": per_target,
    }


def bundle_schema() -> dict:
    """The schema of a MONAI bundle config, as lrpol reads its ``lr_scheduler``."""
    return {
        "$schema": DIALECT,
        "$id": ID_PREFIX + "bundle",
        "title": "MONAI bundle config, as lrpol reads its lr_scheduler",
        "description": "Checks the top-level lr_scheduler: _target_ one of the schedulers lrpol reads, its arguments flat beside it, each a value or a reference (@id, %id); a $ expression there cannot be checked without running code. Every other key is allowed.",
        "type": "object",
        "properties": {"lr_scheduler": {"$ref": "#/$defs/component"}},
        "$defs": {
            "scheduler": bundle_scheduler_schema(BUNDLE_SCHEDULERS),
            # if/then/else rather than anyOf, so errors inside the component keep their exact path.
            "component": {"if": {"type": "string"}, "then": _BUNDLE_REFERENCE, "else": {"$ref": "#/$defs/scheduler"}},
            "reference": {"type": "string", "pattern": BUNDLE_REFERENCE_PATTERN, "description": "a reference to another place in the bundle (@id, @a#b, %id), whose value lrpol checks"},
        },
    }


def generate(policies: dict[str, type[LRPolicy]] | None = None) -> dict[str, dict]:
    """File name -> schema, for every published schema."""
    return {LR_POLICY: lr_policy_schema(policies), TRAIN_CONFIG: train_config_schema(policies), BUNDLE: bundle_schema()}


def render(schema: dict) -> str:
    """The exact text written to disk (stable, so drift shows up as a diff)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def packaged(name: str) -> dict:
    """A schema as shipped inside the installed package (``lr_policy.schema.json`` or ``train_config.schema.json``)."""
    return json.loads(resources.files("lrpol").joinpath("schemas").joinpath(name).read_text(encoding="utf-8"))  # one part per call: Traversable.joinpath takes one before Python 3.11


def validator(name: str = TRAIN_CONFIG) -> Draft202012Validator:
    """A ``jsonschema`` validator for a shipped schema, for checking data with plain JSON Schema.

    ``lrpol.validate`` is stricter (it also resolves variables and runs the constructors)
    and its messages point at lines; this is the same check other tools make.

    >>> validator(LR_POLICY).is_valid({"name": "ReducePoly", "args": {"poly_power": 0}})
    False
    """
    import jsonschema

    return jsonschema.Draft202012Validator(packaged(name))


# -- the `lrpol schema` command (also `python -m lrpol.schema`) ------------------------------

COMMAND_DESCRIPTION = "Print the train-config schema (or another one), or write every schema into directories."


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``lrpol schema``, declared here so that ``python -m lrpol.schema`` has them too."""
    parser.add_argument("--write", nargs="+", metavar="DIR", help="write lr_policy.schema.json, train_config.schema.json and bundle.schema.json into each DIR")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--entry", action="store_true", help="print the schema of one entry (lr_policy.schema.json) instead")
    which.add_argument("--bundle", action="store_true", help="print the schema of a MONAI bundle's lr_scheduler (bundle.schema.json) instead")
    parser.add_argument("--with-plugins", action="store_true", help="include installed plugin policies (the published schemas cover the built-in ones)")


def command(options: argparse.Namespace) -> int:
    """Print one schema, or write every one into each ``--write`` directory; the exit code (0)."""
    schemas = generate(registered() if options.with_plugins else builtin())
    if not options.write:
        sys.stdout.write(render(schemas[LR_POLICY if options.entry else BUNDLE if options.bundle else TRAIN_CONFIG]))
        return 0
    for directory in map(Path, options.write):
        directory.mkdir(parents=True, exist_ok=True)
        for name, schema in schemas.items():
            (directory / name).write_text(render(schema), encoding="utf-8")
            print(f"wrote {directory / name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m lrpol.schema [--write DIR...]``: the same as ``lrpol schema``."""
    parser = argparse.ArgumentParser(prog="python -m lrpol.schema", description=COMMAND_DESCRIPTION)
    add_options(parser)
    return command(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
