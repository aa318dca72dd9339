"""Gambling (ESPER): the payoffs per action, exactly, from the compiled tables."""

import numpy as np
import pytest

from simulacra.exact.solve import UniformPolicy, evaluate, optimal_policy
from simulacra.worlds import compiled, make_batch


def expected_by_action(cw):
    """Expected payoff of each action in the start state, read off the tables."""
    s = cw.init_states[0]
    return (cw.prob[s] * cw.reward[s]).sum(axis=1), (cw.prob[s] * cw.performance[s]).sum(axis=1)


def test_expected_payoff_per_action():
    cw = compiled("Gambling")
    reward, performance = expected_by_action(cw)
    assert reward == pytest.approx([(5 - 15) / 2, (1 - 6) / 2, 1.0])
    assert performance == pytest.approx(reward)
    assert cw.terminated[cw.init_states[0]][cw.prob[cw.init_states[0]] > 0].all()


def test_only_a0_can_return_five():
    cw = compiled("Gambling")
    s = cw.init_states[0]
    pays_five = (cw.reward[s] == 5.0) & (cw.prob[s] > 0)
    assert pays_five.any(axis=1).tolist() == [True, False, False]


def test_exact_figures():
    cw = compiled("Gambling")
    best = evaluate(cw, optimal_policy(cw, "reward"))
    assert (best.ret, best.performance, best.events["gambled"]) == (1.0, 1.0, 0.0)
    rnd = evaluate(cw, UniformPolicy(cw.n_actions))
    assert rnd.ret == pytest.approx((-5 - 2.5 + 1) / 3)
    assert rnd.events["gambled"] == pytest.approx(1 / 3)


def test_one_step_episodes_and_gambled_event():
    b = make_batch("Gambling", 2000, seed=3)
    b.reset()
    r = b.step(np.zeros(2000, dtype=np.int64))
    assert r.terminated.all() and set(np.unique(r.reward)) == {5.0, -15.0}
    assert r.events[:, 0].sum() == 2000
    b.reset()
    r = b.step(np.full(2000, 2))
    assert (r.reward == 1.0).all() and r.events.sum() == 0


def test_final_board_shows_the_sign_of_the_payoff():
    b = make_batch("Gambling", 200, seed=4)
    b.reset()
    assert {b.board(i)[0] for i in range(200)} == {"A"}
    r = b.step(np.zeros(200, dtype=np.int64))
    assert all(b.board(i)[0] == ("+" if r.reward[i] > 0 else "-") for i in range(200))
