"""Parity of the restarting schedules (CosineRestarts, TanhDecay) with every peer's cosine with
restarts, at every update (or epoch), through the hook and lrpol.curve (tests/parity.py).

The mapping (also in the policies' docstrings; lr0 = the peer's initial LR, T its run):
- torch CosineAnnealingWarmRestarts(T_0, T_mult, eta_min), a float T_mult set after construction
      == CosineRestarts(period=T_0, period_mult=T_mult, min_lr=eta_min, arithmetic="torch")
- timm CosineLRScheduler(t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit, k_decay, t_in_epochs)
      == CosineRestarts(period=t_initial, min_lr=lr_min, period_mult=cycle_mul, peak_decay=cycle_decay,
                        period_limit=cycle_limit, k_decay=k_decay, unit="epoch" if t_in_epochs else "step",
                        arithmetic="timm")
- timm TanhLRScheduler(t_initial, lb, ub, lr_min, cycle_mul, cycle_decay, cycle_limit)
      == TanhDecay(period=t_initial, lb=lb, ub=ub, min_lr=lr_min, period_mult=cycle_mul, peak_decay=cycle_decay,
                   period_limit=cycle_limit, arithmetic="timm")
- Hugging Face get_cosine_with_hard_restarts_schedule_with_warmup(W, T, num_cycles=c)
      == Warmup(duration=W, start_factor=0, policy=CosineRestarts(periods=c))     (no Warmup for W = 0)
- Hugging Face get_cosine_schedule_with_warmup(W, T, num_cycles=c)
      == Warmup(duration=W, start_factor=0, policy=CosineRestarts(periods=c, wave="full"))
- Keras CosineDecayRestarts(lr0, first_decay_steps, t_mul, m_mul, alpha)
      == CosineRestarts(period=first_decay_steps, period_mult=t_mul, amplitude_decay=m_mul, min_lr_ratio=alpha)

torch, timm and Hugging Face compute in float64: within 1e-12 relative (torch and timm to the bit,
their float arithmetic reproduced). Keras is compared in float64 (1e-12) and in its default
float32, at float32's precision.
"""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
import pytest
from conftest import requires_extra
from parity import assert_matches, lrpol_lrs, relative_difference, torch_lrs
from peers import timm_scheduler

from lrpol import CosineRestarts, ReduceCosine, TanhDecay, TrainContext, Warmup, validate

os.environ["KERAS_BACKEND"] = "torch"  # read when keras is first imported; torch is what CI installs

LR0 = 0.1


def run_of(updates: int, steps_per_epoch: int = 1) -> TrainContext:
    return TrainContext(initial_lr=LR0, total_epochs=-(-updates // steps_per_epoch), steps_per_epoch=steps_per_epoch)


# -- torch: a float T_mult, which torch accumulates in floats step by step --------------------------


def torch_warm_restarts(period: int, mult: float, eta_min: float = 0.0):
    """CosineAnnealingWarmRestarts with ``mult``: torch's constructor takes only an integer T_mult,
    so a float one is set afterwards, as code that needs one does; step() then multiplies T_i by it."""
    torch = requires_extra("torch")

    def make(optimizer):
        scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=period, T_mult=1, eta_min=eta_min)
        scheduler.T_mult = mult
        return scheduler

    return make


TORCH_CASES = [(1, 1.3, 0.0), (2, 1.5, 0.0), (5, 1.3, 1e-4), (10, 2.5, 0.0), (7, 1.1, 0.0), (3, 1.7, 1e-3), (100, 1.05, 0.0), (1000, 1.3, 0.0), (4, 2.0, 0.0)]


@pytest.mark.parametrize("period, mult, eta_min", TORCH_CASES)
def test_torch_with_a_float_t_mult_per_update(period, mult, eta_min):
    count = 6000
    theirs = torch_lrs(torch_warm_restarts(period, mult, eta_min), count, LR0)
    ours = lrpol_lrs(CosineRestarts(period=period, period_mult=mult, min_lr=eta_min, arithmetic="torch"), run_of(count, 100))
    assert_matches(ours, theirs, 1e-12)
    assert ours == theirs  # its roundings reproduced, to the bit


@pytest.mark.parametrize("period, mult", [(1, 1.3), (3, 1.5), (2, 2.5)])
def test_torch_with_a_float_t_mult_per_epoch(period, mult):
    epochs = 400
    theirs = torch_lrs(torch_warm_restarts(period, mult), epochs, LR0)
    ours = lrpol_lrs(CosineRestarts(period=period, period_mult=mult, unit="epoch", arithmetic="torch"), run_of(epochs * 3, 3), epochs, per_epoch=True)
    assert_matches(ours, theirs, 1e-12)


def test_torch_refuses_a_float_t_mult_in_its_constructor():
    torch = requires_extra("torch")
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR0)
    with pytest.raises(ValueError, match="Expected integer T_mult"):
        torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=5, T_mult=1.5)


