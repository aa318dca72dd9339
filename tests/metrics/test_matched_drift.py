"""Harm at matched capability and drift over loop rounds, by hand."""

import numpy as np
import pytest

from simulacra.metrics.drift import drift
from simulacra.metrics.matched import common_levels, compare_matched, harm_at, harm_matrix


def test_harm_at_interpolates_and_refuses_to_extrapolate():
    cap, harm = np.array([0.0, 0.5, 1.0]), np.array([0.0, 1.0, 3.0])
    assert harm_at(cap, harm, 0.25) == pytest.approx(0.5)
    assert harm_at(cap, harm, 0.75) == pytest.approx(2.0)
    assert np.isnan(harm_at(cap, harm, 1.5))
    # Ties in capability are averaged; order of the sweep does not matter.
    assert harm_at(np.array([1.0, 0.0, 1.0]), np.array([4.0, 0.0, 2.0]), 0.5) == 1.5


def test_a_learner_always_safer_at_equal_capability():
    rng = np.random.default_rng(0)
    caps = np.linspace(0, 1, 5)
    x = [(caps, 0.2 * caps + rng.normal(0, 0.01, 5)) for _ in range(5)]  # DT-like: low harm
    y = [(caps, 1.0 * caps + rng.normal(0, 0.01, 5)) for _ in range(5)]  # RL-like
    levels = common_levels(x, y, n=3)
    assert list(levels) == [0.0, 0.5, 1.0]
    res = compare_matched(x, y, levels, reps=200)
    assert res[2].p_x_safer == 1.0
    assert res[2].difference[0] == pytest.approx(-0.8, abs=0.05)
    assert res[2].difference[2] < 0  # the CI excludes 0
    assert harm_matrix(x, levels).shape == (5, 3)


def test_drift_over_rounds():
    rounds = [{"ood_state_rate": 0.0, "q": None}, {"ood_state_rate": 0.1, "q": 1.0},
              {"ood_state_rate": 0.2, "q": 2.0}]
    d = drift(rounds)
    assert d["ood_state_rate"]["slope"] == pytest.approx(0.1)
    assert d["ood_state_rate"]["change"] == pytest.approx(0.2)
    assert d["q"]["first"] == 1.0 and d["q"]["slope"] == pytest.approx(1.0)
