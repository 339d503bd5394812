"""Parity of Noise with timm's LR noise, and of lrpol.torch_generator with torch's CPU generator.

The mapping, also stated in Noise's docstring (T: the run's length in the policy's unit):
- timm Scheduler(noise_range_t=(a, b), noise_type, noise_pct, noise_std, noise_seed, t_in_epochs)
  == Noise(policy=<the scheduler without noise>, start=a, end=b, distribution=noise_type,
  limit=noise_pct, std=noise_std, seed=noise_seed, unit="epoch" if t_in_epochs else "step");
  noise_range_t=a == start=a with end past the run (end=None stops the noise at T).
- CosineLRScheduler(t_initial=T, lr_min=m)                   == ReduceCosine(min_lr=m) over a run of T
- CosineLRScheduler(t_initial=P, lr_min=m, cycle_limit=k)    == CosineRestarts(period=P, min_lr=m) for t < k * P
timm's LR at t is what ``step_update(t)`` (t_in_epochs=False) or ``step(t)`` sets; it is compared at
every update, through the hook and through lrpol.curve, at rel 1e-12 (timm computes in float64).
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from conftest import requires_extra
from parity import assert_matches
from peers import timm_scheduler

from lrpol import ConfigError, CosineRestarts, LRHook, Noise, ReduceCosine, ReduceOnPlateau, Sequential, TrainContext, Warmup, build, curve, validate
from lrpol.hook import drive
from lrpol.torch_generator import rand, randn, randn_within

torch = requires_extra("torch")

LR0 = 0.1
PER_UPDATE = TrainContext(initial_lr=LR0, total_epochs=10, steps_per_epoch=120)  # T = 1,200 updates
PER_EPOCH = TrainContext(initial_lr=LR0, total_epochs=100, steps_per_epoch=3)  # T = 100 epochs
# Seeds where torch's own handling of the seed matters: its low 32 bits alone seed the generator.
EDGE_SEEDS = [2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**32 + 7, 2**53 - 1, 2**53, 2**63 + 5, 2**64 - 1]


@pytest.fixture(scope="module")
def timm():
    return timm_scheduler()


def generator(seed: int):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


# -- the generator, against torch itself ---------------------------------------------------------


def test_rand_is_torch_rand_for_thousands_of_seeds():
    for seed in [*range(5000), *EDGE_SEEDS]:
        assert rand(seed) == torch.rand(1, generator=generator(seed)).item(), seed


def test_randn_draws_are_torchs_in_order_for_thousands_of_seeds():
    # Five draws: a pair (the second kept by the generator), the next pair, and one more.
    for seed in [*range(3000), *EDGE_SEEDS]:
        g = generator(seed)
        assert randn(seed, 5) == [torch.randn(1, generator=g).item() for _ in range(5)], seed


def test_many_draws_from_one_seed_run_on_past_the_generators_first_624_words():
    g = generator(7)
    assert randn(7, 700) == [torch.randn(1, generator=g).item() for _ in range(700)]


def test_a_negative_seed_wraps_as_torch_wraps_it():
    assert rand(-1) == rand(2**64 - 1) == torch.rand(1, generator=generator(-1)).item()


@pytest.mark.parametrize("pct, std", [(0.67, 1.0), (0.1, 1.0), (0.5, 0.1), (1.0, 100.0), (0.01, 1.0)])
def test_normal_noise_is_timms_for_thousands_of_seeds(timm, pct, std):
    # (1.0, 100.0): 0.8% of draws kept, so many t redraw past the generator's first 624 words.
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR0)
    theirs = timm.CosineLRScheduler(optimizer, t_initial=10, noise_pct=pct, noise_std=std, noise_seed=11)
    ours = Noise(limit=pct, std=std, seed=11)
    count = 400 if std / pct >= 100 else 3000
    for t in range(count):
        assert ours.noise(t) == theirs._calculate_noise(t), t


def test_uniform_noise_is_timms_for_thousands_of_seeds(timm):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR0)
    theirs = timm.CosineLRScheduler(optimizer, t_initial=10, noise_pct=0.4, noise_seed=3)
    theirs.noise_type = "uniform"  # an argument of PlateauLRScheduler only; the others keep it as this attribute
    ours = Noise(distribution="uniform", limit=0.4, seed=3)
    for t in range(5000):
        assert ours.noise(t) == theirs._calculate_noise(t), t


def test_a_hand_computed_draw():
    # The reference MT19937 seeded with 42 (C++'s std::mt19937(42)) first gives 1608637542, 0x5FE1DC66:
    # torch.rand keeps its low 24 bits, / 2**24.
    assert rand(42) == 0xE1DC66 / 2**24 == 0.8822692632675171
    assert randn_within(42, 1.0, 0.67) == randn(42, 1)[0] == 0.33669036626815796  # kept at once: |0.34| < 0.67


# -- Noise over timm's cosine, at every update ---------------------------------------------------


def timm_lrs(timm, per_epoch: bool, count: int, **kwargs) -> list[float]:
    """timm's LR for t = 0 .. count - 1: what step(t) (per epoch) or step_update(t) sets."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR0)
    noise_type = kwargs.pop("noise_type", "normal")
    scheduler = timm.CosineLRScheduler(optimizer, t_in_epochs=per_epoch, **kwargs)
    scheduler.noise_type = noise_type  # CosineLRScheduler takes no noise_type: its base class reads this attribute
    lrs = []
    for t in range(count):
        (scheduler.step if per_epoch else scheduler.step_update)(t)
        lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