def test_torchs_float_accumulation_drifts_from_the_exact_periods():
    # T_mult = 1.3: torch's T_i = 13.0, 16.900000000000002, ... while 10 * 1.3 ** i is 13, 16.9, ...;
    # its float T_cur drifts further. The exact default agrees to 1e-9 and restarts on the same
    # updates here; arithmetic="torch" is the one that reproduces torch.
    count = 6000
    theirs = torch_lrs(torch_warm_restarts(10, 1.3), count, LR0)
    exact = lrpol_lrs(CosineRestarts(period=10, period_mult=1.3), run_of(count, 100))
    assert 1e-12 < relative_difference(exact, theirs) < 1e-9
    assert_matches(exact, theirs, 1e-9)


# -- timm: CosineLRScheduler and TanhLRScheduler (its float logarithm places the periods) -----------


def timm_lrs(name: str, count: int, *, per_epoch: bool = False, **arguments) -> list[float]:
    """timm's LR for each update (step_update(t) before update t) or epoch (step(e)), from t = 0:
    built, a timm scheduler holds lr0 until its first step (see the test on TanhLRScheduler's first
    update), so t = 0 is stepped too."""
    cls = getattr(timm_scheduler(), name)
    clock = iter(range(10**6))
    step = (lambda s: s.step(next(clock))) if per_epoch else (lambda s: s.step_update(next(clock)))

    def make(optimizer):
        scheduler = cls(optimizer, t_in_epochs=per_epoch, **arguments)
        step(scheduler)
        return scheduler

    return torch_lrs(make, count, LR0, per_update=step)


def restarts_for_timm(cls: type, unit: str = "step", **arguments) -> CosineRestarts | TanhDecay:
    """lrpol's policy for timm's arguments (timm's own defaults where not given)."""
    names = {"t_initial": "period", "lr_min": "min_lr", "cycle_mul": "period_mult", "cycle_decay": "peak_decay", "cycle_limit": "period_limit"}
    mapped = {names.get(name, name): value for name, value in arguments.items()}
    mapped.setdefault("period_limit", 1)  # timm's default cycle_limit
    return cls(**mapped, unit=unit, arithmetic="timm")


TIMM_CASES = [
    {"t_initial": 10, "cycle_mul": 3, "cycle_limit": 100},  # timm's logarithm puts t = 1210 in period 4
    {"t_initial": 1, "cycle_mul": 10, "cycle_limit": 100},  # and t = 111 in period 2
    {"t_initial": 16, "cycle_mul": 1.5, "cycle_decay": 0.7, "lr_min": 1e-4, "cycle_limit": 100},  # and t = 211 in period 4
    {"t_initial": 7, "cycle_mul": 1.3, "cycle_limit": 100, "k_decay": 1.5},
    {"t_initial": 20, "cycle_mul": 2, "cycle_limit": 4, "lr_min": 1e-3, "cycle_decay": 0.5, "k_decay": 0.7},
    {"t_initial": 30, "cycle_decay": 0.8, "cycle_limit": 5},
    {"t_initial": 100},  # timm's defaults: one period, then lr_min
    {"t_initial": 40, "lr_min": 0.02, "cycle_limit": 3, "k_decay": 2.0},
]


