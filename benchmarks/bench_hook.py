"""Cost of one LR update: an attached lrpol hook against torch's schedulers, in the same run.

    python benchmarks/bench_hook.py [--steps 200000] [--repeat 7] [--quick]

For each policy it times `hook.step()` of `lrpol.integrations.torch.attach` on SGD with one
param group, and for the torch equivalents `scheduler.step()` on the same kind of
optimizer. Times are the best of --repeat runs, in µs per call. It also times
`lrpol.curve` over 1,000,000 updates. --quick runs everything once at tiny sizes, in
seconds: a smoke test that CI runs so the script cannot rot; its figures mean nothing.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import torch
from torch.optim import lr_scheduler

import lrpol
from lrpol.integrations.torch import attach

HORIZON = 10**9  # long enough that no run reaches the end of the schedule


def per_call_us(call: Callable[[], object], steps: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(steps):
            call()
        best = min(best, (time.perf_counter() - start) / steps)
    return best * 1e6


def optimizer() -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200_000, help="calls per timing")
    parser.add_argument("--repeat", type=int, default=7, help="timings per figure; the best is shown")
    parser.add_argument("--quick", action="store_true", help="smoke run in seconds: 1,000 calls, one timing, a 10,000-update curve; the figures mean nothing")
    options = parser.parse_args(argv)
    if options.quick:
        options.steps, options.repeat = 1000, 1
    epochs, updates_per_epoch = (10, 1000) if options.quick else (100, 10_000)
    ctx = lambda: lrpol.TrainContext(initial_lr=0.1, total_epochs=HORIZON, steps_per_epoch=1000)
    pairs = [
        ("DecayOnStep", lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=1000), "StepLR", lambda o: lr_scheduler.StepLR(o, step_size=1000, gamma=0.5)),
        ("ReduceCosine", lrpol.ReduceCosine(), "CosineAnnealingLR", lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=HORIZON)),
        ("ReducePoly", lrpol.ReducePoly(poly_power=0.9), "PolynomialLR", lambda o: lr_scheduler.PolynomialLR(o, total_iters=HORIZON, power=0.9)),
        ("ReduceOnPlateau", lrpol.ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5), None, None),
        ("MultiStepDecay", lrpol.MultiStepDecay(milestones=(10**6, 2 * 10**6), gamma=0.1), "MultiStepLR", lambda o: lr_scheduler.MultiStepLR(o, milestones=[10**6, 2 * 10**6], gamma=0.1)),
        ("ExponentialDecay", lrpol.ExponentialDecay(gamma=0.999999), "ExponentialLR", lambda o: lr_scheduler.ExponentialLR(o, gamma=0.999999)),
        ("Constant", lrpol.Constant(factor=0.5, duration=10**8), "ConstantLR", lambda o: lr_scheduler.ConstantLR(o, factor=0.5, total_iters=10**8)),
        ("LinearDecay", lrpol.LinearDecay(duration=10**8), "LinearLR", lambda o: lr_scheduler.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=10**8)),
        ("CosineRestarts", lrpol.CosineRestarts(period=1000, period_mult=2), "CosineAnnealingWarmRestarts", lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=1000, T_mult=2)),
        ("OneCycle", lrpol.OneCycle(), "OneCycleLR", lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=HORIZON)),
        # The LR alone: torch's momentum cycle (cycle_momentum) is a second schedule, CyclicMomentum.
        ("Cyclic", lrpol.Cyclic(step_size_up=2000, min_lr=0.01), "CyclicLR", lambda o: lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2000, cycle_momentum=False)),
        ("Warmup", lrpol.Warmup(duration=10**8, policy=lrpol.ReduceCosine(unit="step")), "SequentialLR", lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o, start_factor=0.01, total_iters=10**8), lr_scheduler.CosineAnnealingLR(o, T_max=HORIZON)], milestones=[10**8])),
        ("Sequential", lrpol.Sequential(policies=(lrpol.Constant(), lrpol.ReduceCosine(unit="step")), milestones=(10**8,)), "SequentialLR", lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ConstantLR(o, factor=1.0, total_iters=10**8), lr_scheduler.CosineAnnealingLR(o, T_max=HORIZON)], milestones=[10**8])),
        # The same composites once their first phase is over (a run's most updates), milestone at 1.
        ("Warmup, after", lrpol.Warmup(duration=1, policy=lrpol.ReduceCosine(unit="step")), "SequentialLR", lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o, start_factor=0.01, total_iters=1), lr_scheduler.CosineAnnealingLR(o, T_max=HORIZON)], milestones=[1])),
        ("Sequential, 2nd", lrpol.Sequential(policies=(lrpol.Constant(), lrpol.ReduceCosine(unit="step")), milestones=(1,)), "SequentialLR", lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ConstantLR(o, factor=1.0, total_iters=1), lr_scheduler.CosineAnnealingLR(o, T_max=HORIZON)], milestones=[1])),
    ]
    warnings.simplefilter("ignore")  # torch warns when a scheduler steps before any optimizer.step()
    print(f"µs per call, best of {options.repeat} x {options.steps:,} calls (SGD, 1 param group, torch {torch.__version__})")
    print(f"{'lrpol policy':<16} {'hook.step()':>11}   {'torch scheduler':<27} {'.step()':>8}   ratio")
    for name, policy, torch_name, make in pairs:
        ours = per_call_us(attach(optimizer(), policy, ctx()).step, options.steps, options.repeat)
        if make is None:
            print(f"{name:<16} {ours:>11.3f}   {'(no per-update torch equivalent)':<30}")
            continue
        theirs = per_call_us(make(optimizer()).step, options.steps // 4, options.repeat)
        print(f"{name:<16} {ours:>11.3f}   {torch_name:<27} {theirs:>8.3f}   {ours / theirs:.2f}x torch's time")
    # What each level of nesting adds: a cosine, in a Warmup (after its ramp), in a Sequential, in another.
    nested: lrpol.LRPolicy = lrpol.ReduceCosine(unit="step")
    previous = None
    for depth, wrap in enumerate([lambda p: p, lambda p: lrpol.Warmup(duration=1, policy=p), lambda p: lrpol.Sequential(policies=(p,), milestones=()), lambda p: lrpol.Sequential(policies=(p,), milestones=())]):
        nested = wrap(nested)
        hook = attach(optimizer(), nested, ctx())
        hook.step()
        ours = per_call_us(hook.step, options.steps, options.repeat)
        added = "" if previous is None else f"   +{ours - previous:.3f} for this level"
        print(f"{'nesting ' + str(depth):<16} {ours:>11.3f}   {type(nested).__name__ + ' outermost':<27}{added}")
        previous = ours
    # Trees that keep history (a plateau in them) run through run_in: a plateau over a cosine, in a
    # Warmup (after its ramp), and in the second phase of a Sequential.
    plateau = lrpol.ReduceOnPlateau(plateau_count_trigger=10**9, reduction_rate=0.5, policy=lrpol.ReduceCosine(unit="step"))
    for name, tree in (
        ("plateau(cosine)", plateau),
        ("Warmup(plateau)", lrpol.Warmup(duration=1, policy=plateau)),
        ("Seq(., plateau)", lrpol.Sequential(policies=(lrpol.ReduceCosine(unit="step"), plateau), milestones=(1,))),
    ):
        hook = attach(optimizer(), tree, ctx())
        hook.step()
        print(f"{name:<16} {per_call_us(hook.step, options.steps, options.repeat):>11.3f}   (no per-update torch equivalent)")
    # A validation result: report_metric against ReduceLROnPlateau.step(metric), same flat metric.
    hook = attach(optimizer(), lrpol.ReduceOnPlateau(plateau_count_trigger=10**9, reduction_rate=0.5), ctx())
    plateau = lr_scheduler.ReduceLROnPlateau(optimizer(), mode="max", patience=10**9)
    ours = per_call_us(lambda: hook.report_metric(0.5), options.steps, options.repeat)
    theirs = per_call_us(lambda: plateau.step(0.5), options.steps, options.repeat)
    print(f"{'report_metric()':<16} {ours:>11.3f}   {'ReduceLROnPlateau':<27} {theirs:>8.3f}   {ours / theirs:.2f}x torch's time")
    run = lrpol.TrainContext(initial_lr=0.1, total_epochs=epochs, steps_per_epoch=updates_per_epoch)
    metrics = [0.5] * epochs
    for name, policy, *_ in pairs[:4]:  # the four Clara policies
        lrpol.curve(policy, run, metrics=metrics)  # warm up numpy
        best = min(_timed(lrpol.curve, policy, run, metrics=metrics) for _ in range(options.repeat))
        print(f"curve({name}) over {epochs * updates_per_epoch:,} updates: {best * 1e3:.2f} ms")


def _timed(call: Callable[..., object], *args: object, **kwargs: object) -> float:
    start = time.perf_counter()
    call(*args, **kwargs)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
