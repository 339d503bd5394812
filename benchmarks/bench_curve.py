"""Cost of a whole curve: `lrpol.curve` against stepping the same run, in the same run.

    python benchmarks/bench_curve.py [--updates 1000000] [--repeat 3] [--quick]

For each case it times `lrpol.curve` (best of --repeat), its peak memory (tracemalloc) as a
multiple of the array it returns, and, as the reference it replaces, the same run stepped
update by update: through torch's scheduler where torch has one (needs torch), through
`LRHook` otherwise. --quick runs everything once at 10,000 updates: a smoke test that CI runs
so the script cannot rot; its figures mean nothing.
"""

from __future__ import annotations

import argparse
import functools
import time
import tracemalloc
import warnings
from collections.abc import Callable

import lrpol
from lrpol.hook import drive


def best_of(repeat: int, call: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def peak_ratio(call: Callable[[], object], output_bytes: int) -> float:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / output_bytes
    finally:
        tracemalloc.stop()


def stepped_by_hook(policy: lrpol.LRPolicy, run: lrpol.TrainContext, metrics: list[float] | None) -> None:
    ctx = lrpol.TrainContext(initial_lr=run.initial_lr, total_epochs=run.total_epochs, steps_per_epoch=run.steps_per_epoch)
    for _ in drive(lrpol.LRHook(policy, ctx, lambda lr: None), run.total_steps or 0, metrics):
        pass


def stepped_by_torch(make: Callable[[object], object], updates: int) -> None:
    import torch

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = make(optimizer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stepping before any optimizer.step()
        for _ in range(updates):
            scheduler.step()  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=1_000_000, help="updates in each curve")
    parser.add_argument("--repeat", type=int, default=3, help="timings per figure; the best is shown")
    parser.add_argument("--quick", action="store_true", help="smoke run: 10,000 updates, one timing; the figures mean nothing")
    options = parser.parse_args(argv)
    if options.quick:
        options.updates, options.repeat = 10_000, 1
    updates = options.updates
    spe = 1000
    run = lrpol.TrainContext(initial_lr=0.1, total_epochs=max(1, updates // spe), steps_per_epoch=spe)
    updates = run.total_steps or 0
    phases = 10_000 if not options.quick else 100
    gap = max(1, updates // phases)
    cosines = lrpol.Sequential(policies=tuple(lrpol.ReduceCosine(unit="step") for _ in range(phases)), milestones=tuple(gap * i for i in range(1, phases)))
    warmup = lrpol.Warmup(duration=500, policy=lrpol.ReduceCosine(unit="step"))
    plateau_phase = lrpol.Sequential(policies=(warmup, lrpol.ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5, policy=lrpol.ReducePoly(poly_power=0.9))), milestones=(2,), unit="epoch")
    metrics = [min(e, 30) / 30 for e in range(run.total_epochs)]

    def torch_warmup(optimizer: object) -> object:
        from torch.optim import lr_scheduler

        return lr_scheduler.SequentialLR(optimizer, [lr_scheduler.LinearLR(optimizer, start_factor=1 / 501, total_iters=500), lr_scheduler.CosineAnnealingLR(optimizer, T_max=updates - 500)], milestones=[500])

    def torch_one_cycle(optimizer: object) -> object:
        from torch.optim import lr_scheduler

        return lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=updates)

    cases: list[tuple[str, lrpol.LRPolicy, list[float] | None, Callable[[object], object] | None]] = [
        (f"Sequential of {phases:,} cosines", cosines, None, None),
        ("Warmup(500 steps) into a cosine, 1,000 steps an epoch", warmup, None, torch_warmup),
        ("OneCycle", lrpol.OneCycle(), None, torch_one_cycle),
        ("Sequential(Warmup, plateau over poly), with metrics", plateau_phase, metrics, None),
    ]
    try:
        import torch  # noqa: F401

        has_torch = True
    except ImportError:
        has_torch = False
    print(f"{updates:,} updates, best of {options.repeat}")
    print(f"{'case':<54} {'curve()':>9} {'peak/array':>10}   {'stepped':>9}   ratio")
    for name, policy, case_metrics, torch_make in cases:
        whole = functools.partial(lrpol.curve, policy, run, metrics=case_metrics)
        whole()  # warm up numpy and the caches
        ours = best_of(options.repeat, whole)
        peak = peak_ratio(whole, updates * 8)
        if torch_make is not None and has_torch:
            reference, how = best_of(1, functools.partial(stepped_by_torch, torch_make, updates)), "torch"
        else:
            reference, how = best_of(1, functools.partial(stepped_by_hook, policy, run, case_metrics)), "LRHook"
        print(f"{name:<54} {ours * 1e3:>7.1f}ms {peak:>9.2f}x   {reference * 1e3:>7.0f}ms   {ours / reference:.3f}x ({how} stepped)")

if __name__ == "__main__":
    main()