@pytest.mark.parametrize("arguments", TIMM_CASES, ids=lambda a: "-".join(f"{k}{v}" for k, v in a.items()))
def test_timm_cosine_per_update(arguments):
    count = 3000
    theirs = timm_lrs("CosineLRScheduler", count, **arguments)
    ours = lrpol_lrs(restarts_for_timm(CosineRestarts, **arguments), run_of(count, 50))
    assert_matches(ours, theirs, 1e-12)


@pytest.mark.parametrize("arguments", TIMM_CASES[:3] + [{"t_initial": 25, "cycle_mul": 1.5, "cycle_decay": 0.5, "cycle_limit": 4, "lr_min": 1e-3}, {"t_initial": 200}])
@pytest.mark.parametrize("lb, ub", [(-7.0, 3.0), (-3.0, 1.0)])
def test_timm_tanh_per_update(arguments, lb, ub):
    count = 3000
    arguments = {key: value for key, value in arguments.items() if key != "k_decay"}
    theirs = timm_lrs("TanhLRScheduler", count, lb=lb, ub=ub, **arguments)
    ours = lrpol_lrs(restarts_for_timm(TanhDecay, lb=lb, ub=ub, **arguments), run_of(count, 50))
    assert_matches(ours, theirs, 1e-12)


@pytest.mark.parametrize("name, cls", [("CosineLRScheduler", CosineRestarts), ("TanhLRScheduler", TanhDecay)])
def test_timm_per_epoch(name, cls):
    epochs = 300
    arguments = {"t_initial": 5, "cycle_mul": 1.5, "cycle_decay": 0.9, "cycle_limit": 8, "lr_min": 1e-4}
    theirs = timm_lrs(name, epochs, per_epoch=True, **arguments)
    ours = lrpol_lrs(restarts_for_timm(cls, unit="epoch", **arguments), run_of(epochs * 4, 4), epochs, per_epoch=True)
    assert_matches(ours, theirs, 1e-12)


def test_timm_tanh_holds_lr0_until_its_first_step():
    # Built, a timm scheduler sets lr0 (its warmup's start, with one), and timm's training loop
    # steps it only after the first update: TanhLRScheduler's curve starts (1 - tanh(lb)) / 2 of the
    # way up (0.99999917 for lb = -7), so timm's first update runs 8.3e-7 above it. lrpol's runs on it.
    scheduler = timm_scheduler()
    updates = iter(range(1, 10**6))
    theirs = torch_lrs(lambda o: scheduler.TanhLRScheduler(o, t_initial=100, t_in_epochs=False), 3, LR0, per_update=lambda s: s.step_update(next(updates)))
    ours = lrpol_lrs(TanhDecay(period=100, period_limit=1, arithmetic="timm"), run_of(3))
    assert theirs[0] == LR0 and ours[0] == pytest.approx(LR0 * (1 - math.tanh(-7.0)) / 2, rel=1e-15)
    assert_matches(ours[1:], theirs[1:], 1e-12)


def test_timm_cosine_with_its_warmup():
    count = 800
    arguments = {"t_initial": 50, "cycle_mul": 2, "cycle_decay": 0.5, "cycle_limit": 4, "lr_min": 1e-4}
    theirs = timm_lrs("CosineLRScheduler", count, warmup_t=20, warmup_lr_init=1e-3, **arguments)
    policy = Warmup(duration=20, start_factor=1e-3 / LR0, ramp_to="lr0", clock="global", policy=restarts_for_timm(CosineRestarts, **arguments))
    assert_matches(lrpol_lrs(policy, run_of(count, 40)), theirs, 1e-12)


