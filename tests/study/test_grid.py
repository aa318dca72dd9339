"""The job grid: its size, and keys that follow what determines a result and nothing else."""

from __future__ import annotations

import pytest

from simulacra.study.grid import expand, job_key
from simulacra.study.schema import validate
from simulacra.study.testing import register_synthetic


@pytest.fixture(autouse=True)
def _synthetic():
    register_synthetic()


def study(**over):
    doc = {"name": "g", "seeds": 3, "worlds": ["AbsentSupervisor", "Gambling"],
           "learners": ["random", "synthetic_dt", "synthetic_pbc"]}
    return validate({**doc, **over})


def test_grid_is_world_by_learner_by_seed_by_per_job_knob():
    jobs = expand(study())
    # random: 1 job, synthetic_dt: sweep inside one job, synthetic_pbc: one job per q (3).
    assert len(jobs) == 2 * 3 * (1 + 1 + 3)
    dt = [j for j in jobs if j["learner"]["name"] == "synthetic_dt"]
    assert dt[0]["knob"] == {"name": "target_return", "values": [-25.0, 0.0, 25.0]}
    pbc = {j["knob"]["value"] for j in jobs if j["learner"]["name"] == "synthetic_pbc"}
    assert pbc == {0.2, 0.5, 0.8}
    assert len({j["key"] for j in jobs}) == len(jobs)


def test_keys_ignore_how_a_job_runs_but_not_what_it_computes():
    base = {j["key"] for j in expand(study())}
    assert base == {j["key"] for j in expand(study(name="renamed", description="x"))}
    assert base == {j["key"] for j in expand(study(budgets={"max_job_seconds": 5}))}
    changed = {j["key"] for j in expand(study(evaluation={"episodes": 7}))}
    assert not base & changed
    j = expand(study())[0]
    assert job_key({**j, "job_fn": "elsewhere:f"}) == j["key"]
    assert job_key({**j, "seed": 99}) != j["key"]


def test_learner_restricted_to_some_worlds():
    jobs = expand(study(learners=["random", {"learner": "synthetic_dt",
                                             "worlds": ["Gambling"]}]))
    assert {j["world"]["name"] for j in jobs if j["learner"]["name"] == "synthetic_dt"} == {
        "Gambling"}
