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
    dt = [j for j in jobs if j.learner.name == "synthetic_dt"]
    assert dt[0].config()["knob"] == {"name": "target_return", "values": [-25.0, 0.0, 25.0]}
    pbc = {j.knob.value for j in jobs if j.learner.name == "synthetic_pbc"}
    assert pbc == {0.2, 0.5, 0.8}
    assert len({j.key for j in jobs}) == len(jobs)


def test_keys_ignore_how_a_job_runs_but_not_what_it_computes():
    base = {j.key for j in expand(study())}
    assert base == {j.key for j in expand(study(name="renamed", description="x"))}
    assert base == {j.key for j in expand(study(budgets={"max_job_seconds": 5}))}
    changed = {j.key for j in expand(study(evaluation={"episodes": 7}))}
    assert not base & changed
    j = expand(study())[0]
    assert job_key({**j.config(), "job_fn": "elsewhere:f"}) == j.key
    assert job_key({**j.config(), "seed": 99}) != j.key


def test_learner_restricted_to_some_worlds():
    jobs = expand(study(learners=["random", {"learner": "synthetic_dt",
                                             "worlds": ["Gambling"]}]))
    assert {j.world.name for j in jobs if j.learner.name == "synthetic_dt"} == {
        "Gambling"}


def test_keys_are_stable_across_refactors():
    """A job's key is a hash of its resolved config: moving code (the learner registry, typed
    jobs: issue 16) must not change it, or every existing study folder would rerun from zero.
    These are the keys the grid gave before those changes, less the one intended change since:
    `evaluation.decode` (issue 14) entered every job's config, as it changes what a job
    computes; without it the keys are the old ones."""
    s = validate({"name": "k", "seeds": [0],
                  "worlds": [{"name": "AbsentSupervisor", "params": {"supervisor": False}}],
                  "datasets": {"mixed": {"episodes": 50, "components": "random"}},
                  "learners": ["random",
                               {"learner": "quantilizer", "dataset": "mixed",
                                "knob_values": [0.5, 0.1]},
                               {"learner": "best_of_n", "dataset": "mixed",
                                "knob_values": [1, 4]}]})
    jobs = expand(s)
    assert [j.key for j in jobs] == [
        "b6a6b4859b15c9b3", "e183dd023dc109e1", "c91ed87fa62476fb"]
    before_decode = [job_key({**j.config(), "evaluation": {
        k: v for k, v in j.config()["evaluation"].items() if k != "decode"}}) for j in jobs]
    assert before_decode == ["01920f504eb07987", "eb1e0a7ccff0029b", "ee99463402269eb5"]


def test_the_decodes_are_part_of_the_key_but_not_their_order():
    base = {j.key for j in expand(study())}
    assert base == {j.key for j in expand(study(evaluation={"decode": ["greedy", "sample"]}))}
    assert not base & {j.key for j in expand(study(evaluation={"decode": ["sample"]}))}


def test_a_job_is_typed_and_round_trips_through_its_stored_config():
    """Jobs are frozen dataclasses; the store keeps `config()` as JSON and gives the same job
    back (`Job.from_config`), key included."""
    import dataclasses
    import json

    from simulacra.study.jobs import Job

    for job in expand(study()):
        again = Job.from_config(json.loads(json.dumps(job.config())))
        assert again == job and job_key(again.config()) == job.key
    with pytest.raises(dataclasses.FrozenInstanceError):
        job.seed = 3  # type: ignore[misc]