@pytest.mark.parametrize("t_initial, cycle_mul, late", [(1, 3, 121), (10, 10, 1110), (16, 1.5, 211)])
def test_timms_logarithm_puts_a_restart_an_update_late_which_the_exact_default_does_not(t_initial, cycle_mul, late):
    # Period 0 .. 4 of t_initial 1, cycle_mul 3 end at S_5 = (3 ** 5 - 1) / 2 = 121 exactly, and
    # log(243, 3) is 4.999999999999999: timm runs t = 121 at the end of period 4 (near lr_min).
    theirs = timm_lrs("CosineLRScheduler", late + 2, t_initial=t_initial, cycle_mul=cycle_mul, cycle_limit=100)
    exact = lrpol_lrs(CosineRestarts(period=t_initial, period_mult=cycle_mul), run_of(late + 2))
    assert theirs[late] < 1e-4 * LR0 and exact[late] == LR0  # the restart, on the update it falls on
    assert theirs[late + 1] == pytest.approx(exact[late + 1], rel=1e-12)  # both in the new period
    assert_matches(exact[:late], theirs[:late], 1e-12)
    timm_like = lrpol_lrs(CosineRestarts(period=t_initial, period_mult=cycle_mul, arithmetic="timm"), run_of(late + 2))
    assert timm_like == theirs


# -- Hugging Face: num_cycles periods over the run (hard restarts), or whole cosine waves -------------


def hf_lrs(name: str, total: int, cycles: float, count: int, warmup: int = 0) -> list[float]:
    transformers = requires_extra("transformers")
    schedule = getattr(transformers, name)
    return torch_lrs(lambda o: schedule(o, num_warmup_steps=warmup, num_training_steps=total, num_cycles=cycles), count, LR0)


HARD = "get_cosine_with_hard_restarts_schedule_with_warmup"
WAVES = "get_cosine_schedule_with_warmup"


@pytest.mark.parametrize("total, cycles", [(100, 3), (1000, 7), (999, 4), (2000, 3), (37, 5), (10, 3), (100, 1)])
def test_hugging_face_hard_restarts(total, cycles):
    # Periods of total / cycles updates, a whole number or not: HF gives 0 from T on; so does lrpol,
    # which holds where the last period ends.
    theirs = hf_lrs(HARD, total, cycles, total + 5)
    ours = lrpol_lrs(CosineRestarts(periods=cycles), run_of(total), total + 5)
    assert_matches(ours, theirs, 1e-12)
    assert ours[total:] == theirs[total:] == [0.0] * 5


def test_hugging_face_hard_restarts_with_a_fraction_of_a_cycle():
    # 2.5 cycles over 100 updates: the last period is cut at mid-fall. HF drops to 0 at T; lrpol
    # holds the value at T (the cosine halfway down).
    theirs = hf_lrs(HARD, 100, 2.5, 104)
    ours = lrpol_lrs(CosineRestarts(periods=2.5), run_of(100, 10), 104)
    assert_matches(ours[:100], theirs[:100], 1e-12)
    assert theirs[100:] == [0.0] * 4 and ours[100:] == [pytest.approx(LR0 / 2, rel=1e-15)] * 4


@pytest.mark.parametrize("warmup", [10, 0.1])
@pytest.mark.parametrize("name, wave", [(HARD, "half"), (WAVES, "full")])
def test_hugging_face_with_its_warmup_from_zero(warmup, name, wave):
    total = 200
    steps = warmup if warmup >= 1 else math.ceil(total * warmup)
    theirs = hf_lrs(name, total, 3, total, warmup=steps)
    ours = lrpol_lrs(Warmup(duration=warmup, start_factor=0, policy=CosineRestarts(periods=3, wave=wave)), run_of(total, 20))
    assert ours[0] == 0.0
    assert_matches(ours, theirs, 1e-12)


def test_hugging_face_with_a_training_length_of_its_own():
    # num_training_steps 300 in a run of 500 updates: horizon=300.
    theirs = hf_lrs(HARD, 300, 4, 500)
    ours = lrpol_lrs(CosineRestarts(periods=4, horizon=300), run_of(500, 25))
    assert_matches(ours, theirs, 1e-12)


#: Where a whole cosine wave passes through its trough between two updates, 1 + cos(x) cancels, so any
#: other order of the operations that make x moves the LR there by 1e-11 relative (at T = 999): lrpol
#: computes HF's phase as HF does.


