"""The built-in policies, one module each. Importing this package registers them."""

from .cosine import ReduceCosine
from .plateau import ReduceOnPlateau
from .poly import ReducePoly
from .step_decay import DecayOnStep

__all__ = ["DecayOnStep", "ReduceCosine", "ReduceOnPlateau", "ReducePoly"]
