"""Continuous actions: a DT trained on a generated Pendulum dataset (a noisy swing-up heuristic at
several noise levels, plus uniform-random play) gets more return when asked for more."""

from __future__ import annotations

import numpy as np
import pytest

from simulacra.reproduce.pendulum import PendulumConfig, run


@pytest.mark.expensive
def test_pendulum_return_rises_with_target():
    res = run(PendulumConfig(episodes=100, seeds=1, targets=(-1200.0, -600.0, -150.0),
                             eval_episodes=8))
    lo, hi = res.data_range[0]
    assert hi - lo > 500  # the data spans a wide range of skill
    got = np.array(res.achieved[0])  # ascending targets
    assert got[2] > got[0] + 200, got
    assert np.all(np.diff(got) > 0), got
