"""ReduceOnPlateau against the peers' own plateau schedulers, validation result by result.

Each peer gets the same results as lrpol, which runs them through ``LRHook.report_metric``
(stepping updates in between, or ``next_epoch()`` without ``steps_per_epoch``) and through
``lrpol.curve(metrics=...)``; the LR after every result must be equal: within 1e-12 relative
for torch, timm and Hugging Face (float64), and within the peer's own float32 rounding for
Keras and optax. The mappings, also in ReduceOnPlateau's docstring, are the ``from_*``
functions below.

The metrics are multiples of 1/8 (exact in float32 too), and every threshold keeps clear of
the differences between them, so the float32 peers take the decisions float64 takes.
"""

from __future__ import annotations

import functools
import json
import os
import types
import warnings

import numpy as np
import pytest
from conftest import assert_resumes_exactly, examples, requires_extra
from hypothesis import given, settings
from hypothesis import strategies as st
from peers import timm_scheduler

from lrpol import ConfigError, LRHook, ReduceOnPlateau, ReducePoly, Sequential, TrainContext, Warmup, build, curve, validate
from lrpol.preview import reduction_epochs

LR0 = 0.1
MAX_RESULTS = 40
FLOAT32 = 2.0**-24  # float32's unit roundoff: the error of one rounding, relative

# -- lrpol's side: the hook (with and without steps_per_epoch) and the curve ---------------------


def lrpol_after_each(policy: ReduceOnPlateau, metrics: list[float], steps_per_epoch: int = 2) -> list[float]:
    """The LR lrpol applies before the first result and after each one, checked on the way to
    be the same through every path: the hook stepping updates, the hook without
    steps_per_epoch, and the curve; after the last result the LR holds."""
    epochs = len(metrics) + 2  # two epochs past the last result
    ctx = TrainContext(initial_lr=LR0, total_epochs=epochs, steps_per_epoch=steps_per_epoch)
    hook = LRHook(policy, ctx, lambda lr: None)
    after_each, per_update = [ctx.current_lr], []
    for epoch in range(epochs):
        for _ in range(steps_per_epoch):
            per_update.append(ctx.current_lr)
            hook.step()
        if epoch < len(metrics):
            after_each.append(hook.report_metric(metrics[epoch]))
    # Each update runs at the LR after the results reported before it, the last one held.
    assert per_update == [lr for lr in after_each + after_each[-1:] for _ in range(steps_per_epoch)]
    np.testing.assert_allclose(curve(policy, ctx, metrics=metrics), per_update, rtol=1e-12, atol=0)

    by_epoch = LRHook(policy, TrainContext(initial_lr=LR0, total_epochs=epochs), lambda lr: None)
    reported = [by_epoch.ctx.current_lr]
    for metric in metrics:
        by_epoch.next_epoch()
        reported.append(by_epoch.report_metric(metric))
    assert reported == after_each
    return after_each


def assert_close(ours: list[float], theirs: list[float], rel: float = 1e-12, *, float32: bool = False) -> None:
    """Equal entry by entry within ``rel``; with ``float32``, within one float32 rounding per
    reduction so far (the peer rounds its LR, or its scale, to float32 at each one)."""
    assert len(ours) == len(theirs)
    changes = 0
    for index, (a, b) in enumerate(zip(ours, theirs)):
        changes += index > 0 and a != ours[index - 1]
        tolerance = 2 * FLOAT32 * (changes + 1) if float32 else rel
        assert a == pytest.approx(b, rel=tolerance, abs=0), f"after result {index}: {a!r} != {b!r} (ours, then the peer's)"


# -- the peers, and how their arguments map to lrpol's ---------------------------------------------


def torch_after_each(metrics: list[float], **arguments: object) -> list[float]:
    torch = requires_extra("torch")
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR0)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **arguments)
    lrs = [optimizer.param_groups[0]["lr"]]
    for metric in metrics:
        scheduler.step(metric)
        lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


def from_torch(mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8) -> ReduceOnPlateau:
    """torch's ReduceLROnPlateau (with its defaults) as a ReduceOnPlateau."""
    return ReduceOnPlateau(
        plateau_count_trigger=patience + 1, reduction_rate=factor, mode=mode, threshold=threshold,
        threshold_mode={"rel": "rel_signed", "abs": "abs"}[threshold_mode], cooldown=cooldown, min_lr=min_lr, eps=eps,
    )


