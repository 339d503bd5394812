"""Clara's ``environment.json``: a flat object of variables for a train config.

An MMAR keeps the values that differ between machines (``DATA_ROOT``,
``MMAR_CKPT_DIR``, ``PROCESSING_TASK``...) in ``config/environment.json``, and
Clara fills ``{VAR}`` in the train config from it. Its values override the config's
own top-level values, and ``variables=`` / ``--var`` override both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .document import Document
from .errors import ConfigError, Problem, a_json_type, one_line, show_key
from .reading import read_document

_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Environment:
    """An environment file read once: its variables, and a way to say where each one's value
    stands in it, so a problem with a value it gave can name its line. ``environment=`` takes
    one of these as well as a file name."""

    doc: Document
    values: dict

    def __contains__(self, name: object) -> bool:
        return name in self.values

    def place(self, name: str) -> str:
        """``"config/environment.json:7:17"``: where the value of ``name`` starts (found only
        when a problem asks, as every position is)."""
        file = one_line(self.doc.file or "<environment>")
        mark = self.doc.mark((name,))
        return f"{file}:{mark[0]}:{mark[1]}" if mark else file


def load_environment(file: str | os.PathLike | Environment) -> Environment:
    """The :class:`Environment` of an environment file (one already read is returned as it
    is); raises :class:`ConfigError` as :func:`read_environment` does."""
    if isinstance(file, Environment):
        return file
    doc = read_document(file)
    problems = list(doc.problems) + _shape_problems(doc)
    if problems or not isinstance(doc.data, dict):
        raise ConfigError(problems)
    return Environment(doc, dict(doc.data))


def read_environment(file: str | os.PathLike) -> dict:
    """The variables of an environment file (JSON or YAML), by name; raises
    :class:`ConfigError` with the file's line:column for anything that is not a flat
    object of strings, numbers, booleans and nulls. For the API's ``variables=``::

        variables = {**lrpol.read_environment("config/environment.json"), "epochs": 3}
        policy, ctx = lrpol.load_run("config/config_train.json", variables=variables)

    (``environment="config/environment.json"`` on ``validate``, ``load``, ``load_run``,
    ``load_schedules``, ``load_group_policies`` and ``compare`` does the same, and a problem
    with a value the file gave then names its line there.)
    """
    return load_environment(file).values


def _shape_problems(doc: Document) -> list[Problem]:
    if not isinstance(doc.data, dict):
        hint = 'an environment file is one object of variables, such as {"DATA_ROOT": "/data"}'
        return [doc.problem((), f"an environment file must be an object, got {a_json_type(doc.data)}", hint, code="wrong-type")]
    return [
        doc.problem((key,), f"the variable {show_key(key)} must be a string, number, boolean or null, got {a_json_type(value)}", code="wrong-type")
        for key, value in doc.data.items()
        if not isinstance(value, _SCALARS)
    ]
