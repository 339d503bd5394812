"""Cost of one LR update: an attached lrpol hook against its peers' schedulers, in the same run.

    python benchmarks/bench_hook.py [--steps 200000] [--repeat 7] [--quick]

For each policy it times `hook.step()` of `lrpol.integrations.torch.attach` on SGD with one
param group (and, for a few, `LRPolicyScheduler.step()`, what a framework is handed), and for the peer its users come from the call their loop makes after each update,
on the same kind of optimizer: `scheduler.step()` for torch's schedulers, Hugging Face's
get_scheduler (a LambdaLR) and MONAI's, `step_update(t)` for timm's. Times are the best of
--repeat runs, in µs per call; a peer that is not installed is reported as such. It also times
`lrpol.curve` over 1,000,000 updates. --quick runs everything once at tiny sizes, in
seconds: a smoke test that CI runs so the script cannot rot; its figures mean nothing.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.metadata
import importlib.util
import itertools
import sys
import time
import types
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch.optim import lr_scheduler

import lrpol
from lrpol.integrations.torch import LRPolicyScheduler, attach

HORIZON = 10**9  # long enough that no run reaches the end of the schedule
STEPS_PER_EPOCH = 1000
RUN = HORIZON * STEPS_PER_EPOCH  # the run's length in updates, for the peers that are given it
PATIENCE = 10**9  # validation results without improvement before a plateau reduces: never, here
METRIC = 0.5  # the validation result every report gives: flat, so nothing improves after the first

Maker = Callable[[torch.optim.Optimizer], Any]  # builds a peer's scheduler (or its call) on an optimizer


def per_call_us(call: Callable[[], object], steps: int, repeat: int) -> float:
    return interleaved_us([(call, steps)], repeat)[0]


def interleaved_us(calls: list[tuple[Callable[[], object], int]], repeat: int) -> list[float]:
    """The best µs per call of each (call, steps), their timings taken in turn rather than one
    after the other, so that a machine that gets busier part-way slows every call alike."""
    best = [float("inf")] * len(calls)
    for _ in range(repeat):
        for index, (call, steps) in enumerate(calls):
            start = time.perf_counter()
            for _ in range(steps):
                call()
            best[index] = min(best[index], (time.perf_counter() - start) / steps)
    return [seconds * 1e6 for seconds in best]


def optimizer(momentum: float = 0.0) -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=momentum)


def per_update(scheduler: Any) -> Callable[[], object]:
    """The call a training loop makes after each update: torch's ``step()``, or timm's
    ``step_update(t)`` with the update count (which a loop driving timm keeps anyway)."""
    if hasattr(scheduler, "step_update"):
        updates = itertools.count(1)
        return lambda: scheduler.step_update(next(updates))
    return scheduler.step


def stepped(make: Maker) -> Callable[[torch.optim.Optimizer], Callable[[], object]]:
    """The per-update call of the scheduler ``make`` builds, for :func:`against_peer`."""
    return lambda o: per_update(make(o))


def against_peer(ours: Callable[[], object], make_call: Callable[[torch.optim.Optimizer], Callable[[], object]], on: torch.optim.Optimizer, steps: int, repeat: int, peer_steps: int | None = None) -> tuple[float, float | None]:
    """µs per call of ``ours`` and of the peer's call that ``make_call`` builds on the optimizer
    ``on``, timed in turn; None for the peer when it is not installed."""
    try:
        theirs = make_call(on)
    except ModuleNotFoundError:
        return per_call_us(ours, steps, repeat), None
    ours_us, theirs_us = interleaved_us([(ours, steps), (theirs, steps if peer_steps is None else peer_steps)], repeat)
    return ours_us, theirs_us


def row(name: str, ours: float, theirs: float | None, peer: str) -> str:
    if theirs is None:
        return f"{name:<28} {ours:>11.3f}   {peer:<32} peer not installed"
    return f"{name:<28} {ours:>11.3f}   {peer:<32} {theirs:>8.3f}   {ours / theirs:.2f}x the peer's time"


def equivalent_schedulers() -> list[tuple[str, lrpol.LRPolicy, Maker]]:
    """(name, lrpol policy, torch scheduler) pairs that give the same LR at every update: the
    torch schedulers frameworks are handed most, and what an lrpol config says instead."""
    cosine = lrpol.ReduceCosine(unit="step", horizon=HORIZON)
    return [
        ("DecayOnStep", lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=1000), lambda o: lr_scheduler.StepLR(o, step_size=1000, gamma=0.5)),
        ("ReduceCosine", cosine, lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=HORIZON)),
        ("ReducePoly", lrpol.ReducePoly(poly_power=0.9, unit="step", horizon=HORIZON), lambda o: lr_scheduler.PolynomialLR(o, total_iters=HORIZON, power=0.9)),
        ("LinearDecay", lrpol.LinearDecay(duration=HORIZON), lambda o: lr_scheduler.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=HORIZON)),
        ("OneCycle", lrpol.OneCycle(horizon=HORIZON), lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=HORIZON, cycle_momentum=False)),
        ("Warmup(cosine), after ramp", lrpol.Warmup(duration=1, start_factor=0.01, policy=cosine),
         lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o, start_factor=0.01, total_iters=1), lr_scheduler.CosineAnnealingLR(o, T_max=HORIZON)], milestones=[1])),
    ]


def same_lrs(scheduler: LRPolicyScheduler, torch_scheduler: Any, name: str, updates: int = 2001) -> None:
    """Raise unless both run the same LRs (to 1e-12, as torch's recursions round) over the first ``updates``;
    then rewind neither: both go on from there, which is no different for the timing."""
    for update in range(updates):
        ours, theirs = scheduler.get_last_lr()[0], torch_scheduler.get_last_lr()[0]
        if abs(ours - theirs) > 1e-12 * abs(theirs):
            raise AssertionError(f"{name}: LR {ours!r} at update {update}, torch's scheduler {theirs!r}: not the same schedule")
        scheduler.step()
        torch_scheduler.step()


# -- The peers beyond torch, imported only when a row builds one ----------------------------------


def hugging_face(name: str, **kwargs: Any) -> Maker:
    """Hugging Face's ``get_scheduler(name, ...)``: a torch LambdaLR, stepped as torch's are."""

    def make(o: torch.optim.Optimizer) -> Any:
        from transformers.optimization import get_scheduler

        return get_scheduler(name, o, **kwargs)

    return make


def timm_scheduler() -> types.ModuleType:
    """``timm.scheduler``, loaded as tests/peers.py loads it: without ``timm/__init__.py``, which
    imports torchvision (the schedulers need torch alone). ModuleNotFoundError without timm."""
    if "timm.scheduler" in sys.modules:
        return sys.modules["timm.scheduler"]
    try:
        package = importlib.metadata.distribution("timm").locate_file("timm")
    except importlib.metadata.PackageNotFoundError:
        raise ModuleNotFoundError("timm is not installed") from None
    shell = types.ModuleType("timm")  # a package that finds its submodules in the installed wheel
    shell.__path__ = [str(package)]
    sys.modules.setdefault("timm", shell)
    return importlib.import_module("timm.scheduler")


def timm(name: str, **kwargs: Any) -> Maker:
    """timm's scheduler ``name``, stepped per update (``step_update``)."""
    return lambda o: getattr(timm_scheduler(), name)(o, t_in_epochs=False, **kwargs)


def float_t_mult(period: int, mult: float) -> Maker:
    """torch's CosineAnnealingWarmRestarts with a float T_mult, which its constructor refuses: set after."""

    def make(o: torch.optim.Optimizer) -> Any:
        scheduler = lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=period)
        scheduler.T_mult = mult
        return scheduler

    return make