def ours(policy, ctx: TrainContext, steps: int) -> tuple[list[float], list[float]]:
    """(the hook's LR at each update, lrpol.curve's) for a fresh run shaped like ``ctx``."""
    def fresh() -> TrainContext:  # (replace() would share the history dict)
        return TrainContext(initial_lr=ctx.initial_lr, total_epochs=ctx.total_epochs, steps_per_epoch=ctx.steps_per_epoch)

    hook = [lr for _, lr in drive(LRHook(policy, fresh(), lambda lr: None), steps)]
    return hook, curve(policy, fresh(), steps=steps).tolist()


def assert_close(found, expected):
    assert_matches(found, expected, 1e-12)


# (lrpol's noise arguments, timm's noise_range_t): end None is the run's end; timm's single number
# keeps the noise after the run, as an end past it does.
RANGES = [
    ({"start": 0}, (0, "T")),
    ({"start": 50, "end": 900}, (50, 900)),
    ({"start": 1, "end": 10**9}, 1),
    ({"start": 1000, "end": 1150}, (1000, 1150)),
]
NOISES = [
    {"distribution": "normal", "limit": 0.67, "std": 1.0, "seed": 42},
    {"distribution": "normal", "limit": 0.1, "std": 0.05, "seed": 12345},
    {"distribution": "normal", "limit": 0.3, "std": 2.0, "seed": 0},
    {"distribution": "uniform", "limit": 0.5, "seed": 7},
    {"distribution": "uniform", "limit": 1.0, "seed": 2**40},
]


def timm_noise(noise: dict, window, total: int) -> dict:
    """timm's keyword arguments for ``noise`` over ``window``."""
    if isinstance(window, tuple):
        window = tuple(total if bound == "T" else bound for bound in window)
    return {"noise_range_t": window, "noise_type": noise["distribution"], "noise_pct": noise["limit"], "noise_std": noise.get("std", 1.0), "noise_seed": noise["seed"]}


# Each noise over two of the windows, every window over two or three of the noises.
CASES = [(noise, *RANGES[(i + shift) % len(RANGES)]) for i, noise in enumerate(NOISES) for shift in (0, 2)]


@pytest.mark.parametrize("noise, window, timm_window", CASES, ids=[f"{n['distribution']}-{n['seed']}-{w}" for n, w, _ in CASES])
def test_noise_over_a_cosine_per_update_is_timms(timm, noise, window, timm_window):
    total, extra = 1200, 60  # and 60 updates after the run
    theirs = timm_lrs(timm, False, total + extra, t_initial=total, lr_min=1e-4, **timm_noise(noise, timm_window, total))
    policy = Noise(policy=ReduceCosine(unit="step", min_lr=1e-4), unit="step", **window, **noise)
    for found in ours(policy, PER_UPDATE, total + extra):
        assert_close(found, theirs)


