"""lrpol.integrations.torch with real optimizers, a real training loop, torch.save/torch.load
resume, torch.compile, and real torch.distributed processes."""

import io
import json
import os
import socket
import subprocess
import sys
import textwrap
import warnings

import pytest
from conftest import CONFIGS, ROOT, requires_extra

import lrpol
from lrpol import TrainContext, curve, load
from lrpol.hook import drive

torch = requires_extra("torch")
from lrpol.integrations.torch import SCALE_KEY, attach, distributed_metric  # noqa: E402


def three_groups(optimizer_class, lr=0.1, **kwargs):
    """An optimizer over three param groups at lr, lr / 10 and 2 * lr."""
    torch.manual_seed(0)
    body, head, bias = torch.nn.Linear(4, 4), torch.nn.Linear(4, 1), torch.nn.Parameter(torch.zeros(1))
    groups = [{"params": body.parameters()}, {"params": head.parameters(), "lr": lr / 10}, {"params": [bias], "lr": 2 * lr}]
    return optimizer_class(groups, lr=lr, **kwargs)


@pytest.mark.parametrize("optimizer_class", [torch.optim.SGD, torch.optim.Adam])
def test_every_group_follows_the_policy_at_its_own_ratio(optimizer_class):
    optimizer = three_groups(optimizer_class)
    ctx = TrainContext(initial_lr=0.1, total_epochs=4, steps_per_epoch=2)
    hook = attach(optimizer, lrpol.ReducePoly(poly_power=1), ctx)
    seen = []
    for _ in range(8):
        seen.append([group["lr"] for group in optimizer.param_groups])
        hook.step()
    expected = [0.1, 0.1, 0.075, 0.075, 0.05, 0.05, 0.025, 0.025]
    assert [row[0] for row in seen] == pytest.approx(expected, rel=1e-15)
    assert [row[1] for row in seen] == pytest.approx([lr / 10 for lr in expected], rel=1e-15)
    assert [row[2] for row in seen] == pytest.approx([lr * 2 for lr in expected], rel=1e-15)
    assert [group[SCALE_KEY] for group in optimizer.param_groups] == pytest.approx([1.0, 0.1, 2.0], rel=1e-15)


def test_optimizer_step_is_never_wrapped_and_nothing_warns():
    optimizer = three_groups(torch.optim.SGD)
    step_before = optimizer.step
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hook = attach(optimizer, lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=2), TrainContext(initial_lr=0.1, total_epochs=1))
        for _ in range(5):
            hook.step()  # before optimizer.step(), which torch's schedulers warn about
            optimizer.step()
    assert optimizer.step == step_before
    assert type(optimizer).step is torch.optim.SGD.step
    assert "step" not in vars(optimizer)


def test_tensor_lr_is_updated_in_place_and_compiled_steps_do_not_recompile():
    from torch._dynamo.utils import counters

    def compiled_graphs(lr):
        torch._dynamo.reset()
        counters.clear()
        model = torch.nn.Linear(4, 1)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        slot = optimizer.param_groups[0]["lr"]
        hook = attach(optimizer, lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=1), TrainContext(initial_lr=0.01, total_epochs=1))

        @torch.compile(backend="eager")
        def update():
            optimizer.step()

        for _ in range(5):
            model(torch.ones(2, 4)).sum().backward()
            update()
            optimizer.zero_grad()
            hook.step()
        final = optimizer.param_groups[0]["lr"]
        return counters["stats"]["unique_graphs"], final, slot

    graphs, final, slot = compiled_graphs(torch.tensor(0.01))
    assert final is slot and float(final) == pytest.approx(0.01 * 0.5**5, rel=1e-6)  # float32 tensor
    assert graphs == 1
    float_graphs, _, _ = compiled_graphs(0.01)
    assert float_graphs > 1  # the negative control: a float LR is a constant the graph must guard on


def test_a_real_training_loop(capsys):
    torch.manual_seed(0)
    X = torch.randn(128, 3)
    y = X @ torch.tensor([1.5, -2.0, 0.5]) + 0.1
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    policy = load(CONFIGS / "reduce_cosine.yaml")
    ctx = TrainContext(initial_lr=0.05, total_epochs=20, steps_per_epoch=8)
    hook = attach(optimizer, policy, ctx)
    applied, losses = [], []
    for _ in range(ctx.total_epochs):
        for batch in torch.arange(128).split(16):
            applied.append(optimizer.param_groups[0]["lr"])
            loss = torch.nn.functional.mse_loss(model(X[batch]).squeeze(1), y[batch])
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            hook.step()
        losses.append(torch.nn.functional.mse_loss(model(X).squeeze(1), y).item())
    assert applied == pytest.approx(curve(policy, ctx).tolist(), rel=1e-12, abs=0)
    assert losses[-1] < 1e-3 < losses[0]


