"""lrpol: learning-rate policies from JSON/YAML train configs, validated, built and applied by a hook.

    >>> import lrpol
    >>> policy = lrpol.build({"name": "ReducePoly", "args": {"poly_power": 0.9}})
    >>> policy
    ReducePoly(poly_power=0.9)
"""

from .config import build, load, load_run, validate
from .context import TrainContext
from .curve import curve
from .errors import ConfigError, Problem
from .hook import LRHook
from .policies import (
    Constant,
    CosineRestarts,
    DecayOnStep,
    ExponentialDecay,
    LinearDecay,
    MultiStepDecay,
    OneCycle,
    PiecewiseInterpolate,
    ReduceCosine,
    ReduceOnPlateau,
    ReducePoly,
    Sequential,
    Warmup,
)
from .policy import LRPolicy
from .registry import register

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Constant",
    "CosineRestarts",
    "DecayOnStep",
    "ExponentialDecay",
    "LinearDecay",
    "LRHook",
    "LRPolicy",
    "MultiStepDecay",
    "OneCycle",
    "PiecewiseInterpolate",
    "Problem",
    "ReduceCosine",
    "ReduceOnPlateau",
    "ReducePoly",
    "Sequential",
    "TrainContext",
    "Warmup",
    "build",
    "curve",
    "load",
    "load_run",
    "register",
    "validate",
]
