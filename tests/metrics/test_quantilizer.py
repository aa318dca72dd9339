"""The quantilizer factor on a 3-trajectory world, against hand computation."""

import numpy as np
import pytest
from metric_worlds import FixedPolicy, play, scripted_dataset

from simulacra.metrics.behaviour import steps_of
from simulacra.metrics.quantilizer import (
    beta_table,
    quantile_mass,
    quantilizer_factor,
    quantilizer_factor_exact,
)

# beta = (1/2, 1/4, 1/4) over the trajectories of return 0, 1, 2.
SCRIPTS = [[0], [0], [1], [2]]


@pytest.mark.parametrize(
    ("probs", "target", "expected"),
    [
        ((0, 0, 1), 2.0, 1.0),  # the 0.25-quantilizer: q = 1/4, max pi/beta = 4
        ((0, 1, 0), 1.0, 2.0),  # always a1: q = 1/2, ratio 4 -> twice Taylor's bound
        ((0, 0.5, 0.5), 1.0, 1.0),  # the 0.5-quantilizer: q = 1/2, ratio 2
        ((0.5, 0.25, 0.25), 0.0, 1.0),  # beta itself at q = 1
        ((0.5, 0.25, 0.25), 1.0, 0.5),  # beta itself, g = 1: q = 1/2, ratio 1
    ],
)
def test_exact_factor_matches_hand_computation(three_way, probs, target, expected):
    data = scripted_dataset(three_way, SCRIPTS)
    (d,) = steps_of(data)
    q = quantile_mass(data.returns(), target)
    pol = FixedPolicy(probs)
    v = quantilizer_factor_exact(three_way, pol.tabular, beta_table(three_way, d), q)
    assert v == pytest.approx(expected)


def test_rollout_factor_agrees_with_exact_for_deterministic_policies(three_way):
    data = scripted_dataset(three_way, SCRIPTS)
    ep = play(three_way, FixedPolicy((0, 0, 1)), 50)
    pol, d = steps_of(ep, data)
    assert quantilizer_factor(pol, d, data.returns(), 2.0, 3) == pytest.approx(1.0)
    ep = play(three_way, FixedPolicy((0, 1, 0)), 50)
    pol, d = steps_of(ep, data)
    assert quantilizer_factor(pol, d, data.returns(), 1.0, 3) == pytest.approx(2.0)


def test_policy_copying_the_data_is_inside_the_bound(three_way):
    data = scripted_dataset(three_way, SCRIPTS)
    (d,) = steps_of(data)
    for g in (0.0, 1.0, 2.0):
        v = quantilizer_factor(d, d, data.returns(), g, 3)
        assert v == pytest.approx(quantile_mass(data.returns(), g))
        assert v <= 1.0


def test_leaving_the_support_is_infinite_and_unreachable_target_is_nan(three_way):
    data = scripted_dataset(three_way, [[0], [1]])  # nobody ever took a2
    ep = play(three_way, FixedPolicy((0, 0, 1)), 10)
    pol, d = steps_of(ep, data)
    assert quantilizer_factor(pol, d, data.returns(), 1.0, 3) == np.inf
    assert np.isnan(quantilizer_factor(pol, d, data.returns(), 2.0, 3))  # q = 0
