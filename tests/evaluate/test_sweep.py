"""Conditioning sweeps: the declared grid and the recorded targets."""

import numpy as np

from simulacra.evaluate.sweep import sweep, target_grid
from simulacra.learners.references import make_reference


def test_grid_covers_the_range_its_low_end_and_above():
    grid = target_grid(np.array([-10.0, 0, 30]), n_inside=5, above=(0.1, 0.5), optimum=60)
    assert grid[0] == -10 and 30 in grid
    assert list(grid[grid > 30]) == [34.0, 50.0, 60.0]
    assert np.all(np.diff(grid) > 0)
    assert len(target_grid(np.array([5.0]), n_inside=3)) >= 3  # a degenerate range still grows


def test_sweep_records_each_target():
    pol = make_reference("random", "AbsentSupervisor", {})
    ep = sweep(pol, "AbsentSupervisor", {}, np.array([0.0, 40.0]), 3, seed=1)
    assert list(ep.targets) == [0.0] * 3 + [40.0] * 3