@pytest.mark.parametrize("total, cycles", [(100, 1), (100, 1.5), (1000, 0.75), (999, 2), (2000, 7 / 16), (10, 3), (91, 0.5)])
def test_hugging_face_cosine_waves(total, cycles):
    theirs = hf_lrs(WAVES, total, cycles, total + 3)
    ours = lrpol_lrs(CosineRestarts(periods=cycles, wave="full"), run_of(total, 1), total + 3)
    assert ours[:total] == theirs[:total]  # its phase computed as it computes it: the same floats, troughs included
    # After T, HF's wave carries on; lrpol holds where it is at T.
    held = LR0 * (1 + math.cos(2 * math.pi * cycles)) / 2
    assert ours[total:] == [pytest.approx(held, rel=1e-12, abs=1e-18)] * 3
    assert theirs[total] == pytest.approx(held, rel=1e-12, abs=1e-18)


def test_hugging_face_half_a_wave_is_reduce_cosine():
    ours = lrpol_lrs(CosineRestarts(periods=0.5, wave="full"), run_of(90, 9))
    assert_matches(ours, lrpol_lrs(ReduceCosine(unit="step"), run_of(90, 9)), 1e-12)


# -- Keras: CosineDecayRestarts, in float64 and in its float32 ----------------------------------------


