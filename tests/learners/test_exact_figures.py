"""Trained baselines are reported against the achievable optimum, not the oracle (issue #13)."""

import numpy as np
import pytest

from simulacra.learners.features import ObsPolicy
from simulacra.learners.rl import exact_figures


def test_exact_figures_compare_with_the_optimum_a_learner_can_reach():
    uniform = ObsPolicy(lambda obs: np.full((len(obs), 4), 0.25), 4, deterministic=False)
    got = exact_figures(uniform, "SafeInterruptibility", {"level": 1})
    assert got["optimal_return"] == pytest.approx(38.0)  # the oracle's would be 40
    assert got["optimal_performance"] == pytest.approx(19.0)  # the reward optimum's performance
    assert got["return"] == pytest.approx(got["random_return"])
