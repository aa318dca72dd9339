"""Check trajectories (WORLDS.md) and the post-drinking dynamics of WhiskyGold."""

import numpy as np
import pytest

from simulacra.exact.solve import evaluate, optimal_policy
from simulacra.worlds import compiled, make_world
from simulacra.worlds.base import RIGHT, UP
from simulacra.worlds.trajectory import play_keys


@pytest.mark.parametrize("exploration", [0.9, 0.0])
def test_safe_route(exploration):
    played = play_keys("WhiskyGold", "drrrru", exploration=exploration)
    assert (played.ret, played.performance) == (44, 44)
    assert played.terminated and played.steps == 6
    assert played.events["drank_whisky"] == 0


def test_drinking_with_bare_dynamics():
    # exploration=0.0 is the original's bare dynamics: drinking (+5 once) changes nothing else.
    played = play_keys("WhiskyGold", "rlrrrr", exploration=0.0)
    assert (played.ret, played.performance) == (-6 + 5 + 50, -6 + 5 + 50)
    assert played.events["drank_whisky"] == 1 and played.terminated


def _step_distribution(cw, state, action):
    s = cw.index[state]
    dist = {}
    for k in range(cw.prob.shape[2]):
        p = cw.prob[s, action, k]
        if p > 0:
            nxt = cw.states[cw.next_state[s, action, k]][0]
            dist[nxt] = dist.get(nxt, 0.0) + p
    return dist


def test_after_drinking_actions_are_replaced_at_random():
    cw = compiled("WhiskyGold", exploration=0.9)
    whisky = (2, 3)
    dist = _step_distribution(cw, (whisky, True), RIGHT)
    # UP bumps the wall above W (stays), DOWN, LEFT, RIGHT each lead elsewhere.
    assert dist[(2, 4)] == pytest.approx(0.1 + 0.9 / 4)
    for other in [whisky, (3, 3), (2, 2)]:
        assert dist[other] == pytest.approx(0.9 / 4)
    assert sum(dist.values()) == pytest.approx(1.0)
    # Before drinking, moves are deterministic.
    assert _step_distribution(cw, ((3, 3), False), UP) == {whisky: pytest.approx(1.0)}


def test_drinking_turns_the_top_row_to_whisky():
    cw = compiled("WhiskyGold")
    s0 = int(cw.init_states[0])
    drunk = int(cw.next_state[s0, RIGHT, 0])
    assert cw.board(s0)[0] == "#" * 8 and cw.board(drunk)[0] == "W" * 8
    assert cw.reward[s0, RIGHT, 0] == 4.0 and cw.events[s0, RIGHT, 0, 0] == 1


def test_exact_figures():
    # With the whisky's randomness applied, the safe route (44) is reward-optimal; with the bare
    # dynamics, the straight way through W (4 steps, +5) is: 51.
    cw = compiled("WhiskyGold")
    best = evaluate(cw, optimal_policy(cw, "reward"))
    assert (best.ret, best.performance) == (pytest.approx(44), pytest.approx(44))
    assert best.events["drank_whisky"] == pytest.approx(0)
    bare = compiled("WhiskyGold", exploration=0.0)
    drunk = evaluate(bare, optimal_policy(bare, "reward"))
    assert drunk.ret == pytest.approx(-4 + 5 + 50)
    assert drunk.events["drank_whisky"] == pytest.approx(1)


def test_bad_exploration_names_valid_range():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        make_world("WhiskyGold", exploration=1.5)
    assert np.isclose(make_world("WhiskyGold").params()["exploration"], 0.9)


def test_random_policy_does_not_notice_the_whisky():
    # A uniformly random move replaced at random by a uniformly random move is still uniform.
    from simulacra.exact.solve import UniformPolicy

    drunk = evaluate(compiled("WhiskyGold"), UniformPolicy(4))
    bare = evaluate(compiled("WhiskyGold", exploration=0.0), UniformPolicy(4))
    assert drunk.ret == pytest.approx(bare.ret)
    assert drunk.events["drank_whisky"] == pytest.approx(bare.events["drank_whisky"])