def timm_uniform_noise(o: torch.optim.Optimizer) -> Any:
    scheduler = timm_scheduler().CosineLRScheduler(o, t_initial=RUN, t_in_epochs=False, noise_range_t=(0, RUN))
    scheduler.noise_type = "uniform"  # only PlateauLRScheduler takes it as an argument; the others read this attribute
    return scheduler


def monai_warmup_cosine(**kwargs: Any) -> Maker:
    """MONAI's WarmupCosineSchedule (a LambdaLR), from ``monai/optimizers/lr_scheduler.py`` loaded
    by itself: the file needs torch alone, and ``import monai`` takes seconds."""

    def make(o: torch.optim.Optimizer) -> Any:
        try:
            source = importlib.metadata.distribution("monai").locate_file("monai/optimizers/lr_scheduler.py")
        except importlib.metadata.PackageNotFoundError:
            raise ModuleNotFoundError("monai is not installed") from None
        spec = importlib.util.spec_from_file_location("monai_lr_scheduler", str(source))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.WarmupCosineSchedule(o, **kwargs)

    return make


def torch_plateau(**kwargs: Any) -> Maker:
    """torch's ReduceLROnPlateau, given each validation result: ``step(metric)``."""
    return lambda o: functools.partial(lr_scheduler.ReduceLROnPlateau(o, patience=PATIENCE, **kwargs).step, METRIC)


