"""Parity of the cyclic family with torch: CyclicLR's LR and momentum, OneCycleLR's momentum, and
OneCycleLR with a total_steps of its own.

The mapping, also stated in the policies' docstrings (u, d: the step sizes; f: the floor; v0: the
optimizer's momentum, which a momentum schedule is evaluated with as its lr0; m: max_momentum or
v0; b: base_momentum; H: the horizon, or the run's length in unit):
- Cyclic(u, d, mode, gamma, min_lr=f)            == CyclicLR(base_lr=f, max_lr=lr0, step_size_up=u, step_size_down=d, mode, gamma), its "lr"
- CyclicMomentum(u, d, mode, gamma, b, m)         == the same CyclicLR(base_momentum=b, max_momentum=m): "momentum" (SGD), "betas"[0] (Adam)
- OneCycleMomentum(p, anneal, 3p, horizon, b, m)  == OneCycleLR(total_steps=H, pct_start=p, anneal_strategy=anneal, three_phase=3p, base_momentum=b, max_momentum=m)
- OneCycle(..., horizon=H)                        == OneCycleLR(max_lr=lr0, total_steps=H, ...)
torch is stepped once per update (unit "step") or once per epoch (unit "epoch"); ours runs through
the hook (LRHook, its bound function) and through lrpol.curve, and is compared at every update,
at rel 1e-12 (torch computes these in float64, with the same operations: most agree to the bit).
"""

import math

import pytest
from conftest import requires_extra
from parity import assert_matches

from lrpol import Cyclic, CyclicMomentum, LRHook, OneCycle, OneCycleMomentum, TrainContext, curve
from lrpol.clock import span
from lrpol.hook import drive

torch = requires_extra("torch")
from torch.optim import lr_scheduler  # noqa: E402

LR0 = 0.1
V0 = 0.9  # the optimizer's momentum (SGD momentum, Adam betas[0]) before torch overwrites it
OPTIMIZERS = ["SGD", "Adam"]


def torch_run(make_scheduler, kind: str, count: int) -> tuple[list[float], list[float]]:
    """torch's LR and momentum before each of ``count`` updates (or epochs), stepping after each
    but the last (OneCycleLR refuses to go more than one step past its total)."""
    parameters = [torch.nn.Parameter(torch.zeros(1))]
    if kind == "SGD":
        optimizer = torch.optim.SGD(parameters, lr=LR0, momentum=V0)
    else:
        optimizer = torch.optim.Adam(parameters, lr=LR0, betas=(V0, 0.999))
    scheduler = make_scheduler(optimizer)
    lrs, momenta = [], []
    for i in range(count):
        group = optimizer.param_groups[0]
        lrs.append(group["lr"])
        momenta.append(group["momentum"] if kind == "SGD" else group["betas"][0])
        optimizer.step()
        if i < count - 1:
            scheduler.step()
    return lrs, momenta


def per_update(values: list[float], unit: str, steps_per_epoch: int) -> list[float]:
    """torch's values, one per update: an epoch's value for each of its updates under unit "epoch"."""
    return values if unit == "step" else [v for v in values for _ in range(steps_per_epoch)]


