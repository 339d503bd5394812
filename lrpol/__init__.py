"""lrpol: learning-rate policies from JSON/YAML train configs, validated, built and applied by a hook.

    >>> import lrpol
    >>> policy = lrpol.build({"name": "ReducePoly", "args": {"poly_power": 0.9}})
    >>> policy
    ReducePoly(poly_power=0.9)
"""

from .compare import compare
from .config import build, load, load_group_policies, load_run, load_schedules, validate
from .context import TrainContext
from .curve import curve
from .environment import read_environment
from .errors import ConfigError, Problem
from .hook import LRHook
from .policies import (
    Clip,
    Constant,
    CosineRestarts,
    Cyclic,
    CyclicMomentum,
    DecayOnStep,
    ExponentialDecay,
    InverseSqrt,
    InverseTimeDecay,
    LinearDecay,
    MultiStepDecay,
    Noise,
    OneCycle,
    OneCycleMomentum,
    PiecewiseInterpolate,
    Product,
    ReduceCosine,
    ReduceOnPlateau,
    ReducePoly,
    Sequential,
    TanhDecay,
    Warmup,
    WarmupStableDecay,
)
from .policy import LRPolicy
from .registry import register

__version__ = "0.1.0"

__all__ = [
    "Clip",
    "ConfigError",
    "Constant",
    "CosineRestarts",
    "Cyclic",
    "CyclicMomentum",
    "DecayOnStep",
    "ExponentialDecay",
    "InverseSqrt",
    "InverseTimeDecay",
    "LinearDecay",
    "LRHook",
    "LRPolicy",
    "MultiStepDecay",
    "Noise",
    "OneCycle",
    "OneCycleMomentum",
    "PiecewiseInterpolate",
    "Problem",
    "Product",
    "ReduceCosine",
    "ReduceOnPlateau",
    "ReducePoly",
    "Sequential",
    "TanhDecay",
    "TrainContext",
    "Warmup",
    "WarmupStableDecay",
    "build",
    "compare",
    "curve",
    "load",
    "load_group_policies",
    "load_run",
    "load_schedules",
    "read_environment",
    "register",
    "validate",
]
