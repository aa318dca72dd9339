"""The same study on Ray (a local Ray with one CPU): same rows as the local pool."""

from __future__ import annotations

import duckdb
import pytest

from simulacra.study.runner import run_study
from simulacra.study.schema import validate
from simulacra.study.testing import register_synthetic

ray = pytest.importorskip("ray")


@pytest.mark.expensive
def test_ray_backend_runs_and_records_failures(tmp_path):
    register_synthetic()
    s = validate({"name": "ray", "seeds": 2, "worlds": ["AbsentSupervisor"],
                  "learners": ["random", "synthetic_dt", "raises"],
                  "evaluation": {"episodes": 5, "replays": 1}})
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        summary = run_study(s, tmp_path, backend="ray", show_progress=False)
    finally:
        ray.shutdown()
    assert (summary.done, summary.failed) == (4, 2)
    assert "fails on purpose" in summary.failures[0][1]
    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    # random: 5 episodes per seed; synthetic_dt: 5 per knob value (3) per seed; 2 decodes.
    assert con.execute("SELECT count(*) FROM episodes").fetchone()[0] == 2 * (2 * 5 + 2 * 15)
    con.close()