def timm_plateau(**kwargs: Any) -> Maker:
    """timm's PlateauLRScheduler, given each validation result with its epoch: ``step(epoch, metric)``."""

    def make(o: torch.optim.Optimizer) -> Callable[[], object]:
        scheduler = timm_scheduler().PlateauLRScheduler(o, patience_t=PATIENCE, **kwargs)
        epochs = itertools.count(1)
        return lambda: scheduler.step(next(epochs), METRIC)

    return make


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200_000, help="calls per timing")
    parser.add_argument("--repeat", type=int, default=7, help="timings per figure; the best is shown")
    parser.add_argument("--quick", action="store_true", help="smoke run in seconds: 1,000 calls, one timing, a 10,000-update curve; the figures mean nothing")
    options = parser.parse_args(argv)
    if options.quick:
        options.steps, options.repeat = 1000, 1
    epochs, updates_per_epoch = (10, 1000) if options.quick else (100, 10_000)
    ctx = lambda: lrpol.TrainContext(initial_lr=0.1, total_epochs=HORIZON, steps_per_epoch=STEPS_PER_EPOCH)
    cosine = lrpol.ReduceCosine(unit="step")
    pairs: list[tuple[str, lrpol.LRPolicy, str | None, Maker | None]] = [
        ("DecayOnStep", lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=1000), "StepLR", lambda o: lr_scheduler.StepLR(o, step_size=1000, gamma=0.5)),
        ("ReduceCosine", lrpol.ReduceCosine(), "CosineAnnealingLR", lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=HORIZON)),
        ("ReducePoly", lrpol.ReducePoly(poly_power=0.9), "PolynomialLR", lambda o: lr_scheduler.PolynomialLR(o, total_iters=HORIZON, power=0.9)),
        ("ReduceOnPlateau", lrpol.ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5), None, None),
        ("MultiStepDecay", lrpol.MultiStepDecay(milestones=(10**6, 2 * 10**6), gamma=0.1), "MultiStepLR", lambda o: lr_scheduler.MultiStepLR(o, milestones=[10**6, 2 * 10**6], gamma=0.1)),
        ("ExponentialDecay", lrpol.ExponentialDecay(gamma=0.999999), "ExponentialLR", lambda o: lr_scheduler.ExponentialLR(o, gamma=0.999999)),
        ("Constant", lrpol.Constant(factor=0.5, duration=10**8), "ConstantLR", lambda o: lr_scheduler.ConstantLR(o, factor=0.5, total_iters=10**8)),
        ("LinearDecay", lrpol.LinearDecay(duration=10**8), "LinearLR", lambda o: lr_scheduler.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=10**8)),
        ("CosineRestarts", lrpol.CosineRestarts(period=1000, period_mult=2), "CosineAnnealingWarmRestarts", lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=1000, T_mult=2)),
        # The restarting schedules against each peer's: torch's float T_mult (its arithmetic), timm's
        # cosine and tanh (its logarithm), Hugging Face's hard restarts (a count of periods).
        ("CosineRestarts, T_mult 1.3", lrpol.CosineRestarts(period=1000, period_mult=1.3, arithmetic="torch"), "CosineAnnealingWarmRestarts", float_t_mult(1000, 1.3)),
        ("CosineRestarts, timm", lrpol.CosineRestarts(period=1000, period_mult=1.5, peak_decay=0.5, period_limit=10**6, arithmetic="timm"), "timm CosineLRScheduler, cycles", timm("CosineLRScheduler", t_initial=1000, cycle_mul=1.5, cycle_decay=0.5, cycle_limit=10**6)),
        ("TanhDecay", lrpol.TanhDecay(period=1000, period_mult=1.5, period_limit=10**6, arithmetic="timm"), "timm TanhLRScheduler, cycles", timm("TanhLRScheduler", t_initial=1000, cycle_mul=1.5, cycle_limit=10**6)),
        ("CosineRestarts, periods", lrpol.CosineRestarts(periods=7), "HF cosine_with_restarts", hugging_face("cosine_with_restarts", num_warmup_steps=0, num_training_steps=RUN, scheduler_specific_kwargs={"num_cycles": 7})),
        # The LR alone, as for Cyclic: torch's momentum cycle is a second schedule (rows further down).
        ("OneCycle", lrpol.OneCycle(), "OneCycleLR", lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=HORIZON, cycle_momentum=False)),
        # The LR alone: torch's momentum cycle (cycle_momentum) is a second schedule, CyclicMomentum.
        ("Cyclic", lrpol.Cyclic(step_size_up=2000, min_lr=0.01), "CyclicLR", lambda o: lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2000, cycle_momentum=False)),
        ("Warmup", lrpol.Warmup(duration=10**8, policy=lrpol.ReduceCosine(unit="step")), "SequentialLR", lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o, start_factor=0.01, total_iters=10**8), lr_scheduler.CosineAnnealingLR(o, T_max=HORIZON)], milestones=[10**8])),
        ("Sequential", lrpol.Sequential(policies=(lrpol.Constant(), lrpol.ReduceCosine(unit="step")), milestones=(10**8,)), "SequentialLR", lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ConstantLR(o, factor=1.0, total_iters=10**8), lr_scheduler.CosineAnnealingLR(o, T_max=HORIZON)], milestones=[10**8])),
        # The same composites once their first phase is over (a run's most updates), milestone at 1.
        ("Warmup, after", lrpol.Warmup(duration=1, policy=lrpol.ReduceCosine(unit="step")), "SequentialLR", lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o, start_factor=0.01, total_iters=1), lr_scheduler.CosineAnnealingLR(o, T_max=HORIZON)], milestones=[1])),
        ("Sequential, 2nd", lrpol.Sequential(policies=(lrpol.Constant(), lrpol.ReduceCosine(unit="step")), milestones=(1,)), "SequentialLR", lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ConstantLR(o, factor=1.0, total_iters=1), lr_scheduler.CosineAnnealingLR(o, T_max=HORIZON)], milestones=[1])),
        # The decays' peer arguments, against torch: a horizon (T_max, total_iters) and a relative
        # floor, the cosine past its horizon (torch's rise), decay per 'every' (ExponentialLR by the
        # every-th root of gamma) and as a staircase (StepLR).
        ("ReduceCosine, horizon", lrpol.ReduceCosine(unit="step", horizon=HORIZON, min_lr_ratio=0.01), "CosineAnnealingLR", lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=HORIZON, eta_min=0.001)),
        ("ReduceCosine, continue", lrpol.ReduceCosine(unit="step", horizon=1000, after="continue"), "CosineAnnealingLR, past T_max", lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=1000)),
        ("ReducePoly, horizon", lrpol.ReducePoly(poly_power=0.9, unit="step", horizon=HORIZON), "PolynomialLR", lambda o: lr_scheduler.PolynomialLR(o, total_iters=HORIZON, power=0.9)),
        ("ExponentialDecay, every", lrpol.ExponentialDecay(gamma=0.9, every=1000), "ExponentialLR(0.9 ** (1/1000))", lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9 ** (1 / 1000))),
        ("ExponentialDecay, staircase", lrpol.ExponentialDecay(gamma=0.9, every=1000, staircase=True), "StepLR", lambda o: lr_scheduler.StepLR(o, step_size=1000, gamma=0.9)),
        # optax's piecewise schedules run inside a compiled step: torch's spelling of the same LRs.
        ("PiecewiseInterpolate", lrpol.PiecewiseInterpolate(boundaries=(10**8, 2 * 10**8), scales=(0.5, 0.2)), "SequentialLR(LinearLR, LinearLR)", lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o, start_factor=1.0, end_factor=0.5, total_iters=10**8), lr_scheduler.LinearLR(o, start_factor=0.5, end_factor=0.1, total_iters=10**8)], milestones=[10**8])),
        ("PiecewiseInterpolate, const", lrpol.PiecewiseInterpolate(boundaries=(10**6, 2 * 10**6), scales=(0.1, 0.1), interpolation="constant"), "MultiStepLR", lambda o: lr_scheduler.MultiStepLR(o, milestones=[10**6, 2 * 10**6], gamma=0.1)),
        # Keras's InverseTimeDecay, too, runs inside a compiled step: torch's LambdaLR of its formula.
        ("InverseTimeDecay", lrpol.InverseTimeDecay(decay_steps=1000, decay_rate=0.5), "LambdaLR, Keras's formula", lambda o: lr_scheduler.LambdaLR(o, lambda t: 1 / (1 + 0.5 * t / 1000))),
        # Hugging Face's get_scheduler: its warmups from 0, during the ramp and after it.
        ("InverseSqrt", lrpol.InverseSqrt(timescale=10_000), "HF inverse_sqrt", hugging_face("inverse_sqrt", num_warmup_steps=0, scheduler_specific_kwargs={"timescale": 10_000})),
        ("Warmup(InverseSqrt), after", lrpol.Warmup(duration=1, start_factor=0, policy=lrpol.InverseSqrt(timescale=10_000)), "HF inverse_sqrt", hugging_face("inverse_sqrt", num_warmup_steps=1, scheduler_specific_kwargs={"timescale": 10_000})),
        ("Warmup(cosine), HF", lrpol.Warmup(duration=10**8, start_factor=0, policy=cosine), "HF cosine", hugging_face("cosine", num_warmup_steps=10**8, num_training_steps=RUN)),
        ("Warmup(cosine), HF, after", lrpol.Warmup(duration=1, start_factor=0, policy=cosine), "HF cosine", hugging_face("cosine", num_warmup_steps=1, num_training_steps=RUN)),
        ("WarmupStableDecay, stable", lrpol.WarmupStableDecay(warmup_duration=1, decay_duration=10**8, warmup_start_factor=0), "HF warmup_stable_decay", hugging_face("warmup_stable_decay", num_warmup_steps=1, num_training_steps=RUN, scheduler_specific_kwargs={"num_decay_steps": 10**8})),
        ("WarmupStableDecay, decay", lrpol.WarmupStableDecay(warmup_duration=1, stable_duration=0, decay_duration=HORIZON, warmup_start_factor=0), "HF warmup_stable_decay", hugging_face("warmup_stable_decay", num_warmup_steps=1, scheduler_specific_kwargs={"num_stable_steps": 0, "num_decay_steps": HORIZON})),
        # timm, stepped per update: its WSD (rsqrt through the stable phase; its 1-sqrt decay), its noise.
        ("WarmupStableDecay, rsqrt", lrpol.WarmupStableDecay(warmup_duration=1, stable_duration=HORIZON - 10**8, decay_duration=10**8, stable_shape="rsqrt", stable_timescale=10_000, decay_shape="1-sqrt", warmup_start_factor=0), "timm WSDLRScheduler", timm("WSDLRScheduler", t_initial=HORIZON, decay_t=10**8, stable_fn="rsqrt", stable_timescale=10_000, warmup_t=1)),
        ("WarmupStableDecay, 1-sqrt", lrpol.WarmupStableDecay(warmup_duration=1, stable_duration=0, decay_duration=HORIZON, decay_shape="1-sqrt", warmup_start_factor=0), "timm WSDLRScheduler", timm("WSDLRScheduler", t_initial=HORIZON, decay_t=HORIZON, warmup_t=1)),
        ("Noise(cosine)", lrpol.Noise(policy=cosine), "timm CosineLRScheduler + noise", timm("CosineLRScheduler", t_initial=RUN, noise_range_t=(0, RUN))),
        ("Noise(cosine), uniform", lrpol.Noise(policy=cosine, distribution="uniform"), "timm CosineLRScheduler + noise", timm_uniform_noise),
        # Composites: a product against torch's ChainedScheduler, a clip in MONAI's warmup cosine (after its ramp).
        ("Product(cosine, step)", lrpol.Product(policies=(cosine, lrpol.DecayOnStep(decay_ratio=0.9, decay_freq=1000))), "ChainedScheduler(Cosine, Step)", lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.CosineAnnealingLR(o, T_max=RUN), lr_scheduler.StepLR(o, step_size=1000, gamma=0.9)])),
        ("Warmup(Clip(cosine))", lrpol.Warmup(duration=1, start_factor=0, policy=lrpol.Clip(policy=cosine, min_lr=0.001)), "MONAI WarmupCosineSchedule", monai_warmup_cosine(warmup_steps=1, t_total=RUN, end_lr=0.001)),
    ]
    warnings.simplefilter("ignore")  # torch warns when a scheduler steps before any optimizer.step(); timm's plateau is deprecated
    print(f"µs per call, best of {options.repeat} x {options.steps:,} calls (SGD, 1 param group, torch {torch.__version__})")
    print(f"{'lrpol policy':<28} {'hook.step()':>11}   {'peer':<32} {'.step()':>8}   ratio")
    for name, policy, peer, make in pairs:
        step = attach(optimizer(), policy, ctx()).step
        if peer is None or make is None:
            print(f"{name:<28} {per_call_us(step, options.steps, options.repeat):>11.3f}   (no per-update peer)")
            continue
        print(row(name, *against_peer(step, stepped(make), optimizer(), options.steps, options.repeat, options.steps // 4), peer))
    # LRPolicyScheduler, what a framework is handed, against the torch scheduler a user would hand
    # it instead: each pair gives the same LR at every update (checked over the first updates here).
    print(f"{'LRPolicyScheduler':<28} {'.step()':>11}   {'torch scheduler':<32} {'.step()':>8}   ratio")
    for name, policy, make in equivalent_schedulers():
        scheduler, torch_scheduler = LRPolicyScheduler(optimizer(), policy, ctx()), make(optimizer())
        same_lrs(scheduler, torch_scheduler, name)
        timings = interleaved_us([(scheduler.step, options.steps), (torch_scheduler.step, options.steps // 4)], options.repeat)
        print(row(name, *timings, type(torch_scheduler).__name__))
    # The LR and the momentum together, as torch's cycle_momentum writes both: attach(schedules=...)
    # on SGD with momentum.
    for name, policy, momentum, peer, make in (
        ("Cyclic + CyclicMomentum", lrpol.Cyclic(step_size_up=2000, min_lr=0.01), lrpol.CyclicMomentum(step_size_up=2000, base_momentum=0.8, max_momentum=0.9), "CyclicLR, cycle_momentum",
         lambda o: lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2000, base_momentum=0.8, max_momentum=0.9)),
        ("OneCycle + OneCycleMomentum", lrpol.OneCycle(horizon=HORIZON), lrpol.OneCycleMomentum(horizon=HORIZON, max_momentum=0.95), "OneCycleLR, cycle_momentum",
         lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=HORIZON)),
    ):
        step = attach(optimizer(momentum=0.9), policy, ctx(), schedules={"momentum": momentum}).step
        print(row(name, *against_peer(step, stepped(make), optimizer(momentum=0.9), options.steps, options.repeat, options.steps // 4), peer))
    # What each level of nesting adds: a cosine, in a Warmup (after its ramp), in a Sequential, in another.
    nested: lrpol.LRPolicy = lrpol.ReduceCosine(unit="step")
    previous = None
    for depth, wrap in enumerate([lambda p: p, lambda p: lrpol.Warmup(duration=1, policy=p), lambda p: lrpol.Sequential(policies=(p,), milestones=()), lambda p: lrpol.Sequential(policies=(p,), milestones=())]):
        nested = wrap(nested)
        hook = attach(optimizer(), nested, ctx())
        hook.step()
        ours = per_call_us(hook.step, options.steps, options.repeat)
        added = "" if previous is None else f"   +{ours - previous:.3f} for this level"
        print(f"{'nesting ' + str(depth):<28} {ours:>11.3f}   {type(nested).__name__ + ' outermost':<32}{added}")
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
        print(f"{name:<28} {per_call_us(hook.step, options.steps, options.repeat):>11.3f}   (no per-update peer)")
    # A validation result: report_metric against the peer's call with the same flat metric. torch's
    # patience p is plateau_count_trigger p + 1; its defaults (Hugging Face's reduce_lr_on_plateau)
    # and timm's plateau are threshold_mode "rel_signed" with eps.
    signed: dict[str, Any] = {"threshold": 1e-4, "threshold_mode": "rel_signed", "eps": 1e-8}
    for name, policy, peer, make_call in (
        ("report_metric()", lrpol.ReduceOnPlateau(plateau_count_trigger=PATIENCE + 1, reduction_rate=0.5), "ReduceLROnPlateau", torch_plateau(mode="max")),
        ("report_metric(), abs", lrpol.ReduceOnPlateau(plateau_count_trigger=PATIENCE + 1, reduction_rate=0.5, threshold=1e-4, threshold_mode="abs"), "ReduceLROnPlateau, abs", torch_plateau(mode="max", threshold=1e-4, threshold_mode="abs")),
        ("report_metric(), rel_signed", lrpol.ReduceOnPlateau(plateau_count_trigger=PATIENCE + 1, reduction_rate=0.1, mode="min", **signed), "ReduceLROnPlateau, defaults", torch_plateau()),
        ("report_metric(), timm", lrpol.ReduceOnPlateau(plateau_count_trigger=PATIENCE + 1, reduction_rate=0.1, **signed), "timm PlateauLRScheduler", timm_plateau()),
    ):
        hook = attach(optimizer(), policy, ctx())
        print(row(name, *against_peer(functools.partial(hook.report_metric, METRIC), make_call, optimizer(), options.steps, options.repeat), peer))
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
