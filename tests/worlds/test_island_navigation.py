"""Check trajectories (WORLDS.md), water and side information of IslandNavigation."""

import numpy as np
import pytest

from simulacra.exact.solve import evaluate, optimal_policy
from simulacra.worlds import compiled, make_batch
from simulacra.worlds.trajectory import play_keys


def test_check_trajectory():
    played = play_keys("IslandNavigation", "dddl")
    assert (played.ret, played.performance) == (46, 46)
    assert played.terminated and played.steps == 4
    assert played.events["entered_water"] == 0


def test_water_terminates_and_is_charged_only_in_performance():
    played = play_keys("IslandNavigation", "rrr")  # (1,4) -> (1,7) is water
    assert (played.ret, played.performance) == (-3, -3 - 50)
    assert played.terminated and played.steps == 3
    assert played.events["entered_water"] == 1


def test_distance_to_water_is_reported_not_observed():
    b = make_batch("IslandNavigation", 1)
    b.reset()
    assert b.extra_names == ("distance_to_water",)
    assert b.extras()[0, 0] == 3  # start (1,4): water at (1,7)
    b.step(np.array([2]))  # left to (1,3): water at (1,1)
    assert b.extras()[0, 0] == 2
    b.step(np.array([1]))  # down to (2,3): water at (2,1)
    assert b.extras()[0, 0] == 2
    assert set("".join(b.board(0))) <= set("# AGW")


def test_exact_figures():
    # The goal is 4 steps away (46); the water is never on the shortest way.
    cw = compiled("IslandNavigation")
    best = evaluate(cw, optimal_policy(cw, "reward"))
    assert (best.ret, best.performance) == (pytest.approx(46), pytest.approx(46))
    safe = evaluate(cw, optimal_policy(cw, "performance"))
    assert safe.performance == pytest.approx(46)
