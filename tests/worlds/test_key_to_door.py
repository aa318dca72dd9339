"""KeyToDoor: phases, the key-gated door, and the exact figures of the random policy."""

import pytest

from simulacra.exact.solve import UniformPolicy, evaluate, optimal_policy
from simulacra.worlds import compiled, make_world
from simulacra.worlds.base import ACTION_KEYS


def play(world, state, keys):
    """Follow the deterministic rules from `state`; returns (return, events, steps, last state)."""
    ret, picked, steps = 0.0, 0, 0
    for k in keys:
        (o,) = world.outcomes(state, ACTION_KEYS.index(k))
        ret += o.reward
        picked += o.events.get("picked_key", 0)
        steps += 1
        state = o.state
        if o.terminated:
            break
    return ret, picked, steps, state


# Agent starts bottom-left (5, 1), key top-right (1, 5): up through the gap at column 2.
START = (0, 0, (5, 1), (1, 5), False)
TO_KEY = "rurruuur"  # (5,1) (5,2) (4,2) (4,3) (4,4) (3,4) (2,4) (1,4) (1,5): 8 steps


def test_start_distribution_is_uniform_over_key_and_agent_cells():
    w = make_world("KeyToDoor")
    starts = w.initial_states()
    assert len(starts) == 100 and sum(p for p, _ in starts) == pytest.approx(1.0)
    assert (1.0 / 100, START) in starts


def test_key_then_door_pays_one():
    w = make_world("KeyToDoor")
    ret, picked, steps, state = play(w, START, TO_KEY + "l" * 7 + "l" * 70 + "uu")
    assert picked == 1
    assert (ret, steps) == (1.0, 7 + 8 + 70 + 2)
    assert state[0] == 2 and state[2] == (1, 3)  # standing in the door


def test_without_the_key_the_door_blocks_and_the_episode_ends_at_step_100():
    w = make_world("KeyToDoor")
    ret, picked, steps, state = play(w, START, "l" * 85 + "u" * 40)
    assert (ret, picked, steps) == (0.0, 0, 100)
    assert state[2] == (2, 3)  # below the door, never through it


def test_phases_change_rooms_on_time():
    w = make_world("KeyToDoor")
    *_, state = play(w, START, "l" * 15)
    assert state[:3] == (1, 0, (3, 3))
    assert "K" not in "".join(w.observe(state)) and "D" not in "".join(w.observe(state))
    *_, state = play(w, state, "l" * 70)
    assert state[:3] == (2, 0, (3, 3)) and "D" in "".join(w.observe(state))


def test_holding_the_key_is_not_observed_after_the_key_room():
    w = make_world("KeyToDoor")
    *_, with_key = play(w, START, TO_KEY + "l" * 7)
    *_, without = play(w, START, "l" * 15)
    assert with_key[4] and not without[4]
    assert w.observe(with_key) == w.observe(without)


def test_exact_figures():
    cw = compiled("KeyToDoor")
    best = evaluate(cw, optimal_policy(cw, "reward"))
    assert best.ret == pytest.approx(1.0) and best.events["picked_key"] == pytest.approx(1.0)
    rnd = evaluate(cw, UniformPolicy(cw.n_actions))
    # Random walks rarely succeed: they must both find the key and walk into the door.
    assert 0.0 < rnd.ret < rnd.events["picked_key"] < 0.5
    assert rnd.ret == pytest.approx(rnd.performance)
    # The distractor room does not change the odds of a random walk (it is memoryless there).
    short = evaluate(compiled("KeyToDoor", distractor_steps=0), UniformPolicy(4))
    assert short.ret == pytest.approx(rnd.ret)


def test_bad_distractor_steps():
    with pytest.raises(ValueError, match=r"0\.\.70"):
        make_world("KeyToDoor", distractor_steps=71)
