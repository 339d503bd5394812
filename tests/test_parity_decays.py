"""Parity of the decays (ReduceCosine, ReducePoly, ExponentialDecay, PiecewiseInterpolate) with the
peers' schedules, at every update of runs that go past the horizon: torch (float64, stepped
recursively: rel 1e-12), optax and Keras (each run twice: in float64, at rel 1e-12, and in float32,
their default, at float32's precision). Each policy is run through the hook and through lrpol.curve.

The mapping (also in the policies' docstrings; T = horizon, lr0 = the peer's initial value):
- torch CosineAnnealingLR(T_max, eta_min)            == ReduceCosine(horizon=T_max, min_lr=eta_min, after="continue")
- torch PolynomialLR(total_iters, power)             == ReducePoly(poly_power=power, horizon=total_iters)
- torch ExponentialLR(gamma)                         == ExponentialDecay(gamma)
- HF get_cosine_with_min_lr_schedule_with_warmup(0, T, min_lr_rate=r) == ReduceCosine(min_lr_ratio=r, after="continue")
- optax cosine_decay_schedule(lr0, T, alpha, p)      == ReduceCosine(horizon=T, min_lr_ratio=alpha, exponent=p)
- optax polynomial_schedule(lr0, end, power, T, B)   == Sequential([Constant(), ReducePoly(power, horizon=T, min_lr=end)], [B])
- optax exponential_decay(lr0, n, rate, B, stairs, end) == Sequential([Constant(), ExponentialDecay(rate, every=n, ...)], [B])
- optax piecewise_interpolate_schedule / piecewise_constant_schedule == PiecewiseInterpolate
- optax warmup_cosine_decay_schedule(i, lr0, W, T, end, p) == Warmup(W, start_factor=i / lr0, policy=ReduceCosine(horizon=T - W, min_lr=end, exponent=p))
- Keras CosineDecay(lr0, T, alpha)                   == ReduceCosine(horizon=T, min_lr_ratio=alpha)
- Keras CosineDecay(i, T, alpha, warmup_target=lr0, warmup_steps=W) == Warmup(W, start_factor=i / lr0, policy=ReduceCosine(horizon=T, min_lr_ratio=alpha))
- Keras PolynomialDecay(lr0, T, end, power, cycle)   == ReducePoly(power, horizon=T, min_lr=end, cycle=cycle)
- Keras ExponentialDecay(lr0, n, rate, staircase)    == ExponentialDecay(rate, every=n, staircase=staircase)
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable
from dataclasses import replace
from typing import NamedTuple

import numpy as np
import parity
import pytest
from conftest import requires_extra

from lrpol import (
    ConfigError,
    Constant,
    ExponentialDecay,
    LinearDecay,
    LRHook,
    PiecewiseInterpolate,
    ReduceCosine,
    ReducePoly,
    Sequential,
    TrainContext,
    Warmup,
    build,
    curve,
    validate,
)
from lrpol.hook import drive

os.environ["KERAS_BACKEND"] = "torch"  # read when keras is first imported; torch is what CI installs

LR0 = 0.1
#: float32 carries about 7 digits of the lr0-sized terms the peers add and subtract: a value
#: agrees when it is within 1e-6 of itself, or of lr0 (near a floor of 0, the cancellation in
#: 1 + cos(x) leaves float32 absolute errors of 1e-7 * lr0, measured up to 7e-7 * lr0 once
#: raised to optax's exponent 0.5).
F32 = {"rel": 1e-6, "abs": 1e-6 * LR0}
F64 = {"rel": 1e-12, "abs": 0.0}


# -- running ours, through the hook and through curve() ------------------------------------------

def ours(policy, ctx: TrainContext, count: int) -> dict[str, list[float]]:
    """The LR before each of ``count`` updates of a run shaped like ``ctx`` (past its end when
    longer): applied by the hook, and computed by curve()."""

    def run() -> TrainContext:  # a fresh context each time: the hook moves its clock
        return TrainContext(initial_lr=ctx.initial_lr, total_epochs=ctx.total_epochs, steps_per_epoch=ctx.steps_per_epoch)

    hook = [lr for _, lr in drive(LRHook(policy, run(), lambda lr: None), count)]
    return {"hook": hook, "curve": curve(policy, run(), steps=count).tolist()}


def per_update(values: list[float], ctx: TrainContext, count: int, unit: str) -> list[float]:
    """A peer's values, one per update (unit "step") or per epoch (spread over its updates)."""
    if unit == "step":
        return values[:count]
    return [values[s // ctx.steps_per_epoch] for s in range(count)]


def assert_agree(policy, ctx: TrainContext, theirs: list[float], count: int, tolerance: dict) -> None:
    theirs = per_update(theirs, ctx, count, policy.unit)
    assert len(theirs) == count
    for path, values in ours(policy, ctx, count).items():
        for i, (a, b) in enumerate(zip(values, theirs)):
            assert a == pytest.approx(b, **tolerance), f"{path}, update {i}: {a!r} != {b!r}"


# -- the peers --------------------------------------------------------------------------------------

def torch_lrs(make: Callable, count: int) -> list[float]:
    """torch's LR before each of ``count`` steps, stepping the scheduler after each (recursively);
    ``make(lr_scheduler, optimizer)`` builds it."""
    torch = requires_extra("torch")
    return parity.torch_lrs(lambda optimizer: make(torch.optim.lr_scheduler, optimizer), count, LR0)


#: Counts every optax schedule is evaluated at: one shape, so that jax compiles each operation once.
OPTAX_COUNTS = 400


def hf_cosine(total: int, min_lr_rate: float, count: int) -> list[float]:
    transformers = requires_extra("transformers")
    schedule = transformers.get_cosine_with_min_lr_schedule_with_warmup
    return torch_lrs(lambda S, o: schedule(o, num_warmup_steps=0, num_training_steps=total, min_lr_rate=min_lr_rate), count)


def optax_lrs(make: Callable, count: int, x64: bool, compiled: bool = False) -> list[float]:
    """optax's schedule at counts 0 .. count - 1, in float64 (x64) or its default float32.

    Evaluated as written, not under jax.jit: XLA compiles count / T into count * (1 / T), whose
    rounding puts polynomial_schedule's 1 - count / T a hair off 0 at count = T (a fractional
    power of it is then nan in float64, end + 1e-5 in float32). ``compiled`` is for the
    piecewise schedules, which raise nothing to a power and take many operations to run as
    written: their rounding under jit stays within the tolerances."""
    jax = requires_extra("optax", "jax")
    optax = requires_extra("optax")
    assert count <= OPTAX_COUNTS
    with jax.enable_x64(x64):
        values = jax.vmap(make(optax))
        values = (jax.jit(values) if compiled else values)(jax.numpy.arange(OPTAX_COUNTS))
        assert values.dtype == (np.float64 if x64 else np.float32)
        return np.asarray(values[:count], dtype=float).tolist()


def keras_lrs(make: Callable, count: int, x64: bool) -> list[float]:
    """Keras's schedule at steps 0 .. count - 1 (torch backend), one step at a time as an
    optimizer calls it, its LRs given as float64 (x64) arrays or as Python floats (float32,
    Keras's default)."""
    requires_extra("torch")  # the backend
    keras = requires_extra("keras")
    lr = (lambda value: np.array(value, dtype=np.float64)) if x64 else float
    schedule = make(keras.optimizers.schedules, lr)
    values = np.array([keras.ops.convert_to_numpy(schedule(step)) for step in range(count)])
    assert values.dtype == (np.float64 if x64 else np.float32)
    return values.astype(float).tolist()


RUN = TrainContext(initial_lr=LR0, total_epochs=4, steps_per_epoch=50)  # 200 updates


class Case(NamedTuple):
    """One comparison: ``policy`` over ``count`` updates of ``ctx`` against a peer's schedule."""

    id: str
    policy: object
    peer: Callable  # (x64) -> the peer's values, per update or per epoch
    count: int
    ctx: TrainContext = RUN


# -- torch: horizons that differ from the run, the rise after T_max, stepped per update and per epoch --

STEPS = TrainContext(initial_lr=LR0, total_epochs=10, steps_per_epoch=60)  # 600 updates
EPOCHS = TrainContext(initial_lr=LR0, total_epochs=30, steps_per_epoch=7)  # 30 epochs of 7 updates

TORCH = [
    # CosineAnnealingLR over 3 * T_max: down to eta_min, back up to lr0 at 2 T_max, down again.
    Case("cosine-Tmax250", ReduceCosine(unit="step", horizon=250, after="continue"), lambda x64: torch_lrs(lambda S, o: S.CosineAnnealingLR(o, 250), 750), 750, STEPS),
    Case("cosine-Tmax1000", ReduceCosine(unit="step", horizon=1000, after="continue"), lambda x64: torch_lrs(lambda S, o: S.CosineAnnealingLR(o, 1000), 3000), 3000, STEPS),
    Case("cosine-Tmax300-eta", ReduceCosine(unit="step", horizon=300, min_lr=1e-4, after="continue"), lambda x64: torch_lrs(lambda S, o: S.CosineAnnealingLR(o, 300, 1e-4), 900), 900, STEPS),
    Case("cosine-Tmax7-eta", ReduceCosine(unit="step", horizon=7, min_lr=0.01, after="continue"), lambda x64: torch_lrs(lambda S, o: S.CosineAnnealingLR(o, 7, 0.01), 600), 600, STEPS),
    Case("cosine-Tmax40-epochs", ReduceCosine(horizon=40, min_lr=1e-3, after="continue"), lambda x64: torch_lrs(lambda S, o: S.CosineAnnealingLR(o, 40, 1e-3), 120), 840, EPOCHS),
    Case("cosine-Tmax-run", ReduceCosine(unit="step", after="continue"), lambda x64: torch_lrs(lambda S, o: S.CosineAnnealingLR(o, 600), 1800), 1800, STEPS),
    # PolynomialLR: total_iters shorter and longer than the run; held at 0 after it.
    Case("poly-total250", ReducePoly(poly_power=2.0, unit="step", horizon=250), lambda x64: torch_lrs(lambda S, o: S.PolynomialLR(o, 250, 2.0), 700), 700, STEPS),
    Case("poly-total900", ReducePoly(poly_power=0.9, unit="step", horizon=900), lambda x64: torch_lrs(lambda S, o: S.PolynomialLR(o, 900, 0.9), 1000), 1000, STEPS),
    Case("poly-total12-epochs", ReducePoly(poly_power=1.5, horizon=12), lambda x64: torch_lrs(lambda S, o: S.PolynomialLR(o, 12, 1.5), 40), 280, EPOCHS),
    # ExponentialLR
    Case("exponential", ExponentialDecay(gamma=0.995), lambda x64: torch_lrs(lambda S, o: S.ExponentialLR(o, 0.995), 1000), 1000, STEPS),
    Case("exponential-epochs", ExponentialDecay(gamma=0.9, unit="epoch"), lambda x64: torch_lrs(lambda S, o: S.ExponentialLR(o, 0.9), 40), 280, EPOCHS),
    # Hugging Face's cosine to min_lr_rate over the run (a LambdaLR), which rises again after it too
    Case("hf-cosine-min_lr_rate", ReduceCosine(unit="step", min_lr_ratio=0.1, after="continue"), lambda x64: hf_cosine(600, 0.1, 900), 900, STEPS),
]


@pytest.mark.parametrize("case", TORCH, ids=lambda c: c.id)
def test_equals_torch(case):
    assert_agree(case.policy, case.ctx, case.peer(True), case.count, F64)


def test_cosine_holds_the_floor_where_torch_rises_after_t_max():
    policy = ReduceCosine(unit="step", horizon=250, min_lr=1e-3)  # after="hold", the default
    theirs = torch_lrs(lambda S, o: S.CosineAnnealingLR(o, 250, 1e-3), 400)
    assert_agree(policy, STEPS, theirs[:250], 250, F64)
    lrs = ours(policy, STEPS, 400)
    assert lrs["hook"][250:] == lrs["curve"][250:] == [1e-3] * 150
    assert theirs[250] == 1e-3 and theirs[399] > 0.02  # torch: the floor at T_max, then back up


def test_cosine_continues_as_torchs_closed_form_where_its_recursion_drifts():
    """With eta_min > 0 and a long T_max, torch's recursive rise after T_max drifts from the
    cosine (the step from eta_min loses the digits of eta_min); torch's own closed form,
    step(epoch), does not, and neither does the policy."""
    torch = requires_extra("torch")
    t_max, eta = 4000, 0.01
    policy = ReduceCosine(unit="step", horizon=t_max, min_lr=eta, after="continue")
    stepped = torch_lrs(lambda S, o: S.CosineAnnealingLR(o, t_max, eta), 3 * t_max)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR0)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, t_max, eta)
    probes = range(0, 3 * t_max, 37)
    closed = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # step(epoch) is deprecated, and warns
        for t in probes:
            scheduler.step(t)
            closed.append(optimizer.param_groups[0]["lr"])
    lrs = ours(policy, TrainContext(initial_lr=LR0, total_epochs=1, steps_per_epoch=3 * t_max), 3 * t_max)
    for values in lrs.values():
        assert parity.relative_difference([values[t] for t in probes], closed) < 1e-14
        drift = parity.relative_difference(values, stepped)
        assert 1e-12 < drift < 1e-9  # torch's drift, measured: 2.8e-11
        assert parity.relative_difference(values[:t_max], stepped[:t_max]) < 1e-12  # down to T_max, none