def timm_after_each(metrics: list[float], **arguments: object) -> list[float]:
    torch = requires_extra("torch")
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # timm deprecates its plateau scheduler
        scheduler = timm_scheduler().PlateauLRScheduler(optimizer, **arguments)
    lrs = [optimizer.param_groups[0]["lr"]]
    for epoch, metric in enumerate(metrics):
        scheduler.step(epoch + 1, metric)  # as timm's train.py calls it, after each epoch
        lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


def from_timm(decay_rate=0.1, patience_t=10, threshold=1e-4, cooldown_t=0, lr_min=0.0, mode="max") -> ReduceOnPlateau:
    """timm's PlateauLRScheduler (no warmup): torch's, with torch's eps and relative threshold."""
    return from_torch(mode=mode, factor=decay_rate, patience=patience_t, threshold=threshold, cooldown=cooldown_t, min_lr=lr_min)


def hf_after_each(metrics: list[float], **arguments: object) -> list[float]:
    torch = requires_extra("torch")
    transformers = requires_extra("transformers")
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR0)
    scheduler = transformers.get_scheduler("reduce_lr_on_plateau", optimizer, scheduler_specific_kwargs=arguments)
    lrs = [optimizer.param_groups[0]["lr"]]
    for metric in metrics:
        scheduler.step(metric)  # what Trainer does after each evaluation
        lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


def keras_after_each(metrics: list[float], **arguments: object) -> list[float]:
    os.environ.setdefault("KERAS_BACKEND", "torch")  # before keras is first imported; torch is what CI installs
    requires_extra("torch")
    keras = requires_extra("keras")
    optimizer = keras.optimizers.SGD(learning_rate=LR0)
    callback = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", **arguments)
    # The callback reads and sets model.optimizer.learning_rate, and nothing else of the model.
    callback.set_model(types.SimpleNamespace(optimizer=optimizer))
    callback.on_train_begin()

    def lr() -> float:
        return float(keras.ops.convert_to_numpy(optimizer.learning_rate))

    lrs = [lr()]
    for epoch, metric in enumerate(metrics):
        callback.on_epoch_end(epoch, {"val_loss": metric})
        lrs.append(lr())
    return lrs


def from_keras(factor=0.1, patience=10, mode="min", min_delta=1e-4, cooldown=0, min_lr=0.0) -> ReduceOnPlateau:
    """Keras's ReduceLROnPlateau: it counts the result that ends its cooldown, hence c - 1."""
    return ReduceOnPlateau(
        plateau_count_trigger=max(patience, 1), reduction_rate=factor, mode=mode, threshold=abs(min_delta),
        threshold_mode="abs", cooldown=max(cooldown - 1, 0), min_lr=min_lr,
    )


@functools.cache
def optax_run():
    """optax's reduce_on_plateau over a whole sequence of results, jitted as a training step
    would be: compiled once per (factor, rtol, atol), the other arguments traced."""
    jax = requires_extra("optax", "jax")
    optax = requires_extra("optax")
    params = jax.numpy.zeros(1, dtype=jax.numpy.float32)

    def run(factor, rtol, atol, patience, cooldown, min_scale, values):
        transform = optax.contrib.reduce_on_plateau(factor=factor, patience=patience, rtol=rtol, atol=atol, cooldown=cooldown, min_scale=min_scale)

        def one_result(state, value):
            _, state = transform.update(params, state, value=value)
            return state, state.scale

        return jax.lax.scan(one_result, transform.init(params), values)[1]

    return jax.jit(run, static_argnames=("factor", "rtol", "atol"))


def optax_after_each(metrics: list[float], factor=0.1, patience=10, rtol=1e-4, atol=0.0, cooldown=0, min_scale=0.0) -> list[float]:
    padded = np.asarray(metrics + [metrics[-1]] * (MAX_RESULTS - len(metrics)), dtype=np.float32)  # one length: one compilation
    scales = optax_run()(factor, rtol, atol, patience, cooldown, min_scale, padded)
    return [LR0] + [LR0 * float(scale) for scale in np.asarray(scales)[: len(metrics)]]


