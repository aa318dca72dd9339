"""A loop entry with a dataset asks every checkpoint for a resolved grid of returns: `targets:
grid` (from the first seed's data, one grid for all seeds) or `targets: paired` (its DT's)."""

from __future__ import annotations

import pytest

from simulacra.study.grid import expand
from simulacra.study.schema import StudyConfigError, validate
from simulacra.study.targets import data_returns, exact_returns, target_grid

RECIPE = {"episodes": 40, "components": "boltzmann-reward:0.5@T=1,random:0.5"}
LOOP = {"initial": "dataset", "initial_episodes": 16}


def doc(*learners):
    return {"name": "s", "seeds": [3, 4], "worlds": ["AbsentSupervisor"],
            "datasets": {"mixed": RECIPE}, "learners": list(learners),
            "evaluation": {"episodes": 4, "replays": 0}}


def loop(**entry):
    out = {"learner": "online_dt", "label": "loop", "dataset": "mixed", "config": LOOP,
           "knob_values": [0.0, 1.0], **entry}
    return {k: v for k, v in out.items() if v is not None}  # None: the entry leaves it out


def loop_jobs(study):
    return [j for j in expand(study) if j.learner.label == "loop"]


def test_a_loop_asks_every_checkpoint_for_the_grid_of_the_first_seeds_data(monkeypatch,
                                                                            tmp_path):
    monkeypatch.setenv("SIMULACRA_CACHE_DIR", str(tmp_path))
    study = validate(doc(loop(targets="grid", target_points=4)))
    jobs = loop_jobs(study)
    assert len(jobs) == 2  # one per seed; the knob stays the checkpoint
    assert {j.knob.values for j in jobs} == {(0.0, 1.0)}
    grids = {tuple(j.learner.config["targets"]) for j in jobs}
    assert len(grids) == 1  # one grid for all seeds
    world = study["worlds"][0]
    first = data_returns(world, "mixed", RECIPE, 3, None)
    assert list(grids.pop()) == target_grid(first, 4, exact_returns(world))
    spec = study["learners"][0]
    assert spec["resolved_loop_targets"] == {"AbsentSupervisor": jobs[0].learner.config["targets"]}
    assert "resolved_targets" not in spec  # the report's knob of a loop is the checkpoint
    plain = loop_jobs(validate(doc(loop())))
    assert "targets" not in plain[0].learner.config and plain[0].key != jobs[0].key


def test_a_paired_loop_takes_its_dts_targets():
    dt = {"learner": "dt", "label": "DT", "dataset": "mixed", "knob_values": [2.0, -1.0],
          "yardsticks": False}
    study = validate(doc(dt, loop(targets="paired", pairs_with="DT")))
    jobs = loop_jobs(study)
    assert {tuple(j.learner.config["targets"]) for j in jobs} == {(-1.0, 2.0)}
    # The same returns written as a list make the same jobs: the resolved grid is on record.
    written = validate(doc(dt, loop(config={**LOOP, "targets": [-1.0, 2.0]})))
    assert [j.key for j in loop_jobs(written)] == [j.key for j in jobs]


@pytest.mark.parametrize(("entry", "match"), [
    ({"targets": "grid", "dataset": None, "config": {}}, r"learners\[0\]\.targets 'grid' on a "
     r"loop needs its dataset"),
    ({"targets": "best"}, r"targets is 'best': on a loop 'grid' or 'paired'"),
    ({"targets": "paired"}, r"targets 'paired' needs 'pairs_with'"),
    ({"targets": "grid", "config": {**LOOP, "targets": [1.0]}}, "both targets and config"),
    ({"targets": "grid", "target_fractions": [1.0]}, "target_fractions does not apply"),
    ({"targets": "paired", "pairs_with": "DT", "target_points": 4}, "target_points goes with"),
    ({"target_points": 4}, r"target_points applies only"),
])
def test_bad_loop_targets_are_study_errors(entry, match):
    with pytest.raises(StudyConfigError, match=match):
        validate(doc(loop(**entry)))