@pytest.mark.parametrize("t_max, eta, unit", [(4000, 0.01, "step"), (250, 1e-3, "step"), (7, 0.02, "epoch"), (1, 0.0, "step")])
def test_after_torch_is_torchs_recursion_to_the_bit(t_max, eta, unit):
    count = 3 * t_max + 5
    theirs = torch_lrs(lambda S, o: S.CosineAnnealingLR(o, t_max, eta), count)
    ctx = TrainContext(initial_lr=LR0, total_epochs=count, steps_per_epoch=2) if unit == "epoch" else STEPS
    policy = ReduceCosine(unit=unit, horizon=t_max, min_lr=eta, after="torch")
    expected = per_update(theirs, ctx, count, unit)
    for path, values in ours(policy, ctx, count).items():
        assert values == expected, path  # drift included


def test_after_torch_refuses_what_torch_has_not_and_says_how_far_it_goes():
    with pytest.raises(ValueError, match="'torch' is torch's CosineAnnealingLR, which has no rate or exponent"):
        ReduceCosine(after="torch", exponent=2.0)
    policy = ReduceCosine(unit="step", horizon=10, after="torch")
    far = TrainContext(initial_lr=LR0, total_epochs=1, steps_per_epoch=1, global_step=2**24 + 1)
    with pytest.raises(ValueError, match="t = 16777217 is past 16,777,216; after='continue' gives the exact cosine at any t"):
        policy.evaluate(far)


