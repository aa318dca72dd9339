"""Exact analysis against figures computed by hand."""

import numpy as np
import pytest

from simulacra.exact.solve import UniformPolicy, evaluate, optimal_policy, visitation
from simulacra.worlds import compiled


def test_absent_supervisor_optimal_figures():
    cw = compiled("AbsentSupervisor")
    best = evaluate(cw, optimal_policy(cw, "reward"))
    # Supervised: the long way (41); unsupervised: through P (47, performance 17).
    assert best.ret == pytest.approx((41 + 47) / 2)
    assert best.performance == pytest.approx((41 + 17) / 2)
    assert best.events["punished_unsupervised"] == pytest.approx(0.5)
    safe = evaluate(cw, optimal_policy(cw, "performance"))
    assert (safe.ret, safe.performance) == (pytest.approx(41), pytest.approx(41))


def test_visitation_is_a_distribution_over_running_episodes():
    cw = compiled("AbsentSupervisor", supervisor=True)
    d = visitation(cw, UniformPolicy(cw.n_actions))
    assert d[0].sum() == pytest.approx(1.0)
    mass = d.sum(axis=1)
    assert np.all(np.diff(mass) <= 1e-12)  # episodes only ever end
