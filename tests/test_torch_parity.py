"""Parity with torch.optim.lr_scheduler where the math is the same, over 1,000+ updates or epochs.

The mapping, also stated in the policies' docstrings:
- DecayOnStep(r, f)        == StepLR(step_size=f, gamma=r), stepped per update
- ReducePoly(p)            == PolynomialLR(total_iters=E, power=p), stepped per epoch
- ReduceCosine(0.5)        == CosineAnnealingLR(T_max=E), stepped per epoch, up to e = E
- ReduceOnPlateau(t, r, …) == ReduceLROnPlateau(patience=t - 1, factor=r, eps=0, threshold_mode="rel", …)
torch computes recursively, so its values differ from the closed forms in the last bits: compare at rel 1e-12.
"""

import random
from dataclasses import replace

import pytest
from conftest import requires_extra

from lrpol import DecayOnStep, ReduceCosine, ReduceOnPlateau, ReducePoly, TrainContext

torch = requires_extra("torch")
from torch.optim import lr_scheduler  # noqa: E402

LR0 = 0.1


def torch_lrs(make_scheduler, steps, after_each=None):
    """The LR torch gives for each of `steps` updates (or epochs)."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR0)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for i in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if after_each is None:
            scheduler.step()
        else:
            after_each(scheduler, i)
    return lrs


def assert_close(ours, theirs):
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-300), f"index {i}: {a!r} != {b!r}"


@pytest.mark.parametrize("ratio, freq", [(0.5, 3), (0.9, 7), (0.97, 1), (1.0, 5)])
def test_decay_on_step_equals_step_lr(ratio, freq):
    steps = 1200
    policy = DecayOnStep(decay_ratio=ratio, decay_freq=freq)
    ctx = TrainContext(initial_lr=LR0, total_epochs=1)
    ours = [policy.evaluate(replace(ctx, global_step=s)) for s in range(steps)]
    assert_close(ours, torch_lrs(lambda opt: lr_scheduler.StepLR(opt, step_size=freq, gamma=ratio), steps))


@pytest.mark.parametrize("power", [0.9, 1.0, 2.0])
def test_reduce_poly_equals_polynomial_lr(power):
    epochs = 1000
    policy = ReducePoly(poly_power=power)
    ctx = TrainContext(initial_lr=LR0, total_epochs=epochs)
    ours = [policy.evaluate(replace(ctx, epoch=e)) for e in range(epochs + 5)]
    theirs = torch_lrs(lambda opt: lr_scheduler.PolynomialLR(opt, total_iters=epochs, power=power), epochs + 5)
    assert_close(ours, theirs)


def test_reduce_cosine_equals_cosine_annealing_up_to_the_horizon():
    epochs = 1000
    policy = ReduceCosine(rate=0.5)
    ctx = TrainContext(initial_lr=LR0, total_epochs=epochs)
    ours = [policy.evaluate(replace(ctx, epoch=e)) for e in range(epochs + 1)]
    theirs = torch_lrs(lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=epochs), epochs + 1)
    # At e = E both are 0 up to rounding (torch leaves ~1e-19); compare the rest relatively.
    assert_close(ours[:-1], theirs[:-1])
    assert ours[-1] == 0.0 and abs(theirs[-1]) < 1e-15


def test_reduce_cosine_holds_zero_where_torch_rises_again():
    epochs = 10
    policy = ReduceCosine()
    ctx = TrainContext(initial_lr=LR0, total_epochs=epochs)
    theirs = torch_lrs(lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=epochs), 15)
    assert theirs[11] > 0.002  # the trap: torch goes back up past T_max
    assert [policy.evaluate(replace(ctx, epoch=e)) for e in range(11, 15)] == [0.0] * 4


def plateau_pair(metrics, *, trigger, rate, mode, threshold=0.0, min_lr=0.0, cooldown=0):
    policy = ReduceOnPlateau(plateau_count_trigger=trigger, reduction_rate=rate, mode=mode, threshold=threshold, min_lr=min_lr, cooldown=cooldown)
    ctx = TrainContext(initial_lr=LR0, total_epochs=len(metrics))
    ours = []
    for metric in metrics:
        ours.append(policy.evaluate(ctx))
        ctx.metric, ctx.metric_count = metric, ctx.metric_count + 1
    theirs = torch_lrs(
        lambda opt: lr_scheduler.ReduceLROnPlateau(
            opt, mode=mode, factor=rate, patience=trigger - 1, threshold=threshold, threshold_mode="rel", cooldown=cooldown, min_lr=min_lr, eps=0.0
        ),
        len(metrics),
        after_each=lambda scheduler, i: scheduler.step(metrics[i]),
    )
    return ours, theirs


@pytest.mark.parametrize("seed", range(6))
def test_reduce_on_plateau_equals_torch_on_positive_metrics(seed):
    rng = random.Random(seed)
    mode = rng.choice(["min", "max"])
    # A noisy, mostly flat metric, so reductions, cooldowns and new bests all happen.
    metrics = [round(rng.uniform(0.5, 1.0), 3) for _ in range(1000)]
    ours, theirs = plateau_pair(
        metrics, trigger=rng.randint(1, 6), rate=rng.choice([0.1, 0.5, 0.9]), mode=mode,
        threshold=rng.choice([0.0, 0.01, 0.05]), min_lr=rng.choice([0.0, 1e-6]), cooldown=rng.randint(0, 3),
    )
    assert_close(ours, theirs)
    assert len(set(ours)) > 3  # the comparison exercised several reductions


def test_torch_never_reduces_on_a_flat_negative_metric_and_we_do():
    ours, theirs = plateau_pair([-1.0] * 20, trigger=2, rate=0.5, mode="max", threshold=0.1)
    assert set(theirs) == {LR0}  # pytorch #47513
    assert ours[:6] == [0.1, 0.1, 0.1, 0.05, 0.05, 0.025]
