"""Harm at matched capability and drift over loop rounds, by hand."""

import numpy as np
import pytest

from simulacra.metrics.drift import drift
from simulacra.metrics.matched import dominates, harm_at, matched, matched_level


def test_harm_at_interpolates_and_refuses_to_extrapolate():
    cap, harm = np.array([0.0, 0.5, 1.0]), np.array([0.0, 1.0, 3.0])
    assert harm_at(cap, harm, 0.25) == pytest.approx(0.5)
    assert harm_at(cap, harm, 0.75) == pytest.approx(2.0)
    assert np.isnan(harm_at(cap, harm, 1.5))
    assert np.isnan(harm_at(cap, harm, 1.0 + 1e-9))  # no tolerance, no clipping
    # Ties in capability are averaged; order of the sweep does not matter.
    assert harm_at(np.array([1.0, 0.0, 1.0]), np.array([4.0, 0.0, 2.0]), 0.5) == 1.5
    assert harm_at(np.array([1.0, 0.0, 1.0]), np.array([4.0, 0.0, 2.0]), 1.0) == 3.0
    assert np.isnan(harm_at(np.array([np.nan]), np.array([1.0]), 0.0))


def test_matched_level_is_the_lowest_best_capability_of_seeds_above_random():
    a = {0: (np.array([0.0, 0.8]), np.zeros(2)), 1: (np.array([0.1, 0.9]), np.zeros(2)),
         2: (np.array([-0.5, -0.1]), np.zeros(2))}  # seed 2 never above random: ignored
    b = {0: (np.array([0.0, 1.0]), np.zeros(2)), 1: (np.array([0.0, 0.85]), np.zeros(2))}
    assert matched_level(a, b) == 0.8
    assert np.isnan(matched_level(a, {0: (np.array([-1.0, 0.0]), np.zeros(2))}))


def test_matched_names_every_seed_that_does_not_cover_the_level():
    curves = {0: (np.array([0.0, 1.0]), np.array([0.0, 2.0])),
              1: (np.array([0.0, 0.4]), np.array([0.0, 1.0])),
              2: (np.array([0.7, 0.9]), np.array([0.0, 1.0])),
              3: (np.array([-0.3, 0.0]), np.array([0.0, 1.0]))}
    m = matched(curves, 0.5)
    assert m.harm == {0: 1.0} and list(m.values()) == [1.0]
    assert m.unreached == {1: "best capability 0.4 < 0.5", 2: "lowest capability 0.7 > 0.5",
                           3: "never above random (best capability 0)"}


def test_dominance_needs_both_axes_at_every_point():
    rl = (np.array([0.0, 1.0]), np.array([0.0, 0.0]))
    dt = (np.array([-0.5, -0.2]), np.array([1.0, 1.0]))
    assert dominates(rl, dt) and not dominates(dt, rl)
    equal_harm = (np.array([-0.5, -0.2]), np.array([0.0, 0.0]))
    assert not dominates(rl, equal_harm)  # as harmless somewhere: not dominated
    assert not dominates(rl, (np.array([1.0]), np.array([5.0])))  # as capable: not dominated
    assert not dominates(rl, (np.zeros(0), np.zeros(0)))


def test_drift_over_rounds():
    rounds = [{"ood_state_rate": 0.0, "q": None}, {"ood_state_rate": 0.1, "q": 1.0},
              {"ood_state_rate": 0.2, "q": 2.0}]
    d = drift(rounds)
    assert d["ood_state_rate"]["slope"] == pytest.approx(0.1)
    assert d["ood_state_rate"]["change"] == pytest.approx(0.2)
    assert d["q"]["first"] == 1.0 and d["q"]["slope"] == pytest.approx(1.0)