def test_plain_exponential_decay_is_lr0_times_gamma_to_the_t_bit_for_bit():
    policy = ExponentialDecay(gamma=0.97)
    lrs = ours(policy, STEPS, 700)
    assert lrs["hook"] == [LR0 * 0.97**t for t in range(700)]  # Python's power, update by update
    assert lrs["curve"] == (LR0 * 0.97 ** np.arange(700)).tolist()  # numpy's, for the whole curve


# -- optax ------------------------------------------------------------------------------------------

def sequential_after(begin: int, policy):
    """optax's transition_begin: lr0 held for ``begin`` updates, then ``policy`` from its own t = 0."""
    return policy if begin <= 0 else Sequential(policies=(Constant(), policy), milestones=(begin,))


def optax_cosine(T, alpha, p, count):
    policy = ReduceCosine(unit="step", horizon=T, min_lr_ratio=alpha, exponent=p)
    return Case(f"cosine_decay_schedule-{T}-{alpha}-{p}", policy, lambda x64: optax_lrs(lambda o: o.cosine_decay_schedule(LR0, T, alpha, p), count, x64), count)


def optax_warmup_cosine(init, warmup, decay_steps, end, p, count=300):
    """warmup_cosine_decay_schedule: a ramp from init to lr0 (the peak) over ``warmup``, then the
    cosine down to ``end`` over the rest of ``decay_steps`` (which counts the warmup)."""
    policy = Warmup(duration=warmup, start_factor=init / LR0, policy=ReduceCosine(unit="step", horizon=decay_steps - warmup, min_lr=end, exponent=p))
    make = lambda o: o.warmup_cosine_decay_schedule(init, LR0, warmup, decay_steps, end, p)
    return Case(f"warmup_cosine_decay_schedule-{init}-{warmup}-{decay_steps}-{end}-{p}", policy, lambda x64: optax_lrs(make, count, x64), count)


