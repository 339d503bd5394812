"""The built-in policies, grouped in modules by kind. Importing this package registers them."""

from .cosine import ReduceCosine
from .decay import Constant, ExponentialDecay, LinearDecay, MultiStepDecay
from .inverse_sqrt import InverseSqrt, InverseTimeDecay
from .one_cycle import OneCycle
from .plateau import ReduceOnPlateau
from .poly import ReducePoly
from .restarts import CosineRestarts
from .sequential import Sequential
from .step_decay import DecayOnStep
from .warmup import Warmup
from .wsd import WarmupStableDecay

__all__ = [
    "Constant",
    "CosineRestarts",
    "DecayOnStep",
    "ExponentialDecay",
    "InverseSqrt",
    "InverseTimeDecay",
    "LinearDecay",
    "MultiStepDecay",
    "OneCycle",
    "ReduceCosine",
    "ReduceOnPlateau",
    "ReducePoly",
    "Sequential",
    "Warmup",
    "WarmupStableDecay",
]