def ours(policy, lr0: float, epochs: int, steps_per_epoch: int, updates: int) -> dict[str, list[float]]:
    """The policy's values for ``updates`` updates of a run of ``epochs`` x ``steps_per_epoch``, with
    lr0 (the optimizer's momentum, for a momentum schedule): through the hook (the function it
    binds), through ``evaluate`` at each update, and through lrpol.curve."""
    def run() -> TrainContext:
        return TrainContext(initial_lr=lr0, total_epochs=epochs, steps_per_epoch=steps_per_epoch)

    hook = LRHook(policy, run(), lambda value: None)
    at = [TrainContext(initial_lr=lr0, total_epochs=epochs, steps_per_epoch=steps_per_epoch, global_step=s, epoch=s // steps_per_epoch) for s in range(updates)]
    return {
        "hook": [value for _, value in drive(hook, updates)],
        "evaluate": [policy.evaluate(ctx) for ctx in at],
        "curve": curve(policy, run(), steps=updates).tolist(),
    }


def assert_all_close(policy, lr0: float, epochs: int, steps_per_epoch: int, expected: list[float]) -> None:
    for path, values in ours(policy, lr0, epochs, steps_per_epoch, len(expected)).items():
        assert_matches(values, expected, 1e-12, what=f"{policy!r} through {path}")


# -- CyclicLR: the LR and the momentum ---------------------------------------------------------------

# (the shape arguments, shared by Cyclic and CyclicMomentum; the floor, as Cyclic's argument)
CYCLIC_CASES = [
    ({"step_size_up": 7, "step_size_down": 13}, {"min_lr": 0.01}),
    ({"step_size_up": 10, "mode": "triangular2"}, {"min_lr_ratio": 0.25}),
    ({"step_size_up": 5, "step_size_down": 20, "mode": "exp_range", "gamma": 0.995}, {"min_lr": 1e-3}),
    ({"step_size_up": 1}, {"min_lr_ratio": 0.0}),  # cycling from LR 0, as torch allows with base_lr=0
    ({"step_size_up": 30, "step_size_down": 1, "mode": "triangular2"}, {"min_lr": 0.05}),
    ({"step_size_up": 3, "step_size_down": 4, "mode": "exp_range", "gamma": 0.9, "unit": "epoch"}, {"min_lr": 0.02}),
    ({"step_size_up": 2, "mode": "triangular2", "unit": "epoch"}, {"min_lr_ratio": 0.1}),
    # step sizes as fractions of the run: 0.05 of 200 updates is 10; 0.07 of 200 is 14.000000000000002 in
    # floats, rounded up to 15 (as Hugging Face rounds its ratios)
    ({"step_size_up": 0.05, "step_size_down": 0.07, "mode": "exp_range", "gamma": 0.998}, {"min_lr": 0.01}),
    ({"step_size_up": 0.1, "unit": "epoch"}, {"min_lr": 0.01}),  # 4 of 40 epochs
]
EPOCHS, STEPS_PER_EPOCH = 40, 5  # a run of 200 updates; compared over 300, as both keep cycling after it


def cyclic_case(shape: dict, floor: dict, kind: str, base_momentum: float, max_momentum: float) -> tuple:
    """(Cyclic, torch's LRs and momenta per update, run over 300 updates or 60 epochs)."""
    policy = Cyclic(**shape, **floor)
    unit = policy.unit
    count, run_length = (300, EPOCHS * STEPS_PER_EPOCH) if unit == "step" else (60, EPOCHS)
    base_lr = floor.get("min_lr", 0.0) if "min_lr_ratio" not in floor else floor["min_lr_ratio"] * LR0
    down = shape.get("step_size_down")

    def scheduler(optimizer):
        return lr_scheduler.CyclicLR(
            optimizer, base_lr=base_lr, max_lr=LR0, step_size_up=span(shape["step_size_up"], run_length), step_size_down=down and span(down, run_length),
            mode=shape.get("mode", "triangular"), gamma=shape.get("gamma", 1.0), base_momentum=base_momentum, max_momentum=max_momentum,
        )

    lrs, momenta = torch_run(scheduler, kind, count)
    return policy, per_update(lrs, unit, STEPS_PER_EPOCH), per_update(momenta, unit, STEPS_PER_EPOCH)


@pytest.mark.parametrize("kind", OPTIMIZERS)
@pytest.mark.parametrize("shape, floor", CYCLIC_CASES, ids=[repr(Cyclic(**s, **f)) for s, f in CYCLIC_CASES])
def test_cyclic_lr_and_momentum_equal_torch_cyclic_lr(shape, floor, kind):
    policy, lrs, momenta = cyclic_case(shape, floor, kind, base_momentum=0.8, max_momentum=V0)
    assert_all_close(policy, LR0, EPOCHS, STEPS_PER_EPOCH, lrs)
    # max_momentum None: the optimizer's own momentum, v0, is the top (torch's max_momentum = v0)
    assert_all_close(CyclicMomentum(**shape), V0, EPOCHS, STEPS_PER_EPOCH, momenta)


@pytest.mark.parametrize("kind", OPTIMIZERS)
@pytest.mark.parametrize("shape, floor", CYCLIC_CASES[:3] + CYCLIC_CASES[-3:], ids=[repr(CyclicMomentum(**s)) for s, _ in CYCLIC_CASES[:3] + CYCLIC_CASES[-3:]])
def test_cyclic_momentum_with_its_own_levels_equals_torch(shape, floor, kind):
    # torch writes its max_momentum over the optimizer's; an explicit max_momentum ignores v0 likewise
    _, _, momenta = cyclic_case(shape, floor, kind, base_momentum=0.85, max_momentum=0.95)
    policy = CyclicMomentum(**shape, base_momentum=0.85, max_momentum=0.95)
    assert_all_close(policy, 0.5, EPOCHS, STEPS_PER_EPOCH, momenta)


def test_cyclic_first_update_top_and_turns_are_torch_s():
    # u = 7, d = 13: the floor at t = 0, lr0 at t = 7, the floor again at t = 20 (and 40, ...)
    policy, lrs, momenta = cyclic_case({"step_size_up": 7, "step_size_down": 13}, {"min_lr": 0.01}, "SGD", 0.8, V0)
    turns = [lrs[t] for t in (0, 7, 20, 40)]
    assert turns == [0.01, pytest.approx(LR0, rel=1e-15), 0.01, 0.01]  # torch's top: 0.09999999999999999
    assert [momenta[t] for t in (0, 7, 20)] == [V0, pytest.approx(0.8, rel=1e-15), V0]
    for values in ours(policy, LR0, EPOCHS, STEPS_PER_EPOCH, 41).values():
        assert [values[t] for t in (0, 7, 20, 40)] == turns  # to the bit


def test_triangular2_goes_on_where_torch_overflows():
    # torch's 1 / 2.0 ** (cycle - 1) overflows in cycle 1,025 (from t = 2,048 for u = d = 1). By
    # then the height is far below a float's smallest step of the floor: the LR is the floor.
    policy = Cyclic(step_size_up=1, mode="triangular2", min_lr=0.01)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR0, momentum=V0)
    scheduler = lr_scheduler.CyclicLR(optimizer, base_lr=0.01, max_lr=LR0, step_size_up=1, mode="triangular2")
    optimizer.step()
    scheduler.last_epoch = 2046
    scheduler.step()  # t = 2,047: the top of cycle 1,024
    assert policy.evaluate(TrainContext(initial_lr=LR0, total_epochs=1, global_step=2047)) == optimizer.param_groups[0]["lr"] == 0.01
    scheduler.last_epoch = 2048
    with pytest.raises(OverflowError):
        scheduler.step()  # t = 2,049: the top of cycle 1,025
    for t in (2049, 10**6 + 1):
        assert policy.evaluate(TrainContext(initial_lr=LR0, total_epochs=1, global_step=t)) == 0.01


# -- OneCycleLR: the momentum, and a cycle of its own length -------------------------------------------

RUN_EPOCHS, RUN_STEPS_PER_EPOCH = 60, 4  # a run of 240 updates, or 60 epochs

# (pct_start, anneal, three_phase, horizon, unit)
ONE_CYCLE_CASES = [
    (0.3, "cos", False, None, "step"),
    (0.25, "linear", False, None, "step"),
    (0.3, "cos", True, None, "step"),
    (0.4, "linear", True, None, "step"),
    (0.7, "cos", True, None, "step"),  # three phases with p above 1/2: the last is cut off
    (0.0, "linear", False, None, "step"),  # no first phase: t = 0 is already past the peak
    (0.3, "cos", False, 150, "step"),  # a cycle shorter than the run: held after it
    (0.25, "linear", True, 400, "step"),  # longer: the run ends part-way through
    (0.3, "cos", False, None, "epoch"),
    (0.5, "linear", True, 45, "epoch"),
]


def one_cycle_case(pct_start, anneal, three_phase, horizon, unit, kind, base_momentum=0.85, max_momentum=V0):
    """(OneCycle, OneCycleMomentum, torch's LRs and momenta per update over its whole cycle, the cycle's length in unit)."""
    shape = {"pct_start": pct_start, "anneal": anneal, "three_phase": three_phase, "horizon": horizon, "unit": unit}
    length = horizon or (RUN_EPOCHS * RUN_STEPS_PER_EPOCH if unit == "step" else RUN_EPOCHS)

    def scheduler(optimizer):
        return lr_scheduler.OneCycleLR(
            optimizer, max_lr=LR0, total_steps=length, pct_start=pct_start, anneal_strategy=anneal, three_phase=three_phase,
            base_momentum=base_momentum, max_momentum=max_momentum,
        )

    lrs, momenta = torch_run(scheduler, kind, length)
    return OneCycle(**shape), OneCycleMomentum(**shape), per_update(lrs, unit, RUN_STEPS_PER_EPOCH), per_update(momenta, unit, RUN_STEPS_PER_EPOCH)


@pytest.mark.parametrize("kind", OPTIMIZERS)
@pytest.mark.parametrize("case", ONE_CYCLE_CASES, ids=lambda case: "-".join(map(str, case)))
def test_one_cycle_lr_and_momentum_equal_torch_one_cycle_lr(case, kind):
    lr_policy, momentum_policy, lrs, momenta = one_cycle_case(*case, kind)
    run_updates = RUN_EPOCHS * RUN_STEPS_PER_EPOCH
    compared = min(len(lrs), run_updates + 20)  # a cycle longer than the run: compared past its end too
    assert_all_close(lr_policy, LR0, RUN_EPOCHS, RUN_STEPS_PER_EPOCH, lrs[:compared])
    assert_all_close(momentum_policy, V0, RUN_EPOCHS, RUN_STEPS_PER_EPOCH, momenta[:compared])


@pytest.mark.parametrize("kind", OPTIMIZERS)
@pytest.mark.parametrize("case", [ONE_CYCLE_CASES[0], ONE_CYCLE_CASES[3], ONE_CYCLE_CASES[6], ONE_CYCLE_CASES[-1]], ids=lambda case: "-".join(map(str, case)))
def test_one_cycle_momentum_with_its_own_levels_equals_torch(case, kind):
    *_, momenta = one_cycle_case(*case, kind, base_momentum=0.8, max_momentum=0.95)
    pct_start, anneal, three_phase, horizon, unit = case
    policy = OneCycleMomentum(pct_start=pct_start, anneal=anneal, three_phase=three_phase, horizon=horizon, unit=unit, base_momentum=0.8, max_momentum=0.95)
    assert_all_close(policy, 0.5, RUN_EPOCHS, RUN_STEPS_PER_EPOCH, momenta)


@pytest.mark.parametrize("unit", ["step", "epoch"])
def test_after_the_horizon_the_last_values_are_held_where_torch_raises(unit):
    horizon = 150 if unit == "step" else 45
    lr_policy, momentum_policy, lrs, momenta = one_cycle_case(0.3, "cos", True, horizon, unit, "SGD")
    run_updates = RUN_EPOCHS * RUN_STEPS_PER_EPOCH
    for policy, lr0, expected in ((lr_policy, LR0, lrs), (momentum_policy, V0, momenta)):
        for path, values in ours(policy, lr0, RUN_EPOCHS, RUN_STEPS_PER_EPOCH, run_updates + 10).items():
            assert_matches(values[: len(expected)], expected, 1e-12, what=f"{policy!r} through {path}")
            held = values[len(expected):]
            assert len(held) >= 10 and held == [expected[-1]] * len(held), path
    assert momenta[0] == momenta[-1] == V0 and lrs[-1] == pytest.approx(LR0 / 25 / 1e4, rel=1e-12)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR0, momentum=V0)
    scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=LR0, total_steps=horizon)
    for _ in range(horizon):
        optimizer.step()
        scheduler.step()
    optimizer.step()
    with pytest.raises(ValueError, match="Tried to step"):
        scheduler.step()


