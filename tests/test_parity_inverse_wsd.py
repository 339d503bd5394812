"""Parity of InverseSqrt, InverseTimeDecay and WarmupStableDecay with the peers' own schedules, at
every update (or epoch), through the hook and through lrpol.curve.

The mappings, also stated in the policies' docstrings (T: the run's length):
- HF get_scheduler("warmup_stable_decay", num_warmup_steps=W, num_training_steps=T,
  num_decay_steps=D, num_stable_steps=S, warmup_type, decay_type, min_lr_ratio=r, num_cycles=k)
  == WarmupStableDecay(warmup_duration=W, decay_duration=D, stable_duration=S, warmup_shape,
  decay_shape, min_lr_ratio=r, cosine_cycles=k, warmup_start_factor=r)
- HF get_scheduler("inverse_sqrt", num_warmup_steps=W, timescale=tau)
  == Warmup(duration=W, start_factor=0, policy=InverseSqrt(timescale=tau)) at every update (the
  warmup restarts the clock, as HF's shift does), and InverseSqrt(timescale=tau, hold=W) from W on
- timm WSDLRScheduler(t_initial, decay_t, lr_min, stable_fn, ..., decay_fn, ..., warmup_t,
  warmup_lr_init) == WarmupStableDecay(warmup_duration=warmup_t, decay_duration=decay_t,
  stable_duration=t_initial - decay_t, min_lr=lr_min, stable_shape=stable_fn, decay_shape=decay_fn,
  warmup_start_factor=warmup_lr_init / lr0), unit="epoch" for t_in_epochs=True
- Keras InverseTimeDecay(lr0, decay_steps, decay_rate, staircase) == InverseTimeDecay(decay_steps,
  decay_rate, staircase)
HF's LambdaLR and timm compute in float64: rel 1e-12. Keras computes in float32: rel 2e-7 (its
own rounding is 6e-8 a step, a few steps deep).
"""

from __future__ import annotations

import itertools
import math
import os

import numpy as np
import pytest
from conftest import examples, requires_extra
from hypothesis import given, settings
from hypothesis import strategies as st
from parity import assert_matches, lrpol_lrs, torch_lrs
from peers import timm_scheduler
from test_bound_speed_paths import check_in_order

from lrpol import ConfigError, InverseSqrt, InverseTimeDecay, TrainContext, Warmup, WarmupStableDecay, build, validate

LR0 = 0.1


def run(total: int, steps_per_epoch: int = 1) -> TrainContext:
    """A run of ``total`` epochs (updates, with the default one update an epoch)."""
    return TrainContext(initial_lr=LR0, total_epochs=total, steps_per_epoch=steps_per_epoch)


# -- Hugging Face: get_scheduler, its LambdaLR stepped once per update ------------------------------

def hf_lrs(name: str, count: int, **kwargs: object) -> list[float]:
    """The LR Hugging Face's scheduler ``name`` gives for each of ``count`` updates."""
    transformers = requires_extra("transformers")
    return torch_lrs(lambda optimizer: transformers.get_scheduler(name, optimizer, **kwargs), count, LR0)


HF_SHAPES = ["linear", "cosine", "1-sqrt"]
AFTER = 6  # updates compared past the end of the run