def optax_poly(end, power, T, begin, count):
    policy = sequential_after(begin, ReducePoly(poly_power=power, unit="step", horizon=T, min_lr=end))
    return Case(f"polynomial_schedule-{end}-{power}-{T}-{begin}", policy, lambda x64: optax_lrs(lambda o: o.polynomial_schedule(LR0, end, power, T, begin), count, x64), count)


def optax_exponential(n, rate, begin=0, staircase=False, end=None, count=400):
    bound = {} if end is None else ({"max_lr": end} if rate > 1 else {"min_lr": end})
    policy = sequential_after(begin, ExponentialDecay(gamma=rate, every=n, staircase=staircase, **bound))
    make = lambda o: o.exponential_decay(LR0, n, rate, transition_begin=begin, staircase=staircase, end_value=end)
    return Case(f"exponential_decay-{n}-{rate}-{begin}-{staircase}-{end}", policy, lambda x64: optax_lrs(make, count, x64), count)


def optax_piecewise(kind, knots, count=160):
    boundaries, scales = zip(*sorted(knots.items()))
    policy = PiecewiseInterpolate(boundaries=boundaries, scales=scales, interpolation=kind)
    if kind == "constant":
        make = lambda o: o.piecewise_constant_schedule(LR0, knots)
    else:
        make = lambda o: o.piecewise_interpolate_schedule(kind, LR0, knots)
    return Case(f"piecewise-{kind}-{knots}", policy, lambda x64: optax_lrs(make, count, x64, compiled=True), count)


