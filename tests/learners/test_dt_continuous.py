"""Continuous actions: a DT trained on a generated Pendulum dataset (a noisy swing-up heuristic at
several noise levels, plus uniform-random play) gets more return when asked for more."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from simulacra.learners.dt_policy import DTPolicy
from simulacra.learners.dt_train import train
from simulacra.reproduce.pendulum import DEFAULT_BUDGET, achieved, pendulum_data


@pytest.mark.expensive
def test_pendulum_return_rises_with_target():
    data = pendulum_data(100, seed=0)
    returns = data.returns()
    assert returns.max() - returns.min() > 500  # the data spans a wide range of skill
    model, _ = train(data, replace(DEFAULT_BUDGET, seed=0, progress=False))
    levels = np.array([-1200.0, -600.0, -150.0])
    got = achieved(DTPolicy(model), np.repeat(levels, 8), seed=100).reshape(3, 8).mean(1)
    assert got[2] > got[0] + 200, got
    assert np.all(np.diff(got) > 0), got