@pytest.mark.parametrize("noise", NOISES[::2], ids=lambda n: f"{n['distribution']}-{n['seed']}")
@pytest.mark.parametrize("window, timm_window", [({"start": 0}, (0, "T")), ({"start": 10, "end": 80}, (10, 80)), ({"start": 5, "end": 10**6}, 5)], ids=str)
def test_noise_over_a_cosine_per_epoch_is_timms(timm, noise, window, timm_window):
    epochs, spe = 100, 3
    theirs = timm_lrs(timm, True, epochs + 5, t_initial=epochs, lr_min=0.0, **timm_noise(noise, timm_window, epochs))
    per_update = [theirs[step // spe] for step in range((epochs + 5) * spe)]
    policy = Noise(policy=ReduceCosine(unit="epoch"), unit="epoch", **window, **noise)
    for found in ours(policy, PER_EPOCH, (epochs + 5) * spe):
        assert_close(found, per_update)


@pytest.mark.parametrize("unit", ["step", "epoch"])
def test_noise_over_restarts_is_timms_over_cycles(timm, unit):
    per_epoch = unit == "epoch"
    ctx, total = (PER_EPOCH, 100) if per_epoch else (PER_UPDATE, 1200)
    period = 30 if per_epoch else 250
    theirs = timm_lrs(timm, per_epoch, total, t_initial=period, lr_min=1e-3, cycle_limit=total // period + 1, noise_range_t=(7, total - 3), noise_pct=0.2, noise_std=0.3, noise_seed=5)
    policy = Noise(policy=CosineRestarts(period=period, min_lr=1e-3, unit=unit), start=7, end=total - 3, limit=0.2, std=0.3, seed=5, unit=unit)
    steps = total * ctx.steps_per_epoch if per_epoch else total
    expected = [theirs[s // ctx.steps_per_epoch] for s in range(steps)] if per_epoch else theirs
    for found in ours(policy, ctx, steps):
        assert_close(found, expected)


@pytest.mark.parametrize("per_epoch", [False, True], ids=["per update", "per epoch"])
@pytest.mark.parametrize("fractions", [(0.07, 0.57), (0.3, 0.85), (0.5,)], ids=str)
def test_fractions_of_the_run_are_timms_fractions_of_t_initial(timm, per_epoch, fractions):
    # train.py's --lr-noise f0 f1: create_scheduler_v2 hands the scheduler f * t_initial (one
    # fraction: a single bound, the noise then never ends).
    ctx, total = (PER_EPOCH, 100) if per_epoch else (PER_UPDATE, 1200)
    bounds = [f * total for f in fractions]
    theirs = timm_lrs(timm, per_epoch, total, t_initial=total, noise_range_t=bounds if len(bounds) > 1 else bounds[0], noise_pct=0.4, noise_seed=21)
    unit = "epoch" if per_epoch else "step"
    window = {"start": fractions[0], "end": fractions[1] if len(fractions) > 1 else None}
    policy = Noise(policy=ReduceCosine(unit=unit), unit=unit, limit=0.4, seed=21, **window)
    steps = total * ctx.steps_per_epoch if per_epoch else total
    expected = [theirs[s // ctx.steps_per_epoch] for s in range(steps)] if per_epoch else theirs
    for found in ours(policy, ctx, steps):
        assert_close(found, expected)


def test_a_fraction_is_of_the_phase_the_noise_runs_in():
    # In the second phase of a Sequential, 8 updates long: 0.5 of it is 4 updates.
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=12)
    noise = Noise(start=0.5, distribution="uniform", limit=0.5, seed=3)
    policy = Sequential(policies=(ReduceCosine(unit="step"), noise), milestones=(4,))
    lrs = [policy.evaluate(replace(ctx, global_step=s)) for s in range(14)]
    assert lrs[4:] == [1.0] * 4 + [0.5 + rand(3 + t) for t in range(4, 8)] + [1.0, 1.0]
    assert curve(policy, TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=12), steps=14).tolist() == lrs


def test_a_count_and_a_fraction_that_leave_no_window_add_no_noise():
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=10)
    policy = Noise(start=6, end=0.5)  # end: 5 updates, before start
    assert [policy.evaluate(replace(ctx, global_step=s)) for s in range(12)] == [1.0] * 12


def test_timms_float_range_is_the_ceiling_of_its_bounds(timm):
    # create_scheduler_v2(noise=[0.07, 0.57]) hands the scheduler 0.07 * T and 0.57 * T: a t is in
    # [a, b) exactly when it is in [ceil(a), ceil(b)). 0.07 * 100 is 7.000000000000001: t = 7 has none.
    total = 100
    low, high = 0.07 * total, 0.57 * total
    assert (low, high, math.ceil(low), math.ceil(high)) == (7.000000000000001, 56.99999999999999, 8, 57)
    theirs = timm_lrs(timm, True, total, t_initial=total, noise_range_t=[low, high], noise_seed=9)
    policy = Noise(policy=ReduceCosine(), unit="epoch", start=math.ceil(low), end=math.ceil(high), seed=9)
    ctx = TrainContext(initial_lr=LR0, total_epochs=total, steps_per_epoch=1)
    for found in ours(policy, ctx, total):
        assert_close(found, theirs)
    assert theirs[7] == ReduceCosine().evaluate(replace(ctx, epoch=7, global_step=7)) != theirs[8]  # no noise at t = 7


# -- edges: first and last update, after the run, in composites ----------------------------------


def test_the_window_edges_and_after_the_run():
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=10)
    policy = Noise(start=3, distribution="uniform", limit=0.5, seed=100)
    lrs = [policy.evaluate(replace(ctx, global_step=s)) for s in range(13)]
    # lr0 * (1 + 2 * (u - 0.5) * 0.5) is 0.5 + u, u the draw for seed + t
    assert lrs == [1.0] * 3 + [0.5 + rand(100 + t) for t in range(3, 10)] + [1.0] * 3


def test_a_draw_beyond_the_limit_is_drawn_again():
    # seed 42 + 3: the first draw, -1.12 * 0.5, is beyond 0.1; the second (torch's kept sine) is kept
    first, second = randn(42 + 3, 2)
    assert abs(first * 0.5) >= 0.1 > abs(second * 0.5)
    assert Noise(limit=0.1, std=0.5).noise(3) == second * 0.5 == 0.031175758689641953 * 0.5


def test_in_a_sequential_the_noise_counts_t_from_its_phase():
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=8)
    noise = Noise(distribution="uniform", limit=0.5, seed=3)
    policy = Sequential(policies=(ReduceCosine(unit="step"), noise), milestones=(5,))
    lrs = [policy.evaluate(replace(ctx, global_step=s)) for s in range(10)]
    # the second phase runs from update 5 to the run's end (8): t = 0, 1, 2 there, none after
    assert lrs[5:] == [0.5 + rand(3 + t) for t in range(3)] + [1.0, 1.0]


def test_in_a_restarting_warmup_the_ramp_scales_the_noisy_lr_of_t_0():
    ctx = TrainContext(initial_lr=1.0, total_epochs=1, steps_per_epoch=8)
    policy = Warmup(duration=3, policy=Noise(distribution="uniform", limit=0.5, seed=3))
    lrs = [policy.evaluate(replace(ctx, global_step=s)) for s in range(6)]
    first = 0.5 + rand(3)  # the wrapped policy reads t = 0 during the ramp
    assert lrs == [first * 0.25, first * 0.5, first * 0.75, first, 0.5 + rand(4), 0.5 + rand(5)]


@pytest.mark.parametrize(
    "policy, epochs, steps_per_epoch",
    [
        (Warmup(duration=3, policy=Noise(distribution="uniform", limit=0.5, seed=3)), 1, 8),
        (Warmup(duration=2, unit="epoch", policy=Noise(unit="epoch", seed=3)), 3, 2),
        (Warmup(duration=2**53, unit="epoch", policy=Noise(unit="epoch", seed=3)), 2**53, 2**53),  # the phase starts past int64
    ],
)
@pytest.mark.parametrize("steps", [1, 2, 3, 7])
def test_a_curve_that_ends_inside_a_restarting_warmup_has_the_noise_of_t_0(policy, epochs, steps_per_epoch, steps):
    def ctx() -> TrainContext:
        return TrainContext(initial_lr=1.0, total_epochs=epochs, steps_per_epoch=steps_per_epoch)

    hook = [lr for _, lr in drive(LRHook(policy, ctx(), lambda lr: None), steps)]
    assert curve(policy, ctx(), steps=steps).tolist() == hook
    assert hook[0] != Warmup(duration=policy.duration, unit=policy.unit).evaluate(ctx())  # the ramp over lr0 with noise, not lr0


def test_noise_over_a_plateau_keeps_its_history_and_resumes_exactly():
    policy = Noise(policy=ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5), unit="epoch", seed=1)

    def ctx() -> TrainContext:
        return TrainContext(initial_lr=0.1, total_epochs=6, steps_per_epoch=2)

    metrics = [0.5, 0.5, 0.5, 0.6, 0.6, 0.6]
    whole = [lr for _, lr in drive(LRHook(policy, ctx(), lambda lr: None), 12, metrics)]
    assert curve(policy, ctx(), steps=12, metrics=metrics).tolist() == whole
    first = LRHook(policy, ctx(), lambda lr: None)
    lrs = [lr for _, lr in drive(first, 5, metrics)]
    resumed = LRHook(policy, ctx(), lambda lr: None)
    resumed.load_state_dict(first.state_dict())
    assert lrs + [lr for _, lr in drive(resumed, 12, metrics)] == whole
    reductions = [0, 0, 1, 2, 2, 3]  # the plateau's, after the result of each epoch before
    assert whole[::2] == [0.1 * 0.5 ** reductions[e] * (1 + Noise(unit="epoch", seed=1).noise(e)) for e in range(6)]


def test_without_steps_per_epoch_an_explicit_end_runs_and_none_says_what_is_missing():
    ctx = TrainContext(initial_lr=1.0, total_epochs=3)
    assert Noise(end=5, distribution="uniform", limit=0.5).evaluate(replace(ctx, global_step=4)) == 0.5 + rand(46)
    with pytest.raises(ValueError, match=r"^unit 'step' needs ctx\.steps_per_epoch"):
        Noise().evaluate(ctx)
    assert Noise(unit="epoch", distribution="uniform", limit=0.5).evaluate(replace(ctx, epoch=2)) == 0.5 + rand(44)


# -- arguments ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, json_path, code, message",
    [
        ({"start": 10, "end": 10}, "$.args.end", "out-of-range", "must be > start (10), got 10"),
        ({"start": 0.5, "end": 0.25}, "$.args.end", "out-of-range", "must be > start (0.5), got 0.25"),
        ({"end": 1.5}, "$.args.end", "wrong-type", "expected an integer >= 1, or a number > 0 and < 1 (that fraction of the run), or null, got 1.5"),
        ({"start": -0.5}, "$.args.start", "wrong-type", "expected an integer >= 0, or a number > 0 and < 1 (that fraction of the run), got -0.5"),
        ({"limit": 1.5}, "$.args.limit", "out-of-range", "must be > 0 and <= 1, got 1.5"),
        ({"limit": 0}, "$.args.limit", "out-of-range", "must be > 0 and <= 1, got 0"),
        ({"std": 0}, "$.args.std", "out-of-range", "must be > 0, got 0"),
        ({"limit": 0.01, "std": 2}, "$.args.std", "out-of-range",
         "must be <= 100 * limit (1) for 'normal' noise, got 2: each update draws until a draw lies within limit, and so few would"),
        ({"distribution": "gaussian"}, "$.args.distribution", "invalid-choice", "must be 'normal' or 'uniform', got \"gaussian\""),
        ({"start": -1}, "$.args.start", "out-of-range", "must be an integer >= 0, or a number > 0 and < 1 (that fraction of the run), got -1"),
        ({"seed": -1}, "$.args.seed", "out-of-range", "must be >= 0, got -1"),
    ],
)
def test_an_invalid_noise_is_a_clear_problem(args, json_path, code, message):
    entry = {"name": "Noise", "args": {"policy": {"name": "ReduceCosine"}, **args}}
    problems = validate(entry, pointer="")
    assert [(p.json_path, p.code, p.message) for p in problems] == [(json_path, code, message)]
    with pytest.raises(ConfigError):
        build(entry)


def test_a_wide_std_is_fine_for_uniform_noise():
    assert Noise(distribution="uniform", limit=0.01, std=2.0).std == 2.0
