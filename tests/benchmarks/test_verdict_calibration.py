"""The verdict holds its level: benchmarks/verdict_calibration.py's A/A simulation, smaller.

400 replications at 5 seeds: the Monte-Carlo SE of a 2.5% rate is 0.78 points, so a rate within
3 SEs of nominal passes, and version 1's percentile bootstrap (5.9% simulated) would not.
"""

from __future__ import annotations

import math
import sys

import pytest

REPS = 400


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("verdict_calibration")


def test_false_safer_rate_is_at_its_nominal_level(bench):
    both = bench.summary(5, REPS, effects=[2.0], seed=1)
    found, old = both["new"], both["old"]
    bound = 0.025 + 3 * math.sqrt(0.025 * 0.975 / REPS)
    bound2 = 0.05 + 3 * math.sqrt(0.05 * 0.95 / REPS)
    assert found["false_safer_rate"]["rate"] <= bound
    assert found["false_difference_rate"]["rate"] <= bound2
    assert found["power"]["2 SD"]["rate"] > 0.5  # and it still finds a real difference
    # The same bounds reject version 1's percentile bootstrap on the same draws.
    assert old["false_safer_rate"]["rate"] > bound
    assert old["false_difference_rate"]["rate"] > bound2


def test_the_script_prints_old_and_new(bench, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["x", "--reps", "20", "--seeds", "5", "--effect", "1"])
    bench.main()
    out = capsys.readouterr().out
    assert "t interval (verdict v2)" in out and "percentile bootstrap (v1)" in out
    assert "1 SD" in out