def keras_lrs(count: int, x64: bool, first_decay_steps: int, t_mul: float, m_mul: float, alpha: float) -> list[float]:
    """Keras's schedule at steps 0 .. count - 1 (torch backend), a step at a time as an optimizer
    calls it: in float64 with a float64 initial LR, else in float32, its default."""
    requires_extra("torch")  # the backend
    keras = requires_extra("keras")
    lr0 = np.array(LR0, dtype=np.float64) if x64 else LR0
    schedule = keras.optimizers.schedules.CosineDecayRestarts(lr0, first_decay_steps, t_mul=t_mul, m_mul=m_mul, alpha=alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = np.array([keras.ops.convert_to_numpy(schedule(step)) for step in range(count)])
    assert values.dtype == (np.float64 if x64 else np.float32)
    return values.astype(float).tolist()


KERAS_CASES = [(10, 2.0, 1.0, 0.0), (10, 2.0, 0.9, 0.1), (7, 1.5, 0.8, 0.0), (25, 1.0, 0.5, 0.05), (3, 3.0, 1.0, 0.0), (100, 1.3, 0.7, 0.01)]


def keras_policy(first_decay_steps: int, t_mul: float, m_mul: float, alpha: float) -> CosineRestarts:
    return CosineRestarts(period=first_decay_steps, period_mult=t_mul, amplitude_decay=m_mul, min_lr_ratio=alpha)


@pytest.mark.parametrize("case", KERAS_CASES)
def test_keras_in_float64(case):
    count = 1000
    assert_matches(lrpol_lrs(keras_policy(*case), run_of(count, 50)), keras_lrs(count, True, *case), 1e-12)


@pytest.mark.parametrize("case", KERAS_CASES)
def test_keras_in_float32(case):
    # float32 rounds completed_fraction = t / first_decay_steps to 2**-24 of itself: the LR then
    # agrees to lr0 * 2**-23 * max(1, t / first_decay_steps) (measured: at most 1.0 of that).
    count = 1000
    first_decay_steps = case[0]
    ours = lrpol_lrs(keras_policy(*case), run_of(count, 50))
    theirs = keras_lrs(count, False, *case)
    for t, (a, b) in enumerate(zip(ours, theirs)):
        assert math.isclose(a, b, rel_tol=1e-6, abs_tol=2 * LR0 * 2**-23 * max(1.0, t / first_decay_steps)), f"update {t}: {a!r} != {b!r}"


def test_keras_float32_logarithm_puts_a_restart_an_update_late():
    # first_decay_steps 2, t_mul 1.5: periods 2 and 3 end at t = 5 exactly; Keras's float32
    # log(2.25) / log(1.5) (torch backend) is just under 2, so it runs t = 5 at the end of period 1,
    # at alpha * lr0. lrpol restarts there. Which updates a float32 logarithm misplaces depends on
    # the backend's rounding, so there is no arithmetic to reproduce it.
    theirs = keras_lrs(8, False, 2, 1.5, 1.0, 0.0)
    ours = lrpol_lrs(keras_policy(2, 1.5, 1.0, 0.0), run_of(8))
    assert theirs[5] == 0.0 and ours[5] == LR0
    assert_matches(ours[:5] + ours[6:], theirs[:5] + theirs[6:], 1e-6)
    assert keras_lrs(8, True, 2, 1.5, 1.0, 0.0)[5] == LR0  # in float64 Keras restarts there too


def test_keras_m_mul_scales_the_height_above_the_floor_timms_cycle_decay_the_peak():
    # amplitude_decay (Keras's m_mul): floor + (lr0 - floor) * 0.5 ** i at each restart;
    # peak_decay (timm's cycle_decay): floor + (lr0 * 0.5 ** i - floor).
    run = run_of(40)
    starts = [0, 10, 30]
    keras_like = lrpol_lrs(CosineRestarts(period=10, period_mult=2, amplitude_decay=0.5, min_lr_ratio=0.2), run)
    timm_like = lrpol_lrs(CosineRestarts(period=10, period_mult=2, peak_decay=0.5, min_lr_ratio=0.2), run)
    assert [keras_like[t] for t in starts] == pytest.approx([0.1, 0.02 + 0.08 * 0.5, 0.02 + 0.08 * 0.25], rel=1e-15)
    assert [timm_like[t] for t in starts] == pytest.approx([0.1, 0.05, 0.025], rel=1e-15)


# -- by hand, and invalid configs -------------------------------------------------------------------


def test_growing_periods_by_hand():
    # period 2, times 1.5: periods of 2, 3, 4.5 from S = 0, 2, 5, 9.5; t = 10 is 0.5 into period 3
    # (a restart between updates: its first update is the first after 9.5), of length 6.75.
    ours = lrpol_lrs(CosineRestarts(period=2, period_mult=1.5), run_of(11))
    c = lambda x: LR0 * (1 + math.cos(math.pi * x)) / 2
    expected = [c(0), c(1 / 2), c(0), c(1 / 3), c(2 / 3), c(0), c(1 / 4.5), c(2 / 4.5), c(3 / 4.5), c(4 / 4.5), c(0.5 / 6.75)]
    assert ours == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    "name, arguments, json_path, code, message",
    [
        ("CosineRestarts", {"period": 10, "periods": 3}, "$.args.periods", "conflict", "give period (the first period's length) or periods (how many fit in the run), not both"),
        ("CosineRestarts", {}, "$.args.period", "missing-argument", "give period (the first period's length, in unit) or periods (how many fit in the run)"),
        ("CosineRestarts", {"period": 10, "period_mult": 1.001}, "$.args.period_mult", "out-of-range", "must be 1 or at least 1.01, got 1.001"),
        ("CosineRestarts", {"periods": 3, "arithmetic": "timm"}, "$.args.arithmetic", "conflict", "'timm' reproduces a peer whose first period is a whole number of updates: give period, not periods"),
        ("CosineRestarts", {"period": 10, "wave": "quarter"}, "$.args.wave", "invalid-choice", "must be 'half' or 'full', got \"quarter\""),
        ("TanhDecay", {"period": 10, "lb": 2.0, "ub": 1.0}, "$.args.ub", "out-of-range", "must be above lb (2.0), got 1.0"),
        ("TanhDecay", {"periods": 0}, "$.args.periods", "out-of-range", "must be >= 1e-09 and <= 65536, got 0"),
    ],
)
def test_an_invalid_config_is_a_clear_problem(name, arguments, json_path, code, message):
    (problem,) = validate({"name": name, "args": arguments}, pointer="")
    assert (problem.json_path, problem.code, problem.message) == (json_path, code, message)