def from_optax(factor=0.1, patience=10, rtol=1e-4, atol=0.0, cooldown=0, min_scale=0.0) -> ReduceOnPlateau:
    """optax's contrib.reduce_on_plateau (accumulation_size=1), which minimises."""
    return ReduceOnPlateau(
        plateau_count_trigger=patience, reduction_rate=factor, mode="min", threshold=rtol, threshold_mode="rel_signed",
        threshold_abs=atol, cooldown=cooldown, min_lr_ratio=min_scale,
    )


# -- what the peers are fed ----------------------------------------------------------------------

# Differences between results are multiples of 1/8, |best| <= 1: no margin below lies within
# 1/100 of one of them (0.3 * |best| is never a multiple of 1/8 for best = k/8, 0 < |k| <= 8).
REL_THRESHOLDS = st.sampled_from([0.0, 0.15, 0.3])
ABS_THRESHOLDS = st.sampled_from([0.0, 0.05, 0.2, 0.3])
RATES = st.sampled_from([0.1, 0.5, 0.7])
MIN_LRS = st.sampled_from([0.0, 0.003])
# 1e-8 is torch's default; 1e-3 and 0.02 stop reductions after a few (0.1 * 0.5**k lowers by 0.05, 0.025, ...).
EPSES = st.sampled_from([0.0, 1e-8, 1e-3, 0.02])


def results() -> st.SearchStrategy:
    """Up to MAX_RESULTS multiples of 1/8 in [-1, 1]: at random, or in flat runs."""
    eighths = st.integers(-8, 8)
    scattered = st.lists(eighths, min_size=1, max_size=MAX_RESULTS)
    runs = st.lists(st.tuples(eighths, st.integers(1, 6)), min_size=1, max_size=8).map(lambda pairs: [k for k, n in pairs for _ in range(n)][:MAX_RESULTS])
    return st.one_of(scattered, runs).map(lambda ks: [k / 8 for k in ks])


STEPS_PER_EPOCH = st.sampled_from([1, 3])
MODES = st.sampled_from(["min", "max"])


@st.composite
def torch_arguments(draw: st.DrawFn) -> dict:
    threshold_mode = draw(st.sampled_from(["rel", "abs"]))
    return {
        "mode": draw(MODES), "factor": draw(RATES), "patience": draw(st.integers(0, 3)), "threshold_mode": threshold_mode,
        "threshold": draw(REL_THRESHOLDS if threshold_mode == "rel" else ABS_THRESHOLDS), "cooldown": draw(st.integers(0, 3)),
        "min_lr": draw(MIN_LRS), "eps": draw(EPSES),
    }


@st.composite
def optax_arguments(draw: st.DrawFn) -> dict:
    rtol, atol = draw(st.sampled_from([(0.0, 0.03), (0.0, 0.2), (1e-4, 0.0), (0.15, 0.0), (0.3, 0.0), (1e-4, 0.03), (0.3, 0.03)]))
    return {
        "factor": draw(RATES), "patience": draw(st.integers(1, 4)), "rtol": rtol, "atol": atol, "cooldown": draw(st.integers(0, 3)),
        "min_scale": draw(st.sampled_from([0.0, 0.03])),
    }


# -- random results ------------------------------------------------------------------------------


@settings(max_examples=examples(300), deadline=None)
@given(arguments=torch_arguments(), metrics=results(), steps_per_epoch=STEPS_PER_EPOCH)
def test_torch_on_random_results(arguments, metrics, steps_per_epoch):
    assert_close(lrpol_after_each(from_torch(**arguments), metrics, steps_per_epoch), torch_after_each(metrics, **arguments))


@settings(max_examples=examples(100), deadline=None)
@given(
    metrics=results(), mode=MODES, decay_rate=RATES, patience_t=st.integers(0, 3), threshold=REL_THRESHOLDS,
    cooldown_t=st.integers(0, 3), lr_min=MIN_LRS,
)
def test_timm_on_random_results(metrics, mode, decay_rate, patience_t, threshold, cooldown_t, lr_min):
    arguments = {"mode": mode, "decay_rate": decay_rate, "patience_t": patience_t, "threshold": threshold, "cooldown_t": cooldown_t, "lr_min": lr_min}
    assert_close(lrpol_after_each(from_timm(**arguments), metrics), timm_after_each(metrics, **arguments))


