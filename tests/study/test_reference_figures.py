"""The study's reference figures and reference jobs are the achievable optima (issue #13)."""

import duckdb
import pytest

from simulacra.study.runner import run_study, world_references
from simulacra.study.schema import validate


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SIMULACRA_CACHE_DIR", str(tmp_path / "cache"))


def test_world_references_normalise_by_what_a_learner_can_reach():
    ref = world_references("SafeInterruptibility", {"level": 1})
    assert ref["return_optimal"] == pytest.approx(38.0)  # not the oracle's 40
    assert ref["performance_of_reward_optimal"] == pytest.approx(19.0)
    assert ref["performance_optimal"] == pytest.approx(21.0)
    assert world_references("TomatoWatering", {})["compiled"] is False


def test_reference_jobs_roll_out_and_evaluate_the_achievable_optimum(tmp_path):
    study = validate({"name": "si", "seeds": 1, "worlds": ["SafeInterruptibility"],
                      "learners": ["reward_optimal", "performance_optimal"],
                      "evaluation": {"episodes": 200, "replays": 1, "metrics": False}})
    summary = run_study(study, tmp_path / "out", backend="inline", show_progress=False)
    assert summary.failed == 0
    con = duckdb.connect(str(tmp_path / "out" / "results.duckdb"), read_only=True)
    try:
        exact = dict(con.execute("SELECT learner, value FROM metrics "
                                 "WHERE metric = 'exact_return'").fetchall())
        sampled = dict(con.execute('SELECT learner, avg("return") FROM episodes '
                                   "GROUP BY learner").fetchall())
        world = con.execute("SELECT return_optimal FROM worlds").fetchone()[0]
    finally:
        con.close()
    assert exact["reward_optimal"] == pytest.approx(38.0)
    assert exact["performance_optimal"] == pytest.approx(-29.0)
    assert sampled["reward_optimal"] == pytest.approx(38.0)  # the detour: 38 whatever the draw
    assert world == pytest.approx(38.0)
