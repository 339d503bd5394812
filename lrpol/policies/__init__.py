"""The built-in policies, grouped in modules by kind. Importing this package registers them."""

from .cosine import ReduceCosine
from .decay import Constant, ExponentialDecay, LinearDecay, MultiStepDecay
from .interpolate import PiecewiseInterpolate
from .one_cycle import OneCycle
from .plateau import ReduceOnPlateau
from .poly import ReducePoly
from .restarts import CosineRestarts
from .sequential import Sequential
from .step_decay import DecayOnStep
from .warmup import Warmup

__all__ = [
    "Constant",
    "CosineRestarts",
    "DecayOnStep",
    "ExponentialDecay",
    "LinearDecay",
    "MultiStepDecay",
    "OneCycle",
    "PiecewiseInterpolate",
    "ReduceCosine",
    "ReduceOnPlateau",
    "ReducePoly",
    "Sequential",
    "Warmup",
]