def test_one_update_first_phase_where_torch_divides_by_zero():
    # p * T = 0.01 * 100 = 1: torch's first phase ends where it starts; ours runs it at its start
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR0, momentum=V0)
    with pytest.raises(ZeroDivisionError):
        lr_scheduler.OneCycleLR(optimizer, max_lr=LR0, total_steps=100, pct_start=0.01)
    policy = OneCycleMomentum(pct_start=0.01, horizon=100)
    for values in ours(policy, V0, 1, 100, 2).values():
        # then up from b = 0.85 to m = 0.9 over t = 0 .. 99
        assert values == [V0, pytest.approx(V0 - 0.05 * (1 + math.cos(math.pi / 99)) / 2, rel=1e-12)]


# -- both at once, as a run applies them: the LR and the momentum through attach(schedules=...) -------

def make_optimizer(kind: str):
    parameters = [torch.nn.Parameter(torch.zeros(1))]
    if kind == "SGD":
        return torch.optim.SGD(parameters, lr=LR0, momentum=V0)
    return torch.optim.Adam(parameters, lr=LR0, betas=(V0, 0.999))


def group_values(optimizer, kind: str) -> tuple[float, float]:
    group = optimizer.param_groups[0]
    return group["lr"], group["momentum"] if kind == "SGD" else group["betas"][0]


