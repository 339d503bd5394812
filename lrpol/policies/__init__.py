"""The built-in policies, grouped in modules by kind. Importing this package registers them."""

from .cosine import ReduceCosine
from .cyclic import Cyclic, CyclicMomentum
from .decay import Constant, ExponentialDecay, LinearDecay, MultiStepDecay
from .one_cycle import OneCycle
from .one_cycle_momentum import OneCycleMomentum
from .plateau import ReduceOnPlateau
from .poly import ReducePoly
from .restarts import CosineRestarts
from .sequential import Sequential
from .step_decay import DecayOnStep
from .warmup import Warmup

__all__ = [
    "Constant",
    "CosineRestarts",
    "Cyclic",
    "CyclicMomentum",
    "DecayOnStep",
    "ExponentialDecay",
    "LinearDecay",
    "MultiStepDecay",
    "OneCycle",
    "OneCycleMomentum",
    "ReduceCosine",
    "ReduceOnPlateau",
    "ReducePoly",
    "Sequential",
    "Warmup",
]
