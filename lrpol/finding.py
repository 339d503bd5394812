"""Which files ``lrpol validate`` reads: the files it is given, and the config files found
under the directories it is given.

A directory walk leaves out what holds no config of the project's own: ``.git`` and every
other hidden folder, virtual environments (a folder with ``pyvenv.cfg``, whatever its name),
build output and installed packages. ``--exclude`` globs leave out more, named files too.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from .errors import Problem
from .reading import JSON_SUFFIXES, YAML_SUFFIXES, unreadable

CONFIG_SUFFIXES = JSON_SUFFIXES + YAML_SUFFIXES
STDIN = "-"
#: Folders a walk never enters, besides hidden ones and virtual environments.
SKIPPED_FOLDERS = frozenset({"build", "dist", "node_modules", "__pycache__"})
#: The file that marks a folder as a virtual environment (PEP 405).
VENV_MARKER = "pyvenv.cfg"


@dataclass
class Input:
    """One file to read (or ``-``): ``refused`` holds the problem that refuses it unread, and
    ``named`` tells a file given by name from one a walk found."""

    name: str
    named: bool
    refused: list[Problem] = field(default_factory=list)


@dataclass
class Found:
    """What the names given to ``lrpol validate`` come to."""

    inputs: list[Input] = field(default_factory=list)
    unreadable_dirs: list[Problem] = field(default_factory=list)


def find(names: Iterable[str], exclude: Iterable[str] = ()) -> Found:
    """Each named file (or ``-``), and the config files under each named directory, in
    order; a file or folder that matches an ``exclude`` glob is left out."""
    found = Found()
    globs = tuple(exclude)

    def cannot_list(error: OSError) -> None:
        found.unreadable_dirs.append(unreadable(error.filename, f"cannot read directory: {error.strerror or error}"))

    for name in names:
        if name != STDIN and excluded(name, globs):
            continue
        if name != STDIN and os.path.isdir(name):
            found.inputs += [Input(path, named=False, refused=refused) for path, refused in sorted(_walk(name, globs, cannot_list))]
        else:
            found.inputs.append(Input(name, named=True, refused=[] if name == STDIN else refuse_irregular(name)))
    return found


def excluded(path: str, globs: tuple[str, ...], top: str | None = None) -> bool:
    """Whether a glob matches ``path`` as written, its name alone, or (in a walk) its path
    from ``top``; ``/`` separates folders on every system, and ``*`` crosses them."""
    if not globs:
        return False
    written = path.replace(os.sep, "/")
    candidates = {written, written.rstrip("/").rsplit("/", 1)[-1]}
    if top is not None:
        candidates.add(os.path.relpath(path, top).replace(os.sep, "/"))
    return any(fnmatchcase(candidate, glob) for glob in globs for candidate in candidates)


def _walk(top: str, globs: tuple[str, ...], onerror: Callable[[OSError], None]) -> Iterator[tuple[str, list[Problem]]]:
    """Every config file under ``top`` (symbolic links to directories are not followed, so
    there is no loop), with the problem that refuses it if it is not a regular file."""
    for directory, subdirectories, files in os.walk(top, onerror=onerror):
        subdirectories[:] = [sub for sub in subdirectories if not _skipped_folder(os.path.join(directory, sub), globs, top)]
        for file in files:
            path = os.path.join(directory, file)
            if file.lower().endswith(CONFIG_SUFFIXES) and not excluded(path, globs, top):
                yield path, refuse_irregular(path)


def _skipped_folder(path: str, globs: tuple[str, ...], top: str) -> bool:
    name = os.path.basename(path)
    return name.startswith(".") or name in SKIPPED_FOLDERS or os.path.isfile(os.path.join(path, VENV_MARKER)) or excluded(path, globs, top)


# The kinds of file that are not regular. Opening some blocks (a FIFO with no writer) and
# reading others never ends (/dev/zero), so they are refused before anything opens them.
_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def refuse_irregular(name: str) -> list[Problem]:
    """One problem if ``name`` exists and is not a regular file; none otherwise (a missing or
    unreadable file is reported when it is opened)."""
    try:
        mode = os.stat(name).st_mode
    except (OSError, ValueError):
        return []
    if stat.S_ISREG(mode):
        return []
    kind = next((kind for test, kind in _KINDS if test(mode)), "a special file")
    return [unreadable(name, f"not a regular file ({kind})", "lrpol reads configs from regular files, or from standard input with -")]
