"""Clara's ``environment.json``: a flat object of variables for a train config.

An MMAR keeps the values that differ between machines (``DATA_ROOT``,
``MMAR_CKPT_DIR``, ``PROCESSING_TASK``...) in ``config/environment.json``, and
Clara fills ``{VAR}`` in the train config from it. Its values override the config's
own top-level values, and ``variables=`` / ``--var`` override both.
"""

from __future__ import annotations

import os

from .document import Document
from .errors import ConfigError, Problem, a_json_type, show_key
from .reading import read_document

_SCALARS = (str, int, float, bool, type(None))


def read_environment(file: str | os.PathLike) -> dict:
    """The variables of an environment file (JSON or YAML), by name; raises
    :class:`ConfigError` with the file's line:column for anything that is not a flat
    object of strings, numbers, booleans and nulls. For the API's ``variables=``::

        variables = {**lrpol.read_environment("config/environment.json"), "epochs": 3}
        policy, ctx = lrpol.load_run("config/config_train.json", variables=variables)

    (``environment="config/environment.json"`` on ``validate``, ``load`` and ``load_run``
    does the same.)
    """
    doc = read_document(file)
    problems = list(doc.problems) + _shape_problems(doc)
    if problems or not isinstance(doc.data, dict):
        raise ConfigError(problems)
    return dict(doc.data)


def _shape_problems(doc: Document) -> list[Problem]:
    if not isinstance(doc.data, dict):
        hint = 'an environment file is one object of variables, such as {"DATA_ROOT": "/data"}'
        return [doc.problem((), f"an environment file must be an object, got {a_json_type(doc.data)}", hint, code="wrong-type")]
    return [
        doc.problem((key,), f"the variable {show_key(key)} must be a string, number, boolean or null, got {a_json_type(value)}", code="wrong-type")
        for key, value in doc.data.items()
        if not isinstance(value, _SCALARS)
    ]
