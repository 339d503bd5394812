"""The built-in policies, grouped in modules by kind. Importing this package registers them."""

from .combine import Clip, Product
from .cosine import ReduceCosine
from .decay import Constant, ExponentialDecay, LinearDecay, MultiStepDecay
from .interpolate import PiecewiseInterpolate
from .noise import Noise
from .one_cycle import OneCycle
from .plateau import ReduceOnPlateau
from .poly import ReducePoly
from .restarts import CosineRestarts
from .sequential import Sequential
from .step_decay import DecayOnStep
from .warmup import Warmup

__all__ = [
    "Clip",
    "Constant",
    "CosineRestarts",
    "DecayOnStep",
    "ExponentialDecay",
    "LinearDecay",
    "MultiStepDecay",
    "Noise",
    "OneCycle",
    "PiecewiseInterpolate",
    "Product",
    "ReduceCosine",
    "ReduceOnPlateau",
    "ReducePoly",
    "Sequential",
    "Warmup",
]

#: How ``lrpol list`` groups the built-in policies, in this order.
GROUPS: dict[str, tuple[str, ...]] = {
    "Clara Train's policies": ("DecayOnStep", "ReduceCosine", "ReducePoly", "ReduceOnPlateau"),
    "Decays": ("MultiStepDecay", "ExponentialDecay", "LinearDecay", "Constant", "PiecewiseInterpolate"),
    "Cycles and restarts": ("CosineRestarts", "OneCycle"),
    "Warmups, phases and combinations": ("Warmup", "Sequential", "Product", "Clip", "Noise"),
}

