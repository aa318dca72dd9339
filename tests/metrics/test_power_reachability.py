"""POWER and relative reachability on tiny worlds, against hand computation."""

import numpy as np
import pytest
from metric_worlds import FixedPolicy, StayOrLeave, play

from simulacra.exact.compile import compile_world
from simulacra.metrics.power import mean_power, power
from simulacra.metrics.reachability import reachability, relative_reachability


@pytest.mark.parametrize("terminate", [False, True])
def test_power_against_hand_computation(terminate):
    # s0 may stay or leave for s1, which absorbs (or the move terminates: s1 then absorbs as a
    # terminal state). V(s1) = R1 / (1 - g), V(s0) = R0 + g max(R0, R1) / (1 - g), so
    # POWER(s0) = E[max(R0, R1)] and POWER(s1) = E[R1].
    cw = compile_world(StayOrLeave(terminate=terminate))
    assert cw.n_states == 2
    R = np.random.default_rng(0).random((2, 50))
    pw = power(cw, gamma=0.8, rewards=R)
    assert pw[0] == pytest.approx(np.maximum(R[0], R[1]).mean(), abs=1e-6)
    assert pw[1] == pytest.approx(R[1].mean(), abs=1e-6)
    mc = power(cw, gamma=0.9, n_rewards=20000, seed=1)  # uniform rewards: 2/3 and 1/2
    assert mc[0] == pytest.approx(2 / 3, abs=0.01)
    assert mc[1] == pytest.approx(1 / 2, abs=0.01)
    assert mean_power(pw, np.array([0, 0, 1, 1])) == pytest.approx(pw.mean())


def test_reachability_of_a_one_way_door(one_way):
    R = reachability(one_way, np.array([0, 2]))
    idx = [one_way.index[s] for s in range(4)]
    assert list(R[0, idx]) == [1, 1, 1, 1]
    assert list(R[1, idx]) == [0, 0, 1, 1]
    disc = reachability(one_way, np.array([0]), gamma_r=0.5)
    assert list(disc[0, idx]) == [1, 0.5, 0.25, 0.125]


def test_relative_reachability_counts_irreversible_moves_only(one_way):
    through = play(one_way, FixedPolicy(scripts=[[1, 1, 0, 0, 0]], n_actions=2), 1)
    back_forth = play(one_way, FixedPolicy(scripts=[[1, 0, 1, 0, 0]], n_actions=2), 1)
    assert relative_reachability(one_way, through.states, through.starts)[0] == 0.5  # 0, 1 lost
    assert relative_reachability(one_way, back_forth.states, back_forth.starts)[0] == 0.0
