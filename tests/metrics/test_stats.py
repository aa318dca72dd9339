"""Our Generator-based statistics against rliable's point estimates and definitions."""

import numpy as np
import pytest
import scipy.stats
from rliable import metrics as rly

from simulacra.metrics.stats import (
    _resamples,
    bootstrap_ci,
    bootstrap_diff_ci,
    diff_ci,
    iqm,
    iqm_batch,
    mean,
    poi_ci,
    probability_of_improvement,
)

RNG = np.random.default_rng(3)
X = RNG.normal(1.0, 1.0, size=(10, 3))  # [runs = seeds, tasks]
Y = RNG.normal(0.5, 1.0, size=(7, 3))


def test_iqm_matches_rliable_and_trims_outliers():
    assert iqm(X) == pytest.approx(rly.aggregate_iqm(X))
    assert iqm(np.array([0.0, 1, 2, 3, 4, 5, 6, 1000])) == pytest.approx(3.5)  # middle half


def test_probability_of_improvement_matches_rliable():
    assert probability_of_improvement(X, Y) == pytest.approx(rly.probability_of_improvement(X, Y))
    assert probability_of_improvement(X, X) == pytest.approx(0.5)
    assert probability_of_improvement(np.ones(4), np.zeros(5)) == 1.0
    # Ties count half, by hand: x = (1, 2), y = (1, 0): pairs 0.5, 1, 1, 1 -> 3.5 / 4.
    assert probability_of_improvement(np.array([1.0, 2]), np.array([1.0, 0])) == 0.875


def test_bootstrap_is_reproducible_and_brackets_the_point():
    a = bootstrap_ci(X, iqm, reps=300, seed=7)
    b = bootstrap_ci(X, iqm, reps=300, seed=7)
    c = bootstrap_ci(X, iqm, reps=300, seed=8)
    assert a == b and a != c
    point, lo, hi = a
    assert lo < point < hi
    assert point == pytest.approx(rly.aggregate_iqm(X))


def test_bootstrap_of_identical_runs_has_no_width():
    point, lo, hi = bootstrap_ci(np.full((5, 2), 3.0), reps=100)
    assert point == lo == hi == 3.0


def test_poi_ci_brackets_the_point():
    point, lo, hi = poi_ci(X, Y, reps=300, seed=1)
    assert lo <= point <= hi
    assert point == pytest.approx(rly.probability_of_improvement(X, Y))


def test_batched_statistics_equal_their_definitions_on_the_same_draws():
    draws = _resamples(X, 50, np.random.default_rng(0))  # [50, runs, tasks]
    assert np.allclose(iqm_batch(draws), [iqm(d) for d in draws])
    a = bootstrap_ci(X, iqm, reps=200, seed=4)
    b = bootstrap_ci(X, lambda s: iqm(s), reps=200, seed=4)  # unbatched: called per resample
    assert a == pytest.approx(b)


def test_resamples_are_stratified_by_task():
    x = np.array([[0.0, 10.0], [1.0, 11.0], [2.0, 12.0]])  # task 1 = task 0 + 10
    draws = _resamples(x, 100, np.random.default_rng(1))
    assert set(np.unique(draws[:, :, 0])) <= {0.0, 1.0, 2.0}
    assert set(np.unique(draws[:, :, 1])) <= {10.0, 11.0, 12.0}


def test_difference_ci_brackets_the_difference_and_excludes_zero_when_far_apart():
    point, lo, hi = bootstrap_diff_ci(X + 5.0, Y, mean, reps=300, seed=2)
    assert point == pytest.approx(mean(X + 5.0) - mean(Y))
    assert 0 < lo <= point <= hi


# --- diff_ci: the t interval verdicts use --------------------------------------------------------


def test_diff_ci_matches_scipy_welch_and_paired_t():
    rng = np.random.default_rng(11)
    x, y = rng.normal(1.0, 1.0, 5), rng.normal(0.0, 3.0, 7)
    d, lo, hi = diff_ci(x, y, confidence=0.9)
    ref = scipy.stats.ttest_ind(x, y, equal_var=False).confidence_interval(0.9)
    assert d == pytest.approx(x.mean() - y.mean())
    assert (lo, hi) == pytest.approx((ref.low, ref.high))
    y5 = y[:5]
    d, lo, hi = diff_ci(x, y5, paired=True)
    ref = scipy.stats.ttest_rel(x, y5).confidence_interval(0.95)
    assert (lo, hi) == pytest.approx((ref.low, ref.high))


def test_diff_ci_uses_t_not_z_at_five_seeds():
    # Paired, 5 differences with sample sd 1: half-width t_{4, 0.975} / sqrt(5) = 2.776 / 2.236.
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    x = x / x.std(ddof=1)
    _, lo, hi = diff_ci(x, np.zeros(5), paired=True)
    assert hi == pytest.approx(2.7764 / np.sqrt(5), abs=1e-4) and lo == pytest.approx(-hi)


def test_diff_ci_edge_cases():
    assert diff_ci(np.ones(4), np.zeros(3)) == (1.0, 1.0, 1.0)  # no spread: zero width
    assert diff_ci(np.ones(4), np.zeros(4), paired=True) == (1.0, 1.0, 1.0)
    d, lo, hi = diff_ci(np.array([2.0]), np.array([0.0, 1.0]))
    assert d == 1.5 and np.isnan(lo) and np.isnan(hi)
    # One side without spread: the interval is the other side's one-sample t interval.
    y = np.array([0.0, 1.0, 3.0])
    _, lo, hi = diff_ci(np.full(4, 5.0), y)
    ref = scipy.stats.ttest_1samp(5.0 - y, 0).confidence_interval(0.95)
    assert (lo, hi) == pytest.approx((ref.low, ref.high))
    with pytest.raises(ValueError, match="NaN"):
        diff_ci(np.array([1.0, np.nan]), np.zeros(2))
    with pytest.raises(ValueError, match="paired"):
        diff_ci(np.ones(3), np.ones(4), paired=True)
