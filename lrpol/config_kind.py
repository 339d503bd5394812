"""What a parsed document is, decided in one place: a train config, a bare policy entry, or
not an LR config at all.

A repository holds many JSON and YAML files beside its train configs (Clara's
``environment.json`` and ``config_validation.json``, datalists, ``package.json``), so
``lrpol validate DIR`` and the pre-commit hook judge only what this module calls an LR config.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .checking import ENTRY_KEYS, IGNORED_KEYS
from .document import Document

TRAIN_KEY = "train"
POLICY_KEY = "lr_policy"
SCHEDULER_KEY = "lr_scheduler"  # Clara 4's train.lr_scheduler, a torch scheduler

TRAIN_CONFIG = "train config"
ENTRY = "policy entry"
BUNDLE = "MONAI bundle"
NOT_LR_CONFIG = "not an LR config"

#: A MONAI bundle's scheduler, at its top level, and the key that marks its components.
BUNDLE_SCHEDULER_KEY = "lr_scheduler"
BUNDLE_TARGET_KEY = "_target_"
#: The ``_target_`` of MONAI's handler that steps a scheduler, as bundles write it.
HANDLER_TARGETS = ("LrScheduleHandler", "monai.handlers.LrScheduleHandler", "monai.handlers.lr_schedule_handler.LrScheduleHandler")
#: lrpol's own torch scheduler, as a bundle names it: its schedule is an lrpol config of its own.
LRPOLICY_SCHEDULER_TARGET = "lrpol.integrations.torch.LRPolicyScheduler"
#: What separates the parts of a bundle id; a top-level key holding one sets another config's id.
BUNDLE_ID_SEPARATORS = ("#", "::")


@dataclass(frozen=True)
class Kind:
    """``what`` is one of TRAIN_CONFIG, ENTRY, BUNDLE, NOT_LR_CONFIG; ``reason`` says why a document
    is not an LR config; ``constant`` marks a train config without ``train.lr_policy`` (or
    Clara 4's ``train.lr_scheduler``), which Clara trains at lr0 throughout."""

    what: str
    reason: str = ""
    constant: bool = False

    @property
    def is_lr_config(self) -> bool:
        return self.what != NOT_LR_CONFIG


def kind_of(data: object) -> Kind:
    """What ``data`` (a parsed document) is.

    - A MONAI bundle config with a top-level ``lr_scheduler`` or an ``LrScheduleHandler``
      anywhere: a mapping holding components (mappings with ``_target_``) among its values or
      theirs. One without either (``inference.json``) schedules no LR, and a partial one,
      whose keys set another config's ids (``multi_gpu_train.json``'s ``train#handlers``), is
      only a part of the config MONAI merges it onto. One whose ``lr_scheduler`` is lrpol's own
      ``LRPolicyScheduler`` holds its schedule in an lrpol config of its own, checked as such.
    - A train config: a mapping whose ``train`` is a mapping, with or without ``lr_policy``
      (or ``lr_scheduler``).
    - A policy entry: a mapping with ``name`` or ``path`` whose keys are all entry keys, or
      near misses of one (``arsg``), so that a typo is reported rather than the file skipped.
      A Decathlon datalist has a top-level ``name`` too, beside keys no entry has.
    - Anything else is not an LR config.

    >>> kind_of({"epochs": 3, "train": {"model": {}}}).constant
    True
    >>> kind_of({"name": "Spleen", "labels": {}, "training": []}).reason
    "has 'name', but also keys a policy entry never has: 'labels', 'training'"
    >>> kind_of({"network": {"_target_": "UNet"}, "train": {"trainer": {}}}).reason
    'a MONAI bundle config without an lr_scheduler or an LrScheduleHandler'
    >>> kind_of({"lr_scheduler": {"_target_": LRPOLICY_SCHEDULER_TARGET, "policy": "$lrpol.load('configs/lr_policy.yaml')"}}).is_lr_config
    False
    """
    if not isinstance(data, dict):
        return Kind(NOT_LR_CONFIG, "not a mapping")
    if is_bundle(data):
        overriding = [key for key in data if isinstance(key, str) and any(separator in key for separator in BUNDLE_ID_SEPARATORS)]
        if overriding:
            return Kind(NOT_LR_CONFIG, f"a partial MONAI bundle config: its key {overriding[0]!r} sets an id of the config it is merged onto")
        scheduler = data.get(BUNDLE_SCHEDULER_KEY)
        if isinstance(scheduler, dict) and scheduler.get(BUNDLE_TARGET_KEY) == LRPOLICY_SCHEDULER_TARGET:
            return Kind(NOT_LR_CONFIG, "a MONAI bundle config whose lr_scheduler is lrpol's LRPolicyScheduler: its policy is an lrpol config, checked on its own")
        if BUNDLE_SCHEDULER_KEY in data or _has_handler(data):
            return Kind(BUNDLE)
        return Kind(NOT_LR_CONFIG, f"a MONAI bundle config without an {BUNDLE_SCHEDULER_KEY} or an LrScheduleHandler")
    if TRAIN_KEY in data:
        train = data[TRAIN_KEY]
        if isinstance(train, dict):
            return Kind(TRAIN_CONFIG, constant=POLICY_KEY not in train and SCHEDULER_KEY not in train)
        return Kind(NOT_LR_CONFIG, "its 'train' is not a mapping")
    if "name" not in data and "path" not in data:
        return Kind(NOT_LR_CONFIG, "no 'train' mapping, and no 'name' or 'path' of a policy entry")
    foreign = [key for key in data if not _entry_key(key)]
    if foreign:
        listed = ", ".join(repr(key) for key in foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        which = "name" if "name" in data else "path"
        return Kind(NOT_LR_CONFIG, f"has {which!r}, but also keys a policy entry never has: {listed}")
    return Kind(ENTRY)


def is_bundle(data: dict) -> bool:
    """Whether ``data`` is written as a MONAI bundle: its ``lr_scheduler``, or one of its values
    or their values (or items), is a component with ``_target_``. Clara's components have
    ``name`` instead, so no Clara config is one."""
    if _component(data.get(BUNDLE_SCHEDULER_KEY)):
        return True
    for value in data.values():
        if _component(value):
            return True
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        if any(_component(child) or (isinstance(child, list) and any(map(_component, child))) for child in children):
            return True
    return False


def _has_handler(data: object) -> bool:
    """Whether an LrScheduleHandler is anywhere in ``data`` (walked without recursion)."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get(BUNDLE_TARGET_KEY) in HANDLER_TARGETS:
                return True
            stack.extend(value for value in node.values() if isinstance(value, (dict, list)))
        elif isinstance(node, list):
            stack.extend(value for value in node if isinstance(value, (dict, list)))
    return False


def _component(value: object) -> bool:
    return isinstance(value, dict) and BUNDLE_TARGET_KEY in value


def without_policy(data: object, pointer: str | None) -> str:
    """How a config that builds no policy (``load`` returns None) trains, in words."""
    return "no lr_policy (the LR stays at lr0)" if pointer is None and kind_of(data).constant else "disabled (the LR stays at lr0)"


def skip_reason(doc: Document) -> str:
    """Why a tool that judges only LR configs may skip ``doc`` ("not an LR config: ..."), or ""
    when it must judge it. A document whose reading found a problem at a key that decides its
    kind is judged: a duplicate ``train`` whose last value is no mapping hides a train config.
    """
    kind = kind_of(doc.data)
    if kind.is_lr_config or any(place[:1] in _DECIDING for place in doc.places):
        return ""
    return f"not an LR config: {kind.reason}"


_DECIDING = ((TRAIN_KEY,), ("name",), ("path",))


def _entry_key(key: object) -> bool:
    """An entry key, or one close enough to be its typo (what "did you mean" would name). A key
    that is not a string (YAML's ``null:``) tells nothing either way: the entry check reports it."""
    if not isinstance(key, str):
        return True
    return key in ENTRY_KEYS or key in IGNORED_KEYS or bool(difflib.get_close_matches(key, ENTRY_KEYS, n=1, cutoff=0.6))
