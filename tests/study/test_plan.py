"""`simulacra plan`: counts per learner and the time left, extrapolated from measured job times
only (per learner and world where measured, else per learner; never guessed)."""

from __future__ import annotations

import duckdb
import pytest

from simulacra.study.plan import make_plan, render
from simulacra.study.runner import run_study
from simulacra.study.schema import validate
from simulacra.study.select import parse_only


def study():
    return validate({"name": "plan", "seeds": 2, "worlds": ["AbsentSupervisor", "Gambling"],
                     "learners": ["random", "reward_optimal"],
                     "evaluation": {"episodes": 4, "replays": 1}})


def set_seconds(folder, seconds):
    """Pin the measured times so the arithmetic can be checked exactly."""
    con = duckdb.connect(str(folder / "results.duckdb"))
    for (world, learner, seed), s in seconds.items():
        con.execute("UPDATE jobs SET seconds = ? WHERE world = ? AND learner = ? AND seed = ?",
                    [s, world, learner, seed])
    con.close()


def test_an_empty_folder_counts_every_job_unmeasured(tmp_path):
    p = make_plan(study(), tmp_path / "none", workers=2)
    assert (p.jobs, p.done, p.unmeasured, p.remaining_seconds) == (8, 0, 8, 0.0)
    assert "no measured peer" in render(p)


def test_unfinished_jobs_are_charged_their_measured_peers(tmp_path):
    s = study()
    run_study(s, tmp_path, backend="inline", show_progress=False,
              only=parse_only(["seed=0", "learner=random"]))
    run_study(s, tmp_path, backend="inline", show_progress=False,
              only=parse_only(["seed=0", "world=AbsentSupervisor", "learner=reward_optimal"]))
    set_seconds(tmp_path, {("AbsentSupervisor", "random", 0): 10.0,
                           ("Gambling", "random", 0): 30.0,
                           ("AbsentSupervisor", "reward_optimal", 0): 4.0})
    p = make_plan(s, tmp_path, workers=2)
    rows = {r.learner: r for r in p.rows}
    # random, seed 1: charged its own world's time (10 + 30), not the mean over worlds.
    assert rows["random"].done == 2 and rows["random"].remaining_seconds == pytest.approx(40.0)
    assert rows["random"].mean_seconds == pytest.approx(20.0)
    # reward_optimal: Gambling never ran, so it is charged the learner's mean (4) on both seeds.
    assert rows["reward_optimal"].remaining_seconds == pytest.approx(4.0 + 4.0 + 4.0)
    assert p.unmeasured == 0
    assert p.to_json()["remaining_wall_seconds"] == pytest.approx((40.0 + 12.0) / 2)
    # --only: the selected jobs alone, still charged what every finished job measured.
    part = make_plan(s, tmp_path, workers=2, only=parse_only(["world=Gambling"]))
    rows = {r.learner: r for r in part.rows}
    assert (part.jobs, part.done) == (4, 1)
    assert rows["random"].remaining_seconds == pytest.approx(30.0)
    assert rows["reward_optimal"].remaining_seconds == pytest.approx(4.0 + 4.0)
