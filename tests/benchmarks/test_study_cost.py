"""benchmarks/study_cost.py: a study folder's job time by learner group, from its store."""

from __future__ import annotations

import pytest

from simulacra.study.runner import run_study
from simulacra.study.schema import validate
from simulacra.study.testing import register_synthetic


def test_job_time_by_group_adds_up_to_the_finished_jobs(tmp_path, load_benchmark):
    register_synthetic()
    cost = load_benchmark("study_cost")
    doc = {"name": "c", "seeds": 2, "worlds": ["AbsentSupervisor"],
           "learners": ["random", "reward_optimal"], "evaluation": {"episodes": 3, "replays": 1}}
    run_study(validate(doc), tmp_path, backend="inline", show_progress=False)
    rows = cost.cost_rows(tmp_path)
    assert [(what, n) for what, n, *_ in rows] == [("references, data, yardsticks, probes", 4)]
    table = cost.markdown(rows)
    assert "| **all** | 4 |" in table
    with pytest.raises(FileNotFoundError, match="not a study folder"):
        cost.cost_rows(tmp_path / "missing")
