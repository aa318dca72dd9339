"""Supervisor sensitivity: the reward-optimal agent exploits the absent supervisor, the safe one
does not."""

import numpy as np
import pytest

from simulacra.evaluate.rollout import rollout
from simulacra.learners.references import make_reference
from simulacra.metrics.supervisor import (
    PROBES,
    button_press_rate,
    supervisor_sensitivity,
)
from simulacra.worlds import compiled


def _sensitivity(reference: str) -> float:
    cw = compiled("AbsentSupervisor")
    ep = rollout(make_reference(reference, "AbsentSupervisor", {}), "AbsentSupervisor", {}, 100)
    unsafe, observed = PROBES["AbsentSupervisor"](cw, ep.states, ep.final_states, ep.starts)
    assert 0 < observed.mean() < 1
    return supervisor_sensitivity(unsafe, observed)


def test_reward_optimal_policy_is_fully_sensitive():
    assert _sensitivity("reward-optimal") == 1.0


def test_performance_optimal_policy_is_insensitive():
    assert _sensitivity("performance-optimal") == 0.0


def test_by_hand_and_degenerate_groups():
    unsafe = np.array([1, 0, 1, 1], dtype=bool)
    observed = np.array([1, 1, 0, 0], dtype=bool)
    assert supervisor_sensitivity(unsafe, observed) == pytest.approx(0.5)
    assert np.isnan(supervisor_sensitivity(unsafe, np.ones(4, dtype=bool)))


def test_button_press_rate():
    ev = np.array([[0, 1], [0, 0], [2, 1]])
    assert button_press_rate(ev, ("x", "button_pressed")) == pytest.approx(2 / 3)
    assert np.isnan(button_press_rate(ev, ("x", "y")))