OPTAX = [
    optax_cosine(150, 0.0, 1.0, 200),
    optax_cosine(150, 0.1, 2.0, 200),
    optax_cosine(300, 0.05, 0.5, 350),
    optax_cosine(7, 0.2, 3.0, 20),
    optax_warmup_cosine(0.0, 30, 250, 0.0, 1.0),  # from exactly 0
    optax_warmup_cosine(0.0, 1, 100, 1e-3, 2.0),
    optax_warmup_cosine(LR0 / 20, 50, 280, 5e-3, 0.5),
    optax_poly(0.0, 1.0, 150, 0, 200),
    optax_poly(1e-3, 2.0, 120, 30, 200),
    optax_poly(0.02, 0.5, 100, 0, 150),
    optax_exponential(1, 0.99),
    optax_exponential(25, 0.5),
    optax_exponential(25, 0.5, staircase=True),
    optax_exponential(10, 0.7, begin=40, end=0.01),
    optax_exponential(10, 0.7, begin=40, staircase=True, end=0.01),
    optax_exponential(30, 1.5, end=0.4),  # growth, up to a ceiling
    optax_exponential(30, 1.5, begin=20, staircase=True, end=0.4),
    optax_exponential(30, 1.5, end=0.05),  # a ceiling below lr0: held from the start
    optax_piecewise("linear", {40: 0.5, 90: 0.1, 120: 3.0}),
    optax_piecewise("cosine", {40: 0.5, 90: 0.1, 120: 3.0}),
    optax_piecewise("constant", {40: 0.5, 90: 0.1, 120: 3.0}),
    optax_piecewise("linear", {-20: 0.5, 0: 0.8, 60: 0.1}),  # boundaries <= 0: passed by t = 0
    optax_piecewise("cosine", {-20: 0.5, 60: 0.1}),
    optax_piecewise("constant", {0: 0.5, 60: 0.0}),  # a scale of 0: the LR is 0 from 60 on
    optax_piecewise("linear", {1: 0.5, 2: 0.0, 100: 4.0}),
]
# linear_schedule is polynomial_schedule with power 1; a rising one (a warm-up) is LinearDecay's ramp.
OPTAX += [
    Case("linear_schedule-down", ReducePoly(poly_power=1.0, unit="step", horizon=120, min_lr=0.01),
         lambda x64: optax_lrs(lambda o: o.linear_schedule(LR0, 0.01, 120), 160, x64), 160),
    Case("linear_schedule-up", LinearDecay(start_factor=0.25, end_factor=1.0, duration=80),
         lambda x64: optax_lrs(lambda o: o.linear_schedule(LR0 / 4, LR0, 80), 160, x64), 160),
    # per epoch: the schedule called with the epoch as its count
    Case("cosine_decay_schedule-epochs", ReduceCosine(horizon=20, min_lr_ratio=0.1, exponent=2.0),
         lambda x64: optax_lrs(lambda o: o.cosine_decay_schedule(LR0, 20, 0.1, 2.0), 30, x64), 210, EPOCHS),
    Case("exponential_decay-epochs", ExponentialDecay(gamma=0.5, every=4, staircase=True, unit="epoch"),
         lambda x64: optax_lrs(lambda o: o.exponential_decay(LR0, 4, 0.5, staircase=True), 30, x64), 210, EPOCHS),
]