@pytest.mark.parametrize("kind", OPTIMIZERS)
@pytest.mark.parametrize(
    "lr_policy, momentum_policy, make_scheduler",
    [
        (
            Cyclic(step_size_up=6, step_size_down=9, mode="triangular2", min_lr=0.01),
            CyclicMomentum(step_size_up=6, step_size_down=9, mode="triangular2", base_momentum=0.85),
            lambda o: lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=LR0, step_size_up=6, step_size_down=9, mode="triangular2", base_momentum=0.85, max_momentum=V0),
        ),
        (
            OneCycle(pct_start=0.25, three_phase=True, horizon=100),
            OneCycleMomentum(pct_start=0.25, three_phase=True, horizon=100, max_momentum=0.95),
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=LR0, total_steps=100, pct_start=0.25, three_phase=True),
        ),
    ],
    ids=["Cyclic", "OneCycle"],
)
def test_attached_lr_and_momentum_follow_torch_at_every_update(lr_policy, momentum_policy, make_scheduler, kind):
    from lrpol.integrations.torch import attach

    theirs, ours_ = make_optimizer(kind), make_optimizer(kind)
    scheduler = make_scheduler(theirs)
    hook = attach(ours_, lr_policy, TrainContext(initial_lr=LR0, total_epochs=10, steps_per_epoch=10), schedules={"momentum": momentum_policy})
    for update in range(100):
        expected = group_values(theirs, kind)
        got = group_values(ours_, kind)
        assert got == pytest.approx(expected, rel=1e-12), update
        theirs.step()
        ours_.step()
        if update < 99:
            scheduler.step()
            hook.step()
