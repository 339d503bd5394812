"""lrpol: learning-rate policies from JSON/YAML train configs, validated, built and applied by a hook.

    >>> import lrpol
    >>> policy = lrpol.build({"name": "ReducePoly", "args": {"poly_power": 0.9}})
    >>> policy
    ReducePoly(poly_power=0.9)
"""

from .config import build, load, load_group_policies, load_run, load_schedules, validate
from .context import TrainContext
from .curve import curve
from .errors import ConfigError, Problem
from .hook import LRHook
from .policies import (
    Clip,
    Constant,
    CosineRestarts,
    DecayOnStep,
    ExponentialDecay,
    LinearDecay,
    MultiStepDecay,
    Noise,
    OneCycle,
    PiecewiseInterpolate,
    Product,
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
    "Clip",
    "ConfigError",
    "Constant",
    "CosineRestarts",
    "DecayOnStep",
    "ExponentialDecay",
    "LinearDecay",
    "LRHook",
    "LRPolicy",
    "MultiStepDecay",
    "Noise",
    "OneCycle",
    "PiecewiseInterpolate",
    "Problem",
    "Product",
    "ReduceCosine",
    "ReduceOnPlateau",
    "ReducePoly",
    "Sequential",
    "TrainContext",
    "Warmup",
    "build",
    "curve",
    "load",
    "load_group_policies",
    "load_run",
    "load_schedules",
    "register",
    "validate",
]
