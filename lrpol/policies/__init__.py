"""The built-in policies, grouped in modules by kind. Importing this package registers them."""

from .combine import Clip, Product
from .cosine import ReduceCosine
from .cyclic import Cyclic, CyclicMomentum
from .decay import Constant, ExponentialDecay, LinearDecay, MultiStepDecay
from .interpolate import PiecewiseInterpolate
from .inverse_sqrt import InverseSqrt, InverseTimeDecay
from .noise import Noise
from .one_cycle import OneCycle
from .one_cycle_momentum import OneCycleMomentum
from .plateau import ReduceOnPlateau
from .poly import ReducePoly
from .restarts import CosineRestarts
from .sequential import Sequential
from .step_decay import DecayOnStep
from .tanh import TanhDecay
from .warmup import Warmup
from .wsd import WarmupStableDecay

__all__ = [
    "Clip",
    "Constant",
    "CosineRestarts",
    "Cyclic",
    "CyclicMomentum",
    "DecayOnStep",
    "ExponentialDecay",
    "InverseSqrt",
    "InverseTimeDecay",
    "LinearDecay",
    "MultiStepDecay",
    "Noise",
    "OneCycle",
    "OneCycleMomentum",
    "PiecewiseInterpolate",
    "Product",
    "ReduceCosine",
    "ReduceOnPlateau",
    "ReducePoly",
    "Sequential",
    "TanhDecay",
    "Warmup",
    "WarmupStableDecay",
]

#: How ``lrpol list`` groups the built-in policies, in this order.
GROUPS: dict[str, tuple[str, ...]] = {
    "Clara Train's policies": ("DecayOnStep", "ReduceCosine", "ReducePoly", "ReduceOnPlateau"),
    "Decays": ("MultiStepDecay", "ExponentialDecay", "LinearDecay", "Constant", "PiecewiseInterpolate", "InverseSqrt", "InverseTimeDecay", "WarmupStableDecay"),
    "Cycles and restarts": ("CosineRestarts", "TanhDecay", "OneCycle", "Cyclic"),
    "Momentum schedules (evaluated on the optimizer's momentum as lr0)": ("OneCycleMomentum", "CyclicMomentum"),
    "Warmups, phases and combinations": ("Warmup", "Sequential", "Product", "Clip", "Noise"),
}

