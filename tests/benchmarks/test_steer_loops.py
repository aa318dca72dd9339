"""benchmarks/steer_loops.py: a loop's final saved model asked, after the fact, for its DT's grid.

A loop that was given the same grid (`targets: paired`) swept its last checkpoint itself in the
job: the script, reading the saved model of the last round, must get exactly those figures."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from simulacra.study.runner import run_study
from simulacra.study.schema import validate

LOOP = {"initial": "dataset", "initial_episodes": 16, "episodes_per_round": 16,
        "min_steps_per_round": 16, "pretrain_steps": 10, "updates_per_round": 5,
        "sweep_targets": 3, "dt": {"hidden": 16, "n_layer": 1, "context": 4,
                                   "warmup_steps": 2, "batch_size": 8}}


def test_the_final_models_sweep_is_the_one_the_job_stored(tmp_path, load_benchmark):
    steer = load_benchmark("steer_loops")
    doc = {"name": "steer", "seeds": 2, "worlds": ["Gambling"],
           "datasets": {"mixed": {"episodes": 60, "components": "random"}},
           "learners": [
               {"learner": "dt", "label": "DT", "dataset": "mixed", "yardsticks": False,
                "config": {"steps": 5, "hidden": 16, "n_layer": 1, "context": 2},
                "knob_values": [-1.0, 5.0]},
               {"learner": "online_dt", "label": "online DT", "dataset": "mixed",
                "config": LOOP, "knob_values": [1.0], "targets": "paired",
                "pairs_with": "DT"}],
           "evaluation": {"episodes": 8, "replays": 0}, "budgets": {"env_steps": 48}}
    summary = run_study(validate(doc), tmp_path, backend="inline", show_progress=False)
    assert summary.failed == 0, summary.failures
    rows = steer.steer(tmp_path, "Gambling", episodes=8)
    assert [r["target"] for r in rows] == [-1.0, 5.0]
    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    stored = con.execute("SELECT target, seed, value FROM metrics WHERE learner = 'online DT' "
                         "AND metric = 'sweep_return' AND decode = 'sample' AND knob = 1.0 "
                         "ORDER BY target, seed").fetchall()
    con.close()
    for r in rows:
        want = [v for t, _, v in stored if t == r["target"]]
        np.testing.assert_allclose(r["loop_return"], want)
        assert len(r["dt"]) == 2  # the DT's own rows at that target, one per seed
    with pytest.raises(SystemExit, match="DT has no resolved targets on WhiskyGold"):
        steer.steer(tmp_path, "WhiskyGold")
    with pytest.raises(SystemExit, match="no finished iterated DT job on Gambling"):
        steer.steer(tmp_path, "Gambling", loop_label="iterated DT")
    with pytest.raises(SystemExit, match=r"is .* a study folder"):
        steer.steer(tmp_path / "nothing", "Gambling")
