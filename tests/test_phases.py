"""A closed-form policy in a phase reads the phase's clock as numbers (Schedule.in_phase); a
policy of any other kind reads it through a PhaseContext (clock.shifted). Both must give the
same LR, and the same error where the phase cannot know a clock."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from lrpol import CosineRestarts, DecayOnStep, LinearDecay, MultiStepDecay, OneCycle, ReduceCosine, ReducePoly, TrainContext
from lrpol.clock import phase_geometry, shifted
from lrpol.schedule import Schedule

UNITS = st.sampled_from(["step", "epoch"])


def schedules() -> st.SearchStrategy[Schedule]:
    return st.one_of(
        st.builds(DecayOnStep, decay_ratio=st.floats(0.05, 1.0), decay_freq=st.integers(1, 7)),
        st.builds(ReducePoly, poly_power=st.floats(0.5, 3.0), unit=UNITS, min_lr=st.sampled_from([0.0, 0.01])),
        st.builds(ReduceCosine, unit=UNITS, min_lr=st.sampled_from([0.0, 0.01])),
        st.builds(MultiStepDecay, milestones=st.just((2, 5)), gamma=st.floats(0.1, 1.0), unit=UNITS),
        st.builds(LinearDecay, duration=st.one_of(st.none(), st.integers(1, 9)), unit=UNITS),
        st.builds(CosineRestarts, period=st.integers(1, 5), period_mult=st.integers(1, 3), unit=UNITS),
        st.builds(OneCycle, pct_start=st.floats(0.0, 1.0), three_phase=st.booleans(), unit=UNITS),
    )


def outcome(call):
    try:
        return ("lr", call())
    except ValueError as error:
        return ("error", str(error))


@settings(max_examples=examples(3000), deadline=None)
@given(
    policy=schedules(),
    start=st.integers(0, 12),
    length=st.one_of(st.none(), st.integers(1, 12)),
    unit=UNITS,
    epochs=st.integers(1, 8),
    steps_per_epoch=st.one_of(st.none(), st.integers(1, 5)),
    step=st.integers(0, 60),
)
def test_a_schedule_reads_its_phase_as_a_phase_context_would_give_it(policy, start, length, unit, epochs, steps_per_epoch, step):
    ctx = TrainContext(initial_lr=0.3, total_epochs=epochs, steps_per_epoch=steps_per_epoch)
    ctx = replace(ctx, global_step=step, epoch=step // steps_per_epoch if steps_per_epoch else step % (epochs + 3))
    phase = phase_geometry(ctx, start, length, unit)
    expected = outcome(lambda: policy.evaluate(shifted(ctx, start, length, unit, geometry=phase)))
    got = outcome(lambda: policy.in_phase(phase, ctx))
    assert got[0] == expected[0], (got, expected)
    if got[0] == "lr":
        assert got[1] == pytest.approx(expected[1], rel=1e-15)
    else:
        assert got == expected