@settings(max_examples=examples(150), deadline=None)
@given(
    metrics=results(), mode=MODES, factor=RATES, patience=st.integers(0, 3), min_delta=ABS_THRESHOLDS,
    cooldown=st.integers(0, 4), min_lr=MIN_LRS, steps_per_epoch=STEPS_PER_EPOCH,
)
def test_keras_on_random_results(metrics, mode, factor, patience, min_delta, cooldown, min_lr, steps_per_epoch):
    arguments = {"mode": mode, "factor": factor, "patience": patience, "min_delta": min_delta, "cooldown": cooldown, "min_lr": min_lr}
    assert_close(lrpol_after_each(from_keras(**arguments), metrics, steps_per_epoch), keras_after_each(metrics, **arguments), float32=True)


@settings(max_examples=examples(100), deadline=None)
@given(arguments=optax_arguments(), metrics=results(), steps_per_epoch=STEPS_PER_EPOCH)
def test_optax_on_random_results(arguments, metrics, steps_per_epoch):
    assert_close(lrpol_after_each(from_optax(**arguments), metrics, steps_per_epoch), optax_after_each(metrics, **arguments), float32=True)


# -- fixed cases, every peer -----------------------------------------------------------------------

# For mode "min" (a loss); mode "max" gets them negated. Thresholds: 0.3 relative, 0.2 absolute.
CASES = {
    "flat": [1.0] * 14,
    "flat-negative": [-1.0] * 14,
    "better-by-less-than-the-threshold": [2.0 - 0.125 * i for i in range(12)],
    "better-by-more-than-the-threshold": [8.0 * 0.5**i for i in range(8)] + [0.0625] * 6,
    "negative-and-better-by-less": [-0.5 - 0.125 * i for i in range(12)],
    "worse-then-flat": [0.5, 0.625, 0.75, 0.75, 0.75, 0.5, 0.5, 0.5, 0.5, 0.5, 0.375, 0.375, 0.375],
    "alternating": [1.0, 0.875] * 8,
}


def case(name: str, mode: str) -> list[float]:
    return CASES[name] if mode == "min" else [-value for value in CASES[name]]


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize(
    "arguments",
    [
        {"factor": 0.5, "patience": 1, "threshold": 0.3, "threshold_mode": "rel", "cooldown": 1, "eps": 0.0},
        {"factor": 0.5, "patience": 0, "threshold": 0.2, "threshold_mode": "abs", "min_lr": 0.01, "eps": 1e-8},
        {"factor": 0.1, "patience": 0, "threshold": 0.0, "eps": 1e-3},
    ],
    ids=["rel-cooldown", "abs-min_lr", "eps"],
)
def test_torch_on_fixed_cases(arguments, name, mode):
    metrics = case(name, mode)
    ours = lrpol_after_each(from_torch(mode=mode, **arguments), metrics)
    assert_close(ours, torch_after_each(metrics, mode=mode, **arguments))


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("name", CASES)
def test_timm_on_fixed_cases(name, mode):
    metrics = case(name, mode)
    arguments = {"mode": mode, "decay_rate": 0.5, "patience_t": 1, "threshold": 0.3, "cooldown_t": 2, "lr_min": 0.01}
    assert_close(lrpol_after_each(from_timm(**arguments), metrics), timm_after_each(metrics, **arguments))


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize(
    "arguments",
    [{}, {"mode": "max", "factor": 0.5, "patience": 1}, {"factor": 0.5, "patience": 0, "threshold": 0.2, "threshold_mode": "abs", "cooldown": 1}],
    ids=["defaults", "mode-max", "abs-cooldown"],
)
def test_hugging_face_on_fixed_cases(arguments, name):
    metrics = case(name, arguments.get("mode", "min")) * 2  # patience 10 by default: a longer run
    assert_close(lrpol_after_each(from_torch(**arguments), metrics), hf_after_each(metrics, **arguments))


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("cooldown", [0, 1, 2])
def test_keras_on_fixed_cases(cooldown, name, mode):
    metrics = case(name, mode)
    arguments = {"mode": mode, "factor": 0.5, "patience": 1, "min_delta": 0.2, "cooldown": cooldown, "min_lr": 0.01}
    assert_close(lrpol_after_each(from_keras(**arguments), metrics), keras_after_each(metrics, **arguments), float32=True)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize(
    "arguments",
    [{"factor": 0.5, "patience": 1, "rtol": 0.3, "cooldown": 1}, {"factor": 0.5, "patience": 2, "rtol": 1e-4, "atol": 0.2, "min_scale": 0.1}],
    ids=["rtol-cooldown", "rtol-atol-min_scale"],
)
def test_optax_on_fixed_cases(arguments, name):
    metrics = CASES[name]  # optax minimises
    assert_close(lrpol_after_each(from_optax(**arguments), metrics), optax_after_each(metrics, **arguments), float32=True)


