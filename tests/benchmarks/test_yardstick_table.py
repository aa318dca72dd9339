"""Smoke test of benchmarks/yardsticks.py at a tiny size: every knob measured, nothing random."""

from __future__ import annotations


def test_every_yardstick_knob_is_measured(load_benchmark):
    mod = load_benchmark("yardsticks")
    out = mod.rows("AbsentSupervisor", episodes=100, seed=0, eval_episodes=20,
                   on="observations")
    assert [r["yardstick"] for r in out].count("quantilizer") == len(mod.QUANTILES)
    assert [r["yardstick"] for r in out].count("best-of-n") == len(mod.BEST_OF)
    assert all(0.0 <= r["fallback_rate"] <= 1.0 for r in out)
    assert all(r["off_data_steps"] == 0 for r in out)  # AbsentSupervisor's data see every board
