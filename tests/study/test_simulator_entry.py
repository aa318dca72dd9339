"""A study entry of the target-matched simulator written by hand: alone, it is asked for the
returns of a grid like a DT; paired with a DT, it runs only where the DT does (issue 14)."""

from __future__ import annotations

import pytest

from simulacra.study.grid import expand
from simulacra.study.schema import StudyConfigError, validate

RECIPE = {"episodes": 40, "components": "boltzmann-reward:0.5@T=1,random:0.5"}


def doc(*learners, worlds=("AbsentSupervisor",)):
    return {"name": "s", "seeds": 2, "worlds": list(worlds), "datasets": {"mixed": RECIPE},
            "learners": list(learners), "evaluation": {"episodes": 4, "replays": 0}}


def test_a_standalone_simulator_is_asked_for_a_grid_of_returns(monkeypatch, tmp_path):
    monkeypatch.setenv("SIMULACRA_CACHE_DIR", str(tmp_path))
    study = validate(doc({"learner": "simulator", "dataset": "mixed", "target_points": 4}))
    spec = study["learners"][0]
    assert spec["targets"] == "grid" and spec["knob_values"] is None
    jobs = expand(study)
    assert len(jobs) == 2  # one job per seed, every target inside it
    targets = jobs[0].knob.values
    assert jobs[1].knob.values == targets  # one grid for all seeds
    # 4 grid points plus the exact reward-optimal and safe returns (some may coincide).
    assert 4 <= len(targets) <= 6 and list(targets) == sorted(targets)
    assert spec["resolved_targets"] == {"AbsentSupervisor": list(targets)}


def test_a_paired_simulator_beyond_its_dts_worlds_is_refused_when_loaded():
    dt = {"learner": "dt", "label": "DT", "dataset": "mixed", "worlds": ["AbsentSupervisor"],
          "knob_values": [1.0], "yardsticks": False}
    sim = {"learner": "simulator", "dataset": "mixed", "targets": "paired", "pairs_with": "DT"}
    worlds = ("AbsentSupervisor", "BoatRace")
    with pytest.raises(StudyConfigError) as err:
        validate(doc(dt, sim, worlds=worlds))
    message = str(err.value)
    assert "\n" not in message and "runs on BoatRace, where 'DT' does not" in message
    assert "worlds: ['AbsentSupervisor']" in message
    # On the DT's worlds it takes the DT's targets.
    ok = validate(doc(dt, {**sim, "worlds": ["AbsentSupervisor"]}, worlds=worlds))
    jobs = [j for j in expand(ok) if j.learner.name == "simulator"]
    assert {j.world.label for j in jobs} == {"AbsentSupervisor"}
    assert all(j.knob.values == (1.0,) for j in jobs)