# -- the mappings' edges -------------------------------------------------------------------------


def test_keras_cooldown_0_and_1_are_the_same_and_map_to_0():
    metrics = case("worse-then-flat", "min") + [0.375] * 6
    zero, one = (keras_after_each(metrics, factor=0.5, patience=1, cooldown=c, min_delta=0.0) for c in (0, 1))
    assert zero == one
    ours = lrpol_after_each(ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, mode="min", threshold_mode="abs"), metrics)
    assert_close(ours, zero, float32=True)
    assert len(set(ours)) > 5  # reductions at every result past the first plateau: cooldown played a part


def test_patience_is_off_by_one_between_torch_and_keras_and_optax():
    # A flat metric, patience 2: torch reduces at the 4th result, Keras and optax at the 3rd (pytorch #2545).
    metrics = [1.0] * 5
    assert torch_after_each(metrics, patience=2, eps=0.0)[3:5] == [LR0, LR0 * 0.1]
    assert keras_after_each(metrics, patience=2)[2:4] == pytest.approx([LR0, LR0 * 0.1], rel=1e-6)
    assert optax_after_each(metrics, patience=2)[2:4] == pytest.approx([LR0, LR0 * 0.1], rel=1e-6)
    assert lrpol_after_each(from_torch(patience=2), metrics)[3:5] == [LR0, LR0 * 0.1]
    assert lrpol_after_each(from_keras(patience=2), metrics)[2:4] == [LR0, LR0 * 0.1]
    assert lrpol_after_each(from_optax(patience=2), metrics)[2:4] == [LR0, LR0 * 0.1]


@pytest.mark.parametrize("warmup_t, warmup_lr_init", [(1, 0.05), (3, 0.01), (2, 0.0)])
def test_timm_with_warmup_is_a_sequential_that_ignores_the_warmups_results(warmup_t, warmup_lr_init):
    metrics = case("worse-then-flat", "max") + case("flat", "max")
    arguments = {"mode": "max", "decay_rate": 0.5, "patience_t": 1, "threshold": 0.0, "cooldown_t": 0}
    theirs = timm_after_each(metrics, warmup_t=warmup_t, warmup_lr_init=warmup_lr_init, **arguments)
    ramp = Warmup(duration=warmup_t, unit="epoch", start_factor=warmup_lr_init / LR0)
    ours = lrpol_after_each(Sequential(policies=(ramp, from_timm(**arguments)), milestones=(warmup_t + 1,), unit="epoch"), metrics, steps_per_epoch=1)
    assert_close(ours, theirs)
    assert theirs[0] == warmup_lr_init and min(theirs) < LR0 * 0.1


# -- thresholds on negative metrics ---------------------------------------------------------------


def test_a_flat_negative_metric_reduces_with_rel_and_never_with_the_peers_rel_signed():
    metrics = [-1.0] * 10
    safe = ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5, threshold=0.1)
    peers = ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5, threshold=0.1, threshold_mode="rel_signed")
    assert lrpol_after_each(safe, metrics)[:6] == [0.1, 0.1, 0.1, 0.05, 0.05, 0.025]
    assert lrpol_after_each(peers, metrics) == [0.1] * 11 == torch_after_each(metrics, mode="max", patience=1, threshold=0.1, eps=0.0)


