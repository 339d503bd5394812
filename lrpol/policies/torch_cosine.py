"""torch's CosineAnnealingLR as torch steps it: each LR from the one before.

torch computes its cosine recursively, lr_t from lr_(t-1), and past T_max with eta_min > 0 the
roundings add up: after 3 * T_max updates its LRs are up to 1e-11 away from the cosine (at
T_max = 4,000). :func:`torch_cosine` reproduces that recursion, float for float, for a run that
must give torch's LRs after T_max to the bit (``ReduceCosine(after="torch")``). The values are
a function of (T_max, base, eta_min) and t alone, so they are worked out once, up to the
furthest t asked for, and shared by the run's updates.
"""

from __future__ import annotations

import math
from array import array
from collections import OrderedDict

#: The sequences kept, by (T_max, base, eta_min): the last few runs'.
_KEPT = 8
_sequences: OrderedDict[tuple[int, float, float], array] = OrderedDict()
#: The furthest t worked out: 2**24 updates, 128 MiB of doubles. Past it, an error says so.
LAST = 2**24


def torch_cosine(total: int, base: float, eta_min: float, last: int) -> array:
    """torch's LRs for t = 0 .. at least ``last``: lr_0 = base, then for t >= 1::

        lr_t = lr_(t-1) + (base - eta_min) * (1 - cos(pi / T)) / 2           when (t - 1 - T) % 2T == 0
        lr_t = (1 + cos(pi * t / T)) / (1 + cos(pi * (t - 1) / T)) * (lr_(t-1) - eta_min) + eta_min

    with T = ``total``, in torch's order of operations. A ValueError past t = :data:`LAST`.

    >>> [round(lr, 12) for lr in torch_cosine(2, 1.0, 0.0, 4)]
    [1.0, 0.5, 0.0, 0.5, 1.0]
    """
    if last > LAST:
        raise ValueError(f"after='torch' works out torch's recursion up to t, and t = {last} is past {LAST:,}; after='continue' gives the exact cosine at any t")
    key = (total, base, eta_min)
    lrs = _sequences.get(key)
    if lrs is None:
        lrs = _sequences[key] = array("d", [base])
        while len(_sequences) > _KEPT:
            _sequences.popitem(last=False)
    else:
        _sequences.move_to_end(key)
    cos, pi = math.cos, math.pi
    step_up = (base - eta_min) * (1 - cos(pi / total)) / 2
    lr = lrs[-1]
    for t in range(len(lrs), last + 1):
        if (t - 1 - total) % (2 * total) == 0:
            lr = lr + step_up
        else:
            lr = (1 + cos(pi * t / total)) / (1 + cos(pi * (t - 1) / total)) * (lr - eta_min) + eta_min
        lrs.append(lr)
    return lrs
