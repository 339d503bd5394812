"""torch's CPU random generator, reproduced without torch: the draws timm's LR noise makes.

timm seeds a fresh ``torch.Generator()`` with ``manual_seed(seed)`` and draws ``torch.rand(1)``
or ``torch.randn(1)`` from it. On the CPU that generator is the reference MT19937, seeded as
its ``init_genrand`` does with the seed's low 32 bits (torch takes the seed modulo 2**64 first,
so a negative seed wraps). numpy's legacy :class:`numpy.random.RandomState` is that same
generator, seeded the same way by ``seed(int)`` (numpy keeps that stream frozen, NEP 19): its
:class:`numpy.random.MT19937` gives the raw words, and this module turns them into torch's
values, bit for bit:

- ``rand`` (float32): the low 24 bits of one word, divided by 2**24.
- ``randn`` (float32, one value at a time): Box-Muller in float64. Two uniforms u1, u2, each
  the low 53 bits of two words (the first word the high half) divided by 2**53; then
  r = sqrt(-2 * log1p(-u2)) and theta = 2 * pi * u1. The draw is r * cos(theta) rounded to
  float32, and the generator keeps r * sin(theta) for the next draw: draws come in pairs,
  four words a pair.

    >>> rand(42)
    0.8822692632675171
    >>> randn(42, 3)
    [0.33669036626815796, 0.12880940735340118, 0.23446236550807953]
"""

from __future__ import annotations

import math
import struct
import threading
from typing import Any

_LOW_32 = (1 << 32) - 1
_LOW_24 = (1 << 24) - 1
_LOW_53 = (1 << 53) - 1
_FLOAT32 = struct.Struct("f")

# One generator per thread, seeded again for every draw: nothing carries over from one draw to
# the next, and building one costs some 70 µs where seeding it costs 2.
_scratch = threading.local()


def _seeded(seed: int) -> Any:
    """This thread's MT19937, seeded as ``torch.Generator().manual_seed(seed)`` is."""
    words = getattr(_scratch, "words", None)
    if words is None:
        import numpy as np

        words = np.random.MT19937(0)
        _scratch.words, _scratch.seeder = words, np.random.RandomState(words)  # seeds `words` the legacy way
    _scratch.seeder.seed(seed & _LOW_32)
    return words


def _float32(value: float) -> float:
    """``value`` rounded to the nearest float32, as torch stores a float64 draw in a float32 tensor."""
    return _FLOAT32.unpack(_FLOAT32.pack(value))[0]


def rand(seed: int) -> float:
    """``torch.rand(1, generator=torch.Generator().manual_seed(seed)).item()``: in [0, 1), a multiple of 2**-24."""
    (word,) = _seeded(seed).random_raw(1).tolist()
    return (word & _LOW_24) / 16777216.0


def _normal_pair(generator: Any) -> tuple[float, float]:
    """The next two ``torch.randn(1)`` draws: the one made from the generator's next four
    words, and the one torch keeps for the draw after it."""
    w0, w1, w2, w3 = generator.random_raw(4).tolist()
    u1 = (((w0 << 32) | w1) & _LOW_53) * 2.0**-53
    u2 = (((w2 << 32) | w3) & _LOW_53) * 2.0**-53
    r = math.sqrt(-2.0 * math.log1p(-u2))
    theta = 2.0 * math.pi * u1
    return _float32(r * math.cos(theta)), _float32(r * math.sin(theta))


def randn(seed: int, count: int = 1) -> list[float]:
    """The first ``count`` values of ``torch.randn(1, generator=g).item()`` after ``g.manual_seed(seed)``."""
    generator = _seeded(seed)
    draws: list[float] = []
    while len(draws) < count:
        draws += _normal_pair(generator)
    return draws[:count]


def randn_within(seed: int, scale: float, limit: float) -> float:
    """x * ``scale`` for the first of those draws x with ``|x * scale| < limit``, drawn as
    timm draws its normal noise. ``limit`` must be > 0 and ``scale`` finite: the caller
    makes sure a draw is kept often enough for this to end soon."""
    generator = _seeded(seed)
    while True:
        for draw in _normal_pair(generator):
            value = draw * scale
            if abs(value) < limit:
                return value
