"""LRHook.policy = None: what the constructor does with None (keep lr0), not a half-set hook."""

import lrpol


def test_setting_the_policy_to_none_keeps_lr0_for_the_rest_of_the_run():
    lrs: list[float] = []
    ctx = lrpol.TrainContext(initial_lr=0.1, total_epochs=2, steps_per_epoch=2)
    hook = lrpol.LRHook(lrpol.DecayOnStep(decay_ratio=0.5, decay_freq=1), ctx, lrs.append)
    hook.step()
    hook.policy = None  # was: AttributeError from binding None, with the history already wiped
    assert [hook.step(), hook.step()] == [0.1, 0.1] and lrs == [0.1, 0.05, 0.1, 0.1]
    assert hook.state_dict()["policy"] == {} and ctx.history == {}