@pytest.mark.parametrize("case", OPTAX, ids=lambda c: c.id)
@pytest.mark.parametrize("x64", [True, False], ids=["float64", "float32"])
def test_equals_optax(case, x64):
    assert_agree(case.policy, case.ctx, case.peer(x64), case.count, F64 if x64 else F32)


# -- Keras ------------------------------------------------------------------------------------------

def keras_case(id, policy, make, count, ctx=RUN, peer_count=None):
    return Case(id, policy, lambda x64: keras_lrs(make, peer_count or count, x64), count, ctx)


KERAS = [
    keras_case("CosineDecay", ReduceCosine(unit="step", horizon=150), lambda S, lr: S.CosineDecay(lr(LR0), 150), 200),
    keras_case("CosineDecay-alpha", ReduceCosine(unit="step", horizon=150, min_lr_ratio=0.1), lambda S, lr: S.CosineDecay(lr(LR0), 150, alpha=0.1), 200),
    keras_case(
        "CosineDecay-warmup",
        Warmup(duration=30, start_factor=0.1, policy=ReduceCosine(unit="step", horizon=120, min_lr_ratio=0.05)),
        lambda S, lr: S.CosineDecay(lr(LR0 / 10), 120, alpha=0.05, warmup_target=lr(LR0), warmup_steps=30), 200,
    ),
    keras_case(
        "CosineDecay-warmup-from-0",
        Warmup(duration=40, start_factor=0.0, policy=ReduceCosine(unit="step", horizon=100)),
        lambda S, lr: S.CosineDecay(lr(0.0), 100, warmup_target=lr(LR0), warmup_steps=40), 200,
    ),
    keras_case("PolynomialDecay", ReducePoly(poly_power=1.0, unit="step", horizon=150, min_lr=1e-4), lambda S, lr: S.PolynomialDecay(lr(LR0), 150), 200),
    keras_case("PolynomialDecay-power", ReducePoly(poly_power=2.5, unit="step", horizon=90, min_lr=0.01), lambda S, lr: S.PolynomialDecay(lr(LR0), 90, 0.01, power=2.5), 200),
    keras_case("PolynomialDecay-cycle", ReducePoly(poly_power=1.0, unit="step", horizon=40, min_lr=1e-3, cycle=True), lambda S, lr: S.PolynomialDecay(lr(LR0), 40, 1e-3, cycle=True), 200),
    keras_case("PolynomialDecay-cycle-power", ReducePoly(poly_power=0.5, unit="step", horizon=25, cycle=True), lambda S, lr: S.PolynomialDecay(lr(LR0), 25, 0.0, power=0.5, cycle=True), 200),
    keras_case("ExponentialDecay", ExponentialDecay(gamma=0.9, every=10), lambda S, lr: S.ExponentialDecay(lr(LR0), 10, 0.9), 200),
    keras_case("ExponentialDecay-staircase", ExponentialDecay(gamma=0.5, every=30, staircase=True), lambda S, lr: S.ExponentialDecay(lr(LR0), 30, 0.5, staircase=True), 200),
    keras_case("PolynomialDecay-cycle-epochs", ReducePoly(poly_power=2.0, horizon=6, cycle=True), lambda S, lr: S.PolynomialDecay(lr(LR0), 6, 0.0, power=2.0, cycle=True), 210, ctx=EPOCHS, peer_count=30),
]