# -- exact resume through torch.save / torch.load ---------------------------------------------

def run(config, steps, metrics, *, stop=None, checkpoint=None, load_optimizer=True):
    """LRs of every group before each update; with stop, return a torch checkpoint after `stop` updates."""
    spe = 4
    optimizer = three_groups(torch.optim.SGD, lr=1e-3)  # built fresh, as a restarted job does
    if checkpoint is not None and load_optimizer:
        optimizer.load_state_dict(checkpoint["optimizer"])
    ctx = TrainContext(initial_lr=1e-3, total_epochs=10, steps_per_epoch=spe)
    hook = attach(optimizer, load(config), ctx)
    if checkpoint is not None:
        hook.load_state_dict(json.loads(checkpoint["lrpol"]))
    lrs = []
    for step, _ in drive(hook, steps, metrics):
        if step == stop:
            buffer = io.BytesIO()
            torch.save({"optimizer": optimizer.state_dict(), "lrpol": json.dumps(hook.state_dict())}, buffer)
            buffer.seek(0)
            return torch.load(buffer, weights_only=True), lrs
        lrs.append(tuple(group["lr"] for group in optimizer.param_groups))
        optimizer.step()
    return None, lrs


@pytest.mark.parametrize("load_optimizer", [True, False], ids=["optimizer-loaded", "optimizer-fresh"])
@pytest.mark.parametrize("config", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_resume_through_torch_save_is_exact_for_every_group(config, load_optimizer):
    metrics = [0.1, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2]
    steps = 40
    _, reference = run(config, steps, metrics)
    for stop in range(0, steps, 3):
        checkpoint, before = run(config, steps, metrics, stop=stop)
        _, after = run(config, steps, metrics, checkpoint=checkpoint, load_optimizer=load_optimizer)
        assert before + after == reference, stop


def test_after_load_the_optimizer_carries_the_restored_lr():
    config = CONFIGS / "decay_on_step.yaml"  # decay_freq 20, ratio 0.5
    checkpoint, _ = run(config, 40, [0.5] * 10, stop=25)
    optimizer = three_groups(torch.optim.SGD, lr=1e-3)
    hook = attach(optimizer, load(config), TrainContext(initial_lr=1e-3, total_epochs=10, steps_per_epoch=4))
    assert [g["lr"] for g in optimizer.param_groups] == pytest.approx([1e-3, 1e-4, 2e-3])  # update 0
    hook.load_state_dict(json.loads(checkpoint["lrpol"]))
    assert [g["lr"] for g in optimizer.param_groups] == pytest.approx([5e-4, 5e-5, 1e-3], rel=1e-15)  # update 25


def test_scales_travel_with_the_optimizer_state():
    optimizer = three_groups(torch.optim.SGD, lr=1e-3)
    hook = attach(optimizer, lrpol.ReducePoly(poly_power=1), TrainContext(initial_lr=1e-3, total_epochs=2, steps_per_epoch=1))
    hook.step()  # the groups now hold lr0 / 2 and its multiples
    restored = three_groups(torch.optim.SGD, lr=1e-3)
    restored.load_state_dict(optimizer.state_dict())
    attach(restored, lrpol.ReducePoly(poly_power=1), TrainContext(initial_lr=1e-3, total_epochs=2, steps_per_epoch=1))
    # scales come from the saved groups, not from the decayed LRs the groups held
    assert [g[SCALE_KEY] for g in restored.param_groups] == pytest.approx([1.0, 0.1, 2.0], rel=1e-15)


# -- torch.distributed: every rank takes the same plateau decision ----------------------------

RANK_SCRIPT = textwrap.dedent("""\
    import json, os, sys
    from datetime import timedelta
    import torch, torch.distributed as dist
    import lrpol
    from lrpol.integrations.torch import attach

    rank, port, reductions, nan_epoch = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(","), int(sys.argv[4])
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2, timeout=timedelta(seconds=60))
    for reduce in reductions:  # one run each, in the same process group (starting ranks is the slow part)
        model = torch.nn.Linear(2, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        ctx = lrpol.TrainContext(initial_lr=0.1, total_epochs=8, steps_per_epoch=2)
        policy = lrpol.ReduceOnPlateau(plateau_count_trigger=2, reduction_rate=0.5, mode="max")
        hook = attach(optimizer, policy, ctx, reduce_metric=None if reduce == "none" else reduce)
        # Rank 0's local Dice improves for three epochs, rank 1's is flat: their mean plateaus from epoch 3.
        local = [0.5, 0.55, 0.6, 0.65, 0.65, 0.65, 0.65, 0.65] if rank == 0 else [0.5] * 8
        if rank == 1 and nan_epoch >= 0:
            local[nan_epoch] = float("nan")
        lrs, refused = [], None
        for epoch in range(8):
            for _ in range(2):
                lrs.append(optimizer.param_groups[0]["lr"])
                hook.step()
            try:
                hook.report_metric(local[epoch])
            except ValueError as error:
                refused = [epoch, str(error), hook.state_dict()]
                break
        print(json.dumps({"lrs": lrs, "refused": refused}), flush=True)
    dist.barrier()  # neither rank tears its connection down while the other still uses it
    dist.destroy_process_group()
    # Leave without C++ static destructors: gloo's can abort at interpreter exit ("terminate called
    # without an active exception"), after all the work is done and printed.
    os._exit(0)
""")


def two_ranks(*reductions, nan_epoch=-1):
    """For each reduction, both ranks' runs: {"lrs": [...], "refused": [epoch, message, hook state after] or None}."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    ranks = [subprocess.Popen([sys.executable, "-c", RANK_SCRIPT, str(rank), str(port), ",".join(reductions), str(nan_epoch)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for rank in (0, 1)]
    outputs = []
    try:
        for process in ranks:
            out, err = process.communicate(timeout=180)
            assert process.returncode == 0, f"rank exited with {process.returncode}: {err}\n{out}"
            outputs.append([json.loads(line) for line in out.splitlines()])
    finally:
        for process in ranks:
            process.kill()
    return {reduce: [outputs[0][i], outputs[1][i]] for i, reduce in enumerate(reductions)}


def test_ranks_agree_with_a_reduced_metric_and_diverge_without():
    runs = two_ranks("mean", "none")
    reduced = [output["lrs"] for output in runs["mean"]]
    assert reduced[0] == reduced[1]
    # the mean's results 5 and 6 do not improve: both ranks halve the LR after epoch 5 together
    assert reduced[0] == [0.1] * 12 + [0.05] * 4
    local = [output["lrs"] for output in runs["none"]]  # the negative control: rank 1's flat metric reduces it alone, and sooner
    assert local[0] != local[1]
    assert local[1][6] == 0.05 and local[0][6] == 0.1


def test_a_nan_on_one_rank_stops_every_rank_for_every_reduction():
    # Rank 1 alone sees a NaN after epoch 2; rank 0's value is a fine 0.6.
    runs = two_ranks("mean", "max", "min", nan_epoch=2)
    message = "metric is nan: a NaN or infinite validation result cannot drive a policy"
    for op, outputs in runs.items():
        for output in outputs:
            epoch, refused_with, state = output["refused"]
            assert (epoch, refused_with) == (2, message), op
            assert output["lrs"] == [0.1] * 6, op
            # the refused result changed nothing: two results counted, as before it
            assert (state["context"]["metric_count"], state["policy"]["seen"]) == (2, 2), op
        assert outputs[0]["refused"] == outputs[1]["refused"], op


@pytest.mark.parametrize("op, expected", [("mean", 0.5), ("max", 0.5), ("min", 0.5)])
def test_distributed_metric_passes_through_without_a_process_group(op, expected):
    assert distributed_metric(op)(0.5) == expected


def test_distributed_metric_refuses_an_unknown_op():
    with pytest.raises(ValueError, match="op must be one of"):
        distributed_metric("median")


def test_an_integer_lr_in_a_group_is_written_as_a_float():
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1)
    hook = attach(optimizer, lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=1), TrainContext(initial_lr=1.0, total_epochs=1))
    hook.step()
    assert optimizer.param_groups[0]["lr"] == 0.5
