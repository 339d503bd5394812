"""Where policy names and ``path`` entries turn into classes.

- Built-in and user policies join with the :func:`register` decorator.
- Installed packages add policies through the ``lrpol.policies`` entry-point group;
  they are discovered the first time a name is missing, and each is imported only
  when its name is asked for (or when every name is listed).
- A config's ``path`` imports code only under an explicit allowlist of module
  prefixes, and the imported object itself must be an :class:`LRPolicy` subclass
  defined under that allowlist.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar, overload

from .errors import Invalid, did_you_mean, safe_repr, show_error
from .policy import LRPolicy

if TYPE_CHECKING:  # importlib.metadata is imported only when plugins are looked for
    from importlib.metadata import EntryPoint

ENTRY_POINT_GROUP = "lrpol.policies"
#: The package that defines the built-in policies.
BUILTIN_PACKAGE = f"{__package__}.policies"
#: Module prefixes (comma-separated) that ``path`` entries may import, added to ``allow_paths``.
ALLOW_PATHS_ENV = "LRPOL_ALLOW_PATHS"

#: What a ``path`` looks like: ``package.module.ClassName`` (also the schema's pattern).
# (?!.*\n): Python's $, unlike ECMA's, also matches before a final newline.
DOTTED_PATTERN = r"^(?!.*\n)[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$"
_DOTTED = re.compile(DOTTED_PATTERN)

#: What code from a plugin or a ``path`` may raise that is its failure, not the caller's: any
#: exception, and SystemExit too (a module that calls ``sys.exit()`` on import must not end a
#: ``validate`` run silently). KeyboardInterrupt is the user's, and still propagates.
_USER_CODE_ERRORS = (Exception, SystemExit)

_policies: dict[str, type[LRPolicy]] = {}
_pending_plugins: dict[str, EntryPoint] | None = None  # entry-point name -> EntryPoint, once discovered
_broken_plugins: dict[str, str] = {}


class RegistryError(Invalid):
    """A name or path that does not lead to a usable policy class."""

    def __init__(self, reason: str, hint: str = "", *, code: str = "unknown-policy"):
        super().__init__(reason, hint, code=code)


_P = TypeVar("_P", bound="type[LRPolicy]")


@overload
def register(target: _P, /, *, name: str | None = None) -> _P: ...
@overload
def register(target: str | None = None, /, *, name: str | None = None) -> Callable[[_P], _P]: ...
def register(target: _P | str | None = None, /, *, name: str | None = None) -> _P | Callable[[_P], _P]:
    """Class decorator: register a policy under its class name (or ``name``); returns it unchanged.

    Use as ``@register``, ``@register("Name")`` or ``@register(name="Name")``.
    Registering a name twice is an error.
    """
    if isinstance(target, str):
        target, name = None, target
    if target is None:
        return lambda cls: _add(cls, name)
    return _add(target, name)


def _add(cls: _P, name: str | None) -> _P:
    if not (isinstance(cls, type) and issubclass(cls, LRPolicy)):
        raise TypeError(f"only LRPolicy subclasses can be registered, not {cls!r}")
    name = name or cls.__name__
    if not (isinstance(name, str) and name.isidentifier()):
        raise ValueError(f"policy names must be identifiers, not {name!r}")
    if name in _policies:
        raise ValueError(f"policy name {name!r} is already registered by {_where(_policies[name])}")
    _policies[name] = cls
    return cls


def lookup(name: str) -> type[LRPolicy]:
    """The class registered as ``name``, importing its plugin if it comes from one."""
    if name in _policies:
        return _policies[name]
    plugins = _discover_plugins()
    if name in plugins:
        _load_plugin(name, plugins.pop(name))
    if name in _broken_plugins:
        raise RegistryError(f"plugin policy {name!r} failed to load: {_broken_plugins[name]}", code="plugin-error")
    if name in _policies:
        return _policies[name]
    raise RegistryError(f"unknown policy {name!r}", did_you_mean(name, known_names()))


def known_names() -> list[str]:
    """Every policy name available: registered ones and installed plugins (not imported)."""
    return sorted({*_policies, *_discover_plugins()})


def registered() -> dict[str, type[LRPolicy]]:
    """Name -> class for every policy, importing all installed plugins."""
    plugins = _discover_plugins()
    while plugins:
        _load_plugin(*plugins.popitem())
    return dict(sorted(_policies.items()))


def builtin() -> dict[str, type[LRPolicy]]:
    """Name -> class for the policies that ship with lrpol (what the published schemas cover):
    those defined in :data:`BUILTIN_PACKAGE`, under their own names.

    Importing lrpol imports that package, which registers them; the registry does not import
    it, since the policies import the registry.
    """
    return {name: cls for name, cls in sorted(_policies.items()) if name == cls.__name__ and cls.__module__.startswith(BUILTIN_PACKAGE + ".")}


def _discover_plugins() -> dict[str, EntryPoint]:
    global _pending_plugins
    if _pending_plugins is None:
        from importlib.metadata import entry_points

        _pending_plugins = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name not in _policies}
    return _pending_plugins


def _load_plugin(name: str, entry_point: EntryPoint) -> None:
    try:
        cls = entry_point.load()
        if _policies.get(name) is not cls:  # the plugin module may have registered it itself
            _add(cls, name)
    except _USER_CODE_ERRORS as exc:  # a broken plugin must not break the other policies
        _broken_plugins[name] = f"{entry_point.value}: {show_error(exc)}"


def allowed_prefixes(allow_paths: Iterable[str] = ()) -> tuple[str, ...]:
    """The module prefixes ``path`` may import: ``allow_paths`` plus ``$LRPOL_ALLOW_PATHS``."""
    if isinstance(allow_paths, str):
        allow_paths = (allow_paths,)
    from_env = os.environ.get(ALLOW_PATHS_ENV, "").split(",")
    return tuple(p.strip() for p in (*allow_paths, *from_env) if p.strip())


def is_dotted_path(path: str) -> bool:
    """True for ``pkg.module.Class``-shaped strings (no import is attempted)."""
    return bool(_DOTTED.fullmatch(path))


def path_allowed(path: str, prefixes: Iterable[str]) -> bool:
    """True when ``path`` lies under one of ``prefixes``, on a dot boundary.

    >>> path_allowed("my_pkg.policies.Warm", ["my_pkg"]), path_allowed("my_pkg2.X", ["my_pkg"])
    (True, False)
    """
    return any(path == p or path.startswith(p + ".") for p in prefixes)


def check_path(path: str, prefixes: tuple[str, ...], *, enforce_allowlist: bool = True) -> None:
    """The checks on a ``path`` that need no import: its shape, and that it lies under ``prefixes``."""
    if not is_dotted_path(path):
        raise RegistryError(f"{path!r} is not a dotted path to a class", "write it as 'package.module.ClassName'", code="invalid-path")
    if enforce_allowlist and not path_allowed(path, prefixes):
        hint = f"allowed prefixes: {', '.join(prefixes)}" if prefixes else f"allow its package with allow_paths=[...], --allow-path or ${ALLOW_PATHS_ENV}"
        raise RegistryError(f"path {path!r} is not in the allowlist", hint, code="path-not-allowed")


def resolve_path(path: str, prefixes: tuple[str, ...]) -> type[LRPolicy]:
    """Import the class named by a config's ``path``, if the allowlist ``prefixes`` permits it."""
    check_path(path, prefixes)
    module_name, _, attribute = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except _USER_CODE_ERRORS as exc:
        raise RegistryError(f"cannot import module {module_name!r}: {show_error(exc)}", code="import-error") from None
    target = getattr(module, attribute, None)
    # Judge what was actually imported, not the string: an allowed module can re-export anything.
    if not (isinstance(target, type) and issubclass(target, LRPolicy)):
        raise RegistryError(f"path {path!r} resolves to {safe_repr(target)}, which is not an LRPolicy subclass", code="not-a-policy")
    if not path_allowed(target.__module__ + "." + target.__qualname__, prefixes):
        raise RegistryError(
            f"path {path!r} resolves to {_where(target)}, which is defined outside the allowlist", code="path-not-allowed"
        )
    return target


def _where(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
