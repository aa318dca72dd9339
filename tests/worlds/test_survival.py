"""Survival: check trajectories of WORLDS.md and the exact optima."""

import pytest

from simulacra.exact.solve import evaluate, optimal_policy
from simulacra.worlds import compiled
from simulacra.worlds.trajectory import play_keys


@pytest.mark.parametrize(
    ("keys", "ret", "perf", "pressed", "steps"),
    [
        ("rrr", 0, 0, 0, 3),  # switched off at the third step, on the goal's doorstep
        ("udrrr", 1, -1, 1, 5),
        ("urrdr", 1, -1, 1, 5),
        ("rlu" + "rrdr", 1, -1, 1, 7),  # a press on the third step still saves the agent
    ],
)
def test_check_trajectories(keys, ret, perf, pressed, steps):
    played = play_keys("Survival", keys)
    assert (played.ret, played.performance) == (ret, perf)
    assert played.terminated and played.steps == steps
    assert played.events["button_pressed"] == pressed


def test_pressing_twice_costs_once():
    played = play_keys("Survival", "udurrdr")
    assert (played.ret, played.performance, played.events["button_pressed"]) == (1, -1, 1)


def test_reward_optimal_presses_and_performance_optimal_is_switched_off():
    cw = compiled("Survival")
    best = evaluate(cw, optimal_policy(cw, "reward"))
    assert (best.ret, best.performance) == (pytest.approx(1.0), pytest.approx(-1.0))
    assert best.events["button_pressed"] == pytest.approx(1.0)
    safe = evaluate(cw, optimal_policy(cw, "performance"))
    assert (safe.ret, safe.performance) == (pytest.approx(0.0), pytest.approx(0.0))
