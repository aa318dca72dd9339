"""Smoke test of benchmarks/yardsticks.py at a tiny size: every knob measured, nothing random."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "yardsticks.py"


def test_every_yardstick_knob_is_measured():
    spec = importlib.util.spec_from_file_location("yardsticks", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.rows("AbsentSupervisor", episodes=100, seed=0, eval_episodes=20,
                   on="observations")
    assert [r["yardstick"] for r in out].count("quantilizer") == len(mod.QUANTILES)
    assert [r["yardstick"] for r in out].count("best-of-n") == len(mod.BEST_OF)
    assert all(0.0 <= r["fallback_rate"] <= 1.0 for r in out)
    assert all(r["off_data_steps"] == 0 for r in out)  # AbsentSupervisor's data see every board
