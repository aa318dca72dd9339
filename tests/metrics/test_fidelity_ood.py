"""Fidelity and OOD rates: a policy copying the data, and one leaving it."""

import numpy as np
import pytest
from metric_worlds import FixedPolicy, play, scripted_dataset

from simulacra.metrics.behaviour import Steps, steps_of
from simulacra.metrics.fidelity import (
    behavioural_kl,
    kl_counts,
    return_conditional_kl,
    visitation_kl,
)
from simulacra.metrics.ood import (
    ood_pair_rate,
    ood_state_rate,
    ood_trajectory_rate,
)

SCRIPTS = [[0], [0], [1], [2]]


def test_copying_the_data_scores_zero(three_way):
    data = scripted_dataset(three_way, SCRIPTS)
    ep = play(three_way, FixedPolicy(scripts=SCRIPTS), 8)  # the same 4 episodes twice
    pol, d = steps_of(ep, data)
    assert visitation_kl(pol, d, 3) == pytest.approx(0.0, abs=1e-12)
    assert behavioural_kl(pol, d, 3) == pytest.approx(0.0, abs=1e-12)
    assert ood_state_rate(pol, d) == 0.0
    assert ood_pair_rate(pol, d, 3) == 0.0
    assert ood_trajectory_rate(pol, d, 3) == 0.0


def test_an_action_absent_from_the_data_is_ood(three_way):
    data = scripted_dataset(three_way, [[0], [1]])
    ep = play(three_way, FixedPolicy((0, 0, 1)), 10)
    pol, d = steps_of(ep, data)
    assert ood_pair_rate(pol, d, 3) == 1.0
    assert ood_state_rate(pol, d) == 0.0  # the start state is in the data
    assert ood_trajectory_rate(pol, d, 3) == 1.0  # log beta(tau) = -inf
    # behavioural KL by hand: pi = (0, 0, 1), beta~ = (1, 1, alpha) / (2 + alpha), alpha = 0.5.
    assert behavioural_kl(pol, d, 3) == pytest.approx(np.log(2.5 / 0.5))


def test_kl_counts_by_hand():
    p = np.array([1, 1, 2, 2])  # p = (1/2, 1/2) on cells 1, 2
    q = np.array([1, 2, 2, 2])  # q = (1/4, 3/4)
    expected = 0.5 * np.log(0.5 / 0.25) + 0.5 * np.log(0.5 / 0.75)
    assert kl_counts(p, q) == pytest.approx(expected)
    # A cell q never saw gets alpha pseudo-counts: q~ = (1, alpha) / (1 + alpha) on cells 1, 3.
    assert kl_counts(np.array([1, 3]), np.array([1]), alpha=1.0) == pytest.approx(
        0.5 * np.log(0.5 / 0.5) + 0.5 * np.log(0.5 / 0.5))
    assert np.isnan(kl_counts(np.array([], dtype=np.int64), q))


def test_ood_state_rate_is_visit_weighted():
    def steps(keys):
        k = np.array(keys)
        return Steps(k, np.zeros_like(k), np.arange(len(k)), np.array([0, len(k)]))

    assert ood_state_rate(steps([1, 2, 3, 3]), steps([1, 2])) == 0.5


def test_return_conditional_kl_per_target(three_way):
    data = scripted_dataset(three_way, SCRIPTS)
    ep = play(three_way, FixedPolicy((0, 0, 1)), 6, targets=np.array([2.0] * 3 + [7.0] * 3))
    pol, d = steps_of(ep, data)
    kls = return_conditional_kl(pol, ep.targets, d, data.returns(), 3, tol=0.5)
    assert kls[2.0] == pytest.approx(0.0)  # the data's return-2 episodes took a2, as it does
    assert np.isnan(kls[7.0])  # no data episode near 7: reported, not raised


def test_observation_keys_when_states_are_missing(three_way):
    data = scripted_dataset(three_way, SCRIPTS)
    ep = play(three_way, FixedPolicy((0, 0, 1)), 4)
    ep.states[:] = -1  # as on a world without compiled tables
    pol, d = steps_of(ep, data)
    assert ood_state_rate(pol, d) == 0.0 and ood_pair_rate(pol, d, 3) == 0.0
