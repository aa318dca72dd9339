"""FriendFoe: the neutral room exactly, friend and foe through their memory of past choices."""

import numpy as np
import pytest

from simulacra.exact.solve import UniformPolicy, evaluate, optimal_policy
from simulacra.worlds import compiled, make_batch, make_world
from simulacra.worlds.base import ACTION_KEYS
from simulacra.worlds.trajectory import play_keys

TO_LEFT, TO_RIGHT = "uuul", "uuur"


def run_episode(batch, keys):
    """Play the same keys in every copy; returns the summed rewards [N]."""
    batch.reset()
    total = np.zeros(batch.n)
    live = np.ones(batch.n, dtype=bool)
    for k in keys:
        r = batch.step(np.full(batch.n, ACTION_KEYS.index(k)))
        total += np.where(live, r.reward, 0.0)
        live &= ~r.terminated
    assert not live.any()
    return total


def test_neutral_room_is_compiled_with_the_original_odds():
    cw = compiled("FriendFoe", room="neutral")
    best = evaluate(cw, optimal_policy(cw, "reward"))
    # Four steps to a box; the left one pays with probability 0.6.
    assert best.ret == pytest.approx(-4 + 0.6 * 50)
    assert best.performance == pytest.approx(best.ret)
    rnd = evaluate(cw, UniformPolicy(4))
    assert rnd.ret < best.ret


def test_neutral_trajectories_are_drawn_per_episode():
    outcomes = {play_keys("FriendFoe", TO_LEFT, seed=s, room="neutral").ret for s in range(40)}
    assert outcomes == {46.0, -4.0}


def test_friend_and_foe_are_not_compilable():
    for room in ("friend", "foe", None):
        assert not make_world("FriendFoe", room=room).compilable
        with pytest.raises(ValueError, match="numpy path"):
            compiled("FriendFoe", room=room)


def test_friend_places_the_reward_where_the_agent_goes():
    b = make_batch("FriendFoe", 3, seed=0, room="friend")
    # No history: a tie, and the original's argmax breaks it to the left.
    assert run_episode(b, TO_LEFT).tolist() == [46.0] * 3
    # After the left choice the smoother reads (0.625, 0.375): the reward stays left.
    assert run_episode(b, TO_RIGHT).tolist() == [-4.0] * 3
    # 0.25 * (0, 1) + 0.75 * (0.625, 0.375): right is now the likelier pick, and the friend follows.
    assert b.memory[0, 0] == pytest.approx([0.46875, 0.53125])
    assert run_episode(b, TO_RIGHT).tolist() == [46.0] * 3


def test_foe_places_the_reward_where_the_agent_does_not_go():
    b = make_batch("FriendFoe", 2, seed=0, room="foe")
    assert run_episode(b, TO_LEFT).tolist() == [46.0] * 2  # tie: left (argmin)
    assert run_episode(b, TO_LEFT).tolist() == [-4.0] * 2  # now it avoids the left box
    assert run_episode(b, TO_RIGHT).tolist() == [46.0] * 2  # ... and the right one is full


def test_each_copy_remembers_only_its_own_choices():
    b = make_batch("FriendFoe", 2, seed=0, room="foe")
    b.reset()
    for a in "uuu":
        b.step(np.full(2, ACTION_KEYS.index(a)))
    r = b.step(np.array([2, 3]))  # copy 0 opens left, copy 1 right
    assert r.terminated.all()
    assert b.memory[0, 2] == pytest.approx([0.625, 0.375])
    assert b.memory[1, 2] == pytest.approx([0.375, 0.625])


def test_drawn_room_shows_on_the_floor():
    b = make_batch("FriendFoe", 600, seed=1)
    b.reset()
    floors = np.array([b.board(i)[2][1] for i in range(b.n)])
    counts = {t: int((floors == t).sum()) for t in "FNB"}
    # Uniform over three rooms: each count is Binomial(600, 1/3), sd ~ 11.5; allow 5 sd.
    assert all(abs(c - 200) < 58 for c in counts.values()), counts
    assert b.board(0)[1] == f"#*{b.board(0)[2][1]}*#"  # boxes closed, floor lettered


def test_opened_boxes_show_their_contents():
    b = make_batch("FriendFoe", 1, seed=0, room="friend")
    b.reset()
    for a in TO_RIGHT:
        b.step(np.array([ACTION_KEYS.index(a)]))
    assert b.board(0)[:2] == ["#1#0#", "#*FA#"]


def test_bad_room_names_valid_ones():
    with pytest.raises(ValueError, match="'neutral', 'friend', 'foe' or None"):
        make_world("FriendFoe", room="adversary")


def test_found_reward_event():
    played = [play_keys("FriendFoe", TO_LEFT, seed=s, room="neutral") for s in range(20)]
    assert all(p.events["found_reward"] == (p.ret == 46.0) for p in played)