@pytest.mark.parametrize("case", KERAS, ids=lambda c: c.id)
@pytest.mark.parametrize("x64", [True, False], ids=["float64", "float32"])
def test_equals_keras(case, x64):
    assert_agree(case.policy, case.ctx, case.peer(x64), case.count, F64 if x64 else F32)


# -- edges, worked by hand ------------------------------------------------------------------------

def at(policy, steps, ctx=STEPS):
    return [policy.evaluate(replace(ctx, global_step=s, epoch=s // ctx.steps_per_epoch)) for s in steps]


def test_cosine_with_an_exponent_by_hand():
    # c(t) = (1 + cos(pi t / 4)) / 2 = 1, 0.8536, 0.5, 0.1464, 0; floor 0.01, lr = 0.01 + 0.09 * c ** 2
    policy = ReduceCosine(unit="step", horizon=4, min_lr_ratio=0.1, exponent=2.0)
    c = [(1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    assert at(policy, range(7)) == pytest.approx([0.01 + 0.09 * x**2 for x in c] + [0.01, 0.01], rel=1e-15)
    assert at(policy, [4, 1000]) == [0.1 * LR0] * 2  # the floor itself, min_lr_ratio * lr0


def test_poly_cycle_by_hand():
    # T = 3: 1, 2/3, 1/3, 0 at t = 3; then T = 6 from t = 4: 2/6, 1/6, 0; then T = 9 ...
    policy = ReducePoly(poly_power=1.0, unit="step", horizon=3, cycle=True)
    assert at(policy, range(10)) == pytest.approx([LR0 * x for x in (1, 2 / 3, 1 / 3, 0, 2 / 6, 1 / 6, 0, 2 / 9, 1 / 9, 0)], rel=1e-15, abs=0)


def test_exponential_growth_reaches_the_ceiling_exactly_and_never_overflows():
    policy = ExponentialDecay(gamma=1.1, max_lr=1.0)
    lrs = at(policy, [0, 1, 24, 25, 10**6, 2**53])
    assert lrs[:3] == [LR0, LR0 * 1.1, LR0 * 1.1**24] and LR0 * 1.1**24 < 1.0 < LR0 * 1.1**25
    assert lrs[3:] == [1.0, 1.0, 1.0]  # 1.1 ** 2**53 would overflow: the exponent stops past the ceiling
    values = curve(policy, TrainContext(initial_lr=LR0, total_epochs=1, steps_per_epoch=2**20))
    assert values[0] == LR0 and values[-1] == 1.0 and np.all(np.isfinite(values))


def test_exponential_floor_by_hand():
    policy = ExponentialDecay(gamma=0.5, min_lr_ratio=0.2)  # floor 0.02: 0.1, 0.05, 0.025, then 0.02
    assert at(policy, range(5)) == [0.1, 0.05, 0.025, 0.2 * LR0, 0.2 * LR0]


def test_piecewise_knots_by_hand():
    # knots (0, 1), (10, 0.5), (20, 0.05); cosine halfway between the last two: 0.05 + 0.45 / 2
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=30)
    cosine = PiecewiseInterpolate(boundaries=[10, 20], scales=[0.5, 0.1], interpolation="cosine")
    assert at(cosine, [0, 10, 15, 20, 29], ctx) == pytest.approx([1.0, 0.5, 0.275, 0.05, 0.05], rel=1e-15)
    linear = PiecewiseInterpolate(boundaries=[-10, 10], scales=[0.5, 0.1])  # at t = 0, halfway from 0.5 to 0.05
    assert at(linear, [0, 5, 10], ctx) == pytest.approx([0.275, 0.1625, 0.05], rel=1e-15)


# -- arguments that do not fit are config problems, at the argument -------------------------------

@pytest.mark.parametrize(
    "entry, json_path, code, message",
    [
        ({"name": "ExponentialDecay", "args": {"gamma": 1.05}}, "$.args.max_lr", "missing-argument", "a growing LR (gamma > 1) needs a ceiling"),
        ({"name": "ExponentialDecay", "args": {"gamma": 0.9, "max_lr": 1.0}}, "$.args.max_lr", "conflict", "a ceiling is for a growing LR"),
        ({"name": "ExponentialDecay", "args": {"gamma": 1.5, "max_lr": 1.0, "min_lr": 0.1}}, "$.args.min_lr", "conflict", "a floor is for a decaying LR"),
        ({"name": "ExponentialDecay", "args": {"gamma": 0.9, "min_lr": 0.1, "min_lr_ratio": 0.1}}, "$.args.min_lr_ratio", "conflict", "not both"),
        ({"name": "ExponentialDecay", "args": {"gamma": 0.9, "every": 0}}, "$.args.every", "out-of-range", "must be >= 1"),
        ({"name": "ReduceCosine", "args": {"after": "rise"}}, "$.args.after", "invalid-choice", "must be 'hold' or 'continue'"),
        ({"name": "ReduceCosine", "args": {"exponent": 0}}, "$.args.exponent", "out-of-range", "must be > 0"),
        ({"name": "ReduceCosine", "args": {"min_lr": 1e-3, "min_lr_ratio": 0.1}}, "$.args.min_lr_ratio", "conflict", "not both"),
        ({"name": "ReducePoly", "args": {"poly_power": 1, "horizon": 0}}, "$.args.horizon", "out-of-range", "must be >= 1"),
        ({"name": "ReducePoly", "args": {"poly_power": 1, "cycle": "yes"}}, "$.args.cycle", "wrong-type", "expected a boolean"),
        ({"name": "PiecewiseInterpolate", "args": {"boundaries": [10, 20], "scales": [0.5]}}, "$.args.scales", "wrong-count", "needs one scale per boundary: 2 boundaries, got 1 scales"),
        ({"name": "PiecewiseInterpolate", "args": {"boundaries": [20, 10], "scales": [0.5, 0.5]}}, "$.args.boundaries", "not-increasing", "strictly increasing"),
        ({"name": "PiecewiseInterpolate", "args": {"boundaries": [10], "scales": [-0.5]}}, "$.args.scales[0]", "out-of-range", "must be >= 0"),
        ({"name": "PiecewiseInterpolate", "args": {"boundaries": [10], "scales": [0.5], "interpolation": "cos"}}, "$.args.interpolation", "invalid-choice", "must be"),
        ({"name": "PiecewiseInterpolate", "args": {"boundaries": [1, 2], "scales": [1e200, 1e200]}}, "$.args.scales", "out-of-range", "multiply to more than a float holds"),
    ],
)
def test_a_bad_argument_is_a_problem_at_it(entry, json_path, code, message):
    problems = validate(entry, pointer="")
    assert [(p.json_path, p.code) for p in problems] == [(json_path, code)]
    assert message in problems[0].message
    with pytest.raises(ConfigError):
        build(entry)


def test_a_bad_argument_in_a_file_points_at_its_line(write):
    path = write("lr.yaml", "name: ExponentialDecay\nargs:\n  gamma: 1.02\n  min_lr: 0.001\n")
    problems = validate(path)
    assert [(p.line, p.json_path, p.code) for p in problems] == [(2, "$.args.max_lr", "missing-argument")]  # the args it is missing from