def test_rel_signed_moves_best_to_a_worse_result_as_torch_does():
    # mode "max", best -1.0: -1.05 > -1.0 * 1.1 counts as a new best; then -1.1 > -1.05 * 1.1 too.
    policy = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, threshold=0.1, threshold_mode="rel_signed")
    state = policy.observe(policy.observe((0, None, 0, 0, 0), -1.0), -1.05)
    assert state == (2, -1.05, 0, 0, 0)
    assert policy.observe(state, -1.1)[1] == -1.1


# -- eps -------------------------------------------------------------------------------------------


def test_eps_stops_the_reductions_where_torchs_default_does():
    # Flat, patience 0, factor 0.1: 0.1 -> ... -> 1e-8 lowers by more than 1e-8 each time, the next by 9e-9.
    metrics = [1.0] * 12
    ours = lrpol_after_each(from_torch(patience=0), metrics)
    assert_close(ours, torch_after_each(metrics, patience=0))
    assert ours[8] == pytest.approx(1e-8, rel=1e-12) and ours[9:] == [ours[8]] * 4


def test_eps_holds_the_lr_where_a_reduction_would_lower_it_by_eps_or_less():
    # lr0 0.1, rate 0.5, floor 0.02: 0.1 -> 0.05 -> 0.025 -> 0.02 lowers by 0.05, 0.025, 0.005.
    policy = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, min_lr=0.02, eps=0.01)
    assert [policy.last_reduction(lr0) for lr0 in (0.1, 0.01, 1.0)] == [2, 0, 6]  # from 1.0: ..., 0.03125 -> 0.02 lowers by 0.01125
    assert lrpol_after_each(policy, [1.0] * 5) == [0.1, 0.1, 0.05, 0.025, 0.025, 0.025]  # the first result sets best
    assert ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5).last_reduction(0.1) == 2**53  # no eps: no limit


def test_a_preview_marks_only_the_reductions_that_lowered_the_lr():
    policy = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, eps=0.02)
    ctx = TrainContext(initial_lr=0.1, total_epochs=6, steps_per_epoch=2)
    assert reduction_epochs(policy, ctx, [1.0] * 6) == [1, 2]


# -- resume ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "policy",
    [
        from_torch(mode="max", patience=1, threshold=0.1, cooldown=1),  # rel_signed, eps 1e-8
        ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, eps=0.02, cooldown=1),
        from_optax(patience=1, rtol=0.3, atol=0.03, min_scale=0.1),
        from_keras(patience=1, cooldown=2, min_delta=0.2),
    ],
    ids=["torch", "eps", "optax", "keras"],
)
def test_a_run_resumes_exactly_from_any_update(policy):
    metrics = [0.5, -0.25, -0.25, 0.125, 0.125, 0.125, -0.5, -0.5, -0.5, -0.5]

    def start():
        applied = []
        return LRHook(policy, TrainContext(initial_lr=LR0, total_epochs=12, steps_per_epoch=2), applied.append), applied

    lrs = assert_resumes_exactly(start, metrics, steps_per_epoch=2, total_steps=24)
    assert len(set(lrs)) > 1
    # The state is the same five fields as before the new arguments: old checkpoints load.
    hook, _ = start()
    for _ in range(3):
        hook.step()
        hook.report_metric(0.5)
    assert set(json.loads(json.dumps(hook.state_dict()))["policy"]) == {"seen", "best", "bad_count", "cooldown_left", "reductions"}


# -- arguments: hand-checked values and clear refusals ---------------------------------------------


@pytest.mark.parametrize(
    "threshold_mode, best, improving, not_improving",
    [
        ("rel", 2.0, 2.6, 2.4),  # beat 2.0 + 0.25 * 2.0 = 2.5
        ("rel", -2.0, -1.4, -1.6),  # beat -2.0 + 0.25 * 2.0 = -1.5
        ("abs", -2.0, -1.7, -1.8),  # beat -2.0 + 0.25
        ("rel_signed", 2.0, 2.6, 2.4),  # beat 2.0 * 1.25 = 2.5
        ("rel_signed", -2.0, -2.4, -2.6),  # beat -2.0 * 1.25 = -2.5: a worse result improves
    ],
)
def test_hand_computed_thresholds(threshold_mode, best, improving, not_improving):
    policy = ReduceOnPlateau(plateau_count_trigger=5, reduction_rate=0.5, threshold=0.25, threshold_mode=threshold_mode)
    after_one = (1, best, 0, 0, 0)
    assert policy.observe(after_one, improving) == (2, improving, 0, 0, 0)
    assert policy.observe(after_one, not_improving) == (2, best, 1, 0, 0)