@pytest.mark.parametrize("warmup_shape, decay_shape", itertools.product(HF_SHAPES, HF_SHAPES))
@pytest.mark.parametrize("warmup, decay, total, min_lr_ratio", [(10, 30, 120, 0.0), (1, 1, 40, 0.1), (7, 100, 100, 0.05), (0, 13, 52, 0.0)])
def test_wsd_equals_hugging_face_from_the_run_length(warmup_shape, decay_shape, warmup, decay, total, min_lr_ratio):
    theirs = hf_lrs(
        "warmup_stable_decay", total + AFTER, num_warmup_steps=warmup, num_training_steps=total,
        scheduler_specific_kwargs={"num_decay_steps": decay, "warmup_type": warmup_shape, "decay_type": decay_shape, "min_lr_ratio": min_lr_ratio},
    )
    start = {"warmup_start_factor": min_lr_ratio} if warmup else {}
    policy = WarmupStableDecay(warmup_duration=warmup, decay_duration=decay, warmup_shape=warmup_shape, decay_shape=decay_shape, min_lr_ratio=min_lr_ratio, **start)
    assert_matches(lrpol_lrs(policy, run(4, total // 4), total + AFTER), theirs, 1e-12)  # T = total
    # The edges, read from HF's own list.
    floor = LR0 * min_lr_ratio
    assert theirs[total:] == [pytest.approx(floor, rel=1e-15, abs=0)] * AFTER  # after the run: the floor, held
    assert theirs[total - 1] > floor  # the last update still one step of the fall above it
    if warmup:
        assert theirs[0] == floor  # the warmup starts at the floor
    if total - decay >= warmup:  # (a decay longer than the rest starts under the warmup, as ours)
        assert theirs[warmup] == theirs[total - decay] == pytest.approx(LR0, rel=1e-15)  # the peak from W to the decay's first update


@pytest.mark.parametrize(
    "policy_args, hf_args, hf_total",
    [
        # num_stable_steps: the stable phase given, the run's length plays no part
        ({"warmup_duration": 5, "stable_duration": 20, "decay_duration": 10}, {"num_stable_steps": 20, "num_decay_steps": 10}, None),
        ({"warmup_duration": 5, "stable_duration": 0, "decay_duration": 10, "decay_shape": "linear"}, {"num_stable_steps": 0, "num_decay_steps": 10, "decay_type": "linear"}, None),
        # a horizon shorter than the run: the floor is held over the run's last updates
        ({"warmup_duration": 4, "decay_duration": 12, "horizon": 60}, {"num_decay_steps": 12}, 60),
        # more cosine waves than one fall
        ({"warmup_duration": 3, "decay_duration": 40, "horizon": 90, "cosine_cycles": 1.5, "min_lr_ratio": 0.2, "warmup_start_factor": 0.2},
         {"num_decay_steps": 40, "num_cycles": 1.5, "min_lr_ratio": 0.2}, 90),
        ({"warmup_duration": 8, "warmup_shape": "cosine", "decay_duration": 25, "horizon": 70, "cosine_cycles": 0.25}, {"num_decay_steps": 25, "warmup_type": "cosine", "num_cycles": 0.25}, 70),
    ],
)
def test_wsd_equals_hugging_face_with_a_stable_phase_horizon_or_cycles(policy_args, hf_args, hf_total):
    theirs = hf_lrs("warmup_stable_decay", 100, num_warmup_steps=policy_args["warmup_duration"], num_training_steps=hf_total, scheduler_specific_kwargs=hf_args)
    policy = WarmupStableDecay(**{"warmup_start_factor": 0.0, **policy_args})
    assert_matches(lrpol_lrs(policy, run(4, 25), 100), theirs, 1e-12)  # a run of 100 updates


@pytest.mark.parametrize("warmup, decay, stable", [(0.07, 0.2, None), (0.5, 0.5, None), (0.01, 13, None), (3, 0.1, 0.3), (0.1, 0.25, 20)])
def test_wsd_lengths_as_fractions_of_the_run_are_hugging_faces_rounded_up(warmup, decay, stable):
    total = 91

    def steps(length: float) -> int:  # as TrainingArguments.get_warmup_steps rounds a warmup_ratio
        return length if isinstance(length, int) else math.ceil(total * length)

    specific = {"num_decay_steps": steps(decay), **({} if stable is None else {"num_stable_steps": steps(stable)})}
    theirs = hf_lrs("warmup_stable_decay", total + AFTER, num_warmup_steps=steps(warmup), num_training_steps=total if stable is None else None, scheduler_specific_kwargs=specific)
    policy = WarmupStableDecay(warmup_duration=warmup, decay_duration=decay, stable_duration=stable, warmup_start_factor=0)
    assert_matches(lrpol_lrs(policy, run(7, 13), total + AFTER), theirs, 1e-12)


def test_wsd_per_epoch_is_hugging_faces_list_one_value_an_epoch():
    theirs = hf_lrs("warmup_stable_decay", 30, num_warmup_steps=3, num_training_steps=25, scheduler_specific_kwargs={"num_decay_steps": 6, "decay_type": "1-sqrt"})
    policy = WarmupStableDecay(warmup_duration=3, decay_duration=6, decay_shape="1-sqrt", warmup_start_factor=0, unit="epoch")
    assert_matches(lrpol_lrs(policy, run(25, 4), 30, per_epoch=True), theirs, 1e-12)


@pytest.mark.parametrize("warmup, timescale", [(0, None), (0, 37), (10, None), (10, 4), (10, 250), (1, None), (0.05, None)])
def test_inverse_sqrt_equals_hugging_face_with_its_warmup_from_zero(warmup, timescale):
    count = 450  # a run of 400 updates, and 50 after it
    steps = warmup if isinstance(warmup, int) else math.ceil(400 * warmup)
    theirs = hf_lrs("inverse_sqrt", count, num_warmup_steps=steps, scheduler_specific_kwargs={} if timescale is None else {"timescale": timescale})
    tau = timescale if timescale is not None else (steps or 10_000)  # HF's default
    policy = Warmup(duration=warmup, start_factor=0, policy=InverseSqrt(timescale=tau)) if warmup else InverseSqrt(timescale=tau)
    assert_matches(lrpol_lrs(policy, run(4, 100), count), theirs, 1e-12)
    # On the run's clock, held through the warmup, it is the same from update W on.
    assert_matches(lrpol_lrs(InverseSqrt(timescale=tau, hold=steps), run(4, 100), count)[steps:], theirs[steps:], 1e-12)
    assert theirs[0] == (0.0 if steps else LR0) and theirs[steps] == LR0  # from exactly 0 to the peak at W
    assert theirs[-1] < theirs[399]  # still falling after the run


def test_inverse_sqrt_per_epoch():
    policy = InverseSqrt(timescale=3, hold=2, unit="epoch")
    expected = [LR0 if e < 2 else LR0 / math.sqrt(1 + (e - 2) / 3) for e in range(8)]
    assert_matches(lrpol_lrs(policy, run(6, 5), 8, per_epoch=True), expected, 1e-15)


def test_noam_is_a_warmup_into_inverse_sqrt():
    # Attention Is All You Need: lr = d ** -0.5 * min(s ** -0.5, s * w ** -1.5), s = t + 1.
    d_model, w = 512, 40
    noam = [d_model**-0.5 * min(s**-0.5, s * w**-1.5) for s in range(1, 301)]
    peak = (d_model * w) ** -0.5
    policy = Warmup(duration=w - 1, policy=InverseSqrt(timescale=w))
    assert_matches(lrpol_lrs(policy, TrainContext(initial_lr=peak, total_epochs=3, steps_per_epoch=100)), noam, 1e-12)
    assert max(noam) == noam[w - 1] == pytest.approx(peak, rel=1e-15)


def test_t5_is_inverse_sqrt_held_for_its_timescale():
    k = 100
    t5 = [1 / math.sqrt(max(t, k)) for t in range(500)]
    policy = InverseSqrt(timescale=k, hold=k)
    assert_matches(lrpol_lrs(policy, TrainContext(initial_lr=1 / math.sqrt(k), total_epochs=5, steps_per_epoch=100)), t5, 1e-12)


# -- timm: WSDLRScheduler, stepped per update (step_update) or per epoch (step) ---------------------

def timm_lrs(count: int, per_epoch: bool = False, **kwargs: object) -> list[float]:
    """The LR timm's WSDLRScheduler puts in effect for each of ``count`` updates (or epochs): the
    value for t is set after t - 1 (at construction for t = 0)."""
    scheduler = timm_scheduler()
    clock = iter(range(1, count + 1))
    step = (lambda s: s.step(next(clock))) if per_epoch else (lambda s: s.step_update(next(clock)))
    return torch_lrs(lambda optimizer: scheduler.WSDLRScheduler(optimizer, t_in_epochs=per_epoch, **kwargs), count, LR0, per_update=step)


TIMM_DECAYS = [("linear", {}), ("1-sqrt", {}), ("cosine", {}), ("power", {"decay_power": 2.0}), ("power", {}), ("exp", {"decay_ratio": 0.05}), ("exp", {})]
TIMM_STABLES = [("constant", {}), ("rsqrt", {}), ("rsqrt", {"stable_timescale": 3.5}), ("power", {"stable_power": 0.3})]


def timm_wsd(stable, stable_args, decay_fn, decay_args, warmup_t, warmup_lr_init, t_initial, decay_t, lr_min, unit="step"):
    """(timm's keyword arguments, the WarmupStableDecay they map to): the shape arguments keep their names."""
    timm_args = {
        "t_initial": t_initial, "decay_t": decay_t, "lr_min": lr_min, "stable_fn": stable, "decay_fn": decay_fn,
        "warmup_t": warmup_t, "warmup_lr_init": warmup_lr_init, **stable_args, **decay_args,
    }
    ours = WarmupStableDecay(
        warmup_duration=warmup_t, decay_duration=decay_t, stable_duration=t_initial - decay_t, min_lr=lr_min,
        stable_shape=stable, decay_shape=decay_fn, unit=unit, **stable_args, **decay_args,
        **({"warmup_start_factor": warmup_lr_init / LR0} if warmup_t else {}),
    )
    return timm_args, ours


@pytest.mark.parametrize("decay_fn, decay_args", TIMM_DECAYS)
@pytest.mark.parametrize("stable, stable_args", TIMM_STABLES)
@pytest.mark.parametrize("warmup_t, warmup_lr_init, t_initial, decay_t, lr_min", [(6, 0.0, 60, 20, 0.0), (4, 0.01, 40, 40, 1e-3), (5, 0.002, 30, 1, 0.02)])
def test_wsd_equals_timm_per_update(stable, stable_args, decay_fn, decay_args, warmup_t, warmup_lr_init, t_initial, decay_t, lr_min):
    timm_args, policy = timm_wsd(stable, stable_args, decay_fn, decay_args, warmup_t, warmup_lr_init, t_initial, decay_t, lr_min)
    theirs = timm_lrs(warmup_t + t_initial + AFTER, **timm_args)
    assert_matches(lrpol_lrs(policy, run(3, 7), len(theirs)), theirs, 1e-12)  # T plays no part: the stable phase is given
    assert theirs[warmup_t + t_initial :] == [lr_min] * AFTER
    assert theirs[0] == warmup_lr_init


@pytest.mark.parametrize("decay_fn, decay_args", [("1-sqrt", {}), ("cosine", {}), ("exp", {})])
@pytest.mark.parametrize("stable, stable_args", [("constant", {}), ("rsqrt", {})])
def test_wsd_equals_timm_per_epoch(stable, stable_args, decay_fn, decay_args):
    timm_args, policy = timm_wsd(stable, stable_args, decay_fn, decay_args, 3, 0.0, 20, 5, 1e-4, unit="epoch")
    theirs = timm_lrs(25, per_epoch=True, **timm_args)
    assert_matches(lrpol_lrs(policy, run(23, 3), 25, per_epoch=True), theirs, 1e-12)


def test_wsd_without_warmup_equals_timm():
    theirs = timm_lrs(50, t_initial=40, decay_t=10)  # timm's defaults: no warmup, 1-sqrt decay to 0
    assert_matches(lrpol_lrs(WarmupStableDecay(decay_duration=10, decay_shape="1-sqrt"), run(4, 10), 50), theirs, 1e-12)


# -- Keras: InverseTimeDecay, float32 -----------------------------------------------------------------

def keras_lrs(count: int, **kwargs: object) -> list[float]:
    """Keras's InverseTimeDecay at t = 0 .. count - 1, as the float32 it computes."""
    requires_extra("torch")  # the backend Keras runs on here
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = requires_extra("keras")
    schedule = keras.optimizers.schedules.InverseTimeDecay(initial_learning_rate=LR0, **kwargs)
    return [float(keras.ops.convert_to_numpy(schedule(t))) for t in range(count)]


@pytest.mark.parametrize(
    "decay_steps, decay_rate, staircase",
    [(10, 0.5, False), (10, 0.5, True), (7, 2.0, True), (1, 0.01, False), (2.5, 1.0, True), (100, 0.0, False),
     (0.1, 1.0, True)],  # floor(t / s), where t // s is one less at every t > 0
)
def test_inverse_time_decay_equals_keras(decay_steps, decay_rate, staircase):
    theirs = keras_lrs(120, decay_steps=decay_steps, decay_rate=decay_rate, staircase=staircase)
    policy = InverseTimeDecay(decay_steps=decay_steps, decay_rate=decay_rate, staircase=staircase)
    assert_matches(lrpol_lrs(policy, run(6, 10), 120), theirs, 2e-7)  # 20 updates past the run
    assert np.float32(theirs[0]) == np.float32(LR0)


def test_inverse_time_decay_stairs_floor_the_quotient():
    # Keras's floor(t / s): 11 / 1.1 is 10.0 (t // s, the exact floor division, is 9.0). Keras's
    # float32 quotient rounds elsewhere (33 / 1.1 is 30 there, 29.999999999999996 in float64).
    policy = InverseTimeDecay(decay_steps=1.1, decay_rate=1.0, staircase=True)
    assert lrpol_lrs(policy, run(1, 23))[10:13] == [LR0 / 10, LR0 / 11, LR0 / 11]


def test_inverse_time_decay_per_epoch_equals_keras_read_per_epoch():
    theirs = keras_lrs(12, decay_steps=3, decay_rate=1.0, staircase=True)
    policy = InverseTimeDecay(decay_steps=3, decay_rate=1.0, staircase=True, unit="epoch")
    assert_matches(lrpol_lrs(policy, run(10, 4), 12, per_epoch=True), theirs, 2e-7)


# -- lrpol's own defaults and edges, by hand -----------------------------------------------------------

def test_wsd_default_warmup_never_runs_at_zero_and_meets_the_peak():
    policy = WarmupStableDecay(warmup_duration=4, decay_duration=5, decay_shape="linear")
    lrs = lrpol_lrs(policy, run(4, 5), 24)  # T = 20: the peak over updates 4 .. 15
    expected = [0.02, 0.04, 0.06, 0.08] + [0.1] * 12 + [0.08, 0.06, 0.04, 0.02] + [0.0] * 4  # the decay's first update at the peak
    assert_matches(lrs, expected, 1e-15)
    assert min(lrs[:20]) > 0  # no update of the run at LR 0


def test_wsd_shaped_default_warmup_starts_at_one_step_of_the_ramp():
    policy = WarmupStableDecay(warmup_duration=3, warmup_shape="cosine", decay_duration=2, stable_duration=1)
    # f0 = 1/4, then f0 + (1 - f0) * (1 - cos(pi t / 3)) / 2; the peak at 3 and 4; half the cosine at 5; 0
    expected = [0.025, 0.1 * (0.25 + 0.75 * 0.25), 0.1 * (0.25 + 0.75 * 0.75), 0.1, 0.1, 0.05, 0.0]
    assert_matches(lrpol_lrs(policy, run(1, 10), 7), expected, 1e-15)


def test_wsd_with_a_warmup_and_decay_longer_than_the_run_still_ends_the_decay_at_its_end():
    policy = WarmupStableDecay(warmup_duration=4, decay_duration=8, decay_shape="linear", warmup_start_factor=0)
    expected = [0.0, 0.025, 0.05, 0.075, 0.075, 0.0625, 0.05, 0.0375, 0.025, 0.0125, 0.0, 0.0, 0.0]  # the decay over updates 2 .. 9
    assert_matches(lrpol_lrs(policy, run(1, 10), 13), expected, 1e-15)  # T = 10 < 4 + 8


def test_wsd_with_a_decaying_stable_phase_stops_at_the_floor():
    policy = WarmupStableDecay(warmup_duration=1, stable_shape="power", stable_power=2.0, stable_timescale=1.0, decay_duration=2, stable_duration=10, min_lr=0.01)
    lrs = lrpol_lrs(policy, run(1, 20), 14)
    assert_matches(lrs[1:5], [0.1, 0.025, 0.1 / 9, 0.01], 1e-15)  # 0.1 * (1 + t - 1) ** -2 falls below 0.01 at t = 4
    assert lrs[11:] == [0.01] * 3


def test_wsd_fractions_are_of_the_phase_it_runs_in():
    # In the second half of a Sequential, 0.1 and 0.2 are of that half's 50 updates: 5 and 10.
    from lrpol import Constant, Sequential

    policy = Sequential(policies=(Constant(), WarmupStableDecay(warmup_duration=0.1, decay_duration=0.2, decay_shape="linear", warmup_start_factor=0)), milestones=(50,))
    lrs = lrpol_lrs(policy, run(1, 100))
    assert lrs[50:56] == pytest.approx([0.0, 0.02, 0.04, 0.06, 0.08, 0.1], rel=1e-15)
    assert lrs[89:] == pytest.approx([0.1, 0.1] + [0.1 * (10 - k) / 10 for k in range(1, 10)], rel=1e-15)


# -- the fast path the hook calls is the formula, bit for bit ----------------------------------------

def wsds() -> st.SearchStrategy[WarmupStableDecay]:
    def build_one(warmup, decay, stable, shapes, start, floor, unit):
        (warmup_shape, decay_shape, decay_args), (stable_shape, stable_args) = shapes
        if stable_shape != "constant" and not warmup:
            stable_args = {**stable_args, "stable_timescale": 2.5}
        return WarmupStableDecay(
            warmup_duration=warmup, decay_duration=decay, stable_duration=stable, warmup_shape=warmup_shape, decay_shape=decay_shape,
            stable_shape=stable_shape, unit=unit, warmup_start_factor=start if warmup else None, **floor, **decay_args, **stable_args,
        )

    shapes = st.tuples(
        st.tuples(st.sampled_from(HF_SHAPES), st.sampled_from(["linear", "cosine", "1-sqrt"]), st.just({}))
        | st.tuples(st.sampled_from(HF_SHAPES), st.just("cosine"), st.builds(dict, cosine_cycles=st.floats(0.1, 3.0)))
        | st.tuples(st.sampled_from(HF_SHAPES), st.just("power"), st.builds(dict, decay_power=st.floats(0.1, 4.0)))
        | st.tuples(st.sampled_from(HF_SHAPES), st.just("exp"), st.builds(dict, decay_ratio=st.floats(0.01, 0.9))),
        st.tuples(st.just("constant"), st.just({})) | st.tuples(st.just("rsqrt"), st.just({}))
        | st.tuples(st.just("power"), st.builds(dict, stable_power=st.floats(0.1, 3.0))),
    )
    fractions = st.sampled_from([0.05, 0.3, 0.5])
    return st.builds(
        build_one, st.integers(0, 30) | fractions, st.integers(1, 60) | fractions, st.none() | st.integers(0, 50) | fractions, shapes,
        st.none() | st.sampled_from([0.0, 0.3]), st.sampled_from([{}, {"min_lr": 0.01}, {"min_lr_ratio": 0.2}]), st.sampled_from(["step", "epoch"]),
    )


@settings(max_examples=examples(300), deadline=None)
@given(
    policy=wsds(), first=st.sampled_from([0, 0, 5]) | st.integers(0, 10**6), total=st.integers(1, 200),
    lr0=st.sampled_from([0.1, 1.0]) | st.floats(1e-6, 10.0),
    clocks=st.lists(st.integers(0, 300), min_size=1, max_size=30),
)
def test_wsd_bound_is_the_formula_bit_for_bit(policy, first, total, lr0, clocks):
    check_in_order(policy, first, total, lr0, [first + c for c in clocks] + [max(first - 3, 0), first + 10**7], [])


# -- invalid configs name the argument -----------------------------------------------------------------

@pytest.mark.parametrize(
    "entry, json_path, code",
    [
        ({"name": "WarmupStableDecay", "args": {"decay_duration": 10, "decay_shape": "linear", "cosine_cycles": 1.5}}, "$.args.cosine_cycles", "conflict"),
        ({"name": "WarmupStableDecay", "args": {"decay_duration": 10, "decay_power": 2}}, "$.args.decay_power", "conflict"),
        ({"name": "WarmupStableDecay", "args": {"decay_duration": 10, "stable_shape": "rsqrt"}}, "$.args.stable_timescale", "missing-argument"),
        ({"name": "WarmupStableDecay", "args": {"decay_duration": 10, "stable_timescale": 5}}, "$.args.stable_timescale", "conflict"),
        ({"name": "WarmupStableDecay", "args": {"decay_duration": 10, "stable_shape": "rsqrt", "stable_power": 0.3, "warmup_duration": 2}}, "$.args.stable_power", "conflict"),
        ({"name": "WarmupStableDecay", "args": {"decay_duration": 10, "warmup_start_factor": 0}}, "$.args.warmup_start_factor", "conflict"),
        ({"name": "WarmupStableDecay", "args": {"decay_duration": 10, "stable_duration": 5, "horizon": 100}}, "$.args.horizon", "conflict"),
        ({"name": "WarmupStableDecay", "args": {"decay_duration": 10, "min_lr": 0.1, "min_lr_ratio": 0.1}}, "$.args.min_lr_ratio", "conflict"),
        ({"name": "WarmupStableDecay", "args": {"decay_duration": 0}}, "$.args.decay_duration", "out-of-range"),
        ({"name": "WarmupStableDecay", "args": {"decay_duration": 10, "decay_shape": "exp", "decay_ratio": 1}}, "$.args.decay_ratio", "out-of-range"),
        ({"name": "WarmupStableDecay", "args": {"decay_duration": 10, "warmup_shape": "exp"}}, "$.args.warmup_shape", "invalid-choice"),
        ({"name": "WarmupStableDecay", "args": {"decay_duration": 10, "decay_shape": "sqrt"}}, "$.args.decay_shape", "invalid-choice"),
        ({"name": "InverseSqrt", "args": {"timescale": 0}}, "$.args.timescale", "out-of-range"),
        ({"name": "InverseSqrt", "args": {"timescale": 100, "hold": -1}}, "$.args.hold", "out-of-range"),
        ({"name": "InverseTimeDecay", "args": {"decay_steps": 0, "decay_rate": 0.5}}, "$.args.decay_steps", "out-of-range"),
        ({"name": "InverseTimeDecay", "args": {"decay_steps": 10, "decay_rate": -0.5}}, "$.args.decay_rate", "out-of-range"),
    ],
)
def test_an_invalid_config_is_a_problem_at_the_argument(entry, json_path, code):
    with pytest.raises(ConfigError) as info:
        build(entry)
    assert [(p.json_path, p.code) for p in info.value.problems] == [(json_path, code)]
    assert [(p.json_path, p.code) for p in validate(entry)] == [(json_path, code)]


def test_the_conflict_messages_say_what_to_do():
    with pytest.raises(ConfigError) as info:
        build({"name": "WarmupStableDecay", "args": {"decay_duration": 10, "stable_shape": "rsqrt"}})
    assert str(info.value) == (
        "<config>: $.args.stable_timescale: stable_shape 'rsqrt' needs a timescale; it defaults to warmup_duration, which is 0: give stable_timescale"
    )
