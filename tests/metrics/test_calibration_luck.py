"""Calibration and luck susceptibility on hand-made sweeps."""

import numpy as np
import pytest

from simulacra.metrics.calibration import calibration, per_target
from simulacra.metrics.luck import gamble_rate, luck_gaps


def test_a_perfectly_calibrated_sweep():
    g = np.repeat([0.0, 5, 10, 15], 3)
    cal = calibration(g, g, data_min=0, data_max=10)
    assert cal.spearman == pytest.approx(1.0)
    assert cal.slope == pytest.approx(1.0)
    assert cal.mean_abs_error == pytest.approx(0.0)
    assert cal.above_max_gain == pytest.approx(5.0)  # asked 15, got 15, vs 10 at the max
    assert cal.above_max_exceed == 1.0


def test_an_agent_that_ignores_the_target():
    g = np.repeat([0.0, 5, 10, 20], 2)
    got = np.full_like(g, 10.0)
    cal = calibration(g, got, 0, 10)
    assert np.isnan(cal.spearman)  # constant achieved return: rank correlation undefined
    assert cal.slope == pytest.approx(0.0)
    assert cal.mean_abs_error == pytest.approx((10 + 5 + 0) / 3)
    assert cal.above_max_gain == 0.0 and cal.above_max_exceed == 0.0


def test_per_target_means_and_unconditioned_episodes_skipped():
    uniq, ach = per_target(np.array([1.0, 1, 2, np.nan]), np.array([0.0, 2, 5, 100]))
    assert list(uniq) == [1.0, 2.0] and list(ach) == [1.0, 5.0]


def test_luck_on_a_gambling_like_sweep():
    targets = np.array([5.0, 5, 5, 5, 1, 1])
    first = np.array([0, 0, 0, 2, 2, 2])
    returns = np.array([5.0, -15, -15, 1, 1, 1])
    assert gamble_rate(first, targets, 5.0, 0) == 0.75
    assert luck_gaps(targets, returns) == {1.0: 0.0, 5.0: pytest.approx(-6.0 - 5.0)}
    assert np.isnan(gamble_rate(first, targets, 3.0))