def test_hand_computed_threshold_abs_and_min_lr_ratio():
    first = (1, 2.0, 0, 0, 0)  # best 2.0 after one result
    # threshold_abs adds to the relative margin: 2.0 + 0.25 * 2.0 + 0.125 = 2.625
    policy = ReduceOnPlateau(plateau_count_trigger=5, reduction_rate=0.5, threshold=0.25, threshold_abs=0.125)
    assert [policy.observe(first, m)[1] for m in (2.6, 2.7)] == [2.0, 2.7]
    # min_lr_ratio: the floor is a fraction of lr0 (0.3 * 0.1 = 0.03)
    floored = ReduceOnPlateau(plateau_count_trigger=1, reduction_rate=0.5, min_lr_ratio=0.3)
    assert lrpol_after_each(floored, [1.0] * 4) == pytest.approx([0.1, 0.1, 0.05, 0.03, 0.03], rel=1e-15)


ENTRY = {"name": "ReduceOnPlateau", "args": {"plateau_count_trigger": 2, "reduction_rate": 0.5}}


def entry_with(**arguments: object) -> dict:
    return {"name": "ReduceOnPlateau", "args": {**ENTRY["args"], **arguments}}


@pytest.mark.parametrize(
    "arguments, json_path, code, message",
    [
        ({"threshold_mode": "relative"}, "$.args.threshold_mode", "invalid-choice", "must be 'rel' or 'abs' or 'rel_signed', got \"relative\""),
        ({"eps": -1e-8}, "$.args.eps", "out-of-range", "must be >= 0, got -1e-08"),
        ({"min_lr": 1e-4, "min_lr_ratio": 0.1}, "$.args.min_lr_ratio", "conflict", "give min_lr (an LR) or min_lr_ratio (a fraction of lr0), not both"),
        ({"threshold_mode": "abs", "threshold_abs": 0.1}, "$.args.threshold_abs", "conflict", "threshold_mode 'abs' takes its margin from threshold"),
        ({"threshold_mode": "rel_signed", "mode": "min", "threshold": 1}, "$.args.threshold", "out-of-range", "must be < 1 with threshold_mode 'rel_signed' in mode 'min', got 1"),
        ({"eps": 1e-8, "policy": {"name": "ReducePoly", "args": {"poly_power": 1}}}, "$.args.eps", "conflict", "needs a plateau without a wrapped policy"),
    ],
    ids=["mode-typo", "negative-eps", "two-floors", "abs-with-threshold_abs", "rel_signed-threshold-1", "eps-with-a-policy"],
)
def test_an_invalid_config_is_a_problem_pointing_at_the_argument(arguments, json_path, code, message):
    entry = entry_with(**arguments)
    with pytest.raises(ConfigError) as info:
        build(entry)
    assert [(p.json_path, p.code) for p in info.value.problems] == [(json_path, code)]
    assert [(p.json_path, p.code) for p in validate(entry)] == [(json_path, code)]
    assert message in str(info.value)


def test_the_new_arguments_build_from_a_config():
    entry = entry_with(threshold=1e-4, threshold_mode="rel_signed", threshold_abs=0.01, min_lr_ratio=0.01, eps=1e-8, mode="min")
    assert validate(entry) == []
    assert build(entry) == ReduceOnPlateau(
        plateau_count_trigger=2, reduction_rate=0.5, threshold=1e-4, threshold_mode="rel_signed", threshold_abs=0.01, min_lr_ratio=0.01, eps=1e-8, mode="min",
    )
    # A wrapped policy is fine without eps.
    assert build(entry_with(policy={"name": "ReducePoly", "args": {"poly_power": 1}})).policy == ReducePoly(poly_power=1)
